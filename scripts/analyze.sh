#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make analyze: clang-tidy (.clang-tidy) and cppcheck over the product's
# sources. Prints nothing but findings; exits non-zero on any. Not gcc
# -fanalyzer: GCC 12's analyzer does not model __attribute__((cleanup)) and
# reports a leak or an uninitialized read at every _cleanup_ variable.
set -u
cd "$(dirname "$0")/.." || exit 1
SRC=$(ls common/*.c pam_module/*.c guardd/*.c 2>/dev/null)
SYSTEMD_CFLAGS=$(pkg-config --cflags libsystemd 2>/dev/null)
rc=0

echo "analyze: clang-tidy"
# shellcheck disable=SC2086
out=$(clang-tidy --quiet $SRC -- -std=gnu17 -D_GNU_SOURCE -Icommon $SYSTEMD_CFLAGS 2>&1 |
        grep -v -e 'warnings\? generated\.$' -e '^Suppressed ' -e 'Use -header-filter')
if [ -n "$out" ]; then
        printf '%s\n' "$out"
        rc=1
fi
echo "analyze: cppcheck"
# shellcheck disable=SC2086
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,style \
        --inline-suppr --suppress=redundantInitialization --suppress=missingIncludeSystem \
        --suppress=unusedStructMember --suppress=variableScope --suppress=constParameter \
        --suppress=constVariable --suppress=constParameterCallback --suppress=knownConditionTrueFalse \
        --suppress=unreadVariable \
        -D_GNU_SOURCE -Icommon $SRC || rc=1
[ "$rc" = 0 ] && echo "analyze: clean"
exit $rc

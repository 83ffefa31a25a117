#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/ablate.sh's patch still applies to this tree, and each of its
# variants builds: the bench measures what each part of the healthy path
# costs by taking it out, and a patch that no longer applies (as after the
# module-only config, found only when the bench was next run) leaves that
# question without an answer. The builds are only built, never loaded.
. "$(dirname "$0")/../lib/harness.sh"
command -v git >/dev/null || lg_skip "git missing (it applies the patch)"
lg_setup
src=$LG_TMP/src
mkdir -p "$src"
# The sources alone (what make dist packs, as they are in the work tree), not
# the build directories or whatever else lies in the checkout; and git and
# make told nothing by the make check that runs this test (its MAKEFLAGS
# carry SANITIZE, TESTS and any jobserver; a GIT_DIR would point git apply
# at the checkout): the patch and the build are this test's alone.
hermetic() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE \
        GIT_CEILING_DIRECTORIES="$LG_TMP" "$@"; }
if files=$(hermetic git -C "$LG_ROOT" ls-files -z 2>/dev/null | tr '\0' '\n') && [ -n "$files" ]; then
        printf '%s\n' "$files" | tar -C "$LG_ROOT" --no-recursion -cf - -T - | tar -C "$src" -xf -
else
        tar -C "$LG_ROOT" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$src" -xf -
fi
lg_check "the sources copied" test -f "$src/pam_module/watch.c" -a -f "$src/Makefile"
lg_check "bench/ablate.patch applies" hermetic git -C "$src" apply "$LG_ROOT/bench/ablate.patch"
for v in NOSCAN NOCONF NOPOP NOPIDNS NOGUARD; do
        lg_assert_ge "$(grep -c "LG_ABLATE_$v" "$src"/pam_module/*.c "$src"/common/*.c | awk -F: '{s += $2} END {print s}')" 1 \
                "LG_ABLATE_$v is in the patched source"
done
# ablate.sh's "all" and "noguard" arms: between them every macro.
build() { # NAME FLAGS
        hermetic make -C "$src" -s -j2 B="$src/b-$1" CPPFLAGS="$2" WERROR=1 "$src/b-$1/pam_loginguard.so" \
                >"$LG_TMP/build-$1.log" 2>&1 || { cat "$LG_TMP/build-$1.log"; return 1; }
}
lg_check "the module builds with all four steps out" \
        build all "-DLG_ABLATE_NOSCAN -DLG_ABLATE_NOCONF -DLG_ABLATE_NOPOP -DLG_ABLATE_NOPIDNS"
lg_check "the module builds with no guard" build noguard -DLG_ABLATE_NOGUARD
lg_done

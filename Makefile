# SPDX-License-Identifier: LGPL-2.1-or-later
#
# loginguard: one top-level Makefile. `make help` lists the targets.
# User CFLAGS/LDFLAGS win; project flags are appended. SANITIZE=address,undefined
# builds into build-san/ so a sanitized and a plain build can live side by side.

VERSION := 0.3.0
CC ?= gcc
CFLAGS ?= -O2 -g
LDFLAGS ?=
PKG_CONFIG ?= pkg-config
V ?= 0
WERROR ?= 0
SANITIZE ?=

MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
prefix ?= /usr
exec_prefix ?= $(prefix)
sbindir ?= $(exec_prefix)/sbin
libdir ?= $(exec_prefix)/lib/$(MULTIARCH)
# Where this system's libpam looks for modules: the directory of pam_unix.so.
securedir ?= $(patsubst %/,%,$(dir $(firstword $(wildcard \
	/lib/$(MULTIARCH)/security/pam_unix.so /usr/lib/$(MULTIARCH)/security/pam_unix.so \
	/usr/lib64/security/pam_unix.so /lib64/security/pam_unix.so \
	/usr/lib/security/pam_unix.so /lib/security/pam_unix.so) /lib/security/pam_unix.so)))
sysconfdir ?= /etc
datadir ?= $(prefix)/share
mandir ?= $(datadir)/man
docdir ?= $(datadir)/doc/loginguard
# Where this system's systemd looks for units and tmpfiles.d (systemd.pc).
unitdir ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
tmpfilesdir ?= $(or $(shell $(PKG_CONFIG) --variable=tmpfilesdir systemd 2>/dev/null),/usr/lib/tmpfiles.d)
DESTDIR ?=

ifeq ($(V),1)
Q :=
else
Q := @
endif

B := build$(if $(SANITIZE),-san)

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wwrite-strings -Wcast-qual -Wundef -Wno-unused-parameter
HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2
override CFLAGS += -std=gnu17 -fPIC $(WARN) $(HARDEN) -D_GNU_SOURCE -Icommon -pthread \
	-ffunction-sections -fdata-sections -DLOGINGUARD_VERSION='"$(VERSION)"'
override LDFLAGS += -Wl,-z,relro,-z,now -pthread
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
MODULE_DEFS := -Wl,-z,defs
ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
override LDFLAGS += -fsanitize=$(SANITIZE)
MODULE_DEFS :=
endif

SYSTEMD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libsystemd 2>/dev/null)
SYSTEMD_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

COMMON_SRC := $(wildcard common/*.c)
MODULE_SRC := $(wildcard pam_module/*.c)
GUARDD_SRC := $(wildcard guardd/*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test-*.c))
TOOLS := $(B)/tests/logind-double $(B)/tests/devlog-double $(B)/tests/pam-driver \
	$(B)/tests/bus-flood $(B)/tests/status-tool $(B)/bench/bench-decision $(B)/bench/bench-users \
	$(B)/bench/fault-cost $(B)/bench/pidns-cost $(B)/bench/pam_noop.so $(B)/bench/pam_barewrap.so

LIBCOMMON := $(B)/libcommon.a
MODULE := $(B)/pam_loginguard.so
GUARDD := $(B)/guardd

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

.PHONY: all check check-unit check-valgrind install uninstall clean demo analyze format-check fuzz bench dist deb compat \
	deps test-bins help build-deps
.DEFAULT_GOAL := all
.SECONDARY:

PAMCHECK := $(B)/loginguard-pam-check
PAMTOOL := $(B)/loginguard-pam

all: build-deps $(MODULE) $(if $(GUARDD_SRC),$(GUARDD)) $(PAMCHECK) $(PAMTOOL)

# A missing -dev package is named here, not in a compiler error.
BUILD_DEPS := security/pam_modules.h:libpam0g-dev systemd/sd-bus.h:libsystemd-dev
build-deps:
	@missing=""; \
	for d in $(BUILD_DEPS); do \
		echo "#include <$${d%%:*}>" | $(CC) -E -x c - >/dev/null 2>&1 || missing="$$missing $${d#*:}"; \
	done; \
	command -v $(PKG_CONFIG) >/dev/null || missing="$$missing pkg-config"; \
	if [ -n "$$missing" ]; then \
		echo "loginguard: missing build dependencies:$$missing"; \
		echo "  install them with: sudo scripts/deps.sh   (or apt-get install$$missing)"; \
		exit 1; \
	fi

$(PAMTOOL): loginguard-pam/loginguard-pam Makefile
	@mkdir -p $(dir $@)
	$(Q)sed 's|@VERSION@|$(VERSION)|; s|@PKGLIBEXECDIR@|$(pkglibexecdir)|' $< >$@ && chmod 0755 $@

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SYSTEMD_CFLAGS) -MMD -MP -c -o $@ $<

# Tests and benchmarks reach into the module's and guardd's headers.
$(B)/obj/tests/%.o $(B)/obj/bench/%.o: override CPPFLAGS += -Ipam_module -Iguardd

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# -z nodelete: libpam's dlclose() at pam_end leaves the module mapped, as
# the module leaves pam_systemd (pam_module/target.c): unmapping it cost
# every logout about 120 us on the double and 140 us on the real stack
# (docs/BENCHMARKS.md), and the module's per-process state (guardd's
# table, the loaded target) is then kept, not mapped again, by a process
# that runs many PAM transactions. --gc-sections: libcommon.a's objects
# hold guardd's side too (the status writer, say); what the module never
# calls is left out, and with it its imports: each is a symbol lookup in
# every login's dlopen() (bench/count.sh, docs/BENCHMARKS.md).
$(MODULE): $(call obj,$(MODULE_SRC)) $(LIBCOMMON) pam_module/pam_loginguard.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared $(CFLAGS) $(LDFLAGS) $(MODULE_DEFS) -Wl,-z,nodelete -Wl,--gc-sections \
		-Wl,--version-script=pam_module/pam_loginguard.map \
		-o $@ $(call obj,$(MODULE_SRC)) $(LIBCOMMON) -lpam -ldl

$(GUARDD): $(call obj,$(GUARDD_SRC)) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SYSTEMD_LIBS) -lm

# Unit tests link the module's and guardd's objects, for their pure parts
# (breaker, sockets, verdict, outputs, parsers).
UNIT_OBJS := $(call obj,$(filter-out pam_module/pam_loginguard.c,$(MODULE_SRC)))
GUARDD_UNIT_OBJS := $(call obj,$(filter-out guardd/main.c,$(GUARDD_SRC)))

$(B)/tests/test-%: $(B)/obj/tests/unit/test-%.o $(UNIT_OBJS) $(GUARDD_UNIT_OBJS) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(SYSTEMD_LIBS) -lpam -ldl -lm

$(B)/tests/logind-double: $(B)/obj/tests/tools/logind-double.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SYSTEMD_LIBS)

$(B)/tests/bus-flood: $(B)/obj/tests/tools/bus-flood.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SYSTEMD_LIBS)

$(B)/tests/devlog-double: $(B)/obj/tests/tools/devlog-double.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(PAMCHECK): $(B)/obj/loginguard-pam/loginguard-pam-check.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpam

$(B)/bench/bench-decision: $(B)/obj/bench/bench-decision.o $(UNIT_OBJS) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpam -ldl

$(B)/bench/bench-users: $(B)/obj/bench/bench-users.o $(UNIT_OBJS) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpam -ldl

$(B)/bench/fault-cost: $(B)/obj/bench/fault-cost.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/bench/pidns-cost: $(B)/obj/bench/pidns-cost.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/bench/pam_noop.so: $(B)/obj/bench/pam_noop.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpam

$(B)/bench/pam_barewrap.so: $(B)/obj/bench/pam_barewrap.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpam -ldl

$(B)/tests/status-tool: $(B)/obj/tests/tools/status-tool.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/tests/pam-driver: $(B)/obj/tests/tools/pam-driver.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpam

test-bins: all $(UNIT_TESTS) $(TOOLS)

deps:
	$(Q)scripts/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)BUILD=$(B) SANITIZE=$(SANITIZE) tests/run.sh

# The cmocka unit tests alone: no root, no daemons, no install step (what
# a package build runs, as dh_auto_test; DEB_BUILD_OPTIONS=nocheck skips it).
check-unit: all $(UNIT_TESTS)
	$(Q)mkdir -p $(B)/test-logs; for t in $(UNIT_TESTS); do echo "  UNIT    $$t"; \
		l=$(B)/test-logs/unit_$$(basename $$t).log; $$t >$$l 2>&1 || { cat $$l; exit 1; }; done

check-valgrind: deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)BUILD=$(B) VALGRIND=1 tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)BUILD=$(B) scripts/demo.sh

compat: deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)BUILD=$(B) scripts/compat.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)BUILD=$(B) bench/run.sh

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz-*.c))
build-fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(COMMON_SRC) $(MODULE_SRC)
	@mkdir -p build-fuzz
	$(Q)clang -g -O1 -std=gnu17 -D_GNU_SOURCE -Icommon -Ipam_module -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(COMMON_SRC) $(filter-out pam_module/pam_loginguard.c,$(MODULE_SRC)) -lpam -ldl

fuzz: $(FUZZ_TARGETS)
	$(Q)for f in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus-$$(basename $$f); \
		$$f -max_total_time=$${FUZZ_SECONDS:-20} -max_len=20000 \
			build-fuzz/corpus-$$(basename $$f) tests/fuzz/corpus/$$(basename $$f) || exit 1; \
	done

analyze:
	$(Q)scripts/analyze.sh

format-check:
	$(Q)if git rev-parse --verify -q HEAD~1 >/dev/null; then \
		out=$$(git clang-format-14 --diff HEAD~1 -- '*.c' '*.h' 2>/dev/null || \
		       git clang-format --diff HEAD~1 -- '*.c' '*.h'); \
		case "$$out" in ""|*"no modified files"*|*"did not modify"*) echo "format-check: clean";; \
		*) echo "$$out"; exit 1;; esac; \
	else echo "format-check: no history to compare"; fi

libexecdir ?= $(exec_prefix)/libexec
pkglibexecdir ?= $(libexecdir)/loginguard
pkgdatadir ?= $(datadir)/loginguard
pamconfigdir ?= $(datadir)/pam-configs
# Where the alerting rules' runbook_url points: the runbook as installed, or
# a copy you publish (RUNBOOK_URL=https://.../runbook.md).
RUNBOOK_URL ?= file://$(docdir)/runbook.md

install: all
	install -D -m 0644 $(MODULE) $(DESTDIR)$(securedir)/pam_loginguard.so
	install -D -m 0755 $(GUARDD) $(DESTDIR)$(sbindir)/guardd
	install -D -m 0755 $(PAMTOOL) $(DESTDIR)$(sbindir)/loginguard-pam
	install -D -m 0755 $(PAMCHECK) $(DESTDIR)$(pkglibexecdir)/loginguard-pam-check
	install -D -m 0644 conf/loginguard.conf $(DESTDIR)$(sysconfdir)/loginguard/loginguard.conf
	install -D -m 0644 conf/guardd.service $(DESTDIR)$(unitdir)/guardd.service
	install -D -m 0644 conf/tmpfiles.conf $(DESTDIR)$(tmpfilesdir)/loginguard.conf
	install -D -m 0644 conf/pam-configs/loginguard $(DESTDIR)$(pamconfigdir)/loginguard
	install -d $(DESTDIR)$(pkgdatadir)/prometheus
	sed 's|file:///usr/share/doc/loginguard/runbook.md|$(RUNBOOK_URL)|' conf/prometheus/loginguard.rules.yml \
		>$(DESTDIR)$(pkgdatadir)/prometheus/loginguard.rules.yml
	chmod 0644 $(DESTDIR)$(pkgdatadir)/prometheus/loginguard.rules.yml
	install -D -m 0644 conf/grafana/loginguard-dashboard.json $(DESTDIR)$(pkgdatadir)/grafana/loginguard-dashboard.json
	for m in docs/*.[58]; do \
		install -D -m 0644 $$m $(DESTDIR)$(mandir)/man$${m##*.}/$$(basename $$m); done
	for d in README.md docs/*.md; do install -D -m 0644 $$d $(DESTDIR)$(docdir)/$$(basename $$d); done

uninstall:
	rm -f $(DESTDIR)$(securedir)/pam_loginguard.so $(DESTDIR)$(sbindir)/guardd \
		$(DESTDIR)$(sbindir)/loginguard-pam $(DESTDIR)$(pkglibexecdir)/loginguard-pam-check \
		$(DESTDIR)$(unitdir)/guardd.service $(DESTDIR)$(tmpfilesdir)/loginguard.conf \
		$(DESTDIR)$(pamconfigdir)/loginguard
	rm -rf $(DESTDIR)$(pkgdatadir) $(DESTDIR)$(docdir)
	-rmdir $(DESTDIR)$(pkglibexecdir) 2>/dev/null
	for m in docs/*.[58]; do rm -f $(DESTDIR)$(mandir)/man$${m##*.}/$$(basename $$m); done
	@echo "kept $(DESTDIR)$(sysconfdir)/loginguard/loginguard.conf (remove by hand if unwanted)"

# The release tarball: the committed tree (HEAD) without debian/, with
# git's commit time on every file and no name or time in the gzip header,
# so the same commit always gives the same bytes.
DIST := build-dist/loginguard-$(VERSION).tar.gz
dist:
	@mkdir -p build-dist
	@git diff --quiet HEAD -- || echo "make dist: uncommitted changes are not in the tarball (it packs HEAD)"
	$(Q)git archive --format=tar --prefix=loginguard-$(VERSION)/ HEAD -- . ':(exclude)debian' | \
		gzip -9n >$(DIST).tmp && mv $(DIST).tmp $(DIST)
	@echo $(DIST)

# Debian packages into build-deb/: `make dist`'s tarball as the .orig
# tarball and the committed debian/ beside it (3.0 (quilt)), built there,
# so nothing is written outside build-dist/ and build-deb/.
deb: dist
	rm -rf build-deb && mkdir -p build-deb
	cp $(DIST) build-deb/loginguard_$(VERSION).orig.tar.gz
	tar -C build-deb -xzf build-deb/loginguard_$(VERSION).orig.tar.gz
	git archive --format=tar HEAD debian | tar -C build-deb/loginguard-$(VERSION) -x
	cd build-deb/loginguard-$(VERSION) && dpkg-buildpackage -us -uc
	@ls -1 build-deb/*.deb build-deb/*.dsc

clean:
	rm -rf build build-san build-fuzz build-deb build-dist

help:
	@echo "make [all]        build pam_loginguard.so and guardd into $(B)/"
	@echo "make check        install build deps (scripts/deps.sh), run every test"
	@echo "make demo         replay the incidents against stock and guarded logins"
	@echo "make bench        run benchmarks, rewrite docs/BENCHMARKS.md"
	@echo "make compat       prove newer systemd in Debian chroots, rewrite docs/COMPATIBILITY.md"
	@echo "make dist         release tarball build-dist/loginguard-VERSION.tar.gz (HEAD, reproducible)"
	@echo "make deb          Debian packages into build-deb/ (3.0 (quilt) from make dist)"
	@echo "make install      DESTDIR= prefix=$(prefix) securedir=$(securedir)"
	@echo "make analyze      clang-tidy, cppcheck"
	@echo "make format-check clang-format on changed lines"
	@echo "make fuzz         libFuzzer targets (clang), FUZZ_SECONDS=20"
	@echo "make check-valgrind  tests under valgrind"
	@echo "options: V=1 WERROR=1 SANITIZE=address,undefined"

-include $(shell find build build-san -name '*.d' 2>/dev/null)

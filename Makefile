# vdpd: one Makefile, no configure step.  Sources are found by convention:
#   vdp/*/*.c lldp/*.c profiles/*.c -> $(BUILD)/libvdp.a (vdp/daemon/main.c is vdpd's main)
#   tools/<name>/*.c                -> $(BUILD)/<name>   (one program per folder)
#   tools/vdp-bridge/*.c but main.c -> also $(BUILD)/libvdpbridge.a, for the unit and fuzz tests
#   tests/unit/test_*.c             -> $(BUILD)/unit/test_*  (plus tests/unit/*.c helpers)
#   tests/fuzz/fuzz_*.c             -> $(BUILD)/fuzz/fuzz_*  (clang, libFuzzer)
#   tests/bench/bench_*.c           -> $(BUILD)/bench/bench_*

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
BUILD ?= build
CC ?= cc
PKGS := libevent libnl-3.0 libnl-route-3.0 libconfig jansson libxml-2.0 libcap-ng libcurl
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -DVDP_VERSION='"$(VERSION)"' -I. $(PKG_CFLAGS) $(SANFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm

ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

LIB_SRCS := $(filter-out vdp/daemon/main.c,$(wildcard vdp/*/*.c lldp/*.c profiles/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libvdp.a
# The bridge-only code (fault injection, type database, vsi.show paging, the
# control commands and what they reach) lives with vdp-bridge; the unit and
# fuzz tests link it from this archive, which pulls in only what they use.
BRIDGE_LIB_SRCS := $(filter-out tools/vdp-bridge/main.c,$(wildcard tools/vdp-bridge/*.c))
BRIDGE_LIB := $(BUILD)/libvdpbridge.a

TOOL_DIRS := $(patsubst %/,%,$(dir $(wildcard tools/*/*.c)))
TOOLS := $(sort $(foreach d,$(TOOL_DIRS),$(BUILD)/$(notdir $(d))))
PROGS := $(BUILD)/vdpd $(TOOLS)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_HELPERS := $(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/bench_*.c))

.PHONY: all deps lint format format-check unit unit-asan integration check check-libvirt fuzz fuzz-build soak bench demo install uninstall deb clean
all: $(LIB) $(PROGS) $(UNIT_BINS)

# Header dependencies come from the compiler (-MMD), one .d beside each .o.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
-include $(shell find $(BUILD)/obj build/fuzz -name '*.d' 2>/dev/null)

$(BRIDGE_LIB): $(BRIDGE_LIB_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/vdpd: $(BUILD)/obj/vdp/daemon/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

.SECONDEXPANSION:
$(TOOLS): $(BUILD)/%: $$(addprefix $(BUILD)/obj/,$$(subst .c,.o,$$(wildcard tools/$$*/*.c))) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/unit/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_HELPERS:%.c=$(BUILD)/obj/%.o) $(BRIDGE_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL) -lcmocka

TESTTOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(wildcard tests/tools/*.c))
all: $(TESTTOOL_BINS)
$(BUILD)/tests/%: $(BUILD)/obj/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

deps:
	@tools/deps.sh

unit: $(UNIT_BINS)
	@SAN=$(SAN) tests/unit/run.sh $(UNIT_BINS)

unit-asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 unit

# Layers point down: no #include or linked symbol from a lower folder to a
# higher one (the table is in tests/lint/layers.sh).
lint: all
	@tests/lint/layers.sh $(BUILD)
	@tests/lint/docs.sh

# Lines changed since .clang-format was last changed must match it
# (format-check); `make format` rewrites them.
format-check:
	@tests/lint/format.sh
format:
	@tests/lint/format.sh --fix

integration: $(PROGS)
	@tests/integration/run.sh

# The one test command: dependencies, -Werror build, the layers (lint),
# unit tests twice (plain and under ASan+UBSan), integration tests in network
# namespaces, summary.
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory unit 2>&1 | tee $(BUILD)/unit.log
	@$(MAKE) --no-print-directory unit-asan 2>&1 | tee $(BUILD)/unit-asan.log
	@$(MAKE) --no-print-directory integration 2>&1 | tee $(BUILD)/integration.log
	@echo "== summary"; grep -h '^== .*passed' $(BUILD)/unit.log $(BUILD)/unit-asan.log $(BUILD)/integration.log
	@! grep -qh '^== .* [1-9][0-9]* failed' $(BUILD)/unit.log $(BUILD)/unit-asan.log $(BUILD)/integration.log
	@# A skipped test proved nothing: named here, and a failure unless ALLOW_SKIP=1.
	@if grep -qh '^== .* [1-9][0-9]* skipped' $(BUILD)/unit.log $(BUILD)/unit-asan.log $(BUILD)/integration.log; then \
		echo "== skipped:"; grep -h 'SKIPPED\|^skip ' $(BUILD)/unit.log $(BUILD)/unit-asan.log $(BUILD)/integration.log; \
		if [ "$(ALLOW_SKIP)" = 1 ]; then echo "== skips accepted (ALLOW_SKIP=1)"; \
		else echo "== FAIL: tests were skipped (run as root, or ALLOW_SKIP=1 to accept)"; exit 1; fi; \
	fi

# Optional, not part of check (heavy): an unmodified libvirtd + QEMU (TCG)
# against vdpd in namespaces; installs libvirt-daemon and qemu-system-x86.
check-libvirt: deps
	@$(MAKE) --no-print-directory $(PROGS)
	@tests/libvirt/run.sh

FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS = -std=gnu11 -g -O1 -D_GNU_SOURCE -DVDP_FUZZING -DVDP_VERSION='"$(VERSION)"' -I. $(PKG_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all
# The library is built once with coverage instrumentation and linked as an
# archive, so each target pulls in only the objects it uses (the bridge's
# archive too: fuzz_bctl runs vdp-bridge's control commands).
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=build/fuzz/obj/%.o)
FUZZ_BRIDGE_OBJS := $(BRIDGE_LIB_SRCS:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
build/fuzz/libvdp-fuzz.a: $(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^
build/fuzz/libvdpbridge-fuzz.a: $(FUZZ_BRIDGE_OBJS)
	rm -f $@
	ar rcs $@ $^
build/fuzz/%: tests/fuzz/%.c build/fuzz/libvdpbridge-fuzz.a build/fuzz/libvdp-fuzz.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< build/fuzz/libvdpbridge-fuzz.a build/fuzz/libvdp-fuzz.a $(LDLIBS_ALL)
fuzz-build: $(FUZZ_BINS)
fuzz: deps fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# Not part of check: 4,096 VSIs through 5 + 3 x 2 minutes of faults, a
# bridge restart and a vdpd kill -9, then the 20 % scenario with Debian's
# lldpad and with vdpd as the station; prints the tables of
# docs/reliability.md (also build/soak.md, build/soak-lldpad.md).
soak: $(PROGS)
	@timeout -k 10 3600 bash tests/soak/soak_converge.sh
	@timeout -k 10 900 bash tests/soak/soak_lldpad.sh

# In-process benchmarks, then the daemons on the wire beside lldpad
# (tests/bench/wire.sh, needs root; its sizes are environment variables).
bench: $(BENCH_BINS) $(PROGS)
	@tests/bench/run.sh $(BENCH_BINS)
	@if [ "$$(id -u)" = 0 ]; then tests/bench/wire.sh; else echo "bench: wire benchmarks skipped (need root)"; fi

# The demo installs and builds only what it needs (no test tools).
demo:
	@tools/deps.sh demo
	@$(MAKE) -s --no-print-directory $(PROGS)
	@tools/demo.sh

# Installation directories (GNU names).  sysconfdir stays /etc for every
# PREFIX: the unit's ConfigurationDirectory and vdpd's defaults look there.
PREFIX ?= /usr/local
sbindir ?= $(PREFIX)/sbin
datadir ?= $(PREFIX)/share
mandir ?= $(datadir)/man
libexecdir ?= $(PREFIX)/lib/vdpd
sysconfdir ?= /etc
unitdir ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
DAEMONS := $(BUILD)/vdpd $(BUILD)/vdpctl $(BUILD)/vdp-bridge
# Test clients go to $(libexecdir), not on PATH.
TEST_CLIENTS := $(BUILD)/vdp-nlclient
# What the templated files say where things are installed.
SUBST = sed -e 's|/usr/local/sbin/|$(sbindir)/|g' -e 's|$$(PREFIX)|$(PREFIX)|g' \
	-e 's|@sysconfdir@|$(sysconfdir)|g'
INSTALLED_MAN8 := $(notdir $(wildcard docs/man/*.8))
INSTALLED_MAN5 := $(notdir $(wildcard docs/man/*.5))

install: $(PROGS)
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(libexecdir) $(DESTDIR)$(mandir)/man8 \
		$(DESTDIR)$(mandir)/man5 $(DESTDIR)$(datadir)/bash-completion/completions \
		$(DESTDIR)$(datadir)/zsh/vendor-completions \
		$(DESTDIR)$(datadir)/doc/vdpd $(DESTDIR)$(unitdir) $(DESTDIR)$(sysconfdir)/vdpd \
		$(DESTDIR)$(sysconfdir)/libvirt/hooks/network.d $(DESTDIR)$(sysconfdir)/libvirt/hooks/qemu.d
	install -m 755 $(DAEMONS) $(DESTDIR)$(sbindir)/
	install -m 755 $(TEST_CLIENTS) $(DESTDIR)$(libexecdir)/
	for m in $(INSTALLED_MAN8); do $(SUBST) docs/man/$$m > $(DESTDIR)$(mandir)/man8/$$m; done
	for m in $(INSTALLED_MAN5); do $(SUBST) docs/man/$$m > $(DESTDIR)$(mandir)/man5/$$m; done
	install -m 644 tools/vdpctl/vdpctl.bash $(DESTDIR)$(datadir)/bash-completion/completions/vdpctl
	install -m 644 tools/vdpctl/_vdpctl $(DESTDIR)$(datadir)/zsh/vendor-completions/_vdpctl
	$(SUBST) docs/vdpd.service > $(DESTDIR)$(unitdir)/vdpd.service
	install -m 644 docs/vdpd.conf.example $(DESTDIR)$(datadir)/doc/vdpd/vdpd.conf.example
	@# An operator's configuration is never overwritten.
	[ -e $(DESTDIR)$(sysconfdir)/vdpd/vdpd.conf ] || \
		install -m 644 docs/vdpd.conf.example $(DESTDIR)$(sysconfdir)/vdpd/vdpd.conf
	@# libvirt (>= 6.5) runs every script in hooks/<driver>.d/: ours sits
	@# beside the operator's own hooks instead of replacing them.
	$(SUBST) tools/hooks/network > $(DESTDIR)$(sysconfdir)/libvirt/hooks/network.d/vdpd
	$(SUBST) tools/hooks/qemu > $(DESTDIR)$(sysconfdir)/libvirt/hooks/qemu.d/vdpd
	chmod 755 $(DESTDIR)$(sysconfdir)/libvirt/hooks/network.d/vdpd $(DESTDIR)$(sysconfdir)/libvirt/hooks/qemu.d/vdpd

# Removes what install put there; vdpd.conf only when it is still the
# example (an edited configuration stays).
uninstall:
	rm -f $(addprefix $(DESTDIR)$(sbindir)/,$(notdir $(DAEMONS))) \
		$(addprefix $(DESTDIR)$(libexecdir)/,$(notdir $(TEST_CLIENTS))) \
		$(addprefix $(DESTDIR)$(mandir)/man8/,$(INSTALLED_MAN8)) \
		$(addprefix $(DESTDIR)$(mandir)/man5/,$(INSTALLED_MAN5)) \
		$(DESTDIR)$(datadir)/bash-completion/completions/vdpctl \
		$(DESTDIR)$(datadir)/zsh/vendor-completions/_vdpctl \
		$(DESTDIR)$(unitdir)/vdpd.service \
		$(DESTDIR)$(sysconfdir)/libvirt/hooks/network.d/vdpd \
		$(DESTDIR)$(sysconfdir)/libvirt/hooks/qemu.d/vdpd
	! cmp -s docs/vdpd.conf.example $(DESTDIR)$(sysconfdir)/vdpd/vdpd.conf || \
		rm -f $(DESTDIR)$(sysconfdir)/vdpd/vdpd.conf
	rm -f $(DESTDIR)$(datadir)/doc/vdpd/vdpd.conf.example
	@# Only the directories that are vdpd's own, and only when empty.
	-rmdir $(DESTDIR)$(libexecdir) $(DESTDIR)$(datadir)/doc/vdpd $(DESTDIR)$(sysconfdir)/vdpd \
		$(DESTDIR)$(sysconfdir)/libvirt/hooks/network.d $(DESTDIR)$(sysconfdir)/libvirt/hooks/qemu.d \
		2>/dev/null

# A Debian package from the tree (dpkg-deb; the control files are in
# tools/debian/).  Prints the path of the .deb.
deb: $(PROGS)
	@tools/debian/build.sh $(BUILD)

clean:
	rm -rf build

# Keep every object (the pattern chains would otherwise delete them as intermediates).
.SECONDARY:

# SPDX-License-Identifier: GPL-2.0
# flowstat: one Makefile, everything into $(BUILD).
#   make         install missing packages, build everything
#   make test    build, then run every test (tests/run.sh)
#   make bench   build, then run the benchmarks
#   make demo    testbed + generated traffic + the live view
#   make fuzz    build, then run each libFuzzer target FUZZ_SECONDS (60)
#   make lint    scan-build and cppcheck over the userspace C
#   make check-asan  flowstat, flowgen and the C suites with ASan+UBSan in
#                $(BUILD)/asan, then their tests (tests/test_asan.sh)
#   make install / uninstall   [DESTDIR=...] [PREFIX=/usr/local]
#   make clean   remove $(BUILD)
#   V=1          show full commands

BUILD    ?= build
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PKGS     := libbpf libxdp libnl-route-3.0 ncursesw

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Lazy (=) so pkg-config and gcc run after scripts/install-deps.sh.
ARCH_INC   = -I/usr/include/$(shell $(CC) -dumpmachine)
# No sinking of common code: each epoch's copy of a program body must
# keep its own map operations (common/account.bpf.h).
BPF_CFLAGS = -target bpf -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	     -mcpu=v3 -mllvm -simplifycfg-sink-common=false $(ARCH_INC) -Icommon
CFLAGS    ?= -O2 -g
XCFLAGS    = $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	     -I$(BUILD) -Icommon -Icore -Iexport -Icmd -Iui \
	     $(shell pkg-config --cflags $(PKGS))
LDLIBS     = $(shell pkg-config --libs $(PKGS)) -lelf -lz -lm

# BPF objects: every *.bpf.c, flat in $(BUILD), each with a skeleton.
BPF_SRCS  := $(wildcard xdp/*.bpf.c tc/*.bpf.c flowgen/*.bpf.c tests/bpf/*.bpf.c)
BPF_OBJS  := $(addprefix $(BUILD)/,$(notdir $(BPF_SRCS:.bpf.c=.bpf.o)))
SKELS     := $(BPF_OBJS:.bpf.o=.skel.h)
BPF_HDRS  := $(wildcard common/*.h)

# flowstat: the core (core/), the exporters (export/), the commands
# (cmd/) and the live view (ui/). Everything but main() is linked into
# the C tests too.
CORE_SRCS := $(wildcard core/*.c export/*.c) \
	     $(filter-out cmd/main.c,$(wildcard cmd/*.c))
CORE_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CORE_SRCS))
UI_OBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard ui/*.c))
MAIN_OBJ  := $(BUILD)/obj/cmd/main.o
GEN_SRCS  := $(filter-out %.bpf.c,$(wildcard flowgen/*.c))
GEN_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(GEN_SRCS))

# Tests: tests/*_test.c are C suites, each linked with the core.
TEST_SRCS := $(wildcard tests/*_test.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
BENCH_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bench*.c))

# libFuzzer targets: tests/fuzz/NAME_fuzz.c fuzzes the source that
# FUZZ_SRC_NAME names (clang; Debian's libclang-rt-dev); tests/test_fuzz.sh
# runs them.
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/*_fuzz.c))
FUZZ_FLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	      -Icommon -Icore -Iexport -Icmd -Iflowgen -Itests/fuzz \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SRC_agent_config := cmd/agent_config.c
FUZZ_SRC_filter := core/filter.c
FUZZ_SRC_spec := flowgen/spec.c
FUZZ_SRC_http := export/http.c
FUZZ_SECONDS ?= 60

# make install: /etc/default/flowstat only where there is none (it is
# the admin's); uninstall leaves it. systemd reads units from
# /lib/systemd/system (Debian's own) and /usr/local/lib/systemd/system.
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),,$(PREFIX))/lib/systemd/system
DEFAULTS := /etc/default/flowstat
INSTALLED := $(SBINDIR)/flowstat $(MANDIR)/man8/flowstat.8 \
	     $(COMPDIR)/flowstat $(UNITDIR)/flowstat-agent.service

PROGS := $(BUILD)/flowstat $(if $(GEN_OBJS),$(BUILD)/flowgen)

.PHONY: all deps test bench demo fuzz lint asan check-asan install uninstall clean
# Keep the objects of the test programs (make deletes chained ones).
.SECONDARY:
all: $(PROGS) $(BPF_OBJS) $(TEST_BINS) $(BENCH_BINS) $(FUZZ_BINS)

deps:
	$(Q)scripts/install-deps.sh

$(BUILD)/%.bpf.o: $(BPF_HDRS) | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $(filter %/$(notdir $(@:.o=.c)),$(BPF_SRCS)) -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $(@:.skel.h=)) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(SKELS) $(wildcard common/*.h core/*.h export/*.h cmd/*.h ui/*.h flowgen/*.h tests/*.h) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) -c $< -o $@

$(BUILD)/flowstat: $(MAIN_OBJ) $(CORE_OBJS) $(UI_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XCFLAGS) $^ -o $@ $(LDLIBS)

# flowgen stands alone: it uses none of the core.
$(BUILD)/flowgen: $(GEN_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XCFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(CORE_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) $(SAN) $^ -o $@ $(LDLIBS)

# The native parser test runs under ASan and UBSan (a read past the
# frame is a bug). The parser reads packed headers, as BPF may.
PARSE_SAN := -fsanitize=address,undefined -fno-sanitize=alignment
$(BUILD)/obj/tests/parse_test.o: XCFLAGS += $(PARSE_SAN)
$(BUILD)/tests/parse_test: SAN = $(PARSE_SAN)

.SECONDEXPANSION:
$(BUILD)/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $$(FUZZ_SRC_$$*) tests/fuzz/fuzz.h \
		$(wildcard cmd/*.h core/*.h export/*.h flowgen/*.h common/*.h) | deps
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@

# BPF objects depend on their own source (flat names, so list them).
$(foreach s,$(BPF_SRCS),$(eval $(BUILD)/$(notdir $(s:.bpf.c=.bpf.o)): $(s)))

test: all
	$(Q)BUILD=$(BUILD) tests/run.sh

bench: all
	$(Q)BUILD=$(BUILD) tests/bench.sh

demo: all
	$(Q)BUILD=$(BUILD) scripts/demo.sh

fuzz: $(FUZZ_BINS)
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/test_fuzz.sh

# make lint: clang's static analyzer over every userspace .c, compiled
# afresh (-O0: only the analysis matters) into $(LINT_BUILD) with copies
# of this build's BPF objects and skeletons; then cppcheck over the same
# files. Both run; lint fails if either finds anything. A finding that is
# not a bug is silenced where it is, saying why: "cppcheck-suppress"
# comments (cppcheck reads GNU "err = f() ?: err" as err = err), what
# tests/lint_models.h tells the analyzer about libbpf, and below.
# cppcheck gets no system headers and no skeletons (slow, not ours to
# check): tests/lint.cfg gives it the libbpf macros instead. It may not
# flag void * arithmetic in parse.bpf.h: that is how BPF C (GNU C) walks
# a packet, and the verifier checks every bound.
LINT_BUILD ?= $(BUILD)/lint
SCAN_BUILD ?= scan-build
CPPCHECK   ?= cppcheck
LINT_JOBS  ?= $(shell nproc)
LINT_SRCS  := $(CORE_SRCS) $(MAIN_OBJ:$(BUILD)/obj/%.o=%.c) \
	      $(wildcard ui/*.c) $(GEN_SRCS) $(wildcard tests/*.c)
CPPCHECK_FLAGS = --enable=warning,performance,portability -q -j$(LINT_JOBS) \
	--error-exitcode=1 --inline-suppr --library=tests/lint.cfg \
	--suppress=arithOperationsOnVoidPointer:common/parse.bpf.h \
	-D_GNU_SOURCE -Icommon -Icore -Iexport -Icmd -Iui -Iflowgen -Itests
lint: $(SKELS)
	$(call msg,SCAN,$(LINT_BUILD))
	$(Q)rm -rf $(LINT_BUILD) && mkdir -p $(LINT_BUILD)
	$(Q)cp -p $(BPF_OBJS) $(SKELS) $(LINT_BUILD)/
	$(Q)s=0; $(SCAN_BUILD) --status-bugs -o $(LINT_BUILD)/scan \
		$(MAKE) --no-print-directory -j$(LINT_JOBS) \
		BUILD=$(LINT_BUILD) \
		CFLAGS="-O0 -include tests/lint_models.h" \
		$(LINT_SRCS:%.c=$(LINT_BUILD)/obj/%.o) || s=1; \
	printf '  %-8s %s\n' CPPCHECK "$(LINT_SRCS)" | cut -c1-78; \
	$(CPPCHECK) $(CPPCHECK_FLAGS) $(LINT_SRCS) || s=1; exit $$s
# make asan: flowstat, flowgen and the C suites again with ASan and UBSan
# in $(ASAN_BUILD); check-asan runs them (tests/test_asan.sh, which
# make test runs too). The BPF objects and skeletons are the plain
# build's, copied with their times so the sub-make keeps them: no
# sanitizer reaches BPF.
ASAN_BUILD  := $(BUILD)/asan
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer \
	       -fsanitize=address,undefined -fno-sanitize-recover=all
asan: $(BPF_OBJS) $(SKELS)
	$(Q)mkdir -p $(ASAN_BUILD)
	$(Q)cp -p $(BPF_OBJS) $(SKELS) $(ASAN_BUILD)/
	$(Q)$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) \
		CFLAGS='$(ASAN_CFLAGS)' \
		$(patsubst $(BUILD)/%,$(ASAN_BUILD)/%,$(PROGS) $(TEST_BINS))

check-asan: asan
	$(Q)BUILD=$(BUILD) tests/test_asan.sh

install: $(BUILD)/flowstat
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)mkdir -p $(BUILD)/systemd
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/flowstat-agent.service.in \
		> $(BUILD)/systemd/flowstat-agent.service
	$(Q)install -D -m 0755 $(BUILD)/flowstat $(DESTDIR)$(SBINDIR)/flowstat
	$(Q)install -D -m 0644 man/flowstat.8 $(DESTDIR)$(MANDIR)/man8/flowstat.8
	$(Q)install -D -m 0644 scripts/flowstat.bash-completion \
		$(DESTDIR)$(COMPDIR)/flowstat
	$(Q)install -D -m 0644 $(BUILD)/systemd/flowstat-agent.service \
		$(DESTDIR)$(UNITDIR)/flowstat-agent.service
	$(Q)test -e $(DESTDIR)$(DEFAULTS) || \
		install -D -m 0644 systemd/flowstat.default $(DESTDIR)$(DEFAULTS)

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

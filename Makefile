# SPDX-License-Identifier: GPL-2.0
# flowstat: one Makefile, everything into $(BUILD).
#   make         install missing packages, build everything
#   make test    build, then run every test (tests/run.sh)
#   make bench   build, then run the benchmarks
#   make demo    testbed + generated traffic + the live view
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
	     -I$(BUILD) -Icommon -Iuser -Iui -Iexport \
	     $(shell pkg-config --cflags $(PKGS))
LDLIBS     = $(shell pkg-config --libs $(PKGS)) -lelf -lz -lm

# BPF objects: every *.bpf.c, flat in $(BUILD), each with a skeleton.
BPF_SRCS  := $(wildcard xdp/*.bpf.c tc/*.bpf.c flowgen/*.bpf.c tests/bpf/*.bpf.c)
BPF_OBJS  := $(addprefix $(BUILD)/,$(notdir $(BPF_SRCS:.bpf.c=.bpf.o)))
SKELS     := $(BPF_OBJS:.bpf.o=.skel.h)
BPF_HDRS  := $(wildcard common/*.h)

# flowstat: the core (user/) and the live view (ui/).
CORE_SRCS := $(filter-out user/main.c,$(wildcard user/*.c)) $(wildcard export/*.c)
CORE_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CORE_SRCS))
UI_OBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard ui/*.c))
MAIN_OBJ  := $(BUILD)/obj/user/main.o
GEN_SRCS  := $(filter-out %.bpf.c,$(wildcard flowgen/*.c))
GEN_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(GEN_SRCS))

# Tests: tests/*_test.c are C suites, each linked with the core.
TEST_SRCS := $(wildcard tests/*_test.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
BENCH_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bench*.c))

PROGS := $(BUILD)/flowstat $(if $(GEN_OBJS),$(BUILD)/flowgen)

.PHONY: all deps test bench demo clean
# Keep the objects of the test programs (make deletes chained ones).
.SECONDARY:
all: $(PROGS) $(TEST_BINS) $(BENCH_BINS)

deps:
	$(Q)scripts/install-deps.sh

$(BUILD)/%.bpf.o: $(BPF_HDRS) | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $(filter %/$(notdir $(@:.o=.c)),$(BPF_SRCS)) -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $(@:.skel.h=)) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(SKELS) $(wildcard common/*.h user/*.h ui/*.h export/*.h flowgen/*.h tests/*.h) | deps
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

# BPF objects depend on their own source (flat names, so list them).
$(foreach s,$(BPF_SRCS),$(eval $(BUILD)/$(notdir $(s:.bpf.c=.bpf.o)): $(s)))

test: all
	$(Q)BUILD=$(BUILD) tests/run.sh

bench: all
	$(Q)BUILD=$(BUILD) tests/bench.sh

demo: all
	$(Q)BUILD=$(BUILD) scripts/demo.sh

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

# mvm: one build for everything. `make`, `make check`, `make asan`, `make install PREFIX=...`.
VERSION   := 0.1.0
.DEFAULT_GOAL := all
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
PKGS      := libseccomp yaml-0.1 jansson libsodium
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
CMOCKA_LIBS := $(shell pkg-config --libs cmocka)

ifeq ($(SAN),1)
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
WARN      := -Wall -Wextra -Werror -Wformat=2 -Wno-format-nonliteral -Wvla
OPT       ?= -O2
CFLAGS    ?= -g $(OPT)
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DMVM_VERSION=\"$(VERSION)\" $(WARN) $(CFLAGS) $(SANFLAGS) -I. $(PKG_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)


LIB_SRC      := $(sort $(wildcard lib/*.c))
COMPILER_SRC := $(filter-out compiler/main.c,$(sort $(wildcard compiler/*.c)))
STDLIB_FILES := $(sort $(patsubst stdlib/%,%,$(shell find stdlib -name '*.yaml')))
TEST_SRC     := $(sort $(wildcard tests/test_*.c))

LIB_OBJ      := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
COMPILER_OBJ := $(COMPILER_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/stdlib_embed.o

# Each part may add a fragment (grammar/grammar.mk, runtime/runtime.mk, bench/bench.mk, ...).
# A fragment appends to these and adds its own rules; it never redefines the ones above.
EXTRA_COMPILER_OBJ :=
EXTRA_BINS         :=
EXTRA_TEST_HELPERS :=
EXTRA_CLEAN        :=
include $(sort $(wildcard */*.mk */*/*.mk))
COMPILER_OBJ += $(EXTRA_COMPILER_OBJ)
TEST_BIN     := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_HELPERS := $(BUILD)/tests/json_vs_bpf $(BUILD)/tests/run_with_filter $(BUILD)/tests/probe

.PHONY: all check check-unit check-shell asan install clean regen-syscalls
all: $(BUILD)/bin/mvmc $(EXTRA_BINS) $(TEST_BIN) $(TEST_HELPERS) $(EXTRA_TEST_HELPERS)

$(BUILD)/obj/%.o: %.c $(wildcard lib/*.h compiler/*.h tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c $(wildcard lib/*.h compiler/*.h tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -Itests -c $< -o $@

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -Wall -Wextra -Werror $< -o $@

$(BUILD)/gen/stdlib_embed.c: $(BUILD)/tools/embed $(addprefix stdlib/,$(STDLIB_FILES))
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed $@ stdlib $(STDLIB_FILES)

$(BUILD)/obj/gen/stdlib_embed.o: $(BUILD)/gen/stdlib_embed.c compiler/stdlib.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/bin/mvmc: $(BUILD)/obj/compiler/main.o $(COMPILER_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ -o $@ $(PKG_LIBS)

$(BUILD)/tests/test_%: tests/test_%.c $(COMPILER_OBJ) $(LIB_OBJ) $(BUILD)/obj/tests/oci_runc.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -Itests $(ALL_LDFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/json_vs_bpf: $(BUILD)/obj/tests/json_vs_bpf.o $(BUILD)/obj/tests/oci_runc.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ -o $@ $(PKG_LIBS)

# Workload fixtures run under real seccomp filters; they are built without sanitizers, whose
# runtimes need calls (ptrace for LeakSanitizer) that the filters rightly deny.
FIXTURE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -g -O2

$(BUILD)/tests/run_with_filter: tests/tier/run_with_filter.c
	@mkdir -p $(dir $@)
	$(CC) $(FIXTURE_CFLAGS) $< -o $@

# The whole suite: unit tests (cmocka) then the shell tests in tests/*.sh.
check: all
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done
	@set -e; for t in $(filter-out tests/lib.sh,$(sort $(wildcard tests/*.sh))); do echo "== $$t"; BUILD=$(BUILD) bash $$t; done
	@echo "make check: all tests passed"

asan:
	$(MAKE) BUILD=build/asan SAN=1 OPT=-O1 check

install: $(BUILD)/bin/mvmc $(EXTRA_BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/mvm/stdlib/tiers $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/bin/mvmc $(EXTRA_BINS) $(DESTDIR)$(PREFIX)/bin/
	for f in $(STDLIB_FILES); do install -m 0644 stdlib/$$f $(DESTDIR)$(PREFIX)/share/mvm/stdlib/$$f; done
	install -m 0644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

# Regenerates the checked-in per-arch syscall table from the installed libseccomp.
regen-syscalls:
	$(CC) -std=c11 -Wall -Wextra -Werror tools/gen_syscall_table.c -o $(BUILD)/gen_syscall_table $(PKG_LIBS)
	$(BUILD)/gen_syscall_table > lib/syscall_table.c

clean:
	rm -rf build

$(BUILD)/tests/probe: tests/tier/probe.c
	@mkdir -p $(dir $@)
	$(CC) $(FIXTURE_CFLAGS) $< -o $@

# fuzz/: libFuzzer harnesses for every decoder (fuzz/README.md).
#
# Two builds of the same harness sources:
#  - replay (every build, `make check` and `make asan`): each harness linked with
#    fuzz/replay_main.c using the project's compiler and flags; tests/fuzz_regress.sh runs it on
#    the seed corpus and on every regression input in fuzz/regressions/;
#  - libFuzzer (`make fuzz-smoke`, `make fuzz`): a sub-make with BUILD=$(FUZZ_BUILD), clang and
#    -fsanitize=fuzzer-no-link,address,undefined on every project object, the harness linked
#    with -fsanitize=fuzzer.
# `make fuzz-coverage` replays the corpora in a clang source-coverage build and prints llvm-cov's
# line coverage of compiler/ and lib/.
FUZZ_TARGETS := yaml dsl compile import_oci dsse audit_line nonce_store config_toml bpf dns bpf_diff
FUZZ_SECONDS ?= 60
FUZZ_LONG_SECONDS ?= 1800
FUZZ_JOBS ?= 1
FUZZ_BUILD := build/fuzz
FUZZ_COV_BUILD := build/fuzz-cov
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LLVM_PROFDATA ?= llvm-profdata
LLVM_COV ?= llvm-cov

# Every project object a harness may need, in one archive (members by full path: several
# directories have files of the same name); the linker takes only what is used. Of the runtime,
# only the decoders' files and what they call: the launch path is not an input decoder.
FUZZ_RUNTIME_SRC := runtime/audit_log.c runtime/nonce_store.c runtime/config_toml.c runtime/plan.c runtime/paths.c
FUZZ_PROJECT_SRC := $(filter-out compiler/main.c,$(sort $(wildcard lib/*.c compiler/*.c grammar/*.c))) \
	$(FUZZ_RUNTIME_SRC)
FUZZ_LIB_OBJ := $(FUZZ_PROJECT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/stdlib_embed.o \
	$(BUILD)/obj/gen/grammar/parser.o $(BUILD)/obj/gen/grammar/lexer.o \
	$(BUILD)/obj/fuzz/fuzz_common.o $(BUILD)/obj/fuzz/fuzz_spec.o \
	$(BUILD)/obj/tests/bpf_differential.o $(BUILD)/obj/tests/oracle_libseccomp.o
FUZZ_LIB := $(BUILD)/lib/libmvm-fuzz.a
FUZZ_HDR := fuzz/fuzz.h fuzz/fuzz_spec.h runtime/runtime.h runtime/config_toml.h grammar/dsl.h compiler/spec_print.h
FUZZ_REPLAY := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay/%)
EXTRA_TEST_HELPERS += $(FUZZ_REPLAY)

# (kept: make would otherwise delete them as intermediates of the pattern rules below)
.SECONDARY: $(FUZZ_TARGETS:%=$(BUILD)/obj/fuzz/fuzz_%.o) $(BUILD)/obj/fuzz/replay_main.o

$(BUILD)/obj/fuzz/%.o: fuzz/%.c $(FUZZ_HDR) $(wildcard lib/*.h compiler/*.h tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcsP $@ $^

# FUZZ_WHOLE=1 (the coverage build) links every object of the archive, so that llvm-cov counts
# the lines of files no harness reaches, too.
comma := ,
FUZZ_LIB_LINK = $(if $(FUZZ_WHOLE),-Wl$(comma)--whole-archive $(FUZZ_LIB) -Wl$(comma)--no-whole-archive,$(FUZZ_LIB))
$(BUILD)/fuzz/replay/%: $(BUILD)/obj/fuzz/fuzz_%.o $(BUILD)/obj/fuzz/replay_main.o $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(filter %.o,$^) $(FUZZ_LIB_LINK) -o $@ $(PKG_LIBS)

# Only meaningful in the sub-make below (clang, sanitizer coverage on every object).
$(BUILD)/fuzz/bin/%: $(BUILD)/obj/fuzz/fuzz_%.o $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer $^ -o $@ $(PKG_LIBS)

.PHONY: fuzz-build fuzz-bins fuzz-replay-bins fuzz-smoke fuzz fuzz-coverage
fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/bin/%)
fuzz-replay-bins: $(FUZZ_REPLAY)

fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SANFLAGS="$(FUZZ_SAN)" OPT=-O1 fuzz-bins

# Each target for FUZZ_SECONDS (FUZZ_JOBS at a time); any crash, leak, timeout or failed
# property fails the run and leaves the input in $(FUZZ_BUILD)/crashes/.
fuzz-smoke: fuzz-build
	bash fuzz/run.sh --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) $(FUZZ_TARGETS)

# Long runs: FUZZ_LONG_SECONDS per target; the grown corpus stays in $(FUZZ_BUILD)/corpus/.
fuzz: fuzz-build
	bash fuzz/run.sh --build $(FUZZ_BUILD) --seconds $(FUZZ_LONG_SECONDS) --jobs $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-coverage:
	$(MAKE) BUILD=$(FUZZ_COV_BUILD) CC=$(FUZZ_CC) SANFLAGS="-fprofile-instr-generate -fcoverage-mapping" OPT=-O0 \
		FUZZ_WHOLE=1 fuzz-replay-bins
	LLVM_PROFDATA=$(LLVM_PROFDATA) LLVM_COV=$(LLVM_COV) bash fuzz/coverage.sh $(FUZZ_COV_BUILD) $(FUZZ_BUILD) $(FUZZ_TARGETS)

# tests/test_robustness.c checks the runtime's decoders too: the test_% rule links its
# prerequisites, so the runtime objects it needs are added here.
$(BUILD)/tests/test_robustness: $(FUZZ_RUNTIME_SRC:%.c=$(BUILD)/obj/%.o)

# bench/bpf_quality and bench/syscall_overhead (issue 4), and the BPF generator's test wiring.
# The benchmarks link the compiler objects and libseccomp, which they measure against through
# tests/oracle_libseccomp.c.
BPF_BENCH_BINS := $(BUILD)/bench/bpf_quality $(BUILD)/bench/syscall_overhead
EXTRA_BINS += $(BPF_BENCH_BINS)
ORACLE_OBJ := $(BUILD)/obj/tests/oracle_libseccomp.o $(BUILD)/obj/tests/bpf_differential.o

# The tests that compare mvmc's generator with libseccomp link the oracle too ($^ of the
# test_% pattern rule picks these prerequisites up).
$(BUILD)/tests/test_bpf_gen $(BUILD)/tests/test_bpf_random: $(ORACLE_OBJ)

# Linked against $(COMPILER_OBJ) as it stands when the recipe runs (other fragments add to it
# after this one is read); depending on mvmc makes sure those objects are built.
define bpf_bench_rule
$(BUILD)/bench/$(1): bench/$(1).c bench/bench_common.h $(ORACLE_OBJ) $(BUILD)/bin/mvmc
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) -Itests $$(ALL_LDFLAGS) $$< $$(ORACLE_OBJ) $$(COMPILER_OBJ) $$(LIB_OBJ) -o $$@ $$(PKG_LIBS)
endef
$(eval $(call bpf_bench_rule,bpf_quality))
$(eval $(call bpf_bench_rule,syscall_overhead))

.PHONY: check-long bench-bpf
# 100,000 random profiles against libseccomp (`make check` runs 1,000).
check-long: $(BUILD)/tests/test_bpf_random
	MVM_RANDOM_PROFILES=100000 $(BUILD)/tests/test_bpf_random

# Both BPF benchmarks (docs/bpf.md).
bench-bpf: $(BPF_BENCH_BINS)
	$(BUILD)/bench/bpf_quality
	$(BUILD)/bench/syscall_overhead

# runtime/backends/ (issue 6): the sandbox backend, the posture check, doctor and tiers; the
# test driver and its test-only variant, the unit tests that need runtime objects, the launch
# benchmark and the mutation build. runtime/runtime.mk links runtime/*.c into `mvm`; the
# backend objects below are linked by the rules here (and by `mvm` once `mvm run` is wired).
SANDBOX_SRC := $(sort $(wildcard runtime/backends/*.c))
SANDBOX_OBJ := $(SANDBOX_SRC:%.c=$(BUILD)/obj/%.o)
SANDBOX_HDR := runtime/backends/sandbox.h runtime/backends/sandbox_internal.h runtime/posture.h
POSTURE_OBJ := $(BUILD)/obj/runtime/posture.o
DOCTOR_OBJ  := $(BUILD)/obj/runtime/doctor.o $(BUILD)/obj/runtime/tiers.o $(BUILD)/obj/runtime/config_toml.o
DOCTOR_HDR  := runtime/doctor.h runtime/tiers.h runtime/config_toml.h

$(SANDBOX_OBJ) $(POSTURE_OBJ): $(SANDBOX_HDR)
$(DOCTOR_OBJ): $(DOCTOR_HDR)

# Unit tests (cmocka) on the pure parts: the test_% pattern rule links its prerequisites.
$(BUILD)/tests/test_posture: $(POSTURE_OBJ)
$(BUILD)/tests/test_config_toml: $(BUILD)/obj/runtime/config_toml.o
$(BUILD)/tests/test_doctor: $(DOCTOR_OBJ)

# The test-only switch (docs/sandbox.md): only sandbox_workload.c changes, and only the
# sandbox_driver_swap binary links that object. tests/sandbox_claim9.sh checks that nothing
# else contains it.
SANDBOX_SWAP_OBJ := $(filter-out %/sandbox_workload.o,$(SANDBOX_OBJ)) $(BUILD)/obj/test-swap/sandbox_workload.o
$(BUILD)/obj/test-swap/sandbox_workload.o: runtime/backends/sandbox_workload.c $(SANDBOX_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DMVM_TEST_SWAP_FILTER -c $< -o $@

$(BUILD)/tests/sandbox_driver: tests/sandbox_driver.c $(SANDBOX_OBJ) $(POSTURE_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ -o $@ $(PKG_LIBS)

$(BUILD)/tests/sandbox_driver_swap: tests/sandbox_driver.c $(SANDBOX_SWAP_OBJ) $(POSTURE_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ -o $@ $(PKG_LIBS)

EXTRA_TEST_HELPERS += $(BUILD)/tests/sandbox_driver $(BUILD)/tests/sandbox_driver_swap

# The mutation build (docs/sandbox.md): the seccomp step compiled out. The claim-9 tests (with
# and without a bundle) and the tier tests run against it and must fail; this target fails if
# any of them passes.
MUTATION_BUILD := build/mutation-no-seccomp
MUTATION_TESTS := tests/sandbox_claim9.sh tests/sandbox_tier.sh tests/sandbox_bundle.sh
.PHONY: mutation-no-seccomp
mutation-no-seccomp:
	$(MAKE) BUILD=$(MUTATION_BUILD) CFLAGS="-g -O2 -DMVM_MUTATION_NO_SECCOMP" \
		$(MUTATION_BUILD)/bin/mvmc $(MUTATION_BUILD)/tests/sandbox_driver \
		$(MUTATION_BUILD)/tests/sandbox_driver_swap $(MUTATION_BUILD)/tests/probe
	@set -u; bad=0; for t in $(MUTATION_TESTS); do \
		echo "== $$t against the no-seccomp mutation (expected to fail)"; \
		if BUILD=$(MUTATION_BUILD) bash $$t; then echo "MUTATION SURVIVED: $$t passed without the seccomp step" >&2; bad=1; \
		else echo "ok: $$t failed against the mutation, as it must"; fi; \
	done; exit $$bad

# bench/launch (docs/sandbox.md): built with everything so it keeps compiling; `make
# bench-launch` builds a filter from a profile extending `standard` and runs it.
EXTRA_TEST_HELPERS += $(BUILD)/bench/launch
$(BUILD)/bench/launch: bench/launch.c $(SANDBOX_OBJ) $(POSTURE_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ -o $@ $(PKG_LIBS)

.PHONY: bench-launch
bench-launch: $(BUILD)/bench/launch $(BUILD)/bin/mvmc $(BUILD)/tests/sandbox_driver
	@mkdir -p $(BUILD)/bench/launch-profile
	printf 'mvm: 1\nname: bench-launch\nextends: standard\n' > $(BUILD)/bench/launch-profile/profile.yaml
	$(BUILD)/bin/mvmc build $(BUILD)/bench/launch-profile/profile.yaml -o $(BUILD)/bench/launch-profile/out
	$(BUILD)/bench/launch --filter $(BUILD)/bench/launch-profile/out/seccomp.$$(uname -m).bpf \
		--driver $(BUILD)/tests/sandbox_driver --runs $${RUNS:-50}

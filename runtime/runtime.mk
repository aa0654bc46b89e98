# runtime/: the `mvm` binary, and the unit tests that link the runtime's objects.
# The runtime links the compiler's objects through an archive, so only what it uses (the
# stdlib loader, for the intent ceiling) ends up in `mvm`.
RUNTIME_SRC := $(filter-out runtime/main.c,$(sort $(wildcard runtime/*.c)))
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(BUILD)/obj/%.o)
RUNTIME_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/test_admission*.c tests/test_audit*.c tests/test_egress*.c)))
# runtime/egress*.c applies nftables rules through libnftables (docs/egress.md).
NFT_LIBS := $(shell pkg-config --libs libnftables)
EXTRA_BINS += $(BUILD)/bin/mvm

$(RUNTIME_OBJ) $(BUILD)/obj/runtime/main.o: runtime/runtime.h
$(filter %/egress.o %/egress_nft.o %/egress_plan.o %/run.o,$(RUNTIME_OBJ)): runtime/egress.h runtime/egress_internal.h runtime/backends/sandbox.h runtime/posture.h

# Built after mvmc, so that every compiler object (including those other fragments add) exists;
# the member list is expanded when the recipe runs, after every fragment was read.
$(BUILD)/lib/libmvmc.a: $(BUILD)/bin/mvmc
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcsP $@ $(COMPILER_OBJ)

# `mvm run` launches through the sandbox backend (runtime/backends/backends.mk, read first).
$(BUILD)/bin/mvm: $(BUILD)/obj/runtime/main.o $(RUNTIME_OBJ) $(SANDBOX_OBJ) $(BUILD)/lib/libmvmc.a $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(BUILD)/obj/runtime/main.o $(RUNTIME_OBJ) $(SANDBOX_OBJ) $(BUILD)/lib/libmvmc.a $(LIB_OBJ) -o $@ $(PKG_LIBS) $(NFT_LIBS)

$(RUNTIME_TESTS): $(BUILD)/tests/%: tests/%.c $(RUNTIME_OBJ) $(SANDBOX_OBJ) $(BUILD)/lib/libmvmc.a $(LIB_OBJ) $(BUILD)/bin/mvmc
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ilib -Itests -DMVM_BUILD_DIR=\"$(BUILD)\" $(ALL_LDFLAGS) $< $(RUNTIME_OBJ) $(SANDBOX_OBJ) $(BUILD)/lib/libmvmc.a $(LIB_OBJ) -o $@ $(PKG_LIBS) $(NFT_LIBS) $(CMOCKA_LIBS)

# bench/admission: built with everything (so it keeps compiling; not installed), run with
# `make bench-admission`.
EXTRA_TEST_HELPERS += $(BUILD)/bench/admission
.PHONY: bench-admission
$(BUILD)/bench/admission: bench/admission.c runtime/runtime.h $(RUNTIME_OBJ) $(SANDBOX_OBJ) $(BUILD)/lib/libmvmc.a $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(RUNTIME_OBJ) $(SANDBOX_OBJ) $(BUILD)/lib/libmvmc.a $(LIB_OBJ) -o $@ $(PKG_LIBS) $(NFT_LIBS)

bench-admission: $(BUILD)/bench/admission $(BUILD)/bin/mvmc
	$(BUILD)/bench/admission --mvmc $(BUILD)/bin/mvmc

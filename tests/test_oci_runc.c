/* Unit tests of the runc emulation (tests/oci_runc.c) on hand-written seccomp.json objects. Each
 * test builds runc's program for one arch and runs it in lib/bpf_interp to assert decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_interp.h"
#include "oci_runc.h"

#define ARCHES "\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_AARCH64\"]"
#define RET_ALLOW 0x7fff0000u
#define RET_LOG 0x7ffc0000u
#define RET_KILL_THREAD 0x00000000u
#define RET_KILL_PROCESS 0x80000000u
#define RET_ERRNO(e) (0x00050000u | (uint32_t)(e))

struct runc_prog {
	uint32_t arch; /* SCMP_ARCH_* token, equal to the AUDIT_ARCH value for these arches */
	struct sock_filter *insn;
	size_t len;
	struct oci_runc_info info;
};

static void load(struct runc_prog *p, const char *json, uint32_t arch)
{
	char err[512] = "";
	size_t bad = 0;
	int rc = oci_runc_compile_info(json, strlen(json), arch, &p->insn, &p->len, &p->info, err,
				       sizeof(err));
	if (rc != 0)
		fail_msg("oci_runc_compile_info: %d: %s", rc, err);
	assert_int_equal(mvm_bpf_check(p->insn, p->len, &bad), 0);
	p->arch = arch;
}

static void unload(struct runc_prog *p)
{
	free(p->insn);
	p->insn = NULL;
}

static uint32_t decide_on(const struct runc_prog *p, uint32_t audit_arch, uint32_t nr, uint64_t a0,
			  uint64_t a1)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = audit_arch, .args = { a0, a1 } };
	uint32_t ret = 0xdeadbeef;
	assert_int_equal(mvm_bpf_run(p->insn, p->len, &d, &ret, NULL), 0);
	return ret;
}

static uint32_t decide(const struct runc_prog *p, uint32_t nr, uint64_t a0, uint64_t a1)
{
	return decide_on(p, p->arch, nr, a0, a1);
}

static int nr_of(uint32_t arch, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(arch, name);
	assert_true(nr >= 0);
	return nr;
}

static int refusal(const char *json)
{
	struct sock_filter *insn = NULL;
	size_t len = 0;
	char err[512] = "";
	int rc = oci_runc_compile(json, strlen(json), SCMP_ARCH_X86_64, &insn, &len, err, sizeof(err));
	assert_null(insn);
	assert_true(err[0] != '\0' || rc == -ENOMEM);
	return rc;
}

static void test_scmp_act_kill_is_kill_thread(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_KILL\"},"
		 "{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}]}",
	     SCMP_ARCH_X86_64);
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "ptrace"), 0, 0), RET_KILL_THREAD);
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "kill"), 0, 0), RET_KILL_PROCESS);
	unload(&p);
}

static void test_rule_equal_to_default_is_skipped(void **state)
{
	(void)state;
	/* libseccomp refuses a rule whose action is the default one... */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	assert_non_null(ctx);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr_of(seccomp_arch_native(), "read"), 0),
			 -EACCES);
	seccomp_release(ctx);
	/* ...so loading one at all proves runc skipped it; ERRNO without errnoRet is EPERM. */
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\"},"
		 "{\"names\": [\"close\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1},"
		 "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	     SCMP_ARCH_X86_64);
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "read"), 0, 0), RET_ERRNO(EPERM));
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "close"), 0, 0), RET_ERRNO(EPERM));
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "write"), 0, 0), RET_ALLOW);
	unload(&p);
}

static void test_rule_with_other_errno_than_default_is_kept(void **state)
{
	(void)state;
	struct runc_prog p;
	/* errnoRet goes through int16: 65538 is errno 2 */
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
		 "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 65538}]}",
	     SCMP_ARCH_X86_64);
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "read"), 0, 0), RET_ERRNO(EACCES));
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "write"), 0, 0), RET_ERRNO(2));
	unload(&p);
}

static void test_unknown_syscall_name_is_ignored(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"no_such_syscall\", \"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	     SCMP_ARCH_X86_64);
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "read"), 0, 0), RET_ALLOW);
	unload(&p);
}

static void test_name_missing_on_target_arch_is_accepted(void **state)
{
	(void)state;
	struct runc_prog p;
	/* "open" does not exist on aarch64: runc adds it as a pseudo syscall, and nothing fails */
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"open\", \"openat\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	     SCMP_ARCH_AARCH64);
	assert_int_equal(seccomp_syscall_resolve_name_arch(SCMP_ARCH_AARCH64, "open") < 0, 1);
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "openat"), 0, 0), RET_ALLOW);
	unload(&p);
}

static void test_two_conditions_on_same_index_are_ored(void **state)
{
	(void)state;
	struct runc_prog p;
	/* TIOCSTI and TIOCLINUX on arg 1: ANDed, nothing could match both */
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
		 "{\"index\": 1, \"value\": 21522, \"op\": \"SCMP_CMP_EQ\"},"
		 "{\"index\": 1, \"value\": 21532, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	     SCMP_ARCH_X86_64);
	uint32_t ioctl = (uint32_t)nr_of(p.arch, "ioctl");
	assert_int_equal(decide(&p, ioctl, 0, 0x5412), RET_ALLOW);
	assert_int_equal(decide(&p, ioctl, 0, 0x541c), RET_ALLOW);
	assert_int_equal(decide(&p, ioctl, 0, 0x5413), RET_ERRNO(EPERM));
	unload(&p);
}

static void test_same_index_split_also_splits_conditions_on_other_indices(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
		 "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
		 "{\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"},"
		 "{\"index\": 1, \"value\": 5, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	     SCMP_ARCH_X86_64);
	uint32_t socket = (uint32_t)nr_of(p.arch, "socket");
	assert_int_equal(decide(&p, socket, 3, 5), RET_ALLOW); /* arg1 alone is enough */
	assert_int_equal(decide(&p, socket, 2, 9), RET_ALLOW);
	assert_int_equal(decide(&p, socket, 3, 6), RET_ERRNO(EPERM));
	unload(&p);
}

static void test_conditions_on_distinct_indices_are_anded(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
		 "{\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"},"
		 "{\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	     SCMP_ARCH_X86_64);
	uint32_t socket = (uint32_t)nr_of(p.arch, "socket");
	assert_int_equal(decide(&p, socket, 2, 1), RET_ALLOW);
	assert_int_equal(decide(&p, socket, 2, 2), RET_ERRNO(EPERM));
	assert_int_equal(decide(&p, socket, 3, 1), RET_ERRNO(EPERM));
	unload(&p);
}

static void test_masked_eq_on_low_32_bits_ignores_garbage_high_bits(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"args\": ["
		 "{\"index\": 1, \"value\": 4294967295, \"valueTwo\": 21522, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}",
	     SCMP_ARCH_X86_64);
	uint32_t ioctl = (uint32_t)nr_of(p.arch, "ioctl");
	assert_int_equal(decide(&p, ioctl, 0, 0x5412), RET_ERRNO(EPERM));
	assert_int_equal(decide(&p, ioctl, 0, 0xdeadbeef00005412ull), RET_ERRNO(EPERM));
	assert_int_equal(decide(&p, ioctl, 0, 0x5413), RET_ALLOW);
	unload(&p);
}

static void test_plain_eq_compares_all_64_bits(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": ["
		 "{\"index\": 1, \"value\": 21522, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	     SCMP_ARCH_X86_64);
	uint32_t ioctl = (uint32_t)nr_of(p.arch, "ioctl");
	assert_int_equal(decide(&p, ioctl, 0, 0x5412), RET_ERRNO(EPERM));
	assert_int_equal(decide(&p, ioctl, 0, 0xdeadbeef00005412ull), RET_ALLOW);
	unload(&p);
}

static void test_values_above_int64_max_are_read_exactly(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"mmap\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": ["
		 "{\"index\": 1, \"value\": 18446744073709551615, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	     SCMP_ARCH_X86_64);
	uint32_t mmap = (uint32_t)nr_of(p.arch, "mmap");
	assert_int_equal(decide(&p, mmap, 0, ~0ull), RET_ERRNO(EPERM));
	assert_int_equal(decide(&p, mmap, 0, ~0ull - 1), RET_ALLOW);
	unload(&p);
}

static void test_aarch64_target_resolves_aarch64_numbers(void **state)
{
	(void)state;
	static const char json[] = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCHES ", \"syscalls\": ["
				   "{\"names\": [\"openat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13}]}";
	struct runc_prog a, x;
	load(&a, json, SCMP_ARCH_AARCH64);
	load(&x, json, SCMP_ARCH_X86_64);
	assert_int_equal(decide(&a, 56, 0, 0), RET_ERRNO(EACCES));
	assert_int_equal(decide(&a, 257, 0, 0), RET_ALLOW);
	assert_int_equal(decide(&x, 257, 0, 0), RET_ERRNO(EACCES));
	assert_int_equal(decide(&x, 56, 0, 0), RET_ALLOW);
	unload(&a);
	unload(&x);
}

static void test_other_arch_token_gets_libseccomp_kill_thread(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
	     SCMP_ARCH_AARCH64);
	assert_int_equal(p.info.badarch_action, RET_KILL_THREAD);
	assert_int_equal(decide_on(&p, SCMP_ARCH_X86_64, 0, 0, 0), RET_KILL_THREAD);
	unload(&p);
}

static void test_enosys_stub_answers_numbers_above_highest_named(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"read\", \"write\", \"openat\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	     SCMP_ARCH_X86_64);
	assert_true(p.info.stub && p.info.stub_native);
	assert_int_equal(p.info.stub_native_max, 257);
	assert_int_equal(decide(&p, 257, 0, 0), RET_ALLOW);
	assert_int_equal(decide(&p, 100, 0, 0), RET_KILL_PROCESS);
	assert_int_equal(decide(&p, 258, 0, 0), RET_ERRNO(ENOSYS));
	assert_int_equal(decide(&p, 0x80000000u, 0, 0), RET_ERRNO(ENOSYS)); /* x32 bit clear */
	assert_int_equal(oci_runc_origin_of(&p.info, 258), OCI_RUNC_FROM_STUB);
	assert_int_equal(oci_runc_origin_of(&p.info, 100), OCI_RUNC_FROM_JSON);
	unload(&p);
}

static void test_enosys_stub_counts_names_skipped_as_default(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
		 "{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
	     SCMP_ARCH_X86_64);
	assert_int_equal(p.info.stub_native_max, 435);
	assert_int_equal(decide(&p, 435, 0, 0), RET_ERRNO(EPERM));
	assert_int_equal(decide(&p, 436, 0, 0), RET_ERRNO(ENOSYS));
	unload(&p);
}

static void test_enosys_stub_absent_when_default_is_permissive(void **state)
{
	(void)state;
	static const char *const defaults[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE" };
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		char json[512];
		struct runc_prog p;
		snprintf(json, sizeof(json), "{\"defaultAction\": \"%s\", " ARCHES ", \"syscalls\": ["
			 "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}]}", defaults[i]);
		load(&p, json, SCMP_ARCH_X86_64);
		assert_false(p.info.stub);
		assert_int_not_equal(decide(&p, 500, 0, 0), RET_ERRNO(ENOSYS));
		unload(&p);
	}
}

static void test_enosys_stub_dropped_only_by_default_errno_ret_327718(void **state)
{
	(void)state;
	struct runc_prog p;
	/* runc compares defaultErrnoRet with SCMP_ACT_ERRNO(ENOSYS), not with ENOSYS */
	load(&p, "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"defaultErrnoRet\": 38, " ARCHES
		 ", \"syscalls\": [{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	     SCMP_ARCH_X86_64);
	assert_true(p.info.stub);
	assert_int_equal(decide(&p, 2, 0, 0), RET_ERRNO(ENOSYS));
	unload(&p);
	load(&p, "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"defaultErrnoRet\": 327718, " ARCHES
		 ", \"syscalls\": [{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	     SCMP_ARCH_X86_64);
	assert_false(p.info.stub);
	assert_int_equal(decide(&p, 2, 0, 0), RET_KILL_PROCESS);
	unload(&p);
}

static void test_x32_numbers_get_kill_thread_except_minus_one(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCHES ", \"syscalls\": ["
		 "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	     SCMP_ARCH_X86_64);
	assert_true(p.info.x32_is_badarch);
	assert_int_equal(decide(&p, 0x40000000u, 0, 0), RET_KILL_THREAD); /* x32 read */
	assert_int_equal(oci_runc_origin_of(&p.info, 0x40000000u), OCI_RUNC_FROM_BADARCH);
	assert_int_equal(decide(&p, 0xffffffffu, 0, 0), RET_ERRNO(EPERM));
	assert_int_equal(oci_runc_origin_of(&p.info, 0xffffffffu), OCI_RUNC_FROM_JSON);
	unload(&p);
}

static void test_seccomp_disabled_without_default_action_and_syscalls(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{" ARCHES "}", SCMP_ARCH_X86_64);
	assert_int_equal(decide(&p, 0, 0, 0), RET_ALLOW);
	assert_int_equal(decide(&p, 0x40000000u, 0, 0), RET_ALLOW);
	unload(&p);
}

static void test_keys_match_case_insensitively_like_go(void **state)
{
	(void)state;
	struct runc_prog p;
	load(&p, "{\"DefaultAction\": \"SCMP_ACT_ALLOW\", \"SYSCALLS\": [{\"Names\": [\"ptrace\"], "
		 "\"ACTION\": \"SCMP_ACT_ERRNO\", \"ignoredKey\": true}]}",
	     SCMP_ARCH_X86_64);
	assert_int_equal(decide(&p, (uint32_t)nr_of(p.arch, "ptrace"), 0, 0), RET_ERRNO(EPERM));
	unload(&p);
}

static void test_what_runc_refuses_is_refused(void **state)
{
	(void)state;
	assert_int_equal(refusal("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
				 "{\"names\": [\"\"], \"action\": \"SCMP_ACT_ALLOW\"}]}"), -EINVAL);
	assert_int_equal(refusal("{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"syscalls\": ["
				 "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}"), -EINVAL);
	assert_int_equal(refusal("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
				 "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"), -EINVAL);
	assert_int_equal(refusal("{\"defaultAction\": \"SCMP_ACT_DENY\"}"), -EINVAL);
	assert_int_equal(refusal("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
				 "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
				 "[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_BOGUS\"}]}]}"), -EINVAL);
	assert_int_equal(refusal("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": "
				 "[\"SCMP_ARCH_VAX\"]}"), -EINVAL);
	assert_int_equal(refusal("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": "
				 "[\"SECCOMP_FILTER_FLAG_BOGUS\"]}"), -EINVAL);
	assert_int_equal(refusal("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 5000}"),
			 -EINVAL);
	assert_int_equal(refusal("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
				 "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
				 "[{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}"), -EINVAL);
	assert_true(refusal("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
			    "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
			    "[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]},"
			    "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_TRAP\", \"args\": "
			    "[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}") < 0);
	assert_int_equal(refusal("{\"defaultAction\": "), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scmp_act_kill_is_kill_thread),
		cmocka_unit_test(test_rule_equal_to_default_is_skipped),
		cmocka_unit_test(test_rule_with_other_errno_than_default_is_kept),
		cmocka_unit_test(test_unknown_syscall_name_is_ignored),
		cmocka_unit_test(test_name_missing_on_target_arch_is_accepted),
		cmocka_unit_test(test_two_conditions_on_same_index_are_ored),
		cmocka_unit_test(test_same_index_split_also_splits_conditions_on_other_indices),
		cmocka_unit_test(test_conditions_on_distinct_indices_are_anded),
		cmocka_unit_test(test_masked_eq_on_low_32_bits_ignores_garbage_high_bits),
		cmocka_unit_test(test_plain_eq_compares_all_64_bits),
		cmocka_unit_test(test_values_above_int64_max_are_read_exactly),
		cmocka_unit_test(test_aarch64_target_resolves_aarch64_numbers),
		cmocka_unit_test(test_other_arch_token_gets_libseccomp_kill_thread),
		cmocka_unit_test(test_enosys_stub_answers_numbers_above_highest_named),
		cmocka_unit_test(test_enosys_stub_counts_names_skipped_as_default),
		cmocka_unit_test(test_enosys_stub_absent_when_default_is_permissive),
		cmocka_unit_test(test_enosys_stub_dropped_only_by_default_errno_ret_327718),
		cmocka_unit_test(test_x32_numbers_get_kill_thread_except_minus_one),
		cmocka_unit_test(test_seccomp_disabled_without_default_action_and_syscalls),
		cmocka_unit_test(test_keys_match_case_insensitively_like_go),
		cmocka_unit_test(test_what_runc_refuses_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

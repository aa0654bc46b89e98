/* mvm doctor and tiers (runtime/doctor.c, runtime/tiers.c): probes against fixtures, backend
 * auto-selection (never a backend that is not built), claims per backend, the tier-3 banner and
 * its acknowledgement (environment, config file under MVM_HOME or HOME), --require-tier. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/canon_json.h"
#include "runtime/doctor.h"
#include "runtime/tiers.h"

static void all_probes(struct mvm_probes *p, bool ok)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < MVM_PROBE_COUNT; i++)
		p->p[i].ok = ok;
}

static void test_auto_selection_never_picks_a_backend_that_is_not_built(void **state)
{
	(void)state;
	struct mvm_probes p;
	struct mvm_selection s;
	all_probes(&p, true); /* KVM, firecracker, qemu, docker: everything the host could offer */
	assert_int_equal(mvm_backend_select(&p, "auto", &s), 0);
	assert_true(s.found);
	assert_int_equal(s.chosen, MVM_BACKEND_SANDBOX);
	assert_true(s.backend[MVM_BACKEND_FIRECRACKER].available);
	assert_false(s.backend[MVM_BACKEND_FIRECRACKER].built);
	assert_false(s.backend[MVM_BACKEND_QEMU].built);
	assert_false(s.backend[MVM_BACKEND_DOCKER].built);
	assert_int_equal(mvm_backend_select(&p, NULL, &s), 0);
	assert_int_equal(s.chosen, MVM_BACKEND_SANDBOX);
}

static void test_explicit_backends_not_built_unknown_or_unavailable_are_refused_with_a_reason(void **state)
{
	(void)state;
	struct mvm_probes p;
	struct mvm_selection s;
	all_probes(&p, true);
	assert_int_equal(mvm_backend_select(&p, "qemu", &s), -ENOSYS);
	assert_non_null(strstr(s.error, "qemu (tier 2) is not built yet"));
	assert_int_equal(mvm_backend_select(&p, "firecracker", &s), -ENOSYS);
	assert_int_equal(mvm_backend_select(&p, "docker", &s), -ENOSYS);
	assert_int_equal(mvm_backend_select(&p, "vmware", &s), -EINVAL);
	assert_int_equal(mvm_backend_select(&p, "sandbox", &s), 0);
	assert_int_equal(s.chosen, MVM_BACKEND_SANDBOX);
	p.p[MVM_PROBE_MOUNT_API].ok = false;
	assert_int_equal(mvm_backend_select(&p, "sandbox", &s), -ENODEV);
	assert_non_null(strstr(s.error, "mount API"));
}

static void test_sandbox_needs_user_namespaces_only_without_root(void **state)
{
	(void)state;
	struct mvm_probes p;
	struct mvm_selection s;
	all_probes(&p, true);
	p.p[MVM_PROBE_USERNS].ok = false;
	p.root = false;
	assert_int_equal(mvm_backend_select(&p, "auto", &s), -ENOENT);
	assert_false(s.found);
	assert_non_null(strstr(s.error, "user namespaces"));
	p.root = true;
	assert_int_equal(mvm_backend_select(&p, "auto", &s), 0);
	p.p[MVM_PROBE_SECCOMP].ok = false;
	assert_int_equal(mvm_backend_select(&p, "auto", &s), -ENOENT);
	assert_non_null(strstr(s.error, "seccomp"));
}

static void test_claims_follow_the_backend_and_the_filter_read_back(void **state)
{
	(void)state;
	struct mvm_claim_status c[MVM_CLAIM_COUNT];
	mvm_claims_for(MVM_BACKEND_SANDBOX, true, c);
	for (int i = 0; i < MVM_CLAIM_COUNT; i++)
		assert_int_equal(c[i].id, i + 1);
	assert_int_equal(c[0].state, MVM_CLAIM_PARTLY);       /* host root view */
	assert_int_equal(c[1].state, MVM_CLAIM_HOLDS);
	assert_int_equal(c[2].state, MVM_CLAIM_DOES_NOT_HOLD); /* no verity root */
	assert_int_equal(c[8].state, MVM_CLAIM_HOLDS);
	assert_string_equal(c[8].gate, "tests/sandbox_claim9.sh");
	mvm_claims_for(MVM_BACKEND_SANDBOX, false, c);
	assert_int_equal(c[8].state, MVM_CLAIM_PARTLY);
	assert_non_null(strstr(c[8].why, "--require-posture full"));
	mvm_claims_for(MVM_BACKEND_FIRECRACKER, true, c);
	for (int i = 0; i < MVM_CLAIM_COUNT; i++)
		assert_int_equal(c[i].state, MVM_CLAIM_NOT_BUILT);
}

static void test_tier3_banner_names_tier_backend_claims_and_cve_classes(void **state)
{
	(void)state;
	struct mvm_buf b = { 0 };
	mvm_tier_banner(&b, MVM_BACKEND_SANDBOX, true);
	assert_non_null(b.data);
	assert_non_null(strstr(b.data, "TIER 3 (backend: sandbox)"));
	assert_non_null(strstr(b.data, "host kernel"));
	assert_non_null(strstr(b.data, "CVE-2022-0492"));
	assert_non_null(strstr(b.data, "claim 3 (a tampered rootfs fails to boot) does not hold"));
	assert_non_null(strstr(b.data, "claim 1 "));
	assert_null(strstr(b.data, "claim 9 ")); /* holds when the filter can be read back */
	assert_non_null(strstr(b.data, "MVM_ACK_DOCKER_TIER=1"));
	mvm_buf_free(&b);
	mvm_tier_banner(&b, MVM_BACKEND_SANDBOX, false);
	assert_non_null(strstr(b.data, "claim 9 "));
	mvm_buf_free(&b);
	mvm_tier_banner(&b, MVM_BACKEND_DOCKER, true);
	assert_non_null(strstr(b.data, "TIER 3 (backend: docker)"));
	mvm_buf_free(&b);
	mvm_tier_banner(&b, MVM_BACKEND_FIRECRACKER, true);
	mvm_tier_banner(&b, MVM_BACKEND_QEMU, true);
	assert_int_equal(b.len, 0);
	mvm_buf_free(&b);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_ack_comes_from_the_environment_or_the_config_under_mvm_home_or_home(void **state)
{
	(void)state;
	char home[] = "/tmp/mvm-test-ack-XXXXXX", path[256], dotmvm[256];
	assert_non_null(mkdtemp(home));
	struct mvm_tier_ack a;
	assert_int_equal(mvm_tier_ack("1", NULL, NULL, &a), 0);
	assert_true(a.acked);
	assert_string_equal(a.source, "MVM_ACK_DOCKER_TIER");
	static const char *const not_ack[] = { "0", "", "yes", "true", "11" };
	for (size_t i = 0; i < sizeof(not_ack) / sizeof(not_ack[0]); i++) {
		mvm_tier_ack(not_ack[i], home, NULL, &a);
		assert_false(a.acked);
	}
	/* MVM_HOME/config.toml */
	snprintf(path, sizeof(path), "%s/config.toml", home);
	write_text(path, "[security]\nack_docker_tier = true\n");
	mvm_tier_ack(NULL, home, "/nonexistent", &a);
	assert_true(a.acked);
	assert_string_equal(a.source, "config");
	assert_string_equal(a.config, path);
	write_text(path, "[security]\nack_docker_tier = false\n");
	mvm_tier_ack(NULL, home, NULL, &a);
	assert_false(a.acked);
	assert_string_equal(a.warning, "");
	/* Wrong type, malformed file, the key in another table: no ack; the first two warn. */
	write_text(path, "[security]\nack_docker_tier = \"true\"\n");
	mvm_tier_ack(NULL, home, NULL, &a);
	assert_false(a.acked);
	assert_non_null(strstr(a.warning, "must be true or false"));
	write_text(path, "[security]\nack_docker_tier = true\nack_docker_tier = true\n");
	mvm_tier_ack(NULL, home, NULL, &a);
	assert_false(a.acked);
	assert_non_null(strstr(a.warning, "3:1: key 'ack_docker_tier' defined twice"));
	write_text(path, "ack_docker_tier = true\n[other]\n");
	mvm_tier_ack(NULL, home, NULL, &a);
	assert_false(a.acked);
	/* HOME/.mvm/config.toml when MVM_HOME is unset or empty; MVM_HOME wins when set. */
	snprintf(dotmvm, sizeof(dotmvm), "%s/.mvm", home);
	assert_int_equal(mkdir(dotmvm, 0700), 0);
	snprintf(path, sizeof(path), "%s/.mvm/config.toml", home);
	write_text(path, "[security]\nack_docker_tier = true\n");
	mvm_tier_ack(NULL, "", home, &a);
	assert_true(a.acked);
	assert_string_equal(a.config, path);
	mvm_tier_ack(NULL, "/nonexistent-mvm-home", home, &a);
	assert_false(a.acked);
	assert_string_equal(a.warning, "");
	unlink(path);
	rmdir(dotmvm);
	snprintf(path, sizeof(path), "%s/config.toml", home);
	unlink(path);
	rmdir(home);
}

static void test_require_tier_refuses_lower_tiers(void **state)
{
	(void)state;
	char err[128];
	assert_int_equal(mvm_require_tier(3, 3, err, sizeof(err)), 0);
	assert_int_equal(mvm_require_tier(3, 1, err, sizeof(err)), 0);
	assert_int_equal(mvm_require_tier(2, 2, err, sizeof(err)), 0);
	assert_int_equal(mvm_require_tier(2, 3, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "tier 3, below the required tier 2"));
	assert_int_equal(mvm_require_tier(1, 2, err, sizeof(err)), -EPERM);
	assert_int_equal(mvm_require_tier(0, 3, err, sizeof(err)), -EINVAL);
	assert_int_equal(mvm_require_tier(4, 3, err, sizeof(err)), -EINVAL);
	int n;
	assert_int_equal(mvm_tier_parse("2", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mvm_tier_parse("4", &n), -EINVAL);
	assert_int_equal(mvm_tier_parse("12", &n), -EINVAL);
	assert_int_equal(mvm_tier_parse("", &n), -EINVAL);
}

/* A one-shot fake Docker engine on a unix socket: answers /_ping with OK. */
static pid_t fake_engine(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 1), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int c = accept(s, NULL, NULL);
		char buf[256];
		if (c >= 0 && read(c, buf, sizeof(buf)) > 0) {
			static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
			if (write(c, resp, sizeof(resp) - 1) < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(s);
	return pid;
}

static void test_probes_read_binaries_devices_sockets_and_mounts_where_told(void **state)
{
	(void)state;
	char dir[] = "/tmp/mvm-test-doctor-XXXXXX", path[256], sock[256], mi[256], kvm[256];
	assert_non_null(mkdtemp(dir));
	static const char *const bins[] = { "firecracker", "qemu-system-x86_64", "nft" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, bins[i]);
		write_text(path, "#!/bin/sh\n");
		chmod(path, 0755);
	}
	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	write_text(mi, "25 1 0:22 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw\n"
		       "26 1 8:1 / / rw - ext4 /dev/vda rw\n");
	snprintf(kvm, sizeof(kvm), "%s/kvm", dir); /* a regular file: not a KVM device */
	write_text(kvm, "");
	snprintf(sock, sizeof(sock), "%s/docker.sock", dir);
	pid_t engine = fake_engine(sock);
	struct mvm_doctor_env env = { .path = dir, .dev_kvm = kvm, .docker_socket = sock, .mountinfo = mi,
				      .arch = "x86_64", .skip_process_probes = true };
	struct mvm_probes p;
	assert_int_equal(mvm_doctor_probe(&env, &p), 0);
	waitpid(engine, NULL, 0);
	assert_true(p.p[MVM_PROBE_FIRECRACKER].ok);
	assert_true(p.p[MVM_PROBE_QEMU].ok);
	assert_true(p.p[MVM_PROBE_NFT].ok);
	assert_true(p.p[MVM_PROBE_DOCKER].ok);
	assert_false(p.p[MVM_PROBE_KVM_PRESENT].ok);
	assert_false(p.p[MVM_PROBE_KVM_USABLE].ok);
	assert_true(p.p[MVM_PROBE_CGROUP_V2].ok);
	assert_false(p.p[MVM_PROBE_CGROUP_V1].ok);
	assert_false(p.p[MVM_PROBE_USERNS].ok); /* not probed */
	/* Nothing there: every probe says no, and says why. */
	struct mvm_doctor_env empty = { .path = "/nonexistent", .dev_kvm = "/nonexistent/kvm",
					.docker_socket = "/nonexistent/docker.sock", .mountinfo = "/nonexistent/mi",
					.skip_process_probes = true };
	mvm_doctor_probe(&empty, &p);
	for (int i = 0; i < MVM_PROBE_COUNT; i++) {
		if (i == MVM_PROBE_MOUNT_API)
			continue; /* a kernel property, not a path */
		assert_false(p.p[i].ok);
		assert_true(strlen(p.p[i].detail) > 0);
	}
	unlink(sock);
	unlink(mi);
	unlink(kvm);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, bins[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void test_real_probes_on_this_host_give_a_consistent_report(void **state)
{
	(void)state;
	struct mvm_probes p;
	struct mvm_selection s;
	assert_int_equal(mvm_doctor_probe(NULL, &p), 0);
	int rc = mvm_backend_select(&p, "auto", &s);
	if (p.root && p.p[MVM_PROBE_SECCOMP].ok && p.p[MVM_PROBE_MOUNT_API].ok) {
		/* Root with seccomp and the mount API (as in CI): the sandbox runs, with a full posture. */
		assert_int_equal(rc, 0);
		assert_int_equal(s.chosen, MVM_BACKEND_SANDBOX);
		assert_true(p.p[MVM_PROBE_PIDNS].ok && p.p[MVM_PROBE_NETNS].ok);
		if (p.p[MVM_PROBE_SECCOMP_GET_FILTER].ok == false)
			print_message("note: PTRACE_SECCOMP_GET_FILTER unavailable here: %s\n",
				      p.p[MVM_PROBE_SECCOMP_GET_FILTER].detail);
	}
	struct mvm_buf b = { 0 };
	mvm_doctor_report_text(&p, &s, &b);
	assert_non_null(strstr(b.data, "probes:"));
	if (s.found)
		assert_non_null(strstr(b.data, "<- selected"));
	mvm_buf_free(&b);
	assert_int_equal(mvm_doctor_report_json(&p, &s, &b), 0);
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_cj *root;
	char err[128];
	assert_int_equal(mvm_cj_parse(&a, b.data, b.len, &root, err, sizeof(err)), 0);
	assert_int_equal(mvm_cj_get(root, "probes")->n, MVM_PROBE_COUNT);
	assert_int_equal(mvm_cj_get(root, "backends")->n, MVM_BACKEND_COUNT);
	if (s.found) {
		assert_string_equal(mvm_cj_get(root, "selected")->str, mvm_backend_name(s.chosen));
		assert_int_equal(mvm_cj_get(root, "tier")->i, mvm_backend_tier(s.chosen));
		assert_int_equal(mvm_cj_get(root, "claims")->n, MVM_CLAIM_COUNT);
	}
	mvm_arena_free(&a);
	mvm_buf_free(&b);
}

static void test_doctor_command_prints_json_or_text_and_refuses_unknown_options(void **state)
{
	(void)state;
	char *json_argv[] = { "doctor", "--json", NULL }, *text_argv[] = { "doctor", NULL },
	     *bad_argv[] = { "doctor", "--bogus", NULL };
	FILE *out = tmpfile(), *err = tmpfile();
	assert_non_null(out);
	int rc = mvm_doctor_command(2, json_argv, out, err);
	assert_true(rc == 0 || rc == 1);
	long n = ftell(out);
	char *text = calloc(1, (size_t)n + 1);
	rewind(out);
	assert_int_equal(fread(text, 1, (size_t)n, out), (size_t)n);
	assert_true(n > 1 && text[n - 1] == '\n');
	struct mvm_arena a;
	mvm_arena_init(&a, 0);
	struct mvm_cj *root;
	char msg[128];
	assert_int_equal(mvm_cj_parse(&a, text, (size_t)n - 1, &root, msg, sizeof(msg)), 0);
	assert_int_equal(rc == 0, strlen(mvm_cj_get(root, "selected")->str) > 0);
	mvm_arena_free(&a);
	free(text);
	rewind(out);
	assert_int_equal(mvm_doctor_command(1, text_argv, out, err), rc);
	assert_int_equal(mvm_doctor_command(2, bad_argv, out, err), 2);
	fclose(out);
	fclose(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_selection_never_picks_a_backend_that_is_not_built),
		cmocka_unit_test(test_explicit_backends_not_built_unknown_or_unavailable_are_refused_with_a_reason),
		cmocka_unit_test(test_sandbox_needs_user_namespaces_only_without_root),
		cmocka_unit_test(test_claims_follow_the_backend_and_the_filter_read_back),
		cmocka_unit_test(test_tier3_banner_names_tier_backend_claims_and_cve_classes),
		cmocka_unit_test(test_ack_comes_from_the_environment_or_the_config_under_mvm_home_or_home),
		cmocka_unit_test(test_require_tier_refuses_lower_tiers),
		cmocka_unit_test(test_probes_read_binaries_devices_sockets_and_mounts_where_told),
		cmocka_unit_test(test_real_probes_on_this_host_give_a_consistent_report),
		cmocka_unit_test(test_doctor_command_prints_json_or_text_and_refuses_unknown_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The audit log: every kind of damage is detected with its own status (the exit code of
 * `mvm audit verify`), a kill -9 during an append is recoverable without losing entries,
 * rotation links segments, retired keys keep verifying, and appends do not read the log. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/runtime.h"

struct fx {
	char dir[64], audit[128], trust_root[128];
	struct mvm_seckey host;
	struct mvm_pubkey trusted[1];
	struct mvm_trust trust;
	struct mvm_audit log;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/mvm-test-audit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->audit, sizeof(f->audit), "%s/audit", f->dir);
	snprintf(f->trust_root, sizeof(f->trust_root), "%s/trust", f->dir);
	if (mvm_key_generate(MVM_ROLE_HOST, &f->host))
		return -1;
	f->trusted[0] = f->host.pub;
	f->trust.nkey = 1;
	f->trust.key = f->trusted;
	char err[256];
	if (mvm_audit_init(&f->log, f->audit, "acme", &f->host, &f->trust, err, sizeof(err)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void append(struct mvm_audit *a, const char *event)
{
	char err[256];
	struct mvm_audit_event e = { event, "sha256:1111111111111111111111111111111111111111111111111111111111111111",
				     "sha256:2222222222222222222222222222222222222222222222222222222222222222",
				     "{\"team\":\"t\"}", 12, NULL, (int64_t)time(NULL) };
	if (mvm_audit_append(a, &e, NULL, err, sizeof(err)))
		fail_msg("append: %s", err);
}

static void fill(struct fx *f, int n)
{
	for (int i = 0; i < n; i++)
		append(&f->log, "plan.admitted");
}

static enum mvm_audit_status verify(struct fx *f, struct mvm_audit_report *rep)
{
	int r = mvm_audit_verify(f->audit, "acme", &f->trust, rep);
	assert_int_equal(r, rep->status == MVM_AUDIT_CLEAN ? 0 : rep->status == MVM_AUDIT_IO ? -EIO : -EBADMSG);
	return rep->status;
}

#define assert_status(f, want)                                                                                       \
	do {                                                                                                         \
		struct mvm_audit_report r_;                                                                          \
		enum mvm_audit_status s_ = verify((f), &r_);                                                         \
		if (s_ != (want))                                                                                    \
			fail_msg("status %s (%d: %s), expected %s", mvm_audit_status_name(s_), (int)s_, r_.detail,     \
				 mvm_audit_status_name(want));                                                       \
	} while (0)

static void log_path(const struct fx *f, const char *suffix, char out[256])
{
	snprintf(out, 256, "%s/acme%s", f->audit, suffix);
}

/* The log's lines, each with its newline. */
struct lines {
	size_t n;
	char *l[256];
};

static void read_lines(const struct fx *f, struct lines *ls)
{
	char p[256];
	log_path(f, ".jsonl", p);
	FILE *fp = fopen(p, "r");
	assert_non_null(fp);
	ls->n = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, fp) > 0 && ls->n < 256)
		ls->l[ls->n++] = strdup(line);
	free(line);
	fclose(fp);
}

static void write_lines(const struct fx *f, const struct lines *ls)
{
	char p[256];
	log_path(f, ".jsonl", p);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	for (size_t i = 0; i < ls->n; i++)
		fputs(ls->l[i], fp);
	fclose(fp);
}

static void free_lines(struct lines *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->l[i]);
	ls->n = 0;
}

static void test_clean_log_verifies_and_each_entry_chains_to_the_previous(void **state)
{
	struct fx *f = *state;
	fill(f, 5);
	struct mvm_audit_report rep;
	assert_int_equal(verify(f, &rep), MVM_AUDIT_CLEAN);
	assert_int_equal(rep.entries, 5);
	assert_int_equal(rep.head_seq, 5);
	struct lines ls;
	read_lines(f, &ls);
	char h[MVM_DIGEST_STRLEN], want[100];
	mvm_sha256_str(ls.l[0], strlen(ls.l[0]) - 1, h);
	snprintf(want, sizeof(want), "\"prev\":\"%s\"", h);
	assert_non_null(strstr(ls.l[1], want));
	assert_non_null(strstr(ls.l[1], "\"seq\":2"));
	assert_non_null(strstr(ls.l[1], f->host.pub.keyid));
	assert_non_null(strstr(ls.l[1], "\"labels\":{\"team\":\"t\"}"));
	free_lines(&ls);
	char p[256];
	struct stat st;
	log_path(f, ".jsonl", p);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(f->audit, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void test_every_event_kind_can_be_written(void **state)
{
	struct fx *f = *state;
	const char *events[] = { "plan.admitted", "plan.rejected.expired", "plan.launched", "posture.verified",
				 "posture.mismatch", "plan.exited" };
	for (size_t i = 0; i < 6; i++)
		append(&f->log, events[i]);
	assert_status(f, MVM_AUDIT_CLEAN);
}

static void test_edited_field_is_detected_as_tampered(void **state)
{
	struct fx *f = *state;
	fill(f, 5);
	struct lines ls;
	read_lines(f, &ls);
	char *p = strstr(ls.l[2], "plan.admitted");
	memcpy(p, "plan.launched", 13);
	write_lines(f, &ls);
	free_lines(&ls);
	assert_status(f, MVM_AUDIT_TAMPERED);
}

static void test_deleted_middle_line_breaks_the_chain(void **state)
{
	struct fx *f = *state;
	fill(f, 5);
	struct lines ls;
	read_lines(f, &ls);
	free(ls.l[2]);
	memmove(&ls.l[2], &ls.l[3], 2 * sizeof(ls.l[0]));
	ls.n--;
	write_lines(f, &ls);
	free_lines(&ls);
	assert_status(f, MVM_AUDIT_BROKEN_CHAIN);
}

static void test_reordered_lines_break_the_chain(void **state)
{
	struct fx *f = *state;
	fill(f, 5);
	struct lines ls;
	read_lines(f, &ls);
	char *t = ls.l[1];
	ls.l[1] = ls.l[2];
	ls.l[2] = t;
	write_lines(f, &ls);
	free_lines(&ls);
	assert_status(f, MVM_AUDIT_BROKEN_CHAIN);
}

static void test_truncated_tail_is_detected(void **state)
{
	struct fx *f = *state;
	fill(f, 5);
	struct lines ls;
	read_lines(f, &ls);
	free(ls.l[4]);
	ls.n--;
	write_lines(f, &ls);
	assert_status(f, MVM_AUDIT_TRUNCATED);
	/* cut inside a line too */
	ls.l[3][strlen(ls.l[3]) / 2] = 0;
	write_lines(f, &ls);
	free_lines(&ls);
	assert_status(f, MVM_AUDIT_TRUNCATED);
	/* and nothing more is appended to a truncated log */
	char err[256];
	struct mvm_audit_event e = { "plan.admitted", NULL, NULL, NULL, 0, NULL, 0 };
	assert_int_equal(mvm_audit_append(&f->log, &e, NULL, err, sizeof(err)), -EBADMSG);
}

static void test_deleted_log_is_missing(void **state)
{
	struct fx *f = *state;
	fill(f, 3);
	char p[256];
	log_path(f, ".jsonl", p);
	assert_int_equal(unlink(p), 0);
	assert_status(f, MVM_AUDIT_MISSING);
	char err[256];
	struct mvm_audit_event e = { "plan.admitted", NULL, NULL, NULL, 0, NULL, 0 };
	assert_int_equal(mvm_audit_append(&f->log, &e, NULL, err, sizeof(err)), -EBADMSG);
}

static void test_deleted_or_edited_head_is_detected(void **state)
{
	struct fx *f = *state;
	fill(f, 3);
	char p[256];
	log_path(f, ".head", p);
	FILE *fp = fopen(p, "r+");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 30, SEEK_SET), 0);
	int c = fgetc(fp);
	assert_int_equal(fseek(fp, 30, SEEK_SET), 0);
	fputc(c ^ 1, fp);
	fclose(fp);
	assert_status(f, MVM_AUDIT_TAMPERED);
	assert_int_equal(unlink(p), 0);
	assert_status(f, MVM_AUDIT_MISSING);
}

static void test_entry_signed_by_an_unknown_key_is_detected(void **state)
{
	struct fx *f = *state;
	fill(f, 3);
	struct mvm_trust none = { 0 };
	struct mvm_audit_report rep;
	mvm_audit_verify(f->audit, "acme", &none, &rep);
	assert_int_equal(rep.status, MVM_AUDIT_UNKNOWN_KEY);
}

static void write_pub(const char *root, const char *sub, const struct mvm_pubkey *k)
{
	char cmd[512], path[512], text[128];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/%s", root, sub);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s/%s.pub", root, sub, k->keyid);
	assert_int_equal(mvm_pubkey_format(k, text, sizeof(text)), 0);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_retired_key_still_verifies_the_entries_it_signed(void **state)
{
	struct fx *f = *state;
	struct mvm_seckey next;
	char err[256];
	mvm_key_generate(MVM_ROLE_HOST, &next);
	fill(f, 3); /* signed by the old key */
	struct mvm_trust disk = { .nroot = 1, .root = { f->trust_root } };
	write_pub(f->trust_root, "host", &next.pub);
	write_pub(f->trust_root, "host/retired", &f->host.pub);
	struct mvm_audit a2;
	assert_int_equal(mvm_audit_init(&a2, f->audit, "acme", &next, &disk, err, sizeof(err)), 0);
	append(&a2, "plan.admitted"); /* the head was signed by the retired key: still accepted */
	struct mvm_audit_report rep;
	mvm_audit_verify(f->audit, "acme", &disk, &rep);
	assert_int_equal(rep.status, MVM_AUDIT_CLEAN);
	assert_int_equal(rep.entries, 4);
	/* purge the retired key: its entries can no longer be attributed */
	char p[512];
	snprintf(p, sizeof(p), "%s/host/retired/%s.pub", f->trust_root, f->host.pub.keyid);
	assert_int_equal(unlink(p), 0);
	mvm_audit_verify(f->audit, "acme", &disk, &rep);
	assert_int_equal(rep.status, MVM_AUDIT_UNKNOWN_KEY);
}

static void die_at(enum mvm_audit_stage s, void *ctx)
{
	if (s == *(enum mvm_audit_stage *)ctx)
		raise(SIGKILL);
}

/* A child process appends one entry and is killed with SIGKILL at `stage`. */
static void kill_during_append(struct fx *f, enum mvm_audit_stage stage)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		f->log.fault = die_at;
		f->log.fault_ctx = &stage;
		append(&f->log, "plan.admitted");
		_exit(0); /* not reached */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_kill_9_during_an_append_is_torn_and_recovers_without_loss(void **state)
{
	struct fx *f = *state;
	fill(f, 4);
	struct lines before;
	read_lines(f, &before);
	kill_during_append(f, MVM_AUDIT_STAGE_LINE_WRITTEN);
	assert_status(f, MVM_AUDIT_TORN);
	char err[256];
	assert_int_equal(mvm_audit_recover(&f->log, err, sizeof(err)), 0);
	struct mvm_audit_report rep;
	assert_int_equal(verify(f, &rep), MVM_AUDIT_CLEAN);
	assert_int_equal(rep.entries, 5); /* the complete entry was committed, nothing lost */
	struct lines after;
	read_lines(f, &after);
	for (size_t i = 0; i < before.n; i++)
		assert_string_equal(before.l[i], after.l[i]);
	free_lines(&before);
	free_lines(&after);
	/* killed after the fsync, before the head: the same */
	kill_during_append(f, MVM_AUDIT_STAGE_LINE_SYNCED);
	assert_status(f, MVM_AUDIT_TORN);
	append(&f->log, "plan.exited"); /* the next append recovers by itself */
	assert_int_equal(verify(f, &rep), MVM_AUDIT_CLEAN);
	assert_int_equal(rep.entries, 7);
}

static void test_torn_partial_line_is_cut_and_recorded(void **state)
{
	struct fx *f = *state;
	fill(f, 4);
	struct lines before;
	read_lines(f, &before);
	char p[256];
	log_path(f, ".jsonl", p);
	FILE *fp = fopen(p, "a");
	assert_non_null(fp);
	fwrite(before.l[3], 1, strlen(before.l[3]) / 2, fp); /* half a line, as a crash mid-write leaves it */
	fclose(fp);
	assert_status(f, MVM_AUDIT_TORN);
	char err[256];
	assert_int_equal(mvm_audit_recover(&f->log, err, sizeof(err)), 0);
	struct mvm_audit_report rep;
	assert_int_equal(verify(f, &rep), MVM_AUDIT_CLEAN);
	assert_int_equal(rep.entries, 5);
	struct lines after;
	read_lines(f, &after);
	for (size_t i = 0; i < before.n; i++)
		assert_string_equal(before.l[i], after.l[i]);
	assert_non_null(strstr(after.l[4], "\"event\":\"audit.recovered\""));
	free_lines(&before);
	free_lines(&after);
}

static void test_append_reads_only_the_head_and_last_entry(void **state)
{
	struct fx *f = *state;
	fill(f, 6);
	/* Damage an early entry: an append that read the whole log would notice; an O(1) append does not. */
	struct lines ls;
	read_lines(f, &ls);
	char *p = strstr(ls.l[1], "plan.admitted");
	memcpy(p, "plan.launched", 13);
	write_lines(f, &ls);
	free_lines(&ls);
	append(&f->log, "plan.admitted");
	assert_status(f, MVM_AUDIT_TAMPERED);
	/* but a damaged last entry is caught before anything is appended after it */
	read_lines(f, &ls);
	p = strstr(ls.l[ls.n - 1], "plan.admitted");
	memcpy(p, "plan.launched", 13);
	write_lines(f, &ls);
	free_lines(&ls);
	char err[256];
	struct mvm_audit_event e = { "plan.admitted", NULL, NULL, NULL, 0, NULL, 0 };
	assert_int_equal(mvm_audit_append(&f->log, &e, NULL, err, sizeof(err)), -EBADMSG);
}

static void test_rotation_links_segments_and_a_missing_segment_breaks_the_chain(void **state)
{
	struct fx *f = *state;
	f->log.segment_max = 2048;
	fill(f, 20);
	struct mvm_audit_report rep;
	assert_int_equal(verify(f, &rep), MVM_AUDIT_CLEAN);
	assert_true(rep.segments >= 3);
	assert_true(rep.entries > 20); /* the audit.segment links are entries too */
	char p[256];
	snprintf(p, sizeof(p), "%s/acme.000002.jsonl", f->audit);
	assert_int_equal(unlink(p), 0);
	assert_status(f, MVM_AUDIT_BROKEN_CHAIN);
}

static void test_interrupted_rotation_is_torn_and_recovers(void **state)
{
	struct fx *f = *state;
	fill(f, 3);
	char live[256], seg[256];
	log_path(f, ".jsonl", live);
	snprintf(seg, sizeof(seg), "%s/acme.000001.jsonl", f->audit);
	assert_int_equal(rename(live, seg), 0); /* the crash came right after the rename */
	assert_status(f, MVM_AUDIT_TORN);
	char err[256];
	assert_int_equal(mvm_audit_recover(&f->log, err, sizeof(err)), 0);
	struct mvm_audit_report rep;
	assert_int_equal(verify(f, &rep), MVM_AUDIT_CLEAN);
	assert_int_equal(rep.entries, 4);
	assert_int_equal(rep.segments, 2);
}

static void test_concurrent_appends_keep_one_chain(void **state)
{
	struct fx *f = *state;
	pid_t pids[8];
	for (int i = 0; i < 8; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			for (int k = 0; k < 10; k++)
				append(&f->log, "plan.admitted");
			_exit(0);
		}
	}
	for (int i = 0; i < 8; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	struct mvm_audit_report rep;
	assert_int_equal(verify(f, &rep), MVM_AUDIT_CLEAN);
	assert_int_equal(rep.entries, 80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_log_verifies_and_each_entry_chains_to_the_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_event_kind_can_be_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited_field_is_detected_as_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_middle_line_breaks_the_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reordered_lines_break_the_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_tail_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_log_is_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_or_edited_head_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_signed_by_an_unknown_key_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retired_key_still_verifies_the_entries_it_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_9_during_an_append_is_torn_and_recovers_without_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_partial_line_is_cut_and_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_reads_only_the_head_and_last_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_links_segments_and_a_missing_segment_breaks_the_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_rotation_is_torn_and_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appends_keep_one_chain, setup, teardown),
	};
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}

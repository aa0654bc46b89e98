/* Keys: generation, files, what loading refuses, key ids, and trust store lookups. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "lib/keys.h"

struct fx {
	char dir[64];
	char base[128];
	struct mvm_seckey k;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/mvm-test-keys-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->base, sizeof(f->base), "%s/ci", f->dir);
	if (mvm_key_generate(MVM_ROLE_PUBLISHER, &f->k))
		return -1;
	char err[256];
	if (mvm_key_write_files(f->base, &f->k, err, sizeof(err)))
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

static void path_of(const struct fx *f, const char *suffix, char out[256])
{
	snprintf(out, 256, "%s%s", f->base, suffix);
}

static void write_text(const char *path, const char *text, size_t len, mode_t mode)
{
	unlink(path);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char *buf = calloc(1, 4096);
	*len = fread(buf, 1, 4095, fp);
	fclose(fp);
	return buf;
}

static void test_written_key_loads_back_with_its_role_and_id(void **state)
{
	struct fx *f = *state;
	char p[256], err[256];
	struct mvm_seckey k;
	struct stat st;
	path_of(f, ".key", p);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(mvm_seckey_load(p, &k, err, sizeof(err)), 0);
	assert_int_equal(k.pub.role, MVM_ROLE_PUBLISHER);
	assert_memory_equal(k.pub.pk, f->k.pub.pk, 32);
	assert_string_equal(k.pub.keyid, f->k.pub.keyid);
	struct mvm_pubkey pub;
	path_of(f, ".pub", p);
	assert_int_equal(mvm_pubkey_load(p, &pub, err, sizeof(err)), 0);
	assert_memory_equal(pub.pk, f->k.pub.pk, 32);
}

static void test_key_id_is_a_hash_of_the_public_key(void **state)
{
	struct fx *f = *state;
	uint8_t h[32];
	char hex[65];
	crypto_hash_sha256(h, f->k.pub.pk, 32);
	sodium_bin2hex(hex, sizeof(hex), h, 32);
	assert_int_equal(strlen(f->k.pub.keyid), MVM_KEYID_LEN);
	assert_memory_equal(f->k.pub.keyid, hex, MVM_KEYID_LEN);
	assert_true(mvm_keyid_valid(f->k.pub.keyid));
	assert_false(mvm_keyid_valid("ABCDEF0123456789abcdef0123456789"));
	assert_false(mvm_keyid_valid("../../etc/passwd"));
}

static void test_existing_key_is_never_overwritten(void **state)
{
	struct fx *f = *state;
	struct mvm_seckey other;
	char err[256];
	assert_int_equal(mvm_key_generate(MVM_ROLE_PUBLISHER, &other), 0);
	assert_int_equal(mvm_key_write_files(f->base, &other, err, sizeof(err)), -EEXIST);
	struct mvm_seckey k;
	char p[256];
	path_of(f, ".key", p);
	assert_int_equal(mvm_seckey_load(p, &k, err, sizeof(err)), 0);
	assert_memory_equal(k.pub.pk, f->k.pub.pk, 32);
}

static void test_secret_key_looser_than_0600_is_refused(void **state)
{
	struct fx *f = *state;
	char p[256], err[256];
	struct mvm_seckey k;
	path_of(f, ".key", p);
	const mode_t loose[] = { 0640, 0604, 0644, 0700, 0660, 0606, 01600 };
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		assert_int_equal(chmod(p, loose[i]), 0);
		assert_int_equal(mvm_seckey_load(p, &k, err, sizeof(err)), -EPERM);
		assert_non_null(strstr(err, "looser than 0600"));
	}
	assert_int_equal(chmod(p, 0400), 0);
	assert_int_equal(mvm_seckey_load(p, &k, err, sizeof(err)), 0);
}

static void test_secret_key_of_wrong_size_is_refused(void **state)
{
	struct fx *f = *state;
	char p[256], err[256];
	size_t len;
	struct mvm_seckey k;
	path_of(f, ".key", p);
	char *text = slurp(p, &len);
	write_text(p, text, len - 1, 0600);
	assert_int_equal(mvm_seckey_load(p, &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "wrong size"));
	text[len] = '\n';
	write_text(p, text, len + 1, 0600);
	assert_int_equal(mvm_seckey_load(p, &k, err, sizeof(err)), -EINVAL);
	write_text(p, "", 0, 0600);
	assert_int_equal(mvm_seckey_load(p, &k, err, sizeof(err)), -EINVAL);
	free(text);
}

static void test_secret_key_whose_public_half_does_not_match_is_refused(void **state)
{
	struct fx *f = *state;
	char p[256], err[256], b64[100], text[256];
	uint8_t sk[64];
	struct mvm_seckey other, k;
	assert_int_equal(mvm_key_generate(MVM_ROLE_PUBLISHER, &other), 0);
	memcpy(sk, f->k.sk, 32);
	memcpy(sk + 32, other.pub.pk, 32); /* someone else's public half */
	sodium_bin2base64(b64, sizeof(b64), sk, 64, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof(text), "mvm-secret-key-v1 publisher %s\n", b64);
	path_of(f, ".key", p);
	write_text(p, text, strlen(text), 0600);
	assert_int_equal(mvm_seckey_load(p, &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "public half does not match"));
}

static void test_secret_key_that_is_a_symlink_or_garbage_is_refused(void **state)
{
	struct fx *f = *state;
	char p[256], link[256], err[256];
	struct mvm_seckey k;
	path_of(f, ".key", p);
	path_of(f, ".link", link);
	assert_int_equal(symlink(p, link), 0);
	assert_int_not_equal(mvm_seckey_load(link, &k, err, sizeof(err)), 0);
	size_t len;
	char *text = slurp(p, &len);
	text[5] ^= 1; /* the magic */
	write_text(p, text, len, 0600);
	assert_int_equal(mvm_seckey_load(p, &k, err, sizeof(err)), -EINVAL);
	free(text);
}

static void test_public_key_parse_is_exact(void **state)
{
	struct fx *f = *state;
	char text[128];
	struct mvm_pubkey pk;
	assert_int_equal(mvm_pubkey_format(&f->k.pub, text, sizeof(text)), 0);
	size_t n = strlen(text);
	assert_int_equal(mvm_pubkey_parse(text, n, &pk), 0);
	assert_int_equal(mvm_pubkey_parse(text, n - 1, &pk), -EINVAL); /* no newline */
	text[n - 2] = text[n - 2] == 'A' ? 'B' : 'A'; /* non-canonical or different base64 */
	struct mvm_pubkey pk2;
	int r = mvm_pubkey_parse(text, n, &pk2);
	assert_true(r != 0 || memcmp(pk2.pk, pk.pk, 32) != 0);
}

/* ---- trust store ---- */

static void store_key(const char *root, const char *sub, const struct mvm_pubkey *k, const char *name)
{
	char dir[256], path[400], text[128];
	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && chmod 755 %s", dir, root);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s.pub", dir, name ? name : k->keyid);
	assert_int_equal(mvm_pubkey_format(k, text, sizeof(text)), 0);
	write_text(path, text, strlen(text), 0644);
}

static void test_trust_lookup_finds_active_and_retired_keys_by_role(void **state)
{
	struct fx *f = *state;
	char root[128], err[256];
	snprintf(root, sizeof(root), "%s/trust", f->dir);
	struct mvm_seckey host, old;
	mvm_key_generate(MVM_ROLE_HOST, &host);
	mvm_key_generate(MVM_ROLE_HOST, &old);
	store_key(root, "publisher", &f->k.pub, NULL);
	store_key(root, "host", &host.pub, NULL);
	store_key(root, "host/retired", &old.pub, NULL);
	struct mvm_trust t = { .nroot = 1, .root = { root } };
	struct mvm_pubkey out;
	enum mvm_trust_state st;
	assert_int_equal(mvm_trust_lookup(&t, MVM_ROLE_PUBLISHER, f->k.pub.keyid, MVM_TRUST_ACTIVE, &out, &st, err, sizeof(err)), 0);
	assert_memory_equal(out.pk, f->k.pub.pk, 32);
	assert_int_equal(st, MVM_TRUST_ACTIVE);
	/* a host key is not a publisher key */
	assert_int_equal(mvm_trust_lookup(&t, MVM_ROLE_PUBLISHER, host.pub.keyid, MVM_TRUST_ACTIVE, &out, &st, err, sizeof(err)),
			 -EKEYREJECTED);
	/* a retired key verifies only where retired keys are accepted */
	assert_int_equal(mvm_trust_lookup(&t, MVM_ROLE_HOST, old.pub.keyid, MVM_TRUST_ACTIVE, &out, &st, err, sizeof(err)),
			 -EKEYREJECTED);
	assert_int_equal(mvm_trust_lookup(&t, MVM_ROLE_HOST, old.pub.keyid, MVM_TRUST_ACTIVE | MVM_TRUST_RETIRED, &out, &st,
					  err, sizeof(err)), 0);
	assert_int_equal(st, MVM_TRUST_RETIRED);
	struct mvm_seckey stranger;
	mvm_key_generate(MVM_ROLE_PUBLISHER, &stranger);
	assert_int_equal(mvm_trust_lookup(&t, MVM_ROLE_PUBLISHER, stranger.pub.keyid, MVM_TRUST_ACTIVE, &out, &st, err,
					  sizeof(err)), -ENOKEY);
}

static void test_trust_store_entry_under_the_wrong_name_or_role_fails_closed(void **state)
{
	struct fx *f = *state;
	char root[128], err[256];
	snprintf(root, sizeof(root), "%s/trust2", f->dir);
	struct mvm_seckey host;
	mvm_key_generate(MVM_ROLE_HOST, &host);
	/* a host key filed as a publisher key, under its own id */
	store_key(root, "publisher", &host.pub, NULL);
	struct mvm_trust t = { .nroot = 1, .root = { root } };
	struct mvm_pubkey out;
	enum mvm_trust_state st;
	assert_int_equal(mvm_trust_lookup(&t, MVM_ROLE_PUBLISHER, host.pub.keyid, MVM_TRUST_ACTIVE, &out, &st, err, sizeof(err)),
			 -EINVAL);
	/* a publisher key filed under another key's id */
	store_key(root, "publisher", &f->k.pub, "0123456789abcdef0123456789abcdef");
	assert_int_equal(mvm_trust_lookup(&t, MVM_ROLE_PUBLISHER, "0123456789abcdef0123456789abcdef", MVM_TRUST_ACTIVE, &out,
					  &st, err, sizeof(err)), -EINVAL);
}

static void test_group_writable_trust_store_is_refused(void **state)
{
	struct fx *f = *state;
	char root[128], err[256], dir[200];
	snprintf(root, sizeof(root), "%s/trust3", f->dir);
	store_key(root, "publisher", &f->k.pub, NULL);
	snprintf(dir, sizeof(dir), "%s/publisher", root);
	assert_int_equal(chmod(dir, 0775), 0);
	struct mvm_trust t = { .nroot = 1, .root = { root } };
	struct mvm_pubkey out;
	enum mvm_trust_state st;
	assert_int_equal(mvm_trust_lookup(&t, MVM_ROLE_PUBLISHER, f->k.pub.keyid, MVM_TRUST_ACTIVE, &out, &st, err, sizeof(err)),
			 -EPERM);
}

static void test_lookup_never_creates_anything(void **state)
{
	struct fx *f = *state;
	char root[128], err[256];
	snprintf(root, sizeof(root), "%s/empty-trust", f->dir);
	struct mvm_trust t = { .nroot = 1, .root = { root } };
	struct mvm_pubkey out;
	enum mvm_trust_state st;
	assert_int_equal(mvm_trust_lookup(&t, MVM_ROLE_HOST, f->k.pub.keyid, MVM_TRUST_ACTIVE, &out, &st, err, sizeof(err)),
			 -ENOKEY);
	assert_int_equal(access(root, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_written_key_loads_back_with_its_role_and_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_id_is_a_hash_of_the_public_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_key_is_never_overwritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_key_looser_than_0600_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_key_of_wrong_size_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_key_whose_public_half_does_not_match_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_key_that_is_a_symlink_or_garbage_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_public_key_parse_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_lookup_finds_active_and_retired_keys_by_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_store_entry_under_the_wrong_name_or_role_fails_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_writable_trust_store_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_never_creates_anything, setup, teardown),
	};
	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}

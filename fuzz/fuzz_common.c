/* Helpers shared by the harnesses (fuzz.h). */
#include "fuzz.h"

#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "fuzz: property violated at %s:%d: %s\n", file, line, what);
	abort();
}

FILE *fuzz_sink(void)
{
	static FILE *sink;
	if (!sink)
		sink = getenv("MVM_FUZZ_VERBOSE") ? stderr : fopen("/dev/null", "w");
	if (!sink)
		fuzz_fail(__FILE__, __LINE__, "cannot open /dev/null");
	return sink;
}

const struct mvm_stdlib *fuzz_stdlib(void)
{
	static struct mvm_arena arena;
	static struct mvm_stdlib *st;
	if (st)
		return st;
	struct mvm_diag d;
	mvm_arena_init(&arena, 0);
	mvm_diag_init(&d, "fuzz", stderr);
	if (mvm_stdlib_load(&arena, &d, NULL, 0, &st))
		fuzz_fail(__FILE__, __LINE__, "the embedded stdlib does not load");
	return st;
}

const struct mvm_seckey *fuzz_key(enum mvm_key_role role)
{
	static struct mvm_seckey keys[3];
	static bool ready[3];
	size_t i = role == MVM_ROLE_HOST ? 2 : 1;
	if (ready[i])
		return &keys[i];
	if (sodium_init() < 0)
		fuzz_fail(__FILE__, __LINE__, "libsodium does not initialise");
	uint8_t seed[crypto_sign_SEEDBYTES];
	memset(seed, 0x40 + (int)i, sizeof(seed));
	crypto_sign_ed25519_seed_keypair(keys[i].pub.pk, keys[i].sk, seed);
	keys[i].pub.role = role;
	mvm_keyid(keys[i].pub.pk, keys[i].pub.keyid);
	ready[i] = true;
	return &keys[i];
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static char scratch[64];

static void remove_scratch(void)
{
	if (scratch[0])
		nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_scratch_dir(void)
{
	if (scratch[0])
		return scratch;
	const char *tmp = getenv("TMPDIR");
	snprintf(scratch, sizeof(scratch), "%s/mvm-fuzz.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(scratch))
		fuzz_fail(__FILE__, __LINE__, "cannot create a scratch directory");
	atexit(remove_scratch);
	return scratch;
}

uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)(fuzz_u8(in) | (unsigned)fuzz_u8(in) << 8);
}

uint32_t fuzz_u32(struct fuzz_in *in)
{
	return fuzz_u16(in) | (uint32_t)fuzz_u16(in) << 16;
}

uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_u32(in) | (uint64_t)fuzz_u32(in) << 32;
}

bool fuzz_take_until(struct fuzz_in *in, const char *sep, const uint8_t **p, size_t *n)
{
	size_t k = strlen(sep);
	*p = in->p;
	for (size_t i = 0; k && i + k <= in->n; i++)
		if (memcmp(in->p + i, sep, k) == 0) {
			*n = i;
			in->p += i + k;
			in->n -= i + k;
			return true;
		}
	*n = in->n;
	in->p += in->n;
	in->n = 0;
	return false;
}

char *fuzz_dup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		fuzz_fail(__FILE__, __LINE__, "out of memory");
	if (size)
		memcpy(s, data, size);
	s[size] = 0;
	return s;
}

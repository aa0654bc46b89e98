/* `mvmc import oci` (compiler/import_oci.c): any bytes either convert or are refused with a
 * FILE:LINE:COL diagnostic. The first byte picks the container's capabilities (none, Docker's
 * default set, or that set plus CAP_SYS_ADMIN and CAP_BPF), which select Docker's
 * includes/excludes. Properties: what converts is YAML the profile front end loads, and it holds
 * only what an import writes (name, arch, seccomp, capabilities): no byte of the input can add
 * a section, such as a process uid, to the profile. */
#include <errno.h>
#include <string.h>

#include "compiler/import_oci.h"
#include "compiler/spec.h"
#include "fuzz.h"

static size_t pick_caps(uint8_t sel, const char **caps, size_t max)
{
	size_t n = 0;
	if (sel % 3 == 0)
		return 0;
	for (size_t i = 0; mvm_docker_default_caps[i] && n < max - 2; i++)
		caps[n++] = mvm_docker_default_caps[i];
	if (sel % 3 == 2) {
		caps[n++] = "CAP_SYS_ADMIN";
		caps[n++] = "CAP_BPF";
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *caps[64];
	struct mvm_import_opts o = { .name = "fuzzed", .source = "fuzz.json" };
	o.ncap = pick_caps(data[0], caps, sizeof(caps) / sizeof(caps[0]));
	o.cap = caps;
	const char *json = (const char *)data + 1;
	size_t len = size - 1;

	struct mvm_diag d;
	struct mvm_buf yaml = { 0 };
	mvm_diag_init(&d, "fuzz", fuzz_sink());
	d.caret = true;
	mvm_diag_add_source(&d, "fuzz.json", json, len);
	int r = mvm_import_oci(&d, fuzz_stdlib(), "fuzz.json", json, len, &o, &yaml);
	FUZZ_CHECK(r == 0 || d.errors > 0 || r == -ENOMEM);
	if (r == 0) {
		struct mvm_arena a;
		struct mvm_diag d2;
		struct mvm_spec *s;
		mvm_arena_init(&a, 256u << 20);
		mvm_diag_init(&d2, "fuzz", stderr);
		if (mvm_yaml_load_spec(&a, &d2, "imported.yaml", yaml.data, yaml.len, &s) != 0) {
			fprintf(stderr, "fuzz: the imported profile does not load:\n%.*s\n", (int)yaml.len, yaml.data);
			FUZZ_CHECK(!"the imported profile loads");
		}
		/* only what the importer writes: nothing from the input can add a section */
		FUZZ_CHECK(s->name.name && strcmp(s->name.name, o.name) == 0);
		FUZZ_CHECK(!s->intent.name && !s->extends.name && !s->ninclude && !s->nconst && !s->ngroup);
		FUZZ_CHECK(!s->egress.present && !s->fs.nshare && !s->fs.rootfs && !s->fs.root_writable);
		FUZZ_CHECK(!s->has_uid && !s->has_gid && !s->has_secrets && !s->ntool && !s->nlabel && !s->valid_for_s);
		FUZZ_CHECK(s->ncap == o.ncap);
		mvm_arena_free(&a);
	}
	mvm_buf_free(&yaml);
	return 0;
}

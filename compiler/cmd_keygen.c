/* mvmc keygen: a fresh Ed25519 key pair with a role, written as NAME.key (0600) and NAME.pub. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../lib/keys.h"
#include "commands.h"

static const char usage_keygen[] =
	"usage: mvmc keygen --role publisher|host -o NAME\n"
	"\n"
	"Write a new Ed25519 key pair: NAME.key (secret, mode 0600) and NAME.pub (public).\n"
	"publisher keys sign bundles (mvmc build --sign-key); host keys sign execution plans and\n"
	"audit entries (mvm). An existing NAME.key or NAME.pub is never overwritten.\n"
	"\n"
	"exit codes: 0 ok, 2 usage, 3 I/O (including: the files exist)\n";

int mvmc_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *role_name = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': role_name = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(usage_keygen, stdout); return MVMC_EXIT_OK;
		default: fputs(usage_keygen, stderr); return MVMC_EXIT_USAGE;
		}
	}
	enum mvm_key_role role;
	if (optind != argc || !out || !role_name || mvm_role_parse(role_name, &role)) {
		fputs("mvmc keygen: need --role publisher|host and -o NAME\n", stderr);
		fputs(usage_keygen, stderr);
		return MVMC_EXIT_USAGE;
	}
	struct mvm_seckey k;
	if (mvm_key_generate(role, &k)) {
		fputs("mvmc keygen: libsodium cannot initialise\n", stderr);
		return MVMC_EXIT_IO;
	}
	char err[512] = "";
	int r = mvm_key_write_files(out, &k, err, sizeof(err));
	mvm_seckey_wipe(&k);
	if (r) {
		fprintf(stderr, "mvmc keygen: %s\n", err[0] ? err : strerror(-r));
		return MVMC_EXIT_IO;
	}
	printf("%s key %s: wrote %s.key (0600) and %s.pub\n", role_name, k.pub.keyid, out, out);
	return MVMC_EXIT_OK;
}

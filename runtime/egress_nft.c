/* The nftables side of egress: the names and addresses of a slot, the text applied for a
 * sandbox (claim, then the wrapped body), listings normalized for comparison, and the sweep of
 * tables whose owner is gone. Text goes to the kernel through libnftables, in one transaction
 * per call. */
#include "egress.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "egress_internal.h"

int mvm_egress_slot(unsigned slot, struct mvm_egress_slot *out)
{
	if (slot >= MVM_EGRESS_SLOTS)
		return -ERANGE;
	memset(out, 0, sizeof(*out));
	out->slot = slot;
	snprintf(out->table, sizeof(out->table), "mvm_%u", slot);
	snprintf(out->iface, sizeof(out->iface), "mvm%u", slot);
	/* 10.222.0.0/16: slot S is the S-th /30. */
	uint32_t base = (10u << 24) | (222u << 16) | (slot << 2);
	for (int i = 0; i < 4; i++) {
		out->host4[i] = (uint8_t)((base + 1) >> (24 - 8 * i));
		out->addr4[i] = (uint8_t)((base + 2) >> (24 - 8 * i));
	}
	/* fd6d:766d:6567:S::/64: ::1 and ::2. */
	static const uint8_t pool6[6] = { 0xfd, 0x6d, 0x76, 0x6d, 0x65, 0x67 };
	memcpy(out->host6, pool6, 6);
	out->host6[6] = (uint8_t)(slot >> 8);
	out->host6[7] = (uint8_t)slot;
	memcpy(out->addr6, out->host6, 16);
	out->host6[15] = 1;
	out->addr6[15] = 2;
	inet_ntop(AF_INET, out->addr4, out->addr4_text, sizeof(out->addr4_text));
	inet_ntop(AF_INET6, out->addr6, out->addr6_text, sizeof(out->addr6_text));
	return 0;
}

int mvm_egress_wrap(const struct mvm_egress_slot *s, const char *body, size_t len, const char *host_elements4,
		    const char *host_elements6, struct mvm_buf *out)
{
	mvm_buf_printf(out, "define mvm_iface = \"%s\"\ndefine mvm_addr4 = %s\ndefine mvm_addr6 = %s\n", s->iface,
		       s->addr4_text, s->addr6_text);
	mvm_buf_printf(out, "table inet %s {\n", s->table);
	mvm_buf_put(out, body, len);
	if (len && body[len - 1] != '\n')
		mvm_buf_puts(out, "\n");
	mvm_buf_puts(out, "}\n");
	mvm_buf_printf(out, "add element inet %s host4 { %s%s%s }\n", s->table, MVM_EGRESS_POOL4,
		       host_elements4 && *host_elements4 ? ", " : "", host_elements4 ? host_elements4 : "");
	mvm_buf_printf(out, "add element inet %s host6 { %s%s%s }\n", s->table, MVM_EGRESS_POOL6,
		       host_elements6 && *host_elements6 ? ", " : "", host_elements6 ? host_elements6 : "");
	return out->oom ? -ENOMEM : 0;
}

/* ---- owners ---- */

/* Field 22 of /proc/PID/stat: the start time in clock ticks since boot (0 when unreadable).
 * The command name (field 2) may hold spaces and parentheses: parse after its last ')'. */
static uint64_t start_time_at(const char *path)
{
	char buf[1024];
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p + 1, ' ');
	}
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

uint64_t egress_start_time(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return start_time_at(path);
}

bool egress_proc_is_ours(void)
{
	uint64_t self = start_time_at("/proc/self/stat");
	return self != 0 && self == egress_start_time(getpid());
}

uint64_t egress_pidns(void)
{
	struct stat st;
	return stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int mvm_egress_claim_text(const struct mvm_egress_slot *s, struct mvm_buf *out)
{
	mvm_buf_printf(out, "create table inet %s { comment \"mvm pid=%d start=%" PRIu64 " pidns=%" PRIu64 "\"; }\n",
		       s->table, (int)getpid(), egress_start_time(getpid()), egress_pidns());
	return out->oom ? -ENOMEM : 0;
}

/* ---- libnftables ---- */

struct nft_ctx *egress_nft_new(void)
{
	struct nft_ctx *n = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!n)
		return NULL;
	if (nft_ctx_buffer_output(n) || nft_ctx_buffer_error(n)) {
		nft_ctx_free(n);
		return NULL;
	}
	return n;
}

/* Runs text as one transaction. 0, or -EIO with the first line of nft's error in err. The
 * output (for listings) goes to out when not NULL. */
int egress_nft_run(struct nft_ctx *n, unsigned flags, const char *text, struct mvm_buf *out, char *err, size_t errlen)
{
	nft_ctx_output_set_flags(n, flags);
	int rc = nft_run_cmd_from_buffer(n, text);
	const char *o = nft_ctx_get_output_buffer(n), *e = nft_ctx_get_error_buffer(n);
	if (out && o)
		mvm_buf_puts(out, o);
	if (rc) {
		if (err && errlen) {
			const char *msg = e && *e ? e : "nftables refused the commands";
			size_t l = strcspn(msg, "\n");
			snprintf(err, errlen, "%.*s", (int)(l < errlen ? l : errlen - 1), msg);
		}
		return -EIO;
	}
	return out && out->oom ? -ENOMEM : 0;
}

int mvm_egress_normalize(const char *listing, struct mvm_buf *out)
{
	const char *p = listing;
	bool dynamic_set = false;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
		const char *t = p;
		while (*t == '\t' || *t == ' ')
			t++;
		if (!strncmp(t, "set ", 4)) {
			/* "set n<digits>_<4|6> {": the per-name sets the runtime fills. */
			const char *q = t + 4;
			dynamic_set = *q == 'n';
			for (q++; dynamic_set && isdigit((unsigned char)*q); q++)
				;
			dynamic_set = dynamic_set && q > t + 5 && q[0] == '_' && (q[1] == '4' || q[1] == '6') && q[2] == ' ';
		} else if (dynamic_set && !strncmp(t, "elements = {", 12)) {
			/* Skip to the end of the element list (elements hold no braces). */
			const char *close = strchr(t, '}');
			if (!close)
				return -EINVAL;
			const char *eol = strchr(close, '\n');
			p = eol ? eol + 1 : close + strlen(close);
			continue;
		} else if (!strncmp(t, "}", 1)) {
			dynamic_set = false;
		}
		mvm_buf_put(out, p, len);
		p += len;
	}
	return out->oom ? -ENOMEM : 0;
}

/* ---- the sweep ---- */

/* Parses "mvm pid=P start=T pidns=N" out of a table listing's comment line. */
static bool parse_owner(const char *listing, pid_t *pid, uint64_t *start, uint64_t *pidns)
{
	const char *c = strstr(listing, "comment \"mvm pid=");
	int p;
	unsigned long long t, ns;
	if (!c || sscanf(c, "comment \"mvm pid=%d start=%llu pidns=%llu\"", &p, &t, &ns) != 3 || p <= 0)
		return false;
	*pid = p;
	*start = t;
	*pidns = ns;
	return true;
}

bool egress_owner_alive(pid_t pid, uint64_t start)
{
	uint64_t now = egress_start_time(pid);
	return now != 0 && now == start;
}

/* Lists table NAME with its handle; 0 and *handle, *stale (owner gone), or -errno. */
int egress_table_owner(struct nft_ctx *n, const char *name, uint64_t *handle, bool *stale, bool *ours)
{
	char cmd[96];
	struct mvm_buf out = { 0 };
	snprintf(cmd, sizeof(cmd), "list table inet %s", name);
	int rc = egress_nft_run(n, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_TERSE, cmd, &out, NULL, 0);
	*stale = *ours = false;
	*handle = 0;
	if (rc == 0) {
		const char *h = strstr(out.data ? out.data : "", "# handle ");
		pid_t pid;
		uint64_t start, pidns;
		if (!h || sscanf(h, "# handle %" SCNu64, handle) != 1)
			rc = -EINVAL;
		else if (parse_owner(out.data, &pid, &start, &pidns) && pidns == egress_pidns()) {
			*ours = pid == getpid() && start == egress_start_time(getpid());
			*stale = !egress_owner_alive(pid, start);
		}
	}
	mvm_buf_free(&out);
	return rc;
}

int egress_delete_handle(struct nft_ctx *n, uint64_t handle)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "delete table inet handle %" PRIu64, handle);
	return egress_nft_run(n, 0, cmd, NULL, NULL, 0);
}

int mvm_egress_sweep(struct nft_ctx *n)
{
	struct mvm_buf out = { 0 };
	int rc = egress_nft_run(n, 0, "list tables inet", &out, NULL, 0), swept = 0;
	if (rc) {
		mvm_buf_free(&out);
		return rc;
	}
	for (const char *p = out.data ? out.data : ""; (p = strstr(p, "table inet mvm_")); p++) {
		char name[32];
		size_t k = 0;
		const char *q = p + strlen("table inet ");
		while (k + 1 < sizeof(name) && (isalnum((unsigned char)q[k]) || q[k] == '_'))
			name[k] = q[k], k++;
		name[k] = 0;
		uint64_t handle;
		bool stale, ours;
		/* Deleted by handle: a table re-created under the same name since it was listed has
		 * another handle and is left alone. */
		if (egress_table_owner(n, name, &handle, &stale, &ours) == 0 && stale && egress_delete_handle(n, handle) == 0)
			swept++;
	}
	mvm_buf_free(&out);
	return swept;
}

/* From a verified bundle to a sandbox launch: the signed filter bytes for this architecture,
 * their signed digest, and the process and filesystem sections of plan.json. The bundle was
 * verified by admission (lib/bundle.h); this only reads what it holds, never the disk. */
#include "sandbox.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/bundle.h"
#include "../../lib/canon_json.h"

/* Capability names as plan.json writes them; the numbers come from <linux/capability.h>. */
#define CAP(name) { #name, name }
static const struct {
	const char *name;
	int cap;
} caps[] = {
	CAP(CAP_CHOWN),		  CAP(CAP_DAC_OVERRIDE),  CAP(CAP_DAC_READ_SEARCH), CAP(CAP_FOWNER),
	CAP(CAP_FSETID),	  CAP(CAP_KILL),	  CAP(CAP_SETGID),	    CAP(CAP_SETUID),
	CAP(CAP_SETPCAP),	  CAP(CAP_LINUX_IMMUTABLE), CAP(CAP_NET_BIND_SERVICE), CAP(CAP_NET_BROADCAST),
	CAP(CAP_NET_ADMIN),	  CAP(CAP_NET_RAW),	  CAP(CAP_IPC_LOCK),	    CAP(CAP_IPC_OWNER),
	CAP(CAP_SYS_MODULE),	  CAP(CAP_SYS_RAWIO),	  CAP(CAP_SYS_CHROOT),	    CAP(CAP_SYS_PTRACE),
	CAP(CAP_SYS_PACCT),	  CAP(CAP_SYS_ADMIN),	  CAP(CAP_SYS_BOOT),	    CAP(CAP_SYS_NICE),
	CAP(CAP_SYS_RESOURCE),	  CAP(CAP_SYS_TIME),	  CAP(CAP_SYS_TTY_CONFIG),  CAP(CAP_MKNOD),
	CAP(CAP_LEASE),		  CAP(CAP_AUDIT_WRITE),	  CAP(CAP_AUDIT_CONTROL),   CAP(CAP_SETFCAP),
	CAP(CAP_MAC_OVERRIDE),	  CAP(CAP_MAC_ADMIN),	  CAP(CAP_SYSLOG),	    CAP(CAP_WAKE_ALARM),
	CAP(CAP_BLOCK_SUSPEND),	  CAP(CAP_AUDIT_READ),	  CAP(CAP_PERFMON),	    CAP(CAP_BPF),
	CAP(CAP_CHECKPOINT_RESTORE),
};

static int errf(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static const struct mvm_cj *member(const struct mvm_cj *obj, const char *key, enum mvm_cj_kind kind)
{
	const struct mvm_cj *v = obj && obj->kind == MVM_CJ_OBJECT ? mvm_cj_get(obj, key) : NULL;
	return v && v->kind == kind ? v : NULL;
}

static int read_process(struct mvm_sandbox_plan *p, const struct mvm_cj *proc, char *err, size_t errlen)
{
	const struct mvm_cj *uid = member(proc, "uid", MVM_CJ_INT), *gid = member(proc, "gid", MVM_CJ_INT),
			   *cl = member(proc, "capabilities", MVM_CJ_ARRAY);
	if (!uid || !gid || !cl || uid->i < 0 || uid->i >= 4294967295LL || gid->i < 0 || gid->i >= 4294967295LL)
		return errf(err, errlen, -EINVAL, "plan.json: process needs uid, gid (0..4294967294) and capabilities");
	p->cfg.uid = (uid_t)uid->i;
	p->cfg.gid = (gid_t)gid->i;
	for (size_t i = 0; i < cl->n; i++) {
		const struct mvm_cj *name = cl->val[i];
		size_t k = 0;
		while (name->kind == MVM_CJ_STRING && k < sizeof(caps) / sizeof(caps[0]) && strcmp(caps[k].name, name->str))
			k++;
		if (name->kind != MVM_CJ_STRING || k == sizeof(caps) / sizeof(caps[0]))
			return errf(err, errlen, -EINVAL, "plan.json: unknown capability '%s'",
				    name->kind == MVM_CJ_STRING ? name->str : "?");
		p->cfg.keep_caps |= 1ull << caps[k].cap;
	}
	return 0;
}

static int read_filesystem(struct mvm_sandbox_plan *p, const struct mvm_cj *fs, char *err, size_t errlen)
{
	const struct mvm_cj *root = member(fs, "root", MVM_CJ_STRING), *rootfs = member(fs, "rootfs", MVM_CJ_STRING),
			   *shares = member(fs, "shares", MVM_CJ_ARRAY);
	if (!root || !shares)
		return errf(err, errlen, -EINVAL, "plan.json: filesystem needs root and shares");
	if (strcmp(root->str, "ro"))
		return errf(err, errlen, -ENOTSUP, "the sandbox backend gives a read-only root only (the plan asks for root: %s)",
			    root->str);
	if (rootfs && !(p->cfg.rootfs = mvm_arena_strdup(&p->arena, rootfs->str)))
		return errf(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < shares->n; i++) {
		const struct mvm_cj *host = member(shares->val[i], "host", MVM_CJ_STRING),
				   *guest = member(shares->val[i], "guest", MVM_CJ_STRING),
				   *mode = member(shares->val[i], "mode", MVM_CJ_STRING);
		if (!host || !guest || !mode || (strcmp(mode->str, "ro") && strcmp(mode->str, "rw")))
			return errf(err, errlen, -EINVAL, "plan.json: share %zu needs host, guest and mode ro|rw", i);
		struct mvm_sandbox_share s = { mvm_arena_strdup(&p->arena, host->str), mvm_arena_strdup(&p->arena, guest->str),
					       !strcmp(mode->str, "rw") };
		if (!s.host || !s.guest)
			return errf(err, errlen, -ENOMEM, "out of memory");
		int rc = mvm_sandbox_plan_add_share(p, &s, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int mvm_sandbox_plan_from_bundle(const struct mvm_bundle *b, const char *arch, struct mvm_sandbox_plan *out,
				 char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	mvm_arena_init(&out->arena, 1u << 20);
	mvm_sandbox_config_init(&out->cfg);
	out->cfg.shares = out->shares;

	char name[64];
	snprintf(name, sizeof(name), "seccomp.%s.bpf", arch);
	const struct mvm_named_bytes *bpf = mvm_bundle_file(b, name);
	const char *signed_digest = NULL;
	for (size_t i = 0; i < b->plan.nartifact; i++)
		if (!strcmp(b->plan.artifact_name[i], name))
			signed_digest = b->plan.artifact_digest[i];
	if (!bpf || !signed_digest)
		return errf(err, errlen, -ENOENT, "the bundle has no %s (built for other architectures?)", name);
	if (bpf->len == 0 || bpf->len % sizeof(struct sock_filter) ||
	    bpf->len / sizeof(struct sock_filter) > MVM_SANDBOX_MAX_FILTER)
		return errf(err, errlen, -EINVAL, "%s is not a BPF program of 1..%d instructions", name, MVM_SANDBOX_MAX_FILTER);
	/* A copy of the exact bytes, in memory aligned for struct sock_filter. */
	out->filter = malloc(bpf->len);
	if (!out->filter)
		return errf(err, errlen, -ENOMEM, "out of memory");
	memcpy(out->filter, bpf->data, bpf->len);
	snprintf(out->digest, sizeof(out->digest), "%s", signed_digest);
	out->cfg.filter = out->filter;
	out->cfg.filter_len = bpf->len / sizeof(struct sock_filter);
	out->cfg.filter_digest = out->digest;

	const struct mvm_named_bytes *plan = mvm_bundle_file(b, MVM_BUNDLE_PLAN);
	if (!plan)
		return errf(err, errlen, -EINVAL, "the bundle has no plan.json");
	struct mvm_arena a;
	mvm_arena_init(&a, 16u << 20);
	struct mvm_cj *root;
	char perr[128];
	int rc = mvm_cj_parse(&a, (const char *)plan->data, plan->len, &root, perr, sizeof(perr));
	if (rc)
		rc = errf(err, errlen, rc, "plan.json: %s", perr);
	else if (!(rc = read_process(out, member(root, "process", MVM_CJ_OBJECT), err, errlen)))
		rc = read_filesystem(out, member(root, "filesystem", MVM_CJ_OBJECT), err, errlen);
	mvm_arena_free(&a);
	return rc;
}

int mvm_sandbox_plan_add_share(struct mvm_sandbox_plan *p, const struct mvm_sandbox_share *s, char *err, size_t errlen)
{
	if (p->cfg.nshares == MVM_SANDBOX_MAX_SHARES)
		return errf(err, errlen, -E2BIG, "more than %d shares", MVM_SANDBOX_MAX_SHARES);
	int rc = mvm_sandbox_check_share(s, err, errlen);
	if (rc)
		return rc;
	p->shares[p->cfg.nshares++] = *s;
	return 0;
}

void mvm_sandbox_plan_free(struct mvm_sandbox_plan *p)
{
	free(p->filter);
	p->filter = NULL;
	mvm_arena_free(&p->arena);
}

/* plan.json: canonical JSON (sorted keys, no white space, integers and strings only) that
 * binds the admission fields of the profile to the sha256 of every artifact. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../lib/digest.h"
#include "emit.h"

#define MVMC_VERSION_STRING "mvmc " MVM_VERSION

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
	"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
	"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
	"CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

static json_t *egress_json(const struct mvm_egress *e)
{
	json_t *o = json_object(), *allow = json_array();
	if (e->resolver)
		json_object_set_new(o, "resolver", json_string(e->resolver));
	for (size_t i = 0; i < e->nrule; i++) {
		const struct mvm_egress_rule *r = &e->rule[i];
		json_t *ro = json_object(), *ports = json_array();
		if (r->host) {
			json_object_set_new(ro, "host", json_string(r->host));
		} else {
			char addr[INET6_ADDRSTRLEN], cidr[INET6_ADDRSTRLEN + 8];
			inet_ntop(r->family, r->addr, addr, sizeof(addr));
			snprintf(cidr, sizeof(cidr), "%s/%u", addr, r->prefix);
			json_object_set_new(ro, "cidr", json_string(cidr));
		}
		static const char *const proto[] = { "any", "tcp", "udp", "icmp" };
		json_object_set_new(ro, "proto", json_string(proto[r->proto]));
		for (size_t k = 0; k < r->nport; k++) {
			char buf[16];
			if (r->port[k].lo == r->port[k].hi)
				snprintf(buf, sizeof(buf), "%u", r->port[k].lo);
			else
				snprintf(buf, sizeof(buf), "%u-%u", r->port[k].lo, r->port[k].hi);
			json_array_append_new(ports, json_string(buf));
		}
		if (r->nport)
			json_object_set_new(ro, "ports", ports);
		else
			json_decref(ports);
		json_array_append_new(allow, ro);
	}
	json_object_set_new(o, "allow", allow);
	return o;
}

static json_t *plan_json(const struct mvm_profile *p, const struct mvm_artifact *arts, size_t n,
			 const struct mvm_plan_validity *v)
{
	json_t *root = json_object();
	json_object_set_new(root, "schema", json_integer(1));
	if (v) {
		json_object_set_new(root, "not_before", json_integer((json_int_t)v->not_before));
		json_object_set_new(root, "not_after", json_integer((json_int_t)v->not_after));
	}
	json_object_set_new(root, "compiler", json_string(MVMC_VERSION_STRING));
	json_object_set_new(root, "name", json_string(p->name));
	if (p->intent)
		json_object_set_new(root, "intent", json_string(p->intent));
	if (p->tier)
		json_object_set_new(root, "tier", json_string(p->tier));
	json_t *arch = json_array();
	for (int a = 0; a < MVM_ARCH_COUNT; a++)
		if (p->arch_mask & (1u << a))
			json_array_append_new(arch, json_string(mvm_arch_by_id((enum mvm_arch_id)a)->name));
	json_object_set_new(root, "arch", arch);

	json_t *artifacts = json_object();
	for (size_t i = 0; i < n; i++) {
		char dig[MVM_DIGEST_STRLEN];
		if (mvm_sha256_str(arts[i].data.data, arts[i].data.len, dig)) {
			json_decref(root);
			json_decref(artifacts);
			return NULL;
		}
		json_object_set_new(artifacts, arts[i].name, json_string(dig));
	}
	json_object_set_new(root, "artifacts", artifacts);

	json_t *adm = json_object();
	json_object_set_new(adm, "valid_for_s", json_integer((json_int_t)p->valid_for_s));
	json_object_set_new(root, "admission", adm);

	json_t *proc = json_object(), *caps = json_array();
	json_object_set_new(proc, "uid", json_integer(p->proc.uid));
	json_object_set_new(proc, "gid", json_integer(p->proc.gid));
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (p->proc.caps & ((uint64_t)1 << i))
			json_array_append_new(caps, json_string(cap_names[i]));
	json_object_set_new(proc, "capabilities", caps);
	json_object_set_new(root, "process", proc);

	json_t *fs = json_object(), *shares = json_array();
	json_object_set_new(fs, "root", json_string(p->fs.root_writable ? "rw" : "ro"));
	if (p->fs.rootfs)
		json_object_set_new(fs, "rootfs", json_string(p->fs.rootfs));
	for (size_t i = 0; i < p->fs.nshare; i++) {
		json_t *s = json_object();
		json_object_set_new(s, "host", json_string(p->fs.share[i].host));
		json_object_set_new(s, "guest", json_string(p->fs.share[i].guest));
		json_object_set_new(s, "mode", json_string(p->fs.share[i].writable ? "rw" : "ro"));
		json_array_append_new(shares, s);
	}
	json_object_set_new(fs, "shares", shares);
	json_object_set_new(root, "filesystem", fs);

	json_t *net = json_object();
	if (p->egress.present)
		json_object_set_new(net, "egress", egress_json(&p->egress));
	else
		json_object_set_new(net, "egress", json_string("none"));
	json_object_set_new(root, "network", net);

	static const char *const sec[] = { "none", "plan-bound", "attestation-bound" };
	json_t *secrets = json_object();
	json_object_set_new(secrets, "release", json_string(sec[p->secrets]));
	json_object_set_new(root, "secrets", secrets);

	json_t *tools = json_array();
	for (size_t i = 0; i < p->ntool; i++)
		json_array_append_new(tools, json_string(p->tool[i]));
	json_object_set_new(root, "tools", tools);
	json_t *labels = json_object();
	for (size_t i = 0; i < p->nlabel; i++)
		json_object_set_new(labels, p->label[i].key, json_string(p->label[i].value));
	json_object_set_new(root, "labels", labels);
	return root;
}

int mvm_emit_plan(struct mvm_diag *d, const struct mvm_profile *p, const struct mvm_artifact *arts, size_t n,
		  struct mvm_buf *out)
{
	return mvm_emit_plan_valid(d, p, arts, n, NULL, out);
}

int mvm_emit_plan_valid(struct mvm_diag *d, const struct mvm_profile *p, const struct mvm_artifact *arts, size_t n,
			const struct mvm_plan_validity *v, struct mvm_buf *out)
{
	json_t *root = plan_json(p, arts, n, v);
	if (!root) {
		mvm_diag_error(d, NULL, 0, 0, "plan.json: cannot compute digests");
		return -EIO;
	}
	char *text = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	mvm_buf_puts(out, text);
	free(text);
	return out->oom ? -ENOMEM : 0;
}

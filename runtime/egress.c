/* Egress for one sandbox, from setup to teardown (docs/egress.md has the order and why):
 * sweep -> claim a slot -> the wrapped text checked in a scratch network namespace -> forwarding
 * -> the text applied in one transaction -> the listing in force checked -> host names pinned
 * -> (launch) -> posture check -> pins refreshed and the ruleset re-checked while the workload
 * runs -> table deleted. Any failure before the launch leaves nothing behind and the workload
 * never starts. */
#include "egress.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/canon_json.h"
#include "egress_internal.h"

#define SCRATCH_MAX_LISTING (4u << 20)
#define TICK_INTERVAL_S 1
#define REFRESH_TIMEOUT_MS 1000 /* while the workload runs: the tick must not stall signal forwarding long */
#define RETRY_AFTER_FAILURE_MS 2000

struct pin_addr {
	int family;
	uint8_t a[16];
	long expires_ms; /* monotonic */
};

struct mvm_egress_pin {
	const struct mvm_egress_name *name;
	size_t n;
	struct pin_addr addr[MVM_DNS_MAX_ADDRS];
	long next_ms;
	bool pinned_once, failing;
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

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- the host's own addresses ---- */

static bool in_pool(int family, const uint8_t *a)
{
	static const uint8_t pool6[6] = { 0xfd, 0x6d, 0x76, 0x6d, 0x65, 0x67 };
	return family == AF_INET ? (a[0] == 10 && a[1] == 222) : memcmp(a, pool6, 6) == 0;
}

/* Every address of the runtime's network namespace outside the pool (which is added whole),
 * each once (the same IPv6 link-local address may sit on several devices), as set elements
 * "A, B, ...". */
#define MAX_HOST_ADDRS 512
static int host_addresses(struct mvm_buf *v4, struct mvm_buf *v6)
{
	struct ifaddrs *ifa;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	struct {
		int family;
		uint8_t a[16];
	} seen[MAX_HOST_ADDRS];
	size_t nseen = 0;
	int rc = 0;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		int fam = i->ifa_addr->sa_family;
		uint8_t a[16] = { 0 };
		if (fam == AF_INET)
			memcpy(a, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
		else
			memcpy(a, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, 16);
		if (in_pool(fam, a))
			continue;
		size_t k = 0;
		while (k < nseen && !(seen[k].family == fam && !memcmp(seen[k].a, a, 16)))
			k++;
		if (k < nseen)
			continue;
		if (nseen == MAX_HOST_ADDRS) {
			rc = -E2BIG;
			break;
		}
		seen[nseen].family = fam;
		memcpy(seen[nseen++].a, a, 16);
		char text[INET6_ADDRSTRLEN];
		inet_ntop(fam, a, text, sizeof(text));
		struct mvm_buf *b = fam == AF_INET ? v4 : v6;
		mvm_buf_printf(b, "%s%s", b->len ? ", " : "", text);
	}
	freeifaddrs(ifa);
	return rc ? rc : v4->oom || v6->oom ? -ENOMEM : 0;
}

/* ---- the scratch namespace ---- */

static int read_all(int fd, struct mvm_buf *out, size_t max)
{
	char buf[8192];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return out->oom ? -ENOMEM : 0;
		if (out->len + (size_t)n > max)
			return -E2BIG;
		mvm_buf_put(out, buf, (size_t)n);
	}
}

static size_t count_tables(const char *listing)
{
	size_t n = 0;
	for (const char *p = listing; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, "table ", 6))
			n++;
	return n;
}

/* The normalized listing of what `claim` then `text` produce in a network namespace of their
 * own (a forked child that unshares one): it must load, and be exactly one table. */
static int scratch_listing(const struct mvm_egress_slot *s, const char *claim, const char *text, struct mvm_buf *out,
			   char *err, size_t errlen)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return errf(err, errlen, -errno, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return errf(err, errlen, -e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(pfd[0]);
		char msg[256] = "";
		struct mvm_buf listing = { 0 };
		struct nft_ctx *n = NULL;
		int status = 1;
		if (unshare(CLONE_NEWNET) < 0)
			snprintf(msg, sizeof(msg), "unshare(CLONE_NEWNET): %s", strerror(errno));
		else if (!(n = egress_nft_new()))
			snprintf(msg, sizeof(msg), "libnftables: cannot create a context");
		else if (egress_nft_run(n, 0, claim, NULL, msg, sizeof(msg)) ||
			 egress_nft_run(n, 0, text, NULL, msg, sizeof(msg)) ||
			 egress_nft_run(n, NFT_CTX_OUTPUT_STATELESS, "list ruleset", &listing, msg, sizeof(msg)))
			;
		else if (count_tables(listing.data) != 1 || !strstr(listing.data, s->table))
			snprintf(msg, sizeof(msg), "the rules make %zu tables, not just %s", count_tables(listing.data), s->table);
		else
			status = 0;
		const char *w = status ? msg : listing.data;
		size_t wl = strlen(w);
		while (wl) {
			ssize_t k = write(pfd[1], w, wl);
			if (k <= 0)
				break;
			w += k;
			wl -= (size_t)k;
		}
		_exit(status);
	}
	close(pfd[1]);
	struct mvm_buf raw = { 0 };
	int rc = read_all(pfd[0], &raw, SCRATCH_MAX_LISTING);
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		rc = errf(err, errlen, -EINVAL, "the rules do not load in a scratch namespace: %s",
			  raw.data ? raw.data : "the checker died");
	else if (rc)
		errf(err, errlen, rc, "reading the scratch listing: %s", strerror(-rc));
	else if ((rc = mvm_egress_normalize(raw.data, out)))
		errf(err, errlen, rc, "normalizing the scratch listing");
	mvm_buf_free(&raw);
	return rc;
}

/* The normalized listing of the table in force, as a digest. */
static int listing_digest(struct mvm_egress_run *e, char digest[MVM_DIGEST_STRLEN], char *err, size_t errlen)
{
	char cmd[64];
	struct mvm_buf raw = { 0 }, norm = { 0 };
	snprintf(cmd, sizeof(cmd), "list table inet %s", e->slot.table);
	int rc = egress_nft_run(e->nft, NFT_CTX_OUTPUT_STATELESS, cmd, &raw, err, errlen);
	if (rc == 0 && (rc = mvm_egress_normalize(raw.data ? raw.data : "", &norm)) == 0)
		rc = mvm_sha256_str(norm.data ? norm.data : "", norm.len, digest);
	mvm_buf_free(&raw);
	mvm_buf_free(&norm);
	return rc;
}

/* ---- forwarding ---- */

static int sysctl_on(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char c = 0;
	int rc = 0;
	if (read(fd, &c, 1) == 1 && c == '1')
		goto out;
	if (pwrite(fd, "1", 1, 0) != 1)
		rc = -errno;
out:
	close(fd);
	return rc;
}

/* ---- pins ---- */

static void addr_text(int family, const uint8_t *a, char *out, size_t len)
{
	inet_ntop(family, a, out, (socklen_t)len);
}

static bool pin_live(const struct mvm_egress_pin *p, int family, const uint8_t *a, long now)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->addr[i].family == family && p->addr[i].expires_ms > now &&
		    !memcmp(p->addr[i].a, a, family == AF_INET ? 4 : 16))
			return true;
	return false;
}

static int audit_pin(struct mvm_egress_run *e, const struct mvm_egress_pin *p, const struct mvm_dns_answer *ans,
		     uint32_t ttl, const char *error)
{
	if (!e->cfg->audit)
		return 0;
	struct mvm_buf b = { 0 };
	struct mvm_cjw w;
	char text[MVM_DNS_MAX_ADDRS][INET6_ADDRSTRLEN];
	mvm_cjw_init(&w, &b);
	mvm_cjw_begin_object(&w);
	if (ans) {
		mvm_cjw_key(&w, "addrs");
		mvm_cjw_begin_array(&w);
		for (size_t i = 0; i < ans->n; i++) {
			addr_text(ans->addr[i].family, ans->addr[i].addr, text[i], sizeof(text[i]));
			mvm_cjw_str(&w, text[i]);
		}
		mvm_cjw_end_array(&w);
	}
	if (error) {
		mvm_cjw_key(&w, "error");
		mvm_cjw_str(&w, error);
	}
	mvm_cjw_key(&w, "host");
	mvm_cjw_str(&w, p->name->host);
	mvm_cjw_key(&w, "resolver");
	mvm_cjw_str(&w, e->cfg->spec->resolver);
	mvm_cjw_key(&w, "rule");
	mvm_cjw_int(&w, (int64_t)p->name->rule);
	mvm_cjw_key(&w, "table");
	mvm_cjw_str(&w, e->slot.table);
	if (ans) {
		mvm_cjw_key(&w, "ttl");
		mvm_cjw_int(&w, ttl);
	}
	mvm_cjw_end_object(&w);
	int rc = mvm_cjw_finish(&w);
	if (rc == 0)
		rc = e->cfg->audit(e->cfg->audit_ctx, ans ? "dns.pin" : "dns.refused", b.data) ? -EIO : 0;
	mvm_buf_free(&b);
	return rc;
}

static uint32_t clamp_ttl(uint32_t ttl)
{
	return ttl < MVM_EGRESS_PIN_MIN_S ? MVM_EGRESS_PIN_MIN_S : ttl > MVM_EGRESS_PIN_MAX_S ? MVM_EGRESS_PIN_MAX_S : ttl;
}

/* Adds the answer's addresses to n<rule>_4 / n<rule>_6 with their (bounded) TTLs as timeouts.
 * Addresses still pinned get a fresh timeout (deleted and added again in the same transaction,
 * so they never lapse); addresses no longer in the answer are left to time out. */
static int pin_apply(struct mvm_egress_run *e, struct mvm_egress_pin *p, const struct mvm_dns_answer *ans, long now)
{
	struct mvm_buf del = { 0 }, add = { 0 };
	for (size_t i = 0; i < ans->n; i++) {
		const struct mvm_dns_addr *a = &ans->addr[i];
		char text[INET6_ADDRSTRLEN];
		addr_text(a->family, a->addr, text, sizeof(text));
		int v = a->family == AF_INET ? 4 : 6;
		if (pin_live(p, a->family, a->addr, now))
			mvm_buf_printf(&del, "delete element inet %s n%zu_%d { %s }\n", e->slot.table, p->name->rule, v, text);
		mvm_buf_printf(&add, "add element inet %s n%zu_%d { %s timeout %us }\n", e->slot.table, p->name->rule, v, text,
			       clamp_ttl(a->ttl));
	}
	struct mvm_buf both = { 0 };
	mvm_buf_put(&both, del.data, del.len);
	mvm_buf_put(&both, add.data, add.len);
	int rc = del.oom || add.oom || both.oom ? -ENOMEM : egress_nft_run(e->nft, 0, both.data ? both.data : "", NULL, NULL, 0);
	if (rc == -EIO) {
		/* An element timed out between the check and the commit: delete what is left one by
		 * one, then add. */
		for (char *line = del.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			egress_nft_run(e->nft, 0, line, NULL, NULL, 0);
		}
		rc = egress_nft_run(e->nft, 0, add.data ? add.data : "", NULL, NULL, 0);
	}
	if (rc == 0) {
		/* Forget what expired; record or extend what was just added. */
		size_t k = 0;
		for (size_t i = 0; i < p->n; i++)
			if (p->addr[i].expires_ms > now)
				p->addr[k++] = p->addr[i];
		p->n = k;
		for (size_t i = 0; i < ans->n; i++) {
			const struct mvm_dns_addr *a = &ans->addr[i];
			size_t j = 0;
			while (j < p->n && !(p->addr[j].family == a->family && !memcmp(p->addr[j].a, a->addr, a->family == AF_INET ? 4 : 16)))
				j++;
			if (j == p->n) {
				if (p->n == MVM_DNS_MAX_ADDRS)
					continue; /* the set still holds it; it times out on its own */
				p->n++;
				p->addr[j].family = a->family;
				memcpy(p->addr[j].a, a->addr, 16);
			}
			p->addr[j].expires_ms = now + (long)clamp_ttl(a->ttl) * 1000L;
		}
	}
	mvm_buf_free(&del);
	mvm_buf_free(&add);
	mvm_buf_free(&both);
	return rc;
}

/* Resolves one name and pins its answer. A name that does not resolve opens nothing and is
 * audited (once per failure streak); an answer that cannot be audited is not pinned. At
 * launch (strict) any audit failure is an error. */
static int pin_refresh(struct mvm_egress_run *e, struct mvm_egress_pin *p, int timeout_ms, bool strict)
{
	struct mvm_dns_answer ans;
	int rc = mvm_dns_resolve(e->cfg->spec->resolver, 0, p->name->host, timeout_ms, &ans);
	long now = now_ms();
	if (rc) {
		p->next_ms = now + RETRY_AFTER_FAILURE_MS;
		const char *why = rc == -ENOENT ? "no address (NXDOMAIN or no A/AAAA record)" : rc == -ETIMEDOUT ? "timeout" : strerror(-rc);
		int arc = p->failing ? 0 : audit_pin(e, p, NULL, 0, why);
		p->failing = true;
		return strict ? arc : 0;
	}
	/* Each address once (an answer may repeat one, through a CNAME chain for example), with
	 * the smallest TTL it came with. */
	size_t k = 0;
	for (size_t i = 0; i < ans.n; i++) {
		size_t j = 0;
		while (j < k && !(ans.addr[j].family == ans.addr[i].family && !memcmp(ans.addr[j].addr, ans.addr[i].addr, 16)))
			j++;
		if (j == k)
			ans.addr[k++] = ans.addr[i];
		else if (ans.addr[i].ttl < ans.addr[j].ttl)
			ans.addr[j].ttl = ans.addr[i].ttl;
	}
	ans.n = k;
	uint32_t ttl = UINT32_MAX;
	bool changed = !p->pinned_once || p->failing;
	for (size_t i = 0; i < ans.n; i++) {
		if (ans.addr[i].ttl < ttl)
			ttl = ans.addr[i].ttl;
		changed |= !pin_live(p, ans.addr[i].family, ans.addr[i].addr, now);
	}
	ttl = clamp_ttl(ttl);
	/* Every new address is audited before it is opened. */
	if (changed && (rc = audit_pin(e, p, &ans, ttl, NULL))) {
		p->next_ms = now + RETRY_AFTER_FAILURE_MS;
		return strict ? rc : 0;
	}
	if ((rc = pin_apply(e, p, &ans, now))) {
		p->next_ms = now + RETRY_AFTER_FAILURE_MS;
		return rc;
	}
	p->pinned_once = true;
	p->failing = false;
	/* Re-resolved at half the TTL, so a still-valid answer never lapses. */
	p->next_ms = now + (long)(ttl * 1000L / 2 > 1000 ? ttl * 1000L / 2 : 1000);
	return 0;
}

/* ---- setup ---- */

static int claim_slot(struct mvm_egress_run *e, struct mvm_buf *claim, char *err, size_t errlen)
{
	unsigned start = (unsigned)getpid() % MVM_EGRESS_SLOTS;
	char nerr[256] = "";
	for (unsigned i = 0; i < MVM_EGRESS_SLOTS; i++) {
		mvm_egress_slot((start + i) % MVM_EGRESS_SLOTS, &e->slot);
		claim->len = 0;
		if (mvm_egress_claim_text(&e->slot, claim))
			return errf(err, errlen, -ENOMEM, "out of memory");
		for (int attempt = 0; attempt < 2; attempt++) {
			if (egress_nft_run(e->nft, 0, claim->data, NULL, nerr, sizeof(nerr)) == 0) {
				bool stale, ours;
				e->claimed = true;
				if (egress_table_owner(e->nft, e->slot.table, &e->handle, &stale, &ours) || !ours)
					return errf(err, errlen, -EIO, "table %s: cannot read back its owner", e->slot.table);
				return 0;
			}
			if (!strstr(nerr, "File exists"))
				return errf(err, errlen, -EIO, "nftables: %s", nerr);
			uint64_t handle;
			bool stale, ours;
			if (egress_table_owner(e->nft, e->slot.table, &handle, &stale, &ours) || !stale ||
			    egress_delete_handle(e->nft, handle))
				break; /* in use (or not ours to judge): the next slot */
		}
	}
	return errf(err, errlen, -EBUSY, "no free egress slot (%d in use)", MVM_EGRESS_SLOTS);
}

/* The next tick: when the first name is due, and at most TICK_INTERVAL_S from now (the ruleset
 * is re-checked on every tick). One-shot, re-armed by every tick. */
static int arm_timer(struct mvm_egress_run *e)
{
	long now = now_ms(), next = now + TICK_INTERVAL_S * 1000L;
	for (size_t i = 0; i < e->npin; i++)
		if (e->pin[i].next_ms < next)
			next = e->pin[i].next_ms;
	long wait = next > now ? next - now : 1;
	struct itimerspec its = { { 0, 0 }, { wait / 1000, (wait % 1000) * 1000000L } };
	return timerfd_settime(e->timer_fd, 0, &its, NULL) < 0 ? -errno : 0;
}

static int watch_changes(struct mvm_egress_run *e)
{
	e->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (e->timer_fd < 0)
		return -errno;
	int rc = arm_timer(e);
	if (rc)
		return rc;
	e->monitor_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
	if (e->monitor_fd < 0)
		return -errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int group = NFNLGRP_NFTABLES;
	if (bind(e->monitor_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(e->monitor_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		return -errno;
	e->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epoll_fd < 0)
		return -errno;
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.fd = e->timer_fd;
	if (epoll_ctl(e->epoll_fd, EPOLL_CTL_ADD, e->timer_fd, &ev) < 0)
		return -errno;
	ev.data.fd = e->monitor_fd;
	if (epoll_ctl(e->epoll_fd, EPOLL_CTL_ADD, e->monitor_fd, &ev) < 0)
		return -errno;
	return 0;
}

int mvm_egress_setup(struct mvm_egress_run *e, const struct mvm_egress_config *cfg, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->timer_fd = e->monitor_fd = e->epoll_fd = -1;
	const struct mvm_egress_spec *spec = cfg->spec;
	if (geteuid() != 0)
		return errf(err, errlen, -EPERM, "egress needs the runtime to run as root (a veth pair and nftables rules "
				  "in the host's network namespace)");
	if (!egress_proc_is_ours())
		return errf(err, errlen, -EPERM, "/proc belongs to another pid namespace: the owners of egress tables "
				  "cannot be told apart (mount a /proc for this one)");
	if (!(e->nft = egress_nft_new()))
		return errf(err, errlen, -ENOMEM, "libnftables: cannot create a context");
	int rc = mvm_egress_sweep(e->nft);
	if (rc < 0)
		return errf(err, errlen, rc, "nftables: cannot list tables (is nf_tables available?)");

	struct mvm_buf claim = { 0 }, h4 = { 0 }, h6 = { 0 }, text = { 0 }, scratch = { 0 };
	if ((rc = claim_slot(e, &claim, err, errlen)))
		goto out;
	if ((rc = host_addresses(&h4, &h6))) {
		errf(err, errlen, rc, "the host's addresses: %s", strerror(-rc));
		goto out;
	}
	if ((rc = mvm_egress_wrap(&e->slot, spec->body, spec->body_len, h4.data, h6.data, &text))) {
		errf(err, errlen, rc, "out of memory");
		goto out;
	}
	/* What the signed bytes produce, on their own, before they touch the host. */
	if ((rc = scratch_listing(&e->slot, claim.data, text.data, &scratch, err, errlen)))
		goto out;
	if ((rc = mvm_sha256_str(scratch.data, scratch.len, e->expected)))
		goto out;

	bool have_v6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	if ((rc = sysctl_on("/proc/sys/net/ipv4/ip_forward"))) {
		errf(err, errlen, rc, "net.ipv4.ip_forward: %s", strerror(-rc));
		goto out;
	}
	if (have_v6 && spec->ipv6 && (rc = sysctl_on("/proc/sys/net/ipv6/conf/all/forwarding"))) {
		errf(err, errlen, rc, "net.ipv6.conf.all.forwarding: %s", strerror(-rc));
		goto out;
	}
	char nerr[256] = "";
	if ((rc = egress_nft_run(e->nft, 0, text.data, NULL, nerr, sizeof(nerr)))) {
		errf(err, errlen, rc, "nftables: %s", nerr);
		goto out;
	}
	char exp[128], obs[128];
	if ((rc = mvm_egress_verify(e, exp, sizeof(exp), obs, sizeof(obs)))) {
		errf(err, errlen, rc, "the rules in force are not the ones checked (%s, expected %s)", obs, exp);
		goto out;
	}

	e->npin = spec->nname;
	e->pin = calloc(e->npin ? e->npin : 1, sizeof(*e->pin));
	if (!e->pin) {
		rc = errf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < e->npin; i++) {
		e->pin[i].name = &spec->name[i];
		if ((rc = pin_refresh(e, &e->pin[i], cfg->dns_timeout_ms > 0 ? cfg->dns_timeout_ms : 2000, true))) {
			errf(err, errlen, rc, "pinning %s: %s", spec->name[i].host,
			     rc == -EIO ? "the pin could not be audited or applied" : strerror(-rc));
			goto out;
		}
	}
	if ((rc = watch_changes(e))) {
		errf(err, errlen, rc, "watching the rules: %s", strerror(-rc));
		goto out;
	}

	snprintf(e->net.host_ifname, sizeof(e->net.host_ifname), "%s", e->slot.iface);
	memcpy(e->net.host4, e->slot.host4, 4);
	memcpy(e->net.addr4, e->slot.addr4, 4);
	e->net.prefix4 = 30;
	e->net.ipv6 = have_v6;
	memcpy(e->net.host6, e->slot.host6, 16);
	memcpy(e->net.addr6, e->slot.addr6, 16);
	e->net.prefix6 = 64;
out:
	mvm_buf_free(&claim);
	mvm_buf_free(&h4);
	mvm_buf_free(&h6);
	mvm_buf_free(&text);
	mvm_buf_free(&scratch);
	return rc;
}

/* ---- while it runs ---- */

int mvm_egress_verify(struct mvm_egress_run *e, char *expected, size_t elen, char *observed, size_t olen)
{
	char got[MVM_DIGEST_STRLEN], lerr[160] = "";
	snprintf(expected, elen, "%s", e->expected);
	int rc = listing_digest(e, got, lerr, sizeof(lerr));
	if (rc) {
		snprintf(observed, olen, "not listable: %s", lerr[0] ? lerr : strerror(-rc));
		return -EPERM;
	}
	snprintf(observed, olen, "%s", got);
	return strcmp(got, e->expected) ? -EPERM : 0;
}

void mvm_egress_posture_check(struct mvm_egress_run *e, struct mvm_posture_verdict *v)
{
	char exp[MVM_POSTURE_VALUE_MAX], obs[MVM_POSTURE_VALUE_MAX];
	int rc = mvm_egress_verify(e, exp, sizeof(exp), obs, sizeof(obs));
	mvm_sandbox_posture_add(v, "egress.ruleset", rc == 0, exp, obs);
}

int mvm_egress_tick_fd(const struct mvm_egress_run *e)
{
	return e->epoll_fd;
}

int mvm_egress_tick(struct mvm_egress_run *e)
{
	uint64_t expirations;
	while (read(e->timer_fd, &expirations, sizeof(expirations)) > 0)
		;
	char drain[8192];
	while (recv(e->monitor_fd, drain, sizeof(drain), 0) > 0 || errno == ENOBUFS)
		;
	long now = now_ms();
	for (size_t i = 0; i < e->npin; i++)
		if (e->pin[i].next_ms <= now)
			pin_refresh(e, &e->pin[i], REFRESH_TIMEOUT_MS, false);
	char exp[MVM_DIGEST_STRLEN], obs[160];
	if (mvm_egress_verify(e, exp, sizeof(exp), obs, sizeof(obs))) {
		snprintf(e->violation, sizeof(e->violation), "table %s: expected %s, found %s", e->slot.table, exp, obs);
		return -EPERM;
	}
	if (arm_timer(e)) {
		snprintf(e->violation, sizeof(e->violation), "table %s: the timer that re-checks it failed", e->slot.table);
		return -EPERM;
	}
	return 0;
}

void mvm_egress_teardown(struct mvm_egress_run *e)
{
	if (e->claimed && e->nft)
		egress_delete_handle(e->nft, e->handle);
	e->claimed = false;
	close_fd(&e->timer_fd);
	close_fd(&e->monitor_fd);
	close_fd(&e->epoll_fd);
	free(e->pin);
	e->pin = NULL;
	e->npin = 0;
	if (e->nft)
		nft_ctx_free(e->nft);
	e->nft = NULL;
}

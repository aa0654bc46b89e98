/* The sandbox's one network device, when the plan allows egress (docs/egress.md): a veth pair
 * created in one rtnetlink request with its sandbox end ("eth0") born inside the sandbox's
 * network namespace, so there is never a moment when both ends are in the runtime's namespace,
 * and both go away with the sandbox's namespace. The runtime configures its end; the sandbox's
 * init configures eth0 and the default routes. Plain rtnetlink: one request, one ack. */
#include "sandbox_internal.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NL_BUF 1024

struct nlreq {
	union {
		struct nlmsghdr h;
		char buf[NL_BUF];
	} u;
	size_t nest[4];
	size_t depth;
	bool overflow;
};

static void *req_put(struct nlreq *q, size_t len)
{
	size_t at = NLMSG_ALIGN(q->u.h.nlmsg_len);
	if (at + NLMSG_ALIGN(len) > sizeof(q->u.buf)) {
		q->overflow = true;
		return NULL;
	}
	memset(q->u.buf + at, 0, NLMSG_ALIGN(len));
	q->u.h.nlmsg_len = (uint32_t)(at + len);
	return q->u.buf + at;
}

static void req_init(struct nlreq *q, uint16_t type, uint16_t flags, const void *hdr, size_t hdrlen)
{
	memset(q, 0, sizeof(*q));
	q->u.h.nlmsg_len = NLMSG_HDRLEN;
	q->u.h.nlmsg_type = type;
	q->u.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	q->u.h.nlmsg_seq = 1;
	void *p = req_put(q, hdrlen);
	if (p)
		memcpy(p, hdr, hdrlen);
}

static void attr(struct nlreq *q, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = req_put(q, RTA_LENGTH(len));
	if (!a)
		return;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
}

static void attr_str(struct nlreq *q, uint16_t type, const char *s)
{
	attr(q, type, s, strlen(s) + 1);
}

static void nest_begin(struct nlreq *q, uint16_t type)
{
	size_t at = NLMSG_ALIGN(q->u.h.nlmsg_len);
	attr(q, type, NULL, 0);
	if (q->depth < 4)
		q->nest[q->depth++] = at;
	else
		q->overflow = true;
}

static void nest_end(struct nlreq *q)
{
	if (!q->depth)
		return;
	size_t at = q->nest[--q->depth];
	struct rtattr *a = (struct rtattr *)(void *)(q->u.buf + at);
	a->rta_len = (unsigned short)(q->u.h.nlmsg_len - at);
}

/* Sends the request and waits for its ack: 0 or the kernel's -errno. */
static int req_run(struct nlreq *q)
{
	if (q->overflow)
		return -E2BIG;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int rc = 0;
	if (sendto(fd, q->u.buf, q->u.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		union {
			struct nlmsghdr h;
			char buf[8192];
		} r;
		ssize_t n = recv(fd, r.buf, sizeof(r.buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		struct nlmsghdr *h = &r.h;
		size_t len = (size_t)n;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				rc = e->error;
				goto out;
			}
	}
out:
	close(fd);
	return rc;
}

static int link_set_up(int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct nlreq q;
	req_init(&q, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	return req_run(&q);
}

static int addr_add(int ifindex, int family, const uint8_t *addr, unsigned prefix)
{
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)family, .ifa_prefixlen = (unsigned char)prefix,
				 .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)ifindex };
	size_t len = family == AF_INET ? 4 : 16;
	struct nlreq q;
	req_init(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	attr(&q, IFA_LOCAL, addr, len);
	attr(&q, IFA_ADDRESS, addr, len);
	if (family == AF_INET6) {
		/* Usable at once: duplicate address detection would hold the address back for about
		 * a second, and on a two-ended link there is no one to collide with. */
		uint32_t flags = IFA_F_NODAD;
		attr(&q, IFA_FLAGS, &flags, sizeof(flags));
	}
	return req_run(&q);
}

static int default_route(int ifindex, int family, const uint8_t *gw)
{
	struct rtmsg rt = { .rtm_family = (unsigned char)family, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
			    .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
	uint32_t oif = (uint32_t)ifindex;
	struct nlreq q;
	req_init(&q, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
	attr(&q, RTA_GATEWAY, gw, family == AF_INET ? 4 : 16);
	attr(&q, RTA_OIF, &oif, sizeof(oif));
	return req_run(&q);
}

static int link_delete(int ifindex, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nlreq q;
	req_init(&q, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	if (name)
		attr_str(&q, IFLA_IFNAME, name);
	return req_run(&q);
}

/* RTM_NEWLINK for the pair: NAME here, "eth0" in the namespace of pid. */
static int veth_create(const char *name, pid_t pid)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlreq q;
	req_init(&q, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	attr_str(&q, IFLA_IFNAME, name);
	nest_begin(&q, IFLA_LINKINFO);
	attr_str(&q, IFLA_INFO_KIND, "veth");
	nest_begin(&q, IFLA_INFO_DATA);
	nest_begin(&q, VETH_INFO_PEER);
	struct ifinfomsg *peer = req_put(&q, sizeof(struct ifinfomsg));
	if (peer)
		peer->ifi_family = AF_UNSPEC;
	attr_str(&q, IFLA_IFNAME, MVM_SANDBOX_NET_IFNAME);
	uint32_t p = (uint32_t)pid;
	attr(&q, IFLA_NET_NS_PID, &p, sizeof(p));
	nest_end(&q);
	nest_end(&q);
	nest_end(&q);
	return req_run(&q);
}

int sbx_net_attach(const struct mvm_sandbox_net *n, pid_t init_pid, int *ifindex, char *step, size_t steplen)
{
	*ifindex = 0;
	int rc = veth_create(n->host_ifname, init_pid);
	if (rc == -EEXIST) {
		/* Only a namespace something else keeps alive can leave a device with this name
		 * behind; the caller owns the name now (docs/egress.md), so it goes. */
		link_delete(0, n->host_ifname);
		rc = veth_create(n->host_ifname, init_pid);
	}
	if (rc)
		return snprintf(step, steplen, "create the veth pair %s", n->host_ifname), rc;
	int idx = (int)if_nametoindex(n->host_ifname);
	if (idx <= 0)
		return snprintf(step, steplen, "find %s", n->host_ifname), -ENODEV;
	*ifindex = idx;
	if ((rc = addr_add(idx, AF_INET, n->host4, n->prefix4)))
		return snprintf(step, steplen, "address %s (IPv4)", n->host_ifname), rc;
	if (n->ipv6 && (rc = addr_add(idx, AF_INET6, n->host6, n->prefix6)))
		return snprintf(step, steplen, "address %s (IPv6)", n->host_ifname), rc;
	if ((rc = link_set_up(idx)))
		return snprintf(step, steplen, "bring up %s", n->host_ifname), rc;
	return 0;
}

void sbx_net_detach(int ifindex)
{
	if (ifindex > 0)
		link_delete(ifindex, NULL);
}

int sbx_net_configure_inside(const struct mvm_sandbox_net *n, char *step, size_t steplen)
{
	int idx = (int)if_nametoindex(MVM_SANDBOX_NET_IFNAME);
	int rc;
	if (idx <= 0)
		return snprintf(step, steplen, "find %s", MVM_SANDBOX_NET_IFNAME), -ENODEV;
	if ((rc = addr_add(idx, AF_INET, n->addr4, n->prefix4)))
		return snprintf(step, steplen, "address %s (IPv4)", MVM_SANDBOX_NET_IFNAME), rc;
	if (n->ipv6 && (rc = addr_add(idx, AF_INET6, n->addr6, n->prefix6)))
		return snprintf(step, steplen, "address %s (IPv6)", MVM_SANDBOX_NET_IFNAME), rc;
	if ((rc = link_set_up(idx)))
		return snprintf(step, steplen, "bring up %s", MVM_SANDBOX_NET_IFNAME), rc;
	if ((rc = default_route(idx, AF_INET, n->host4)))
		return snprintf(step, steplen, "default route (IPv4)"), rc;
	if (n->ipv6 && (rc = default_route(idx, AF_INET6, n->host6)))
		return snprintf(step, steplen, "default route (IPv6)"), rc;
	return 0;
}

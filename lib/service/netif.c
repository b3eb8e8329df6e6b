// SPDX-License-Identifier: LGPL-2.1-or-later
// The capture kernel's network without ip(8): rtnetlink requests over a
// NETLINK_ROUTE socket (rtnetlink(7), netlink(7);
// include/uapi/linux/rtnetlink.h, if_link.h, if_addr.h), the `network`
// config key, and setup's copy of the route that reaches the target now.
#include "service.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// ------------------------------------------------------------ building

// A message being built into a caller's buffer; every part 4-aligned
// (NLMSG_ALIGN, RTA_ALIGN).
struct netif_msg {
	uint8_t *p;
	size_t size, len;
	bool overflow;
};

static void *netif_msg_put(struct netif_msg *m, const void *data, size_t n)
{
	size_t padded = (n + 3) & ~(size_t)3;
	if (m->overflow || m->size - m->len < padded) {
		m->overflow = true;
		return NULL;
	}
	uint8_t *at = m->p + m->len;
	memset(at, 0, padded);
	if (data)
		memcpy(at, data, n);
	m->len += padded;
	return at;
}

static void netif_msg_start(struct netif_msg *m, void *buf, size_t size, uint16_t type,
			    uint16_t flags, uint32_t seq, const void *body, size_t body_len)
{
	*m = (struct netif_msg){ .p = buf, .size = size };
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq };
	netif_msg_put(m, &h, sizeof(h));
	netif_msg_put(m, body, body_len);
}

static void netif_msg_attr(struct netif_msg *m, uint16_t type, const void *data, size_t n)
{
	struct rtattr a = { .rta_len = (unsigned short)(RTA_LENGTH(n)), .rta_type = type };
	netif_msg_put(m, &a, sizeof(a));
	netif_msg_put(m, data, n);
}

static size_t netif_msg_end(struct netif_msg *m)
{
	if (m->overflow)
		return 0;
	((struct nlmsghdr *)(void *)m->p)->nlmsg_len = (uint32_t)m->len;
	return m->len;
}

size_t kd_netif_msg_getlink(void *buf, size_t size, uint32_t seq, int ifindex)
{
	struct netif_msg m;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	netif_msg_start(&m, buf, size, RTM_GETLINK,
			NLM_F_REQUEST | (ifindex ? 0 : NLM_F_DUMP), seq, &ifi, sizeof(ifi));
	return netif_msg_end(&m);
}

size_t kd_netif_msg_setlink(void *buf, size_t size, uint32_t seq, int ifindex,
			    unsigned int mtu)
{
	struct netif_msg m;
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC, .ifi_index = ifindex,
		.ifi_flags = IFF_UP, .ifi_change = IFF_UP,
	};
	netif_msg_start(&m, buf, size, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq,
			&ifi, sizeof(ifi));
	if (mtu) {
		uint32_t v = mtu;
		netif_msg_attr(&m, IFLA_MTU, &v, sizeof(v));
	}
	return netif_msg_end(&m);
}

size_t kd_netif_msg_newaddr(void *buf, size_t size, uint32_t seq, int ifindex,
			    const uint8_t addr[4], unsigned int prefix)
{
	struct netif_msg m;
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET, .ifa_prefixlen = (uint8_t)prefix,
		.ifa_scope = addr[0] == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
		.ifa_index = (uint32_t)ifindex,
	};
	if (prefix > 32)
		return 0;
	// REPLACE: a second bring-up (the capture retried) is not an error.
	netif_msg_start(&m, buf, size, RTM_NEWADDR,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq,
			&ifa, sizeof(ifa));
	netif_msg_attr(&m, IFA_LOCAL, addr, 4);
	netif_msg_attr(&m, IFA_ADDRESS, addr, 4);
	if (prefix < 31) {
		// The broadcast address ip(8) adds with "brd +".
		uint32_t host = prefix ? 0xffffffffu >> prefix : 0xffffffffu;
		uint8_t brd[4];
		for (int i = 0; i < 4; i++)
			brd[i] = addr[i] | (uint8_t)(host >> (24 - 8 * i));
		netif_msg_attr(&m, IFA_BROADCAST, brd, 4);
	}
	return netif_msg_end(&m);
}

size_t kd_netif_msg_getaddr(void *buf, size_t size, uint32_t seq)
{
	struct netif_msg m;
	struct ifaddrmsg ifa = { .ifa_family = AF_INET };
	netif_msg_start(&m, buf, size, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq,
			&ifa, sizeof(ifa));
	return netif_msg_end(&m);
}

size_t kd_netif_msg_newroute(void *buf, size_t size, uint32_t seq, int ifindex,
			     const uint8_t gateway[4])
{
	struct netif_msg m;
	struct rtmsg rt = {
		.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	netif_msg_start(&m, buf, size, RTM_NEWROUTE,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq,
			&rt, sizeof(rt));
	uint32_t oif = (uint32_t)ifindex;
	netif_msg_attr(&m, RTA_GATEWAY, gateway, 4);
	netif_msg_attr(&m, RTA_OIF, &oif, sizeof(oif));
	return netif_msg_end(&m);
}

size_t kd_netif_msg_getroute(void *buf, size_t size, uint32_t seq, const uint8_t dst[4])
{
	struct netif_msg m;
	struct rtmsg rt = { .rtm_family = AF_INET, .rtm_dst_len = 32 };
	netif_msg_start(&m, buf, size, RTM_GETROUTE, NLM_F_REQUEST, seq, &rt, sizeof(rt));
	netif_msg_attr(&m, RTA_DST, dst, 4);
	return netif_msg_end(&m);
}

// ------------------------------------------------------------- parsing

// The body of one message of @p type, at least @p body bytes; its
// attributes follow at NLMSG_ALIGN(body).
static struct kd_error *netif_body(const void *msg, size_t len, uint16_t type, size_t body,
				   const uint8_t **body_ret, size_t *body_len)
{
	*body_ret = msg;
	*body_len = 0;
	struct nlmsghdr h;
	if (len < sizeof(h))
		return kd_error_create(KD_ERROR_CORRUPT, "netlink message of %zu bytes", len);
	memcpy(&h, msg, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
		return kd_error_create(KD_ERROR_CORRUPT, "netlink message length %u of %zu bytes",
				       h.nlmsg_len, len);
	if (h.nlmsg_type != type)
		return kd_error_create(KD_ERROR_FORMAT, "netlink message type %u, not %u",
				       h.nlmsg_type, type);
	if (h.nlmsg_len - NLMSG_HDRLEN < body)
		return kd_error_create(KD_ERROR_CORRUPT, "netlink message type %u: %u bytes",
				       type, h.nlmsg_len);
	*body_ret = (const uint8_t *)msg + NLMSG_HDRLEN;
	*body_len = h.nlmsg_len - NLMSG_HDRLEN;
	return NULL;
}

// Walk the attributes in [p, p+len): calls @p fn for each whole one; a
// torn attribute is an error.
typedef void netif_attr_fn(uint16_t type, const uint8_t *data, size_t n, void *arg);

static struct kd_error *netif_attrs(const uint8_t *p, size_t len, netif_attr_fn *fn, void *arg)
{
	while (len >= sizeof(struct rtattr)) {
		struct rtattr a;
		memcpy(&a, p, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > len)
			return kd_error_create(KD_ERROR_CORRUPT, "netlink attribute %u of %u bytes",
					       a.rta_type, a.rta_len);
		fn(a.rta_type & NLA_TYPE_MASK, p + RTA_LENGTH(0), a.rta_len - RTA_LENGTH(0), arg);
		size_t step = RTA_ALIGN(a.rta_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return NULL;
}

static uint32_t netif_u32(const uint8_t *data, size_t n)
{
	uint32_t v = 0;
	if (n >= 4)
		memcpy(&v, data, 4);
	return v;
}

static void netif_linkinfo_attr(uint16_t type, const uint8_t *data, size_t n, void *arg)
{
	struct kd_netif_link *l = arg;
	if (type == IFLA_INFO_KIND && n) {
		size_t k = strnlen((const char *)data, n);
		if (k >= sizeof(l->kind))
			k = sizeof(l->kind) - 1;
		memcpy(l->kind, data, k);
		l->kind[k] = '\0';
	}
}

static void netif_link_attr(uint16_t type, const uint8_t *data, size_t n, void *arg)
{
	struct kd_netif_link *l = arg;
	switch (type) {
	case IFLA_IFNAME: {
		size_t k = strnlen((const char *)data, n);
		if (k >= sizeof(l->name))
			k = sizeof(l->name) - 1;
		memcpy(l->name, data, k);
		l->name[k] = '\0';
		break;
	}
	case IFLA_ADDRESS:
		if (n == 6) {
			memcpy(l->mac, data, 6);
			l->has_mac = true;
		}
		break;
	case IFLA_MTU:
		l->mtu = netif_u32(data, n);
		break;
	case IFLA_OPERSTATE:
		if (n >= 1)
			l->operstate = data[0];
		break;
	case IFLA_MASTER:
		l->master = (int)netif_u32(data, n);
		break;
	case IFLA_LINKINFO:
		// A torn nested attribute leaves the kind empty.
		kd_error_destroy(netif_attrs(data, n, netif_linkinfo_attr, l));
		break;
	}
}

struct kd_error *kd_netif_parse_link(const void *msg, size_t len, struct kd_netif_link *ret)
{
	const uint8_t *b;
	size_t n;
	struct kd_error *err = netif_body(msg, len, RTM_NEWLINK, sizeof(struct ifinfomsg), &b, &n);
	if (err)
		return err;
	struct ifinfomsg ifi;
	memcpy(&ifi, b, sizeof(ifi));
	struct kd_netif_link l = {
		.index = ifi.ifi_index, .flags = ifi.ifi_flags, .type = ifi.ifi_type,
	};
	size_t off = NLMSG_ALIGN(sizeof(ifi));
	if (off < n && (err = netif_attrs(b + off, n - off, netif_link_attr, &l)))
		return err;
	*ret = l;
	return NULL;
}

static void netif_route_attr(uint16_t type, const uint8_t *data, size_t n, void *arg)
{
	struct kd_netif_route *r = arg;
	if (type == RTA_OIF)
		r->oif = (int)netif_u32(data, n);
	else if (type == RTA_GATEWAY && n == 4) {
		memcpy(r->gateway, data, 4);
		r->has_gateway = true;
	} else if (type == RTA_PREFSRC && n == 4) {
		memcpy(r->prefsrc, data, 4);
		r->has_prefsrc = true;
	}
}

struct kd_error *kd_netif_parse_route(const void *msg, size_t len, struct kd_netif_route *ret)
{
	const uint8_t *b;
	size_t n;
	struct kd_error *err = netif_body(msg, len, RTM_NEWROUTE, sizeof(struct rtmsg), &b, &n);
	if (err)
		return err;
	struct rtmsg rt;
	memcpy(&rt, b, sizeof(rt));
	if (rt.rtm_family != AF_INET)
		return kd_error_create(KD_ERROR_FORMAT, "route of address family %u, not IPv4",
				       rt.rtm_family);
	struct kd_netif_route r = { 0 };
	size_t off = NLMSG_ALIGN(sizeof(rt));
	if (off < n && (err = netif_attrs(b + off, n - off, netif_route_attr, &r)))
		return err;
	*ret = r;
	return NULL;
}

static void netif_addr_attr(uint16_t type, const uint8_t *data, size_t n, void *arg)
{
	struct kd_netif_addr *a = arg;
	// IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's
	// on a point-to-point link and the same otherwise (if_addr.h).
	if ((type == IFA_LOCAL || (type == IFA_ADDRESS && !a->local[0])) && n == 4)
		memcpy(a->local, data, 4);
}

struct kd_error *kd_netif_parse_addr(const void *msg, size_t len, struct kd_netif_addr *ret)
{
	const uint8_t *b;
	size_t n;
	struct kd_error *err = netif_body(msg, len, RTM_NEWADDR, sizeof(struct ifaddrmsg), &b, &n);
	if (err)
		return err;
	struct ifaddrmsg ifa;
	memcpy(&ifa, b, sizeof(ifa));
	if (ifa.ifa_family != AF_INET)
		return kd_error_create(KD_ERROR_FORMAT, "address of family %u, not IPv4",
				       ifa.ifa_family);
	if (ifa.ifa_prefixlen > 32)
		return kd_error_create(KD_ERROR_CORRUPT, "IPv4 prefix length %u", ifa.ifa_prefixlen);
	struct kd_netif_addr a = { .index = (int)ifa.ifa_index, .prefix = ifa.ifa_prefixlen };
	size_t off = NLMSG_ALIGN(sizeof(ifa));
	if (off < n && (err = netif_attrs(b + off, n - off, netif_addr_attr, &a)))
		return err;
	*ret = a;
	return NULL;
}

struct kd_error *kd_netif_parse_ack(const void *msg, size_t len, int *errno_ret)
{
	const uint8_t *b;
	size_t n;
	struct kd_error *err = netif_body(msg, len, NLMSG_ERROR, sizeof(struct nlmsgerr), &b, &n);
	if (err)
		return err;
	int32_t e;
	memcpy(&e, b, sizeof(e));
	// The kernel sends -errno (netlink_ack()).
	if (e > 0 || e < -4095)
		return kd_error_create(KD_ERROR_CORRUPT, "netlink error code %d", e);
	*errno_ret = -e;
	return NULL;
}

// -------------------------------------------------------------- socket

struct netif_sock {
	int fd;
	uint32_t seq;
	uint8_t buf[32768];
};

static struct kd_error *netif_sock_open(struct netif_sock **ret)
{
	struct netif_sock *s = calloc(1, sizeof(*s));
	if (!s)
		return &kd_enomem;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s->fd < 0) {
		int e = errno;
		free(s);
		return kd_error_os(e, "rtnetlink socket");
	}
	// A kernel that never answers must not hang the capture.
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	s->seq = (uint32_t)time(NULL);
	*ret = s;
	return NULL;
}

static void netif_sock_close(struct netif_sock *s)
{
	if (s) {
		close(s->fd);
		free(s);
	}
}

typedef struct kd_error *netif_reply_fn(const void *msg, size_t len, void *arg);

// Send the request in s->buf (@p len bytes) and read its replies: a dump
// until NLMSG_DONE, a request with NLM_F_ACK until its NLMSG_ERROR, a plain
// get until its one reply. @p fn sees each reply that is not an ACK.
static struct kd_error *netif_talk(struct netif_sock *s, size_t len, netif_reply_fn *fn,
				   void *arg)
{
	if (!len)
		return kd_error_create(KD_ERROR_INVALID, "rtnetlink request does not fit");
	struct nlmsghdr req;
	memcpy(&req, s->buf, sizeof(req));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t w;
	do
		w = sendto(s->fd, s->buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return kd_error_os(errno, "rtnetlink request %u", req.nlmsg_type);
	// NLM_F_DUMP shares its bits with NLM_F_REPLACE and NLM_F_EXCL: it is a
	// dump only on a GET (RTM_GET* types are 2 modulo 4).
	bool dump = (req.nlmsg_type & 3) == 2 &&
		    (req.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	bool ack = req.nlmsg_flags & NLM_F_ACK;
	for (;;) {
		ssize_t r = recv(s->fd, s->buf, sizeof(s->buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kd_error_os(errno == EAGAIN ? ETIMEDOUT : errno,
					   "rtnetlink reply to request %u", req.nlmsg_type);
		size_t left = (size_t)r;
		for (const uint8_t *p = s->buf; left >= NLMSG_HDRLEN;) {
			struct nlmsghdr h;
			memcpy(&h, p, sizeof(h));
			if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > left)
				return kd_error_create(KD_ERROR_CORRUPT,
						       "rtnetlink reply of %u bytes in %zu",
						       h.nlmsg_len, left);
			if (h.nlmsg_seq == req.nlmsg_seq) {
				if (h.nlmsg_type == NLMSG_DONE && dump)
					return NULL;
				if (h.nlmsg_type == NLMSG_ERROR) {
					int e;
					struct kd_error *err = kd_netif_parse_ack(p, h.nlmsg_len, &e);
					if (err)
						return err;
					if (e)
						return kd_error_os(e, "rtnetlink request %u",
								   req.nlmsg_type);
					if (!dump)
						return NULL;
				} else if (fn) {
					struct kd_error *err = fn(p, h.nlmsg_len, arg);
					if (err == &kd_stop)
						err = NULL, fn = NULL;
					if (err)
						return err;
					if (!dump && !ack)
						return NULL;
				} else if (!dump && !ack) {
					return NULL;
				}
			}
			size_t step = NLMSG_ALIGN(h.nlmsg_len);
			if (step >= left)
				break;
			p += step;
			left -= step;
		}
	}
}

static struct kd_error *netif_link_one(const void *msg, size_t len, void *arg)
{
	return kd_netif_parse_link(msg, len, arg);
}

static struct kd_error *netif_get_link(struct netif_sock *s, int ifindex,
				       struct kd_netif_link *ret)
{
	struct kd_netif_link l = { 0 };
	struct kd_error *err = netif_talk(s, kd_netif_msg_getlink(s->buf, sizeof(s->buf),
								  ++s->seq, ifindex),
					  netif_link_one, &l);
	if (err)
		return kd_error_prefix(err, "interface %d", ifindex);
	*ret = l;
	return NULL;
}

// Which link a dump of all links is looking for: the MAC first (the
// capture kernel may name interfaces differently), then the name, then
// (with neither) the first Ethernet interface.
struct netif_match {
	const struct kd_netif_config *cfg;
	bool lo;
	struct kd_netif_link found;
	int score;		// 3 MAC, 2 name, 1 any Ethernet, 0 none
};

static struct kd_error *netif_match_one(const void *msg, size_t len, void *arg)
{
	struct netif_match *m = arg;
	struct kd_netif_link l;
	struct kd_error *err = kd_netif_parse_link(msg, len, &l);
	if (err)
		return err;
	int score = 0;
	if (m->lo)
		score = l.type == ARPHRD_LOOPBACK ? 3 : 0;
	else if (m->cfg->has_mac && l.has_mac && l.type == ARPHRD_ETHER &&
		 !memcmp(l.mac, m->cfg->mac, 6))
		score = 3;
	else if (m->cfg->iface[0] && !strcmp(l.name, m->cfg->iface))
		score = 2;
	else if (!m->cfg->iface[0] && !m->cfg->has_mac && l.type == ARPHRD_ETHER && !l.master)
		score = 1;
	if (score > m->score) {
		m->score = score;
		m->found = l;
	}
	return NULL;
}

static struct kd_error *netif_find(struct netif_sock *s, const struct kd_netif_config *cfg,
				   bool lo, struct kd_netif_link *ret)
{
	struct netif_match m = { .cfg = cfg, .lo = lo };
	struct kd_error *err = netif_talk(s, kd_netif_msg_getlink(s->buf, sizeof(s->buf),
								  ++s->seq, 0),
					  netif_match_one, &m);
	if (err)
		return err;
	if (!m.score)
		return kd_error_create(KD_ERROR_NOTFOUND, "no network interface %s",
				       lo ? "lo" : cfg->iface[0] ? cfg->iface : "with Ethernet");
	*ret = m.found;
	return NULL;
}

static struct kd_error *netif_request(struct netif_sock *s, size_t len)
{
	return netif_talk(s, len, NULL, NULL);
}

// ------------------------------------------------------------ config

void kd_netif_format_ip(const uint8_t ip[4], char *out)
{
	snprintf(out, 16, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
}

bool kd_netif_parse_ip(const char *s, uint8_t ret[4])
{
	uint8_t ip[4];
	for (int i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*s))
			return false;
		unsigned int v = 0;
		int digits = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			if (++digits > 3 || v > 255)
				return false;
		}
		ip[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return false;
	}
	if (*s)
		return false;
	memcpy(ret, ip, 4);
	return true;
}

static bool netif_parse_mac(const char *s, uint8_t ret[6])
{
	uint8_t mac[6];
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return false;
		char hex[3] = { s[0], s[1], 0 };
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
		s += 2;
		if (i < 5 && *s++ != ':')
			return false;
	}
	if (*s)
		return false;
	memcpy(ret, mac, 6);
	return true;
}

// Interface names as the kernel takes them (dev_valid_name()): 1-15 bytes,
// no '/', ':' or white space; we keep to letters, digits and "._-@".
static bool netif_valid_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-@", *s))
			return false;
	return true;
}

struct kd_error *kd_netif_config_parse(const char *value, struct kd_netif_config *ret)
{
	struct kd_netif_config c = { .mode = KD_NETIF_AUTO };
	char buf[256];
	if (strlen(value) >= sizeof(buf))
		return kd_error_create(KD_ERROR_INVALID, "network: value too long");
	strcpy(buf, value);
	char *words[8], *save;
	size_t n = 0;
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == KD_ARRAY_SIZE(words))
			return kd_error_create(KD_ERROR_INVALID, "network: too many words");
		words[n++] = w;
	}
	if (!n)
		return kd_error_create(KD_ERROR_INVALID,
				       "network needs auto, dhcp or IFACE ADDR/PREFIX [GATEWAY]");
	size_t i = 1;
	if (!strcmp(words[0], "auto")) {
		if (n > 1)
			return kd_error_create(KD_ERROR_INVALID, "network auto takes nothing after it: '%s'",
					       words[1]);
		*ret = c;
		return NULL;
	}
	if (!strcmp(words[0], "dhcp")) {
		c.mode = KD_NETIF_DHCP;
		if (n > 1 && !strchr(words[1], '=')) {
			if (!netif_valid_name(words[1]))
				return kd_error_create(KD_ERROR_INVALID, "network: bad interface name '%s'",
						       words[1]);
			strcpy(c.iface, words[1]);
			i = 2;
		}
	} else {
		c.mode = KD_NETIF_STATIC;
		if (!netif_valid_name(words[0]))
			return kd_error_create(KD_ERROR_INVALID,
					       "network: '%s' is neither auto, dhcp nor an interface name",
					       words[0]);
		strcpy(c.iface, words[0]);
		char *slash = n > 1 ? strchr(words[1], '/') : NULL;
		if (!slash)
			return kd_error_create(KD_ERROR_INVALID,
					       "network %s needs ADDR/PREFIX (e.g. 192.0.2.10/24)", c.iface);
		*slash = '\0';
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (!kd_netif_parse_ip(words[1], c.addr) || !isdigit((unsigned char)slash[1]) ||
		    *end || p < 1 || p > 32)
			return kd_error_create(KD_ERROR_INVALID,
					       "network: '%s/%s' is not an IPv4 ADDR/PREFIX (prefix 1-32)",
					       words[1], slash + 1);
		c.prefix = (unsigned int)p;
		i = 2;
		if (n > 2 && !strchr(words[2], '=')) {
			if (!kd_netif_parse_ip(words[2], c.gateway))
				return kd_error_create(KD_ERROR_INVALID,
						       "network: gateway '%s' is not an IPv4 address",
						       words[2]);
			c.has_gateway = true;
			i = 3;
		}
	}
	for (; i < n; i++) {
		if (!strncmp(words[i], "mac=", 4) && !c.has_mac) {
			if (!netif_parse_mac(words[i] + 4, c.mac))
				return kd_error_create(KD_ERROR_INVALID,
						       "network: '%s' is not a MAC address (mac=xx:xx:xx:xx:xx:xx)",
						       words[i] + 4);
			c.has_mac = true;
		} else if (!strncmp(words[i], "mtu=", 4) && !c.mtu) {
			char *end;
			unsigned long m = strtoul(words[i] + 4, &end, 10);
			if (!isdigit((unsigned char)words[i][4]) || *end || m < 68 || m > 65535)
				return kd_error_create(KD_ERROR_INVALID,
						       "network: mtu '%s' is not a number from 68 to 65535",
						       words[i] + 4);
			c.mtu = (unsigned int)m;
		} else {
			return kd_error_create(KD_ERROR_INVALID, "network: unexpected '%s'", words[i]);
		}
	}
	*ret = c;
	return NULL;
}

void kd_netif_config_format(const struct kd_netif_config *cfg, char *out, size_t outlen)
{
	char a[16], g[16];
	int n;
	if (cfg->mode == KD_NETIF_AUTO) {
		snprintf(out, outlen, "auto");
		return;
	}
	if (cfg->mode == KD_NETIF_DHCP) {
		n = snprintf(out, outlen, "dhcp%s%s", cfg->iface[0] ? " " : "", cfg->iface);
	} else {
		kd_netif_format_ip(cfg->addr, a);
		kd_netif_format_ip(cfg->gateway, g);
		n = snprintf(out, outlen, "%s %s/%u%s%s", cfg->iface, a, cfg->prefix,
			     cfg->has_gateway ? " " : "", cfg->has_gateway ? g : "");
	}
	if (n < 0 || (size_t)n >= outlen)
		return;
	if (cfg->has_mac)
		n += snprintf(out + n, outlen - (size_t)n, " mac=%02x:%02x:%02x:%02x:%02x:%02x",
			      cfg->mac[0], cfg->mac[1], cfg->mac[2], cfg->mac[3], cfg->mac[4],
			      cfg->mac[5]);
	if (cfg->mtu && n >= 0 && (size_t)n < outlen)
		snprintf(out + n, outlen - (size_t)n, " mtu=%u", cfg->mtu);
}

// -------------------------------------------------------------- setup

// Interfaces made of others, or tunnels: the capture would have to build
// them first (their own rtnetlink setup, the ports' drivers).
static const char *const netif_refused_kinds[] = {
	"bond", "bridge", "vlan", "team", "macvlan", "macvtap", "ipvlan", "vxlan",
	"openvswitch", "wireguard", "gre", "ipip", "sit", "tun", "vrf",
};

struct netif_addr_match {
	int index;
	const uint8_t *local;	// NULL: the first address of the interface
	struct kd_netif_addr found;
	bool ok;
};

static struct kd_error *netif_addr_one(const void *msg, size_t len, void *arg)
{
	struct netif_addr_match *m = arg;
	struct kd_netif_addr a;
	struct kd_error *err = kd_netif_parse_addr(msg, len, &a);
	if (err)
		return kd_error_catch(&err, KD_ERROR_FORMAT) ? NULL : err;
	if (!m->ok && a.index == m->index && (!m->local || !memcmp(a.local, m->local, 4))) {
		m->found = a;
		m->ok = true;
	}
	return NULL;
}

static struct kd_error *netif_route_one(const void *msg, size_t len, void *arg)
{
	return kd_netif_parse_route(msg, len, arg);
}

static struct kd_error *netif_resolve(struct netif_sock *s, const struct kd_netif_config *in,
				      const uint8_t dst[4], struct kd_netif_config *ret)
{
	char d[16];
	kd_netif_format_ip(dst, d);
	struct kd_netif_route r = { 0 };
	struct kd_error *err = netif_talk(s, kd_netif_msg_getroute(s->buf, sizeof(s->buf),
								   ++s->seq, dst),
					  netif_route_one, &r);
	if (err)
		return kd_error_prefix(err, "no route to %s", d);
	struct kd_netif_link l;
	if ((err = netif_get_link(s, r.oif, &l)))
		return err;
	struct kd_netif_config c = *in;
	if (l.type == ARPHRD_LOOPBACK) {
		// A target on this machine (tests): the capture brings lo up.
		c = (struct kd_netif_config){ .mode = KD_NETIF_STATIC, .addr = { 127, 0, 0, 1 },
					      .prefix = 8 };
		strcpy(c.iface, "lo");
		*ret = c;
		return NULL;
	}
	for (size_t i = 0; i < KD_ARRAY_SIZE(netif_refused_kinds); i++)
		if (!strcmp(l.kind, netif_refused_kinds[i]))
			return kd_error_create(KD_ERROR_UNSUPPORTED,
					       "%s is reached through %s, a %s interface, which the capture kernel cannot set up yet; give the network key a plain Ethernet interface: network IFACE ADDR/PREFIX [GATEWAY]",
					       d, l.name, l.kind);
	if (l.type != ARPHRD_ETHER)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "%s is reached through %s, which is not Ethernet (link type %u)",
				       d, l.name, l.type);
	if (in->mode == KD_NETIF_STATIC && strcmp(in->iface, l.name))
		return kd_error_create(KD_ERROR_INVALID,
				       "%s is reached through %s, not through %s as the network key says",
				       d, l.name, in->iface);
	if (in->mode != KD_NETIF_STATIC || !c.iface[0])
		snprintf(c.iface, sizeof(c.iface), "%s", l.name);
	if (l.has_mac && !c.has_mac) {
		memcpy(c.mac, l.mac, 6);
		c.has_mac = true;
	}
	if (!c.mtu)
		c.mtu = l.mtu;
	if (in->mode == KD_NETIF_AUTO) {
		struct netif_addr_match m = { .index = l.index,
					      .local = r.has_prefsrc ? r.prefsrc : NULL };
		err = netif_talk(s, kd_netif_msg_getaddr(s->buf, sizeof(s->buf), ++s->seq),
				 netif_addr_one, &m);
		if (err)
			return err;
		if (!m.ok)
			return kd_error_create(KD_ERROR_NOTFOUND,
					       "%s is reached through %s, which has no IPv4 address; use network dhcp",
					       d, l.name);
		c.mode = KD_NETIF_STATIC;
		memcpy(c.addr, m.found.local, 4);
		c.prefix = m.found.prefix;
		c.has_gateway = r.has_gateway;
		if (r.has_gateway)
			memcpy(c.gateway, r.gateway, 4);
	}
	*ret = c;
	return NULL;
}

// No target address: the interface the key names, as it is here.
static struct kd_error *netif_resolve_named(struct netif_sock *s,
					    const struct kd_netif_config *in,
					    struct kd_netif_config *ret)
{
	if (in->mode == KD_NETIF_AUTO)
		return kd_error_create(KD_ERROR_INVALID,
				       "network auto copies the route to a network target, and there is none");
	struct kd_netif_config c = *in;
	if (!c.iface[0] || !strcmp(c.iface, "lo")) {
		// dhcp on whichever Ethernet interface the capture kernel has.
		*ret = c;
		return NULL;
	}
	struct kd_netif_link l;
	struct kd_netif_config by_name = { .mode = in->mode };
	strcpy(by_name.iface, in->iface);
	struct kd_error *err = netif_find(s, &by_name, false, &l);
	if (err)
		return err;
	for (size_t i = 0; i < KD_ARRAY_SIZE(netif_refused_kinds); i++)
		if (!strcmp(l.kind, netif_refused_kinds[i]))
			return kd_error_create(KD_ERROR_UNSUPPORTED,
					       "network: %s is a %s interface, which the capture kernel cannot set up yet; name one of its Ethernet ports",
					       l.name, l.kind);
	if (l.has_mac && !c.has_mac) {
		memcpy(c.mac, l.mac, 6);
		c.has_mac = true;
	}
	if (!c.mtu)
		c.mtu = l.mtu;
	*ret = c;
	return NULL;
}

struct kd_error *kd_netif_resolve(const struct kd_netif_config *in, const uint8_t dst[4],
				  struct kd_netif_config *ret)
{
	struct netif_sock *s;
	struct kd_error *err = netif_sock_open(&s);
	if (err)
		return err;
	err = dst ? netif_resolve(s, in, dst, ret) : netif_resolve_named(s, in, ret);
	netif_sock_close(s);
	return err;
}

struct kd_error *kd_netif_host_ip(const char *host, uint8_t ret[4])
{
	if (kd_netif_parse_ip(host, ret))
		return NULL;
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
	int e = getaddrinfo(host, NULL, &hints, &res);
	if (e)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: no IPv4 address: %s", host,
				       e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
	const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)res->ai_addr;
	memcpy(ret, &sin->sin_addr, 4);
	freeaddrinfo(res);
	return NULL;
}

// ---------------------------------------------------------- capture

static double netif_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void netif_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static unsigned int netif_left_ms(double deadline)
{
	double left = deadline - netif_now();
	return left <= 0 ? 0 : (unsigned int)(left * 1000.0) + 1;
}

static struct kd_error *netif_up(struct netif_sock *s, int ifindex, unsigned int mtu)
{
	struct kd_error *err = netif_request(s, kd_netif_msg_setlink(s->buf, sizeof(s->buf),
								    ++s->seq, ifindex, mtu));
	return err ? kd_error_prefix(err, "cannot bring interface %d up", ifindex) : NULL;
}

static struct kd_error *netif_bring_up(struct netif_sock *s, const struct kd_netif_config *cfg,
				       double start, double deadline, struct kd_netif_report *rep)
{
	struct kd_netif_link lo, l;
	struct kd_error *err;
	bool is_lo = !strcmp(cfg->iface, "lo");

	// lo first: a fresh kernel has it down, and 127.0.0.1 targets (tests)
	// need nothing else.
	if ((err = netif_find(s, cfg, true, &lo)) || (err = netif_up(s, lo.index, 0)))
		return err;
	if (is_lo) {
		l = lo;
	} else {
		// The driver may still be probing: wait for the interface.
		while ((err = netif_find(s, cfg, false, &l))) {
			if (kd_error_code(err) != KD_ERROR_NOTFOUND || !netif_left_ms(deadline))
				return err;
			kd_error_destroy(err);
			netif_sleep_ms(100);
		}
	}
	snprintf(rep->iface, sizeof(rep->iface), "%s", l.name);
	rep->link_seconds = netif_now() - start;
	if (!is_lo && (err = netif_up(s, l.index, cfg->mtu)))
		return kd_error_prefix(err, "%s", l.name);
	// The carrier: IFF_RUNNING is netif_oper_up() (RFC 2863 up or unknown).
	for (;;) {
		if ((err = netif_get_link(s, l.index, &l)))
			return err;
		if ((l.flags & IFF_RUNNING) || l.operstate == IF_OPER_UP)
			break;
		if (!netif_left_ms(deadline))
			return kd_error_os(ETIMEDOUT, "%s: no carrier", l.name);
		netif_sleep_ms(50);
	}
	rep->carrier_seconds = netif_now() - start;
	rep->mtu = l.mtu;

	struct kd_netif_config c = *cfg;
	if (c.mode == KD_NETIF_DHCP) {
		if (!l.has_mac)
			return kd_error_create(KD_ERROR_UNSUPPORTED, "%s: no MAC address for DHCP",
					       l.name);
		struct kd_dhcp_lease lease;
		err = kd_dhcp_run(l.index, l.mac, netif_left_ms(deadline), &lease);
		if (err)
			return kd_error_prefix(err, "%s: DHCP", l.name);
		memcpy(c.addr, lease.addr, 4);
		c.prefix = lease.prefix;
		c.has_gateway = lease.has_router;
		memcpy(c.gateway, lease.router, 4);
		rep->dhcp = true;
		memcpy(rep->dhcp_server, lease.server, 4);
		rep->lease_seconds = lease.lease_seconds;
		if (!cfg->mtu && lease.mtu >= 68 && lease.mtu != l.mtu) {
			if ((err = netif_up(s, l.index, lease.mtu)))
				return kd_error_prefix(err, "%s", l.name);
			rep->mtu = lease.mtu;
		}
	} else if (c.mode != KD_NETIF_STATIC) {
		return kd_error_create(KD_ERROR_INVALID,
				       "network auto was not resolved (run kexdump setup)");
	}
	if (!is_lo) {
		err = netif_request(s, kd_netif_msg_newaddr(s->buf, sizeof(s->buf), ++s->seq,
							    l.index, c.addr, c.prefix));
		if (err)
			return kd_error_prefix(err, "%s: cannot add its address", l.name);
		if (c.has_gateway) {
			err = netif_request(s, kd_netif_msg_newroute(s->buf, sizeof(s->buf),
								     ++s->seq, l.index, c.gateway));
			if (err)
				return kd_error_prefix(err, "%s: cannot add the default route",
						       l.name);
		}
	}
	memcpy(rep->addr, c.addr, 4);
	rep->prefix = c.prefix;
	rep->has_gateway = c.has_gateway;
	memcpy(rep->gateway, c.gateway, 4);
	rep->total_seconds = netif_now() - start;
	return NULL;
}

struct kd_error *kd_netif_bring_up(const struct kd_netif_config *cfg, unsigned int timeout_ms,
				   struct kd_netif_report *ret)
{
	double start = netif_now(), deadline = start + timeout_ms / 1000.0;
	struct netif_sock *s;
	struct kd_error *err = netif_sock_open(&s);
	if (err)
		return err;
	struct kd_netif_report rep = { 0 };
	err = netif_bring_up(s, cfg, start, deadline, &rep);
	netif_sock_close(s);
	if (!err)
		*ret = rep;
	return err;
}

struct kd_error *kd_netif_probe_tcp(const uint8_t addr[4], uint16_t port,
				    unsigned int timeout_ms)
{
	double deadline = netif_now() + timeout_ms / 1000.0;
	int last = ETIMEDOUT;
	char a[16];
	kd_netif_format_ip(addr, a);
	do {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return kd_error_os(errno, "%s:%u: socket", a, port);
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
		memcpy(&sin.sin_addr, addr, 4);
		int e = 0;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			e = errno;
			if (e == EINPROGRESS) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };
				unsigned int wait = netif_left_ms(deadline);
				int r = poll(&p, 1, (int)(wait > 2000 ? 2000 : wait));
				socklen_t sl = sizeof(e);
				if (r > 0)
					getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl);
				else
					e = ETIMEDOUT;
			}
		}
		close(fd);
		if (!e || e == ECONNREFUSED)
			return NULL;
		last = e;
		if (netif_left_ms(deadline))
			netif_sleep_ms(200);
	} while (netif_left_ms(deadline));
	return kd_error_os(last, "%s:%u: not reached in %u ms", a, port, timeout_ms);
}

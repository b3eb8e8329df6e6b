// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump's DHCPv4 client for the capture kernel (Debian kernels have no
// IP autoconfiguration): DISCOVER, OFFER, REQUEST, ACK (RFC 2131 3.1) with
// the options of RFC 2132 the capture needs. It speaks over a packet socket
// because the interface has no address yet: no reverse-path filter or
// missing route can drop the server's broadcast replies.
#include "service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// The fixed part of a BOOTP message (RFC 2131 2, figure 1), then the magic
// cookie (RFC 2132 2) and the options.
enum {
	DHCP_OP = 0, DHCP_HTYPE = 1, DHCP_HLEN = 2, DHCP_XID = 4, DHCP_FLAGS = 10,
	DHCP_YIADDR = 16, DHCP_CHADDR = 28, DHCP_COOKIE = 236, DHCP_OPTIONS = 240,
	DHCP_MIN_LEN = 300,	// RFC 1542 2.1: BOOTP relays drop shorter ones
};
static const uint8_t dhcp_cookie[4] = { 99, 130, 83, 99 };

enum {
	DHCP_OPT_PAD = 0, DHCP_OPT_SUBNET = 1, DHCP_OPT_ROUTER = 3, DHCP_OPT_MTU = 26,
	DHCP_OPT_REQ_ADDR = 50, DHCP_OPT_LEASE = 51, DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_TYPE = 53, DHCP_OPT_SERVER = 54, DHCP_OPT_PARAMS = 55,
	DHCP_OPT_MAX_SIZE = 57, DHCP_OPT_CLIENT_ID = 61, DHCP_OPT_END = 255,
};

static void dhcp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void dhcp_put32(uint8_t *p, uint32_t v)
{
	dhcp_put16(p, (uint16_t)(v >> 16));
	dhcp_put16(p + 2, (uint16_t)v);
}

size_t kd_dhcp_build(void *buf, size_t size, int type, uint32_t xid, const uint8_t mac[6],
		     const uint8_t addr[4], const uint8_t server[4])
{
	static const uint8_t params[] = {
		DHCP_OPT_SUBNET, DHCP_OPT_ROUTER, DHCP_OPT_MTU, DHCP_OPT_LEASE, DHCP_OPT_SERVER,
	};
	if (size < DHCP_MIN_LEN || (type != KD_DHCP_DISCOVER && type != KD_DHCP_REQUEST))
		return 0;
	uint8_t *p = buf;
	memset(p, 0, DHCP_MIN_LEN);
	p[DHCP_OP] = 1;		// BOOTREQUEST
	p[DHCP_HTYPE] = 1;	// Ethernet (RFC 1700 hardware types)
	p[DHCP_HLEN] = 6;
	dhcp_put32(p + DHCP_XID, xid);
	// Broadcast: we cannot take unicast before we have the address
	// (RFC 2131 4.1).
	dhcp_put16(p + DHCP_FLAGS, 0x8000);
	memcpy(p + DHCP_CHADDR, mac, 6);
	memcpy(p + DHCP_COOKIE, dhcp_cookie, 4);
	uint8_t *o = p + DHCP_OPTIONS;
	*o++ = DHCP_OPT_TYPE;
	*o++ = 1;
	*o++ = (uint8_t)type;
	*o++ = DHCP_OPT_CLIENT_ID;	// RFC 2132 9.14: type 1 (Ethernet) + MAC
	*o++ = 7;
	*o++ = 1;
	memcpy(o, mac, 6);
	o += 6;
	*o++ = DHCP_OPT_MAX_SIZE;
	*o++ = 2;
	dhcp_put16(o, 576);	// the least every host takes (RFC 2132 9.10)
	o += 2;
	if (type == KD_DHCP_REQUEST) {
		if (!addr || !server)
			return 0;
		*o++ = DHCP_OPT_REQ_ADDR;
		*o++ = 4;
		memcpy(o, addr, 4);
		o += 4;
		*o++ = DHCP_OPT_SERVER;
		*o++ = 4;
		memcpy(o, server, 4);
		o += 4;
	}
	*o++ = DHCP_OPT_PARAMS;
	*o++ = sizeof(params);
	memcpy(o, params, sizeof(params));
	o += sizeof(params);
	*o++ = DHCP_OPT_END;
	size_t len = (size_t)(o - p);
	return len < DHCP_MIN_LEN ? DHCP_MIN_LEN : len;
}

// A subnet mask's prefix length; -1 when its ones are not contiguous.
static int dhcp_mask_prefix(const uint8_t m[4])
{
	uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	int n = 0;
	while (n < 32 && (v & (0x80000000u >> n)))
		n++;
	return n < 32 && (v << n) ? -1 : n;
}

static struct kd_error *dhcp_options(const uint8_t *o, size_t len, struct kd_dhcp_lease *l,
				     bool *has_mask)
{
	while (len) {
		uint8_t code = o[0];
		if (code == DHCP_OPT_PAD) {
			o++, len--;
			continue;
		}
		if (code == DHCP_OPT_END)
			return NULL;
		if (len < 2 || (size_t)o[1] + 2 > len)
			return kd_error_create(KD_ERROR_CORRUPT, "DHCP option %u runs past the message",
					       code);
		uint8_t n = o[1];
		const uint8_t *v = o + 2;
		switch (code) {
		case DHCP_OPT_TYPE:
			if (n == 1)
				l->type = v[0];
			break;
		case DHCP_OPT_SUBNET:
			if (n == 4) {
				int p = dhcp_mask_prefix(v);
				if (p < 1)
					return kd_error_create(KD_ERROR_CORRUPT,
							       "DHCP subnet mask %u.%u.%u.%u",
							       v[0], v[1], v[2], v[3]);
				l->prefix = (unsigned int)p;
				*has_mask = true;
			}
			break;
		case DHCP_OPT_ROUTER:
			if (n >= 4 && n % 4 == 0) {
				memcpy(l->router, v, 4);
				l->has_router = true;
			}
			break;
		case DHCP_OPT_SERVER:
			if (n == 4) {
				memcpy(l->server, v, 4);
				l->has_server = true;
			}
			break;
		case DHCP_OPT_LEASE:
			if (n == 4)
				l->lease_seconds = kd_be32(v);
			break;
		case DHCP_OPT_MTU:
			if (n == 2)
				l->mtu = kd_be16(v);
			break;
		}
		o += 2 + n;
		len -= 2 + (size_t)n;
	}
	return NULL;
}

struct kd_error *kd_dhcp_parse(const void *buf, size_t len, uint32_t xid, const uint8_t mac[6],
			       struct kd_dhcp_lease *ret)
{
	const uint8_t *p = buf;
	if (len < DHCP_OPTIONS || memcmp(p + DHCP_COOKIE, dhcp_cookie, 4))
		return kd_error_create(KD_ERROR_FORMAT, "not a DHCP message (%zu bytes)", len);
	if (p[DHCP_OP] != 2 || kd_be32(p + DHCP_XID) != xid || p[DHCP_HLEN] != 6 ||
	    memcmp(p + DHCP_CHADDR, mac, 6))
		return kd_error_create(KD_ERROR_FORMAT, "a DHCP message for another client");
	struct kd_dhcp_lease l = { 0 };
	memcpy(l.addr, p + DHCP_YIADDR, 4);
	bool has_mask = false;
	struct kd_error *err = dhcp_options(p + DHCP_OPTIONS, len - DHCP_OPTIONS, &l, &has_mask);
	if (err)
		return err;
	if (!l.type)
		return kd_error_create(KD_ERROR_FORMAT, "a BOOTP reply without DHCP message type");
	if (l.type == KD_DHCP_OFFER || l.type == KD_DHCP_ACK) {
		char a[16];
		kd_netif_format_ip(l.addr, a);
		if (!l.addr[0] || l.addr[0] >= 224 || l.addr[0] == 127)
			return kd_error_create(KD_ERROR_CORRUPT, "DHCP offers the address %s", a);
		// RFC 2131 4.3.1: the server always sends its identifier.
		if (!l.has_server)
			return kd_error_create(KD_ERROR_CORRUPT, "DHCP reply without server identifier");
		if (!has_mask) {
			// RFC 2131 does not require the mask: take the class's
			// (RFC 791), as the kernel's ipconfig does.
			l.prefix = l.addr[0] < 128 ? 8 : l.addr[0] < 192 ? 16 : 24;
		}
	}
	*ret = l;
	return NULL;
}

// RFC 791 header checksum: the one's complement of the one's complement sum.
static uint16_t dhcp_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

enum { DHCP_IP_LEN = 20, DHCP_UDP_LEN = 8 };

size_t kd_dhcp_frame(void *buf, size_t size, const void *msg, size_t len)
{
	size_t total = DHCP_IP_LEN + DHCP_UDP_LEN + len;
	if (size < total || total > 0xffff)
		return 0;
	uint8_t *ip = buf, *udp = ip + DHCP_IP_LEN;
	memset(ip, 0, DHCP_IP_LEN + DHCP_UDP_LEN);
	ip[0] = 0x45;		// version 4, 5 words of header
	dhcp_put16(ip + 2, (uint16_t)total);
	ip[8] = 64;		// TTL
	ip[9] = 17;		// UDP
	memset(ip + 16, 0xff, 4);	// to 255.255.255.255, from 0.0.0.0
	dhcp_put16(ip + 10, dhcp_checksum(ip, DHCP_IP_LEN));
	dhcp_put16(udp, 68);
	dhcp_put16(udp + 2, 67);
	dhcp_put16(udp + 4, (uint16_t)(DHCP_UDP_LEN + len));
	// UDP checksum 0: none (RFC 768), which IPv4 allows.
	memcpy(udp + DHCP_UDP_LEN, msg, len);
	return total;
}

struct kd_error *kd_dhcp_unframe(const void *frame, size_t len, const uint8_t **msg_ret,
				 size_t *len_ret)
{
	const uint8_t *ip = frame;
	if (len < DHCP_IP_LEN || ip[0] >> 4 != 4 || ip[9] != 17)
		return kd_error_create(KD_ERROR_FORMAT, "not an IPv4 UDP packet");
	size_t ihl = (size_t)(ip[0] & 15) * 4, total = kd_be16(ip + 2);
	if (ihl < DHCP_IP_LEN || total > len || total < ihl + DHCP_UDP_LEN)
		return kd_error_create(KD_ERROR_CORRUPT, "IPv4 packet of %zu bytes says %zu", len,
				       total);
	if (kd_be16(ip + 6) & 0x3fff)
		return kd_error_create(KD_ERROR_FORMAT, "an IPv4 fragment");
	const uint8_t *udp = ip + ihl;
	if (kd_be16(udp + 2) != 68)
		return kd_error_create(KD_ERROR_FORMAT, "not for UDP port 68");
	size_t ulen = kd_be16(udp + 4);
	if (ulen < DHCP_UDP_LEN || ulen > total - ihl)
		return kd_error_create(KD_ERROR_CORRUPT, "UDP length %zu in %zu bytes", ulen,
				       total - ihl);
	*msg_ret = udp + DHCP_UDP_LEN;
	*len_ret = ulen - DHCP_UDP_LEN;
	return NULL;
}

static double dhcp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Send @p type and wait up to @p wait_ms (or the deadline) for the reply
// of type @p want (or a NAK). KD_ERROR_NOTFOUND when none came.
static struct kd_error *dhcp_exchange(int fd, int ifindex, int type, uint32_t xid,
				      const uint8_t mac[6], const struct kd_dhcp_lease *offer,
				      unsigned int wait_ms, double deadline,
				      struct kd_dhcp_lease *ret)
{
	uint8_t msg[576], frame[640];
	size_t n = kd_dhcp_build(msg, sizeof(msg), type, xid, mac, offer ? offer->addr : NULL,
				 offer ? offer->server : NULL);
	size_t f = kd_dhcp_frame(frame, sizeof(frame), msg, n);
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = ifindex, .sll_halen = 6,
		.sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	if (sendto(fd, frame, f, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return kd_error_os(errno, "cannot send");
	double until = dhcp_now() + wait_ms / 1000.0;
	if (until > deadline)
		until = deadline;
	int want = type == KD_DHCP_DISCOVER ? KD_DHCP_OFFER : KD_DHCP_ACK;
	for (;;) {
		double left = until - dhcp_now();
		if (left <= 0)
			return kd_error_create(KD_ERROR_NOTFOUND, "no reply");
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)(left * 1000.0) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kd_error_os(errno, "poll");
		if (r == 0)
			continue;
		uint8_t in[2048];
		ssize_t got = recv(fd, in, sizeof(in), 0);
		if (got < 0)
			continue;
		const uint8_t *m;
		size_t mlen;
		struct kd_dhcp_lease l;
		struct kd_error *err = kd_dhcp_unframe(in, (size_t)got, &m, &mlen);
		if (!err)
			err = kd_dhcp_parse(m, mlen, xid, mac, &l);
		if (err) {
			// Other traffic, other clients, damaged replies: wait on.
			kd_error_destroy(err);
			continue;
		}
		if (l.type == KD_DHCP_NAK && type == KD_DHCP_REQUEST)
			return kd_error_create(KD_ERROR_INVALID, "the server refused the address (NAK)");
		if (l.type != want)
			continue;
		if (type == KD_DHCP_REQUEST && memcmp(l.server, offer->server, 4))
			continue;
		*ret = l;
		return NULL;
	}
}

struct kd_error *kd_dhcp_run(int ifindex, const uint8_t mac[6], unsigned int timeout_ms,
			     struct kd_dhcp_lease *ret)
{
	double deadline = dhcp_now() + timeout_ms / 1000.0;
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0)
		return kd_error_os(errno, "packet socket");
	struct sockaddr_ll me = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex,
	};
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		int e = errno;
		close(fd);
		return kd_error_os(e, "cannot bind a packet socket to interface %d", ifindex);
	}
	uint32_t xid;
	if (getrandom(&xid, sizeof(xid), GRND_NONBLOCK) != sizeof(xid))
		xid = (uint32_t)time(NULL) ^ kd_be32(mac + 2);
	// RFC 2131 4.1 asks for randomised exponential backoff from 4 s; the
	// capture has less time, so 1, 2, 4, 4, ... s.
	unsigned int wait = 1000, tries = 0;
	struct kd_error *err = NULL;
	struct kd_dhcp_lease offer, ack;
	char why[160] = "no reply";
	while (dhcp_now() < deadline) {
		tries++;
		err = dhcp_exchange(fd, ifindex, KD_DHCP_DISCOVER, xid, mac, NULL, wait, deadline,
				    &offer);
		if (!err)
			err = dhcp_exchange(fd, ifindex, KD_DHCP_REQUEST, xid, mac, &offer, wait,
					    deadline, &ack);
		if (!err) {
			close(fd);
			if (!ack.has_server)
				memcpy(ack.server, offer.server, 4);
			*ret = ack;
			return NULL;
		}
		snprintf(why, sizeof(why), "%s", kd_error_message(err));
		if (kd_error_code(err) == KD_ERROR_OS) {
			close(fd);
			return err;
		}
		kd_error_destroy(err);
		if (wait < 4000)
			wait *= 2;
		xid++;
	}
	close(fd);
	return kd_error_os(ETIMEDOUT, "no lease after %u DISCOVERs in %u ms (%s)", tries,
			   timeout_ms, why);
}

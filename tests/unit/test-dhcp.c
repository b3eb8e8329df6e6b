// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump's DHCPv4 client (lib/service/dhcp.c): DISCOVER and REQUEST byte
// for byte against RFC 2131/2132, replies parsed (damaged and foreign ones
// refused), the IPv4/UDP frame around them; then for real, as root, in a
// network namespace of the test's own: dnsmasq serves a veth pair, and its
// lease file (the oracle) must name our MAC with the address that iproute2
// then reads on our interface, with the router and MTU dnsmasq gave.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <sched.h>
#include <net/if.h>
#include <signal.h>

#include "service/service.h"

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void check_zero(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i]) {
			print_error("byte %zu: 0x%02x, expected 0\n", i, p[i]);
			fail();
		}
}

static void test_build(void **state)
{
	(void)state;
	uint8_t b[600];
	memset(b, 0xaa, sizeof(b));
	size_t n = kd_dhcp_build(b, sizeof(b), KD_DHCP_DISCOVER, 0x12345678, mac, NULL, NULL);
	assert_int_equal(n, 300);	// padded to BOOTP's 300 bytes
	static const uint8_t head[] = {
		1, 1, 6, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0x80, 0,	// BOOTREQUEST, Ethernet, xid, broadcast
	};
	assert_memory_equal(b, head, sizeof(head));
	check_zero(b, 12, 28);				// ciaddr yiaddr siaddr giaddr
	assert_memory_equal(b + 28, mac, 6);
	check_zero(b, 34, 236);				// chaddr padding, sname, file
	static const uint8_t opts[] = {
		99, 130, 83, 99,			// magic cookie
		53, 1, 1,				// DHCPDISCOVER
		61, 7, 1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,	// client id
		57, 2, 0x02, 0x40,			// max message 576
		55, 5, 1, 3, 26, 51, 54,		// mask, router, MTU, lease, server
		255,
	};
	assert_memory_equal(b + 236, opts, sizeof(opts));
	check_zero(b, 236 + sizeof(opts), 300);

	static const uint8_t addr[4] = { 192, 0, 2, 50 }, server[4] = { 192, 0, 2, 1 };
	n = kd_dhcp_build(b, sizeof(b), KD_DHCP_REQUEST, 0x12345678, mac, addr, server);
	assert_int_equal(n, 300);
	static const uint8_t ropts[] = {
		99, 130, 83, 99, 53, 1, 3,
		61, 7, 1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
		57, 2, 0x02, 0x40,
		50, 4, 192, 0, 2, 50,			// requested address
		54, 4, 192, 0, 2, 1,			// server identifier
		55, 5, 1, 3, 26, 51, 54, 255,
	};
	assert_memory_equal(b + 236, ropts, sizeof(ropts));
	// A REQUEST needs both; other types and small buffers are refused.
	assert_int_equal(kd_dhcp_build(b, sizeof(b), KD_DHCP_REQUEST, 1, mac, NULL, server), 0);
	assert_int_equal(kd_dhcp_build(b, sizeof(b), KD_DHCP_OFFER, 1, mac, NULL, NULL), 0);
	assert_int_equal(kd_dhcp_build(b, 299, KD_DHCP_DISCOVER, 1, mac, NULL, NULL), 0);
}

// A BOOTREPLY as a server writes it, with @p opts after the cookie.
static size_t reply(uint8_t *b, uint32_t xid, const uint8_t *opts, size_t n)
{
	memset(b, 0, 300);
	b[0] = 2, b[1] = 1, b[2] = 6;
	b[4] = (uint8_t)(xid >> 24), b[5] = (uint8_t)(xid >> 16);
	b[6] = (uint8_t)(xid >> 8), b[7] = (uint8_t)xid;
	b[16] = 192, b[17] = 0, b[18] = 2, b[19] = 50;	// yiaddr
	memcpy(b + 28, mac, 6);
	b[236] = 99, b[237] = 130, b[238] = 83, b[239] = 99;
	memcpy(b + 240, opts, n);
	return 240 + n > 300 ? 240 + n : 300;
}

static void parse_fails(const uint8_t *opts, size_t n, enum kd_error_code code,
			const char *needle)
{
	uint8_t b[600];
	struct kd_dhcp_lease l;
	size_t len = reply(b, 7, opts, n);
	struct kd_error *err = kd_dhcp_parse(b, len, 7, mac, &l);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), code);
	if (!strstr(kd_error_message(err), needle))
		print_error("'%s' lacks '%s'\n", kd_error_message(err), needle);
	assert_non_null(strstr(kd_error_message(err), needle));
	kd_error_destroy(err);
}

static void test_parse(void **state)
{
	(void)state;
	uint8_t b[600];
	static const uint8_t offer[] = {
		53, 1, 2,
		0, 0,					// pads
		1, 4, 255, 255, 255, 0,
		3, 8, 192, 0, 2, 1, 192, 0, 2, 254,	// two routers: the first counts
		51, 4, 0, 0, 0x0e, 0x10,		// 3600 s
		54, 4, 192, 0, 2, 1,
		26, 2, 0x05, 0x78,			// MTU 1400
		12, 3, 'k', 'd', 'x',			// host name: ignored
		255,
	};
	struct kd_dhcp_lease l;
	size_t len = reply(b, 7, offer, sizeof(offer));
	assert_null(kd_dhcp_parse(b, len, 7, mac, &l));
	assert_int_equal(l.type, KD_DHCP_OFFER);
	assert_int_equal(l.addr[3], 50);
	assert_int_equal(l.prefix, 24);
	assert_true(l.has_router);
	assert_int_equal(l.router[3], 1);
	assert_true(l.has_server);
	assert_int_equal(l.lease_seconds, 3600);
	assert_int_equal(l.mtu, 1400);

	// Another transaction, another client, a request, no cookie.
	struct kd_error *err = kd_dhcp_parse(b, len, 8, mac, &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);
	b[33] ^= 1;
	err = kd_dhcp_parse(b, len, 7, mac, &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);
	b[33] ^= 1;
	b[0] = 1;
	err = kd_dhcp_parse(b, len, 7, mac, &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);
	b[0] = 2;
	b[236] = 0;
	err = kd_dhcp_parse(b, len, 7, mac, &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);
	err = kd_dhcp_parse(b, 200, 7, mac, &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);

	// An option running past the end (no END), a mask with a hole, an
	// offer without server identifier or with a multicast address.
	static const uint8_t torn[] = { 53, 1, 2, 54, 4, 192, 0, 2, 1, 3, 200, 1 };
	len = reply(b, 7, torn, sizeof(torn));
	err = kd_dhcp_parse(b, 240 + sizeof(torn), 7, mac, &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "option 3 runs past"));
	kd_error_destroy(err);
	static const uint8_t hole[] = { 53, 1, 2, 54, 4, 192, 0, 2, 1, 1, 4, 255, 0, 255, 0, 255 };
	parse_fails(hole, sizeof(hole), KD_ERROR_CORRUPT, "subnet mask 255.0.255.0");
	static const uint8_t noserver[] = { 53, 1, 5, 1, 4, 255, 255, 255, 0, 255 };
	parse_fails(noserver, sizeof(noserver), KD_ERROR_CORRUPT, "without server identifier");
	static const uint8_t notype[] = { 1, 4, 255, 255, 255, 0, 255 };
	parse_fails(notype, sizeof(notype), KD_ERROR_FORMAT, "without DHCP message type");

	// No mask: the class's (192.0.2.50 is class C). A NAK needs no address.
	static const uint8_t nomask[] = { 53, 1, 5, 54, 4, 192, 0, 2, 1, 255 };
	len = reply(b, 7, nomask, sizeof(nomask));
	assert_null(kd_dhcp_parse(b, len, 7, mac, &l));
	assert_int_equal(l.type, KD_DHCP_ACK);
	assert_int_equal(l.prefix, 24);
	assert_false(l.has_router);
	assert_int_equal(l.mtu, 0);
	static const uint8_t nak[] = { 53, 1, 6, 54, 4, 192, 0, 2, 1, 255 };
	len = reply(b, 7, nak, sizeof(nak));
	memset(b + 16, 0, 4);
	assert_null(kd_dhcp_parse(b, len, 7, mac, &l));
	assert_int_equal(l.type, KD_DHCP_NAK);
	b[16] = 224;
	len = reply(b, 7, nomask, sizeof(nomask));
	b[16] = 224;
	err = kd_dhcp_parse(b, len, 7, mac, &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "offers the address 224.0.2.50"));
	kd_error_destroy(err);
}

static void test_frame(void **state)
{
	(void)state;
	uint8_t msg[300], f[400];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	size_t n = kd_dhcp_frame(f, sizeof(f), msg, sizeof(msg));
	assert_int_equal(n, 328);
	static const uint8_t hdr[] = {
		0x45, 0, 0x01, 0x48, 0, 0, 0, 0, 64, 17, 0x79, 0xa6,	// 328 bytes, TTL 64, UDP, checksum
		0, 0, 0, 0, 255, 255, 255, 255,				// 0.0.0.0 -> broadcast
		0, 68, 0, 67, 0x01, 0x34, 0, 0,				// 68 -> 67, 308 bytes
	};
	assert_memory_equal(f, hdr, sizeof(hdr));
	assert_memory_equal(f + 28, msg, sizeof(msg));
	assert_int_equal(kd_dhcp_frame(f, 327, msg, sizeof(msg)), 0);

	// Our own frame goes to port 67: not for us. A server's comes to 68.
	const uint8_t *m;
	size_t mlen;
	struct kd_error *err = kd_dhcp_unframe(f, n, &m, &mlen);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);
	f[21] = 67, f[23] = 68;
	assert_null(kd_dhcp_unframe(f, n, &m, &mlen));
	assert_ptr_equal(m, f + 28);
	assert_int_equal(mlen, 300);
	// Cut short, a UDP length past the packet, a fragment, not UDP.
	err = kd_dhcp_unframe(f, 200, &m, &mlen);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	f[24] = 0x02;
	err = kd_dhcp_unframe(f, n, &m, &mlen);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	f[24] = 0x01;
	f[6] = 0x20;	// more fragments
	err = kd_dhcp_unframe(f, n, &m, &mlen);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);
	f[6] = 0;
	f[9] = 6;
	err = kd_dhcp_unframe(f, n, &m, &mlen);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);
}

// ------------------------------------------------ dnsmasq on a veth pair

static bool in_netns;
static char tmpdir[64];

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kd-test-dhcp.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
	    system("ip link show lo >/dev/null 2>&1") == 0)
		in_netns = true;
	return 0;
}

// Stop the dnsmasq this test started (its pid file), then remove the files.
static void dnsmasq_stop(void)
{
	char path[128], buf[32] = "";
	snprintf(path, sizeof(path), "%s/dnsmasq.pid", tmpdir);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && atoi(buf) > 1)
			kill(atoi(buf), SIGTERM);
		fclose(f);
		unlink(path);
	}
}

static int group_teardown(void **state)
{
	(void)state;
	dnsmasq_stop();
	kd_test_rm_rf(tmpdir);
	return 0;
}

static void sh(const char *cmd)
{
	int r = system(cmd);
	if (r != 0)
		print_error("'%s' exited %d\n", cmd, r);
	assert_int_equal(r, 0);
}

static void sh_out(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(out, (int)len, f))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

#define NEED_DNSMASQ()								\
	do {									\
		if (!in_netns)							\
			kd_test_skip("needs root for a network namespace (unshare -n)"); \
		if (system("command -v dnsmasq >/dev/null") != 0)		\
			kd_test_skip("needs dnsmasq (tools/deps.sh: dnsmasq-base)"); \
	} while (0)

// dnsmasq on kdsrv0 (192.0.2.1/24), our side kdcli0; --port=0: no DNS.
static void dnsmasq_start(void)
{
	char cmd[1024];
	sh("ip link add kdcli0 address 02:00:00:00:00:d0 type veth peer name kdsrv0 && "
	   "ip link set kdsrv0 up && ip addr add 192.0.2.1/24 dev kdsrv0");
	snprintf(cmd, sizeof(cmd),
		 "dnsmasq --conf-file=/dev/null --port=0 --interface=kdsrv0 --bind-interfaces "
		 "--dhcp-range=192.0.2.50,192.0.2.60,255.255.255.0,1h "
		 "--dhcp-option=option:router,192.0.2.1 --dhcp-option=option:mtu,1400 "
		 "--dhcp-leasefile=%s/leases --pid-file=%s/dnsmasq.pid --log-dhcp "
		 "--log-facility=%s/dnsmasq.log --user=root --group=root",
		 tmpdir, tmpdir, tmpdir);
	sh(cmd);
}

static void test_dnsmasq(void **state)
{
	(void)state;
	NEED_DNSMASQ();
	dnsmasq_start();
	// Through the whole bring-up: found by MAC under another name.
	struct kd_netif_config c;
	assert_null(kd_netif_config_parse("dhcp eth0 mac=02:00:00:00:00:d0", &c));
	struct kd_netif_report rep;
	struct kd_error *err = kd_netif_bring_up(&c, 20000, &rep);
	if (err) {
		print_error("%s\n", kd_error_message(err));
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "cat %s/dnsmasq.log >&2", tmpdir);
		(void)!system(cmd);
	}
	assert_null(err);
	assert_true(rep.dhcp);
	assert_string_equal(rep.iface, "kdcli0");
	assert_int_equal(rep.lease_seconds, 3600);
	assert_int_equal(rep.dhcp_server[3], 1);
	assert_int_equal(rep.mtu, 1400);
	char a[16];
	kd_netif_format_ip(rep.addr, a);

	// The oracle: dnsmasq's lease file names our MAC and that address.
	char cmd[512], out[512], want[128];
	snprintf(cmd, sizeof(cmd), "awk '{print $2, $3}' %s/leases", tmpdir);
	sh_out(cmd, out, sizeof(out));
	snprintf(want, sizeof(want), "02:00:00:00:00:d0 %s", a);
	assert_string_equal(out, want);
	// iproute2: the address, its prefix, the MTU, the default route.
	sh_out("ip -j addr show dev kdcli0 | python3 -c 'import json,sys; "
	       "d=json.load(sys.stdin)[0]; a=[x for x in d[\"addr_info\"] if x[\"family\"]==\"inet\"][0]; "
	       "print(d[\"mtu\"], a[\"local\"], a[\"prefixlen\"])'", out, sizeof(out));
	snprintf(want, sizeof(want), "1400 %s 24", a);
	assert_string_equal(out, want);
	sh_out("ip -j route show default | python3 -c 'import json,sys; "
	       "r=json.load(sys.stdin)[0]; print(r[\"gateway\"], r[\"dev\"])'", out, sizeof(out));
	assert_string_equal(out, "192.0.2.1 kdcli0");
	// And the link works: dnsmasq's side answers a TCP probe (refused).
	static const uint8_t srv[4] = { 192, 0, 2, 1 };
	assert_null(kd_netif_probe_tcp(srv, 9, 3000));

	// The client alone, again: the same lease for the same MAC.
	struct kd_dhcp_lease l;
	uint8_t m[6] = { 2, 0, 0, 0, 0, 0xd0 };
	err = kd_dhcp_run((int)if_nametoindex("kdcli0"), m, 20000, &l);
	if (err)
		print_error("%s\n", kd_error_message(err));
	assert_null(err);
	assert_int_equal(l.type, KD_DHCP_ACK);
	assert_memory_equal(l.addr, rep.addr, 4);
	assert_int_equal(l.prefix, 24);
	assert_int_equal(l.router[3], 1);
	dnsmasq_stop();
}

// No server on the link: bounded, and the error says so.
static void test_no_server(void **state)
{
	(void)state;
	NEED_DNSMASQ();
	sh("ip link add kdcli1 type veth peer name kdsrv1 && ip link set kdsrv1 up");
	struct kd_netif_config c;
	assert_null(kd_netif_config_parse("dhcp kdcli1", &c));
	struct kd_netif_report rep;
	struct kd_error *err = kd_netif_bring_up(&c, 2500, &rep);
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ETIMEDOUT);
	assert_non_null(strstr(kd_error_message(err), "kdcli1: DHCP: no lease after"));
	kd_error_destroy(err);
	sh("ip link del kdcli1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_dnsmasq),
		cmocka_unit_test(test_no_server),
	};
	return kd_test_run(tests, group_setup, group_teardown);
}

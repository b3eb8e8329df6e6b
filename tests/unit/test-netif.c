// SPDX-License-Identifier: LGPL-2.1-or-later
// The capture kernel's network (lib/service/netif.c): the rtnetlink
// requests byte for byte against rtnetlink(7)'s layouts written out by
// hand, replies parsed (and torn ones refused), the `network` key; then
// for real, as root, in a network namespace of the test's own: veth
// interfaces brought up by kexdump and read back with iproute2
// (`ip -j`), setup's resolution of the route to a target, the refusal of a
// bridge, the MAC found under another name, a carrier wait that runs out.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <sched.h>

#include "service/service.h"

static const uint8_t ip_a[4] = { 192, 0, 2, 10 }, ip_gw[4] = { 192, 0, 2, 1 },
		     ip_dst[4] = { 198, 51, 100, 7 };

static void check_bytes(const uint8_t *got, size_t n, const uint8_t *want, size_t wn)
{
	assert_int_equal(n, wn);
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i]) {
			print_error("byte %zu: 0x%02x, expected 0x%02x\n", i, got[i], want[i]);
			fail();
		}
}

// rtnetlink's structures are in host byte order; the tables are x86_64's.
static void test_msg_getlink(void **state)
{
	(void)state;
	uint8_t b[256];
	static const uint8_t dump[] = {
		0x20, 0, 0, 0, 0x12, 0, 0x01, 0x03, 1, 0, 0, 0, 0, 0, 0, 0,	// RTM_GETLINK, REQUEST|DUMP
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		// ifinfomsg AF_UNSPEC
	};
	check_bytes(b, kd_netif_msg_getlink(b, sizeof(b), 1, 0), dump, sizeof(dump));
	static const uint8_t one[] = {
		0x20, 0, 0, 0, 0x12, 0, 0x01, 0x00, 7, 0, 0, 0, 0, 0, 0, 0,	// REQUEST only
		0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		// ifi_index 5
	};
	check_bytes(b, kd_netif_msg_getlink(b, sizeof(b), 7, 5), one, sizeof(one));
	assert_int_equal(kd_netif_msg_getlink(b, 31, 1, 0), 0);
}

static void test_msg_setlink(void **state)
{
	(void)state;
	uint8_t b[256];
	static const uint8_t want[] = {
		0x28, 0, 0, 0, 0x10, 0, 0x05, 0, 2, 0, 0, 0, 0, 0, 0, 0,	// RTM_NEWLINK, REQUEST|ACK
		0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,		// index 3, IFF_UP/IFF_UP
		8, 0, 4, 0, 0x78, 0x05, 0, 0,					// IFLA_MTU 1400
	};
	check_bytes(b, kd_netif_msg_setlink(b, sizeof(b), 2, 3, 1400), want, sizeof(want));
	// No MTU: no attribute.
	assert_int_equal(kd_netif_msg_setlink(b, sizeof(b), 2, 3, 0), 32);
	assert_int_equal(b[0], 32);
	assert_int_equal(kd_netif_msg_setlink(b, 39, 2, 3, 1400), 0);
}

static void test_msg_newaddr(void **state)
{
	(void)state;
	uint8_t b[256];
	static const uint8_t want[] = {
		0x30, 0, 0, 0, 0x14, 0, 0x05, 0x05, 3, 0, 0, 0, 0, 0, 0, 0,	// RTM_NEWADDR, REQUEST|ACK|CREATE|REPLACE
		2, 24, 0, 0, 2, 0, 0, 0,					// AF_INET /24 scope universe, index 2
		8, 0, 2, 0, 192, 0, 2, 10,					// IFA_LOCAL
		8, 0, 1, 0, 192, 0, 2, 10,					// IFA_ADDRESS
		8, 0, 4, 0, 192, 0, 2, 255,					// IFA_BROADCAST
	};
	check_bytes(b, kd_netif_msg_newaddr(b, sizeof(b), 3, 2, ip_a, 24), want, sizeof(want));
	// A /31 has no broadcast address (RFC 3021); /33 is no prefix.
	assert_int_equal(kd_netif_msg_newaddr(b, sizeof(b), 3, 2, ip_a, 31), 40);
	assert_int_equal(kd_netif_msg_newaddr(b, sizeof(b), 3, 2, ip_a, 33), 0);
	// 127.0.0.1 is host-scoped, as the kernel gives lo.
	static const uint8_t lo[4] = { 127, 0, 0, 1 };
	kd_netif_msg_newaddr(b, sizeof(b), 3, 1, lo, 8);
	assert_int_equal(b[16 + 3], 254);	// RT_SCOPE_HOST
	assert_int_equal(b[40 + 7], 255);	// 127.255.255.255
}

static void test_msg_route(void **state)
{
	(void)state;
	uint8_t b[256];
	static const uint8_t add[] = {
		0x2c, 0, 0, 0, 0x18, 0, 0x05, 0x05, 4, 0, 0, 0, 0, 0, 0, 0,	// RTM_NEWROUTE
		2, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0,	// AF_INET, 0.0.0.0/0, main, RTPROT_BOOT, universe, unicast
		8, 0, 5, 0, 192, 0, 2, 1,		// RTA_GATEWAY
		8, 0, 4, 0, 2, 0, 0, 0,			// RTA_OIF 2
	};
	check_bytes(b, kd_netif_msg_newroute(b, sizeof(b), 4, 2, ip_gw), add, sizeof(add));
	static const uint8_t get[] = {
		0x24, 0, 0, 0, 0x1a, 0, 0x01, 0, 5, 0, 0, 0, 0, 0, 0, 0,	// RTM_GETROUTE, REQUEST
		2, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,				// AF_INET, /32
		8, 0, 1, 0, 198, 51, 100, 7,					// RTA_DST
	};
	check_bytes(b, kd_netif_msg_getroute(b, sizeof(b), 5, ip_dst), get, sizeof(get));
	static const uint8_t addrs[] = {
		0x18, 0, 0, 0, 0x16, 0, 0x01, 0x03, 6, 0, 0, 0, 0, 0, 0, 0,	// RTM_GETADDR, dump
		2, 0, 0, 0, 0, 0, 0, 0,
	};
	check_bytes(b, kd_netif_msg_getaddr(b, sizeof(b), 6), addrs, sizeof(addrs));
}

// An RTM_NEWLINK reply as the kernel writes it (rtnl_fill_ifinfo()).
static const uint8_t link_msg[] = {
	0x60, 0, 0, 0, 0x10, 0, 0x02, 0, 9, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 1, 0, 4, 0, 0, 0, 0x41, 0, 1, 0, 0, 0, 0, 0,	// ARPHRD_ETHER, index 4, UP|RUNNING|LOWER_UP
	9, 0, 3, 0, 'e', 'n', 'p', '1', 's', 0, 0, 0,		// IFLA_IFNAME "enp1s"
	8, 0, 4, 0, 0xdc, 0x05, 0, 0,				// IFLA_MTU 1500
	5, 0, 16, 0, 6, 0, 0, 0,				// IFLA_OPERSTATE UP
	10, 0, 1, 0, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0, 0,	// IFLA_ADDRESS
	8, 0, 10, 0, 7, 0, 0, 0,				// IFLA_MASTER 7
	16, 0, 0x12, 0x80, 9, 0, 1, 0, 'v', 'e', 't', 'h', 0, 0, 0, 0,	// IFLA_LINKINFO { IFLA_INFO_KIND "veth" }
};

static void test_parse_link(void **state)
{
	(void)state;
	struct kd_netif_link l;
	uint8_t m[sizeof(link_msg)];
	memcpy(m, link_msg, sizeof(m));
	assert_null(kd_netif_parse_link(m, sizeof(m), &l));
	assert_int_equal(l.index, 4);
	assert_string_equal(l.name, "enp1s");
	assert_int_equal(l.mtu, 1500);
	assert_int_equal(l.operstate, 6);
	assert_int_equal(l.type, 1);
	assert_int_equal(l.flags, 0x10041);
	assert_true(l.has_mac);
	assert_int_equal(l.mac[5], 0x56);
	assert_int_equal(l.master, 7);
	assert_string_equal(l.kind, "veth");

	// A torn attribute, a length past the buffer, another type.
	struct kd_error *err;
	m[32] = 200;
	err = kd_netif_parse_link(m, sizeof(m), &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	m[32] = 9;
	err = kd_netif_parse_link(m, sizeof(m) - 4, &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	err = kd_netif_parse_link(m, 10, &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	m[4] = 0x18;
	err = kd_netif_parse_link(m, sizeof(m), &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);
	// Header only, no ifinfomsg.
	uint8_t shortm[16] = { 16, 0, 0, 0, 0x10, 0 };
	err = kd_netif_parse_link(shortm, sizeof(shortm), &l);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
}

static void test_parse_route_addr_ack(void **state)
{
	(void)state;
	static const uint8_t route[] = {
		0x3c, 0, 0, 0, 0x18, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0,
		2, 32, 0, 0, 254, 2, 0, 1, 0, 2, 0, 0,
		8, 0, 1, 0, 198, 51, 100, 7,		// RTA_DST
		8, 0, 4, 0, 3, 0, 0, 0,			// RTA_OIF 3
		8, 0, 7, 0, 192, 0, 2, 10,		// RTA_PREFSRC
		8, 0, 5, 0, 192, 0, 2, 1,		// RTA_GATEWAY
	};
	struct kd_netif_route r;
	assert_null(kd_netif_parse_route(route, sizeof(route), &r));
	assert_int_equal(r.oif, 3);
	assert_true(r.has_gateway && r.has_prefsrc);
	assert_memory_equal(r.gateway, ip_gw, 4);
	assert_memory_equal(r.prefsrc, ip_a, 4);

	static const uint8_t addr[] = {
		0x28, 0, 0, 0, 0x14, 0, 0x02, 0, 6, 0, 0, 0, 0, 0, 0, 0,
		2, 24, 0x80, 0, 3, 0, 0, 0,
		8, 0, 1, 0, 192, 0, 2, 10,		// IFA_ADDRESS
		8, 0, 2, 0, 192, 0, 2, 10,		// IFA_LOCAL
	};
	struct kd_netif_addr a;
	assert_null(kd_netif_parse_addr(addr, sizeof(addr), &a));
	assert_int_equal(a.index, 3);
	assert_int_equal(a.prefix, 24);
	assert_memory_equal(a.local, ip_a, 4);
	uint8_t bad[sizeof(addr)];
	memcpy(bad, addr, sizeof(bad));
	bad[17] = 40;
	struct kd_error *err = kd_netif_parse_addr(bad, sizeof(bad), &a);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	bad[17] = 24;
	bad[16] = 10;	// AF_INET6
	err = kd_netif_parse_addr(bad, sizeof(bad), &a);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	kd_error_destroy(err);

	// NLMSG_ERROR: -EEXIST, then an ACK.
	uint8_t ack[36] = { 36, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
			    0xef, 0xff, 0xff, 0xff };
	int e = -1;
	assert_null(kd_netif_parse_ack(ack, sizeof(ack), &e));
	assert_int_equal(e, 17);
	memset(ack + 16, 0, 4);
	assert_null(kd_netif_parse_ack(ack, sizeof(ack), &e));
	assert_int_equal(e, 0);
	ack[16] = 5;	// a positive code is no errno
	err = kd_netif_parse_ack(ack, sizeof(ack), &e);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
}

static void parse_ok(const char *v, const char *formatted)
{
	struct kd_netif_config c;
	struct kd_error *err = kd_netif_config_parse(v, &c);
	if (err)
		print_error("%s: %s\n", v, kd_error_message(err));
	assert_null(err);
	char out[160];
	kd_netif_config_format(&c, out, sizeof(out));
	assert_string_equal(out, formatted);
	struct kd_netif_config again;
	assert_null(kd_netif_config_parse(out, &again));
	assert_memory_equal(&again, &c, sizeof(c));
}

static void parse_bad(const char *v, const char *needle)
{
	struct kd_netif_config c;
	struct kd_error *err = kd_netif_config_parse(v, &c);
	assert_non_null(err);
	if (!strstr(kd_error_message(err), needle))
		print_error("%s: '%s' lacks '%s'\n", v, kd_error_message(err), needle);
	assert_non_null(strstr(kd_error_message(err), needle));
	kd_error_destroy(err);
}

static void test_config(void **state)
{
	(void)state;
	parse_ok("auto", "auto");
	parse_ok("dhcp", "dhcp");
	parse_ok("dhcp  eth0", "dhcp eth0");
	parse_ok("dhcp eth0 mac=52:54:00:12:34:56 mtu=1500",
		 "dhcp eth0 mac=52:54:00:12:34:56 mtu=1500");
	parse_ok("dhcp mac=52:54:00:AB:cd:EF", "dhcp mac=52:54:00:ab:cd:ef");
	parse_ok("eth0 10.0.2.15/24 10.0.2.2", "eth0 10.0.2.15/24 10.0.2.2");
	parse_ok("enp1s0 192.0.2.10/32", "enp1s0 192.0.2.10/32");
	parse_ok("eth0 10.0.2.15/24 10.0.2.2 mtu=9000 mac=02:00:00:00:00:01",
		 "eth0 10.0.2.15/24 10.0.2.2 mac=02:00:00:00:00:01 mtu=9000");
	struct kd_netif_config c;
	assert_null(kd_netif_config_parse("eth0 10.0.2.15/24 10.0.2.2", &c));
	assert_int_equal(c.mode, KD_NETIF_STATIC);
	assert_int_equal(c.prefix, 24);
	assert_true(c.has_gateway);
	assert_int_equal(c.gateway[3], 2);

	parse_bad("", "needs auto, dhcp");
	parse_bad("auto eth0", "auto takes nothing");
	parse_bad("eth0", "needs ADDR/PREFIX");
	parse_bad("eth0 10.0.2.15", "needs ADDR/PREFIX");
	parse_bad("eth0 10.0.2.15/33", "not an IPv4 ADDR/PREFIX");
	parse_bad("eth0 10.0.2.15/0", "not an IPv4 ADDR/PREFIX");
	parse_bad("eth0 10.0.2.256/24", "not an IPv4 ADDR/PREFIX");
	parse_bad("eth0 10.0.2/24", "not an IPv4 ADDR/PREFIX");
	parse_bad("eth0 10.0.2.15/24 gateway", "gateway 'gateway'");
	parse_bad("eth0 10.0.2.15/24 10.0.2.2 extra", "unexpected 'extra'");
	parse_bad("a/b 10.0.2.15/24", "neither auto, dhcp nor an interface");
	parse_bad("averyveryverylongname 10.0.2.15/24", "neither auto, dhcp");
	parse_bad("dhcp eth0 mac=52:54:00:12:34", "not a MAC address");
	parse_bad("dhcp eth0 mtu=20", "mtu '20'");
	parse_bad("dhcp eth0 mtu=1500 mtu=1400", "unexpected 'mtu=1400'");

	uint8_t ip[4];
	assert_null(kd_netif_host_ip("192.0.2.7", ip));
	assert_int_equal(ip[3], 7);
	assert_null(kd_netif_host_ip("localhost", ip));	// /etc/hosts
	assert_int_equal(ip[0], 127);
	struct kd_error *err = kd_netif_host_ip("no-such-host.invalid", ip);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_non_null(strstr(kd_error_message(err), "no-such-host.invalid: no IPv4 address"));
	kd_error_destroy(err);
	assert_true(kd_netif_parse_ip("0.0.0.0", ip));
	assert_false(kd_netif_parse_ip("1.2.3.4.5", ip));
	assert_false(kd_netif_parse_ip("01234.1.1.1", ip));
	assert_false(kd_netif_parse_ip(" 1.2.3.4", ip));
}

// The key in /etc/kexdump.conf: parsed, errors naming the line, written
// back by kd_config_write (what the capture initramfs's config gets).
static void test_config_key(void **state)
{
	(void)state;
	struct kd_config cfg;
	static const char text[] = "path /var/crash\nnetwork eth0 10.0.2.15/24 10.0.2.2 mac=52:54:00:12:34:56 mtu=1500\n";
	assert_null(kd_config_parse("k.conf", text, strlen(text), &cfg));
	assert_int_equal(cfg.network.mode, KD_NETIF_STATIC);
	assert_string_equal(cfg.network.iface, "eth0");
	assert_int_equal(cfg.network.mtu, 1500);
	char path[] = "/tmp/kd-test-netif-conf.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_null(kd_config_write(&cfg, fd));
	close(fd);
	char *back;
	size_t len;
	assert_null(kd_fs_read_file(path, 1 << 20, &back, &len));
	unlink(path);
	assert_non_null(strstr(back, "\nnetwork eth0 10.0.2.15/24 10.0.2.2 mac=52:54:00:12:34:56 mtu=1500\n"));
	struct kd_config again;
	assert_null(kd_config_parse("back.conf", back, len, &again));
	assert_memory_equal(&again.network, &cfg.network, sizeof(cfg.network));
	free(back);

	// The default is auto, which is not written.
	kd_config_default(&cfg);
	assert_int_equal(cfg.network.mode, KD_NETIF_AUTO);

	struct kd_error *err = kd_config_parse("k.conf", "path /x\nnetwork dhcp eth0 mtu=9\n", 31, &cfg);
	assert_non_null(err);
	assert_string_equal(kd_error_message(err),
			    "k.conf:2: network: mtu '9' is not a number from 68 to 65535");
	kd_error_destroy(err);
	err = kd_config_parse("k.conf", "network auto\nnetwork dhcp\n", 26, &cfg);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "k.conf:2: duplicate 'network'"));
	kd_error_destroy(err);
}

// ------------------------------------------------- a namespace of our own

static bool in_netns;

static int group_setup(void **state)
{
	(void)state;
	// The whole test process moves: `ip` run by system() follows it.
	if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0 && system("ip link show lo >/dev/null 2>&1") == 0)
		in_netns = true;
	return 0;
}

static void sh(const char *cmd)
{
	int r = system(cmd);
	if (r != 0)
		print_error("'%s' exited %d\n", cmd, r);
	assert_int_equal(r, 0);
}

// The first line of the output of @p cmd.
static void sh_out(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(out, (int)len, f))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

#define NEED_NETNS()								\
	do {									\
		if (!in_netns)							\
			kd_test_skip("needs root for a network namespace (unshare -n)"); \
	} while (0)

static void test_real_static(void **state)
{
	(void)state;
	NEED_NETNS();
	sh("ip link add kdtest0 address 02:00:00:00:00:0a type veth peer name kdpeer0 && ip link set kdpeer0 up");
	struct kd_netif_config c;
	assert_null(kd_netif_config_parse("kdtest0 192.0.2.10/24 192.0.2.1 mtu=1400", &c));
	struct kd_netif_report rep;
	struct kd_error *err = kd_netif_bring_up(&c, 5000, &rep);
	if (err)
		print_error("%s\n", kd_error_message(err));
	assert_null(err);
	assert_string_equal(rep.iface, "kdtest0");
	assert_int_equal(rep.mtu, 1400);

	// iproute2 reads back what we set.
	char out[512];
	sh_out("ip -j addr show dev kdtest0 | python3 -c 'import json,sys; "
	       "d=json.load(sys.stdin)[0]; a=[x for x in d[\"addr_info\"] if x[\"family\"]==\"inet\"][0]; "
	       "print(d[\"mtu\"], \"UP\" in d[\"flags\"], a[\"local\"], a[\"prefixlen\"], a.get(\"broadcast\"))'",
	       out, sizeof(out));
	assert_string_equal(out, "1400 True 192.0.2.10 24 192.0.2.255");
	sh_out("ip -j route show default | python3 -c 'import json,sys; "
	       "r=json.load(sys.stdin)[0]; print(r[\"gateway\"], r[\"dev\"])'",
	       out, sizeof(out));
	assert_string_equal(out, "192.0.2.1 kdtest0");
	sh_out("ip -j link show lo | python3 -c 'import json,sys; print(\"UP\" in json.load(sys.stdin)[0][\"flags\"])'",
	       out, sizeof(out));
	assert_string_equal(out, "True");

	// Again: the address and route are replaced, not an error.
	assert_null(kd_netif_bring_up(&c, 5000, &rep));

	// Setup's copy of the route to a target behind the gateway.
	uint8_t dst[4] = { 198, 51, 100, 7 };
	struct kd_netif_config in = { .mode = KD_NETIF_AUTO }, res;
	err = kd_netif_resolve(&in, dst, &res);
	if (err)
		print_error("%s\n", kd_error_message(err));
	assert_null(err);
	char text[160];
	kd_netif_config_format(&res, text, sizeof(text));
	assert_string_equal(text, "kdtest0 192.0.2.10/24 192.0.2.1 mac=02:00:00:00:00:0a mtu=1400");
	// A target on the link: no gateway.
	dst[0] = 192, dst[1] = 0, dst[2] = 2, dst[3] = 99;
	assert_null(kd_netif_resolve(&in, dst, &res));
	kd_netif_config_format(&res, text, sizeof(text));
	assert_string_equal(text, "kdtest0 192.0.2.10/24 mac=02:00:00:00:00:0a mtu=1400");
	// dhcp keeps dhcp and names the interface.
	in.mode = KD_NETIF_DHCP;
	assert_null(kd_netif_resolve(&in, dst, &res));
	kd_netif_config_format(&res, text, sizeof(text));
	assert_string_equal(text, "dhcp kdtest0 mac=02:00:00:00:00:0a mtu=1400");
	// A target on this machine: lo.
	in.mode = KD_NETIF_AUTO;
	dst[0] = 127, dst[1] = 0, dst[2] = 0, dst[3] = 1;
	assert_null(kd_netif_resolve(&in, dst, &res));
	kd_netif_config_format(&res, text, sizeof(text));
	assert_string_equal(text, "lo 127.0.0.1/8");
	// No route at all.
	sh("ip route del default");
	dst[0] = 198, dst[1] = 51, dst[2] = 100, dst[3] = 7;
	err = kd_netif_resolve(&in, dst, &res);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "no route to 198.51.100.7"));
	kd_error_destroy(err);
	sh("ip link del kdtest0");
}

// The capture kernel may name the interface differently: the MAC wins.
static void test_real_by_mac(void **state)
{
	(void)state;
	NEED_NETNS();
	sh("ip link add kdtest1 address 02:00:00:00:00:0b type veth peer name kdpeer1 && ip link set kdpeer1 up");
	struct kd_netif_config c;
	assert_null(kd_netif_config_parse("eth7 203.0.113.5/28 mac=02:00:00:00:00:0b", &c));
	struct kd_netif_report rep;
	struct kd_error *err = kd_netif_bring_up(&c, 5000, &rep);
	if (err)
		print_error("%s\n", kd_error_message(err));
	assert_null(err);
	assert_string_equal(rep.iface, "kdtest1");
	char out[256];
	sh_out("ip -j addr show dev kdtest1 | python3 -c 'import json,sys; "
	       "a=[x for x in json.load(sys.stdin)[0][\"addr_info\"] if x[\"family\"]==\"inet\"][0]; "
	       "print(a[\"local\"], a[\"prefixlen\"])'", out, sizeof(out));
	assert_string_equal(out, "203.0.113.5 28");
	// No route was asked for.
	sh_out("ip -j route show default dev kdtest1", out, sizeof(out));
	assert_string_equal(out, "[]");
	// setup without a network target: the named interface's MAC and MTU;
	// auto has nothing to copy.
	struct kd_netif_config named, res;
	assert_null(kd_netif_config_parse("dhcp kdtest1", &named));
	assert_null(kd_netif_resolve(&named, NULL, &res));
	char text[160];
	kd_netif_config_format(&res, text, sizeof(text));
	assert_string_equal(text, "dhcp kdtest1 mac=02:00:00:00:00:0b mtu=1500");
	named.mode = KD_NETIF_AUTO;
	err = kd_netif_resolve(&named, NULL, &res);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	assert_null(kd_netif_config_parse("dhcp nosuch0", &named));
	err = kd_netif_resolve(&named, NULL, &res);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	// Neither the MAC nor the name: NOTFOUND once the wait runs out.
	assert_null(kd_netif_config_parse("eth7 203.0.113.5/28 mac=02:00:00:00:00:0c", &c));
	err = kd_netif_bring_up(&c, 300, &rep);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_non_null(strstr(kd_error_message(err), "no network interface eth7"));
	kd_error_destroy(err);
	sh("ip link del kdtest1");
}

// A veth whose peer is down has no carrier: the wait is bounded.
static void test_real_no_carrier(void **state)
{
	(void)state;
	NEED_NETNS();
	sh("ip link add kdtest2 type veth peer name kdpeer2");
	struct kd_netif_config c;
	assert_null(kd_netif_config_parse("kdtest2 192.0.2.20/24", &c));
	struct kd_netif_report rep;
	struct kd_error *err = kd_netif_bring_up(&c, 400, &rep);
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ETIMEDOUT);
	assert_non_null(strstr(kd_error_message(err), "kdtest2: no carrier"));
	kd_error_destroy(err);
	// With the peer up it comes.
	sh("ip link set kdpeer2 up");
	err = kd_netif_bring_up(&c, 5000, &rep);
	if (err)
		print_error("%s\n", kd_error_message(err));
	assert_null(err);
	assert_true(rep.carrier_seconds >= rep.link_seconds);
	// A TCP probe: refused on the peer's side counts as reached; an
	// address nobody has is not reached within the bound.
	sh("ip addr add 192.0.2.21/24 dev kdpeer2");
	uint8_t peer[4] = { 192, 0, 2, 21 }, nobody[4] = { 192, 0, 2, 99 };
	assert_null(kd_netif_probe_tcp(peer, 9, 3000));
	err = kd_netif_probe_tcp(nobody, 9, 500);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "192.0.2.99:9: not reached in 500 ms"));
	kd_error_destroy(err);
	sh("ip link del kdtest2");
}

// setup refuses a target reached through a bridge, with one line.
static void test_real_refused(void **state)
{
	(void)state;
	NEED_NETNS();
	sh("ip link add kdbr0 type bridge && ip link set kdbr0 up && "
	   "ip addr add 198.18.0.2/24 dev kdbr0");
	uint8_t dst[4] = { 198, 18, 0, 9 };
	struct kd_netif_config in = { .mode = KD_NETIF_AUTO }, res;
	struct kd_error *err = kd_netif_resolve(&in, dst, &res);
	assert_int_equal(kd_error_code(err), KD_ERROR_UNSUPPORTED);
	assert_non_null(strstr(kd_error_message(err),
			       "198.18.0.9 is reached through kdbr0, a bridge interface"));
	assert_null(strchr(kd_error_message(err), '\n'));
	kd_error_destroy(err);
	sh("ip link del kdbr0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_getlink),
		cmocka_unit_test(test_msg_setlink),
		cmocka_unit_test(test_msg_newaddr),
		cmocka_unit_test(test_msg_route),
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_parse_route_addr_ack),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_key),
		cmocka_unit_test(test_real_static),
		cmocka_unit_test(test_real_by_mac),
		cmocka_unit_test(test_real_no_carrier),
		cmocka_unit_test(test_real_refused),
	};
	return kd_test_run(tests, group_setup, NULL);
}

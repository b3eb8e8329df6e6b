// SPDX-License-Identifier: LGPL-2.1-or-later
// nfs:// targets: the mount(2) options and source the kernel's NFSv4
// client needs without mount.nfs, the bounded TCP reach (a listening
// socket of the test's own, a port nothing listens on), and what a
// mount of an unreachable server says. The mounts themselves need a
// kernel with an NFS client and a server: tests/e2e/check-service.sh
// (nfs-ganesha on the host, the capture kernel in QEMU).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "service/service.h"

static void test_options(void **state)
{
	(void)state;
	char o[256];
	assert_null(kd_nfs_options("4.2", "10.0.2.2", "10.0.2.15", 2049, o, sizeof(o)));
	assert_string_equal(o, "vers=4.2,addr=10.0.2.2,clientaddr=10.0.2.15,proto=tcp,port=2049,"
			       "soft,timeo=100,retrans=2");
	assert_null(kd_nfs_options("4.0", "fd00::1", "fd00::2", 20490, o, sizeof(o)));
	assert_string_equal(o, "vers=4.0,addr=fd00::1,clientaddr=fd00::2,proto=tcp6,port=20490,"
			       "soft,timeo=100,retrans=2");
	struct kd_error *err = kd_nfs_options("4.2", "10.0.2.2", "10.0.2.15", 2049, o, 20);
	assert_non_null(err);
	kd_error_destroy(err);

	assert_null(kd_nfs_source("10.0.2.2", "/exports/dumps", o, sizeof(o)));
	assert_string_equal(o, "10.0.2.2:/exports/dumps");
	assert_null(kd_nfs_source("fd00::1", "/", o, sizeof(o)));
	assert_string_equal(o, "[fd00::1]:/");
	err = kd_nfs_source("10.0.2.2", "/x", o, 8);
	assert_non_null(err);
	kd_error_destroy(err);
}

static void test_resolve(void **state)
{
	(void)state;
	char a[64];
	assert_null(kd_nfs_resolve_host("127.0.0.1", true, a, sizeof(a)));
	assert_string_equal(a, "127.0.0.1");
	assert_null(kd_nfs_resolve_host("::1", true, a, sizeof(a)));
	assert_string_equal(a, "::1");
	// The capture has no resolver: a name is an error saying so.
	struct kd_error *err = kd_nfs_resolve_host("nfs.example.org", true, a, sizeof(a));
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "the capture kernel needs an address"));
	kd_error_destroy(err);
}

// A port nothing listens on: bind one, note it, close it.
static unsigned int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(in);
	assert_int_equal(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&in, &len), 0);
	close(fd);
	return ntohs(in.sin_port);
}

static void test_reach(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(in);
	assert_int_equal(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&in, &len), 0);
	char client[64] = "";
	assert_null(kd_nfs_reach("127.0.0.1", ntohs(in.sin_port), 2000, client, sizeof(client)));
	assert_string_equal(client, "127.0.0.1");
	close(fd);

	// Refused fails at once, whatever the bound, and says what to check.
	unsigned int port = free_port();
	struct kd_error *err = kd_nfs_reach("127.0.0.1", port, 60000, client, sizeof(client));
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ECONNREFUSED);
	char want[128];
	snprintf(want, sizeof(want),
		 "cannot connect to 127.0.0.1 port %u (is the NFS server running there?): Connection refused",
		 port);
	assert_string_equal(kd_error_message(err), want);
	kd_error_destroy(err);
	err = kd_nfs_reach("nfs.example.org", 2049, 100, client, sizeof(client));
	assert_string_equal(kd_error_message(err), "nfs.example.org is not an IP address");
	kd_error_destroy(err);
}

// kd_nfs_mount and kd_nfs_check reach the server before any mount(2).
static void test_mount_unreachable(void **state)
{
	(void)state;
	char url[64];
	unsigned int port = free_port();
	snprintf(url, sizeof(url), "nfs://127.0.0.1:%u/exports/d", port);
	struct kd_config_target t;
	assert_null(kd_config_parse_url(url, &t));
	struct kd_nfs_mounted m;
	struct kd_error *err = kd_nfs_mount(&t, "/nonexistent", 5000, &m);
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ECONNREFUSED);
	kd_error_destroy(err);
	err = kd_nfs_check(&t, 5000, NULL);
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ECONNREFUSED);
	kd_error_destroy(err);
	assert_null(kd_config_parse_url("ssh://u@127.0.0.1/x", &t));
	err = kd_nfs_check(&t, 5000, NULL);
	assert_string_equal(kd_error_message(err), "not an nfs:// target");
	kd_error_destroy(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_reach),
		cmocka_unit_test(test_mount_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

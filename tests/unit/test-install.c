// SPDX-License-Identifier: LGPL-2.1-or-later
// The files setup installs: unit-file text for hostile paths (quoting per
// systemd.service(5) and systemd.unit(5)), kd_install_file, and GRUB's
// drop-in: its text and the reservation read back from it.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void expect_exec(const char *in, const char *want)
{
	char *out = NULL;
	assert_null(kd_install_unit_exec_arg(in, &out));
	assert_string_equal(out, want);
	free(out);
}

static void expect_path(const char *in, const char *want)
{
	char *out = NULL;
	assert_null(kd_install_unit_path(in, &out));
	assert_string_equal(out, want);
	free(out);
}

static void expect_refused(struct kd_error *(*fn)(const char *, char **), const char *in,
			   const char *why)
{
	char *out = (char *)"untouched";
	struct kd_error *err = fn(in, &out);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	if (!strstr(kd_error_message(err), why))
		fail_msg("'%s' does not say '%s'", kd_error_message(err), why);
	assert_string_equal(out, "untouched");
	kd_error_destroy(err);
}

static void test_exec_arg(void **state)
{
	(void)state;
	// Plain paths read as typed.
	expect_exec("/usr/sbin/kexdump", "/usr/sbin/kexdump");
	expect_exec("/etc/kexdump-2.conf", "/etc/kexdump-2.conf");
	// A specifier and a variable: doubled, no quotes needed.
	expect_exec("/etc/k%h$HOME.conf", "/etc/k%%h$$HOME.conf");
	// White space splits words: quoted; inside, backslash and quote escaped.
	expect_exec("/etc/my conf", "\"/etc/my conf\"");
	expect_exec("/a b/%x$y\"z\\w", "\"/a b/%%x$$y\\\"z\\\\w\"");
	expect_exec("/etc/it's", "\"/etc/it's\"");
	expect_exec(";", "\";\"");
	expect_exec("", "\"\"");
	// UTF-8 is kept as it is.
	expect_exec("/etc/k\xc3\xa9.conf", "/etc/k\xc3\xa9.conf");
	// A newline would start a new directive; other controls, bad UTF-8.
	expect_refused(kd_install_unit_exec_arg, "/etc/x\n[Service]\nExecStartPre=/bin/evil",
		       "a control character (0x0a)");
	expect_refused(kd_install_unit_exec_arg, "/etc/x\ty", "(0x09)");
	expect_refused(kd_install_unit_exec_arg, "/etc/x\x7f", "(0x7f)");
	expect_refused(kd_install_unit_exec_arg, "/etc/\xff", "not UTF-8");
	expect_refused(kd_install_unit_exec_arg, "/etc/\xc3", "not UTF-8");
	expect_refused(kd_install_unit_exec_arg, "/etc/\xc0\xaf", "not UTF-8");
}

static void test_unit_path(void **state)
{
	(void)state;
	expect_path("/etc/kexdump.conf", "/etc/kexdump.conf");
	// No quote processing in path settings: only '%' doubled.
	expect_path("/etc/my k%h$x\"q.conf", "/etc/my k%%h$x\"q.conf");
	expect_path("/etc/a\\b", "/etc/a\\b");
	expect_refused(kd_install_unit_path, "/etc/x\nPathChanged=/evil", "(0x0a)");
	expect_refused(kd_install_unit_path, "etc/kexdump.conf", "absolute path");
	expect_refused(kd_install_unit_path, "/etc/x\\", "backslash");
	expect_refused(kd_install_unit_path, "/etc/x ", "white space");
}

// @p text in a temporary file: its path (free it, unlink it).
static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/kd-test-grub.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void expect_reservation(const char *text, uint64_t ram, uint64_t want)
{
	char *path = write_temp(text);
	uint64_t size = 0;
	struct kd_error *err = kd_install_grub_reservation(path, ram, &size);
	if (err)
		fail_msg("%s: %s", text, kd_error_message(err));
	assert_int_equal(size, want);
	unlink(path);
	free(path);
}

static void expect_no_reservation(const char *text, enum kd_error_code code)
{
	char *path = write_temp(text);
	uint64_t size = 7;
	struct kd_error *err = kd_install_grub_reservation(path, 4ull << 30, &size);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), code);
	assert_non_null(strstr(kd_error_message(err), path));
	assert_int_equal(size, 7);
	kd_error_destroy(err);
	unlink(path);
	free(path);
}

// setup --apply-bootloader's text, read back as the next boot's reservation
// (setup --kernel for a kernel upgrade compares it with what the new
// kernel needs); other drop-ins' words as the kernel reads them.
static void test_grub_dropin(void **state)
{
	(void)state;
	char text[512];
	assert_null(kd_install_grub_dropin(192ull << 20, text, sizeof(text)));
	assert_non_null(strstr(text, "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=192M\"\n"));
	assert_non_null(strstr(text, "update-grub to undo"));
	expect_reservation(text, 4ull << 30, 192ull << 20);
	// The last crashkernel= outside comments is the one the kernel takes.
	expect_reservation("# crashkernel=1G\nGRUB_CMDLINE_LINUX=\"crashkernel=128M\"\n"
			   "  # crashkernel=2G\nGRUB_CMDLINE_LINUX_DEFAULT='quiet crashkernel=256M,high'\n",
			   4ull << 30, 256ull << 20);
	// Ranges by the machine's memory; a word that only ends in the name
	// is not it.
	expect_reservation("X=\"crashkernel=512M-2G:64M,2G-:128M nocrashkernel=1G\"\n", 4ull << 30,
			   128ull << 20);
	expect_reservation("X=\"crashkernel=512M-2G:64M,2G-:128M\"\n", 1ull << 30, 64ull << 20);
	expect_no_reservation("# crashkernel=256M\nGRUB_TIMEOUT=1\n", KD_ERROR_NOTFOUND);
	expect_no_reservation("X=\"crashkernel=lots\"\n", KD_ERROR_INVALID);
	uint64_t size;
	struct kd_error *err = kd_install_grub_reservation("/nonexistent/kexdump.cfg", 1, &size);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	err = kd_install_grub_dropin(1ull << 30, text, 40);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_arg),
		cmocka_unit_test(test_unit_path),
		cmocka_unit_test(test_grub_dropin),
	};
	return kd_test_run(tests, NULL, NULL);
}

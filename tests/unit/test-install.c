// SPDX-License-Identifier: LGPL-2.1-or-later
// The files setup installs: unit-file text for hostile paths (quoting per
// systemd.service(5) and systemd.unit(5)), and kd_install_file.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include "service/service.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_arg),
		cmocka_unit_test(test_unit_path),
	};
	return kd_test_run(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// The error idiom: codes, errno, messages, prefixes, the static ENOMEM.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "util/util.h"

static void test_create(void **state)
{
	(void)state;
	struct kd_error *err = kd_error_create(KD_ERROR_CORRUPT, "%s: bad %d", "f", 7);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_int_equal(kd_error_errno(err), 0);
	assert_string_equal(kd_error_message(err), "f: bad 7");
	kd_error_destroy(err);
}

static void test_os(void **state)
{
	(void)state;
	struct kd_error *err = kd_error_os(ENOENT, "%s: cannot open", "/x");
	assert_int_equal(kd_error_code(err), KD_ERROR_OS);
	assert_int_equal(kd_error_errno(err), ENOENT);
	assert_string_equal(kd_error_message(err),
			    "/x: cannot open: No such file or directory");
	kd_error_destroy(err);
}

static void test_prefix(void **state)
{
	(void)state;
	struct kd_error *err = kd_error_create(KD_ERROR_NODATA, "page missing");
	assert_ptr_equal(kd_error_prefix(err, "%s", "dump"), err);
	assert_string_equal(kd_error_message(err), "dump: page missing");
	assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
	kd_error_destroy(err);
}

static void test_enomem_static(void **state)
{
	(void)state;
	// Prefixing or destroying the static error must leave it intact.
	assert_ptr_equal(kd_error_prefix(&kd_enomem, "x"), &kd_enomem);
	kd_error_destroy(&kd_enomem);
	assert_string_equal(kd_error_message(&kd_enomem), "out of memory");
	assert_int_equal(kd_error_code(&kd_enomem), KD_ERROR_NOMEM);
	kd_error_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_os),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_enomem_static),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

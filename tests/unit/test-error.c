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

static void test_stop_static(void **state)
{
	(void)state;
	// kd_stop is static like kd_enomem, and its code is no real code.
	assert_ptr_equal(kd_error_prefix(&kd_stop, "x"), &kd_stop);
	kd_error_destroy(&kd_stop);
	assert_string_equal(kd_error_message(&kd_stop), "stopped");
	struct kd_error *err = &kd_stop;
	for (enum kd_error_code c = KD_ERROR_NOMEM; c <= KD_ERROR_INVALID; c++)
		assert_false(kd_error_catch(&err, c));
	assert_ptr_equal(err, &kd_stop);
}

static void test_catch(void **state)
{
	(void)state;
	// No error: nothing caught, still NULL.
	struct kd_error *err = NULL;
	assert_false(kd_error_catch(&err, KD_ERROR_NOTFOUND));
	assert_null(err);
	// Another code: left alone, untouched.
	err = kd_error_create(KD_ERROR_CORRUPT, "bad");
	struct kd_error *orig = err;
	assert_false(kd_error_catch(&err, KD_ERROR_NOTFOUND));
	assert_ptr_equal(err, orig);
	assert_string_equal(kd_error_message(err), "bad");
	// The code: destroyed (ASan sees a leak otherwise) and cleared.
	assert_true(kd_error_catch(&err, KD_ERROR_CORRUPT));
	assert_null(err);
	// The static ENOMEM is caught without being freed.
	err = &kd_enomem;
	assert_true(kd_error_catch(&err, KD_ERROR_NOMEM));
	assert_null(err);
	assert_string_equal(kd_error_message(&kd_enomem), "out of memory");
	// An OS error by its code.
	err = kd_error_os(EACCES, "x");
	assert_true(kd_error_catch(&err, KD_ERROR_OS));
	assert_null(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_os),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_enomem_static),
		cmocka_unit_test(test_stop_static),
		cmocka_unit_test(test_catch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

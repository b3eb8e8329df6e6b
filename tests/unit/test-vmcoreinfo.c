// SPDX-License-Identifier: LGPL-2.1-or-later
// VMCOREINFO parsing: typed look-ups, missing keys, malformed text.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "kernel/kernel.h"

// Lines as a real Debian 6.1 kernel writes them (kernel-facts.md §1a).
static const char sample[] =
	"OSRELEASE=6.1.0-56-amd64\n"
	"BUILD-ID=eb4fbcd037e7253717950bf2b93bd5566f47c56f\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffffbbffb000\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SIZE(page)=64\n"
	"LENGTH(mem_section)=4096\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(phys_base)=813694976\n"
	"KERNELOFFSET=39400000\n"
	"CRASHTIME=1795755448\n";

static struct kd_vmcoreinfo *parse(const char *text, size_t len)
{
	struct kd_vmcoreinfo *vi = NULL;
	struct kd_error *err = kd_vmcoreinfo_parse(text, len, &vi);
	assert_null(err);
	return vi;
}

static void test_typed(void **state)
{
	(void)state;
	struct kd_vmcoreinfo *vi = parse(sample, strlen(sample));
	const char *s;
	uint64_t u;
	int64_t n;
	assert_null(kd_vmcoreinfo_string(vi, "OSRELEASE", &s));
	assert_string_equal(s, "6.1.0-56-amd64");
	assert_null(kd_vmcoreinfo_string(vi, "BUILD-ID", &s));
	assert_string_equal(s, "eb4fbcd037e7253717950bf2b93bd5566f47c56f");
	assert_null(kd_vmcoreinfo_symbol(vi, "init_uts_ns", &u));
	assert_int_equal(u, 0xffffffffbbffb000ULL);
	assert_null(kd_vmcoreinfo_offset(vi, "uts_namespace.name", &u));
	assert_int_equal(u, 0);
	assert_null(kd_vmcoreinfo_size(vi, "page", &u));
	assert_int_equal(u, 64);
	assert_null(kd_vmcoreinfo_length(vi, "mem_section", &u));
	assert_int_equal(u, 4096);
	assert_null(kd_vmcoreinfo_number(vi, "PAGE_BUDDY_MAPCOUNT_VALUE", &n));
	assert_int_equal(n, -129);
	assert_null(kd_vmcoreinfo_number(vi, "phys_base", &n));
	assert_int_equal(n, 0x30800000);
	assert_null(kd_vmcoreinfo_kerneloffset(vi, &u));
	assert_int_equal(u, 0x39400000);
	assert_null(kd_vmcoreinfo_u64(vi, "PAGESIZE", 10, &u));
	assert_int_equal(u, 4096);
	assert_null(kd_vmcoreinfo_u64(vi, "CRASHTIME", 10, &u));
	assert_int_equal(u, 1795755448);
	const char *k, *v;
	assert_true(kd_vmcoreinfo_entry(vi, 0, &k, &v));
	assert_string_equal(k, "OSRELEASE");
	assert_true(kd_vmcoreinfo_entry(vi, 10, &k, &v));
	assert_string_equal(k, "CRASHTIME");
	assert_false(kd_vmcoreinfo_entry(vi, 11, &k, &v));
	kd_vmcoreinfo_destroy(vi);
}

static void test_missing(void **state)
{
	(void)state;
	struct kd_vmcoreinfo *vi = parse(sample, strlen(sample));
	uint64_t u = 42;
	struct kd_error *err = kd_vmcoreinfo_symbol(vi, "prb", &u);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_string_equal(kd_error_message(err), "VMCOREINFO has no SYMBOL(prb)");
	assert_int_equal(u, 42); // out-parameter untouched on failure
	kd_error_destroy(err);
	kd_vmcoreinfo_destroy(vi);
}

static void test_bad_values(void **state)
{
	(void)state;
	static const char text[] = "SYMBOL(x)=zzz\nSIZE(y)=-1\nNUMBER(z)=12q\nPAGESIZE=\n";
	struct kd_vmcoreinfo *vi = parse(text, strlen(text));
	uint64_t u;
	int64_t n;
	struct kd_error *err = kd_vmcoreinfo_symbol(vi, "x", &u);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	err = kd_vmcoreinfo_size(vi, "y", &u);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	err = kd_vmcoreinfo_number(vi, "z", &n);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	err = kd_vmcoreinfo_u64(vi, "PAGESIZE", 10, &u);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	kd_vmcoreinfo_destroy(vi);
}

static void test_malformed_line(void **state)
{
	(void)state;
	static const char text[] = "OSRELEASE=6.1\nthis line has no equals sign\n";
	struct kd_vmcoreinfo *vi = NULL;
	struct kd_error *err = kd_vmcoreinfo_parse(text, strlen(text), &vi);
	assert_non_null(err);
	assert_null(vi);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "line 2"));
	kd_error_destroy(err);
}

static void test_nul_padding_and_no_newline(void **state)
{
	(void)state;
	// The note is NUL-padded to 4 bytes; the last line may lack '\n'.
	static const char text[] = "PAGESIZE=4096\nCRASHTIME=5\0\0\0garbage";
	struct kd_vmcoreinfo *vi = parse(text, sizeof(text) - 1);
	uint64_t u;
	assert_null(kd_vmcoreinfo_u64(vi, "CRASHTIME", 10, &u));
	assert_int_equal(u, 5);
	const char *k, *v;
	assert_false(kd_vmcoreinfo_entry(vi, 2, &k, &v));
	kd_vmcoreinfo_destroy(vi);
}

static void test_empty(void **state)
{
	(void)state;
	struct kd_vmcoreinfo *vi = parse("", 0);
	const char *k, *v;
	assert_false(kd_vmcoreinfo_entry(vi, 0, &k, &v));
	kd_vmcoreinfo_destroy(vi);
}

// kd_vmcoreinfo_need(): present entries of every kind, and a missing one
// is NOTFOUND naming the key and what needs it.
static void test_need(void **state)
{
	(void)state;
	struct kd_vmcoreinfo *vi = parse(sample, strlen(sample));
	uint64_t u = 42;
	assert_null(kd_vmcoreinfo_need(vi, KD_VI_SYMBOL, "init_uts_ns", "x", &u));
	assert_int_equal(u, 0xffffffffbbffb000ULL);
	assert_null(kd_vmcoreinfo_need(vi, KD_VI_OFFSET, "uts_namespace.name", "x", &u));
	assert_int_equal(u, 0);
	assert_null(kd_vmcoreinfo_need(vi, KD_VI_SIZE, "page", "x", &u));
	assert_int_equal(u, 64);
	assert_null(kd_vmcoreinfo_need(vi, KD_VI_LENGTH, "mem_section", "x", &u));
	assert_int_equal(u, 4096);
	assert_null(kd_vmcoreinfo_need(vi, KD_VI_KEY, "PAGESIZE", "x", &u));
	assert_int_equal(u, 4096);
	int64_t n = 0;
	assert_null(kd_vmcoreinfo_need_number(vi, "PAGE_BUDDY_MAPCOUNT_VALUE", "x", &n));
	assert_int_equal(n, -129);

	u = 42;
	struct kd_error *err = kd_vmcoreinfo_need(vi, KD_VI_OFFSET, "page.flags",
						  "page filtering", &u);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_string_equal(kd_error_message(err),
		"VMCOREINFO has no OFFSET(page.flags), needed for page filtering");
	assert_int_equal(u, 42);
	kd_error_destroy(err);
	n = 7;
	err = kd_vmcoreinfo_need_number(vi, "PG_lru", "page filtering", &n);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_string_equal(kd_error_message(err),
		"VMCOREINFO has no NUMBER(PG_lru), needed for page filtering");
	assert_int_equal(n, 7);
	kd_error_destroy(err);
	// Without a purpose the message is that of kd_vmcoreinfo_symbol().
	err = kd_vmcoreinfo_need(vi, KD_VI_SYMBOL, "prb", NULL, &u);
	assert_string_equal(kd_error_message(err), "VMCOREINFO has no SYMBOL(prb)");
	kd_error_destroy(err);
	// SIZE(page) is not OFFSET(page): the kind is part of the key.
	err = kd_vmcoreinfo_need(vi, KD_VI_OFFSET, "page", "x", &u);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	// NUMBER() is signed: only the _number() look-ups take it.
	err = kd_vmcoreinfo_need(vi, KD_VI_NUMBER, "phys_base", "x", &u);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	kd_vmcoreinfo_destroy(vi);
}

// kd_vmcoreinfo_opt(): the default and found = false when absent, the value
// and found = true when present, an error (not the default) when malformed.
static void test_opt(void **state)
{
	(void)state;
	static const char text[] =
		"OFFSET(page._mapcount)=48\nNUMBER(PG_slab)=7\n"
		"OFFSET(page.private)=4x\nNUMBER(PG_hugetlb)=--1\n";
	struct kd_vmcoreinfo *vi = parse(text, strlen(text));
	uint64_t u = 0;
	bool found = false;
	assert_null(kd_vmcoreinfo_opt(vi, KD_VI_OFFSET, "page._mapcount", 9, &u, &found));
	assert_true(found);
	assert_int_equal(u, 48);
	assert_null(kd_vmcoreinfo_opt(vi, KD_VI_OFFSET, "page.compound_head", 9, &u, &found));
	assert_false(found);
	assert_int_equal(u, 9);
	// found_ret may be NULL.
	assert_null(kd_vmcoreinfo_opt(vi, KD_VI_KEY, "PAGESIZE", 4096, &u, NULL));
	assert_int_equal(u, 4096);
	int64_t n = 0;
	assert_null(kd_vmcoreinfo_opt_number(vi, "PG_slab", -1, &n, &found));
	assert_true(found);
	assert_int_equal(n, 7);
	assert_null(kd_vmcoreinfo_opt_number(vi, "PG_hwpoison", -1, &n, &found));
	assert_false(found);
	assert_int_equal(n, -1);

	u = 5;
	found = true;
	struct kd_error *err = kd_vmcoreinfo_opt(vi, KD_VI_OFFSET, "page.private",
						 0, &u, &found);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "OFFSET(page.private)"));
	assert_int_equal(u, 5);	// outputs untouched on failure
	assert_true(found);
	kd_error_destroy(err);
	err = kd_vmcoreinfo_opt_number(vi, "PG_hugetlb", 0, &n, &found);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "NUMBER(PG_hugetlb)"));
	kd_error_destroy(err);
	kd_vmcoreinfo_destroy(vi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typed),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_malformed_line),
		cmocka_unit_test(test_nul_padding_and_no_newline),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_need),
		cmocka_unit_test(test_opt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

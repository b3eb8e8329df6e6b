// SPDX-License-Identifier: LGPL-2.1-or-later
// Symbol tables: System.map parsing (the Debian stub, malformed lines,
// /proc/kallsyms lines), look-up by name with repeated names, and
// containing() at its edges (aliases, absolute and per-cpu symbols, the
// last symbol).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kernel/kernel.h"

static struct kd_error *parse(struct kd_symtab *tab, const char *text)
{
	return kd_symtab_parse_system_map(tab, "System.map-test", text, strlen(text));
}

static void assert_sym(const struct kd_symbol *s, uint64_t addr, char type,
		       const char *name)
{
	assert_non_null(s);
	assert_int_equal(s->addr, addr);
	assert_int_equal(s->type, type);
	assert_string_equal(s->name, name);
}

static void assert_error(struct kd_error *err, enum kd_error_code code,
			 const char *substring)
{
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), code);
	if (!strstr(kd_error_message(err), substring))
		fail_msg("\"%s\" not in error \"%s\"", substring, kd_error_message(err));
	kd_error_destroy(err);
}

static const char basic_map[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 T startup_64\n"
	"\n"
	"ffffffff81000000 T _stext\r\n"
	"   \t\n"
	"ffffffff81000100 t secondary_startup_64\n"
	"ffffffff82000000 D linux_banner\n"
	"ffffffff82000040 d prb\n"
	"0000000000000000 D __per_cpu_start\n"
	"000000000001fb80 D current_task\n"
	"0000000000031c40 D runqueues\n"
	"0000000000032000 D __per_cpu_end\n"
	"ffffffff83000000 B _end";	/* no final newline */

static void test_parse_basic(void **state)
{
	(void)state;
	struct kd_symtab tab = {0};
	assert_null(parse(&tab, basic_map));
	assert_int_equal(tab.nsyms, 11);
	// Address order, aliases as the kernel orders them: fewer leading
	// underscores first.
	assert_sym(&tab.syms[0], 0, 'D', "__per_cpu_start");
	assert_sym(&tab.syms[3], 0x32000, 'D', "__per_cpu_end");
	assert_sym(&tab.syms[4], 0xffffffff81000000, 'T', "startup_64");
	assert_sym(&tab.syms[5], 0xffffffff81000000, 'T', "_stext");
	assert_sym(&tab.syms[6], 0xffffffff81000000, 'T', "_text");
	assert_sym(&tab.syms[10], 0xffffffff83000000, 'B', "_end");
	for (size_t i = 1; i < tab.nsyms; i++)
		assert_true(tab.syms[i - 1].addr <= tab.syms[i].addr);
	assert_sym(kd_symtab_find(&tab, "_stext"), 0xffffffff81000000, 'T', "_stext");
	assert_sym(kd_symtab_find(&tab, "prb"), 0xffffffff82000040, 'd', "prb");
	assert_sym(kd_symtab_find(&tab, "current_task"), 0x1fb80, 'D', "current_task");
	assert_sym(kd_symtab_find(&tab, "_end"), 0xffffffff83000000, 'B', "_end");
	assert_null(kd_symtab_find(&tab, "_en"));
	assert_null(kd_symtab_find(&tab, "_endx"));
	assert_null(kd_symtab_find(&tab, ""));
	assert_null(kd_symtab_find(&tab, "zzz"));
	// by_name is a permutation sorted by name.
	for (size_t i = 1; i < tab.nsyms; i++)
		assert_true(strcmp(tab.syms[tab.by_name[i - 1]].name,
				   tab.syms[tab.by_name[i]].name) <= 0);
	kd_symtab_deinit(&tab);
	assert_null(tab.syms);
	assert_null(tab.by_name);
	assert_int_equal(tab.nsyms, 0);
	kd_symtab_deinit(&tab);	// twice is harmless
}

static void test_parse_proc_kallsyms(void **state)
{
	(void)state;
	// A saved /proc/kallsyms: tabs and "[module]" fields.
	struct kd_symtab tab = {0};
	assert_null(parse(&tab,
		"ffffffff81000000 T _stext\n"
		"ffffffffc0001000 t e1000_probe\t[e1000]\n"
		"ffffffffc0002000 d e1000_driver\t[e1000]\n"));
	assert_int_equal(tab.nsyms, 3);
	assert_sym(kd_symtab_find(&tab, "e1000_probe"), 0xffffffffc0001000, 't', "e1000_probe");
	kd_symtab_deinit(&tab);
}

static void test_parse_debian_stub(void **state)
{
	(void)state;
	struct kd_symtab tab = {0};
	struct kd_error *err = parse(&tab,
		"ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n");
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	const char *msg = kd_error_message(err);
	assert_non_null(strstr(msg, "System.map-test:1:"));
	assert_non_null(strstr(msg, "placeholder"));
	assert_non_null(strstr(msg, "linux-image-<version>-dbg package"));
	kd_error_destroy(err);
	assert_int_equal(tab.nsyms, 0);
	assert_null(tab.syms);
}

static void test_parse_empty(void **state)
{
	(void)state;
	struct kd_symtab tab = {0};
	assert_error(parse(&tab, ""), KD_ERROR_FORMAT, "no symbols");
	assert_error(parse(&tab, "\n\n  \n"), KD_ERROR_FORMAT, "no symbols");
	assert_int_equal(tab.nsyms, 0);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"ffffffff81000000 T",			// no name
		"ffffffff81000000",			// no type
		"ffffffff8100000g T foo",		// not hex
		"1ffffffff81000000 T foo",		// 17 digits
		"ffffffff81000000 TT foo",		// two-letter type
		"ffffffff81000000 1 foo",		// type not a letter
		"ffffffff81000000 T foo bar",		// extra field
		"ffffffff81000000 T foo [mod",		// broken module field
		"T ffffffff81000000 foo",		// fields swapped
		" ffffffff81000000T foo",		// no blank after address
		"ffffffff81000000 T fo\x01o",		// control character
		"\x7f\x45LF",				// a binary file
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(bad); i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "ffffffff81000000 T _stext\n\nffffffff81000010 T ok\n%s\nffffffff81000020 T after\n",
			 bad[i]);
		struct kd_symtab tab = {0};
		struct kd_error *err = parse(&tab, text);
		if (!err)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
		// The path and the line number (4: the blank line counts).
		assert_non_null(strstr(kd_error_message(err), "System.map-test:4:"));
		kd_error_destroy(err);
		assert_int_equal(tab.nsyms, 0);
	}
	// A very long line is quoted only in part.
	char long_line[600];
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	struct kd_symtab tab = {0};
	struct kd_error *err = parse(&tab, long_line);
	assert_non_null(err);
	assert_true(strlen(kd_error_message(err)) < 200);
	assert_non_null(strstr(kd_error_message(err), "System.map-test:1:"));
	kd_error_destroy(err);
}

static void test_duplicate_names(void **state)
{
	(void)state;
	struct kd_symtab tab = {0};
	assert_null(parse(&tab,
		"ffffffff81000050 t helper\n"
		"ffffffff81000100 t helper\n"
		"ffffffff81000300 T helper\n"
		"ffffffff81000400 T helper\n"
		"ffffffff81000010 t only_local\n"
		"ffffffff81000005 t only_local\n"
		"ffffffff81000020 d only_local\n"
		"ffffffff81000500 T zz_last\n"
		"ffffffff81000000 T aa_first\n"));
	assert_int_equal(tab.nsyms, 9);
	// A global beats locals even at a higher address; among globals the
	// lowest address wins.
	assert_sym(kd_symtab_find(&tab, "helper"), 0xffffffff81000300, 'T', "helper");
	// Only locals: the lowest address, whatever its type.
	assert_sym(kd_symtab_find(&tab, "only_local"), 0xffffffff81000005, 't', "only_local");
	assert_sym(kd_symtab_find(&tab, "aa_first"), 0xffffffff81000000, 'T', "aa_first");
	assert_sym(kd_symtab_find(&tab, "zz_last"), 0xffffffff81000500, 'T', "zz_last");
	// Every copy is still in the table and symbolizes.
	assert_sym(kd_symtab_containing(&tab, 0xffffffff81000101), 0xffffffff81000100, 't', "helper");
	kd_symtab_deinit(&tab);
}

static void add(struct kd_symtab *tab, uint64_t addr, char type, const char *name)
{
	assert_null(kd_symtab_add(tab, addr, type, name, strlen(name)));
}

static void test_containing(void **state)
{
	(void)state;
	struct kd_symtab tab = {0};
	assert_null(kd_symtab_containing(&tab, 0x1000));	// empty
	// Per-cpu symbols as kallsyms gives them on x86_64 SMP ('A').
	add(&tab, 0x0, 'A', "fixed_percpu_data");
	add(&tab, 0x1fb80, 'A', "current_task");
	add(&tab, 0x31c40, 'A', "runqueues");
	add(&tab, 0xffffffff81000000, 'T', "_text");
	add(&tab, 0xffffffff81000000, 'W', "a_weak_alias");
	add(&tab, 0xffffffff81000000, 'A', "an_absolute");
	add(&tab, 0xffffffff81000000, 'T', "startup_64");
	add(&tab, 0xffffffff81000000, 'T', "_stext");
	add(&tab, 0xffffffff81000200, 't', "next_fn");
	add(&tab, 0xffffffff81000300, 'A', "abs_in_text");
	add(&tab, 0xffffffff83000000, 'B', "_end");
	assert_null(kd_symtab_finish(&tab));
	assert_null(kd_symtab_containing(&tab, 0));
	assert_null(kd_symtab_containing(&tab, 0x1fb80));
	assert_null(kd_symtab_containing(&tab, 0x40000));
	assert_null(kd_symtab_containing(&tab, 0xffffffff80ffffff));
	// Aliases: strong, no underscore first; the weak and absolute ones never.
	assert_sym(kd_symtab_containing(&tab, 0xffffffff81000000), 0xffffffff81000000, 'T', "startup_64");
	assert_sym(kd_symtab_containing(&tab, 0xffffffff810001ff), 0xffffffff81000000, 'T', "startup_64");
	assert_sym(kd_symtab_containing(&tab, 0xffffffff81000200), 0xffffffff81000200, 't', "next_fn");
	// An absolute symbol inside the text does not cut next_fn short.
	assert_sym(kd_symtab_containing(&tab, 0xffffffff81000300), 0xffffffff81000200, 't', "next_fn");
	assert_sym(kd_symtab_containing(&tab, 0xffffffff82ffffff), 0xffffffff81000200, 't', "next_fn");
	// The last symbol: only its own address (modules lie above _end).
	assert_sym(kd_symtab_containing(&tab, 0xffffffff83000000), 0xffffffff83000000, 'B', "_end");
	assert_null(kd_symtab_containing(&tab, 0xffffffff83000001));
	assert_null(kd_symtab_containing(&tab, 0xffffffffc0001000));
	assert_null(kd_symtab_containing(&tab, UINT64_MAX));
	// Absolute symbols are still found by name.
	assert_sym(kd_symtab_find(&tab, "runqueues"), 0x31c40, 'A', "runqueues");
	assert_sym(kd_symtab_find(&tab, "a_weak_alias"), 0xffffffff81000000, 'W', "a_weak_alias");
	// Adding after finish is refused, the table is unchanged.
	struct kd_error *err = kd_symtab_add(&tab, 1, 'T', "late", 4);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	assert_int_equal(tab.nsyms, 11);
	kd_symtab_deinit(&tab);
}

static void test_containing_system_map_percpu(void **state)
{
	(void)state;
	// In a System.map the x86_64 per-cpu symbols are 'D' at small
	// offsets: __per_cpu_end must not contain direct-map or vmalloc
	// addresses, which lie between it and the kernel text.
	struct kd_symtab tab = {0};
	assert_null(parse(&tab, basic_map));
	assert_sym(kd_symtab_containing(&tab, 0x1fb88), 0x1fb80, 'D', "current_task");
	assert_null(kd_symtab_containing(&tab, 0xffff888000001000));
	assert_null(kd_symtab_containing(&tab, 0xffffc90000000000));
	assert_sym(kd_symtab_containing(&tab, 0xffffffff81000123), 0xffffffff81000100, 't', "secondary_startup_64");
	assert_sym(kd_symtab_containing(&tab, 0xffffffff82000041), 0xffffffff82000040, 'd', "prb");
	kd_symtab_deinit(&tab);
}

static void test_bad_add(void **state)
{
	(void)state;
	struct kd_symtab tab = {0};
	struct kd_error *err = kd_symtab_add(&tab, 0, 'T', "", 0);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	err = kd_symtab_add(&tab, 0, 'T', "a\0b", 3);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	assert_int_equal(tab.nsyms, 0);
	// A finished empty table answers nothing.
	assert_null(kd_symtab_finish(&tab));
	assert_null(kd_symtab_find(&tab, "x"));
	assert_null(kd_symtab_containing(&tab, 0));
	kd_symtab_deinit(&tab);
}

// Many symbols, inserted out of order, with names longer than a pool block
// would hold in one piece: every one is found by name and by address.
static void test_many(void **state)
{
	(void)state;
	enum { N = 50000 };
	struct kd_symtab tab = {0};
	char name[64];
	for (unsigned i = 0; i < N; i++) {
		unsigned j = (i * 7919u) % N;	// a permutation
		snprintf(name, sizeof(name), "sym_%u_%s", j, j % 3 ? "fn" : "var");
		add(&tab, 0xffffffff81000000 + 16ull * j, j % 2 ? 't' : 'T', name);
	}
	char *huge = malloc(300 * 1024);
	assert_non_null(huge);
	memset(huge, 'h', 300 * 1024 - 1);
	huge[300 * 1024 - 1] = '\0';
	// Names up to 4096 bytes are accepted, longer ones are refused.
	struct kd_error *err = kd_symtab_add(&tab, 0xffffffff90000000, 'T', huge, 300 * 1024 - 1);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	huge[4096] = '\0';
	add(&tab, 0xffffffff90000000, 'T', huge);
	assert_null(kd_symtab_finish(&tab));
	assert_int_equal(tab.nsyms, N + 1);
	for (unsigned j = 0; j < N; j++) {
		snprintf(name, sizeof(name), "sym_%u_%s", j, j % 3 ? "fn" : "var");
		const struct kd_symbol *s = kd_symtab_find(&tab, name);
		assert_sym(s, 0xffffffff81000000 + 16ull * j, j % 2 ? 't' : 'T', name);
		assert_ptr_equal(kd_symtab_containing(&tab, s->addr + 15), s);
		assert_ptr_equal(&tab.syms[j], s);
	}
	assert_sym(kd_symtab_find(&tab, huge), 0xffffffff90000000, 'T', huge);
	free(huge);
	kd_symtab_deinit(&tab);
}

// KASLR: a System.map's image symbols move by KERNELOFFSET, the per-cpu
// offsets below the image do not; look-ups follow; a wrap is refused.
static void test_relocate(void **state)
{
	(void)state;
	struct kd_symtab tab = {0};
	assert_null(parse(&tab,
		"0000000000000000 D fixed_percpu_data\n"
		"000000000001fb80 D current_task\n"
		"ffffffff81000000 T _stext\n"
		"ffffffff82c16000 A init_per_cpu__fixed_percpu_data\n"
		"ffffffff83000000 B _end\n"));
	assert_null(kd_symtab_relocate(&tab, 0xffffffff80000000, 0x32800000));
	assert_sym(kd_symtab_find(&tab, "current_task"), 0x1fb80, 'D', "current_task");
	assert_sym(kd_symtab_find(&tab, "_stext"), 0xffffffffb3800000, 'T', "_stext");
	assert_sym(kd_symtab_find(&tab, "init_per_cpu__fixed_percpu_data"), 0xffffffffb5416000, 'A',
		   "init_per_cpu__fixed_percpu_data");
	assert_sym(kd_symtab_containing(&tab, 0xffffffffb3800010), 0xffffffffb3800000, 'T', "_stext");
	assert_null(kd_symtab_containing(&tab, 0xffffffff81000010));
	assert_error(kd_symtab_relocate(&tab, 0xffffffff80000000, 0x100000000), KD_ERROR_CORRUPT,
		     "wraps _end");
	assert_sym(kd_symtab_find(&tab, "_end"), 0xffffffffb5800000, 'B', "_end");
	kd_symtab_deinit(&tab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_proc_kallsyms),
		cmocka_unit_test(test_parse_debian_stub),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_containing),
		cmocka_unit_test(test_containing_system_map_percpu),
		cmocka_unit_test(test_relocate),
		cmocka_unit_test(test_bad_add),
		cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// x86_64 address translation on synthetic page tables: text mapping,
// direct map, 4- and 5-level walks, 1 GiB / 2 MiB / 4 KiB pages, the SME
// bit, unmapped addresses and page tables missing from the dump.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "synth.h"

#define MEM_SIZE 0x400000u	/* 4 MiB of physical memory at 0 */
#define PRESENT 0x1ULL
#define RW 0x2ULL
#define PSE 0x80ULL
#define NX (1ULL << 63)

static uint8_t *mem;

static unsigned idx(uint64_t va, unsigned level)
{
	return (unsigned)((va >> (12 + 9 * (level - 1))) & 0x1ff);
}

static void set_entry(uint64_t table, unsigned i, uint64_t val)
{
	synth_put64(mem + table + 8 * i, val);
}

static struct synth_fixture open_fixture(unsigned levels, uint64_t sme)
{
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	synth_vmcoreinfo(s,
		"OSRELEASE=test\nPAGESIZE=4096\n"
		"SYMBOL(init_top_pgt)=%llx\n"
		"NUMBER(phys_base)=0\n"
		"NUMBER(pgtable_l5_enabled)=%d\n"
		"NUMBER(sme_mask)=%llu\n",
		(unsigned long long)SYNTH_KVA(0), levels == 5,
		(unsigned long long)sme);
	uint64_t direct = levels == 5 ? 0xff11000000000000ULL : 0xffff888000000000ULL;
	synth_load(s, 0, direct, mem, MEM_SIZE);
	struct synth_fixture f = synth_open(s);
	synth_free(s);
	return f;
}

// Tables: top at 0x0, then one page each for the lower levels.
static void build_tables(unsigned levels, uint64_t sme)
{
	memset(mem, 0, MEM_SIZE);
	const uint64_t va4k = 0xffffc90000001000ULL;	/* 4 KiB page -> 0x5000 */
	const uint64_t va2m = 0xffffc90000200000ULL;	/* 2 MiB page -> 0x200000 */
	const uint64_t va1g = 0xffffc90080000000ULL;	/* 1 GiB page -> 0x40000000 */
	uint64_t top = 0x0, next = 0x1000;
	if (levels == 5) {
		// LA57: the top table indexes bits 48..56 and points at a P4D.
		set_entry(top, idx(va4k, 5), (next | PRESENT | RW | sme));
		top = next;
		next += 0x1000;
	}
	uint64_t pud = next, pmd = next + 0x1000, pte = next + 0x2000;
	set_entry(top, idx(va4k, 4), pud | PRESENT | RW | sme);
	set_entry(pud, idx(va4k, 3), pmd | PRESENT | RW | sme);
	set_entry(pmd, idx(va4k, 2), pte | PRESENT | RW | sme);
	set_entry(pte, idx(va4k, 1), 0x5000 | PRESENT | RW | NX | sme);
	set_entry(pmd, idx(va2m, 2), 0x200000 | PRESENT | PSE | sme);
	set_entry(pud, idx(va1g, 3), 0x40000000 | PRESENT | PSE | sme);
	// A PMD entry pointing at a page table outside the dump.
	set_entry(pmd, idx(va2m, 2) + 1, 0x90000000 | PRESENT | sme);
	memcpy(mem + 0x5000, "hello-4k", 9);
	memcpy(mem + 0x201234, "hello-2m", 9);
}

static void check_walks(unsigned levels, uint64_t sme)
{
	build_tables(levels, sme);
	struct synth_fixture f = open_fixture(levels, sme);
	assert_int_equal(kd_kernel_paging_levels(f.kernel), levels);
	uint64_t pa;
	char buf[16];

	assert_null(kd_kernel_vtop(f.kernel, 0xffffc90000001abcULL, &pa));
	assert_int_equal(pa, 0x5abc);
	assert_null(kd_kernel_read_virt(f.kernel, 0xffffc90000001000ULL, buf, 9));
	assert_string_equal(buf, "hello-4k");

	assert_null(kd_kernel_vtop(f.kernel, 0xffffc90000201234ULL, &pa));
	assert_int_equal(pa, 0x201234);
	assert_null(kd_kernel_read_virt(f.kernel, 0xffffc90000201234ULL, buf, 9));
	assert_string_equal(buf, "hello-2m");

	assert_null(kd_kernel_vtop(f.kernel, 0xffffc90092345678ULL, &pa));
	assert_int_equal(pa, 0x52345678);
	// Mapped, but the 1 GiB page's memory is not in the dump.
	struct kd_error *err = kd_kernel_read_virt(f.kernel, 0xffffc90092345678ULL, buf, 8);
	assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
	kd_error_destroy(err);

	// Not present at the PTE level.
	err = kd_kernel_vtop(f.kernel, 0xffffc90000002000ULL, &pa);
	assert_int_equal(kd_error_code(err), KD_ERROR_FAULT);
	kd_error_destroy(err);
	// Not present at the top level.
	err = kd_kernel_vtop(f.kernel, 0xffffe00000000000ULL, &pa);
	assert_int_equal(kd_error_code(err), KD_ERROR_FAULT);
	kd_error_destroy(err);
	// Page table itself not in the dump.
	err = kd_kernel_vtop(f.kernel, 0xffffc90000400000ULL, &pa);
	assert_int_equal(kd_error_code(err), KD_ERROR_FAULT);
	assert_non_null(strstr(kd_error_message(err), "not in the dump"));
	kd_error_destroy(err);

	// The kernel text mapping needs no tables.
	assert_null(kd_kernel_vtop(f.kernel, SYNTH_KVA(0x5000), &pa));
	assert_int_equal(pa, 0x5000);
	// The direct map base comes from the ELF headers' p_vaddr.
	uint64_t base = kd_kernel_direct_map_base(f.kernel);
	assert_int_equal(base, levels == 5 ? 0xff11000000000000ULL : 0xffff888000000000ULL);
	assert_null(kd_kernel_read_virt(f.kernel, base + 0x201234, buf, 9));
	assert_string_equal(buf, "hello-2m");
	synth_fixture_close(&f);
}

static void test_4level(void **state)
{
	(void)state;
	check_walks(4, 0);
}

static void test_5level(void **state)
{
	(void)state;
	check_walks(5, 0);
}

static void test_sme_bit(void **state)
{
	(void)state;
	// AMD SME puts the encryption bit (here 47) in every entry; VMCOREINFO
	// NUMBER(sme_mask) says which one to strip.
	check_walks(4, 1ULL << 47);
}

static void test_read_across_pages(void **state)
{
	(void)state;
	// Two virtually adjacent pages that are physically apart.
	build_tables(4, 0);
	uint64_t pte = 0x3000;
	set_entry(pte, 2, 0x7000 | PRESENT);
	set_entry(pte, 3, 0x6000 | PRESENT);
	memcpy(mem + 0x7ffc, "abcd", 4);
	memcpy(mem + 0x6000, "efgh", 4);
	struct synth_fixture f = open_fixture(4, 0);
	char buf[9] = {0};
	assert_null(kd_kernel_read_virt(f.kernel, 0xffffc90000002ffcULL, buf, 8));
	assert_string_equal(buf, "abcdefgh");
	uint64_t v;
	assert_null(kd_kernel_read_u64(f.kernel, 0xffffc90000002ffcULL, &v));
	assert_int_equal(v, 0x6867666564636261ULL);
	synth_fixture_close(&f);
}

static void test_no_phys_base(void **state)
{
	(void)state;
	// Before Linux 4.10 VMCOREINFO lacks NUMBER(phys_base): it is derived
	// from the PT_LOAD that maps the kernel text.
	memset(mem, 0, MEM_SIZE);
	memcpy(mem + 0x1000, "text", 5);
	struct synth *s = synth_new();
	synth_vmcoreinfo(s, "OSRELEASE=4.9\n");
	// Kernel loaded at physical 0x1000000 with text at 0xffffffff81000000.
	synth_load(s, 0x1000000, 0xffffffff81000000ULL, mem, 0x2000);
	char *path = synth_write(s);
	synth_free(s);
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	assert_null(kd_dump_open(path, &dump));
	assert_null(kd_kernel_open(dump, NULL, &kernel));
	uint64_t pa;
	assert_null(kd_kernel_vtop(kernel, 0xffffffff81001000ULL, &pa));
	assert_int_equal(pa, 0x1001000);
	char buf[5];
	assert_null(kd_kernel_read_virt(kernel, 0xffffffff81001000ULL, buf, 5));
	assert_string_equal(buf, "text");
	// No init_top_pgt: other addresses cannot be translated.
	struct kd_error *err = kd_kernel_vtop(kernel, 0xffffc90000000000ULL, &pa);
	assert_int_equal(kd_error_code(err), KD_ERROR_FAULT);
	kd_error_destroy(err);
	kd_kernel_close(kernel);
	kd_dump_close(dump);
	unlink(path);
	free(path);
}

static void test_bad_pgd(void **state)
{
	(void)state;
	struct synth *s = synth_new();
	synth_vmcoreinfo(s, "NUMBER(phys_base)=0\nSYMBOL(init_top_pgt)=1000\n");
	synth_load(s, 0, 0, mem, 0x1000);
	char *path = synth_write(s);
	synth_free(s);
	struct kd_dump *dump;
	struct kd_kernel *kernel = NULL;
	assert_null(kd_dump_open(path, &dump));
	struct kd_error *err = kd_kernel_open(dump, NULL, &kernel);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "init_top_pgt"));
	assert_null(kernel);
	kd_error_destroy(err);
	kd_dump_close(dump);
	unlink(path);
	free(path);
}

static int setup(void **state)
{
	(void)state;
	mem = calloc(1, MEM_SIZE);
	return mem ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_4level),
		cmocka_unit_test(test_5level),
		cmocka_unit_test(test_sme_bit),
		cmocka_unit_test(test_read_across_pages),
		cmocka_unit_test(test_no_phys_base),
		cmocka_unit_test(test_bad_pgd),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

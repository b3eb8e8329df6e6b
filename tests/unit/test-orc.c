// SPDX-License-Identifier: LGPL-2.1-or-later
// ORC tables (lib/kernel/orc.c): decoding the three layouts of the entry's
// bit fields, the kernel's look-up (rightmost entry at or below the ip, a
// real entry over a section terminator at the same ip, the orc_lookup[]
// fast path agreeing with the whole-table search), and reading the tables
// of a synthetic kernel, damaged ones included.
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

static void raw_entry(uint8_t *p, int16_t sp, int16_t bp, uint16_t flags)
{
	synth_put16(p, (uint16_t)sp);
	synth_put16(p + 2, (uint16_t)bp);
	synth_put16(p + 4, flags);
}

static void test_decode_versions(void **state)
{
	(void)state;
	uint8_t r[6];
	struct kd_orc_entry e;
	// v3 (6.4+): sp_reg 5 (SP), bp_reg 1 (PREV_SP), type 3 (REGS), signal.
	raw_entry(r, -8, 16, 5 | 1 << 4 | 3 << 8 | 1 << 11);
	kd_orc_decode(r, KD_ORC_V3, &e);
	assert_int_equal(e.sp_offset, -8);
	assert_int_equal(e.bp_offset, 16);
	assert_int_equal(e.sp_reg, KD_ORC_REG_SP);
	assert_int_equal(e.bp_reg, KD_ORC_REG_PREV_SP);
	assert_int_equal(e.type, KD_ORC_TYPE_REGS);
	assert_true(e.signal);
	raw_entry(r, 0, 0, 1 << 8);
	kd_orc_decode(r, KD_ORC_V3, &e);
	assert_int_equal(e.type, KD_ORC_TYPE_END_OF_STACK);
	assert_false(e.signal);

	// v1 (before 6.3): type 2 bits (CALL 0, REGS 1, REGS_PARTIAL 2), end
	// at bit 10; REGS types imply signal.
	raw_entry(r, 8, 0, 5);
	kd_orc_decode(r, KD_ORC_V1, &e);
	assert_int_equal(e.type, KD_ORC_TYPE_CALL);
	assert_false(e.signal);
	raw_entry(r, 0, 0, 5 | 1 << 8);
	kd_orc_decode(r, KD_ORC_V1, &e);
	assert_int_equal(e.type, KD_ORC_TYPE_REGS);
	assert_true(e.signal);
	raw_entry(r, 0, 0, 9 | 2 << 8);
	kd_orc_decode(r, KD_ORC_V1, &e);
	assert_int_equal(e.sp_reg, KD_ORC_REG_SP_INDIRECT);
	assert_int_equal(e.type, KD_ORC_TYPE_REGS_PARTIAL);
	raw_entry(r, 0, 0, 1 << 10);		/* sp_reg UNDEFINED + end */
	kd_orc_decode(r, KD_ORC_V1, &e);
	assert_int_equal(e.type, KD_ORC_TYPE_END_OF_STACK);
	raw_entry(r, 0, 0, 0);			/* a terminator */
	kd_orc_decode(r, KD_ORC_V1, &e);
	assert_int_equal(e.type, KD_ORC_TYPE_UNDEFINED);

	// v2 (6.3): signal at bit 10, end at bit 11.
	raw_entry(r, 0, 0, 1 << 11);
	kd_orc_decode(r, KD_ORC_V2, &e);
	assert_int_equal(e.type, KD_ORC_TYPE_END_OF_STACK);
	raw_entry(r, 16, 0, 5 | 1 << 10);
	kd_orc_decode(r, KD_ORC_V2, &e);
	assert_int_equal(e.type, KD_ORC_TYPE_CALL);
	assert_true(e.signal);
	raw_entry(r, 16, 0, 5 | 1 << 11);	/* end alone is not signal */
	kd_orc_decode(r, KD_ORC_V2, &e);
	assert_false(e.signal);
}

static void test_version_for_release(void **state)
{
	(void)state;
	assert_int_equal(kd_orc_version_for_release("5.10.0-30-amd64"), KD_ORC_V1);
	assert_int_equal(kd_orc_version_for_release("6.1.0-57-amd64"), KD_ORC_V1);
	assert_int_equal(kd_orc_version_for_release("6.2.16"), KD_ORC_V1);
	assert_int_equal(kd_orc_version_for_release("6.3.1"), KD_ORC_V2);
	assert_int_equal(kd_orc_version_for_release("6.4.0"), KD_ORC_V3);
	assert_int_equal(kd_orc_version_for_release("6.12.117+deb13-amd64"), KD_ORC_V3);
	assert_int_equal(kd_orc_version_for_release("7.0"), KD_ORC_V3);
	assert_int_equal(kd_orc_version_for_release(NULL), KD_ORC_V3);
	assert_int_equal(kd_orc_version_for_release("garbage"), KD_ORC_V3);
}

// A table in memory: entry i at ips[i] (absolute), sp_offset i so that
// the look-up result is recognisable.
static void table_init(struct kd_orc_table *t, uint64_t base, const uint64_t *ips,
		       const uint16_t *flags, size_t n)
{
	*t = (struct kd_orc_table){ .ip_addr = base, .num = (uint32_t)n,
				    .version = KD_ORC_V3 };
	t->ips = malloc(4 * n);
	t->entries = malloc(6 * n);
	assert_non_null(t->ips);
	assert_non_null(t->entries);
	for (size_t i = 0; i < n; i++) {
		synth_put32(t->ips + 4 * i, (uint32_t)(int32_t)(int64_t)(ips[i] - (base + 4 * i)));
		raw_entry(t->entries + 6 * i, (int16_t)i, 0, flags ? flags[i] : 5 | 2 << 8);
	}
}

static void test_find(void **state)
{
	(void)state;
	const uint64_t base = 0xffffffff82000000ULL, text = 0xffffffff81000000ULL;
	// A terminator (flags 0) and a real entry share text + 0x40; the
	// terminator sorts first, the real entry must win.
	const uint64_t ips[] = { text, text + 0x10, text + 0x40, text + 0x40,
				 text + 0x100, text + 0x1000 };
	const uint16_t flags[] = { 5 | 2 << 8, 5 | 2 << 8, 0, 5 | 2 << 8,
				   5 | 2 << 8, 0 };
	struct kd_orc_table t;
	table_init(&t, base, ips, flags, 6);
	struct kd_orc_entry e;
	assert_false(kd_orc_find(&t, text - 1, &e));
	assert_true(kd_orc_find(&t, text, &e));
	assert_int_equal(e.sp_offset, 0);
	assert_true(kd_orc_find(&t, text + 0xf, &e));
	assert_int_equal(e.sp_offset, 0);
	assert_true(kd_orc_find(&t, text + 0x10, &e));
	assert_int_equal(e.sp_offset, 1);
	assert_true(kd_orc_find(&t, text + 0x40, &e));
	assert_int_equal(e.sp_offset, 3);
	assert_int_equal(e.type, KD_ORC_TYPE_CALL);
	assert_true(kd_orc_find(&t, text + 0xfff, &e));
	assert_int_equal(e.sp_offset, 4);
	assert_true(kd_orc_find(&t, text + 0x5000, &e));
	assert_int_equal(e.sp_offset, 5);
	assert_int_equal(e.type, KD_ORC_TYPE_UNDEFINED);
	assert_false(kd_orc_find(NULL, text, &e));
	kd_orc_table_deinit(&t);
	kd_orc_table_deinit(NULL);
}

// The fast path (orc_lookup[] blocks of 256 bytes) gives what the whole
// table gives, for every ip of 64 KiB of text, and a damaged look-up table
// falls back to the whole table.
static void test_lookup_agrees(void **state)
{
	(void)state;
	const uint64_t base = 0xffffffff82000000ULL, text = 0xffffffff81000000ULL;
	enum { N = 3000, TEXT = 0x10000 };
	uint64_t *ips = malloc(N * sizeof(*ips));
	assert_non_null(ips);
	uint64_t ip = text;
	unsigned seed = 1;
	for (size_t i = 0; i < N; i++) {
		ips[i] = ip;
		seed = seed * 1103515245u + 12345u;
		ip += (seed >> 16) % 40;	/* gaps of 0..39, duplicates too */
	}
	assert_true(ip - text < TEXT);
	struct kd_orc_table full, fast;
	table_init(&full, base, ips, NULL, N);
	table_init(&fast, base, ips, NULL, N);
	uint32_t nblocks = TEXT / 256 + 1;
	fast.lookup = malloc(4 * nblocks);
	assert_non_null(fast.lookup);
	for (uint32_t b = 0; b < nblocks; b++) {
		uint32_t idx = 0;
		for (uint32_t i = 0; i < N; i++)
			if (ips[i] <= text + 256ull * b)
				idx = i;
		fast.lookup[b] = idx;
	}
	fast.nblocks = nblocks;
	fast.lookup_start = text;
	fast.lookup_stop = text + TEXT;
	for (uint64_t a = text; a < text + TEXT; a++) {
		struct kd_orc_entry e1, e2;
		bool f1 = kd_orc_find(&full, a, &e1), f2 = kd_orc_find(&fast, a, &e2);
		assert_true(f1 && f2);
		assert_int_equal(e1.sp_offset, e2.sp_offset);
	}
	// Garbage indices: the whole table answers.
	for (uint32_t b = 0; b < nblocks; b++)
		fast.lookup[b] = b % 2 ? 0xffffffffu : N - 1;
	for (uint64_t a = text; a < text + TEXT; a += 7) {
		struct kd_orc_entry e1, e2;
		assert_true(kd_orc_find(&full, a, &e1));
		assert_true(kd_orc_find(&fast, a, &e2));
		assert_int_equal(e1.sp_offset, e2.sp_offset);
	}
	kd_orc_table_deinit(&full);
	kd_orc_table_deinit(&fast);
	free(ips);
}

// The vmlinux tables of a synthetic kernel, read through the symbols of a
// System.map: layout from the release or from the .orc_header hash; a
// missing table is KD_ERROR_NOTFOUND and stays so; absurd sizes are
// errors, not allocations.
#define KVA(off) SYNTH_KVA(off)
static struct synth_fixture open_kernel(const char *release, const char *map_text,
					const uint8_t *mem, size_t len, char **map_ret)
{
	*map_ret = synth_write_bytes(map_text, strlen(map_text));
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	synth_vmcoreinfo(s, "OSRELEASE=%s\nPAGESIZE=4096\nNUMBER(phys_base)=0\n", release);
	synth_load(s, 0, 0, mem, len);
	struct synth_fixture f = { .path = synth_write(s) };
	synth_free(s);
	assert_null(kd_dump_open(f.path, &f.dump));
	struct kd_kernel_options o = { .system_map = *map_ret };
	assert_null(kd_kernel_open(f.dump, &o, &f.kernel));
	return f;
}

static void close_kernel(struct synth_fixture *f, char *map)
{
	synth_fixture_close(f);
	unlink(map);
	free(map);
}

static const uint8_t hash_v3[20] = {
	0xfe, 0x5d, 0x32, 0xbf, 0x58, 0x1b, 0xd6, 0x3b, 0x2c, 0xa9,
	0xa5, 0xc6, 0x5b, 0xa5, 0xa6, 0x25, 0xea, 0xb3, 0xfe, 0x24,
};

static void test_vmlinux_tables(void **state)
{
	(void)state;
	enum { MEM = 0x10000 };
	uint8_t *mem = calloc(1, MEM);
	assert_non_null(mem);
	// Two entries at 0x2000/0x2010 (ips at 0x4000, entries at 0x5000),
	// an .orc_header saying v3 at 0x6000.
	synth_put32(mem + 0x4000, 0x2000 - 0x4000);
	synth_put32(mem + 0x4004, 0x2010 - 0x4004);
	raw_entry(mem + 0x5000, 8, 0, 5 | 2 << 8);		/* v3 CALL */
	raw_entry(mem + 0x5006, 0, 0, 1 << 8);			/* v3 END_OF_STACK */
	memcpy(mem + 0x6000, hash_v3, 20);
	char map[1024];
	snprintf(map, sizeof(map),
		 "%llx T _stext\n%llx T _etext\n%llx R __start_orc_unwind_ip\n"
		 "%llx R __stop_orc_unwind_ip\n%llx R __start_orc_unwind\n"
		 "%llx R __stop_orc_unwind\n%llx R __start_orc_header\n",
		 (unsigned long long)KVA(0x2000), (unsigned long long)KVA(0x3000),
		 (unsigned long long)KVA(0x4000), (unsigned long long)KVA(0x4008),
		 (unsigned long long)KVA(0x5000), (unsigned long long)KVA(0x500c),
		 (unsigned long long)KVA(0x6000));
	char *mapf;
	// "6.1" would say v1; the hash says v3 and wins.
	struct synth_fixture f = open_kernel("6.1.0-test", map, mem, MEM, &mapf);
	const struct kd_orc_table *t;
	assert_null(kd_orc_vmlinux(f.kernel, &t));
	assert_int_equal(t->num, 2);
	assert_int_equal(t->version, KD_ORC_V3);
	assert_null(t->lookup);
	struct kd_orc_entry e;
	assert_true(kd_orc_find(t, KVA(0x2008), &e));
	assert_int_equal(e.type, KD_ORC_TYPE_CALL);
	assert_true(kd_orc_find(t, KVA(0x2010), &e));
	assert_int_equal(e.type, KD_ORC_TYPE_END_OF_STACK);
	const struct kd_orc_table *t2;
	assert_null(kd_orc_vmlinux(f.kernel, &t2));	/* cached */
	assert_ptr_equal(t, t2);
	close_kernel(&f, mapf);

	// Without the header, the release decides: 6.1 is v1, where flags
	// 5 | 2 << 8 read as REGS_PARTIAL.
	memset(mem + 0x6000, 0, 20);
	f = open_kernel("6.1.0-test", map, mem, MEM, &mapf);
	assert_null(kd_orc_vmlinux(f.kernel, &t));
	assert_int_equal(t->version, KD_ORC_V1);
	assert_true(kd_orc_find(t, KVA(0x2008), &e));
	assert_int_equal(e.type, KD_ORC_TYPE_REGS_PARTIAL);
	close_kernel(&f, mapf);

	// Tables that disagree in size.
	char bad[1024];
	snprintf(bad, sizeof(bad),
		 "%llx R __start_orc_unwind_ip\n%llx R __stop_orc_unwind_ip\n"
		 "%llx R __start_orc_unwind\n%llx R __stop_orc_unwind\n",
		 (unsigned long long)KVA(0x4000), (unsigned long long)KVA(0x4008),
		 (unsigned long long)KVA(0x5000), (unsigned long long)KVA(0x5010));
	f = open_kernel("6.12.0", bad, mem, MEM, &mapf);
	struct kd_error *err = kd_orc_vmlinux(f.kernel, &t);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	close_kernel(&f, mapf);

	// A huge table (4 GiB of ips): refused before any allocation.
	snprintf(bad, sizeof(bad),
		 "%llx R __start_orc_unwind_ip\n%llx R __stop_orc_unwind_ip\n"
		 "%llx R __start_orc_unwind\n",
		 (unsigned long long)KVA(0x4000), (unsigned long long)KVA(0x4000) + (4ULL << 30),
		 (unsigned long long)KVA(0x5000));
	f = open_kernel("6.12.0", bad, mem, MEM, &mapf);
	err = kd_orc_vmlinux(f.kernel, &t);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	close_kernel(&f, mapf);

	// No ORC at all: NOTFOUND, the same on the second call.
	f = open_kernel("6.12.0", "ffffffff80002000 T _stext\n", mem, MEM, &mapf);
	for (int i = 0; i < 2; i++) {
		err = kd_orc_vmlinux(f.kernel, &t);
		assert_non_null(err);
		assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
		assert_non_null(strstr(kd_error_message(err), "__start_orc_unwind_ip"));
		kd_error_destroy(err);
	}
	close_kernel(&f, mapf);

	// The ip table outside the dump: NODATA.
	snprintf(bad, sizeof(bad),
		 "%llx R __start_orc_unwind_ip\n%llx R __stop_orc_unwind_ip\n"
		 "%llx R __start_orc_unwind\n",
		 (unsigned long long)KVA(0x40000), (unsigned long long)KVA(0x40008),
		 (unsigned long long)KVA(0x5000));
	f = open_kernel("6.12.0", bad, mem, MEM, &mapf);
	err = kd_orc_vmlinux(f.kernel, &t);
	assert_non_null(err);
	close_kernel(&f, mapf);
	kd_error_destroy(err);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_versions),
		cmocka_unit_test(test_version_for_release),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_lookup_agrees),
		cmocka_unit_test(test_vmlinux_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// kallsyms decoding on synthetic dumps. A small encoder here writes the
// tables the way scripts/kallsyms.c lays them out (token table and index,
// names with 1- and 2-byte lengths, kallsyms_offsets under both readings or
// kallsyms_addresses) into one physical block at 0, addressed through the
// x86_64 text mapping; the decoded table must equal the input exactly, and
// corrupt tables must give errors.
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

#define MEM_SIZE 0x40000u

// Where the encoder puts things in the block (6.1 order: offsets, base,
// count, names, token table, token index).
#define OFF_OFFSETS	0x01000u
#define OFF_BASE	0x08000u
#define OFF_NUM		0x08008u
#define OFF_NAMES	0x08010u
#define OFF_DATA	0x30000u	/* linux_banner, page_offset_base */
#define BASE_PADDR	0x20000u	/* relative_base: _stext */

#define KVA(off) SYNTH_KVA(off)
// A 200-byte token, for names that expand too far.
#define Z200 "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
#define DIRECT_MAP 0xffff888000000000ULL

enum mode { ABS_PERCPU, RELATIVE, ADDRESSES };

struct ksym {
	char type;
	const char *name;
	uint64_t addr;
};

static const char banner[] = "Linux version 6.1.0-test (kexdump@synth) #1 SMP\n";

// Multi-character tokens at byte values no symbol uses; every other byte
// value that occurs stands for itself, the rest are empty (as
// scripts/kallsyms.c leaves unused slots).
static const char *const multi_tokens[] = {
	[0x01] = "__", [0x02] = "per_cpu", [0x03] = "_start", [0x04] = "init",
	[0x05] = "ux_", [0x06] = "ba", [0x07] = "nner",
	[0x08] = Z200,
};

static char long127[127], long128[128], long400[401];

static const struct ksym percpu_syms[] = {
	{ 'A', "fixed_percpu_data", 0x0 },
	{ 'A', "__per_cpu_start", 0x0 },
	{ 'A', "current_task", 0x1fb80 },
	{ 'A', "runqueues", 0x31c40 },
};

static struct ksym kernel_syms[] = {
	{ 'T', "_stext", KVA(BASE_PADDR) },
	{ 'T', "startup_64", KVA(BASE_PADDR) },
	{ 'T', "_text", KVA(BASE_PADDR) },
	{ 't', "helper", KVA(BASE_PADDR + 0x100) },
	{ 't', "helper", KVA(BASE_PADDR + 0x200) },
	{ 'T', "panic", KVA(BASE_PADDR + 0x300) },
	{ 'T', NULL /* long127 */, KVA(BASE_PADDR + 0x400) },
	{ 'T', NULL /* long128 */, KVA(BASE_PADDR + 0x500) },
	{ 't', NULL /* long400 */, KVA(BASE_PADDR + 0x600) },
	{ 'R', "__start_BTF", KVA(BASE_PADDR + 0x1000) },
	{ 'D', "linux_banner", KVA(OFF_DATA) },
	{ 'D', "page_offset_base", KVA(OFF_DATA + 0x100) },
	{ 'D', "init_uts_ns", KVA(OFF_DATA + 0x200) },
	{ 'd', "prb", KVA(OFF_DATA + 0x300) },
	{ 'D', "__per_cpu_offset", KVA(OFF_DATA + 0x400) },
	{ 'D', "panic_cpu", KVA(OFF_DATA + 0x500) },
	{ 'B', "mem_section", KVA(OFF_DATA + 0x600) },
	{ 'b', "clear_seq", KVA(OFF_DATA + 0x700) },
	{ 'B', "_end", KVA(OFF_DATA + 0x10000) },
};

static void init_names(void)
{
	// Compressed lengths 127 (one byte), 128 (the first two-byte one)
	// and 401: "q" has no multi-character token, so each is type + name.
	memset(long127, 'q', 126);
	memset(long128, 'q', 127);
	memset(long400, 'q', 400);
	kernel_syms[6].name = long127;
	kernel_syms[7].name = long128;
	kernel_syms[8].name = long400;
}

struct layout {
	uint64_t names, token_table, token_index, table_end;
	size_t nsyms;
	size_t names_len;
	uint16_t index[256];
};

static uint8_t *mem;

// Greedy longest-token encoding of type + name.
static size_t encode(const char *tokens[256], char type, const char *name,
		     uint8_t *out)
{
	char full[2048];
	snprintf(full, sizeof(full), "%c%s", type, name);
	size_t n = 0;
	for (const char *p = full; *p;) {
		int best = -1;
		size_t best_len = 0;
		for (int t = 0; t < 256; t++) {
			size_t l = strlen(tokens[t]);
			if (l > best_len && !strncmp(p, tokens[t], l)) {
				best = t;
				best_len = l;
			}
		}
		assert_true(best >= 0);
		out[n++] = (uint8_t)best;
		p += best_len;
	}
	return n;
}

// Write the tables for syms into mem; returns where they are.
static struct layout build(const struct ksym *syms, size_t n, enum mode mode)
{
	struct layout l = { .nsyms = n };
	static char singles[256][2];
	const char *tokens[256];
	for (int t = 0; t < 256; t++) {
		singles[t][0] = (char)t;
		singles[t][1] = '\0';
		tokens[t] = "";
		if (t < (int)KD_ARRAY_SIZE(multi_tokens) && multi_tokens[t])
			tokens[t] = multi_tokens[t];
		else if (t >= 0x21 && t < 0x7f)
			tokens[t] = singles[t];
	}
	memset(mem, 0, MEM_SIZE);
	uint64_t base = KVA(BASE_PADDR);
	synth_put64(mem + OFF_BASE, base);
	synth_put32(mem + OFF_NUM, (uint32_t)n);
	size_t pos = OFF_NAMES;
	for (size_t i = 0; i < n; i++) {
		uint8_t enc[1024];
		size_t len = encode(tokens, syms[i].type, syms[i].name, enc);
		if (len < 0x80) {
			mem[pos++] = (uint8_t)len;
		} else {
			mem[pos++] = (uint8_t)(0x80 | (len & 0x7f));
			mem[pos++] = (uint8_t)(len >> 7);
		}
		memcpy(mem + pos, enc, len);
		pos += len;
		if (mode == ADDRESSES) {
			synth_put64(mem + OFF_OFFSETS + 8 * i, syms[i].addr);
		} else if (mode == RELATIVE) {
			synth_put32(mem + OFF_OFFSETS + 4 * i, (uint32_t)(syms[i].addr - base));
		} else {
			// scripts/kallsyms.c: per-cpu (absolute) values as
			// they are, the rest as relative_base - 1 - offset.
			int64_t off = syms[i].type == 'A' ? (int64_t)syms[i].addr
							  : -(int64_t)(syms[i].addr - base) - 1;
			assert_true(off >= INT32_MIN && off <= INT32_MAX);
			synth_put32(mem + OFF_OFFSETS + 4 * i, (uint32_t)(int32_t)off);
		}
	}
	l.names = KVA(OFF_NAMES);
	l.names_len = pos - OFF_NAMES;
	pos = (pos + 7) & ~(size_t)7;
	l.token_table = KVA(pos);
	size_t start = pos;
	for (int t = 0; t < 256; t++) {
		l.index[t] = (uint16_t)(pos - start);
		size_t tl = strlen(tokens[t]);
		memcpy(mem + pos, tokens[t], tl + 1);
		pos += tl + 1;
	}
	pos = (pos + 7) & ~(size_t)7;
	l.token_index = KVA(pos);
	for (int t = 0; t < 256; t++)
		synth_put16(mem + pos + 2 * t, l.index[t]);
	pos += 512;
	l.table_end = KVA(pos);
	assert_true(pos < OFF_DATA);
	memcpy(mem + OFF_DATA, banner, sizeof(banner));
	synth_put64(mem + OFF_DATA + 0x100, DIRECT_MAP);
	return l;
}

// Write the dump with VMCOREINFO for layout l (plus extra lines) and open
// it; returns kd_kernel_open()'s error.
static struct kd_error *open_dump(struct synth_fixture *f, const struct layout *l,
				  enum mode mode, const char *extra)
{
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	char tables[512];
	if (mode == ADDRESSES)
		snprintf(tables, sizeof(tables), "SYMBOL(kallsyms_addresses)=%llx\n",
			 (unsigned long long)KVA(OFF_OFFSETS));
	else
		snprintf(tables, sizeof(tables),
			 "SYMBOL(kallsyms_offsets)=%llx\nSYMBOL(kallsyms_relative_base)=%llx\n",
			 (unsigned long long)KVA(OFF_OFFSETS),
			 (unsigned long long)KVA(OFF_BASE));
	synth_vmcoreinfo(s,
		"OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
		"SYMBOL(init_uts_ns)=%llx\n"
		"SYMBOL(_stext)=%llx\n"
		"SYMBOL(mem_section)=ffff888000123000\n"
		"SYMBOL(prb)=%llx\n"
		"SYMBOL(kallsyms_names)=%llx\n"
		"SYMBOL(kallsyms_num_syms)=%llx\n"
		"SYMBOL(kallsyms_token_table)=%llx\n"
		"SYMBOL(kallsyms_token_index)=%llx\n"
		"%s"
		"NUMBER(phys_base)=0\n"
		"%s",
		(unsigned long long)KVA(OFF_DATA + 0x200),
		(unsigned long long)KVA(BASE_PADDR),
		(unsigned long long)KVA(OFF_DATA + 0x300),
		(unsigned long long)l->names, (unsigned long long)KVA(OFF_NUM),
		(unsigned long long)l->token_table,
		(unsigned long long)l->token_index, tables, extra ? extra : "");
	synth_load(s, 0, 0, mem, MEM_SIZE);
	f->path = synth_write(s);
	synth_free(s);
	assert_null(kd_dump_open(f->path, &f->dump));
	f->kernel = NULL;
	struct kd_error *err = kd_kernel_open(f->dump, NULL, &f->kernel);
	return err ? err : kd_kernel_load_symbols(f->kernel);
}

static size_t all_syms(struct ksym *out, bool percpu)
{
	size_t n = 0;
	if (percpu)
		for (size_t i = 0; i < KD_ARRAY_SIZE(percpu_syms); i++)
			out[n++] = percpu_syms[i];
	for (size_t i = 0; i < KD_ARRAY_SIZE(kernel_syms); i++)
		out[n++] = kernel_syms[i];
	return n;
}

// The decoded table holds exactly the input: same count, and every input
// symbol once with its name, type and address.
static void check_table(struct kd_kernel *k, const struct ksym *syms, size_t n)
{
	assert_string_equal(kd_kernel_symbol_source(k), "kallsyms");
	assert_int_equal(kd_kernel_num_symbols(k), n);
	bool used[64] = {false};
	assert_true(n <= KD_ARRAY_SIZE(used));
	for (size_t i = 0; i < n; i++) {
		const char *name;
		char type;
		uint64_t addr;
		assert_true(kd_kernel_symbol_at(k, i, &name, &type, &addr));
		if (i)
			assert_true(addr >= k->symtab.syms[i - 1].addr);
		size_t j;
		for (j = 0; j < n; j++)
			if (!used[j] && syms[j].addr == addr && syms[j].type == type &&
			    !strcmp(syms[j].name, name))
				break;
		if (j == n)
			fail_msg("decoded %c %s at %#llx is not in the input", type,
				 name, (unsigned long long)addr);
		used[j] = true;
	}
	const char *name;
	char type;
	uint64_t addr;
	assert_false(kd_kernel_symbol_at(k, n, &name, &type, &addr));
}

static void check_lookups(struct kd_kernel *k)
{
	uint64_t addr;
	assert_null(kd_kernel_symbol(k, "linux_banner", &addr));
	assert_int_equal(addr, KVA(OFF_DATA));
	char text[sizeof(banner)];
	assert_null(kd_kernel_read_virt(k, addr, text, sizeof(text)));
	assert_string_equal(text, banner);
	assert_null(kd_kernel_symbol(k, "panic_cpu", &addr));
	assert_int_equal(addr, KVA(OFF_DATA + 0x500));
	assert_null(kd_kernel_symbol(k, "__per_cpu_offset", &addr));
	assert_int_equal(addr, KVA(OFF_DATA + 0x400));
	assert_null(kd_kernel_symbol(k, long128, &addr));
	assert_int_equal(addr, KVA(BASE_PADDR + 0x500));
	assert_null(kd_kernel_symbol(k, long400, &addr));
	assert_int_equal(addr, KVA(BASE_PADDR + 0x600));
	// The x86_64 second stage read page_offset_base through the table.
	assert_int_equal(kd_kernel_direct_map_base(k), DIRECT_MAP);
	const char *name;
	uint64_t off;
	assert_null(kd_kernel_symbolize(k, KVA(BASE_PADDR + 0x10), &name, &off));
	assert_string_equal(name, "startup_64");
	assert_int_equal(off, 0x10);
	assert_null(kd_kernel_symbolize(k, KVA(BASE_PADDR + 0x2ff), &name, &off));
	assert_string_equal(name, "helper");
	assert_int_equal(off, 0xff);
	struct kd_error *err = kd_kernel_symbolize(k, DIRECT_MAP + 0x1000, &name, &off);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	err = kd_kernel_symbol(k, "no_such_symbol", &addr);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
}

static void test_absolute_percpu(void **state)
{
	(void)state;
	struct ksym syms[64];
	size_t n = all_syms(syms, true);
	struct layout l = build(syms, n, ABS_PERCPU);
	// The table really uses two-byte lengths.
	assert_true(l.names_len > n + 127 + 128 + 401);
	struct synth_fixture f;
	assert_null(open_dump(&f, &l, ABS_PERCPU, NULL));
	check_table(f.kernel, syms, n);
	check_lookups(f.kernel);
	uint64_t addr;
	assert_null(kd_kernel_symbol(f.kernel, "runqueues", &addr));
	assert_int_equal(addr, 0x31c40);
	assert_null(kd_kernel_symbol(f.kernel, "current_task", &addr));
	assert_int_equal(addr, 0x1fb80);
	// Per-cpu offsets are not addresses: nothing contains them.
	const char *name;
	uint64_t off;
	struct kd_error *err = kd_kernel_symbolize(f.kernel, 0x1fb88, &name, &off);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	synth_fixture_close(&f);
}

static void test_relative(void **state)
{
	(void)state;
	struct ksym syms[64];
	size_t n = all_syms(syms, false);
	struct layout l = build(syms, n, RELATIVE);
	struct synth_fixture f;
	assert_null(open_dump(&f, &l, RELATIVE, NULL));
	check_table(f.kernel, syms, n);
	check_lookups(f.kernel);
	synth_fixture_close(&f);
}

static void test_addresses(void **state)
{
	(void)state;
	struct ksym syms[64];
	size_t n = all_syms(syms, true);
	struct layout l = build(syms, n, ADDRESSES);
	struct synth_fixture f;
	assert_null(open_dump(&f, &l, ADDRESSES, NULL));
	check_table(f.kernel, syms, n);
	check_lookups(f.kernel);
	synth_fixture_close(&f);
}

static void expect_error(const struct layout *l, enum mode mode,
			 const char *extra, enum kd_error_code code,
			 const char *substring)
{
	struct synth_fixture f;
	struct kd_error *err = open_dump(&f, l, mode, extra);
	assert_non_null(err);
	// The kernel stays usable without symbols, and says so.
	assert_non_null(f.kernel);
	assert_int_equal(kd_kernel_num_symbols(f.kernel), 0);
	assert_string_equal(kd_kernel_symbol_source(f.kernel), "none");
	const char *msg = kd_error_message(err);
	if (kd_error_code(err) != code || !strstr(msg, substring))
		fail_msg("expected code %d with \"%s\", got %d: %s", code,
			 substring, kd_error_code(err), msg);
	// Errors say which dump.
	assert_non_null(strstr(msg, f.path));
	kd_error_destroy(err);
	synth_fixture_close(&f);
}

static void test_inconsistent(void **state)
{
	(void)state;
	struct ksym syms[64];
	size_t n = all_syms(syms, true);
	struct layout l = build(syms, n, ABS_PERCPU);
	// A different kallsyms_relative_base: neither reading agrees with
	// VMCOREINFO's _stext, init_uts_ns and prb.
	synth_put64(mem + OFF_BASE, KVA(BASE_PADDR + 0x1000));
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "do not agree with VMCOREINFO either way");

	// The same for kallsyms_addresses.
	l = build(syms, n, ADDRESSES);
	synth_put64(mem + OFF_OFFSETS + 8 * 4, KVA(BASE_PADDR + 8));	// _stext
	expect_error(&l, ADDRESSES, NULL, KD_ERROR_CORRUPT, "_stext");

	// No VMCOREINFO symbol in the table at all: undecidable.
	static const struct ksym few[] = {
		{ 'T', "alpha", KVA(BASE_PADDR) }, { 'T', "beta", KVA(BASE_PADDR + 0x10) },
	};
	l = build(few, 2, ABS_PERCPU);
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "cannot tell");
}

static void test_corrupt_tokens(void **state)
{
	(void)state;
	struct ksym syms[64];
	size_t n = all_syms(syms, true);
	struct layout l = build(syms, n, ABS_PERCPU);
	size_t index_off = (size_t)(l.token_index - SYNTH_TEXT_BASE);
	size_t table_off = (size_t)(l.token_table - SYNTH_TEXT_BASE);
	// An index beyond the token table.
	synth_put16(mem + index_off + 2 * 'q', 0x7000);
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "kallsyms_token_index[113]");

	// The last token not NUL-terminated inside the table.
	l = build(syms, n, ABS_PERCPU);
	size_t last = table_off + l.index[255];
	while (mem[last])
		last++;
	for (size_t p = last; p < index_off; p++)
		mem[p] = 'x';
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "token 255");

	// A symbol whose tokens expand past any real name: type + six copies
	// of the 200-byte token, only 7 bytes in the table.
	static const struct ksym big[] = {
		{ 'T', "_stext", KVA(BASE_PADDR) },
		{ 'T', Z200 Z200 Z200 Z200 Z200 Z200, KVA(BASE_PADDR + 8) },
	};
	l = build(big, 2, ABS_PERCPU);
	assert_int_equal(mem[OFF_NAMES + 1 + mem[OFF_NAMES]], 7);
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "expands past");
}

static void test_corrupt_names(void **state)
{
	(void)state;
	struct ksym syms[64];
	size_t n = all_syms(syms, true);

	// More symbols than the names table holds: decoding runs into the
	// token table and stops there.
	struct layout l = build(syms, n, ABS_PERCPU);
	synth_put32(mem + OFF_NUM, (uint32_t)n + 3);
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "kallsyms_names");

	// One entry's length points past the table.
	l = build(syms, n, ABS_PERCPU);
	size_t pos = OFF_NAMES;
	for (size_t i = 0; i + 1 < n; i++) {
		size_t len = mem[pos], hdr = 1;
		if (len & 0x80) {
			len = (len & 0x7f) | (size_t)mem[pos + 1] << 7;
			hdr = 2;
		}
		pos += hdr + len;
	}
	mem[pos] = 0xff;	/* a two-byte length */
	mem[pos + 1] = 0x7f;	/* 16383 bytes */
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "runs into the next kallsyms table");

	// A zero length.
	l = build(syms, n, ABS_PERCPU);
	mem[OFF_NAMES] = 0;
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "length 0");

	// A name that does not start with a type letter.
	l = build(syms, n, ABS_PERCPU);
	mem[OFF_NAMES + 1] = '_';
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "type letter");
}

static void test_corrupt_count(void **state)
{
	(void)state;
	struct ksym syms[64];
	size_t n = all_syms(syms, true);
	static const uint32_t counts[] = { 0, 0x7fffffff, 0xffffffff, 4 * 1024 * 1024 + 1 };
	for (size_t i = 0; i < KD_ARRAY_SIZE(counts); i++) {
		struct layout l = build(syms, n, ABS_PERCPU);
		synth_put32(mem + OFF_NUM, counts[i]);
		expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_CORRUPT, "kallsyms_num_syms");
	}
}

static void test_missing(void **state)
{
	(void)state;
	struct ksym syms[64];
	size_t n = all_syms(syms, true);
	struct layout l = build(syms, n, ABS_PERCPU);
	// Offsets named, but no relative base and no addresses.
	struct synth_fixture f;
	struct synth *s = synth_new();
	synth_vmcoreinfo(s,
		"OSRELEASE=6.1.0-test\n"
		"SYMBOL(kallsyms_names)=%llx\nSYMBOL(kallsyms_num_syms)=%llx\n"
		"SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n"
		"SYMBOL(kallsyms_offsets)=%llx\nNUMBER(phys_base)=0\n",
		(unsigned long long)l.names, (unsigned long long)KVA(OFF_NUM),
		(unsigned long long)l.token_table, (unsigned long long)l.token_index,
		(unsigned long long)KVA(OFF_OFFSETS));
	synth_load(s, 0, 0, mem, MEM_SIZE);
	f.path = synth_write(s);
	synth_free(s);
	assert_null(kd_dump_open(f.path, &f.dump));
	f.kernel = NULL;
	assert_null(kd_kernel_open(f.dump, NULL, &f.kernel));
	struct kd_error *err = kd_kernel_load_symbols(f.kernel);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_non_null(strstr(kd_error_message(err), "kallsyms_relative_base"));
	kd_error_destroy(err);
	synth_fixture_close(&f);

	// Tables outside the dump: a read error, not a crash.
	l.names = KVA(0x1000000);
	expect_error(&l, ABS_PERCPU, NULL, KD_ERROR_NODATA, "kallsyms_names");
}

static void test_load_direct(void **state)
{
	(void)state;
	// kd_kallsyms_load() refuses a non-empty table and leaves it alone.
	struct ksym syms[64];
	size_t n = all_syms(syms, true);
	struct layout l = build(syms, n, ABS_PERCPU);
	struct synth_fixture f;
	assert_null(open_dump(&f, &l, ABS_PERCPU, NULL));
	struct kd_error *err = kd_kallsyms_load(f.kernel, &f.kernel->symtab);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	assert_int_equal(f.kernel->symtab.nsyms, n);
	// Loading again into an empty table gives the same table.
	struct kd_symtab tab = {0};
	assert_null(kd_kallsyms_load(f.kernel, &tab));
	assert_int_equal(tab.nsyms, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(tab.syms[i].addr, f.kernel->symtab.syms[i].addr);
		assert_string_equal(tab.syms[i].name, f.kernel->symtab.syms[i].name);
	}
	kd_symtab_deinit(&tab);
	synth_fixture_close(&f);
}

static int setup(void **state)
{
	(void)state;
	mem = malloc(MEM_SIZE);
	init_names();
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
		cmocka_unit_test(test_absolute_percpu),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_inconsistent),
		cmocka_unit_test(test_corrupt_tokens),
		cmocka_unit_test(test_corrupt_names),
		cmocka_unit_test(test_corrupt_count),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_load_direct),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

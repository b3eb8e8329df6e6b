// SPDX-License-Identifier: LGPL-2.1-or-later
// mksynth DIR: write the synthetic dumps that tests/cli/test-cli.sh drives
// the kexdump command with, and that tests/fuzz/run.sh seeds fuzz-dump with
// (with the crafted files of tests/unit/hostile.c, hostile-*.core).
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/hostile.h"
#include "../unit/synth.h"

// log.core: a kernel log in the log_buf/printk_log format of Linux 3.5 to
// 5.9 (struct printk_log of v5.4 x86_64 with CONFIG_PRINTK_CALLER: 20
// bytes, ts_nsec at 0, len 8, text_len 10, dict_len 12, facility 14,
// flags/level 15, caller_id 16; records 4-byte aligned, as log_store()
// in kernel/printk/printk.c writes them).
#define LOG_PTR 0x1000u		// char *log_buf, u32 log_buf_len, u32 first/next idx
#define LOG_BANNER 0x2000u
#define LOG_BUF 0x4000u
#define LOG_BUF_LEN 0x2000u
#define LOG_MEM 0x8000u

static uint32_t put_record(uint8_t *mem, uint32_t idx, uint64_t ts, uint8_t level,
			   const char *text)
{
	size_t text_len = strlen(text);
	uint32_t len = (uint32_t)((20 + text_len + 3) & ~(size_t)3);
	uint8_t *h = mem + LOG_BUF + idx;
	synth_put64(h, ts);
	synth_put16(h + 8, (uint16_t)len);
	synth_put16(h + 10, (uint16_t)text_len);
	synth_put16(h + 12, 0);
	h[14] = 0;			// facility: kernel
	h[15] = (uint8_t)(level << 5 | 0x2);
	synth_put32(h + 16, 1);		// caller: task 1
	memcpy(h + 20, text, text_len);
	return idx + len;
}

// @p release and @p panic: VMCOREINFO's OSRELEASE and the panic record's
// text (hostile.core puts terminal escapes in both).
static struct synth *log_core(uint8_t *mem, const char *release, const char *panic)
{
	static const char banner[] = "Linux version 9.9.9-synthetic (test)";
	memcpy(mem + LOG_BANNER, banner, sizeof(banner));
	uint32_t next = 0;
	next = put_record(mem, next, 0, 5, banner);
	next = put_record(mem, next, 12345678901ull, 6, "sysrq: Trigger a crash");
	next = put_record(mem, next, 12345999000ull, 0, panic);
	synth_put64(mem + LOG_PTR, SYNTH_KVA(LOG_BUF));
	synth_put32(mem + LOG_PTR + 8, LOG_BUF_LEN);
	synth_put32(mem + LOG_PTR + 0x10, 0);
	synth_put32(mem + LOG_PTR + 0x18, next);
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0xffffffff81001234ULL, 0xffffc90000010000ULL);
	synth_vmcoreinfo(s,
		"OSRELEASE=%s\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
		"KERNELOFFSET=0\nCRASHTIME=1795755448\n"
		"SYMBOL(linux_banner)=%llx\nSYMBOL(log_buf)=%llx\n"
		"SYMBOL(log_buf_len)=%llx\nSYMBOL(log_first_idx)=%llx\n"
		"SYMBOL(log_next_idx)=%llx\nSIZE(printk_log)=20\n"
		"OFFSET(printk_log.ts_nsec)=0\nOFFSET(printk_log.len)=8\n"
		"OFFSET(printk_log.text_len)=10\nOFFSET(printk_log.dict_len)=12\n"
		"OFFSET(printk_log.caller_id)=16\n", release,
		(unsigned long long)SYNTH_KVA(LOG_BANNER), (unsigned long long)SYNTH_KVA(LOG_PTR),
		(unsigned long long)SYNTH_KVA(LOG_PTR + 8),
		(unsigned long long)SYNTH_KVA(LOG_PTR + 0x10),
		(unsigned long long)SYNTH_KVA(LOG_PTR + 0x18));
	synth_load(s, 0, 0xffff888000000000ULL, mem, LOG_MEM);
	return s;
}

// kernel.core: 48 KiB of a 6.1-like x86_64 kernel that every reader of
// the kernel area gets through: kallsyms (base-relative offsets, one
// single-character token per printable byte), the lockless printk ring
// (6.1 layout, three records) and SPARSEMEM_EXTREME mem_section with the
// struct pages of its 12 pfns (a user, a buddy, a slab page). Kept under
// 64 KiB: fuzz-dump's seed.
#define K_VARS 0x0000u		// num_syms, relative_base, page_offset_base, prb
#define K_BANNER 0x0040u
#define K_UTS 0x0100u
#define K_OFFSETS 0x0200u
#define K_NAMES 0x0400u
#define K_TOKENS 0x0800u
#define K_TOKEN_INDEX 0x0c00u
#define K_PRB 0x1000u
#define K_DESCS 0x1100u
#define K_INFOS 0x1300u
#define K_DATA 0x1900u
#define K_ROOTS 0x2000u
#define K_SECTIONS 0x2100u
#define K_MEMMAP 0x3000u
#define K_MEM 0xc000u
#define K_DIRECT 0xffff888000000000ULL

static const struct {
	char type;
	const char *name;
	uint32_t off;		// from _stext, the relative base
} kernel_syms[] = {
	{ 'T', "_stext", 0 },
	{ 'D', "page_offset_base", 0x10 },
	{ 'D', "prb", 0x18 },
	{ 'D', "linux_banner", K_BANNER },
	{ 'D', "init_uts_ns", K_UTS },
	{ 'T', "start_kernel", 0x4000 },
	{ 't', "panic", 0x4100 },
};

static const char *const kernel_log[] = {
	"Linux version 9.9.9-synthetic (test)",
	"sysrq: Trigger a crash",
	"Kernel panic - not syncing: sysrq triggered crash",
};

static void kernel_kallsyms(uint8_t *mem)
{
	size_t n = sizeof(kernel_syms) / sizeof(kernel_syms[0]), at = 0;
	synth_put32(mem + K_VARS, (uint32_t)n);
	synth_put64(mem + K_VARS + 8, SYNTH_KVA(0));
	uint8_t *names = mem + K_NAMES;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(kernel_syms[i].name);
		names[at++] = (uint8_t)(len + 1);
		names[at++] = (uint8_t)kernel_syms[i].type;
		memcpy(names + at, kernel_syms[i].name, len);
		at += len;
		synth_put32(mem + K_OFFSETS + 4 * i, kernel_syms[i].off);
	}
	// Token i is the character i when printable, else empty.
	at = 0;
	for (unsigned int i = 0; i < 256; i++) {
		synth_put16(mem + K_TOKEN_INDEX + 2 * i, (uint16_t)at);
		if (i > 0x20 && i < 0x7f)
			mem[K_TOKENS + at++] = (uint8_t)i;
		mem[K_TOKENS + at++] = 0;
	}
}

static void kernel_printk(uint8_t *mem)
{
	uint8_t *r = mem + K_PRB;
	synth_put64(mem + K_VARS + 0x18, SYNTH_KVA(K_PRB));
	synth_put32(r + 0, 4);				// count_bits
	synth_put64(r + 8, SYNTH_KVA(K_DESCS));
	synth_put64(r + 16, SYNTH_KVA(K_INFOS));
	synth_put64(r + 24, 2);				// head_id
	synth_put64(r + 32, 0);				// tail_id
	synth_put32(r + 48, 8);				// size_bits: 256 bytes
	synth_put64(r + 56, SYNTH_KVA(K_DATA));
	uint64_t lpos = 0;
	for (uint64_t id = 0; id < 3; id++) {
		size_t len = strlen(kernel_log[id]);
		uint64_t next = lpos + ((8 + len + 7) & ~(size_t)7);
		synth_put64(mem + K_DATA + lpos, id);
		memcpy(mem + K_DATA + lpos + 8, kernel_log[id], len);
		uint8_t *d = mem + K_DESCS + 24 * id;
		synth_put64(d, (UINT64_C(2) << 62) | id);	// finalized
		synth_put64(d + 8, lpos);
		synth_put64(d + 16, next);
		uint8_t *info = mem + K_INFOS + 88 * id;
		synth_put64(info, id);
		synth_put64(info + 8, 1000000000ull * (id + 1));
		synth_put16(info + 16, (uint16_t)len);
		info[19] = (uint8_t)((id == 2 ? 0 : 6) << 5);
		synth_put32(info + 20, 1);
		lpos = next;
	}
}

static void kernel_sparsemem(uint8_t *mem)
{
	synth_put64(mem + K_ROOTS, K_DIRECT + K_SECTIONS);
	synth_put64(mem + K_SECTIONS, (K_DIRECT + K_MEMMAP) | 1);
	uint8_t *user = mem + K_MEMMAP + 64 * 5, *buddy = user + 64, *slab = buddy + 64;
	synth_put64(user, 1u << 4);			// PG_lru
	synth_put64(user + 24, K_DIRECT + 0x8001);	// anon mapping
	synth_put32(buddy + 48, 0xffffff7fu);		// PAGE_BUDDY_MAPCOUNT_VALUE
	synth_put64(slab, 1u << 9);			// PG_slab
}

static struct synth *kernel_core(uint8_t *mem)
{
	memcpy(mem + K_BANNER, kernel_log[0], strlen(kernel_log[0]) + 1);
	synth_put64(mem + K_VARS + 0x10, K_DIRECT);
	kernel_kallsyms(mem);
	kernel_printk(mem);
	kernel_sparsemem(mem);
	struct synth *s = synth_new();
	synth_prstatus(s, 1, SYNTH_KVA(0x4100), 0xffffc90000010000ULL);
	synth_vmcoreinfo(s,
		"OSRELEASE=9.9.9-synthetic\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
		"KERNELOFFSET=0\nNUMBER(pgtable_l5_enabled)=0\n"
		"SYMBOL(_stext)=%llx\nSYMBOL(linux_banner)=%llx\n"
		"SYMBOL(init_uts_ns)=%llx\nSYMBOL(prb)=%llx\n"
		"SYMBOL(kallsyms_names)=%llx\nSYMBOL(kallsyms_num_syms)=%llx\n"
		"SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n"
		"SYMBOL(kallsyms_offsets)=%llx\nSYMBOL(kallsyms_relative_base)=%llx\n"
		SYNTH_PRINTK_LAYOUT
		"SYMBOL(mem_section)=%llx\nSIZE(mem_section)=32\n"
		"OFFSET(mem_section.section_mem_map)=0\n"
		"NUMBER(SECTION_SIZE_BITS)=20\nNUMBER(MAX_PHYSMEM_BITS)=30\n"
		"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
		"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"
		"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
		"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
		"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
		"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
		"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\n"
		"NUMBER(PG_head_mask)=65536\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
		"NUMBER(HUGETLB_PAGE_DTOR)=2\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
		(unsigned long long)SYNTH_KVA(0), (unsigned long long)SYNTH_KVA(K_BANNER),
		(unsigned long long)SYNTH_KVA(K_UTS), (unsigned long long)SYNTH_KVA(0x18),
		(unsigned long long)SYNTH_KVA(K_NAMES), (unsigned long long)SYNTH_KVA(K_VARS),
		(unsigned long long)SYNTH_KVA(K_TOKENS),
		(unsigned long long)SYNTH_KVA(K_TOKEN_INDEX),
		(unsigned long long)SYNTH_KVA(K_OFFSETS),
		(unsigned long long)SYNTH_KVA(K_VARS + 8),
		(unsigned long long)(K_DIRECT + K_ROOTS));
	synth_load(s, 0, K_DIRECT, mem, K_MEM);
	return s;
}

static void save(const char *dir, const char *name, char *tmp)
{
	char dst[4096];
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if (rename(tmp, dst)) {
		perror(dst);
		exit(1);
	}
	free(tmp);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mksynth DIR\n");
		return 2;
	}
	static uint8_t mem[0x4000];
	memcpy(mem + 0x1000, "Linux version 9.9.9-synthetic (test)\n", 38);
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0xffffffff81001234ULL, 0xffffc90000010000ULL);
	synth_prstatus(s, 0, 0xffffffff81005678ULL, 0xffffc90000020000ULL);
	synth_vmcoreinfo(s,
		"OSRELEASE=9.9.9-synthetic\n"
		"BUILD-ID=0123456789abcdef0123456789abcdef01234567\n"
		"PAGESIZE=4096\n"
		"SYMBOL(linux_banner)=%llx\n"
		"NUMBER(phys_base)=0\n"
		"KERNELOFFSET=0\n"
		"CRASHTIME=1795755448\n",
		(unsigned long long)SYNTH_KVA(0x1000));
	synth_load(s, 0, 0xffff888000000000ULL, mem, sizeof(mem));
	synth_load(s, 0x100000000ULL, 0xffff888100000000ULL, mem, 0x1000);
	save(argv[1], "good.core", synth_write(s));
	synth_free(s);

	// Memory below 64 KiB only: kexdump save turns it into small
	// kdump-compressed and flattened files (fuzzing seeds).
	memset(mem + 0x2000, 0x5a, 0x800);
	s = synth_new();
	synth_prstatus(s, 1, 0xffffffff81001234ULL, 0xffffc90000010000ULL);
	synth_vmcoreinfo(s, "OSRELEASE=9.9.9-synthetic\nPAGESIZE=4096\n"
			 "SYMBOL(linux_banner)=%llx\nNUMBER(phys_base)=0\n",
			 (unsigned long long)SYNTH_KVA(0x1000));
	synth_load(s, 0, 0xffff888000000000ULL, mem, sizeof(mem));
	save(argv[1], "small.core", synth_write(s));
	synth_free(s);

	s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	synth_load(s, 0, 0, mem, 0x1000);
	save(argv[1], "novmcoreinfo.core", synth_write(s));
	synth_free(s);

	static uint8_t kmem[K_MEM];
	s = kernel_core(kmem);
	save(argv[1], "kernel.core", synth_write(s));
	synth_free(s);

	for (int c = 0; c < HOSTILE_NCASES; c++) {
		size_t len;
		uint8_t *b = hostile_build((enum hostile_case)c, false, &len);
		char name[64];
		snprintf(name, sizeof(name), "hostile-%s.core", hostile_name((enum hostile_case)c));
		save(argv[1], name, synth_write_bytes(b, len));
		free(b);
	}

	// A damaged VMCOREINFO (a line that is not KEY=VALUE): no kernel can be
	// interpreted, every page is still there (capture's ELF-copy
	// fallback). Two segments with a gap, one all zero.
	memset(mem + 0x3000, 0, 0x1000);
	s = synth_new();
	synth_prstatus(s, 1, 0xffffffff81001234ULL, 0xffffc90000010000ULL);
	synth_vmcoreinfo(s, "OSRELEASE=9.9.9-synthetic\nPAGESIZE 4096\n"
			 "SYMBOL(linux_banner)=%llx\nNUMBER(phys_base)=0\n",
			 (unsigned long long)SYNTH_KVA(0x1000));
	synth_load(s, 0, 0xffff888000000000ULL, mem, sizeof(mem));
	synth_load(s, 0x100000000ULL, 0xffff888100000000ULL, mem + 0x3000, 0x1000);
	save(argv[1], "badvmcoreinfo.core", synth_write(s));
	synth_free(s);

	static uint8_t logmem[LOG_MEM];
	s = log_core(logmem, "9.9.9-synthetic",
		     "Kernel panic - not syncing: sysrq triggered crash");
	save(argv[1], "log.core", synth_write(s));
	synth_free(s);
	// Terminal controls where a dump has strings: ESC sequences, BEL, C1
	// CSI as UTF-8 (U+009B) and as a raw byte, DEL.
	memset(logmem, 0, sizeof(logmem));
	s = log_core(logmem, "9.9\033[2J\007\302\233" "31m\233\177-evil",
		     "Kernel panic - not syncing: \033]0;owned\007\033[2J\302\233" "1m\233 x");
	save(argv[1], "hostile.core", synth_write(s));
	synth_free(s);
	return 0;
}

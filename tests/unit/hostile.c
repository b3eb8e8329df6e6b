// SPDX-License-Identifier: LGPL-2.1-or-later
// The crafted inputs of issue 10 (see hostile.h), built byte by byte.
#include "hostile.h"
#include "synth.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *hostile_alloc(size_t n)
{
	uint8_t *p = calloc(1, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void hostile_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* -------------------------------------------------- kdump-compressed */

// struct disk_dump_header and kdump_sub_header on LP64
// (lib/dump/kdump-layout.h).
#define DH_VERSION 8
#define DH_MACHINE (12 + 4 * 65)
#define DH_STATUS 424
#define DH_BLOCK_SIZE 428
#define DH_SUB_HDR_SIZE 432
#define DH_BITMAP_BLOCKS 436
#define DH_MAX_MAPNR 440
#define KH_MAX_MAPNR_64 96
#define BLOCK 4096u

// Block 0 and 1 of a version-6 image: header and sub header without
// notes.
static void hostile_kdump_headers(uint8_t *img, uint32_t bitmap_blocks,
				  uint64_t max_mapnr, uint32_t status)
{
	memcpy(img, "KDUMP   ", 8);
	synth_put32(img + DH_VERSION, 6);
	memcpy(img + DH_MACHINE, "x86_64", 6);
	synth_put32(img + DH_STATUS, status);
	synth_put32(img + DH_BLOCK_SIZE, BLOCK);
	synth_put32(img + DH_SUB_HDR_SIZE, 1);
	synth_put32(img + DH_BITMAP_BLOCKS, bitmap_blocks);
	synth_put32(img + DH_MAX_MAPNR, max_mapnr > UINT32_MAX ? UINT32_MAX
							      : (uint32_t)max_mapnr);
	synth_put64(img + BLOCK + KH_MAX_MAPNR_64, max_mapnr);
}

// 10: a flattened stream (makedumpfile -F) whose records hold only the
// headers and one descriptor, while the header declares bitmaps of 2 GiB
// each: the holes between records read as zeros.
static uint8_t *hostile_flat_bitmap(size_t *len_ret)
{
	uint8_t hdr[2 * BLOCK] = {0};
	uint32_t bitmap_blocks = 2u << 19;	// 2 x 2 GiB
	uint64_t bitmap_len = (uint64_t)bitmap_blocks * BLOCK;
	hostile_kdump_headers(hdr, bitmap_blocks, bitmap_len / 2 * 8, 0);
	uint64_t desc_off = 2 * BLOCK + bitmap_len;
	size_t len = 4096 + 16 + 464 + 16 + 104 + 16 + 24 + 16;
	uint8_t *b = hostile_alloc(len), *p = b;
	memcpy(p, "makedumpfile", 12);
	hostile_put_be64(p + 16, 1);	// type
	hostile_put_be64(p + 24, 1);	// version
	p += 4096;
	hostile_put_be64(p, 0);
	hostile_put_be64(p + 8, 464);
	memcpy(p + 16, hdr, 464);
	p += 16 + 464;
	hostile_put_be64(p, BLOCK);
	hostile_put_be64(p + 8, 104);
	memcpy(p + 16, hdr + BLOCK, 104);
	p += 16 + 104;
	hostile_put_be64(p, desc_off);
	hostile_put_be64(p + 8, 24);
	p += 16 + 24;
	hostile_put_be64(p, UINT64_MAX);
	hostile_put_be64(p + 8, UINT64_MAX);
	*len_ret = len;
	return b;
}

// 15: a kdump-compressed file whose 2nd bitmap alternates set and clear
// bits: four runs per byte, each a range of the dump.
static uint8_t *hostile_kdump_runs(bool full, bool incomplete, size_t *len_ret)
{
	uint32_t bitmap_blocks = full ? 2048 : 8;	// 2 x 4 MiB or 2 x 16 KiB
	size_t half = (size_t)bitmap_blocks / 2 * BLOCK;
	size_t len = 2 * BLOCK + 2 * half;
	uint8_t *img = hostile_alloc(len);
	hostile_kdump_headers(img, bitmap_blocks, (uint64_t)half * 8,
			      incomplete ? 0x8 : 0);
	memset(img + 2 * BLOCK + half, 0x55, half);
	*len_ret = len;
	return img;
}

/* ---------------------------------------------------------------- ELF */

// A raw ELF core: phnum program headers (filled by the caller) followed by
// size bytes of data at *data_off_ret.
static uint8_t *hostile_elf(size_t phnum, size_t size, size_t *data_off_ret,
			    size_t *len_ret)
{
	size_t off = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
	uint8_t *b = hostile_alloc(off + size);
	synth_ehdr(b, phnum);
	*data_off_ret = off;
	*len_ret = off + size;
	return b;
}

static void hostile_phdr(uint8_t *b, size_t i, uint32_t type, uint64_t off,
			 uint64_t paddr, uint64_t size)
{
	Elf64_Phdr ph = {0};
	ph.p_type = type;
	ph.p_offset = off;
	ph.p_paddr = paddr;
	ph.p_filesz = ph.p_memsz = size;
	memcpy(b + sizeof(Elf64_Ehdr) + i * sizeof(ph), &ph, sizeof(ph));
}

uint8_t *hostile_notes(size_t nnotes, const char *name, uint32_t type,
		       size_t *len_ret)
{
	size_t namesz = *name ? strlen(name) + 1 : 0;
	size_t each = 12 + ((namesz + 3) & ~(size_t)3), notes = each * nnotes, off;
	uint8_t *b = hostile_elf(2, notes + BLOCK, &off, len_ret);
	for (size_t i = 0; i < nnotes; i++) {
		uint8_t *n = b + off + each * i;
		synth_put32(n, (uint32_t)namesz);
		synth_put32(n + 8, type);
		memcpy(n + 12, name, namesz);
	}
	hostile_phdr(b, 0, PT_NOTE, off, 0, notes);
	hostile_phdr(b, 1, PT_LOAD, off + notes, 0, BLOCK);
	return b;
}

// 12: a note segment of 1 MiB of empty notes (12 bytes each).
static uint8_t *hostile_notes_many(bool full, size_t *len_ret)
{
	return hostile_notes(full ? (1u << 20) / 12 : 4000, "", 1, len_ret);
}

// 13: many PT_NOTE headers all pointing at one note of 16 MiB.
static uint8_t *hostile_notes_overlap(bool full, size_t *len_ret)
{
	size_t size = full ? 16u << 20 : 8192, n = full ? 64 : 6, off;
	uint8_t *b = hostile_elf(n + 1, size + BLOCK, &off, len_ret);
	synth_put32(b + off, 2);		// namesz: "X"
	synth_put32(b + off + 4, (uint32_t)(size - 16));
	synth_put32(b + off + 8, 1);
	b[off + 12] = 'X';
	for (size_t i = 0; i < n; i++)
		hostile_phdr(b, i, PT_NOTE, off, 0, size);
	hostile_phdr(b, n, PT_LOAD, off + size, 0, BLOCK);
	return b;
}

/* -------------------------------------------------- kernel memory (x86_64) */

// Seven pages of physical memory, read through the kernel text mapping
// (SYNTH_KVA) and, for vmalloc addresses, through page tables that alias
// every address onto one page:
//   0x0000  variables: kallsyms_num_syms, token index, prb, the ring
//   0x1000  kallsyms_token_table
//   0x2000  PGD -> 0x3000 PUD -> 0x4000 PMD -> 0x5000 PTE, every entry
//   0x6000  the one data page every vmalloc address lands on
#define K_NUM_SYMS 0x0000u
#define K_TOKEN_INDEX 0x0100u
#define K_PRB 0x0400u
#define K_RING 0x0500u
#define K_TOKENS 0x1000u
#define K_PGD 0x2000u
#define K_DATA 0x6000u
#define K_MEM 0x7000u
#define VMALLOC 0xffffc90000000000ULL

static void hostile_page_tables(uint8_t *mem)
{
	for (uint32_t t = K_PGD; t < K_DATA; t += BLOCK)
		for (uint32_t i = 0; i < 512; i++)
			synth_put64(mem + t + 8 * i, (uint64_t)(t + BLOCK) | 0x3);
}

// 11: kallsyms_num_syms 4 Mi, and kallsyms_names in vmalloc space, where
// every page is the same one: symbols of three tokens, a type and 509
// bytes of name each, over and over.
static uint8_t *hostile_kallsyms_alias(size_t *len_ret)
{
	uint8_t *mem = hostile_alloc(K_MEM);
	hostile_page_tables(mem);
	synth_put32(mem + K_NUM_SYMS, 4u << 20);
	uint8_t *tok = mem + K_TOKENS;
	tok[0] = 'T';
	memset(tok + 1, 'a', 169);		// token 0: "Taaa...", 170 bytes
	memset(tok + 171, 'a', 170);		// token 1: 170 x 'a'
	for (int i = 0; i < 256; i++) {
		uint16_t at = i == 0 ? 0 : i == 1 ? 171 : (uint16_t)(342 + 2 * (i - 2));
		if (i >= 2)
			tok[at] = 'b';
		synth_put16(mem + K_TOKEN_INDEX + 2 * i, at);
	}
	for (uint32_t i = 0; i < BLOCK; i += 4) {
		mem[K_DATA + i] = 3;
		mem[K_DATA + i + 2] = 1;
		mem[K_DATA + i + 3] = 1;
	}
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	synth_vmcoreinfo(s,
		"OSRELEASE=6.1.0-hostile\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
		"NUMBER(MAX_PHYSMEM_BITS)=46\n"
		"SYMBOL(init_top_pgt)=%llx\n"
		"SYMBOL(_stext)=%llx\n"
		"SYMBOL(kallsyms_names)=%llx\n"
		"SYMBOL(kallsyms_num_syms)=%llx\n"
		"SYMBOL(kallsyms_token_table)=%llx\n"
		"SYMBOL(kallsyms_token_index)=%llx\n"
		"SYMBOL(kallsyms_offsets)=%llx\n"
		"SYMBOL(kallsyms_relative_base)=%llx\n",
		(unsigned long long)SYNTH_KVA(K_PGD), (unsigned long long)SYNTH_KVA(0),
		VMALLOC, (unsigned long long)SYNTH_KVA(K_NUM_SYMS),
		(unsigned long long)SYNTH_KVA(K_TOKENS),
		(unsigned long long)SYNTH_KVA(K_TOKEN_INDEX),
		VMALLOC + (1ULL << 30), (unsigned long long)SYNTH_KVA(8));
	synth_load(s, 0, 0, mem, K_MEM);
	uint8_t *b = synth_image(s, len_ret);
	synth_free(s);
	free(mem);
	return b;
}

// 14: a lockless printk ring (6.1 x86_64 layout) whose descriptor ring
// claims count_bits 26 and whose ids span all 2^26 descriptors, its
// arrays and text in the aliased vmalloc space.
static uint8_t *hostile_printk_bits(size_t *len_ret)
{
	uint8_t *mem = hostile_alloc(K_MEM);
	hostile_page_tables(mem);
	synth_put64(mem + K_PRB, SYNTH_KVA(K_RING));
	uint8_t *r = mem + K_RING;
	synth_put32(r + 0, 26);				// desc_ring.count_bits
	synth_put64(r + 8, VMALLOC);			// descs
	synth_put64(r + 16, VMALLOC + (1ULL << 32));	// infos
	synth_put64(r + 24, (1u << 26) - 1);		// head_id
	synth_put64(r + 32, 0);				// tail_id
	synth_put32(r + 48, 26);			// text_data_ring.size_bits
	synth_put64(r + 56, VMALLOC + (1ULL << 34));	// data
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	synth_vmcoreinfo(s,
		"OSRELEASE=6.1.0-hostile\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
		"NUMBER(MAX_PHYSMEM_BITS)=46\n"
		"SYMBOL(init_top_pgt)=%llx\nSYMBOL(prb)=%llx\n"
		SYNTH_PRINTK_LAYOUT,
		(unsigned long long)SYNTH_KVA(K_PGD), (unsigned long long)SYNTH_KVA(K_PRB));
	synth_load(s, 0, 0, mem, K_MEM);
	uint8_t *b = synth_image(s, len_ret);
	synth_free(s);
	free(mem);
	return b;
}

// 16: memory at 2^50 (or 2^60) besides a page at 0, in a 4-level kernel's
// dump (MAX_PHYSMEM_BITS 46): 2^38 pfns to filter and save.
static uint8_t *hostile_high_load(uint64_t paddr, size_t *len_ret)
{
	uint8_t page[BLOCK] = {0};
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	synth_vmcoreinfo(s,
		"OSRELEASE=6.1.0-hostile\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
		"NUMBER(pgtable_l5_enabled)=0\nNUMBER(MAX_PHYSMEM_BITS)=46\n");
	synth_load(s, 0, 0, page, sizeof(page));
	synth_load(s, paddr, 0, page, sizeof(page));
	uint8_t *b = synth_image(s, len_ret);
	synth_free(s);
	return b;
}

const char *hostile_name(enum hostile_case c)
{
	static const char *const names[HOSTILE_NCASES] = {
		[HOSTILE_FLAT_BITMAP] = "flat-bitmap",
		[HOSTILE_KALLSYMS_ALIAS] = "kallsyms-alias",
		[HOSTILE_NOTES_MANY] = "notes-many",
		[HOSTILE_NOTES_OVERLAP] = "notes-overlap",
		[HOSTILE_PRINTK_BITS] = "printk-bits",
		[HOSTILE_KDUMP_RUNS] = "kdump-runs",
		[HOSTILE_KDUMP_RUNS_INCOMPLETE] = "kdump-runs-incomplete",
		[HOSTILE_HIGH_LOAD] = "high-load",
		[HOSTILE_HIGHER_LOAD] = "higher-load",
		[HOSTILE_EDGE_LOAD] = "edge-load",
	};
	return c < HOSTILE_NCASES ? names[c] : "?";
}

uint8_t *hostile_build(enum hostile_case c, bool full, size_t *len_ret)
{
	switch (c) {
	case HOSTILE_FLAT_BITMAP:
		return hostile_flat_bitmap(len_ret);
	case HOSTILE_KALLSYMS_ALIAS:
		return hostile_kallsyms_alias(len_ret);
	case HOSTILE_NOTES_MANY:
		return hostile_notes_many(full, len_ret);
	case HOSTILE_NOTES_OVERLAP:
		return hostile_notes_overlap(full, len_ret);
	case HOSTILE_PRINTK_BITS:
		return hostile_printk_bits(len_ret);
	case HOSTILE_KDUMP_RUNS:
	case HOSTILE_KDUMP_RUNS_INCOMPLETE:
		return hostile_kdump_runs(full, c == HOSTILE_KDUMP_RUNS_INCOMPLETE,
					  len_ret);
	case HOSTILE_HIGH_LOAD:
		return hostile_high_load(1ULL << 50, len_ret);
	case HOSTILE_HIGHER_LOAD:
		return hostile_high_load(1ULL << 60, len_ret);
	case HOSTILE_EDGE_LOAD:
		// Valid, but 2^34 pfns apart: what save loops over and writes.
		return hostile_high_load((1ULL << 46) - BLOCK, len_ret);
	case HOSTILE_NCASES:
		break;
	}
	abort();
}

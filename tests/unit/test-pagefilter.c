// SPDX-License-Identifier: LGPL-2.1-or-later
// Page classification on synthetic dumps: a SPARSEMEM_EXTREME mem_section
// and a vmemmap (mapped by a 2 MiB page, or by 4 KiB pages in reverse
// physical order) whose struct pages are laid out as Linux 6.1 and 6.12 lay
// them out (VMCOREINFO of the Debian kernels), with a page of each kind
// makedumpfile's __exclude_unnecessary_pages() tells apart. Bitmaps and
// counts are checked per dump level, across window sizes, with pages the
// source lacks, unreadable struct pages and missing VMCOREINFO entries.
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

#define MEM_SIZE 0x400000u	// 4 MiB: pfns 0-0x3ff, four 1 MiB sections
#define NPFNS 0x400u
#define DIRECT 0xffff888000000000ULL
#define VMEMMAP 0xffffea0000000000ULL
#define PRESENT 0x1ULL
#define RW 0x2ULL
#define PSE 0x80ULL
// Physical layout: page tables at 0-0x3fff, mem_section roots at 0x4000,
// root 0's sections at 0x5000; struct pages at 0x200000 (2 MiB page) or
// in 16 pages at 0x300000 in reverse order (4 KiB pages).
#define PGD 0x0000u
#define PUD 0x1000u
#define PMD 0x2000u
#define PTE 0x3000u
#define ROOTS 0x4000u
#define SECTIONS 0x5000u
#define VMEMMAP_2M 0x200000u
#define VMEMMAP_4K 0x300000u
// The dump holds [0, HOLE) and [HOLE_END, LAST_END): pfns 0x390-0x39f are
// a hole and pfn 0x3ff is only partly there.
#define HOLE 0x390000u
#define HOLE_END 0x3a0000u
#define LAST_END 0x3ff800u

static uint8_t mem[MEM_SIZE];
static bool use_4k;

// How a kernel version lays out struct page and what VMCOREINFO says.
struct flavour {
	const char *vmcoreinfo;
	unsigned int lru, private_, swapcache, swapbacked, hwpoison;
	int slab;			// PG_slab, or -1 (6.10+: a page type)
	uint64_t head;			// PG_head_mask
	uint32_t buddy, offline, table;
	uint32_t slab_type, hugetlb_type;	// 0: not a page type
	bool dtor_fields;		// compound_dtor/order in the first tail
};

static const char common_vi[] =
	"PAGESIZE=4096\n"
	"SYMBOL(init_top_pgt)=ffffffff80000000\n"
	"NUMBER(phys_base)=0\n"
	"NUMBER(pgtable_l5_enabled)=0\n"
	"SYMBOL(mem_section)=ffff888000004000\n"
	"LENGTH(mem_section)=8\n"
	"SIZE(mem_section)=32\n"
	"OFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=20\n"
	"NUMBER(MAX_PHYSMEM_BITS)=30\n"
	"SIZE(page)=64\n"
	"OFFSET(page.flags)=0\n"
	"OFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\n"
	"OFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\n"
	"OFFSET(page.private)=40\n"
	"OFFSET(page.compound_head)=8\n"
	"LENGTH(zone.free_area)=11\n";

// Debian 6.1.0-56-amd64.
static const struct flavour linux61 = {
	.vmcoreinfo =
		"OSRELEASE=6.1.0-56-amd64\n"
		"OFFSET(page.compound_dtor)=16\n"
		"OFFSET(page.compound_order)=17\n"
		"NUMBER(PG_lru)=4\n"
		"NUMBER(PG_private)=13\n"
		"NUMBER(PG_swapcache)=10\n"
		"NUMBER(PG_swapbacked)=19\n"
		"NUMBER(PG_slab)=9\n"
		"NUMBER(PG_hwpoison)=23\n"
		"NUMBER(PG_head_mask)=65536\n"
		"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
		"NUMBER(HUGETLB_PAGE_DTOR)=2\n"
		"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
	.lru = 4, .private_ = 13, .swapcache = 10, .swapbacked = 19,
	.hwpoison = 23, .slab = 9, .head = 1u << 16,
	.buddy = 0xffffff7fu, .offline = 0xfffffeffu, .table = 0xfffffdffu,
	.dtor_fields = true,
};

// Debian 6.12.117+deb13-amd64: page types in the top byte of _mapcount.
static const struct flavour linux612 = {
	.vmcoreinfo =
		"OSRELEASE=6.12.117+deb13-amd64\n"
		"NUMBER(PG_lru)=5\n"
		"NUMBER(PG_private)=14\n"
		"NUMBER(PG_swapcache)=10\n"
		"NUMBER(PG_swapbacked)=17\n"
		"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n"
		"NUMBER(PG_hwpoison)=20\n"
		"NUMBER(PG_head_mask)=64\n"
		"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"
		"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\n"
		"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n",
	.lru = 5, .private_ = 14, .swapcache = 10, .swapbacked = 17,
	.hwpoison = 20, .slab = -1, .head = 1u << 6,
	.buddy = 0xf0000000u, .offline = 0xf1000000u, .table = 0xf2000000u,
	.slab_type = 0xf5000000u, .hugetlb_type = 0xf4000000u,
};

static unsigned int pt_idx(uint64_t va, unsigned int level)
{
	return (unsigned int)((va >> (12 + 9 * (level - 1))) & 0x1ff);
}

static uint8_t *sp(uint64_t pfn)
{
	if (!use_4k)
		return mem + VMEMMAP_2M + pfn * 64;
	return mem + VMEMMAP_4K + (15 - pfn / 64) * 0x1000 + (pfn % 64) * 64;
}

static void page(uint64_t pfn, uint64_t flags, uint64_t mapping,
		 uint32_t mapcount, uint64_t private_)
{
	uint8_t *p = sp(pfn);
	synth_put64(p, flags);
	synth_put64(p + 24, mapping);
	synth_put32(p + 48, mapcount);
	synth_put64(p + 40, private_);
}

#define BIT(n) (1ull << (n))

// A compound page: head flags, tails pointing at the head, and the order
// (and destructor before 6.6) in the first tail.
static void compound(const struct flavour *f, uint64_t pfn, unsigned int order,
		     uint64_t flags, uint64_t mapping, bool hugetlb)
{
	page(pfn, flags | f->head, mapping,
	     hugetlb && f->hugetlb_type ? f->hugetlb_type : 0xffffffffu, 0);
	for (uint64_t t = pfn + 1; t < pfn + (1ull << order); t++)
		synth_put64(sp(t) + 8, (VMEMMAP + pfn * 64) | 1);
	uint8_t *tail = sp(pfn + 1);
	if (f->dtor_fields) {
		tail[16] = hugetlb ? 2 : 1;	// HUGETLB_PAGE_DTOR, COMPOUND_PAGE_DTOR
		tail[17] = (uint8_t)order;
	} else {
		synth_put64(tail, order);	// folio._flags_1
	}
}

// Expected classes at dump level 31 (both flavours).
static const struct {
	uint64_t pfn, n;
	enum kd_page_class c;
} expect31[] = {
	{ 0x100, 8, KD_PAGE_FREE },
	{ 0x10c, 4, KD_PAGE_FREE },
	{ 0x110, 1, KD_PAGE_CACHE },
	{ 0x111, 1, KD_PAGE_CACHE_PRIVATE },
	{ 0x112, 1, KD_PAGE_USER },
	{ 0x113, 1, KD_PAGE_CACHE },
	{ 0x116, 1, KD_PAGE_HWPOISON },
	{ 0x117, 1, KD_PAGE_OFFLINE },
	{ 0x120, 4, KD_PAGE_USER },
	{ 0x128, 8, KD_PAGE_CACHE },
	{ 0x140, 16, KD_PAGE_USER },
	{ 0x151, 1, KD_PAGE_CACHE },
	{ 0x1fd, 1, KD_PAGE_USER },
	{ 0x300, 16, KD_PAGE_FREE },
	{ 0x380, 16, KD_PAGE_FREE },	// order 5: 0x390-0x39f is a hole
	{ 0x3fe, 1, KD_PAGE_FREE },
};

static void build(const struct flavour *f)
{
	memset(mem, 0, sizeof(mem));
	// Page tables: vmemmap at VMEMMAP through a 2 MiB page or 16 PTEs.
	synth_put64(mem + PGD + 8 * pt_idx(VMEMMAP, 4), PUD | PRESENT | RW);
	synth_put64(mem + PUD + 8 * pt_idx(VMEMMAP, 3), PMD | PRESENT | RW);
	if (use_4k) {
		synth_put64(mem + PMD + 8 * pt_idx(VMEMMAP, 2), PTE | PRESENT | RW);
		for (unsigned int i = 0; i < 16; i++)
			synth_put64(mem + PTE + 8 * i,
				    (VMEMMAP_4K + (15 - i) * 0x1000ull) | PRESENT | RW);
	} else {
		synth_put64(mem + PMD + 8 * pt_idx(VMEMMAP, 2),
			    VMEMMAP_2M | PRESENT | RW | PSE);
	}
	// mem_section: root 0 holds sections 0-127; section 2 has no mem_map.
	// The encoded mem_map is vmemmap itself (mem_map - start pfn), with
	// flag bits below bit 5.
	synth_put64(mem + ROOTS, DIRECT + SECTIONS);
	for (unsigned int s = 0; s < 4; s++)
		if (s != 2)
			synth_put64(mem + SECTIONS + 32 * s, VMEMMAP | 0x1f);

	for (uint64_t pfn = 0; pfn < NPFNS; pfn++)
		page(pfn, BIT(12) /* PG_reserved */, 0, 0xffffffffu, 0);
	page(0x100, 0, 0, f->buddy, 3);
	page(0x10c, 0, 0, f->buddy, 2);
	page(0x110, BIT(f->lru), 0xffff888001000000ull, 0xffffffffu, 0);
	page(0x111, BIT(f->lru) | BIT(f->private_), 0xffff888001000000ull,
	     0xffffffffu, 0);
	page(0x112, BIT(f->lru) | BIT(f->swapbacked), 0xffff888001000001ull,
	     0, 0);
	// Shmem in the swap cache (cache), then PG_swapcache alone: on 6.x
	// that bit is PG_owner_priv_1, not the swap cache.
	page(0x113, BIT(f->swapcache) | BIT(f->swapbacked),
	     0xffff888001000000ull, 0xffffffffu, 0);
	page(0x114, BIT(f->swapcache), 0xffff888001000000ull, 0xffffffffu, 0);
	// Slab: struct slab overlays struct page and may put an odd value
	// where mapping is; it is not anonymous memory.
	if (f->slab >= 0)
		page(0x115, BIT((unsigned)f->slab), 0x5, 0xffffffffu, 0);
	else
		page(0x115, 0, 0x5, f->slab_type, 0);
	page(0x116, BIT(f->hwpoison), 0, 0xffffffffu, 0);
	page(0x117, 0, 0, f->offline, 0);
	page(0x118, 0, 0, f->table, 0);
	page(0x119, 0, 0, f->buddy, 11);	// order past MAX_ORDER: kept
	// A transparent huge page (anonymous), a large page cache folio and a
	// hugetlbfs folio (user data although its mapping is a file's).
	compound(f, 0x120, 2, BIT(f->lru) | BIT(f->swapbacked),
		 0xffff888001000001ull, false);
	compound(f, 0x128, 3, BIT(f->lru), 0xffff888001000000ull, false);
	compound(f, 0x140, 4, 0, 0xffff888002000000ull, true);
	// A head whose order does not fit its pfn counts as order 0.
	compound(f, 0x151, 1, BIT(f->lru), 0xffff888001000000ull, false);
	synth_put64(sp(0x152) + 8, 0);
	// A slab compound page with an anonymous-looking mapping: kept.
	compound(f, 0x160, 1, f->slab >= 0 ? BIT((unsigned)f->slab) : 0, 0x3,
		 false);
	if (f->slab < 0)
		page(0x160, f->head, 0x3, f->slab_type, 0);
	// Hugetlb heads at odd pfns: the order is invalid, the destructor
	// still counts, except at pfn % 512 == 511, where makedumpfile does
	// not look at the next struct page.
	compound(f, 0x1fd, 1, 0, 0xffff888002000000ull, true);
	synth_put64(sp(0x1fe) + 8, 0);
	page(0x1ff, f->head, 0xffff888002000000ull,
	     f->hugetlb_type ? f->hugetlb_type : 0xffffffffu, 0);
	// Section 2 has no mem_map: whatever is there is not read.
	page(0x200, 0, 0, f->buddy, 8);
	page(0x300, 0, 0, f->buddy, 4);
	page(0x380, 0, 0, f->buddy, 5);
	page(0x3fe, 0, 0, f->buddy, 0);
	page(0x3ff, 0, 0, f->buddy, 0);	// only partly in the dump
}

// VMCOREINFO of flavour f without the lines starting with omit, plus extra.
static void add_vmcoreinfo(struct synth *s, const struct flavour *f,
			   const char *omit, const char *extra)
{
	char text[4096], out[4096] = "";
	snprintf(text, sizeof(text), "%s%s", common_vi, f->vmcoreinfo);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (omit && !strncmp(line, omit, strlen(omit)))
			continue;
		strcat(out, line);
		strcat(out, "\n");
	}
	if (extra)
		strcat(out, extra);
	synth_vmcoreinfo(s, "%s", out);
}

static struct synth_fixture open_dump_vi(const struct flavour *f,
					 const char *omit, const char *extra)
{
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	add_vmcoreinfo(s, f, omit, extra);
	synth_load(s, 0, DIRECT, mem, HOLE);
	synth_load(s, HOLE_END, DIRECT + HOLE_END, mem + HOLE_END,
		   LAST_END - HOLE_END);
	struct synth_fixture fx = synth_open(s);
	synth_free(s);
	return fx;
}

static struct synth_fixture open_dump(const struct flavour *f, const char *omit)
{
	return open_dump_vi(f, omit, NULL);
}

static bool bit(const uint8_t *bm, uint64_t i)
{
	return bm[i / 8] >> (i % 8) & 1;
}

struct result {
	uint8_t present[NPFNS / 8], keep[NPFNS / 8];
	uint64_t counts[KD_PAGE_NCLASSES];
};

// Classify pfns 0-0x3ff in windows of w pfns.
static void classify_all(struct kd_kernel *k, unsigned int level, uint64_t w,
			 struct result *r)
{
	struct kd_pagefilter *pf;
	memset(r, 0, sizeof(*r));
	assert_null(kd_pagefilter_open(k, level, &pf));
	assert_int_equal(kd_pagefilter_max_pfn(pf), NPFNS);
	assert_int_equal(kd_pagefilter_page_size(pf), 4096);
	for (uint64_t start = 0; start < NPFNS; start += w) {
		uint64_t n = NPFNS - start < w ? NPFNS - start : w;
		assert_null(kd_pagefilter_window(pf, start, n, r->present + start / 8,
						 r->keep + start / 8, r->counts));
	}
	kd_pagefilter_close(pf);
}

static void check_present(const struct result *r)
{
	for (uint64_t pfn = 0; pfn < NPFNS; pfn++) {
		bool want = pfn < HOLE / 4096 || (pfn >= HOLE_END / 4096 &&
						  pfn < LAST_END / 4096);
		assert_int_equal(bit(r->present, pfn), want);
	}
}

// Expected class of each pfn at level 31, or KD_PAGE_NCLASSES (kept).
static enum kd_page_class class31(uint64_t pfn)
{
	for (size_t i = 0; i < KD_ARRAY_SIZE(expect31); i++)
		if (pfn >= expect31[i].pfn && pfn < expect31[i].pfn + expect31[i].n)
			return expect31[i].c;
	return KD_PAGE_NCLASSES;
}

// The classes a level excludes; hwpoison and offline always go.
static bool level_takes(unsigned int level, enum kd_page_class c)
{
	switch (c) {
	case KD_PAGE_CACHE:
		return level & (KD_DL_CACHE | KD_DL_CACHE_PRIVATE);
	case KD_PAGE_CACHE_PRIVATE:
		return level & KD_DL_CACHE_PRIVATE;
	case KD_PAGE_USER:
		return level & KD_DL_USER;
	case KD_PAGE_FREE:
		return level & KD_DL_FREE;
	case KD_PAGE_HWPOISON:
	case KD_PAGE_OFFLINE:
		return true;
	default:
		return false;
	}
}

static void check_level(const struct flavour *f, unsigned int level)
{
	build(f);
	struct synth_fixture fx = open_dump(f, NULL);
	struct result r;
	classify_all(fx.kernel, level, NPFNS, &r);
	check_present(&r);
	uint64_t want[KD_PAGE_NCLASSES] = {0};
	for (uint64_t pfn = 0; pfn < NPFNS; pfn++) {
		enum kd_page_class c = class31(pfn);
		bool excluded = c != KD_PAGE_NCLASSES && level_takes(level, c) &&
				bit(r.present, pfn);
		if (excluded)
			want[c]++;
		if (bit(r.keep, pfn) != (bit(r.present, pfn) && !excluded))
			fail_msg("level %u pfn %#llx: keep %d", level,
				 (unsigned long long)pfn, bit(r.keep, pfn));
	}
	for (int c = 0; c < KD_PAGE_NCLASSES; c++)
		if (r.counts[c] != want[c])
			fail_msg("level %u: %s %llu, want %llu", level,
				 kd_page_class_name((enum kd_page_class)c),
				 (unsigned long long)r.counts[c],
				 (unsigned long long)want[c]);
	synth_fixture_close(&fx);
}

static void check_levels(const struct flavour *f)
{
	static const unsigned int levels[] = { 0, 1, 2, 4, 6, 8, 16, 30, 31 };
	for (size_t i = 0; i < KD_ARRAY_SIZE(levels); i++)
		check_level(f, levels[i]);
}

static void test_levels_61(void **state)
{
	(void)state;
	use_4k = false;
	check_levels(&linux61);
}

static void test_levels_612(void **state)
{
	(void)state;
	use_4k = false;
	check_levels(&linux612);
}

static void test_levels_4k_vmemmap(void **state)
{
	(void)state;
	// vmemmap in 4 KiB pages, physically in reverse order.
	use_4k = true;
	check_levels(&linux61);
	check_levels(&linux612);
	use_4k = false;
}

static void test_counts_31(void **state)
{
	(void)state;
	// The totals spelled out, for both kernels.
	const struct flavour *fl[] = { &linux61, &linux612 };
	for (size_t i = 0; i < 2; i++) {
		build(fl[i]);
		struct synth_fixture fx = open_dump(fl[i], NULL);
		struct result r;
		classify_all(fx.kernel, 31, NPFNS, &r);
		assert_int_equal(r.counts[KD_PAGE_ZERO], 0);
		assert_int_equal(r.counts[KD_PAGE_CACHE], 11);
		assert_int_equal(r.counts[KD_PAGE_CACHE_PRIVATE], 1);
		assert_int_equal(r.counts[KD_PAGE_USER], 22);
		assert_int_equal(r.counts[KD_PAGE_FREE], 45);
		assert_int_equal(r.counts[KD_PAGE_HWPOISON], 1);
		assert_int_equal(r.counts[KD_PAGE_OFFLINE], 1);
		// Kept: slab, page table, lone swapcache bit, bad buddy order,
		// compound tails of kept heads, section without mem_map.
		static const uint64_t kept[] = { 0x114, 0x115, 0x118, 0x119, 0x152,
						 0x160, 0x161, 0x1fe, 0x1ff, 0x200, 0x250 };
		for (size_t k = 0; k < KD_ARRAY_SIZE(kept); k++)
			assert_true(bit(r.keep, kept[k]));
		synth_fixture_close(&fx);
	}
}

static void test_windows(void **state)
{
	(void)state;
	// Blocks that cross window ends are finished in the next window:
	// every window size gives the single window's answer.
	static const uint64_t sizes[] = { 8, 16, 24, 40, 0x108, 0x200 };
	const struct flavour *fl[] = { &linux61, &linux612 };
	for (size_t i = 0; i < 2; i++) {
		build(fl[i]);
		struct synth_fixture fx = open_dump(fl[i], NULL);
		struct result whole, part;
		classify_all(fx.kernel, 31, NPFNS, &whole);
		for (size_t s = 0; s < KD_ARRAY_SIZE(sizes); s++) {
			classify_all(fx.kernel, 31, sizes[s], &part);
			assert_memory_equal(whole.present, part.present, NPFNS / 8);
			assert_memory_equal(whole.keep, part.keep, NPFNS / 8);
			assert_memory_equal(whole.counts, part.counts,
					    sizeof(whole.counts));
		}
		synth_fixture_close(&fx);
	}
}

static void test_window_rules(void **state)
{
	(void)state;
	build(&linux612);
	struct synth_fixture fx = open_dump(&linux612, NULL);
	struct kd_pagefilter *pf;
	assert_null(kd_pagefilter_open(fx.kernel, 31, &pf));
	uint8_t keep[0x80];
	uint64_t counts[KD_PAGE_NCLASSES] = {0};
	// No present bitmap; a window that starts inside a free block and
	// reaches past the dump's end.
	assert_null(kd_pagefilter_window(pf, 0x108, 8, NULL, keep, counts));
	assert_int_equal(keep[0], 0x0f);	// 0x10c-0x10f free
	assert_int_equal(counts[KD_PAGE_FREE], 4);
	assert_null(kd_pagefilter_window(pf, 0x3f8, 0x10, NULL, keep, counts));
	assert_int_equal(keep[0], 0x3f);	// 0x3fe free, 0x3ff partial
	assert_int_equal(keep[1], 0);
	// Going back, and windows that are not whole bitmap bytes.
	struct kd_error *err = kd_pagefilter_window(pf, 0x100, 8, NULL, keep, counts);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	err = kd_pagefilter_window(pf, 0x409, 8, NULL, keep, counts);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	err = kd_pagefilter_window(pf, 0x410, 12, NULL, keep, counts);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	kd_pagefilter_close(pf);
	err = kd_pagefilter_open(fx.kernel, 32, &pf);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	synth_fixture_close(&fx);
}

static void test_split_segment(void **state)
{
	(void)state;
	// A page split between two adjacent ELF segments is present.
	build(&linux61);
	struct synth *s = synth_new();
	add_vmcoreinfo(s, &linux61, NULL, NULL);
	synth_load(s, 0, DIRECT, mem, 0x110800);
	synth_load(s, 0x110800, DIRECT + 0x110800, mem + 0x110800, HOLE - 0x110800);
	synth_load(s, HOLE_END, DIRECT + HOLE_END, mem + HOLE_END, LAST_END - HOLE_END);
	struct synth_fixture fx = synth_open(s);
	synth_free(s);
	struct result r;
	classify_all(fx.kernel, 31, 0x108, &r);
	check_present(&r);
	assert_false(bit(r.keep, 0x110));
	assert_int_equal(r.counts[KD_PAGE_CACHE], 11);
	synth_fixture_close(&fx);
}

static bool stored_except(struct kd_dump *dump, uint64_t paddr)
{
	(void)dump;
	uint64_t pfn = paddr / 4096;
	return pfn != 0x50 && pfn != 0x110 && !(pfn >= 0x300 && pfn < 0x304);
}

static void test_not_stored(void **state)
{
	(void)state;
	// A source that lacks some pages (an already filtered dump): they are
	// never kept; excluded ones still count under their class.
	build(&linux61);
	struct synth_fixture fx = open_dump(&linux61, NULL);
	struct kd_format_ops ops = *fx.dump->ops;
	ops.page_stored = stored_except;
	const struct kd_format_ops *saved = fx.dump->ops;
	fx.dump->ops = &ops;
	assert_false(kd_dump_page_stored(fx.dump, 0x50000, 4096));
	assert_true(kd_dump_page_stored(fx.dump, 0x51000, 4096));
	assert_false(kd_dump_page_stored(fx.dump, HOLE, 4096));
	assert_false(kd_dump_page_stored(fx.dump, LAST_END - 0x800, 4096));
	struct result r;
	classify_all(fx.kernel, 31, NPFNS, &r);
	assert_true(bit(r.present, 0x50));
	assert_false(bit(r.keep, 0x50));
	assert_true(bit(r.keep, 0x51));
	assert_false(bit(r.keep, 0x110));
	assert_int_equal(r.counts[KD_PAGE_CACHE], 11);
	assert_int_equal(r.counts[KD_PAGE_FREE], 45);
	// Level 0 reads no mem_map for this, but still drops them.
	classify_all(fx.kernel, 0, NPFNS, &r);
	assert_false(bit(r.keep, 0x50));
	assert_false(bit(r.keep, 0x300));
	assert_true(bit(r.keep, 0x304));
	fx.dump->ops = saved;
	synth_fixture_close(&fx);
}

static void test_unreadable_struct_pages(void **state)
{
	(void)state;
	// The vmemmap page of pfns 0x300-0x33f is not mapped: those pages are
	// kept, the rest is classified.
	use_4k = true;
	build(&linux612);
	synth_put64(mem + PTE + 8 * 12, 0);
	struct synth_fixture fx = open_dump(&linux612, NULL);
	struct result r;
	classify_all(fx.kernel, 31, NPFNS, &r);
	for (uint64_t pfn = 0x300; pfn < 0x340; pfn++)
		assert_true(bit(r.keep, pfn));
	assert_int_equal(r.counts[KD_PAGE_FREE], 45 - 16);
	assert_int_equal(r.counts[KD_PAGE_USER], 22);
	synth_fixture_close(&fx);
	use_4k = false;
}

static void test_unaccepted(void **state)
{
	(void)state;
	// 6.16+: unaccepted memory is free in MAX_PAGE_ORDER blocks, with no
	// order of its own (here LENGTH(zone.free_area) = 4: 8 pages).
	build(&linux612);
	page(0x300, 0, 0, 0xf7000000u, 0);	// instead of a buddy of order 4
	struct synth_fixture fx = open_dump_vi(&linux612, "LENGTH(zone.free_area)",
		"LENGTH(zone.free_area)=4\n"
		"NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944\n");
	struct result r;
	classify_all(fx.kernel, 16, NPFNS, &r);
	for (uint64_t pfn = 0x300; pfn < 0x310; pfn++)
		assert_int_equal(bit(r.keep, pfn), pfn >= 0x308);
	// Buddy orders of 4 or more are now invalid: 0x380 (order 5) is kept.
	assert_true(bit(r.keep, 0x380));
	assert_int_equal(r.counts[KD_PAGE_FREE], 8 + 4 + 8 + 1);
	classify_all(fx.kernel, 15, NPFNS, &r);
	assert_true(bit(r.keep, 0x300));
	synth_fixture_close(&fx);
}

static void test_missing_vmcoreinfo(void **state)
{
	(void)state;
	static const struct {
		const char *omit;
		unsigned int level;
		enum kd_error_code code;
		const char *says;
	} cases[] = {
		{ "SIZE(page)", 31, KD_ERROR_NOTFOUND, "VMCOREINFO has no SIZE(page), needed for page filtering" },
		{ "SYMBOL(mem_section)", 2, KD_ERROR_NOTFOUND, "SYMBOL(mem_section)" },
		{ "NUMBER(SECTION_SIZE_BITS)", 31, KD_ERROR_NOTFOUND, "SECTION_SIZE_BITS" },
		{ "NUMBER(PG_lru)", 31, KD_ERROR_NOTFOUND, "NUMBER(PG_lru), needed for page filtering" },
		{ "NUMBER(PG_head_mask)", 8, KD_ERROR_NOTFOUND, "PG_head_mask" },
		{ "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", 16, KD_ERROR_NOTFOUND,
		  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE), needed for excluding free pages" },
		{ "LENGTH(zone.free_area)", 16, KD_ERROR_NOTFOUND, "LENGTH(zone.free_area), needed for excluding free pages" },
		{ "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)", 31, KD_ERROR_NOTFOUND,
		  "PAGE_SLAB_MAPCOUNT_VALUE" },
	};
	build(&linux612);
	for (size_t i = 0; i < KD_ARRAY_SIZE(cases); i++) {
		struct synth_fixture fx = open_dump(&linux612, cases[i].omit);
		struct kd_pagefilter *pf = NULL;
		struct kd_error *err = kd_pagefilter_open(fx.kernel, cases[i].level, &pf);
		assert_non_null(err);
		assert_null(pf);
		assert_int_equal(kd_error_code(err), cases[i].code);
		assert_non_null(strstr(kd_error_message(err), cases[i].says));
		assert_non_null(strstr(kd_error_message(err), fx.path));
		kd_error_destroy(err);
		synth_fixture_close(&fx);
	}
	// Buddy values are only needed to exclude free pages.
	struct synth_fixture fx = open_dump(&linux612, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
	struct result r;
	classify_all(fx.kernel, 15, NPFNS, &r);
	assert_int_equal(r.counts[KD_PAGE_CACHE], 11);
	synth_fixture_close(&fx);
	// Without PG_hwpoison level 0 reads no mem_map, so needs none.
	fx = open_dump(&linux612, "NUMBER(PG_hwpoison)");
	classify_all(fx.kernel, 1, NPFNS, &r);
	assert_memory_equal(r.present, r.keep, NPFNS / 8);
	synth_fixture_close(&fx);
}

static void test_no_mem_map(void **state)
{
	(void)state;
	// mem_section's roots are empty: nothing to classify with.
	build(&linux61);
	synth_put64(mem + ROOTS, 0);
	struct synth_fixture fx = open_dump(&linux61, NULL);
	struct kd_pagefilter *pf = NULL;
	struct kd_error *err = kd_pagefilter_open(fx.kernel, 31, &pf);
	assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
	assert_non_null(strstr(kd_error_message(err), "mem_map"));
	kd_error_destroy(err);
	synth_fixture_close(&fx);
}

static void test_class_names(void **state)
{
	(void)state;
	static const char *const names[] = { "zero", "cache", "cache_private",
		"user", "free", "hwpoison", "offline" };
	for (int c = 0; c < KD_PAGE_NCLASSES; c++)
		assert_string_equal(kd_page_class_name((enum kd_page_class)c), names[c]);
	assert_string_equal(kd_page_class_name(KD_PAGE_NCLASSES), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_61),
		cmocka_unit_test(test_levels_612),
		cmocka_unit_test(test_levels_4k_vmemmap),
		cmocka_unit_test(test_counts_31),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_window_rules),
		cmocka_unit_test(test_split_segment),
		cmocka_unit_test(test_not_stored),
		cmocka_unit_test(test_unreadable_struct_pages),
		cmocka_unit_test(test_unaccepted),
		cmocka_unit_test(test_missing_vmcoreinfo),
		cmocka_unit_test(test_no_mem_map),
		cmocka_unit_test(test_class_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

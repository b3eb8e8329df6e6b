// SPDX-License-Identifier: LGPL-2.1-or-later
// Page classification by the dumped kernel's struct page array (mem_map):
// which pages a dump level (makedumpfile's -d) leaves out.
//
// The decisions are those of makedumpfile's __exclude_unnecessary_pages()
// as of upstream 1.7.9+ (makedumpfile.c; isSlab, isOffline, isHugetlb,
// is_cache_page, page_is_buddy_v3 there and isAnon, isUnaccepted in
// makedumpfile.h), which knows the page types of Linux 6.9-6.16. Where
// Debian's makedumpfile 1.7.2 decides otherwise it says so below. mem_map
// is found as makedumpfile's get_mm_sparsemem() finds it, from VMCOREINFO
// (kernel/vmcore_info.c, formerly kernel/crash_core.c).
//
// Deliberate differences from makedumpfile:
//  - On kernels without NUMBER(PG_slab) (6.10+, slab is a page type there)
//    makedumpfile's get_value_for_old_linux() falls back to bit 7, the
//    PG_slab of Linux 2.6.1x, which is PG_waiters on 6.10+: a page someone
//    waits on then counts as slab. Here no flag bit is tested then.
//  - A page is present (and classified) only when all of it lies in the
//    dump's ranges; makedumpfile's is_in_segs() takes a page whose first
//    byte does, and its report counts pages twice where ELF segments
//    overlap (the kernel text PT_LOAD lies inside a System RAM one).
//  - Excluded pages are counted only when present; makedumpfile's
//    exclude_range() also counts pfns of holes inside a free block.
//  - A struct page that cannot be read (vmemmap not mapped or not in the
//    dump) leaves its page kept; makedumpfile fails the whole dump.
#include "kernel/kernel.h"

#include <inttypes.h>
#include <stdio.h>

// makedumpfile reads struct pages in blocks of PGMM_CACHED aligned pfns and
// looks at a compound head's first tail page only when both lie in one
// block (makedumpfile.h PGMM_CACHED, "the last pfn of the mem_map cache").
#define PGMM_CACHED 512u
// Struct pages read at a time: a multiple of PGMM_CACHED, 256 KiB of reads.
#define CHUNK_PFNS 4096u
// include/linux/mmzone.h: section_mem_map holds the encoded mem_map and
// flags in bits below SECTION_MAP_LAST_BIT; makedumpfile.h masks bits 0-4
// (SECTION_MAP_LAST_BIT = 1 << 5 since Linux 4.13).
#define SECTION_MARKED_PRESENT 0x1ull
#define SECTION_MAP_MASK (~0x1full)
#define NO_MEM_MAP UINT64_MAX
// makedumpfile's compound_dtor value for a hugetlb folio known by its page
// type or flag rather than by a destructor id (IS_HUGETLB).
#define IS_HUGETLB UINT64_MAX
// Bounds on VMCOREINFO values, so a hostile one cannot make a huge buffer.
#define MAX_PAGE_STRUCT 512u

// A VMCOREINFO number that a kernel may or may not export.
struct pagefilter_opt {
	bool has;
	int64_t v;
};

struct kd_pagefilter {
	struct kd_kernel *kernel;
	struct kd_dump *dump;
	unsigned int level;
	bool scan;			// consult mem_map at all
	uint32_t page_size;
	unsigned int page_shift;
	uint64_t max_pfn;
	// The dump mapped where struct pages are read: on /proc/vmcore one
	// mmap() per 4 MiB instead of a map/unmap in the kernel per page
	// read (dump.c); on a file no read() syscalls per chunk.
	struct kd_map map;

	// struct page: SIZE(page), OFFSET(page.*)
	uint64_t sp_size, off_flags, off_mapping, off_mapcount, off_private,
		 off_head;
	bool has_mapcount, has_private, has_head;
	// Compound order and destructor in the first tail page before 6.6
	// (makedumpfile's init_compound_offset(); 0 = unknown) and their size.
	uint64_t order_off, dtor_off;
	unsigned int order_width, dtor_width;
	// Page flag bits: NUMBER(PG_*), NUMBER(PG_head_mask).
	unsigned int pg_lru, pg_private, pg_swapcache;
	struct pagefilter_opt pg_swapbacked, pg_slab, pg_hwpoison, pg_hugetlb;
	uint64_t head_mask;
	// Page types in _mapcount: NUMBER(PAGE_*_MAPCOUNT_VALUE).
	struct pagefilter_opt buddy, offline, slab_type, hugetlb_type, unaccepted;
	struct pagefilter_opt hugetlb_dtor;	// NUMBER(HUGETLB_PAGE_DTOR), 4.4 - 6.5
	struct pagefilter_opt free_huge_page;	// SYMBOL(free_huge_page), before 4.4
	uint64_t free_area_len;		// LENGTH(zone.free_area): MAX_ORDER + 1

	// SPARSEMEM: SYMBOL(mem_section) is the root array (EXTREME) or the
	// section array itself.
	uint64_t mem_section;
	bool extreme;
	uint64_t nr_roots, per_root, ms_size, ms_map_off;
	unsigned int section_shift;	// log2 of pfns per section
	uint64_t cached_section, cached_mem_map;
	bool have_cached;

	// struct pages of [buf_pfn, buf_pfn + buf_n); good[i] when read.
	uint8_t *buf, *good, *next;
	uint64_t buf_pfn, buf_n;

	uint8_t *present;		// when the caller passes none
	size_t present_cap;

	// Rest of a block that crossed the previous window's end (as
	// makedumpfile's cycle->exclude_pfn_start/end/counter).
	uint64_t pend_start, pend_end;
	enum kd_page_class pend_class;
	uint64_t next_pfn;		// windows go up
};

static const char *const pagefilter_class_names[KD_PAGE_NCLASSES] = {
	[KD_PAGE_ZERO] = "zero",
	[KD_PAGE_CACHE] = "cache",
	[KD_PAGE_CACHE_PRIVATE] = "cache_private",
	[KD_PAGE_USER] = "user",
	[KD_PAGE_FREE] = "free",
	[KD_PAGE_HWPOISON] = "hwpoison",
	[KD_PAGE_OFFLINE] = "offline",
};

KD_EXPORT const char *kd_page_class_name(enum kd_page_class c)
{
	return (unsigned int)c < KD_PAGE_NCLASSES ? pagefilter_class_names[c] : "unknown";
}

/* ------------------------------------------------------------ VMCOREINFO */

// What the look-ups below name in their errors ("VMCOREINFO has no
// SIZE(page), needed for page filtering").
#define PAGEFILTER_WHY "page filtering"

static struct kd_error *pagefilter_at(const struct kd_pagefilter *pf,
				      struct kd_error *err)
{
	return err ? kd_error_prefix(err, "%s", pf->dump->path) : NULL;
}

static struct kd_error *pagefilter_need(struct kd_pagefilter *pf,
					enum kd_vi_kind kind, const char *name,
					const char *why, uint64_t *ret)
{
	return pagefilter_at(pf, kd_vmcoreinfo_need(pf->kernel->vi, kind, name,
						    why, ret));
}

// An entry some kernels lack: absent, *ret is 0 and *has false.
static struct kd_error *pagefilter_opt(struct kd_pagefilter *pf,
				       enum kd_vi_kind kind, const char *name,
				       uint64_t *ret, bool *has)
{
	return pagefilter_at(pf, kd_vmcoreinfo_opt(pf->kernel->vi, kind, name,
						   0, ret, has));
}

static struct kd_error *pagefilter_opt_number(struct kd_pagefilter *pf,
					      const char *name,
					      struct pagefilter_opt *ret)
{
	return pagefilter_at(pf, kd_vmcoreinfo_opt_number(pf->kernel->vi, name,
							  0, &ret->v, &ret->has));
}

static struct kd_error *pagefilter_need_number(struct kd_pagefilter *pf,
					       const char *name, const char *why,
					       int64_t *ret)
{
	return pagefilter_at(pf, kd_vmcoreinfo_need_number(pf->kernel->vi, name,
							   why, ret));
}

// NUMBER(PG_*), a bit of page->flags: required unless @p why is NULL.
static struct kd_error *pagefilter_flag_bit(struct kd_pagefilter *pf,
					    const char *name, const char *why,
					    struct pagefilter_opt *ret)
{
	struct kd_error *err;
	if (why) {
		err = pagefilter_need_number(pf, name, why, &ret->v);
		ret->has = !err;
	} else {
		err = pagefilter_opt_number(pf, name, ret);
	}
	if (!err && ret->has && (ret->v < 0 || ret->v > 63))
		err = kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO NUMBER(%s)=%" PRId64 " is not a page flag bit",
			pf->dump->path, name, ret->v);
	return err;
}

static struct kd_error *pagefilter_need_bit(struct kd_pagefilter *pf,
					    const char *name, unsigned int *ret)
{
	struct pagefilter_opt o;
	struct kd_error *err = pagefilter_flag_bit(pf, name, PAGEFILTER_WHY, &o);
	if (!err)
		*ret = (unsigned int)o.v;
	return err;
}

// The offset of a field in the first tail page's struct page: FOLIO (an
// offset into struct folio, past the head page) from 6.3, PAGE before, or
// @p fallback when @p has_fallback (in page.lru before 4.4). *ret is left
// as it is when none applies.
static struct kd_error *pagefilter_tail_offset(struct kd_pagefilter *pf, const char *folio,
					       const char *page, bool has_fallback,
					       uint64_t fallback, uint64_t *ret)
{
	uint64_t off;
	bool has;
	struct kd_error *err = pagefilter_opt(pf, KD_VI_OFFSET, folio, &off, &has);
	if (err || (has && off >= pf->sp_size)) {
		if (!err)
			*ret = off - pf->sp_size;
		return err;
	}
	if ((err = pagefilter_opt(pf, KD_VI_OFFSET, page, &off, &has)))
		return err;
	if (has)
		*ret = off;
	else if (has_fallback)
		*ret = fallback;
	return NULL;
}

// KERNEL_VERSION(a, b, c) of OSRELEASE ("6.1.0-56-amd64"); 0 when unknown.
static uint32_t pagefilter_kernel_version(const struct kd_vmcoreinfo *vi)
{
	const char *rel;
	struct kd_error *err = kd_vmcoreinfo_string(vi, "OSRELEASE", &rel);
	if (err) {
		kd_error_destroy(err);
		return 0;
	}
	unsigned int a = 0, b = 0, c = 0;
	if (sscanf(rel, "%u.%u.%u", &a, &b, &c) < 2 || a > 255 || b > 255)
		return 0;
	return a << 16 | b << 8 | (c > 255 ? 255 : c);
}
#define KV(a, b, c) ((uint32_t)(a) << 16 | (b) << 8 | (c))

// Where each kernel keeps what classification reads in struct page.
static struct kd_error *pagefilter_load_layout(struct kd_pagefilter *pf)
{
	const struct kd_vmcoreinfo *vi = pf->kernel->vi;
	struct kd_error *err;
	const char *why = PAGEFILTER_WHY;
	if ((err = pagefilter_need(pf, KD_VI_SIZE, "page", why, &pf->sp_size)) ||
	    (err = pagefilter_need(pf, KD_VI_OFFSET, "page.flags", why,
				   &pf->off_flags)) ||
	    (err = pagefilter_need(pf, KD_VI_OFFSET, "page.mapping", why,
				   &pf->off_mapping)) ||
	    (err = pagefilter_opt(pf, KD_VI_OFFSET, "page._mapcount",
				  &pf->off_mapcount, &pf->has_mapcount)) ||
	    (err = pagefilter_opt(pf, KD_VI_OFFSET, "page.private",
				  &pf->off_private, &pf->has_private)) ||
	    (err = pagefilter_opt(pf, KD_VI_OFFSET, "page.compound_head",
				  &pf->off_head, &pf->has_head)))
		return err;
	// Linux 7.1 renamed compound_head (makedumpfile commit f50c015).
	if (!pf->has_head &&
	    (err = pagefilter_opt(pf, KD_VI_OFFSET, "page.compound_info",
				  &pf->off_head, &pf->has_head)))
		return err;
	if (pf->sp_size < 16 || pf->sp_size > MAX_PAGE_STRUCT ||
	    pf->off_flags > pf->sp_size - 8 || pf->off_mapping > pf->sp_size - 8 ||
	    (pf->has_mapcount && pf->off_mapcount > pf->sp_size - 4) ||
	    (pf->has_private && pf->off_private > pf->sp_size - 8) ||
	    (pf->has_head && pf->off_head > pf->sp_size - 8))
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO struct page layout is implausible (SIZE(page)=%" PRIu64 ")",
			pf->dump->path, pf->sp_size);

	// makedumpfile init_compound_offset(): the first tail page holds the
	// order and destructor (folio._folio_order/_folio_dtor from 6.3,
	// page.compound_order/compound_dtor before, in page.lru before 4.4).
	uint32_t kv = pagefilter_kernel_version(vi);
	uint64_t lru = 0, prev = 0, next = 0;
	bool has_lru = false, has_prev = false, has_next = false;
	if ((err = pagefilter_opt(pf, KD_VI_OFFSET, "page.lru", &lru, &has_lru)) ||
	    (err = pagefilter_opt(pf, KD_VI_OFFSET, "list_head.prev", &prev,
				  &has_prev)) ||
	    (err = pagefilter_opt(pf, KD_VI_OFFSET, "list_head.next", &next,
				  &has_next)))
		return err;
	bool old = kv && kv < KV(4, 4, 0) && has_lru;
	if ((err = pagefilter_tail_offset(pf, "folio._folio_order", "page.compound_order",
					  old && has_prev, lru + prev, &pf->order_off)) ||
	    (err = pagefilter_tail_offset(pf, "folio._folio_dtor", "page.compound_dtor",
					  old && has_next, lru + next, &pf->dtor_off)))
		return err;
	// Both became u8 in 4.16; compound_dtor was a u16 id from 4.4 and a
	// function pointer before.
	bool new_layout = !kv || kv >= KV(4, 16, 0);
	pf->order_width = new_layout ? 1 : 2;
	pf->dtor_width = new_layout ? 1 : kv >= KV(4, 4, 0) ? 2 : 8;
	if (pf->order_off > pf->sp_size - pf->order_width)
		pf->order_off = 0;
	if (pf->dtor_off > pf->sp_size - pf->dtor_width)
		pf->dtor_off = 0;

	if ((err = pagefilter_need_bit(pf, "PG_lru", &pf->pg_lru)) ||
	    (err = pagefilter_need_bit(pf, "PG_private", &pf->pg_private)) ||
	    (err = pagefilter_need_bit(pf, "PG_swapcache", &pf->pg_swapcache)) ||
	    (err = pagefilter_flag_bit(pf, "PG_swapbacked", NULL, &pf->pg_swapbacked)) ||
	    (err = pagefilter_flag_bit(pf, "PG_slab", NULL, &pf->pg_slab)) ||
	    (err = pagefilter_flag_bit(pf, "PG_hwpoison", NULL, &pf->pg_hwpoison)) ||
	    (err = pagefilter_flag_bit(pf, "PG_hugetlb", NULL, &pf->pg_hugetlb)) ||
	    (err = pagefilter_opt_number(pf, "PAGE_BUDDY_MAPCOUNT_VALUE", &pf->buddy)) ||
	    (err = pagefilter_opt_number(pf, "PAGE_OFFLINE_MAPCOUNT_VALUE", &pf->offline)) ||
	    (err = pagefilter_opt_number(pf, "PAGE_SLAB_MAPCOUNT_VALUE", &pf->slab_type)) ||
	    (err = pagefilter_opt_number(pf, "PAGE_HUGETLB_MAPCOUNT_VALUE", &pf->hugetlb_type)) ||
	    (err = pagefilter_opt_number(pf, "PAGE_UNACCEPTED_MAPCOUNT_VALUE", &pf->unaccepted)) ||
	    (err = pagefilter_opt_number(pf, "HUGETLB_PAGE_DTOR", &pf->hugetlb_dtor)))
		return err;
	uint64_t sym;
	if ((err = pagefilter_opt(pf, KD_VI_SYMBOL, "free_huge_page", &sym,
				  &pf->free_huge_page.has)))
		return err;
	pf->free_huge_page.v = (int64_t)sym;
	int64_t head;
	if ((err = pagefilter_need_number(pf, "PG_head_mask", why, &head)))
		return err;
	pf->head_mask = (uint64_t)head;
	// Slab is a page flag up to 6.9 and a page type from 6.10.
	if (!pf->pg_slab.has && !pf->slab_type.has)
		return kd_error_create(KD_ERROR_NOTFOUND,
			"%s: VMCOREINFO has no NUMBER(PG_slab) or NUMBER(PAGE_SLAB_MAPCOUNT_VALUE), needed for %s",
			pf->dump->path, why);
	if (pf->level & KD_DL_FREE) {
		// makedumpfile walks the free lists instead when there is no
		// buddy page type (kernels before 2.6.38); that is not done here.
		// Optional above, these are required for free pages: an absent
		// one is looked up as required again for the error.
		why = "excluding free pages";
		if ((!pf->buddy.has &&
		     (err = pagefilter_need_number(pf, "PAGE_BUDDY_MAPCOUNT_VALUE",
						   why, &pf->buddy.v))) ||
		    (!pf->has_mapcount &&
		     (err = pagefilter_need(pf, KD_VI_OFFSET, "page._mapcount",
					    why, &pf->off_mapcount))) ||
		    (!pf->has_private &&
		     (err = pagefilter_need(pf, KD_VI_OFFSET, "page.private",
					    why, &pf->off_private))) ||
		    (err = pagefilter_need(pf, KD_VI_LENGTH, "zone.free_area",
					   why, &pf->free_area_len)))
			return err;
	if (pf->free_area_len == 0 || pf->free_area_len > 64)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: VMCOREINFO LENGTH(zone.free_area)=%" PRIu64 " is implausible",
				pf->dump->path, pf->free_area_len);
	}
	return NULL;
}

/* -------------------------------------------------------------- mem_map */

static struct kd_error *pagefilter_load_sparsemem(struct kd_pagefilter *pf)
{
	struct kd_error *err;
	uint64_t bits;
	int64_t ssb, mpb;
	bool has_len;
	const char *why = PAGEFILTER_WHY;
	if ((err = pagefilter_need(pf, KD_VI_SYMBOL, "mem_section", why,
				   &pf->mem_section)) ||
	    (err = pagefilter_need(pf, KD_VI_SIZE, "mem_section", why,
				   &pf->ms_size)) ||
	    (err = pagefilter_need(pf, KD_VI_OFFSET, "mem_section.section_mem_map",
				   why, &pf->ms_map_off)) ||
	    (err = pagefilter_need_number(pf, "SECTION_SIZE_BITS", why, &ssb)) ||
	    (err = pagefilter_need_number(pf, "MAX_PHYSMEM_BITS", why, &mpb)) ||
	    (err = pagefilter_opt(pf, KD_VI_LENGTH, "mem_section", &pf->nr_roots,
				  &has_len)))
		return err;
	if (ssb <= (int64_t)pf->page_shift || ssb >= 64 ||
	    mpb < ssb || mpb > 64 ||
	    pf->ms_size < 8 || pf->ms_size > pf->page_size ||
	    pf->ms_map_off > pf->ms_size - 8)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO sparsemem layout is implausible (SECTION_SIZE_BITS=%" PRId64 ", MAX_PHYSMEM_BITS=%" PRId64 ", SIZE(mem_section)=%" PRIu64 ")",
			pf->dump->path, ssb, mpb, pf->ms_size);
	bits = (uint64_t)ssb;
	pf->section_shift = (unsigned int)bits - pf->page_shift;
	// makedumpfile is_sparsemem_extreme(): the roots are pages of
	// sections, as many as NR_MEM_SECTIONS needs (or LENGTH is absent).
	uint64_t nr_sections = mpb - ssb >= 63 ? UINT64_MAX
						   : 1ull << (mpb - ssb);
	uint64_t per_root = pf->page_size / pf->ms_size;
	uint64_t roots = nr_sections / per_root + (nr_sections % per_root != 0);
	pf->extreme = !has_len || pf->nr_roots == roots;
	if (pf->extreme) {
		pf->per_root = per_root;
		if (!has_len)
			pf->nr_roots = roots;
	} else {
		pf->per_root = 1;
	}
	return NULL;
}

// Translate with the extent of the mapping when the architecture tells it.
static struct kd_error *pagefilter_vtop_extent(struct kd_pagefilter *pf, uint64_t va,
					       uint64_t *pa, uint64_t *extent)
{
	struct kd_kernel *k = pf->kernel;
	if (k->arch->vtop_extent)
		return k->arch->vtop_extent(k, va, pa, extent);
	*extent = pf->page_size - (va & (pf->page_size - 1));
	return kd_kernel_vtop(k, va, pa);
}

static bool pagefilter_unreadable(const struct kd_error *err)
{
	enum kd_error_code c = kd_error_code(err);
	return c == KD_ERROR_FAULT || c == KD_ERROR_NODATA;
}

// makedumpfile nr_to_section(), section_mem_map_addr() and
// sparse_decode_mem_map(): the kernel stores mem_map minus the section's
// first pfn (in struct pages) with flags in the low bits
// (mm/sparse.c sparse_encode_mem_map()). NO_MEM_MAP when the section has
// none or its mem_section is not in the dump.
static struct kd_error *pagefilter_section_mem_map(struct kd_pagefilter *pf, uint64_t nr,
						   uint64_t *ret)
{
	if (pf->have_cached && pf->cached_section == nr) {
		*ret = pf->cached_mem_map;
		return NULL;
	}
	*ret = NO_MEM_MAP;
	uint64_t root = nr / pf->per_root;
	if (pf->extreme ? root >= pf->nr_roots : nr >= pf->nr_roots)
		goto out;
	uint64_t addr, map;
	struct kd_error *err;
	if (pf->extreme) {
		err = kd_kernel_read_u64(pf->kernel, pf->mem_section + 8 * root, &addr);
		if (err)
			goto fail;
		if (!addr)
			goto out;
		addr += (nr % pf->per_root) * pf->ms_size;
	} else {
		addr = pf->mem_section + nr * pf->ms_size;
	}
	err = kd_kernel_read_u64(pf->kernel, addr + pf->ms_map_off, &map);
	if (err)
		goto fail;
	if (map & SECTION_MARKED_PRESENT)
		*ret = (map & SECTION_MAP_MASK) +
		       (nr << pf->section_shift) * pf->sp_size;
out:
	pf->cached_section = nr;
	pf->cached_mem_map = *ret;
	pf->have_cached = true;
	return NULL;
fail:
	if (!pagefilter_unreadable(err))
		return err;
	kd_error_destroy(err);
	goto out;
}

static void pagefilter_mark_bad(struct kd_pagefilter *pf, uint8_t *good, uint64_t from,
				uint64_t to)
{
	for (uint64_t i = from / pf->sp_size; i * pf->sp_size < to; i++)
		good[i] = 0;
}

// Read len bytes of vmemmap at va into buf, one translation per mapping;
// struct pages that cannot be read get good[i] = 0.
static struct kd_error *pagefilter_read_struct_pages(struct kd_pagefilter *pf, uint64_t va,
						     uint8_t *buf, uint8_t *good,
						     uint64_t len)
{
	memset(good, 1, len / pf->sp_size);
	for (uint64_t done = 0; done < len;) {
		uint64_t pa, ext;
		struct kd_error *err = pagefilter_vtop_extent(pf, va + done, &pa, &ext);
		if (err) {
			if (!pagefilter_unreadable(err))
				return err;
			kd_error_destroy(err);
			ext = pf->page_size - ((va + done) & (pf->page_size - 1));
			ext = ext < len - done ? ext : len - done;
			pagefilter_mark_bad(pf, good, done, done + ext);
			done += ext;
			continue;
		}
		uint64_t n = ext < len - done ? ext : len - done;
		const uint8_t *m = kd_dump_map_phys(pf->dump, &pf->map, pa, (size_t)n);
		if (m)
			memcpy(buf + done, m, (size_t)n);
		else
			err = kd_dump_read_phys(pf->dump, pa, buf + done, (size_t)n);
		if (err && pagefilter_unreadable(err) && n > pf->page_size) {
			// Part of a huge page may be missing: go page by page.
			kd_error_destroy(err);
			n = pf->page_size - (pa & (pf->page_size - 1));
			err = kd_dump_read_phys(pf->dump, pa, buf + done, (size_t)n);
		}
		if (err) {
			if (!pagefilter_unreadable(err))
				return err;
			kd_error_destroy(err);
			pagefilter_mark_bad(pf, good, done, done + n);
		}
		done += n;
	}
	return NULL;
}

// The struct page of pfn, or NULL when there is none to read.
static struct kd_error *pagefilter_struct_page(struct kd_pagefilter *pf, uint64_t pfn,
					       const uint8_t **ret)
{
	if (pfn - pf->buf_pfn >= pf->buf_n) {
		pf->buf_pfn = pfn;
		pf->buf_n = 0;
		uint64_t nr = pfn >> pf->section_shift, mem_map;
		struct kd_error *err = pagefilter_section_mem_map(pf, nr, &mem_map);
		if (err)
			return err;
		uint64_t sec_end = (nr + 1) << pf->section_shift;
		uint64_t n = CHUNK_PFNS - pfn % CHUNK_PFNS;
		if (n > sec_end - pfn)
			n = sec_end - pfn;
		if (mem_map == NO_MEM_MAP) {
			memset(pf->good, 0, (size_t)n);
		} else {
			uint64_t va = mem_map + (pfn - (nr << pf->section_shift)) * pf->sp_size;
			err = pagefilter_read_struct_pages(pf, va, pf->buf, pf->good, n * pf->sp_size);
			if (err)
				return err;
		}
		pf->buf_n = n;
	}
	uint64_t i = pfn - pf->buf_pfn;
	*ret = pf->good[i] ? pf->buf + i * pf->sp_size : NULL;
	return NULL;
}

// The struct page after pfn's (a compound head's first tail page).
static struct kd_error *pagefilter_next_struct_page(struct kd_pagefilter *pf, uint64_t pfn,
						    const uint8_t **ret)
{
	*ret = NULL;
	if (pfn + 1 - pf->buf_pfn < pf->buf_n) {
		uint64_t i = pfn + 1 - pf->buf_pfn;
		if (pf->good[i])
			*ret = pf->buf + i * pf->sp_size;
		return NULL;
	}
	// Only with sections smaller than PGMM_CACHED: vmemmap is linear,
	// the struct page follows pfn's (as makedumpfile reads it).
	uint64_t nr = pfn >> pf->section_shift, mem_map;
	struct kd_error *err = pagefilter_section_mem_map(pf, nr, &mem_map);
	if (err || mem_map == NO_MEM_MAP)
		return err;
	uint64_t va = mem_map + (pfn + 1 - (nr << pf->section_shift)) * pf->sp_size;
	uint8_t good;
	err = pagefilter_read_struct_pages(pf, va, pf->next, &good, pf->sp_size);
	if (!err && good)
		*ret = pf->next;
	return err;
}

/* --------------------------------------------------------------- bitmaps */

static void pagefilter_set_bits(uint8_t *bm, uint64_t from, uint64_t to)
{
	while (from < to && from % 8)
		bm[from / 8] |= (uint8_t)(1u << (from % 8)), from++;
	if (to - from >= 8) {
		memset(bm + from / 8, 0xff, (size_t)((to - from) / 8));
		from += (to - from) / 8 * 8;
	}
	while (from < to)
		bm[from / 8] |= (uint8_t)(1u << (from % 8)), from++;
}

static void pagefilter_clear_bits(uint8_t *bm, uint64_t from, uint64_t to)
{
	while (from < to && from % 8)
		bm[from / 8] &= (uint8_t)~(1u << (from % 8)), from++;
	if (to - from >= 8) {
		memset(bm + from / 8, 0, (size_t)((to - from) / 8));
		from += (to - from) / 8 * 8;
	}
	while (from < to)
		bm[from / 8] &= (uint8_t)~(1u << (from % 8)), from++;
}

static uint64_t pagefilter_count_bits(const uint8_t *bm, uint64_t from, uint64_t to)
{
	uint64_t n = 0;
	while (from < to && from % 8)
		n += bm[from / 8] >> (from % 8) & 1, from++;
	for (; to - from >= 8; from += 8)
		n += (uint64_t)__builtin_popcount(bm[from / 8]);
	while (from < to)
		n += bm[from / 8] >> (from % 8) & 1, from++;
	return n;
}

// Pages wholly inside the dump's ranges. Adjacent ranges join: a page
// split between two ELF segments is present.
static void pagefilter_fill_present(struct kd_pagefilter *pf, uint64_t start, uint64_t end,
				    uint8_t *present)
{
	const struct kd_dump *d = pf->dump;
	memset(present, 0, (size_t)((end - start) / 8));
	size_t lo = 0, hi = d->nranges;
	uint64_t wstart = start << pf->page_shift;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->ranges[mid].start + d->ranges[mid].size <= wstart)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0)
		lo--;	// its end may join the next range's start
	uint64_t run_start = 0, run_end = 0;
	for (size_t i = lo; i <= d->nranges; i++) {
		const struct kd_phys_range *r = i < d->nranges ? &d->ranges[i] : NULL;
		if (r && r->start == run_end && run_end != 0) {
			run_end += r->size;
			continue;
		}
		if (run_end > run_start) {
			uint64_t first = (run_start + pf->page_size - 1) >> pf->page_shift;
			uint64_t last = run_end >> pf->page_shift;
			if (first < start)
				first = start;
			if (last > end)
				last = end;
			if (first < last)
				pagefilter_set_bits(present, first - start, last - start);
		}
		if (!r || r->start >> pf->page_shift >= end)
			break;
		run_start = r->start;
		run_end = r->start + r->size;
	}
}

/* -------------------------------------------------------- classification */

struct pagefilter_window {
	uint64_t start, end;
	const uint8_t *present;
	uint8_t *keep;
	uint64_t *counts;
};

// makedumpfile exclude_range(): clear [from, to) from the 2nd bitmap; what
// lies past the window is left for the next one.
static void pagefilter_exclude(struct kd_pagefilter *pf, struct pagefilter_window *w, uint64_t from,
			       uint64_t to, enum kd_page_class c)
{
	if (to > w->end) {
		pf->pend_start = w->end;
		pf->pend_end = to;
		pf->pend_class = c;
		to = w->end;
	}
	if (from < w->start)
		from = w->start;
	if (from >= to)
		return;
	w->counts[c] += pagefilter_count_bits(w->present, from - w->start, to - w->start);
	pagefilter_clear_bits(w->keep, from - w->start, to - w->start);
}

static bool pagefilter_flag(uint64_t flags, unsigned int bit)
{
	return flags >> bit & 1;
}

static bool pagefilter_opt_flag(uint64_t flags, struct pagefilter_opt bit)
{
	return bit.has && pagefilter_flag(flags, (unsigned int)bit.v);
}

// _mapcount is an unsigned int compared with (int)NUMBER(...).
static bool pagefilter_is_type(uint32_t mapcount, struct pagefilter_opt value)
{
	return value.has && mapcount == (uint32_t)value.v;
}

// isSlab(): a page type from 6.10, a page flag before.
static bool pagefilter_is_slab(const struct kd_pagefilter *pf, uint64_t flags,
			       uint32_t mapcount)
{
	return pagefilter_is_type(mapcount, pf->slab_type) || pagefilter_opt_flag(flags, pf->pg_slab);
}

// isAnon(): PAGE_MAPPING_ANON in page->mapping; a slab page's "mapping"
// is other data (struct slab), hence the isSlab() test upstream added
// for 6.10+. makedumpfile 1.7.2 tests the mapping bit alone.
static bool pagefilter_is_anon(const struct kd_pagefilter *pf, uint64_t mapping,
			       uint64_t flags, uint32_t mapcount)
{
	return (mapping & 1) && !pagefilter_is_slab(pf, flags, mapcount);
}

// is_cache_page(): on the LRU, or in the swap cache (PG_swapcache means
// that only with PG_swapbacked, which exists from 4.10).
static bool pagefilter_is_cache(const struct kd_pagefilter *pf, uint64_t flags)
{
	if (pagefilter_flag(flags, pf->pg_lru))
		return true;
	return (!pf->pg_swapbacked.has || pagefilter_opt_flag(flags, pf->pg_swapbacked)) &&
	       pagefilter_flag(flags, pf->pg_swapcache);
}

static bool pagefilter_is_hugetlb(const struct kd_pagefilter *pf, uint64_t dtor)
{
	return dtor == IS_HUGETLB ||
	       (pf->hugetlb_dtor.has && (uint64_t)pf->hugetlb_dtor.v == dtor) ||
	       (pf->free_huge_page.has && (uint64_t)pf->free_huge_page.v == dtor);
}

static uint64_t pagefilter_load(const struct kd_pagefilter *pf, const uint8_t *p,
				unsigned int width)
{
	switch (width) {
	case 1:
		return *p;
	case 2:
		return kd_dump_u16(pf->dump, p);
	default:
		return kd_dump_u64(pf->dump, p);
	}
}

// A compound head's order and destructor, from its first tail page
// (the "isCompoundHead" block of __exclude_unnecessary_pages()).
static struct kd_error *pagefilter_compound(struct kd_pagefilter *pf, uint64_t pfn,
					    uint32_t mapcount, uint64_t *order_ret,
					    uint64_t *dtor_ret)
{
	const uint8_t *tail;
	struct kd_error *err = pagefilter_next_struct_page(pf, pfn, &tail);
	if (err)
		return err;
	uint64_t order = 0, dtor = 0;
	if (pf->hugetlb_type.has) {
		// 6.9+: hugetlb is a page type of the head (kernel commit
		// d99e3140a4d3); the order is the low byte of folio._flags_1.
		if (tail)
			order = kd_dump_u64(pf->dump, tail + pf->off_flags) & 0xff;
		if (pagefilter_is_type(mapcount, pf->hugetlb_type))
			dtor = IS_HUGETLB;
	} else if (pf->pg_hugetlb.has) {
		// 6.6 - 6.8: PG_hugetlb in folio._flags_1.
		if (tail) {
			uint64_t f1 = kd_dump_u64(pf->dump, tail + pf->off_flags);
			order = f1 & 0xff;
			if (pagefilter_opt_flag(f1, pf->pg_hugetlb))
				dtor = IS_HUGETLB;
		}
	} else if (tail) {
		// Before 6.6: compound_order/compound_dtor fields; 1.7.2
		// reads only these, so on 6.6+ it sees order 0 and no hugetlb.
		if (pf->order_off)
			order = pagefilter_load(pf, tail + pf->order_off, pf->order_width);
		if (pf->dtor_off)
			dtor = pagefilter_load(pf, tail + pf->dtor_off, pf->dtor_width);
	}
	if (order >= 64 || (pfn & ((1ull << order) - 1)))
		order = 0;	// not a valid order for this pfn
	*order_ret = order;
	*dtor_ret = dtor;
	return NULL;
}

// Decide one present pfn; *nr_ret pages from it are excluded as *class_ret,
// or none (*nr_ret = 0).
static struct kd_error *pagefilter_classify(struct kd_pagefilter *pf, uint64_t pfn,
					    uint64_t *nr_ret, enum kd_page_class *class_ret)
{
	*nr_ret = 0;
	const uint8_t *sp;
	struct kd_error *err = pagefilter_struct_page(pf, pfn, &sp);
	if (err || !sp)
		return err;
	const struct kd_dump *d = pf->dump;
	uint64_t flags = kd_dump_u64(d, sp + pf->off_flags);
	uint64_t mapping = kd_dump_u64(d, sp + pf->off_mapping);
	uint32_t mapcount = pf->has_mapcount ? kd_dump_u32(d, sp + pf->off_mapcount) : 0;
	uint64_t private = pf->has_private ? kd_dump_u64(d, sp + pf->off_private) : 0;
	uint64_t head = pf->has_head ? kd_dump_u64(d, sp + pf->off_head) : 0;
	uint64_t order = 0, dtor = 0;
	if (pfn % PGMM_CACHED != PGMM_CACHED - 1 && (flags & pf->head_mask)) {
		err = pagefilter_compound(pf, pfn, mapcount, &order, &dtor);
		if (err)
			return err;
	}
	uint64_t nr = 1ull << order;
	enum kd_page_class c;
	unsigned int level = pf->level;
	bool cache = pagefilter_is_cache(pf, flags);
	bool anon = pagefilter_is_anon(pf, mapping, flags, mapcount);
	if (head & 1) {
		// A tail page: its head's range already took it, or keeps it.
		return NULL;
	} else if ((level & KD_DL_FREE) && !pagefilter_is_slab(pf, flags, mapcount) &&
		   pagefilter_is_type(mapcount, pf->buddy)) {
		// page_is_buddy_v3(); private holds the free block's order.
		if (private >= pf->free_area_len)
			return NULL;	// "Invalid free page order": kept
		nr = 1ull << private;
		c = KD_PAGE_FREE;
	} else if ((level & KD_DL_FREE) && pagefilter_is_type(mapcount, pf->unaccepted)) {
		// 6.16+: unaccepted memory sits in MAX_PAGE_ORDER blocks.
		nr = 1ull << (pf->free_area_len - 1);
		c = KD_PAGE_FREE;
	} else if ((level & KD_DL_CACHE) && cache &&
		   !pagefilter_flag(flags, pf->pg_private) && !anon) {
		c = KD_PAGE_CACHE;
	} else if ((level & KD_DL_CACHE_PRIVATE) && cache && !anon) {
		c = pagefilter_flag(flags, pf->pg_private) ? KD_PAGE_CACHE_PRIVATE
						: KD_PAGE_CACHE;
	} else if ((level & KD_DL_USER) && (anon || pagefilter_is_hugetlb(pf, dtor))) {
		c = KD_PAGE_USER;
	} else if (pagefilter_opt_flag(flags, pf->pg_hwpoison)) {
		c = KD_PAGE_HWPOISON;
	} else if (pf->offline.has && !pagefilter_is_slab(pf, flags, mapcount) &&
		   pagefilter_is_type(mapcount, pf->offline)) {
		c = KD_PAGE_OFFLINE;
	} else {
		return NULL;
	}
	*nr_ret = nr;
	*class_ret = c;
	return NULL;
}

static struct kd_error *pagefilter_scan_window(struct kd_pagefilter *pf, struct pagefilter_window *w)
{
	uint64_t pfn = w->start;
	if (pf->pend_end > pf->pend_start) {
		uint64_t from = pf->pend_start, to = pf->pend_end;
		pf->pend_start = pf->pend_end = 0;
		if (to > w->start) {
			pagefilter_exclude(pf, w, from, to, pf->pend_class);
			pfn = to;
		}
	}
	while (pfn < w->end) {
		uint64_t i = pfn - w->start;
		if (i % 8 == 0 && w->present[i / 8] == 0 && w->end - pfn >= 8) {
			pfn += 8;
			continue;
		}
		if (!(w->present[i / 8] >> (i % 8) & 1)) {
			pfn++;
			continue;
		}
		uint64_t nr;
		enum kd_page_class c;
		struct kd_error *err = pagefilter_classify(pf, pfn, &nr, &c);
		if (err)
			return err;
		if (!nr) {
			pfn++;
			continue;
		}
		uint64_t to = nr > UINT64_MAX - pfn ? UINT64_MAX : pfn + nr;
		pagefilter_exclude(pf, w, pfn, to, c);
		pfn = to;
	}
	return NULL;
}

/* ------------------------------------------------------------------ API */

KD_EXPORT struct kd_error *kd_pagefilter_open(struct kd_kernel *kernel,
					      unsigned int dump_level,
					      struct kd_pagefilter **ret)
{
	struct kd_dump *dump = kernel->dump;
	if (dump_level > 31)
		return kd_error_create(KD_ERROR_INVALID,
			"dump level %u is not in 0-31", dump_level);
	struct kd_pagefilter *pf = calloc(1, sizeof(*pf));
	if (!pf)
		return &kd_enomem;
	pf->kernel = kernel;
	pf->dump = dump;
	pf->level = dump_level;
	struct kd_error *err = NULL;
	uint64_t ps;
	err = pagefilter_at(pf, kd_vmcoreinfo_opt(kernel->vi, KD_VI_KEY,
						  "PAGESIZE", 4096, &ps, NULL));
	if (err)
		goto fail;
	if (ps < 512 || ps > (1u << 20) || (ps & (ps - 1))) {
		err = kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO PAGESIZE=%" PRIu64 " is not a page size",
			dump->path, ps);
		goto fail;
	}
	pf->page_size = (uint32_t)ps;
	pf->page_shift = (unsigned int)__builtin_ctzll(ps);
	if (dump->nranges) {
		const struct kd_phys_range *r = &dump->ranges[dump->nranges - 1];
		uint64_t end = r->start + r->size;
		pf->max_pfn = (end >> pf->page_shift) + ((end & (ps - 1)) != 0);
	}
	pf->buf_pfn = UINT64_MAX;

	// makedumpfile create_2nd_bitmap(): mem_map is scanned for the cache,
	// user and free levels, and always when the kernel has PG_hwpoison
	// (hwpoison and offline pages go at every level).
	struct pagefilter_opt hwp;
	err = pagefilter_opt_number(pf, "PG_hwpoison", &hwp);
	if (err)
		goto fail;
	pf->scan = (dump_level & (KD_DL_CACHE | KD_DL_CACHE_PRIVATE |
				  KD_DL_USER | KD_DL_FREE)) || hwp.has;
	if (!pf->scan) {
		*ret = pf;
		return NULL;
	}
	if ((err = pagefilter_load_layout(pf)) || (err = pagefilter_load_sparsemem(pf)))
		goto fail;
	pf->buf = malloc(CHUNK_PFNS * pf->sp_size);
	pf->good = malloc(CHUNK_PFNS);
	pf->next = malloc(pf->sp_size);
	if (!pf->buf || !pf->good || !pf->next) {
		err = &kd_enomem;
		goto fail;
	}
	// mem_map must be there for some memory the dump holds.
	bool found = false;
	for (size_t i = 0; i < dump->nranges && !found; i++) {
		uint64_t pfn = (dump->ranges[i].start + ps - 1) >> pf->page_shift;
		uint64_t mm;
		if ((err = pagefilter_section_mem_map(pf, pfn >> pf->section_shift, &mm)))
			goto fail;
		found = mm != NO_MEM_MAP;
	}
	if (!found) {
		err = kd_error_create(KD_ERROR_NODATA,
			"%s: cannot filter pages: no mem_map found through VMCOREINFO SYMBOL(mem_section)=%#" PRIx64 " (not in the dump, or no section present)",
			dump->path, pf->mem_section);
		goto fail;
	}
	*ret = pf;
	return NULL;
fail:
	kd_pagefilter_close(pf);
	return err;
}

KD_EXPORT void kd_pagefilter_close(struct kd_pagefilter *pf)
{
	if (!pf)
		return;
	kd_dump_unmap(&pf->map);
	free(pf->buf);
	free(pf->good);
	free(pf->next);
	free(pf->present);
	free(pf);
}

KD_EXPORT uint64_t kd_pagefilter_max_pfn(const struct kd_pagefilter *pf)
{
	return pf->max_pfn;
}

KD_EXPORT uint32_t kd_pagefilter_page_size(const struct kd_pagefilter *pf)
{
	return pf->page_size;
}

KD_EXPORT struct kd_error *kd_pagefilter_window(struct kd_pagefilter *pf,
						uint64_t start_pfn,
						uint64_t npfns, uint8_t *present,
						uint8_t *keep,
						uint64_t counts[KD_PAGE_NCLASSES])
{
	if (start_pfn % 8 || npfns % 8 || npfns > UINT64_MAX - start_pfn ||
	    npfns / 8 > SIZE_MAX)
		return kd_error_create(KD_ERROR_INVALID,
			"page window [%#" PRIx64 ", +%#" PRIx64 ") is not made of whole bytes of bitmap",
			start_pfn, npfns);
	if (start_pfn < pf->next_pfn)
		return kd_error_create(KD_ERROR_INVALID,
			"page window at %#" PRIx64 " comes before the previous window's end %#" PRIx64,
			start_pfn, pf->next_pfn);
	size_t nbytes = (size_t)(npfns / 8);
	if (!present) {
		if (pf->present_cap < nbytes) {
			uint8_t *p = realloc(pf->present, nbytes);
			if (!p)
				return &kd_enomem;
			pf->present = p;
			pf->present_cap = nbytes;
		}
		present = pf->present;
	}
	uint64_t end = start_pfn + npfns;
	pagefilter_fill_present(pf, start_pfn, end, present);
	memcpy(keep, present, nbytes);
	if (pf->dump->ops->page_stored) {
		for (uint64_t i = 0; i < npfns; i++)
			if (present[i / 8] >> (i % 8) & 1 &&
			    !kd_dump_page_stored(pf->dump,
						 (start_pfn + i) << pf->page_shift,
						 pf->page_size))
				keep[i / 8] &= (uint8_t)~(1u << (i % 8));
	}
	pf->next_pfn = end;
	if (!pf->scan)
		return NULL;
	struct pagefilter_window w = {
		.start = start_pfn, .end = end, .present = present, .keep = keep,
		.counts = counts,
	};
	return pagefilter_scan_window(pf, &w);
}

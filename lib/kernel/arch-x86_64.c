// SPDX-License-Identifier: LGPL-2.1-or-later
// x86_64 kernel virtual addresses (Documentation/arch/x86/x86_64/mm.rst):
//  - the kernel text mapping at __START_KERNEL_map, shifted by phys_base
//    (where the kernel was loaded) and KASLR (KERNELOFFSET);
//  - the direct map of all physical memory at page_offset_base, randomized
//    with KASLR (read from the kernel variable once symbols are known);
//  - everything else (vmalloc, vmemmap, modules, per-cpu) through the page
//    tables rooted at init_top_pgt, with 4- or 5-level paging.
#include "kernel/kernel.h"

#include <inttypes.h>

#define START_KERNEL_MAP 0xffffffff80000000ULL
// arch/x86/include/asm/page_64_types.h: 512 MiB without KASLR, 1 GiB with.
#define DEFAULT_KERNEL_IMAGE_SIZE (512ULL << 20)
// Physical address bits of a page-table entry (PTE_PFN_MASK, 52-bit phys).
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
#define PTE_PRESENT 0x1ULL
#define PTE_PSE 0x80ULL
struct x86_64_state {
	uint64_t phys_base;
	uint64_t image_size;
	uint64_t pgd_paddr;	/* physical address of init_top_pgt */
	uint64_t pte_mask;	/* PTE_ADDR_MASK without the SME encryption bit */
	uint64_t direct_map_limit;	/* end of physical memory in the dump */
};

static struct x86_64_state *x86_64_state_of(struct kd_kernel *k)
{
	return k->arch_state;
}

static bool x86_64_in_text_mapping(const struct x86_64_state *s, uint64_t vaddr)
{
	return vaddr >= START_KERNEL_MAP && vaddr - START_KERNEL_MAP < s->image_size;
}

// phys_base when VMCOREINFO lacks NUMBER(phys_base) (before Linux 4.10):
// the PT_LOAD that maps the kernel text gives it.
static struct kd_error *x86_64_phys_base_from_ranges(struct kd_kernel *k,
						     uint64_t *ret)
{
	for (size_t i = 0; i < k->dump->nranges; i++) {
		const struct kd_phys_range *r = &k->dump->ranges[i];
		if (r->vaddr >= START_KERNEL_MAP) {
			*ret = r->start - (r->vaddr - START_KERNEL_MAP);
			return NULL;
		}
	}
	return kd_error_create(KD_ERROR_NOTFOUND,
		"%s: cannot find phys_base (no NUMBER(phys_base) in VMCOREINFO and no kernel text segment)",
		k->dump->path);
}

static struct kd_error *x86_64_init(struct kd_kernel *k)
{
	struct x86_64_state *s = x86_64_state_of(k);
	const struct kd_vmcoreinfo *vi = k->vi;
	struct kd_error *err;
	int64_t n;

	err = kd_vmcoreinfo_number(vi, "phys_base", &n);
	if (!err) {
		s->phys_base = (uint64_t)n;
	} else {
		kd_error_destroy(err);
		err = x86_64_phys_base_from_ranges(k, &s->phys_base);
		if (err)
			return err;
	}
	s->image_size = DEFAULT_KERNEL_IMAGE_SIZE;
	err = kd_vmcoreinfo_number(vi, "KERNEL_IMAGE_SIZE", &n);
	if (!err && n > 0)
		s->image_size = (uint64_t)n;
	kd_error_destroy(err);

	k->paging_levels = 4;
	err = kd_vmcoreinfo_number(vi, "pgtable_l5_enabled", &n);
	if (!err && n)
		k->paging_levels = 5;
	kd_error_destroy(err);

	s->pte_mask = PTE_ADDR_MASK;
	err = kd_vmcoreinfo_number(vi, "sme_mask", &n);
	if (!err)
		s->pte_mask &= ~(uint64_t)n;
	kd_error_destroy(err);

	uint64_t pgd;
	err = kd_vmcoreinfo_symbol(vi, "init_top_pgt", &pgd);
	if (err) {
		kd_error_destroy(err);
		err = kd_vmcoreinfo_symbol(vi, "swapper_pg_dir", &pgd);
	}
	if (err) {
		// Without page tables only the text and direct maps work.
		kd_error_destroy(err);
		s->pgd_paddr = UINT64_MAX;
	} else if (!x86_64_in_text_mapping(s, pgd)) {
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO init_top_pgt %#" PRIx64 " is outside the kernel text mapping",
			k->dump->path, pgd);
	} else {
		s->pgd_paddr = pgd - START_KERNEL_MAP + s->phys_base;
	}

	const struct kd_phys_range *last = &k->dump->ranges[k->dump->nranges - 1];
	s->direct_map_limit = last->start + last->size;
	// arch/x86/include/asm/sparsemem.h: MAX_PHYSMEM_BITS is 52 with
	// 5-level paging, 46 with 4-level; VMCOREINFO exports it (5.8+).
	// Memory above it is a corrupt header; bounding it bounds every pfn
	// range built on the dump (page filter, save's bitmaps and windows).
	int64_t bits = k->paging_levels == 5 ? 52 : 46;
	err = kd_vmcoreinfo_number(vi, "MAX_PHYSMEM_BITS", &n);
	if (!err && (n < 20 || n > 52))
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO NUMBER(MAX_PHYSMEM_BITS)=%" PRId64 " is out of range (20..52)",
			k->dump->path, n);
	if (!err)
		bits = n;
	kd_error_destroy(err);
	if (s->direct_map_limit > UINT64_C(1) << bits)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: memory range [%#" PRIx64 ", %#" PRIx64 ") lies above MAX_PHYSMEM_BITS=%" PRId64 " of the dumped kernel",
			k->dump->path, last->start, s->direct_map_limit, bits);

	// Until symbols tell page_offset_base, the ELF headers do: /proc/vmcore
	// gives System RAM segments p_vaddr = __va(p_paddr) (kernel
	// crash_prepare_elf64_headers(), kexec-tools crashdump-elf.c).
	// Never guess it: with KASLR a guessed base can overlap the real direct
	// map and translate wrongly; an unknown base (0) means page walks.
	k->direct_map_base = 0;
	for (size_t i = 0; i < k->dump->nranges; i++) {
		const struct kd_phys_range *r = &k->dump->ranges[i];
		if (r->vaddr && r->vaddr < START_KERNEL_MAP && r->vaddr >= r->start) {
			k->direct_map_base = r->vaddr - r->start;
			break;
		}
	}
	return NULL;
}

static uint64_t x86_64_pt_index(uint64_t vaddr, unsigned int level)
{
	// level 1 = PTE (bits 12..20) ... level 5 = PGD with LA57 (48..56)
	return (vaddr >> (12 + 9 * (level - 1))) & 0x1ff;
}

// Walk the page tables; *extent_ret (if not NULL) gets the bytes from vaddr
// to the end of the page that maps it.
static struct kd_error *x86_64_walk(struct kd_kernel *k, uint64_t vaddr, uint64_t *ret,
				    uint64_t *extent_ret)
{
	struct x86_64_state *s = x86_64_state_of(k);
	if (s->pgd_paddr == UINT64_MAX)
		return kd_error_create(KD_ERROR_FAULT,
			"%s: cannot translate %#" PRIx64 ": no page table root in VMCOREINFO",
			k->dump->path, vaddr);
	uint64_t table = s->pgd_paddr;
	for (unsigned int level = k->paging_levels; level >= 1; level--) {
		uint8_t raw[8];
		uint64_t ea = table + 8 * x86_64_pt_index(vaddr, level);
		struct kd_error *err = kd_dump_read_phys(k->dump, ea, raw, 8);
		if (err) {
			if (!kd_error_catch(&err, KD_ERROR_NODATA))
				return err;
			return kd_error_create(KD_ERROR_FAULT,
				"%s: cannot translate %#" PRIx64 ": level-%u page table at %#" PRIx64 " is not in the dump",
				k->dump->path, vaddr, level, table);
		}
		uint64_t e = kd_le64(raw);
		if (!(e & PTE_PRESENT))
			return kd_error_create(KD_ERROR_FAULT,
				"%s: virtual address %#" PRIx64 " is not mapped (level-%u entry %#" PRIx64 ")",
				k->dump->path, vaddr, level, e);
		// 1 GiB pages at the PUD level, 2 MiB at the PMD level.
		if ((level == 3 || level == 2) && (e & PTE_PSE)) {
			uint64_t page_mask = (1ULL << (12 + 9 * (level - 1))) - 1;
			*ret = ((e & s->pte_mask) & ~page_mask) | (vaddr & page_mask);
			if (extent_ret)
				*extent_ret = page_mask + 1 - (vaddr & page_mask);
			return NULL;
		}
		table = e & s->pte_mask;
		if (level == 1) {
			*ret = table | (vaddr & 0xfff);
			if (extent_ret)
				*extent_ret = 0x1000 - (vaddr & 0xfff);
			return NULL;
		}
	}
	return NULL; // not reached: level 1 always returns
}

static struct kd_error *x86_64_vtop_extent(struct kd_kernel *k, uint64_t vaddr,
					   uint64_t *ret, uint64_t *extent_ret)
{
	// The text and direct maps are linear: contiguous to their ends.
	struct x86_64_state *s = x86_64_state_of(k);
	if (x86_64_in_text_mapping(s, vaddr)) {
		*ret = vaddr - START_KERNEL_MAP + s->phys_base;
		*extent_ret = s->image_size - (vaddr - START_KERNEL_MAP);
		return NULL;
	}
	if (k->direct_map_base && vaddr >= k->direct_map_base &&
	    vaddr - k->direct_map_base < s->direct_map_limit) {
		*ret = vaddr - k->direct_map_base;
		*extent_ret = s->direct_map_limit - *ret;
		return NULL;
	}
	return x86_64_walk(k, vaddr, ret, extent_ret);
}

static struct kd_error *x86_64_vtop(struct kd_kernel *k, uint64_t vaddr,
				    uint64_t *ret)
{
	uint64_t extent;
	return x86_64_vtop_extent(k, vaddr, ret, &extent);
}

static struct kd_error *x86_64_init_symbols(struct kd_kernel *k)
{
	// With KASLR (CONFIG_RANDOMIZE_MEMORY) the direct map moves; the
	// kernel keeps its base in page_offset_base. VMCOREINFO does not
	// export it, kallsyms or System.map do.
	uint64_t addr, base;
	struct kd_error *err = kd_kernel_symbol(k, "page_offset_base", &addr);
	if (err) {
		kd_error_destroy(err);
		return NULL;
	}
	err = kd_kernel_read_u64(k, addr, &base);
	if (err)
		return kd_error_prefix(err, "reading page_offset_base");
	k->direct_map_base = base;
	return NULL;
}

const struct kd_arch_ops kd_arch_x86_64 = {
	.name = "x86_64",
	.elf_machine = 62, // EM_X86_64
	.init = x86_64_init,
	.vtop = x86_64_vtop,
	.init_symbols = x86_64_init_symbols,
	.image_start = START_KERNEL_MAP,
	.arch_size = sizeof(struct x86_64_state),
	.vtop_extent = x86_64_vtop_extent,
};

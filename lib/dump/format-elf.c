// SPDX-License-Identifier: LGPL-2.1-or-later
// ELF64 core files as the kernel's /proc/vmcore produces them (fs/proc/vmcore.c,
// kernel/crash_core.c) and as kexec-tools builds their headers
// (kexec/crashdump-elf.c): PT_NOTE segments with NT_PRSTATUS per CPU and
// VMCOREINFO, PT_LOAD segments whose p_paddr is physical memory.
// The running kernel's /proc/kcore (fs/proc/kcore.c) is read by the same
// code as the format "kcore": its PT_LOADs are virtual-address segments
// (direct map, vmalloc, vmemmap, kernel text, modules) whose p_offset is
// vaddr - PAGE_OFFSET + the data offset; only the direct map's (KCORE_RAM,
// p_paddr = __pa(vaddr)) and the kernel text's (KCORE_TEXT, __pa_symbol)
// carry a physical address (since Linux 4.11), the others p_paddr = -1.
// Since 4.19 its note segment holds VMCOREINFO ("VMCOREINFO", type 0)
// after the CORE notes; its NT_PRSTATUS is all zeros.
#include "dump/dump.h"

#include <elf.h>

_Static_assert(sizeof(Elf64_Ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(Elf64_Phdr) == 56, "ELF64 program header is 56 bytes");

// Enough for any real machine (one PT_LOAD per RAM range); bounds memory
// use on hostile headers.
#define MAX_PHDRS 65535u
// PT_NOTE holds a few KiB per CPU; 64 MiB bounds hostile input.
#define MAX_NOTES_SIZE (64u << 20)

static bool elf_probe(const uint8_t *head, size_t len)
{
	return len >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG);
}

struct elf_hdr {
	uint16_t type, machine, phentsize;
	uint32_t phnum;
	uint64_t phoff;
};

struct elf_phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

static struct kd_error *elf_read_ehdr(struct kd_dump *dump, struct elf_hdr *ret)
{
	uint8_t e[sizeof(Elf64_Ehdr)];
	if (dump->file_size < sizeof(e))
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: file is truncated (%llu bytes, shorter than an ELF header)",
			dump->path, (unsigned long long)dump->file_size);
	struct kd_error *err = kd_dump_pread(dump, e, sizeof(e), 0);
	if (err)
		return err;
	if (e[EI_CLASS] == ELFCLASS32)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: 32-bit ELF cores are not supported", dump->path);
	if (e[EI_CLASS] != ELFCLASS64)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: bad ELF class %u", dump->path, e[EI_CLASS]);
	if (e[EI_DATA] != ELFDATA2LSB && e[EI_DATA] != ELFDATA2MSB)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: bad ELF data encoding %u", dump->path, e[EI_DATA]);
	dump->big_endian = e[EI_DATA] == ELFDATA2MSB;
	ret->type = kd_dump_u16(dump, e + offsetof(Elf64_Ehdr, e_type));
	ret->machine = kd_dump_u16(dump, e + offsetof(Elf64_Ehdr, e_machine));
	ret->phoff = kd_dump_u64(dump, e + offsetof(Elf64_Ehdr, e_phoff));
	ret->phentsize = kd_dump_u16(dump, e + offsetof(Elf64_Ehdr, e_phentsize));
	ret->phnum = kd_dump_u16(dump, e + offsetof(Elf64_Ehdr, e_phnum));
	if (ret->type != ET_CORE)
		return kd_error_create(KD_ERROR_FORMAT,
			"%s: ELF file is not a core dump (e_type %u)",
			dump->path, ret->type);
	if (ret->phentsize != sizeof(Elf64_Phdr))
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: bad ELF program header size %u", dump->path,
			ret->phentsize);
	// PN_XNUM (e_phnum 0xffff) moves the count into sh_info of section
	// 0 (elf(5)); filtered ELF dumps (kexdump save --format elf) can
	// have that many segments.
	if (ret->phnum == PN_XNUM) {
		uint64_t shoff = kd_dump_u64(dump, e + offsetof(Elf64_Ehdr, e_shoff));
		uint8_t sh[sizeof(Elf64_Shdr)];
		if (shoff > dump->file_size || dump->file_size - shoff < sizeof(sh))
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: e_phnum is PN_XNUM but section 0 lies past the end of the file",
				dump->path);
		if ((err = kd_dump_pread(dump, sh, sizeof(sh), shoff)))
			return err;
		ret->phnum = kd_dump_u32(dump, sh + offsetof(Elf64_Shdr, sh_info));
	}
	if (ret->phnum == 0 || ret->phnum > (1u << 24))
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: ELF core has %u program headers", dump->path,
			ret->phnum);
	if (ret->phoff > dump->file_size ||
	    (uint64_t)ret->phnum * sizeof(Elf64_Phdr) > dump->file_size - ret->phoff)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: file is truncated (program headers end past %llu bytes)",
			dump->path, (unsigned long long)dump->file_size);
	dump->machine = ret->machine;
	return NULL;
}

static void elf_parse_phdr(const struct kd_dump *d, const uint8_t *p,
			   struct elf_phdr *ph)
{
	ph->type = kd_dump_u32(d, p + offsetof(Elf64_Phdr, p_type));
	ph->offset = kd_dump_u64(d, p + offsetof(Elf64_Phdr, p_offset));
	ph->vaddr = kd_dump_u64(d, p + offsetof(Elf64_Phdr, p_vaddr));
	ph->paddr = kd_dump_u64(d, p + offsetof(Elf64_Phdr, p_paddr));
	ph->filesz = kd_dump_u64(d, p + offsetof(Elf64_Phdr, p_filesz));
	ph->memsz = kd_dump_u64(d, p + offsetof(Elf64_Phdr, p_memsz));
}

static struct kd_error *elf_check_extent(const struct kd_dump *dump, size_t i,
					 const struct elf_phdr *ph)
{
	if (ph->offset > dump->file_size ||
	    ph->filesz > dump->file_size - ph->offset)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: file is truncated: segment %zu needs %llu bytes at offset %#llx but the file has %llu",
			dump->path, i, (unsigned long long)ph->filesz,
			(unsigned long long)ph->offset,
			(unsigned long long)dump->file_size);
	return NULL;
}

// *total_ret: the bytes of the note segments read so far. Together they
// cannot be more than the file holds: PT_NOTE headers that all point at the
// same bytes would otherwise have them read and copied once each.
static struct kd_error *elf_read_note_segment(struct kd_dump *dump, size_t i,
					      const struct elf_phdr *ph,
					      uint64_t *total_ret)
{
	if (ph->filesz > MAX_NOTES_SIZE)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: note segment %zu is implausibly large (%llu bytes)",
			dump->path, i, (unsigned long long)ph->filesz);
	if (ph->filesz > dump->file_size - *total_ret)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: note segment %zu (p_offset %#llx, p_filesz %llu) brings the PT_NOTE segments to more bytes than the file's %llu: they overlap",
			dump->path, i, (unsigned long long)ph->offset,
			(unsigned long long)ph->filesz,
			(unsigned long long)dump->file_size);
	*total_ret += ph->filesz;
	uint8_t *buf = malloc(ph->filesz ? ph->filesz : 1);
	if (!buf)
		return &kd_enomem;
	struct kd_error *err = kd_dump_pread(dump, buf, ph->filesz, ph->offset);
	if (!err)
		err = kd_dump_parse_notes(dump, buf, ph->filesz);
	free(buf);
	return err;
}

static struct kd_error *elf_open(struct kd_dump *dump)
{
	struct elf_hdr eh = {0};
	struct kd_error *err = elf_read_ehdr(dump, &eh);
	if (err)
		return err;
	size_t phsize = (size_t)eh.phnum * sizeof(Elf64_Phdr);
	uint8_t *phdrs = malloc(phsize);
	if (!phdrs)
		return &kd_enomem;
	err = kd_dump_pread(dump, phdrs, phsize, eh.phoff);
	if (err)
		goto out;
	// Up to two ranges per segment: its file bytes and its zero tail.
	dump->ranges = calloc(2 * (size_t)eh.phnum, sizeof(*dump->ranges));
	dump->range_offsets = calloc(2 * (size_t)eh.phnum, sizeof(*dump->range_offsets));
	if (!dump->ranges || !dump->range_offsets) {
		err = &kd_enomem;
		goto out;
	}
	uint64_t notes_total = 0;
	bool kcore = dump->ops == &kd_format_kcore;
	size_t kcore_at_zero = 0;
	for (size_t i = 0; i < eh.phnum; i++) {
		struct elf_phdr ph;
		elf_parse_phdr(dump, phdrs + i * sizeof(Elf64_Phdr), &ph);
		if (ph.type != PT_NOTE && ph.type != PT_LOAD)
			continue;
		// A dump kexdump save marked incomplete (its KEXDUMP note,
		// read with the notes before the PT_LOADs) may stop anywhere:
		// what lies past the end of the file is missing, not corrupt.
		bool clipped = false;
		if (ph.type == PT_LOAD && dump->incomplete &&
		    (ph.offset > dump->file_size ||
		     ph.filesz > dump->file_size - ph.offset)) {
			bool none = ph.offset > dump->file_size;
			ph.filesz = none ? 0 : dump->file_size - ph.offset;
			ph.offset = none ? 0 : ph.offset;
			clipped = true;
		}
		err = elf_check_extent(dump, i, &ph);
		if (err)
			goto out;
		if (ph.type == PT_NOTE) {
			err = elf_read_note_segment(dump, i, &ph, &notes_total);
			if (err)
				goto out;
			continue;
		}
		// kcore: vmalloc, vmemmap, modules and the like are not
		// physical memory (p_paddr -1); kernels before 4.11 left
		// every p_paddr 0, which says nothing either.
		if (kcore && (ph.paddr == UINT64_MAX || (ph.paddr == 0 && kcore_at_zero++)))
			continue;
		if (ph.paddr + ph.filesz < ph.paddr ||
		    ph.paddr + ph.memsz < ph.paddr) {
			err = kd_error_create(KD_ERROR_CORRUPT,
				"%s: segment %zu wraps around the physical address space",
				dump->path, i);
			goto out;
		}
		if (ph.paddr + ph.memsz > KD_MAX_PHYS_ADDR ||
		    ph.paddr + ph.filesz > KD_MAX_PHYS_ADDR) {
			err = kd_error_create(KD_ERROR_CORRUPT,
				"%s: segment %zu: p_paddr %#llx + p_memsz %#llx ends past 2^%d, the largest physical address space",
				dump->path, i, (unsigned long long)ph.paddr,
				(unsigned long long)ph.memsz, KD_MAX_PHYS_BITS);
			goto out;
		}
		if (ph.filesz) {
			struct kd_phys_range *r = &dump->ranges[dump->nranges];
			r->start = ph.paddr;
			r->size = ph.filesz;
			r->vaddr = ph.vaddr;
			dump->range_offsets[dump->nranges++] = ph.offset;
		}
		// Bytes between p_filesz and p_memsz read as zeros (the ELF
		// rule gdb and crash follow; makedumpfile -E and kexdump save
		// leave zero pages out this way) -- unless the segment was cut
		// short by an incomplete save: then they are missing.
		if (ph.memsz > ph.filesz && !clipped) {
			struct kd_phys_range *r = &dump->ranges[dump->nranges];
			r->start = ph.paddr + ph.filesz;
			r->size = ph.memsz - ph.filesz;
			r->vaddr = ph.vaddr ? ph.vaddr + ph.filesz : 0;
			dump->range_offsets[dump->nranges++] = KD_RANGE_ZERO;
		}
	}
	if (kcore && kcore_at_zero > 1) {
		err = kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: its segments carry no physical addresses (p_paddr 0: a kernel before 4.11)",
			dump->path);
		goto out;
	}
	if (!dump->nranges) {
		err = kd_error_create(KD_ERROR_CORRUPT,
			"%s: ELF core has no memory (no PT_LOAD segment)", dump->path);
		goto out;
	}
	err = kd_dump_finish_ranges(dump);
out:
	free(phdrs);
	return err;
}

static struct kd_error *elf_read_phys(struct kd_dump *dump, size_t range,
				      uint64_t paddr, void *buf, size_t len)
{
	if (dump->range_offsets[range] == KD_RANGE_ZERO) {
		memset(buf, 0, len);
		return NULL;
	}
	uint64_t off = dump->range_offsets[range] +
		       (paddr - dump->ranges[range].start);
	return kd_dump_pread(dump, buf, len, off);
}

// Never claims a file by its bytes: dump.c chooses it for /proc/kcore.
static bool elf_probe_kcore(const uint8_t *head, size_t len)
{
	(void)head;
	(void)len;
	return false;
}

const struct kd_format_ops kd_format_kcore = {
	.name = "kcore",
	.probe = elf_probe_kcore,
	.open = elf_open,
	.read_phys = elf_read_phys,
};

const struct kd_format_ops kd_format_elf = {
	.name = "elf",
	.probe = elf_probe,
	.open = elf_open,
	.read_phys = elf_read_phys,
};

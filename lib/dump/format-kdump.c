// SPDX-License-Identifier: LGPL-2.1-or-later
// The kdump-compressed format that makedumpfile writes (makedumpfile's
// diskdump_mod.h and makedumpfile.c write_kdump_header/write_kdump_pages*;
// the crash utility's diskdump.c reads it):
//
//   block 0                 struct disk_dump_header ("KDUMP   ")
//   block 1                 struct kdump_sub_header (sub_hdr_size blocks)
//   bitmap_blocks blocks    1st bitmap (memory present), 2nd bitmap (pages
//                           dumped), each half of the area, bit pfn%8 of
//                           byte pfn/8
//   page descriptors        struct page_desc, one per pfn set in the 2nd
//                           bitmap, in pfn order
//   page data, notes, VMCOREINFO, eraseinfo at the offsets the sub header
//   and descriptors give.
//
// A block is one page. Fields are in the dumped machine's byte order and
// laid out as x86_64 (LP64) lays out the C structs; only little-endian
// dumps are handled.
#include "dump/codec.h"
#include "dump/dump.h"
#include "dump/kdump-layout.h"

#include <elf.h>

// Page sizes of the machines makedumpfile supports (4 KiB to 256 KiB).
#define MIN_BLOCK_SIZE 4096u
#define MAX_BLOCK_SIZE (256u << 10)
// Each bitmap covers at most 2^34 pfns (64 TiB of 4 KiB pages); bounds the
// 2nd bitmap held in memory to 2 GiB on hostile headers. Real ones are
// a few MiB.
#define MAX_BITMAP_BYTES (1ull << 31)
// Notes hold a few KiB per CPU; VMCOREINFO a few KiB.
#define MAX_NOTES_SIZE (64u << 20)
// Descriptors read at a time: sequential page reads cost one read per
// DESC_BATCH pages.
#define DESC_BATCH 256u

struct kdump {
	struct kd_kdump_source src;
	uint32_t page_size;
	unsigned int page_shift;
	uint64_t max_mapnr;
	uint64_t desc_off;	// logical offset of descriptor 0
	uint64_t ndescs;	// pages set in the 2nd bitmap
	// Descriptors [dcache_first, dcache_first + dcache_n).
	uint8_t *dcache;
	uint64_t dcache_first;
	size_t dcache_n;
	// The last page decompressed.
	uint8_t *page, *cbuf;
	uint64_t cached_pfn;
	bool page_valid;
	struct kd_codec_state codec;
};

static bool kdump_probe(const uint8_t *head, size_t len)
{
	return len >= 8 && !memcmp(head, "KDUMP   ", 8);
}

static struct kd_error *kdump_src_read(struct kd_dump *dump, struct kdump *kd,
				       void *buf, size_t len, uint64_t off,
				       const char *what)
{
	if (off > kd->src.size || len > kd->src.size - off)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: file is truncated: %s (%zu bytes at offset %#llx) ends past its %llu bytes%s",
			dump->path, what, len, (unsigned long long)off,
			(unsigned long long)kd->src.size,
			dump->incomplete ? " (an incomplete dump: its save was cut short)" : "");
	return kd->src.read(dump, kd->src.arg, buf, len, off);
}

static struct kd_error *kdump_corrupt(struct kd_dump *dump, const char *what)
{
	return kd_error_create(KD_ERROR_CORRUPT, "%s: bad kdump-compressed header: %s",
			       dump->path, what);
}

// The (little-endian) machine named in utsname.machine.
static uint16_t kdump_machine_of(const uint8_t *dh)
{
	char m[UTS_FIELD + 1];
	memcpy(m, dh + UTS_MACHINE, UTS_FIELD);
	m[UTS_FIELD] = '\0';
	if (!strcmp(m, "x86_64"))
		return EM_X86_64;
	if (!strcmp(m, "aarch64"))
		return EM_AARCH64;
	return EM_NONE;
}

// Read the notes section (and VMCOREINFO when the notes lack it).
static struct kd_error *kdump_read_notes(struct kd_dump *dump, struct kdump *kd,
					 const uint8_t *kh)
{
	uint64_t off = kd_le64(kh + KH_OFFSET_NOTE);
	uint64_t size = kd_le64(kh + KH_SIZE_NOTE);
	if (size > MAX_NOTES_SIZE)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: ELF notes are implausibly large (%llu bytes)",
			dump->path, (unsigned long long)size);
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return &kd_enomem;
	struct kd_error *err = kdump_src_read(dump, kd, buf, size, off, "the ELF notes");
	if (!err)
		err = kd_dump_parse_notes(dump, buf, size);
	free(buf);
	if (err || dump->vmcoreinfo)
		return err;
	// makedumpfile also stores VMCOREINFO's text on its own.
	off = kd_le64(kh + KH_OFFSET_VMCOREINFO);
	size = kd_le64(kh + KH_SIZE_VMCOREINFO);
	if (!size)
		return NULL;
	if (size > MAX_NOTES_SIZE)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO is implausibly large (%llu bytes)",
			dump->path, (unsigned long long)size);
	buf = malloc(size);
	if (!buf)
		return &kd_enomem;
	err = kdump_src_read(dump, kd, buf, size, off, "VMCOREINFO");
	if (!err)
		err = kd_dump_add_note(dump, "VMCOREINFO", 0, buf, size);
	free(buf);
	return err;
}

// The runs of set bits of the 2nd bitmap, fed a chunk at a time so that
// the bitmap is never held whole (it is 1/32768 of the memory it maps:
// 2 GiB for 64 TiB).
struct kdump_runs {
	unsigned int shift;
	struct kd_phys_range *ranges;	// NULL: only count
	uint64_t *first_desc;
	size_t cap;			// entries of ranges when not NULL
	size_t nruns;
	uint64_t pages, run_start;
	bool in_run;
};

static void kdump_runs_end(struct kdump_runs *rs, uint64_t pfn)
{
	if (rs->ranges && rs->nruns < rs->cap) {
		rs->ranges[rs->nruns].start = rs->run_start << rs->shift;
		rs->ranges[rs->nruns].size = (pfn - rs->run_start) << rs->shift;
		rs->first_desc[rs->nruns] = rs->pages;
	}
	rs->pages += pfn - rs->run_start;
	rs->nruns++;
}

// Bits [base, base + 8 * nbytes) from bm; base is a multiple of 64.
static void kdump_runs_feed(struct kdump_runs *rs, const uint8_t *bm, size_t nbytes,
			    uint64_t base)
{
	for (size_t o = 0; o < nbytes; o += 8, base += 64) {
		uint64_t w = 0;
		if (nbytes - o >= 8)
			w = kd_le64(bm + o);
		else
			for (size_t b = o; b < nbytes; b++)
				w |= (uint64_t)bm[b] << (8 * (b - o));
		// Whole words of one value are the common case in real dumps.
		if ((w == 0 && !rs->in_run) || (w == ~0ull && rs->in_run))
			continue;
		for (unsigned int b = 0; b < 64; b++) {
			bool set = w >> b & 1;
			if (set == rs->in_run)
				continue;
			if (set)
				rs->run_start = base + b;
			else
				kdump_runs_end(rs, base + b);
			rs->in_run = set;
		}
	}
}

// Bitmap bytes read and scanned at a time.
#define BITMAP_CHUNK (1u << 20)

// Scan the first nbits bits of the 2nd bitmap at off into rs.
static struct kd_error *kdump_scan_bitmap(struct kd_dump *dump, struct kdump *kd,
					  uint8_t *buf, uint64_t off, uint64_t nbits,
					  struct kdump_runs *rs)
{
	uint64_t nbytes = (nbits + 7) / 8;
	for (uint64_t done = 0; done < nbytes;) {
		size_t n = nbytes - done < BITMAP_CHUNK ? (size_t)(nbytes - done)
							: BITMAP_CHUNK;
		struct kd_error *err = kdump_src_read(dump, kd, buf, n, off + done,
						      "the 2nd bitmap");
		if (err)
			return err;
		// Bits past max_mapnr in the last byte are not pages.
		if (done + n == nbytes && nbits % 8)
			buf[n - 1] &= (uint8_t)((1u << (nbits % 8)) - 1);
		kdump_runs_feed(rs, buf, n, done * 8);
		done += n;
	}
	if (rs->in_run)
		kdump_runs_end(rs, nbits);
	return NULL;
}

static struct kd_error *kdump_read_bitmap(struct kd_dump *dump, struct kdump *kd,
					  uint64_t bitmap_off, uint64_t bitmap_len)
{
	// The 2nd bitmap is the second half of the bitmap area.
	uint64_t nbytes = (kd->max_mapnr + 7) / 8, off = bitmap_off + bitmap_len / 2;
	uint64_t nbits = kd->max_mapnr;
	// An incomplete dump (kexdump save writes its header first) may end
	// before or inside its bitmaps: the pages they do not list are not
	// in it.
	if (dump->incomplete) {
		uint64_t have = off >= kd->src.size ? 0 : kd->src.size - off;
		if (have < nbytes) {
			nbytes = have;
			nbits = have * 8;
		}
	}
	// A flattened image reads its holes as zeros: a bitmap larger than
	// the bytes the file stores is not one makedumpfile wrote, and would
	// cost its whole size in time to scan.
	if (nbytes > kd->src.stored)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: bad kdump-compressed header: max_mapnr %llu needs a 2nd bitmap of %llu bytes but the file stores only %llu bytes of the image",
			dump->path, (unsigned long long)kd->max_mapnr,
			(unsigned long long)nbytes, (unsigned long long)kd->src.stored);
	uint8_t *buf = malloc(nbytes < BITMAP_CHUNK ? (size_t)nbytes + 1 : BITMAP_CHUNK);
	if (!buf)
		return &kd_enomem;
	struct kdump_runs rs = { .shift = kd->page_shift };
	struct kd_error *err = kdump_scan_bitmap(dump, kd, buf, off, nbits, &rs);
	if (err)
		goto out;
	if (!rs.nruns && dump->incomplete) {
		err = kd_error_create(KD_ERROR_CORRUPT,
			"%s: incomplete kdump-compressed dump: cut short before its bitmaps, it holds no pages",
			dump->path);
		goto out;
	}
	if (!rs.nruns) {
		err = kd_error_create(KD_ERROR_CORRUPT,
			"%s: kdump-compressed dump holds no pages (2nd bitmap is empty)",
			dump->path);
		goto out;
	}
	// Every page set has a descriptor: a complete dump must hold them
	// all, and the ranges (one per run, 32 bytes each) are then bounded
	// by the file's size. An incomplete one may stop inside its
	// descriptors, yet its bitmap is whole in the file: up to 4 runs per
	// byte of it in theory, while real ones have far fewer (runs of
	// pages of one kind); at most one per 8 bytes of file is accepted.
	if (!dump->incomplete && rs.pages > (kd->src.size - kd->desc_off) / PD_LEN) {
		err = kd_error_create(KD_ERROR_CORRUPT,
			"%s: file is truncated: %llu page descriptors at %#llx end past its %llu bytes",
			dump->path, (unsigned long long)rs.pages,
			(unsigned long long)kd->desc_off,
			(unsigned long long)kd->src.size);
		goto out;
	}
	if (dump->incomplete && rs.nruns > (1u << 20) && rs.nruns > kd->src.stored / 8) {
		err = kd_error_create(KD_ERROR_CORRUPT,
			"%s: the 2nd bitmap of the incomplete dump has %zu runs of pages, more than its %llu bytes can describe",
			dump->path, rs.nruns, (unsigned long long)kd->src.stored);
		goto out;
	}
	size_t n = rs.nruns;
	dump->ranges = calloc(n, sizeof(*dump->ranges));
	dump->range_offsets = calloc(n, sizeof(*dump->range_offsets));
	if (!dump->ranges || !dump->range_offsets) {
		err = &kd_enomem;
		goto out;
	}
	rs = (struct kdump_runs){
		.shift = kd->page_shift, .ranges = dump->ranges,
		.first_desc = dump->range_offsets, .cap = n,
	};
	err = kdump_scan_bitmap(dump, kd, buf, off, nbits, &rs);
	if (err)
		goto out;
	dump->nranges = rs.nruns < n ? rs.nruns : n;
	kd->ndescs = rs.pages;
out:
	free(buf);
	return err;
}

struct kd_error *kd_kdump_open_source(struct kd_dump *dump,
				      const struct kd_kdump_source *src)
{
	struct kdump *kd = calloc(1, sizeof(*kd));
	if (!kd) {
		if (src->free_arg)
			src->free_arg(src->arg);
		return &kd_enomem;
	}
	kd->src = *src;
	dump->priv = kd;

	uint8_t dh[DH_SIZE], kh[KH_SIZE];
	struct kd_error *err = kdump_src_read(dump, kd, dh, sizeof(dh), 0,
					      "the disk_dump_header");
	if (err)
		return err;
	int32_t version = (int32_t)kd_le32(dh + DH_HEADER_VERSION);
	if (version < 0 || version > 0xffff)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: kdump-compressed header version %#x: big-endian dumps are not supported",
			dump->path, (unsigned)version);
	// Versions 1-3 (makedumpfile before 1.3) have no ELF notes, so no
	// CPU registers; such dumps are rare enough not to be worth a path
	// of their own.
	if (version < 4)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: kdump-compressed header version %d has no ELF notes (needs version 4 or later, makedumpfile 1.3+)",
			dump->path, version);
	uint32_t status = kd_le32(dh + DH_STATUS);
	uint32_t block_size = kd_le32(dh + DH_BLOCK_SIZE);
	uint32_t sub_hdr_size = kd_le32(dh + DH_SUB_HDR_SIZE);
	uint32_t bitmap_blocks = kd_le32(dh + DH_BITMAP_BLOCKS);
	// The flattened reader may already know the image is cut short.
	if (status & DUMP_DH_COMPRESSED_INCOMPLETE)
		dump->incomplete = true;
	dump->machine = kdump_machine_of(dh);
	dump->big_endian = false;
	if (block_size < MIN_BLOCK_SIZE || block_size > MAX_BLOCK_SIZE ||
	    (block_size & (block_size - 1)))
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: bad kdump-compressed header: block size %u is not a page size",
			dump->path, block_size);
	kd->page_size = block_size;
	kd->page_shift = (unsigned int)__builtin_ctz(block_size);
	if (sub_hdr_size == 0 || (uint64_t)sub_hdr_size * block_size < KH_SIZE)
		return kdump_corrupt(dump, "sub header is too small");
	err = kdump_src_read(dump, kd, kh, sizeof(kh), block_size, "the kdump_sub_header");
	if (err)
		return err;
	kd->max_mapnr = version >= 6 ? kd_le64(kh + KH_MAX_MAPNR_64)
				     : kd_le32(dh + DH_MAX_MAPNR);

	// All in 64 bits: at most 2^32 blocks of 2^18 bytes each.
	uint64_t bitmap_off = (1 + (uint64_t)sub_hdr_size) * block_size;
	uint64_t bitmap_len = (uint64_t)bitmap_blocks * block_size;
	// Two bitmaps of equal size (makedumpfile.c write_kdump_header).
	if (bitmap_blocks == 0 || bitmap_blocks % 2)
		return kdump_corrupt(dump, "bitmap size is zero or an odd number of blocks");
	if (bitmap_len / 2 > MAX_BITMAP_BYTES)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: bad kdump-compressed header: bitmaps of %llu bytes are implausibly large",
			dump->path, (unsigned long long)bitmap_len);
	if (kd->max_mapnr == 0 || kd->max_mapnr > bitmap_len / 2 * 8)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: bad kdump-compressed header: %llu pages do not fit bitmaps of %llu bytes",
			dump->path, (unsigned long long)kd->max_mapnr,
			(unsigned long long)bitmap_len);
	if (kd->max_mapnr > KD_MAX_PHYS_ADDR >> kd->page_shift)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: bad kdump-compressed header: max_mapnr %llu pages of %u bytes end past 2^%d, the largest physical address space",
			dump->path, (unsigned long long)kd->max_mapnr, block_size,
			KD_MAX_PHYS_BITS);
	kd->desc_off = bitmap_off + bitmap_len;
	if (kd->desc_off > kd->src.size && !dump->incomplete)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: file is truncated: bitmaps end at %#llx, past its %llu bytes",
			dump->path, (unsigned long long)kd->desc_off,
			(unsigned long long)kd->src.size);

	err = kdump_read_notes(dump, kd, kh);
	if (err)
		return err;
	err = kdump_read_bitmap(dump, kd, bitmap_off, bitmap_len);
	if (err)
		return err;
	kd->dcache = malloc(DESC_BATCH * PD_LEN);
	kd->page = malloc(block_size);
	kd->cbuf = malloc(block_size);
	if (!kd->dcache || !kd->page || !kd->cbuf)
		return &kd_enomem;
	return NULL;
}

static struct kd_error *kdump_read_file(struct kd_dump *dump, void *arg,
					void *buf, size_t len, uint64_t off)
{
	(void)arg;
	return kd_dump_pread(dump, buf, len, off);
}

static struct kd_error *kdump_open(struct kd_dump *dump)
{
	struct kd_kdump_source src = {
		.read = kdump_read_file,
		.size = dump->file_size,
		.stored = dump->file_size,
	};
	return kd_kdump_open_source(dump, &src);
}

static struct kd_error *kdump_not_written(struct kd_dump *dump, uint64_t pfn)
{
	return kd_error_create(KD_ERROR_NODATA,
		"%s: page at physical address %#llx was not written (the dump is incomplete)",
		dump->path, (unsigned long long)pfn << ((struct kdump *)dump->priv)->page_shift);
}

// The descriptor of the idx-th dumped page, through a cache of DESC_BATCH.
static struct kd_error *kdump_get_desc(struct kd_dump *dump, struct kdump *kd,
				       uint64_t pfn, uint64_t idx, size_t *slot_ret)
{
	if (idx >= kd->ndescs)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: no page descriptor for page %#llx", dump->path,
			(unsigned long long)pfn);
	if (idx < kd->dcache_first || idx - kd->dcache_first >= kd->dcache_n) {
		uint64_t first = idx - idx % DESC_BATCH;
		uint64_t n = kd->ndescs - first < DESC_BATCH ? kd->ndescs - first
							    : DESC_BATCH;
		uint64_t off = kd->desc_off + first * PD_LEN;
		// Incomplete dumps may end inside the descriptors.
		uint64_t avail = kd->src.size > kd->desc_off ?
				 kd->src.size - kd->desc_off : 0;
		if (dump->incomplete && avail / PD_LEN < first + n) {
			if (avail / PD_LEN <= idx)
				return kdump_not_written(dump, pfn);
			n = avail / PD_LEN - first;
		}
		kd->dcache_n = 0;
		struct kd_error *err = kdump_src_read(dump, kd, kd->dcache,
						      (size_t)n * PD_LEN, off,
						      "page descriptors");
		if (err)
			return err;
		kd->dcache_first = first;
		kd->dcache_n = (size_t)n;
	}
	*slot_ret = (size_t)(idx - kd->dcache_first);
	return NULL;
}

static struct kd_error *kdump_load_page(struct kd_dump *dump, struct kdump *kd,
					uint64_t pfn, uint64_t idx)
{
	size_t slot = 0;
	struct kd_error *err = kdump_get_desc(dump, kd, pfn, idx, &slot);
	if (err)
		return err;
	const uint8_t *pd = kd->dcache + slot * PD_LEN;
	uint64_t off = kd_le64(pd + PD_OFFSET);
	uint32_t size = kd_le32(pd + PD_SIZE);
	uint32_t flags = kd_le32(pd + PD_FLAGS);
	unsigned long long paddr = (unsigned long long)pfn << kd->page_shift;
	// makedumpfile writes descriptors as it writes pages: an incomplete
	// dump leaves the rest zero, one torn by the write that failed, or
	// the data past the end of the file.
	if (dump->incomplete &&
	    (!kd_kdump_desc_usable(pd, kd->page_size) || off < kd->desc_off ||
	     off > kd->src.size || size > kd->src.size - off))
		return kdump_not_written(dump, pfn);
	if (size == 0 || size > kd->page_size)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: page descriptor %llu (physical address %#llx) has size %u; the page size is %u",
			dump->path, (unsigned long long)idx, paddr, size,
			kd->page_size);
	if (off < kd->desc_off)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: page descriptor %llu (physical address %#llx) points into the headers (offset %#llx)",
			dump->path, (unsigned long long)idx, paddr,
			(unsigned long long)off);
	const struct kd_codec_info *ci = kd_codec_by_flags(flags);
	if (!ci)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: page at physical address %#llx claims several compressions (flags %#x)",
			dump->path, paddr, flags);
	if (!ci->compresses) {
		if (size != kd->page_size)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: uncompressed page at physical address %#llx has size %u; the page size is %u",
				dump->path, paddr, size, kd->page_size);
		return kdump_src_read(dump, kd, kd->page, size, off, "page data");
	}
	err = kdump_src_read(dump, kd, kd->cbuf, size, off, "page data");
	if (err)
		return err;
	err = kd_codec_decompress(&kd->codec, ci->codec, kd->cbuf, size, kd->page,
				  kd->page_size);
	if (err && err != &kd_enomem)
		err = kd_error_prefix(err, "%s: page at physical address %#llx (offset %#llx)",
				      dump->path, paddr, (unsigned long long)off);
	return err;
}

struct kd_error *kd_kdump_read_phys(struct kd_dump *dump, size_t range,
				    uint64_t paddr, void *buf, size_t len)
{
	struct kdump *kd = dump->priv;
	const struct kd_phys_range *r = &dump->ranges[range];
	uint8_t *p = buf;
	while (len) {
		uint64_t pfn = paddr >> kd->page_shift;
		size_t in_page = (size_t)(paddr & (kd->page_size - 1));
		size_t n = kd->page_size - in_page < len ? kd->page_size - in_page
							 : len;
		if (!kd->page_valid || kd->cached_pfn != pfn) {
			kd->page_valid = false;
			uint64_t idx = dump->range_offsets[range] +
				       (pfn - (r->start >> kd->page_shift));
			struct kd_error *err = kdump_load_page(dump, kd, pfn, idx);
			if (err)
				return err;
			kd->cached_pfn = pfn;
			kd->page_valid = true;
		}
		memcpy(p, kd->page + in_page, n);
		p += n;
		len -= n;
		paddr += n;
	}
	return NULL;
}

// Whether a page descriptor's offset, size and flags describe a page a
// reader can take: one codec, a size within the page, exactly the page
// when stored raw. The save writer counts a descriptor torn by a failed
// write as written by the same rule (save-kdump.c).
bool kd_kdump_desc_usable(const uint8_t *pd, uint32_t page_size)
{
	uint32_t size = kd_le32(pd + PD_SIZE);
	const struct kd_codec_info *ci = kd_codec_by_flags(kd_le32(pd + PD_FLAGS));
	if (!ci || size == 0 || size > page_size)
		return false;
	return ci->compresses || size == page_size;
}

// A complete dump stores every page of its ranges: they are the runs of its
// 2nd bitmap. An incomplete one lacks the pages makedumpfile had not written
// yet: no descriptor, a zeroed one or data past the end (as in kdump_load_page()).
bool kd_kdump_page_stored(struct kd_dump *dump, uint64_t paddr)
{
	if (!dump->incomplete)
		return true;
	struct kdump *kd = dump->priv;
	size_t lo = 0, hi = dump->nranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct kd_phys_range *r = &dump->ranges[mid];
		if (paddr < r->start) {
			hi = mid;
		} else if (paddr - r->start >= r->size) {
			lo = mid + 1;
		} else {
			uint64_t pfn = paddr >> kd->page_shift;
			uint64_t idx = dump->range_offsets[mid] +
				       (pfn - (r->start >> kd->page_shift));
			size_t slot = 0;
			struct kd_error *err = kdump_get_desc(dump, kd, pfn, idx, &slot);
			if (err) {
				kd_error_destroy(err);
				return false;
			}
			const uint8_t *pd = kd->dcache + slot * PD_LEN;
			uint64_t off = kd_le64(pd + PD_OFFSET);
			uint32_t size = kd_le32(pd + PD_SIZE);
			return kd_kdump_desc_usable(pd, kd->page_size) &&
			       off >= kd->desc_off && off <= kd->src.size &&
			       size <= kd->src.size - off;
		}
	}
	return false;
}

void kd_kdump_close(struct kd_dump *dump)
{
	struct kdump *kd = dump->priv;
	if (!kd)
		return;
	if (kd->src.free_arg)
		kd->src.free_arg(kd->src.arg);
	kd_codec_deinit(&kd->codec);
	free(kd->dcache);
	free(kd->page);
	free(kd->cbuf);
	free(kd);
	dump->priv = NULL;
}

const struct kd_format_ops kd_format_kdump = {
	.name = "kdump",
	.probe = kdump_probe,
	.open = kdump_open,
	.read_phys = kd_kdump_read_phys,
	.close = kd_kdump_close,
	.page_stored = kd_kdump_page_stored,
};

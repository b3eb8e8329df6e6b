/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The on-disk layout of the kdump-compressed format (makedumpfile's
 * diskdump_mod.h), shared by its reader (dump/format-kdump.c), its writer
 * (save/save-kdump.c) and the codec table (dump/codec.c). Offsets are those
 * of the C structs on LP64. */
#ifndef KEXDUMP_KDUMP_LAYOUT_H
#define KEXDUMP_KDUMP_LAYOUT_H

// struct disk_dump_header on LP64.
enum {
	DH_SIGNATURE = 0,
	DH_HEADER_VERSION = 8,
	DH_UTSNAME = 12,	// struct new_utsname: 6 fields of 65 bytes
	DH_TIMESTAMP = 408,	// struct timeval, 8-byte aligned
	DH_STATUS = 424,
	DH_BLOCK_SIZE = 428,
	DH_SUB_HDR_SIZE = 432,
	DH_BITMAP_BLOCKS = 436,
	DH_MAX_MAPNR = 440,
	DH_NR_CPUS = 460,
	DH_SIZE = 464,
};
#define UTS_FIELD 65
#define UTS_MACHINE (DH_UTSNAME + 4 * UTS_FIELD)

// struct kdump_sub_header on LP64.
enum {
	KH_PHYS_BASE = 0,
	KH_OFFSET_VMCOREINFO = 32,	// header_version >= 3
	KH_SIZE_VMCOREINFO = 40,
	KH_OFFSET_NOTE = 48,		// header_version >= 4
	KH_SIZE_NOTE = 56,
	KH_MAX_MAPNR_64 = 96,		// header_version >= 6
	KH_SIZE = 104,
};

// struct page_desc: off_t offset, unsigned size, unsigned flags,
// unsigned long long page_flags.
enum {
	PD_OFFSET = 0,
	PD_SIZE = 8,
	PD_FLAGS = 12,
	PD_LEN = 24,
};

// disk_dump_header.status and page_desc.flags (diskdump_mod.h).
#define DUMP_DH_COMPRESSED_ZLIB 0x1
#define DUMP_DH_COMPRESSED_LZO 0x2
#define DUMP_DH_COMPRESSED_SNAPPY 0x4
#define DUMP_DH_COMPRESSED_INCOMPLETE 0x8
#define DUMP_DH_COMPRESSED_ZSTD 0x20
// Not makedumpfile's: kexdump's LZ4 pages (a raw LZ4 block). 0x10 is
// makedumpfile's DUMP_DH_EXCLUDED_VMEMMAP; 0x40 is left free for it.
#define KEXDUMP_DH_COMPRESSED_LZ4 0x80

_Static_assert(DH_SIZE == 8 + 4 + 6 * UTS_FIELD + 6 /* pad */ + 16 + 10 * 4,
	       "disk_dump_header is 464 bytes on LP64");
_Static_assert(KH_SIZE == 8 + 4 + 4 + 2 * 8 + 3 * 16 + 3 * 8,
	       "kdump_sub_header is 104 bytes on LP64");
_Static_assert(PD_LEN == 8 + 4 + 4 + 8, "page_desc is 24 bytes on LP64");


/* disk_dump_header.header_version kexdump writes: 6 adds max_mapnr_64. */
#define KDUMP_HEADER_VERSION 6
#define KDUMP_SIGNATURE "KDUMP   "

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of the dump area (lib/dump/): the dump handle, the format
 * ops table and the readers' shared pieces. Never installed. */
#ifndef KEXDUMP_DUMP_PRIV_H
#define KEXDUMP_DUMP_PRIV_H

#include "util/util.h"
#include <kexdump/dump.h>

struct kd_dump;

/*
 * A dump format. probe() looks at the first bytes of the file and says
 * whether the format claims it; open() then fills dump->ranges, notes,
 * vmcoreinfo and the format's private state; read_phys() copies bytes that
 * lie within one range. Adding a format (kdump-compressed, flattened, ...) is
 * adding one of these to the table in dump.c.
 */
struct kd_format_ops {
	const char *name;
	bool (*probe)(const uint8_t *head, size_t len);
	struct kd_error *(*open)(struct kd_dump *dump);
	/* Read [paddr, paddr+len) which dump.c guarantees to lie in one range. */
	struct kd_error *(*read_phys)(struct kd_dump *dump, size_t range,
				      uint64_t paddr, void *buf, size_t len);
	void (*close)(struct kd_dump *dump);
	/* Optional: whether the page holding paddr, which lies in a range, is
	 * stored (an incomplete dump may lack it); NULL = every page inside a
	 * range is stored. */
	bool (*page_stored)(struct kd_dump *dump, uint64_t paddr);
};

extern const struct kd_format_ops kd_format_elf;
extern const struct kd_format_ops kd_format_kdump;
extern const struct kd_format_ops kd_format_flat;
/* The running kernel's /proc/kcore: the ELF reader on virtual-address
 * segments (dump.c picks it by the file, never by probing its bytes). */
extern const struct kd_format_ops kd_format_kcore;

/* A raw ELF note, kept for later consumers (NT_PRSTATUS, VMCOREINFO, others). */
struct kd_note {
	char name[32];
	uint32_t type;
	uint8_t *desc;
	size_t descsz;
};

/* The widest physical address space of the machines dumps come from:
 * MAX_PHYSMEM_BITS is 52 on x86_64 with 5-level paging and on arm64 with
 * 52-bit PAs. Memory a dump claims above it is a corrupt header, and
 * bounding it bounds every pfn range (page filter, save's bitmaps). The
 * kernel's own, smaller limit is checked by lib/kernel. */
#define KD_MAX_PHYS_BITS 52
#define KD_MAX_PHYS_ADDR (UINT64_C(1) << KD_MAX_PHYS_BITS)

/* range_offsets value of a range that reads as zeros without file bytes:
 * the tail of an ELF segment between p_filesz and p_memsz. */
#define KD_RANGE_ZERO UINT64_MAX

struct kd_dump {
	char *path;
	int fd;
	uint64_t file_size;
	const struct kd_format_ops *ops;
	void *priv;			/* the format's own state */
	uint16_t machine;		/* ELF e_machine */
	bool big_endian;
	struct kd_phys_range *ranges;	/* sorted by start, non-overlapping */
	uint64_t *range_offsets;	/* file offset of each range's first byte */
	size_t nranges;
	struct kd_note *notes;
	size_t nnotes, notes_cap;
	size_t notes_bytes;		/* desc bytes copied into notes */
	const struct kd_note *vmcoreinfo;	/* into notes, or NULL */
	size_t ncpus;
	const struct kd_note **prstatus;	/* ncpus pointers into notes */
	bool incomplete;		/* the writer ran out of space */
	/* kd_dump_map_phys() may mmap() it: only /proc/vmcore. A mapped
	 * regular file whose disk fails or that shrinks under the reader
	 * raises SIGBUS instead of returning EIO; pread() costs the same
	 * there (bench: save -d 31 of a 4 GiB dump, 0.25 s CPU either way). */
	bool mappable;
};

/* Loads from dump bytes in the dumped machine's byte order (ELF EI_DATA). */
static inline uint16_t kd_dump_u16(const struct kd_dump *d, const void *p)
{
	return d->big_endian ? kd_be16(p) : kd_le16(p);
}
static inline uint32_t kd_dump_u32(const struct kd_dump *d, const void *p)
{
	return d->big_endian ? kd_be32(p) : kd_le32(p);
}
static inline uint64_t kd_dump_u64(const struct kd_dump *d, const void *p)
{
	return d->big_endian ? kd_be64(p) : kd_le64(p);
}

/* kexdump save's own ELF note: "KEXDUMP", type KD_NOTE_STATUS, a 4-byte
 * status that stays KD_NOTE_INCOMPLETE until the dump is complete (ELF has
 * no such flag; the kdump format has DUMP_DH_COMPRESSED_INCOMPLETE). */
#define KD_NOTE_NAME "KEXDUMP"
#define KD_NOTE_STATUS 1u
#define KD_NOTE_INCOMPLETE 1u

/* Desc bytes all the notes of one dump may hold together: a few KiB per
 * CPU (NT_PRSTATUS and kexec's per-CPU note buffer) and VMCOREINFO, far
 * below this even with thousands of CPUs. */
#define KD_MAX_NOTES_BYTES (64u << 20)
/* Notes one dump may hold: one NT_PRSTATUS per CPU (NR_CPUS is at most
 * 8192, x86 MAXSMP) and a handful of others. */
#define KD_MAX_NOTES 65536u

/* Add a note (copying desc) and classify it. */
struct kd_error *kd_dump_add_note(struct kd_dump *dump, const char *name,
				  uint32_t type, const void *desc, size_t descsz);
/* Parse an ELF note section (4-byte aligned name/desc) and add each note. */
struct kd_error *kd_dump_parse_notes(struct kd_dump *dump, const uint8_t *buf,
				     size_t len);
/*
 * A read-only window of a dump file mapped into memory, so that pages can
 * be compressed where they lie instead of being copied by pread() first.
 * On /proc/vmcore this matters most: each read() of old memory maps and
 * unmaps the page in the kernel (fs/proc/vmcore.c, read_from_oldmem),
 * while mmap() maps the whole window once (remap_oldmem_pfn_range). One
 * per thread; zero-initialise, release with kd_dump_unmap().
 */
struct kd_map {
	uint8_t *base;
	uint64_t off;		/* file offset of base */
	size_t len;
	bool failed;		/* mmap() refused once: do not try again */
};
/*
 * A pointer to @p len bytes of physical memory at @p paddr inside the
 * mapping @p m (moved as needed), or NULL when the bytes cannot be mapped
 * (not /proc/vmcore, not an ELF file, a zero-filled or split range, past
 * the end of the file, mmap() unsupported); the caller then uses
 * kd_dump_read_phys().
 */
const uint8_t *kd_dump_map_phys(struct kd_dump *dump, struct kd_map *m,
				uint64_t paddr, size_t len);
void kd_dump_unmap(struct kd_map *m);
/* Whether the dump stores all of [paddr, paddr + page_size): inside its
 * ranges and, for formats that can lack pages there, actually written. */
bool kd_dump_page_stored(struct kd_dump *dump, uint64_t paddr,
			 uint64_t page_size);
/* Sort ranges by address; drop or trim ranges that repeat physical memory. */
struct kd_error *kd_dump_finish_ranges(struct kd_dump *dump);
/* pread() the whole span or fail with an error naming the dump. */
struct kd_error *kd_dump_pread(struct kd_dump *dump, void *buf, size_t len,
			       uint64_t off);

/*
 * The kdump-compressed reader (format-kdump.c) reads its image through a
 * logical file: the dump file itself, or the image the flattened format
 * (format-flat.c) reassembles from its records. read() gets spans that lie
 * within [0, size), of which only stored bytes are in the file (the rest
 * reads as zeros). kd_kdump_open_source() owns arg from the call on and
 * releases it with free_arg(), also when it fails.
 */
struct kd_kdump_source {
	struct kd_error *(*read)(struct kd_dump *dump, void *arg, void *buf,
				 size_t len, uint64_t off);
	void (*free_arg)(void *arg);
	void *arg;
	uint64_t size;
	uint64_t stored;	/* bytes of it the file actually holds */
};
struct kd_error *kd_kdump_open_source(struct kd_dump *dump,
				      const struct kd_kdump_source *src);
struct kd_error *kd_kdump_read_phys(struct kd_dump *dump, size_t range,
				    uint64_t paddr, void *buf, size_t len);
void kd_kdump_close(struct kd_dump *dump);
bool kd_kdump_page_stored(struct kd_dump *dump, uint64_t paddr);
/* Whether the kdump page descriptor at @p pd (PD_LEN bytes, kdump-layout.h)
 * describes a page a reader can take (format-kdump.c). */
bool kd_kdump_desc_usable(const uint8_t *pd, uint32_t page_size);

/* makedumpfile's flattened format (makedumpfile.h struct makedumpfile_header
 * and makedumpfile_data_header), read by format-flat.c, written by save/sink.c
 * and reassembled by save/save-file.c: a header, then {be64 offset, be64 size}
 * records each followed by its data, ended by {-1, -1}. */
#define MDF_HEADER_SIZE 4096u	/* MAX_SIZE_MDF_HEADER */
#define MDF_SIGNATURE "makedumpfile"	/* in a 16-byte field */
#define MDF_TYPE_OFF 16		/* after the signature */
#define MDF_VERSION_OFF 24
#define MDF_RECORD_SIZE 16	/* struct makedumpfile_data_header */
#define TYPE_FLAT_HEADER 1
#define VERSION_FLAT_HEADER 1

/* ---------------------------------------------------------------- notes */

/* The dump's notes as one ELF note section (4-byte aligned, as read),
 * with @p status kexdump's status note last, saying incomplete
 * (dump/notes.c; the save writers put it in their outputs). */
struct kd_error *kd_notes_serialize(const struct kd_dump *dump, bool status,
				    uint8_t **buf_ret, size_t *len_ret);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file dump.h
 * Dump files of every format kexdump reads: physical memory, CPU notes,
 * the raw VMCOREINFO note (lib/dump/).
 */
#ifndef KEXDUMP_DUMP_H
#define KEXDUMP_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kexdump/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* -------------------------------------------------------------------- dumps */

/** An open dump file. */
struct kd_dump;

/** Open a dump file, probing every known format. */
struct kd_error *kd_dump_open(const char *path, struct kd_dump **ret);
/** Close a dump; NULL is a no-op. */
void kd_dump_close(struct kd_dump *dump);

/** The path the dump was opened with. */
const char *kd_dump_path(const struct kd_dump *dump);
/** Short name of the dump's format: "elf", "kdump", "flattened" or
 * "kcore" (the running kernel's /proc/kcore). */
const char *kd_dump_format_name(const struct kd_dump *dump);
/** ELF e_machine of the dumped machine (EM_X86_64, EM_AARCH64, ...). */
uint16_t kd_dump_machine(const struct kd_dump *dump);

/**
 * Whether the "dump" is the running kernel's memory (/proc/kcore): it has
 * no crashed CPUs and its pages change while they are read.
 */
bool kd_dump_live(const struct kd_dump *dump);

/**
 * Whether the dump is known to be incomplete: its writer ran out of space
 * (makedumpfile's DUMP_DH_COMPRESSED_INCOMPLETE) or the file ends early.
 * Pages that were never written read as KD_ERROR_NODATA.
 */
bool kd_dump_incomplete(const struct kd_dump *dump);

/** A range of physical memory present in the dump. */
struct kd_phys_range {
	uint64_t start;		/**< first physical address */
	uint64_t size;		/**< bytes present in the dump */
	uint64_t vaddr;		/**< virtual address the format recorded, or 0 */
};
size_t kd_dump_num_ranges(const struct kd_dump *dump);
const struct kd_phys_range *kd_dump_range(const struct kd_dump *dump, size_t i);

/**
 * Read @p len bytes of physical memory at @p paddr. Fails with KD_ERROR_NODATA
 * (and nothing else) when part of the span is not in the dump.
 */
struct kd_error *kd_dump_read_phys(struct kd_dump *dump, uint64_t paddr,
				   void *buf, size_t len);

/** The state of one CPU at the crash, from its NT_PRSTATUS note. */
struct kd_cpu_state {
	uint32_t pid;		/**< task running on the CPU (0 = idle) */
	uint64_t ip, sp;	/**< instruction and stack pointer */
	size_t nregs;		/**< number of valid entries in regs */
	uint64_t regs[34];	/**< general registers in the arch's pr_reg order */
};
/** Number of NT_PRSTATUS notes, one per CPU that was online (in CPU order). */
size_t kd_dump_num_cpus(const struct kd_dump *dump);
struct kd_error *kd_dump_cpu_state(const struct kd_dump *dump, size_t cpu,
				   struct kd_cpu_state *ret);

/** The raw VMCOREINFO text (not NUL-terminated), or NULL when the dump has none. */
const char *kd_dump_vmcoreinfo_raw(const struct kd_dump *dump, size_t *len_ret);

/* ------------------------------------------------------------- page codecs */

/**
 * Page codecs of the kdump-compressed format: the dump layer reads them,
 * kd_save() writes them, lib/dump/codec.c has their table. crash 8.0.2
 * reads zlib, lzo, snappy and zstd; lz4 is only read by kexdump.
 */
enum kd_save_codec {
	KD_SAVE_ZSTD,
	KD_SAVE_LZ4,
	KD_SAVE_ZLIB,
	KD_SAVE_LZO,
	KD_SAVE_SNAPPY,
	KD_SAVE_NONE,
	/**
	 * zstd (level -1) when the dump level excludes page cache and user
	 * pages (what is left is the kernel's own memory, compressed hard),
	 * lzo when it keeps them (gigabytes, compressed fast: the machine is
	 * down meanwhile). kd_save_stats says which one was used.
	 */
	KD_SAVE_AUTO,
};

#ifdef __cplusplus
}
#endif

#endif /* KEXDUMP_DUMP_H */

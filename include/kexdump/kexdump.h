/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file kexdump.h
 * libkexdump: read Linux kernel crash dumps.
 *
 * Layering (each layer only uses the ones above it):
 *  - kd_error:      the one error idiom; every fallible call returns one (NULL = success).
 *  - kd_dump:       a dump file of some format (ELF core, ...): physical memory,
 *                   CPU notes, the raw VMCOREINFO note.
 *  - kd_vmcoreinfo: the VMCOREINFO text parsed into typed look-ups.
 *  - kd_kernel:     kernel knowledge on top of a dump: architecture and virtual
 *                   address translation, symbols, the kernel log.
 *
 * Handles are opaque. Out-parameters are called ret, come last and are only
 * written on success. The library never prints, exits or keeps global state.
 */
#ifndef KEXDUMP_KEXDUMP_H
#define KEXDUMP_KEXDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ errors */

/** What kind of failure; callers branch on this, never on the message. */
enum kd_error_code {
	KD_ERROR_NOMEM = 1,	/**< out of memory */
	KD_ERROR_OS,		/**< a system call failed; see kd_error_errno() */
	KD_ERROR_FORMAT,	/**< the input is not in the expected format */
	KD_ERROR_CORRUPT,	/**< the input claims a format but is damaged/truncated */
	KD_ERROR_UNSUPPORTED,	/**< valid, but not something we handle (yet) */
	KD_ERROR_NODATA,	/**< a physical address not present in the dump (hole, excluded page) */
	KD_ERROR_FAULT,		/**< a virtual address with no translation */
	KD_ERROR_NOTFOUND,	/**< a key, symbol or item that does not exist */
	KD_ERROR_INVALID,	/**< a bad argument from the caller */
};

/** An error: a code, an errno for KD_ERROR_OS, and a message saying what and where. */
struct kd_error;

/** Create an error with a printf-style message. Never returns NULL. */
struct kd_error *kd_error_create(enum kd_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Create a KD_ERROR_OS error from errno value @p errnum; ": strerror" is appended. */
struct kd_error *kd_error_os(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Prefix the message of @p err with more context ("file: ..."); returns @p err. */
struct kd_error *kd_error_prefix(struct kd_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum kd_error_code kd_error_code(const struct kd_error *err);
int kd_error_errno(const struct kd_error *err);
const char *kd_error_message(const struct kd_error *err);
/** Free an error; NULL is a no-op. */
void kd_error_destroy(struct kd_error *err);

/* -------------------------------------------------------------------- dumps */

/** An open dump file. */
struct kd_dump;

/** Open a dump file, probing every known format. */
struct kd_error *kd_dump_open(const char *path, struct kd_dump **ret);
/** Close a dump; NULL is a no-op. */
void kd_dump_close(struct kd_dump *dump);

/** The path the dump was opened with. */
const char *kd_dump_path(const struct kd_dump *dump);
/** Short name of the dump's format: "elf", "kdump" or "flattened". */
const char *kd_dump_format_name(const struct kd_dump *dump);
/** ELF e_machine of the dumped machine (EM_X86_64, EM_AARCH64, ...). */
uint16_t kd_dump_machine(const struct kd_dump *dump);

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

/* --------------------------------------------------------------- vmcoreinfo */

/** VMCOREINFO parsed into key=value look-ups. */
struct kd_vmcoreinfo;

/** Parse VMCOREINFO text. Malformed lines are an error (KD_ERROR_CORRUPT). */
struct kd_error *kd_vmcoreinfo_parse(const char *text, size_t len,
				     struct kd_vmcoreinfo **ret);
void kd_vmcoreinfo_destroy(struct kd_vmcoreinfo *vi);

/** The value text of KEY (e.g. "OSRELEASE", "SYMBOL(prb)"); KD_ERROR_NOTFOUND if absent. */
struct kd_error *kd_vmcoreinfo_string(const struct kd_vmcoreinfo *vi,
				      const char *key, const char **ret);
/** SYMBOL(name): an address, written in hex. */
struct kd_error *kd_vmcoreinfo_symbol(const struct kd_vmcoreinfo *vi,
				      const char *name, uint64_t *ret);
/** OFFSET(name), SIZE(name), LENGTH(name): decimal. */
struct kd_error *kd_vmcoreinfo_offset(const struct kd_vmcoreinfo *vi,
				      const char *name, uint64_t *ret);
struct kd_error *kd_vmcoreinfo_size(const struct kd_vmcoreinfo *vi,
				    const char *name, uint64_t *ret);
struct kd_error *kd_vmcoreinfo_length(const struct kd_vmcoreinfo *vi,
				      const char *name, uint64_t *ret);
/** NUMBER(name): signed decimal (e.g. PAGE_BUDDY_MAPCOUNT_VALUE=-129). */
struct kd_error *kd_vmcoreinfo_number(const struct kd_vmcoreinfo *vi,
				      const char *name, int64_t *ret);
/** KERNELOFFSET (hex). */
struct kd_error *kd_vmcoreinfo_kerneloffset(const struct kd_vmcoreinfo *vi,
					    uint64_t *ret);
/** PAGESIZE, CRASHTIME (decimal). */
struct kd_error *kd_vmcoreinfo_u64(const struct kd_vmcoreinfo *vi,
				   const char *key, int base, uint64_t *ret);
/** Iterate over all entries in file order; returns false past the end. */
bool kd_vmcoreinfo_entry(const struct kd_vmcoreinfo *vi, size_t i,
			 const char **key_ret, const char **value_ret);

/* ------------------------------------------------------------------ kernels */

/** The dumped kernel: VMCOREINFO, architecture, symbols. Borrows the dump. */
struct kd_kernel;

struct kd_kernel_options {
	/** A System.map for kernels whose VMCOREINFO lacks kallsyms (< 6.0), or NULL. */
	const char *system_map;
};

/**
 * Bind kernel knowledge to @p dump: parse VMCOREINFO and set up the
 * architecture's address translation. Symbols (kallsyms from the dump, else
 * the System.map) load on first use, so reading the log costs no symbol
 * decoding; kd_kernel_load_symbols() loads them now and reports failures.
 */
struct kd_error *kd_kernel_open(struct kd_dump *dump,
				const struct kd_kernel_options *opts,
				struct kd_kernel **ret);
void kd_kernel_close(struct kd_kernel *kernel);

struct kd_dump *kd_kernel_dump(const struct kd_kernel *kernel);
const struct kd_vmcoreinfo *kd_kernel_vmcoreinfo(const struct kd_kernel *kernel);
/** Architecture name ("x86_64"). */
const char *kd_kernel_arch_name(const struct kd_kernel *kernel);
/** Page-table levels in use (4 or 5 on x86_64). */
unsigned int kd_kernel_paging_levels(const struct kd_kernel *kernel);
/** Base of the kernel's direct map of physical memory (page_offset_base on
 * x86_64), or 0 while unknown (it is read once symbols are loaded). */
uint64_t kd_kernel_direct_map_base(const struct kd_kernel *kernel);
/** Where symbols came from: "kallsyms", "System.map" or "none". Loads them. */
const char *kd_kernel_symbol_source(struct kd_kernel *kernel);
/**
 * Load the symbol table if not done yet. Without a source (no kallsyms in
 * VMCOREINFO before Linux 6.0, no System.map) this succeeds with no symbols;
 * a damaged source is an error, returned again by later look-ups.
 */
struct kd_error *kd_kernel_load_symbols(struct kd_kernel *kernel);

/** Translate a kernel virtual address; KD_ERROR_FAULT when not mapped. */
struct kd_error *kd_kernel_vtop(struct kd_kernel *kernel, uint64_t vaddr,
				uint64_t *ret);
/** Read kernel virtual memory, page by page through kd_kernel_vtop(). */
struct kd_error *kd_kernel_read_virt(struct kd_kernel *kernel, uint64_t vaddr,
				     void *buf, size_t len);
struct kd_error *kd_kernel_read_u64(struct kd_kernel *kernel, uint64_t vaddr,
				    uint64_t *ret);
struct kd_error *kd_kernel_read_u32(struct kd_kernel *kernel, uint64_t vaddr,
				    uint32_t *ret);

/** Address of symbol @p name; KD_ERROR_NOTFOUND if unknown. */
struct kd_error *kd_kernel_symbol(struct kd_kernel *kernel,
				  const char *name, uint64_t *ret);
/**
 * The symbol containing @p addr: its name and the offset into it.
 * KD_ERROR_NOTFOUND when below the first symbol or without symbols.
 */
struct kd_error *kd_kernel_symbolize(struct kd_kernel *kernel,
				     uint64_t addr, const char **name_ret,
				     uint64_t *offset_ret);
/** Number of symbols, and the i-th in address order (for System.map export). */
size_t kd_kernel_num_symbols(struct kd_kernel *kernel);
bool kd_kernel_symbol_at(struct kd_kernel *kernel, size_t i,
			 const char **name_ret, char *type_ret, uint64_t *addr_ret);

/* ------------------------------------------------------------- kernel log */

/** One kernel log record. text is not NUL-terminated and valid only in the callback. */
struct kd_printk_record {
	uint64_t seq;
	uint64_t ts_nsec;
	const char *text;
	size_t text_len;
	uint8_t level;		/**< 0 (emerg) .. 7 (debug) */
	uint8_t facility;
	uint32_t caller_id;	/**< bit 31 set: CPU number, else task id; 0 when unknown */
	bool has_caller_id;
};

/** Called once per record, oldest first. Return non-NULL to stop with that error. */
typedef struct kd_error *kd_printk_fn(const struct kd_printk_record *rec, void *arg);

/**
 * Walk the kernel log: the lockless ring buffer (5.10+) or the older
 * log_buf/printk_log format, whichever VMCOREINFO describes.
 */
struct kd_error *kd_printk_iterate(struct kd_kernel *kernel, kd_printk_fn *fn,
				   void *arg);

/**
 * Format one record as makedumpfile --dump-dmesg does: "[%5llu.%06lu] text\n",
 * continuation lines indented to the text column, non-printable bytes as \xNN.
 * With @p caller_id, a "[  T123] " field follows the time stamp (as with
 * CONFIG_PRINTK_CALLER and makedumpfile >= 1.7.5). Returns a malloc'd string.
 */
struct kd_error *kd_printk_format(const struct kd_printk_record *rec,
				  bool caller_id, char **ret, size_t *len_ret);

/* ------------------------------------------------------- page filtering */

/* makedumpfile's dump level bits (-d): which pages a dump leaves out. */
#define KD_DL_ZERO 1u		/**< pages filled with zero (decided by their data) */
#define KD_DL_CACHE 2u		/**< page cache without private data */
#define KD_DL_CACHE_PRIVATE 4u	/**< page cache with private data */
#define KD_DL_USER 8u		/**< user process data: anonymous and hugetlbfs pages */
#define KD_DL_FREE 16u		/**< free pages (buddy allocator, unaccepted memory) */

/** Why a page is excluded. hwpoison and offline pages are excluded at every
 * dump level, as makedumpfile does. */
enum kd_page_class {
	KD_PAGE_ZERO,
	KD_PAGE_CACHE,
	KD_PAGE_CACHE_PRIVATE,
	KD_PAGE_USER,
	KD_PAGE_FREE,
	KD_PAGE_HWPOISON,
	KD_PAGE_OFFLINE,
	KD_PAGE_NCLASSES
};
/** "zero", "cache", "cache_private", "user", "free", "hwpoison", "offline". */
const char *kd_page_class_name(enum kd_page_class c);

/** Classifies pages by the dumped kernel's struct page array (mem_map). */
struct kd_pagefilter;

/**
 * Prepare to classify the pages of @p kernel's dump at @p dump_level (0-31;
 * the ZERO bit is ignored here: zero pages are decided by their data). Fails
 * with KD_ERROR_UNSUPPORTED or KD_ERROR_NODATA, naming the dump and the
 * missing VMCOREINFO entry, when mem_map cannot be found; callers then fall
 * back to dump level 0/1.
 */
struct kd_error *kd_pagefilter_open(struct kd_kernel *kernel,
				    unsigned int dump_level,
				    struct kd_pagefilter **ret);
void kd_pagefilter_close(struct kd_pagefilter *pf);
/** One past the highest pfn the dump holds (end of its last range, rounded up). */
uint64_t kd_pagefilter_max_pfn(const struct kd_pagefilter *pf);
uint32_t kd_pagefilter_page_size(const struct kd_pagefilter *pf);
/**
 * Classify the window [@p start_pfn, @p start_pfn + @p npfns) (both multiples
 * of 8; windows in increasing order). Bitmaps hold bit (pfn - start_pfn) % 8
 * of byte (pfn - start_pfn) / 8, least significant bit first (makedumpfile's
 * layout). @p present (may be NULL) gets the pages wholly inside the dump's
 * ranges (the kdump format's 1st bitmap); @p keep the present pages that the
 * source stores and this level does not exclude (the 2nd bitmap, before zero
 * pages). @p counts[c] grows by the present pages excluded as class c. A free
 * block or compound page that crosses the window's end is finished in the
 * next window.
 */
struct kd_error *kd_pagefilter_window(struct kd_pagefilter *pf,
				      uint64_t start_pfn, uint64_t npfns,
				      uint8_t *present, uint8_t *keep,
				      uint64_t counts[KD_PAGE_NCLASSES]);

/* ------------------------------------------------------------------ save */

/** Output formats of kd_save(). */
enum kd_save_format {
	KD_SAVE_KDUMP,	/**< kdump-compressed (makedumpfile's; crash reads it) */
	KD_SAVE_ELF,	/**< ELF core without the excluded pages (gdb, crash) */
	KD_SAVE_FLAT,	/**< flattened kdump-compressed, for pipes */
};

/** Page codecs. crash 8.0.2 reads zlib, lzo, snappy and zstd; lz4 is only
 * read by kexdump. */
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

/** Progress of a save, for a progress line. */
struct kd_save_progress {
	uint64_t pages_done, pages_total;
	uint64_t bytes_in, bytes_out;
};
typedef void kd_save_progress_fn(const struct kd_save_progress *p, void *arg);

struct kd_save_options {
	enum kd_save_format format;
	enum kd_save_codec codec;
	int level;			/**< zstd -7..-1, 1..19; zlib 1..9; 0 = default (zstd -1, zlib 1) */
	unsigned int dump_level;	/**< makedumpfile's -d, 0-31 */
	unsigned int threads;		/**< compression threads; 0 = online CPUs */
	size_t mem_limit;		/**< buffer budget in bytes; 0 = 32 MiB */
	bool buffered;			/**< no O_DIRECT for the page data */
	kd_save_progress_fn *progress;	/**< called from the calling thread */
	void *progress_arg;
};

struct kd_save_stats {
	uint64_t pages_present;		/**< pages in the source's memory ranges */
	uint64_t pages_excluded[KD_PAGE_NCLASSES];
	uint64_t pages_not_stored;	/**< absent from an already filtered source */
	uint64_t pages_written;		/**< pages the output holds */
	uint64_t bytes_in;		/**< bytes of page data read */
	uint64_t bytes_out;		/**< bytes written */
	unsigned int threads;
	enum kd_save_codec codec;	/**< the codec used (never KD_SAVE_AUTO) */
	int level;			/**< its level, 0 = its default */
	bool incomplete;		/**< stopped early; output marked incomplete */
	char warning[256];		/**< non-fatal: e.g. why no page filtering */
};

/**
 * Write the dump that @p kernel reads to @p fd: at offsets with pwrite()
 * when @p seekable, else sequentially (only KD_SAVE_FLAT). Output is the
 * same for any number of threads. The dump is marked incomplete until the
 * very end; when a write fails (ENOSPC, EIO) what was written stays
 * readable, stats->incomplete is set and the error is returned.
 */
struct kd_error *kd_save_fd(struct kd_kernel *kernel, int fd, bool seekable,
			    const struct kd_save_options *opts,
			    struct kd_save_stats *stats);

/** "zstd", "lz4", "zlib", "lzo", "snappy", "none", "auto"; NULL when out of range. */
const char *kd_save_codec_name(enum kd_save_codec codec);
/** "kdump", "elf", "flat"; NULL when out of range. */
const char *kd_save_format_name(enum kd_save_format format);
/** "CODEC" or "CODEC:LEVEL" (zstd:-1, zlib:6); KD_ERROR_INVALID says what is wrong. */
struct kd_error *kd_save_parse_codec(const char *text, enum kd_save_codec *codec,
				     int *level);
struct kd_error *kd_save_parse_format(const char *text, enum kd_save_format *format);
/** Whether @p level is valid for @p codec (0, the default, always is). */
struct kd_error *kd_save_check_level(enum kd_save_codec codec, int level);

/**
 * kd_save_fd() into @p path safely: the dump is written to
 * "PATH.incomplete" (mode 0600), fsync'ed and renamed to PATH, then the
 * directory is fsync'ed. An existing PATH is an error unless @p force.
 * When a write fails midway the partial dump, marked incomplete, is still
 * renamed to PATH and the write's error is returned (stats->incomplete).
 */
struct kd_error *kd_save_file(struct kd_kernel *kernel, const char *path,
			      bool force, const struct kd_save_options *opts,
			      struct kd_save_stats *stats);

/**
 * makedumpfile -R: turn the flattened stream read from @p in_fd into the
 * kdump-compressed file @p path (same safety as kd_save_file()).
 */
struct kd_error *kd_flat_reassemble(int in_fd, const char *in_name,
				    const char *path, bool force);

#ifdef __cplusplus
}
#endif

/* The crash-dump service: config and targets, kexec, the capture initramfs. */
#include <kexdump/config.h>
#include <kexdump/kexec.h>
#include <kexdump/initramfs.h>

#endif /* KEXDUMP_KEXDUMP_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file save.h
 * Saving a filtered, compressed copy of a dump (lib/save/).
 */
#ifndef KEXDUMP_SAVE_H
#define KEXDUMP_SAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kexdump/kernel.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ save */

/** Output formats of kd_save(). */
enum kd_save_format {
	KD_SAVE_KDUMP,	/**< kdump-compressed (makedumpfile's; crash reads it) */
	KD_SAVE_ELF,	/**< ELF core without the excluded pages (gdb, crash) */
	KD_SAVE_FLAT,	/**< flattened kdump-compressed, for pipes */
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

/** The codecs --compress auto weighs (lib/save/save-auto.c). */
#define KD_SAVE_AUTO_CANDIDATES 4

/**
 * What --compress auto measured and chose: the codecs' speed and ratio on
 * a sample of the dump's own pages, the target's speed measured from the
 * save's own writes, and the estimate that picked the codec.
 */
struct kd_save_auto_stats {
	unsigned int ncand;		/**< 0: auto was not used (or nothing was compressed) */
	struct kd_save_auto_cand_stats {
		enum kd_save_codec codec;
		int level;		/**< 0: the codec's default */
		double cpu_rate;	/**< bytes in per CPU second on the sample; 0: no CPU (none) */
		double ratio;		/**< bytes out per byte in on the sample */
		double estimate;	/**< seconds per MiB in, at the last decision's link */
		uint64_t pages;		/**< pages of the dump it compressed */
	} cand[KD_SAVE_AUTO_CANDIDATES];
	unsigned int sample_pages;	/**< pages the codecs were measured on */
	double link_rate;		/**< bytes per second the target took, at the last decision; 0: not measured */
	double link_cpu;		/**< share of that time the writing thread was on a CPU */
	unsigned int cpus, workers;	/**< CPUs online, compressing threads */
	unsigned int decisions;		/**< times the codec was chosen (one per KD_SAVE_AUTO_STEP of output) */
	unsigned int switches;		/**< times it changed */
	unsigned int first, last;	/**< index in cand of the first choice and of the last one */
};

struct kd_save_stats {
	uint64_t pages_present;		/**< pages in the source's memory ranges */
	uint64_t pages_excluded[KD_PAGE_NCLASSES];
	uint64_t pages_not_stored;	/**< absent from an already filtered source */
	uint64_t pages_written;		/**< pages the output holds (data and descriptor written) */
	uint64_t pages_unreadable;	/**< kept pages the source could not give (EIO): left out */
	uint64_t bytes_in;		/**< bytes of page data read */
	uint64_t bytes_out;		/**< bytes written */
	unsigned int threads;
	enum kd_save_codec codec;	/**< the codec used (never KD_SAVE_AUTO) */
	int level;			/**< its level, 0 = its default */
	bool incomplete;		/**< stopped early; output marked incomplete */
	char warning[256];		/**< non-fatal: e.g. why no page filtering */
	struct kd_save_auto_stats autosel;	/**< --compress auto: what it measured and chose */
};

/**
 * Write the dump that @p kernel reads to @p fd: at offsets with pwrite()
 * when @p seekable, else sequentially (only KD_SAVE_FLAT). Output is the
 * same for any number of threads. The dump is marked incomplete from its
 * first write until the very end; when a write fails (ENOSPC, EIO) what
 * was written stays readable, stats->incomplete is set and the error is
 * returned. A source page that cannot be read (EIO) is left out of the
 * output, read as missing, and counted in stats->pages_unreadable; the
 * save goes on.
 */
struct kd_error *kd_save_fd(struct kd_kernel *kernel, int fd, bool seekable,
			    const struct kd_save_options *opts,
			    struct kd_save_stats *stats);

/**
 * An output written at offsets through the caller's functions: a file on
 * a network server (the service's SFTP target). Writes may come in any
 * order and may rewrite earlier bytes (the header last); a failing write
 * must be KD_ERROR_OS (the save then stops with stats->incomplete).
 */
struct kd_save_output {
	const char *name;	/**< in error messages, "output" when NULL */
	/**
	 * Write all @p len bytes of @p buf at @p off. On failure, @p done
	 * gets how many of the first bytes were written nonetheless.
	 */
	struct kd_error *(*pwrite)(void *arg, const void *buf, size_t len, uint64_t off,
				   size_t *done);
	/**
	 * Read back @p len bytes at @p off, never written ones as zeros; NULL
	 * when the output cannot be read (then dumps of more than 8 GiB of
	 * memory classify pages twice, and unreadable source pages leave the
	 * dump marked incomplete instead of being taken out).
	 */
	struct kd_error *(*pread)(void *arg, void *buf, size_t len, uint64_t off);
	void *arg;
};

/**
 * kd_save_fd() into @p out (KD_SAVE_KDUMP or KD_SAVE_ELF): the same bytes
 * at the same offsets as into a file.
 */
struct kd_error *kd_save_to(struct kd_kernel *kernel, const struct kd_save_output *out,
			    const struct kd_save_options *opts,
			    struct kd_save_stats *stats);

/** "zstd", "lz4", "zlib", "lzo", "snappy", "none", "auto"; NULL when out of range. */
const char *kd_save_codec_name(enum kd_save_codec codec);
/**
 * One line saying what --compress auto chose and why, into @p buf (empty
 * when auto was not used): "zstd:3 (link 0.98 MB/s, 12% of it on the
 * CPU; per MiB: none 1.07 s, lzo 0.60 s ...; sample of 128 pages: lzo
 * 31.2 MB/s x0.551 ...; 9 decisions, 1 switch)".
 */
void kd_save_auto_describe(const struct kd_save_stats *stats, char *buf, size_t len);
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
 * directory is fsync'ed. An existing PATH is an error unless @p force; a
 * PATH created while saving is never replaced (the dump stays as
 * PATH.incomplete and the error says so).
 * When a write fails midway the partial dump, marked incomplete, is still
 * renamed to PATH and the write's error is returned (stats->incomplete).
 */
struct kd_error *kd_save_file(struct kd_kernel *kernel, const char *path,
			      bool force, const struct kd_save_options *opts,
			      struct kd_save_stats *stats);

/**
 * makedumpfile -R: turn the flattened stream read from @p in_fd into the
 * kdump-compressed file @p path (same safety as kd_save_file()). A stream
 * that ends before its end record still gives @p path, with what arrived
 * and its header marked incomplete: the error is returned and
 * stats->incomplete set (stats->bytes_out is the file's size).
 */
struct kd_error *kd_save_file_reassemble(int in_fd, const char *in_name,
					 const char *path, bool force,
					 struct kd_save_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* KEXDUMP_SAVE_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file rehearse.h
 * The rehearsal (`kexdump test` without --yes-crash-now): what a crash now
 * would need, checked on the running system without crashing it -- the
 * recorded capture initramfs against what setup would build now, the
 * dump's size estimated from the live kernel's own page classes read
 * through /proc/kcore, the target's write speed from a bounded test
 * write. Part of libkexdump-service; included by service.h.
 */
#ifndef KEXDUMP_SERVICE_REHEARSE_H
#define KEXDUMP_SERVICE_REHEARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kexdump/kernel.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kd_error;
struct kd_modset;

/* ------------------------------------------------- the capture initramfs */

/** Longest list of module names kept in a report ("a b c", cut with "..."). */
#define KD_REHEARSE_NAMES 512

/** What the recorded capture initramfs holds against what is wanted now. */
struct kd_rehearse_initramfs {
	uint64_t size;		/**< bytes of the file */
	size_t nmodules;	/**< lib/modules/NAME.ko entries */
	/** Wanted modules absent from it (no file, or not in etc/kexdump.modules). */
	size_t nmissing;
	char missing[KD_REHEARSE_NAMES];
	/** Modules whose vermagic is not the release asked for. */
	size_t nforeign;
	char foreign[KD_REHEARSE_NAMES];
	bool has_init;		/**< an /init entry */
	bool init_current;	/**< /init has the size of the init asked for */
	bool has_config;	/**< an etc/kexdump.conf entry */
	bool config_current;	/**< it is byte for byte the config asked for */
};

/**
 * Read the capture initramfs @p path (gzip'ed or plain newc) and compare
 * it with what setup would write now: the modules of @p want (NULL = none
 * wanted) each present as a file and in the load list, each module's
 * vermagic starting with @p release (NULL = not checked), /init of the
 * size of @p init (NULL = not checked), etc/kexdump.conf equal to
 * @p config (@p config_len bytes; NULL = not checked). Only a file that
 * cannot be read or parsed is an error; what differs is in @p ret.
 */
struct kd_error *kd_rehearse_initramfs(const char *path, const struct kd_modset *want,
				       const char *release, const char *init,
				       const char *config, size_t config_len,
				       struct kd_rehearse_initramfs *ret);

/* ---------------------------------------------------- the dump's size */

/** What the estimate is asked for: the config's dump settings. */
struct kd_rehearse_options {
	unsigned int dump_level;	/**< makedumpfile's -d, 0-31 */
	int codec;			/**< enum kd_save_codec; KD_SAVE_AUTO resolved as kd_save does */
	int level;			/**< the codec's level, 0 = its default */
	int format;			/**< enum kd_save_format */
	/**
	 * Physical memory the crash dump will not hold: the crashkernel=
	 * reservation (x86's crash_setup_memmap_entries() leaves it out of
	 * the capture's /proc/vmcore, /proc/kcore has it as System RAM).
	 * Size 0 = none.
	 */
	uint64_t skip_start, skip_size;
	/** Pages to compress for the ratio, about; 0 = 4096. */
	uint64_t sample_pages;
};

/** The estimate and what it is made of. */
struct kd_rehearse_estimate {
	uint32_t page_size;
	uint64_t max_pfn;		/**< one past the highest pfn */
	uint64_t present;		/**< pages in memory ranges (outside the skipped range) */
	uint64_t excluded[KD_PAGE_NCLASSES];	/**< by class, zero pages from their data */
	uint64_t skipped;		/**< present pages in the skipped range */
	uint64_t kept;			/**< pages the dump would hold data for */
	uint64_t described;		/**< pages with a descriptor (kept + zero pages) */
	uint64_t runs;			/**< runs of kept pages (an ELF dump's segments) */
	uint64_t unreadable;		/**< kept pages /proc/kcore could not give (counted raw) */
	uint64_t sample_pages;		/**< pages compressed for the ratio */
	uint64_t sample_in, sample_out;	/**< their bytes, and stored (raw when not smaller) */
	double compress_seconds;	/**< the time compressing the sample took */
	int codec;			/**< enum kd_save_codec used (never AUTO) */
	uint64_t data_bytes;		/**< the kept pages' estimated stored bytes */
	uint64_t size;			/**< the dump file's estimated size */
};

/**
 * Estimate the dump a crash now would write from the live kernel read
 * through @p kernel (opened on /proc/kcore): classify every page at
 * @p opts->dump_level (kd_pagefilter), find the zero pages among the kept
 * ones by their data (when the level excludes them), compress a sample of
 * the kept pages with the configured codec for the ratio, and add the
 * format's own bytes (kd_rehearse_dump_size).
 */
struct kd_error *kd_rehearse_estimate(struct kd_kernel *kernel,
				      const struct kd_rehearse_options *opts,
				      struct kd_rehearse_estimate *ret);

/**
 * The size of a dump in @p format (enum kd_save_format) holding
 * @p est->kept pages of data (their stored bytes est->data_bytes), with
 * @p est->described descriptors, @p est->runs runs, est->max_pfn pfns and
 * @p vmcoreinfo_len bytes of VMCOREINFO, laid out as lib/save writes it
 * (save-kdump.c: header block, sub header with VMCOREINFO and notes, two
 * bitmaps, the descriptor table, one shared zero page, the data).
 */
uint64_t kd_rehearse_dump_size(int format, unsigned int dump_level,
			       const struct kd_rehearse_estimate *est, size_t vmcoreinfo_len);

/* ---------------------------------------------------- the target's speed */

/** A bounded test write. */
struct kd_rehearse_write {
	uint64_t bytes;		/**< written and fsync'ed */
	double seconds;		/**< from the first write to the end of fsync */
	bool direct;		/**< written with O_DIRECT (else through the page cache) */
};

/**
 * Write up to @p max_bytes (in 1 MiB blocks of data no file system can
 * compress or deduplicate, with O_DIRECT where the file system has it, as
 * kexdump save writes) to a new file in the folder @p dir, stopping after
 * @p max_ms milliseconds, fsync it, time it, and remove it; the buffer is
 * zeroed before it is freed, so that the test leaves nothing for a dump
 * taken soon after. ENOSPC and the like are errors naming the folder.
 */
struct kd_error *kd_rehearse_write_speed(const char *dir, uint64_t max_bytes,
					 unsigned int max_ms, struct kd_rehearse_write *ret);

/**
 * Seconds a dump takes, estimated: reading and compressing @p in_bytes at
 * the sample's rate (@p est; one CPU, as the capture kernel has) plus
 * writing @p est->size at the test write's (@p w; not counted when
 * @p w->seconds is 0). 0 when nothing is known.
 */
double kd_rehearse_dump_seconds(const struct kd_rehearse_estimate *est,
				const struct kd_rehearse_write *w);

#ifdef __cplusplus
}
#endif

#endif

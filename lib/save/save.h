/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of kd_save(): the output sink (a file written at offsets, or a
 * flattened stream), the read-compress pipeline, and the two writers. */
#ifndef KEXDUMP_SAVE_PRIV_H
#define KEXDUMP_SAVE_PRIV_H

#include "dump/codec.h"
#include "kernel/kernel.h"
#include <kexdump/save.h>

#include <pthread.h>

/* ------------------------------------------------------------------ sink */

/*
 * Where a dump goes. A seekable file takes pwrite()s; a pipe takes
 * makedumpfile's flattened format (format-flat.c): every write becomes a
 * record {be64 offset, be64 size, data} that a reader places at offset;
 * a caller's output (kd_save_to(): a file on an SFTP server) takes writes
 * at offsets through its functions (fd is -1 then).
 */
/* What the writes took, while metered (kd_sink_meter_start): the link's
 * speed for --compress auto (save-auto.c). */
struct kd_sink_meter {
	bool on;
	int sched_fd;		/* /proc/thread-self/schedstat, or -1 */
	double wall;		/* seconds in writes, less the time waiting for a CPU */
	double cpu;		/* of which the writing thread ran */
	uint64_t bytes;		/* bytes they wrote */
};

struct kd_sink {
	int fd;
	bool flat;
	const struct kd_save_output *out;	/* NULL: fd */
	const char *name;	/* for error messages */
	uint64_t bytes;		/* payload bytes written */
	struct kd_sink_meter meter;
};

struct kd_error *kd_sink_init(struct kd_sink *sink, int fd, bool flat,
			      const char *name);
/* A sink writing through @p out (never flat). */
void kd_sink_init_output(struct kd_sink *sink, const struct kd_save_output *out);
/* Write all of buf at off; a failure is KD_ERROR_OS with the errno. */
struct kd_error *kd_sink_write(struct kd_sink *sink, const void *buf,
			       size_t len, uint64_t off);
/* Whether what was written can be read back (a file opened read-write, an
 * output with a pread function; never a stream): probes @p off. */
bool kd_sink_can_read(const struct kd_sink *sink, uint64_t off);
/* Read len bytes written at off; @p what names them in the error. */
struct kd_error *kd_sink_read(const struct kd_sink *sink, void *buf, size_t len,
			      uint64_t off, const char *what);
/* Time the writes of the calling thread from now on (a file descriptor
 * of its own: kd_sink_meter_stop closes it). */
void kd_sink_meter_start(struct kd_sink *sink);
void kd_sink_meter_stop(struct kd_sink *sink);
/* Around a write done without kd_sink_write (append.c's direct I/O): its
 * @p bytes and its time go into the meter. */
struct kd_sink_tick {
	double wall, cpu, delay;
};
void kd_sink_meter_enter(const struct kd_sink *sink, struct kd_sink_tick *t);
void kd_sink_meter_leave(struct kd_sink *sink, const struct kd_sink_tick *t, uint64_t bytes);
/* End a flattened stream (the {-1, -1} record); nothing for files. */
struct kd_error *kd_sink_finish(struct kd_sink *sink);

/* ---------------------------------------------------------------- append */

/*
 * The page data of a dump, appended at increasing offsets of a seekable
 * sink, with O_DIRECT where the file system takes it (append.c). Readers
 * must not be pointed at data before kd_append_flush() (or, when
 * direct I/O is off, before each append returns): kd_append_durable()
 * says how far the data is written.
 */
#define KD_APPEND_BUF (2u << 20)	/* per direct write: ~1 ms at 1.7 GB/s */

struct kd_append {
	struct kd_sink *sink;
	int dfd;		/* O_DIRECT descriptor, -1 = buffered */
	bool regular;		/* a regular file (can be truncated) */
	bool padded;		/* a padded block was written: cut at the end */
	uint8_t *buf;		/* aligned; holds [base, base + len) */
	size_t len;
	uint64_t base, pos;	/* pos: the end of the data appended */
	uint64_t durable;	/* data below is written */
};

/* Start appending at @p start; direct I/O when @p direct, the sink a file
 * and start block-aligned, else plain pwrite()s. Never fails. */
void kd_append_init(struct kd_append *a, struct kd_sink *sink, uint64_t start,
		    bool direct);
bool kd_append_is_direct(const struct kd_append *a);
struct kd_error *kd_append_write(struct kd_append *a, const void *buf,
				 size_t len);
/* Make everything appended so far written (durable == pos). */
struct kd_error *kd_append_flush(struct kd_append *a);
static inline uint64_t kd_append_durable(const struct kd_append *a)
{
	return a->durable;
}
/* Write the rest, set the file's size to the end of the data, free. */
struct kd_error *kd_append_end(struct kd_append *a);
/* Free without writing (after an error). */
void kd_append_abandon(struct kd_append *a);

/* -------------------------------------------------------------- pipeline */

enum kd_job_mode {
	KD_JOB_COMPRESS,	/* read, find zero pages, compress */
	KD_JOB_SCAN,		/* read, find zero pages only */
	KD_JOB_RAW,		/* read only */
};

/* What became of one page of a job. */
struct kd_job_page {
	uint32_t size;		/* bytes in the job's output, 0 for zero pages */
	uint32_t flags;		/* DUMP_DH_COMPRESSED_* of the page, 0 = raw */
	bool zero;
	bool unreadable;	/* the source could not give it (EIO): size 0 */
};

/*
 * A batch of pages, filled by the main thread in output order, processed by
 * a worker, written back by the main thread in the same order: the output
 * is the same for any number of workers.
 */
struct kd_job {
	uint64_t *pfns;
	uint64_t *ranks;	/* caller's per-page tag (descriptor index) */
	size_t n, cap;
	struct kd_job_page *pages;
	uint8_t *in;		/* cap pages as read */
	uint8_t *out;		/* compressed pages, back to back */
	size_t out_len;
	struct kd_error *err;
	/* how its pages are compressed: the pipeline's codec when the job
	 * was handed out (kd_pipeline_set_codec) */
	bool compress;
	enum kd_codec codec;
	uint32_t codec_flag;
	int level;
	/* pipeline private */
	int state;
	uint64_t seq;
};

struct kd_pipeline_config {
	struct kd_dump *dump;
	unsigned int workers;	/* >= 1 */
	size_t jobs;		/* ring size, >= 2 */
	size_t batch;		/* pages per job */
	uint32_t page_size;
	enum kd_job_mode mode;
	bool find_zero;
	bool compress;		/* false: store pages raw */
	enum kd_codec codec;
	uint32_t codec_flag;	/* page_desc flag for compressed pages */
	int level;		/* codec level, 0 = default */
};

struct kd_pipeline;

typedef struct kd_error *kd_job_done_fn(struct kd_job *job, void *arg);

struct kd_error *kd_pipeline_create(const struct kd_pipeline_config *cfg,
				    kd_job_done_fn *done, void *arg,
				    struct kd_pipeline **ret);
/* A free job to fill (n = 0); may first hand finished jobs to done(). */
struct kd_error *kd_pipeline_get(struct kd_pipeline *pl, struct kd_job **ret);
void kd_pipeline_submit(struct kd_pipeline *pl, struct kd_job *job);
/* Append a page (and its tag) to *job, first getting a free job when *job
 * is NULL; a full job is submitted and *job becomes NULL. */
struct kd_error *kd_pipeline_add(struct kd_pipeline *pl, struct kd_job **job,
				 uint64_t pfn, uint64_t rank);
/* The codec of the jobs handed out from now on (--compress auto changes
 * it during a save: kdump-compressed pages each carry their codec). */
void kd_pipeline_set_codec(struct kd_pipeline *pl, bool compress, enum kd_codec codec,
			   uint32_t codec_flag, int level);
/* Submit the partly filled job (may be NULL), then drain. */
struct kd_error *kd_pipeline_flush(struct kd_pipeline *pl, struct kd_job *job);
/* Wait for every submitted job and hand each to done(), in order. */
struct kd_error *kd_pipeline_drain(struct kd_pipeline *pl);
/* Stop the workers (after drain, or to abandon); frees everything. */
void kd_pipeline_destroy(struct kd_pipeline *pl);

/* ----------------------------------------------------------------- save */

/* kd_save_fd() with the page bitmaps processed in windows of @p
 * window_pfns pages (a multiple of 8; kd_save_fd() uses 2^21, 8 GiB of 4
 * KiB pages): tests make dumps span many windows with it. */
struct kd_error *kd_save_fd_windowed(struct kd_kernel *kernel, int fd,
				     bool seekable,
				     const struct kd_save_options *opts,
				     struct kd_save_stats *stats,
				     uint64_t window_pfns);
/* kd_save_fd() whose write errors name @p name (the file being written)
 * rather than "output". */
struct kd_error *kd_save_fd_named(struct kd_kernel *kernel, int fd,
				  const char *name, bool seekable,
				  const struct kd_save_options *opts,
				  struct kd_save_stats *stats);

/* kd_save_to() deciding --compress auto every @p auto_step bytes written
 * (kd_save_to(): KD_SAVE_AUTO_STEP): tests make small dumps switch. */
struct kd_error *kd_save_to_stepped(struct kd_kernel *kernel, const struct kd_save_output *out,
				    const struct kd_save_options *opts,
				    struct kd_save_stats *stats, uint64_t auto_step);

/* What lib/dump/format-elf.c reads at most: an ELF save writes no more. */
#define KD_SAVE_ELF_MAX_PHDRS (1u << 24)

/* kd_save_fd() writing ELF dumps of at most @p max_phdrs program headers
 * (kd_save_fd(): KD_SAVE_ELF_MAX_PHDRS): tests reach the cap with it. */
struct kd_error *kd_save_fd_capped(struct kd_kernel *kernel, int fd,
				   const struct kd_save_options *opts,
				   struct kd_save_stats *stats,
				   uint64_t max_phdrs);

/* ------------------------------------------------------------ the saver */

/* What save.c shares with its two writers, save-kdump.c and save-elf.c. */
#define KD_SAVE_BATCH_PAGES 128	/* pages per pipeline job */
#define KD_SAVE_DESC_BUF 4096		/* kdump descriptors buffered per write */
#define KD_SAVE_DESC_BUF_BYTES (KD_SAVE_DESC_BUF * 24u)	/* PD_LEN each */
#define KD_SAVE_MAX_PRIO 8

// Pages [pfn, pfn + n) kept, then up to pfn + memn zero pages left out:
// an ELF segment whose p_memsz tail reads as zeros (as gdb, crash and
// format-elf.c read it; makedumpfile -E does the same).
struct kd_save_run {
	uint64_t pfn, n, memn;
};

// A kept page the source could not give, and its descriptor index.
struct kd_save_bad {
	uint64_t pfn, rank;
};

struct kd_saver {
	struct kd_kernel *kernel;
	struct kd_dump *dump;
	const struct kd_save_options *opts;
	struct kd_save_stats *stats;
	struct kd_sink sink;
	struct kd_append app;		// the page data
	enum kd_save_codec codec;	// resolved: never KD_SAVE_AUTO
	uint32_t ps;
	uint64_t max_pfn;		// exclusive, a multiple of 8
	uint64_t window;
	size_t nwin;
	uint8_t *present, *keep;	// the bitmaps of one window
	uint8_t *zero;			// ELF: pages found to be zero
	size_t cached_win;		// which, or SIZE_MAX
	bool reread;			// keep bits read back from the output
	struct kd_pagefilter *pf;	// NULL: no struct page filtering
	bool filter_counts;		// count exclusions (first pass only)
	uint64_t *win_kept;
	uint64_t nkept;
	struct kd_save_run prio[KD_SAVE_MAX_PRIO];	// pfn ranges written first...
	int prio_tier[KD_SAVE_MAX_PRIO];	// ...lowest tier first
	size_t nprio;
	// kdump-compressed layout
	uint64_t bitmap_off, bitmap_bytes, desc_off, data_pos, zero_off;
	uint32_t codec_flag;
	uint8_t *dbuf;
	size_t dbuf_n;
	uint64_t dbuf_rank;
	uint64_t dbuf_data_end;		// the end of the data dbuf points at
	struct kd_save_bad *bad;	// unreadable pages
	size_t nbad, bad_cap;
	// ELF
	struct kd_save_run *runs;
	size_t nruns, runs_cap;
	uint64_t elf_pos, elf_data_off;
	uint64_t max_phdrs;		// ELF program headers at most
	struct kd_save_progress prog;
	// --compress auto (save-auto.c)
	bool autosel;			// choosing the codec as it goes
	uint64_t auto_step;		// bytes written between decisions
	struct kd_pipeline *pl;		// the kdump writer's, while it runs
	size_t auto_cur;		// the candidate jobs get now
	struct kd_sink_meter auto_mark;	// the meter at the last decision
	double auto_space;		// bytes free on the target at the start, -1: unknown
	uint64_t auto_space_at;		// sink.bytes then
};

/* The classification window (lib/save/save.c). */
uint64_t kd_saver_window_pfns(const struct kd_saver *s, size_t w);
struct kd_error *kd_saver_load_window(struct kd_saver *s, size_t w);
struct kd_error *kd_saver_begin_pass(struct kd_saver *s);
uint64_t kd_saver_popcount(const uint8_t *b, size_t n);
void kd_saver_not_stored(struct kd_saver *s, uint64_t kept);
void kd_saver_report(struct kd_saver *s, size_t pages);
struct kd_error *kd_saver_add_bad(struct kd_saver *s, uint64_t pfn, uint64_t rank);
static inline bool kd_saver_bit(const uint8_t *bm, uint64_t i)
{
	return bm[i / 8] & (1u << (i % 8));
}

/* --compress auto (save-auto.c). */
#define KD_SAVE_AUTO_STEP (4u << 20)	/* bytes written between decisions */
#define KD_SAVE_AUTO_SAMPLE 128		/* pages the codecs are measured on */
#define KD_SAVE_AUTO_MARGIN 0.1		/* the gain a change of codec needs */

/* One candidate codec, per byte in: what it costs, and the estimate. */
struct kd_save_auto_cand {
	double cpu;	/* CPU seconds to compress a byte */
	double ratio;	/* bytes out per byte in */
	double est;	/* out: seconds the save takes per byte in */
};
/* The target, per byte out: wall seconds the writer spends writing it
 * (not counting waits for a CPU), and of those, seconds on a CPU. */
struct kd_save_auto_link {
	double wall, cpu;
};
/* The rule: the candidate with the smallest estimate (lightest first on a
 * tie), where a candidate's estimate is the longest of its CPU work over
 * min(cpus, workers + 1), its compression over the workers and its bytes
 * at the link's wall time; a candidate whose @p in_left bytes would not
 * fit in @p space_left (>= 0: known) is skipped, and when none fits the
 * smallest ratio wins. Fills every est. */
size_t kd_save_auto_pick(struct kd_save_auto_cand *c, size_t n,
			 const struct kd_save_auto_link *link, unsigned int workers,
			 unsigned int cpus, double in_left, double space_left);
/* Measure the candidates on a sample of the kept pages of the window at
 * hand, start with the codec by dump level and meter the writes; nothing
 * (s->autosel stays false) when there is nothing to sample. */
void kd_save_auto_begin(struct kd_saver *s, struct kd_pipeline *pl, unsigned int workers);
/* After each job is written: count its pages, decide again every
 * KD_SAVE_AUTO_STEP bytes written. */
void kd_save_auto_step(struct kd_saver *s, struct kd_pipeline *pl, const struct kd_job *job);
/* Stop metering; the codec of most pages becomes s->codec (the header's). */
void kd_save_auto_end(struct kd_saver *s);

/* The two writers. */
struct kd_error *kd_save_kdump(struct kd_saver *s, unsigned int workers,
			       size_t jobs);
struct kd_error *kd_save_elf(struct kd_saver *s, unsigned int workers,
			     size_t jobs);

#endif

// SPDX-License-Identifier: LGPL-2.1-or-later
// kd_save(): write a filtered, compressed copy of a dump -- the driver.
//
// Pages are classified from struct page (kernel/pagefilter.c) in windows
// of pfns, so memory stays bounded whatever the size of the dumped machine
// (what makedumpfile calls cyclic mode), and pages that a level excludes
// are never read. Kept pages go through the pipeline (pipeline.c): read,
// zero test and compression on worker threads, written in order by the
// calling thread. This file sizes the windows, threads and memory, and
// hands the work to one of the two writers: save-kdump.c (the
// kdump-compressed format, also flattened) or save-elf.c (an ELF core).
#include "save/save.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#define DEFAULT_MEM_LIMIT (32u << 20)
// pfns per classification window: 8 GiB of 4 KiB pages, 256 KiB per
// bitmap; larger than any buddy block or compound page on x86_64 (1 GiB),
// so no exclusion crosses a window in practice.
#define WINDOW_PFNS (1ull << 21)

/* --------------------------------------------------------------- windows */

// Pages present and stored without struct page knowledge: the dump's
// ranges (and, for filtered sources, what they hold).
static void save_window_from_ranges(struct kd_saver *s, uint64_t start, uint64_t n)
{
	for (size_t r = 0; r < kd_dump_num_ranges(s->dump); r++) {
		const struct kd_phys_range *rg = kd_dump_range(s->dump, r);
		uint64_t a = (rg->start + s->ps - 1) / s->ps;
		uint64_t b = (rg->start + rg->size) / s->ps;
		if (a < start)
			a = start;
		if (b > start + n)
			b = start + n;
		for (uint64_t pfn = a; pfn < b; pfn++) {
			uint64_t i = pfn - start;
			s->present[i / 8] |= (uint8_t)(1u << (i % 8));
			if (kd_dump_page_stored(s->dump, pfn * s->ps, s->ps))
				s->keep[i / 8] |= (uint8_t)(1u << (i % 8));
		}
	}
}

// pfns in window w (the last one may be short); a multiple of 8.
uint64_t kd_saver_window_pfns(const struct kd_saver *s, size_t w)
{
	uint64_t start = w * s->window;
	return s->max_pfn - start < s->window ? s->max_pfn - start : s->window;
}

struct kd_error *kd_saver_load_window(struct kd_saver *s, size_t w)
{
	if (s->cached_win == w)
		return NULL;
	uint64_t start = w * s->window;
	uint64_t n = kd_saver_window_pfns(s, w);
	memset(s->present, 0, s->window / 8);
	memset(s->keep, 0, s->window / 8);
	s->cached_win = SIZE_MAX;
	if (s->pf) {
		uint64_t scratch[KD_PAGE_NCLASSES] = { 0 };
		struct kd_error *err = kd_pagefilter_window(s->pf, start, n,
			s->present, s->keep,
			s->filter_counts ? s->stats->pages_excluded : scratch);
		if (err)
			return err;
	} else {
		save_window_from_ranges(s, start, n);
	}
	s->cached_win = w;
	return NULL;
}

// Start a pass over the windows: the filter carries state from window to
// window, so each pass starts it afresh (the cached window stays valid
// when there is only one).
struct kd_error *kd_saver_begin_pass(struct kd_saver *s)
{
	if (!s->pf || s->nwin == 1 || s->reread)
		return NULL;
	kd_pagefilter_close(s->pf);
	s->pf = NULL;
	s->cached_win = SIZE_MAX;
	return kd_pagefilter_open(s->kernel, s->opts->dump_level, &s->pf);
}

uint64_t kd_saver_popcount(const uint8_t *b, size_t n)
{
	// Eight bytes at a time: a dump whose memory spans 2^46 bytes has
	// 8192 windows of 256 KiB bitmaps to count.
	uint64_t c = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		c += (uint64_t)__builtin_popcountll(w);
	}
	for (; i < n; i++)
		c += (uint64_t)__builtin_popcount(b[i]);
	return c;
}

// A kept page the source could not give (EIO): remembered with its rank
// among the pages written, for the writer to take it out at the end.
struct kd_error *kd_saver_add_bad(struct kd_saver *s, uint64_t pfn, uint64_t rank)
{
	if (s->nbad == s->bad_cap) {
		size_t cap = s->bad_cap ? 2 * s->bad_cap : 64;
		struct kd_save_bad *b = realloc(s->bad, cap * sizeof(*b));
		if (!b)
			return &kd_enomem;
		s->bad = b;
		s->bad_cap = cap;
	}
	s->bad[s->nbad++] = (struct kd_save_bad){ pfn, rank };
	s->stats->pages_unreadable++;
	return NULL;
}

// Present pages neither kept nor excluded by type: an already filtered
// source does not hold them.
void kd_saver_not_stored(struct kd_saver *s, uint64_t kept)
{
	uint64_t excl = 0;
	for (unsigned int c = 0; c < KD_PAGE_NCLASSES; c++)
		if (c != KD_PAGE_ZERO)
			excl += s->stats->pages_excluded[c];
	uint64_t p = s->stats->pages_present;
	s->stats->pages_not_stored = p > kept + excl ? p - kept - excl : 0;
}

void kd_saver_report(struct kd_saver *s, size_t pages)
{
	s->prog.pages_done += pages;
	s->prog.bytes_in += (uint64_t)pages * s->ps;
	s->prog.bytes_out = s->sink.bytes;
	if (s->opts->progress)
		s->opts->progress(&s->prog, s->opts->progress_arg);
}


/* ------------------------------------------------------------- kd_save */

// KD_SAVE_AUTO. With page cache and user pages excluded (-d 31 and the
// like) what is left is the kernel's own memory, a few hundred MiB per
// 8 GiB that analysis reads: zstd -1, smaller than makedumpfile's zlib.
// Keeping them means gigabytes of file data and heaps: lzo, which crash
// reads too, at 2.5x zstd -1's speed for ~9% more bytes on the 8 GiB
// filled dump (docs/benchmarks.md), because the machine stays down until
// the capture kernel is done.
static enum kd_save_codec save_resolve_codec(enum kd_save_codec codec,
					unsigned int dump_level)
{
	const unsigned int bulk = KD_DL_CACHE | KD_DL_USER;
	if (codec != KD_SAVE_AUTO)
		return codec;
	return (dump_level & bulk) == bulk ? KD_SAVE_ZSTD : KD_SAVE_LZO;
}

static struct kd_error *save_fd(struct kd_kernel *kernel, int fd,
				const char *name, bool seekable,
				const struct kd_save_options *opts,
				struct kd_save_stats *stats, uint64_t window_pfns,
				uint64_t max_phdrs);
static struct kd_error *save_any(struct kd_kernel *kernel, int fd,
				 const struct kd_save_output *out,
				 const char *name, bool seekable,
				 const struct kd_save_options *opts,
				 struct kd_save_stats *stats, uint64_t window_pfns,
				 uint64_t max_phdrs, uint64_t auto_step);

KD_EXPORT struct kd_error *kd_save_to(struct kd_kernel *kernel,
				      const struct kd_save_output *out,
				      const struct kd_save_options *opts,
				      struct kd_save_stats *stats)
{
	if (opts->format == KD_SAVE_FLAT)
		return kd_error_create(KD_ERROR_INVALID,
			"%s: written at offsets: the flattened format is for streams",
			out->name ? out->name : "output");
	return save_any(kernel, -1, out, out->name ? out->name : "output", true, opts, stats,
			WINDOW_PFNS, KD_SAVE_ELF_MAX_PHDRS, KD_SAVE_AUTO_STEP);
}

struct kd_error *kd_save_to_stepped(struct kd_kernel *kernel, const struct kd_save_output *out,
				    const struct kd_save_options *opts,
				    struct kd_save_stats *stats, uint64_t auto_step)
{
	return save_any(kernel, -1, out, out->name ? out->name : "output", true, opts, stats,
			WINDOW_PFNS, KD_SAVE_ELF_MAX_PHDRS, auto_step);
}

KD_EXPORT struct kd_error *kd_save_fd(struct kd_kernel *kernel, int fd,
				      bool seekable,
				      const struct kd_save_options *opts,
				      struct kd_save_stats *stats)
{
	return save_fd(kernel, fd, fd == 1 ? "standard output" : "output", seekable,
		       opts, stats, WINDOW_PFNS, KD_SAVE_ELF_MAX_PHDRS);
}

struct kd_error *kd_save_fd_named(struct kd_kernel *kernel, int fd,
				  const char *name, bool seekable,
				  const struct kd_save_options *opts,
				  struct kd_save_stats *stats)
{
	return save_fd(kernel, fd, name, seekable, opts, stats, WINDOW_PFNS, KD_SAVE_ELF_MAX_PHDRS);
}

struct kd_error *kd_save_fd_windowed(struct kd_kernel *kernel, int fd,
				     bool seekable,
				     const struct kd_save_options *opts,
				     struct kd_save_stats *stats,
				     uint64_t window_pfns)
{
	return save_fd(kernel, fd, "output", seekable, opts, stats, window_pfns,
		       KD_SAVE_ELF_MAX_PHDRS);
}

struct kd_error *kd_save_fd_capped(struct kd_kernel *kernel, int fd,
				   const struct kd_save_options *opts,
				   struct kd_save_stats *stats,
				   uint64_t max_phdrs)
{
	return save_fd(kernel, fd, "output", true, opts, stats, WINDOW_PFNS,
		       max_phdrs);
}

static struct kd_error *save_fd(struct kd_kernel *kernel, int fd,
				const char *name, bool seekable,
				const struct kd_save_options *opts,
				struct kd_save_stats *stats, uint64_t window_pfns,
				uint64_t max_phdrs)
{
	return save_any(kernel, fd, NULL, name, seekable, opts, stats, window_pfns, max_phdrs,
			KD_SAVE_AUTO_STEP);
}

// The output is @p fd, or when @p out is set the caller's functions.
static struct kd_error *save_any(struct kd_kernel *kernel, int fd,
				 const struct kd_save_output *out,
				 const char *name, bool seekable,
				 const struct kd_save_options *opts,
				 struct kd_save_stats *stats, uint64_t window_pfns,
				 uint64_t max_phdrs, uint64_t auto_step)
{
	memset(stats, 0, sizeof(*stats));
	struct kd_dump *dump = kd_kernel_dump(kernel);
	if (opts->dump_level > 31)
		return kd_error_create(KD_ERROR_INVALID,
			"dump level %u is out of range (0-31)", opts->dump_level);
	struct kd_error *lerr = kd_save_check_level(opts->codec, opts->level);
	if (lerr)
		return lerr;
	if (!seekable && opts->format != KD_SAVE_FLAT)
		return kd_error_create(KD_ERROR_INVALID,
			"the output is not seekable: only the flattened format can be streamed");
	struct kd_saver s = {
		.kernel = kernel, .dump = dump, .opts = opts, .stats = stats,
		.cached_win = SIZE_MAX, .app = { .dfd = -1 },
		.max_phdrs = max_phdrs, .auto_step = auto_step,
	};
	struct kd_error *err = NULL;
	if (opts->format == KD_SAVE_ELF && dump->big_endian)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: writing big-endian dumps is not supported",
			kd_dump_path(dump));

	if (opts->dump_level & ~KD_DL_ZERO) {
		err = kd_pagefilter_open(kernel, opts->dump_level, &s.pf);
		if (err) {
			// Keep everything rather than fail in the capture
			// kernel: a bigger dump beats no dump.
			snprintf(stats->warning, sizeof(stats->warning),
				 "pages not filtered by type: %s",
				 kd_error_message(err));
			kd_error_destroy(err);
			s.pf = NULL;
		}
	}
	// Without struct pages every present page is kept, whatever the level.
	s.codec = save_resolve_codec(opts->codec,
				s.pf ? opts->dump_level : opts->dump_level & KD_DL_ZERO);
	stats->codec = s.codec;
	stats->level = opts->level;
	s.ps = s.pf ? kd_pagefilter_page_size(s.pf) : 4096;
	if (!s.pf) {
		uint64_t ps = 0;
		err = kd_vmcoreinfo_u64(kd_kernel_vmcoreinfo(kernel), "PAGESIZE",
					10, &ps);
		kd_error_destroy(err);
		if (ps >= 4096 && ps <= (1u << 20) && !(ps & (ps - 1)))
			s.ps = (uint32_t)ps;
	}
	uint64_t end = 0;
	for (size_t r = 0; r < kd_dump_num_ranges(dump); r++) {
		const struct kd_phys_range *rg = kd_dump_range(dump, r);
		if (rg->start + rg->size > end)
			end = rg->start + rg->size;
	}
	s.max_pfn = kd_round_up((end + s.ps - 1) / s.ps, 8);
	if (s.pf && kd_pagefilter_max_pfn(s.pf) > s.max_pfn)
		s.max_pfn = kd_round_up(kd_pagefilter_max_pfn(s.pf), 8);
	window_pfns = kd_round_up(window_pfns ? window_pfns : 8, 8);
	s.window = s.max_pfn < window_pfns ? s.max_pfn : window_pfns;
	if (!s.window)
		s.window = 8;
	s.nwin = (size_t)((s.max_pfn + s.window - 1) / s.window);

	// Threads and the job ring within the memory budget.
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int workers = opts->threads ? opts->threads :
			       online > 0 ? (unsigned int)online : 1;
	if (workers > 64)
		workers = 64;
	size_t budget = opts->mem_limit ? opts->mem_limit : DEFAULT_MEM_LIMIT;
	size_t per_job = KD_SAVE_BATCH_PAGES * (s.ps + kd_codec_bound(s.ps) + 32);
	size_t fixed = 2 * s.window / 8 + KD_SAVE_DESC_BUF_BYTES + KD_APPEND_BUF +
		       (8u << 20);
	size_t jobs = budget > fixed ? (budget - fixed) / per_job : 0;
	if (jobs < 2)
		jobs = 2;
	if (jobs > 2 * (size_t)workers + 2)
		jobs = 2 * (size_t)workers + 2;
	if (workers > jobs)
		workers = (unsigned int)jobs;
	stats->threads = workers;

	s.present = malloc(s.window / 8);
	s.keep = malloc(s.window / 8);
	if (!s.present || !s.keep) {
		err = &kd_enomem;
		goto out;
	}
	if (out)
		kd_sink_init_output(&s.sink, out);
	else if ((err = kd_sink_init(&s.sink, fd, !seekable || opts->format == KD_SAVE_FLAT,
				     name)))
		goto out;
	if (opts->format == KD_SAVE_ELF) {
		err = kd_save_elf(&s, workers, jobs);
	} else {
		err = kd_save_kdump(&s, workers, jobs);
	}
	if (!err)
		err = kd_sink_finish(&s.sink);
	if (err && kd_error_code(err) == KD_ERROR_OS)
		stats->incomplete = true;
out:
	stats->bytes_in = s.prog.bytes_in;
	stats->bytes_out = s.sink.bytes;
	kd_append_abandon(&s.app);	// after an error before its end
	kd_pagefilter_close(s.pf);
	free(s.present);
	free(s.keep);
	free(s.win_kept);
	free(s.dbuf);
	free(s.runs);
	free(s.zero);
	free(s.bad);
	return err;
}


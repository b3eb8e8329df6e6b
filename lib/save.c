// SPDX-License-Identifier: LGPL-2.1-or-later
// kd_save(): write a filtered, compressed copy of a dump.
//
// Pages are classified from struct page (pageclass.c) in windows of pfns,
// so memory stays bounded whatever the size of the dumped machine (what
// makedumpfile calls cyclic mode), and pages that a level excludes are never
// read. Kept pages go through the pipeline (pipeline.c): read, zero test and
// compression on worker threads, written in order by the calling thread.
//
// kdump-compressed output (makedumpfile.c write_kdump_header,
// write_kdump_bitmap*, write_kdump_pages_and_bitmap_cyclic; crash's
// diskdump.c reads it): header, sub header with VMCOREINFO and the ELF
// notes, the two bitmaps, one descriptor per kept page (pfn order), data.
// The header says "incomplete" until the last write, and a descriptor is
// written only after its page's data, so a dump cut short by a full disk or
// a reset reads as incomplete with the pages written so far. Pages that
// analysis needs first (kernel image, printk ring) are written first.
//
// ELF output: like /proc/vmcore, one PT_LOAD per run of kept pages at its
// direct-map address plus the kernel image at its text-mapping address
// (crash finds phys_base from it, gdb reads kernel symbols through it).
#include "save.h"
#include "kdump-layout.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define DEFAULT_MEM_LIMIT (32u << 20)
// pfns per classification window: 8 GiB of 4 KiB pages, 256 KiB per
// bitmap; larger than any buddy block or compound page on x86_64 (1 GiB),
// so no exclusion crosses a window in practice.
#define WINDOW_PFNS (1ull << 21)
#define BATCH_PAGES 128
#define DESC_BUF 4096		// descriptors buffered per write
#define MAX_PRIO 8
#define PRIO_TIERS 2	// tier 0: what `kexdump dmesg` reads; 1: the kernel image

// Pages [pfn, pfn + n) kept, then up to pfn + memn zero pages left out:
// an ELF segment whose p_memsz tail reads as zeros (as gdb, crash and
// format-elf.c read it; makedumpfile -E does the same).
struct run {
	uint64_t pfn, n, memn;
};

struct saver {
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
	struct run prio[MAX_PRIO];	// pfn ranges written first...
	int prio_tier[MAX_PRIO];	// ...lowest tier first
	size_t nprio;
	// kdump-compressed layout
	uint64_t bitmap_off, bitmap_bytes, desc_off, data_pos, zero_off;
	uint32_t codec_flag;
	uint8_t *dbuf;
	size_t dbuf_n;
	uint64_t dbuf_rank;
	uint64_t dbuf_data_end;		// the end of the data dbuf points at
	// ELF
	struct run *runs;
	size_t nruns, runs_cap;
	uint64_t elf_pos;
	struct kd_save_progress prog;
};

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}
static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static bool bit(const uint8_t *bm, uint64_t i)
{
	return bm[i / 8] & (1u << (i % 8));
}

/* --------------------------------------------------------------- windows */

// Pages present and stored without struct page knowledge: the dump's
// ranges (and, for filtered sources, what they hold).
static void window_from_ranges(struct saver *s, uint64_t start, uint64_t n)
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
static uint64_t window_pfns(const struct saver *s, size_t w)
{
	uint64_t start = w * s->window;
	return s->max_pfn - start < s->window ? s->max_pfn - start : s->window;
}

static struct kd_error *load_window(struct saver *s, size_t w)
{
	if (s->cached_win == w)
		return NULL;
	uint64_t start = w * s->window;
	uint64_t n = window_pfns(s, w);
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
		window_from_ranges(s, start, n);
	}
	s->cached_win = w;
	return NULL;
}

// Start a pass over the windows: the filter carries state from window to
// window, so each pass starts it afresh (the cached window stays valid
// when there is only one).
static struct kd_error *begin_pass(struct saver *s)
{
	if (!s->pf || s->nwin == 1 || s->reread)
		return NULL;
	kd_pagefilter_close(s->pf);
	s->pf = NULL;
	s->cached_win = SIZE_MAX;
	return kd_pagefilter_open(s->kernel, s->opts->dump_level, &s->pf);
}

// The keep bits of window w in the writing passes: read back from the
// kdump output's second bitmap, where the first pass wrote them (1 bit per
// page, against 64 bytes of struct page to classify again: on the 8 GiB
// dump each classification pass costs 0.12 s), else classified again.
static struct kd_error *load_keep(struct saver *s, size_t w)
{
	if (!s->reread || s->cached_win == w)
		return load_window(s, w);
	size_t nbytes = (size_t)(window_pfns(s, w) / 8);
	uint64_t off = s->bitmap_off + s->bitmap_bytes + w * (s->window / 8);
	for (size_t done = 0; done < nbytes;) {
		ssize_t n = pread(s->sink.fd, s->keep + done, nbytes - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kd_error_os(n < 0 ? errno : EIO,
					   "%s: cannot read back its bitmap",
					   s->sink.name);
		done += (size_t)n;
	}
	s->cached_win = w;
	return NULL;
}

// Whether the output can be read back (kd_save_file opens it read-write;
// a caller's descriptor may be write-only, a stream never is).
static bool can_reread(const struct saver *s)
{
	uint8_t b;
	return !s->sink.flat && s->nwin > 1 &&
	       pread(s->sink.fd, &b, 1, (off_t)(s->bitmap_off + s->bitmap_bytes)) == 1;
}

static uint64_t popcount_bytes(const uint8_t *b, size_t n)
{
	uint64_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += (uint64_t)__builtin_popcount(b[i]);
	return c;
}

// Present pages neither kept nor excluded by type: an already filtered
// source does not hold them.
static void not_stored(struct saver *s, uint64_t kept)
{
	uint64_t excl = 0;
	for (unsigned int c = 0; c < KD_PAGE_NCLASSES; c++)
		if (c != KD_PAGE_ZERO)
			excl += s->stats->pages_excluded[c];
	uint64_t p = s->stats->pages_present;
	s->stats->pages_not_stored = p > kept + excl ? p - kept - excl : 0;
}

// The write phase of a page: its lowest priority tier, PRIO_TIERS for the
// rest.
static int phase_of(const struct saver *s, uint64_t pfn)
{
	int t = PRIO_TIERS;
	for (size_t i = 0; i < s->nprio; i++)
		if (pfn >= s->prio[i].pfn && pfn < s->prio[i].pfn + s->prio[i].n &&
		    s->prio_tier[i] < t)
			t = s->prio_tier[i];
	return t;
}

/* ---------------------------------------------------- what to write first */

static void add_prio_va(struct saver *s, int tier, uint64_t va, uint64_t len)
{
	uint64_t pa;
	struct kd_error *err = kd_kernel_vtop(s->kernel, va, &pa);
	if (err) {
		kd_error_destroy(err);
		return;
	}
	if (s->nprio < MAX_PRIO && len) {
		s->prio_tier[s->nprio] = tier;
		s->prio[s->nprio++] = (struct run){
			pa / s->ps, (pa % s->ps + len + s->ps - 1) / s->ps, 0 };
	}
}

// What to write first, so that a dump cut short by a full disk still has
// its log: tier 0 is what `kexdump dmesg` reads, the `prb` pointer, the
// ring (kernel/printk/printk_ringbuffer.h, as VMCOREINFO describes it) and
// its three arrays; tier 1 the kernel image. Only VMCOREINFO is used
// (decoding kallsyms for _end would cost more than the rest of a -d 31
// save), so the image is taken as KERNEL_IMAGE_GUESS bytes from _stext:
// a wrong guess only changes the order pages are written in.
#define KERNEL_IMAGE_GUESS (64u << 20)
static void find_priority(struct saver *s)
{
	uint64_t stext, prb;
	const struct kd_vmcoreinfo *vi = kd_kernel_vmcoreinfo(s->kernel);
	struct kd_error *e = kd_vmcoreinfo_symbol(vi, "_stext", &stext);
	if (!e)
		add_prio_va(s, 1, stext, KERNEL_IMAGE_GUESS);
	kd_error_destroy(e);
	uint64_t o_desc, o_text, o_cbits, o_descs, o_infos, o_sbits, o_data;
	uint64_t sz_desc, sz_info, sz_rb, rb;
	uint32_t cbits, sbits;
	uint64_t descs, infos, data;
	struct kd_error *err = NULL;
	if ((err = kd_vmcoreinfo_symbol(vi, "prb", &prb)) ||
	    (err = kd_vmcoreinfo_size(vi, "printk_ringbuffer", &sz_rb)) ||
	    (err = kd_vmcoreinfo_offset(vi, "printk_ringbuffer.desc_ring", &o_desc)) ||
	    (err = kd_vmcoreinfo_offset(vi, "printk_ringbuffer.text_data_ring", &o_text)) ||
	    (err = kd_vmcoreinfo_offset(vi, "prb_desc_ring.count_bits", &o_cbits)) ||
	    (err = kd_vmcoreinfo_offset(vi, "prb_desc_ring.descs", &o_descs)) ||
	    (err = kd_vmcoreinfo_offset(vi, "prb_desc_ring.infos", &o_infos)) ||
	    (err = kd_vmcoreinfo_offset(vi, "prb_data_ring.size_bits", &o_sbits)) ||
	    (err = kd_vmcoreinfo_offset(vi, "prb_data_ring.data", &o_data)) ||
	    (err = kd_vmcoreinfo_size(vi, "prb_desc", &sz_desc)) ||
	    (err = kd_vmcoreinfo_size(vi, "printk_info", &sz_info)) ||
	    (err = kd_kernel_read_u64(s->kernel, prb, &rb)) ||
	    (err = kd_kernel_read_u32(s->kernel, rb + o_desc + o_cbits, &cbits)) ||
	    (err = kd_kernel_read_u64(s->kernel, rb + o_desc + o_descs, &descs)) ||
	    (err = kd_kernel_read_u64(s->kernel, rb + o_desc + o_infos, &infos)) ||
	    (err = kd_kernel_read_u32(s->kernel, rb + o_text + o_sbits, &sbits)) ||
	    (err = kd_kernel_read_u64(s->kernel, rb + o_text + o_data, &data))) {
		kd_error_destroy(err);
		return;
	}
	if (cbits > 30 || sbits > 34)
		return;
	add_prio_va(s, 0, prb, 8);
	add_prio_va(s, 0, rb, sz_rb);
	add_prio_va(s, 0, descs, sz_desc << cbits);
	add_prio_va(s, 0, infos, sz_info << cbits);
	add_prio_va(s, 0, data, 1ull << sbits);
}

/* ---------------------------------------------------------- kdump output */

// Descriptors only ever point at data already written: a dump cut short
// (full disk, reset) has every page it describes.
static struct kd_error *flush_descs(struct saver *s)
{
	if (!s->dbuf_n)
		return NULL;
	struct kd_error *err = NULL;
	if (kd_append_durable(&s->app) < s->dbuf_data_end)
		err = kd_append_flush(&s->app);
	if (!err)
		err = kd_sink_write(&s->sink, s->dbuf, s->dbuf_n * PD_LEN,
				    s->desc_off + s->dbuf_rank * PD_LEN);
	s->dbuf_n = 0;
	return err;
}

// After a failed write: the buffered descriptors whose data did make it.
static void flush_durable_descs(struct saver *s)
{
	size_t n = 0;
	for (; n < s->dbuf_n; n++) {
		const uint8_t *d = s->dbuf + n * PD_LEN;
		uint64_t off = kd_le64(d + PD_OFFSET);
		if (off != s->zero_off &&
		    off + kd_le32(d + PD_SIZE) > kd_append_durable(&s->app))
			break;
	}
	struct kd_error *err = kd_sink_write(&s->sink, s->dbuf, n * PD_LEN,
					     s->desc_off + s->dbuf_rank * PD_LEN);
	kd_error_destroy(err);	// the first failure is the one reported
	s->dbuf_n = 0;
}

static struct kd_error *add_desc(struct saver *s, uint64_t rank, uint64_t off,
				 uint32_t size, uint32_t flags)
{
	struct kd_error *err;
	if (s->dbuf_n && (rank != s->dbuf_rank + s->dbuf_n || s->dbuf_n == DESC_BUF)) {
		if ((err = flush_descs(s)))
			return err;
	}
	if (!s->dbuf_n)
		s->dbuf_rank = rank;
	uint8_t *d = s->dbuf + s->dbuf_n++ * PD_LEN;
	if (off + size > s->dbuf_data_end)
		s->dbuf_data_end = off + size;
	memset(d, 0, PD_LEN);
	put_le64(d + PD_OFFSET, off);
	put_le32(d + PD_SIZE, size);
	put_le32(d + PD_FLAGS, flags);
	return NULL;
}

static void report(struct saver *s, size_t pages)
{
	s->prog.pages_done += pages;
	s->prog.bytes_in += (uint64_t)pages * s->ps;
	s->prog.bytes_out = s->sink.bytes;
	if (s->opts->progress)
		s->opts->progress(&s->prog, s->opts->progress_arg);
}

static struct kd_error *kdump_job_done(struct kd_job *job, void *arg)
{
	struct saver *s = arg;
	struct kd_error *err = kd_append_write(&s->app, job->out, job->out_len);
	if (err)
		return err;
	uint64_t pos = s->data_pos;
	s->data_pos += job->out_len;
	for (size_t i = 0; i < job->n; i++) {
		const struct kd_job_page *pg = &job->pages[i];
		if (pg->zero) {
			s->stats->pages_excluded[KD_PAGE_ZERO]++;
			err = add_desc(s, job->ranks[i], s->zero_off, s->ps, 0);
		} else {
			s->stats->pages_written++;
			err = add_desc(s, job->ranks[i], pos, pg->size, pg->flags);
			pos += pg->size;
		}
		if (err)
			return err;
	}
	// Descriptors as soon as their data is written (at once when
	// buffered; direct I/O writes every 2 MiB of data).
	if (kd_append_durable(&s->app) >= s->dbuf_data_end &&
	    (err = flush_descs(s)))
		return err;
	report(s, job->n);
	return NULL;
}

// The utsname of the dumped kernel (init_uts_ns), for the header; crash
// prints it and checks the release against the vmlinux.
static void fill_utsname(struct saver *s, uint8_t *uts)
{
	const struct kd_vmcoreinfo *vi = kd_kernel_vmcoreinfo(s->kernel);
	uint64_t ns, off = 0;
	struct kd_error *err = kd_vmcoreinfo_symbol(vi, "init_uts_ns", &ns);
	if (!err)
		err = kd_vmcoreinfo_offset(vi, "uts_namespace.name", &off);
	if (!err)
		err = kd_kernel_read_virt(s->kernel, ns + off, uts, 6 * UTS_FIELD);
	if (!err) {
		for (int i = 0; i < 6; i++)
			uts[i * UTS_FIELD + UTS_FIELD - 1] = '\0';
		return;
	}
	kd_error_destroy(err);
	memset(uts, 0, 6 * UTS_FIELD);
	const char *rel = NULL;
	memcpy(uts, "Linux", 5);
	err = kd_vmcoreinfo_string(vi, "OSRELEASE", &rel);
	if (!err && rel)
		strncpy((char *)uts + 2 * UTS_FIELD, rel, UTS_FIELD - 1);
	kd_error_destroy(err);
	strncpy((char *)uts + 4 * UTS_FIELD, kd_kernel_arch_name(s->kernel),
		UTS_FIELD - 1);
}

static uint32_t codec_flag(enum kd_save_codec c)
{
	switch (c) {
	case KD_SAVE_ZSTD:
		return DUMP_DH_COMPRESSED_ZSTD;
	case KD_SAVE_LZ4:
		return KEXDUMP_DH_COMPRESSED_LZ4;
	case KD_SAVE_ZLIB:
		return DUMP_DH_COMPRESSED_ZLIB;
	case KD_SAVE_LZO:
		return DUMP_DH_COMPRESSED_LZO;
	case KD_SAVE_SNAPPY:
		return DUMP_DH_COMPRESSED_SNAPPY;
	case KD_SAVE_NONE:
	case KD_SAVE_AUTO:	// resolved before
		break;
	}
	return 0;
}

static enum kd_codec codec_of(enum kd_save_codec c)
{
	switch (c) {
	case KD_SAVE_LZ4:
		return KD_CODEC_LZ4;
	case KD_SAVE_ZLIB:
		return KD_CODEC_ZLIB;
	case KD_SAVE_LZO:
		return KD_CODEC_LZO;
	case KD_SAVE_SNAPPY:
		return KD_CODEC_SNAPPY;
	default:
		return KD_CODEC_ZSTD;
	}
}

static struct kd_error *write_kdump_header(struct saver *s, uint32_t sub_blocks,
					   uint32_t status)
{
	uint8_t dh[DH_SIZE] = { 0 };
	memcpy(dh + DH_SIGNATURE, KDUMP_SIGNATURE, 8);
	put_le32(dh + DH_HEADER_VERSION, KDUMP_HEADER_VERSION);
	fill_utsname(s, dh + DH_UTSNAME);
	uint64_t t = 0;
	struct kd_error *err = kd_vmcoreinfo_u64(kd_kernel_vmcoreinfo(s->kernel),
						 "CRASHTIME", 10, &t);
	if (err) {
		// No crash time: 0 rather than now, so that saving the same
		// dump twice gives the same bytes.
		kd_error_destroy(err);
		t = 0;
	}
	put_le64(dh + DH_TIMESTAMP, t);
	put_le32(dh + DH_STATUS, status);
	put_le32(dh + DH_BLOCK_SIZE, s->ps);
	put_le32(dh + DH_SUB_HDR_SIZE, sub_blocks);
	put_le32(dh + DH_BITMAP_BLOCKS, (uint32_t)(2 * s->bitmap_bytes / s->ps));
	put_le32(dh + DH_MAX_MAPNR,
		 s->max_pfn > UINT32_MAX ? UINT32_MAX : (uint32_t)s->max_pfn);
	put_le32(dh + DH_NR_CPUS, (uint32_t)kd_dump_num_cpus(s->dump));
	return kd_sink_write(&s->sink, dh, sizeof(dh), 0);
}

static struct kd_error *save_kdump(struct saver *s, unsigned int workers,
				   size_t jobs)
{
	struct kd_error *err;
	const unsigned int level = s->opts->dump_level;
	s->bitmap_bytes = round_up(s->max_pfn / 8, s->ps);
	s->win_kept = calloc(s->nwin, sizeof(*s->win_kept));
	s->dbuf = malloc(DESC_BUF * PD_LEN);
	if (!s->win_kept || !s->dbuf)
		return &kd_enomem;

	// Sub header, then VMCOREINFO, then the notes, in whole blocks.
	uint8_t *notes = NULL;
	size_t notes_len = 0;
	if ((err = kd_notes_serialize(s->dump, false, &notes, &notes_len)))
		return err;
	size_t vi_len = 0;
	const char *vi = kd_dump_vmcoreinfo_raw(s->dump, &vi_len);
	uint64_t vi_off = s->ps + KH_SIZE;
	uint64_t note_off = vi_off + vi_len;
	uint64_t sub_end = round_up(note_off + notes_len, s->ps);
	uint32_t sub_blocks = (uint32_t)(sub_end / s->ps - 1);
	s->bitmap_off = sub_end;
	s->desc_off = s->bitmap_off + 2 * s->bitmap_bytes;

	// Pass 1: classify, count and write both bitmaps.
	s->filter_counts = true;
	for (size_t w = 0; w < s->nwin; w++) {
		if ((err = load_window(s, w)))
			goto out;
		uint64_t nbytes = window_pfns(s, w) / 8;
		s->win_kept[w] = popcount_bytes(s->keep, nbytes);
		s->nkept += s->win_kept[w];
		s->stats->pages_present += popcount_bytes(s->present, nbytes);
		uint64_t off = w * (s->window / 8);
		if ((err = kd_sink_write(&s->sink, s->present, nbytes,
					 s->bitmap_off + off)) ||
		    (err = kd_sink_write(&s->sink, s->keep, nbytes,
					 s->bitmap_off + s->bitmap_bytes + off)))
			goto out;
	}
	s->filter_counts = false;
	s->reread = can_reread(s);
	s->prog.pages_total = s->nkept;
	not_stored(s, s->nkept);

	uint8_t kh[KH_SIZE] = { 0 };
	int64_t phys_base = 0;
	err = kd_vmcoreinfo_number(kd_kernel_vmcoreinfo(s->kernel), "phys_base",
				   &phys_base);
	kd_error_destroy(err);
	put_le64(kh + KH_PHYS_BASE, (uint64_t)phys_base);
	put_le32(kh + 8, level);	// dump_level
	put_le64(kh + KH_OFFSET_VMCOREINFO, vi_off);
	put_le64(kh + KH_SIZE_VMCOREINFO, vi_len);
	put_le64(kh + KH_OFFSET_NOTE, note_off);
	put_le64(kh + KH_SIZE_NOTE, notes_len);
	put_le64(kh + KH_MAX_MAPNR_64, s->max_pfn);
	uint32_t status = DUMP_DH_COMPRESSED_INCOMPLETE | s->codec_flag;
	if ((err = write_kdump_header(s, sub_blocks, status)) ||
	    (err = kd_sink_write(&s->sink, kh, sizeof(kh), s->ps)) ||
	    (err = kd_sink_write(&s->sink, vi, vi_len, vi_off)) ||
	    (err = kd_sink_write(&s->sink, notes, notes_len, note_off)))
		goto out;

	// The descriptor table is written as the data arrives: its blocks
	// are reserved now so that a disk filling up later still takes the
	// descriptors of the data it took (best effort: not every file
	// system has fallocate). The data starts block-aligned, for
	// O_DIRECT; crash finds each page by its descriptor's offset.
	if (s->nkept && !s->sink.flat &&
	    fallocate(s->sink.fd, 0, (off_t)s->desc_off, (off_t)(s->nkept * PD_LEN))) {
		// EOPNOTSUPP, EINVAL (not a file), ENOSPC: written later.
	}
	s->data_pos = round_up(s->desc_off + s->nkept * PD_LEN, s->ps);
	if (level & KD_DL_ZERO) {
		// One zero page all zero pages point at (makedumpfile's pd_zero).
		uint8_t *z = calloc(1, s->ps);
		if (!z) {
			err = &kd_enomem;
			goto out;
		}
		err = kd_sink_write(&s->sink, z, s->ps, s->data_pos);
		free(z);
		if (err)
			goto out;
		s->zero_off = s->data_pos;
		s->data_pos += s->ps;
	}
	kd_append_init(&s->app, &s->sink, s->data_pos, !s->opts->buffered);

	struct kd_pipeline_config cfg = {
		.dump = s->dump, .workers = workers, .jobs = jobs,
		.batch = BATCH_PAGES, .page_size = s->ps,
		.mode = KD_JOB_COMPRESS, .find_zero = level & KD_DL_ZERO,
		.compress = s->codec != KD_SAVE_NONE,
		.codec = codec_of(s->codec), .codec_flag = s->codec_flag,
		.level = s->opts->level,
	};
	struct kd_pipeline *pl;
	if ((err = kd_pipeline_create(&cfg, kdump_job_done, s, &pl)))
		goto out;
	// One pass per priority tier, then the rest; each page's descriptor
	// index is its rank among the kept pages.
	struct kd_job *job = NULL;
	for (int phase = s->nprio ? 0 : PRIO_TIERS; phase <= PRIO_TIERS && !err; phase++) {
		uint64_t rank = 0;
		if ((err = begin_pass(s)))
			break;
		for (size_t w = 0; w < s->nwin && !err; w++) {
			if ((err = load_keep(s, w)))
				break;
			uint64_t start = w * s->window;
			for (uint64_t i = 0; i < s->window && start + i < s->max_pfn; i++) {
				if (!(i % 8) && !s->keep[i / 8]) {
					i += 7;
					continue;
				}
				if (!bit(s->keep, i))
					continue;
				uint64_t pfn = start + i, r = rank++;
				if ((s->nprio ? phase_of(s, pfn) : PRIO_TIERS) != phase)
					continue;
				if ((err = kd_pipeline_add(pl, &job, pfn, r)))
					break;
			}
		}
	}
	if (!err)
		err = kd_pipeline_flush(pl, job);
	kd_pipeline_destroy(pl);
	if (!err)
		err = kd_append_end(&s->app);
	if (!err)
		err = flush_descs(s);
	else
		flush_durable_descs(s);
	if (!err)
		err = write_kdump_header(s, sub_blocks, s->codec_flag);
out:
	free(notes);
	return err;
}

/* ------------------------------------------------------------ ELF output */

// pfn is kept, or (!kept) a zero page left out.
static struct kd_error *add_run(struct saver *s, uint64_t pfn, bool kept)
{
	struct run *last = s->nruns ? &s->runs[s->nruns - 1] : NULL;
	if (last && last->pfn + last->memn == pfn) {
		if (!kept) {
			last->memn++;
			return NULL;
		}
		if (last->n == last->memn) {
			last->n++;
			last->memn++;
			return NULL;
		}
	}
	if (s->nruns == s->runs_cap) {
		size_t cap = s->runs_cap ? 2 * s->runs_cap : 1024;
		struct run *r = realloc(s->runs, cap * sizeof(*r));
		if (!r)
			return &kd_enomem;
		s->runs = r;
		s->runs_cap = cap;
	}
	s->runs[s->nruns++] = (struct run){ pfn, kept, 1 };
	return NULL;
}

static struct kd_error *scan_job_done(struct kd_job *job, void *arg)
{
	struct saver *s = arg;
	uint64_t start = s->cached_win * s->window;
	for (size_t i = 0; i < job->n; i++) {
		if (!job->pages[i].zero)
			continue;
		uint64_t b = job->pfns[i] - start;
		s->keep[b / 8] &= (uint8_t)~(1u << (b % 8));
		s->zero[b / 8] |= (uint8_t)(1u << (b % 8));
		s->stats->pages_excluded[KD_PAGE_ZERO]++;
	}
	return NULL;
}

static struct kd_error *raw_job_done(struct kd_job *job, void *arg)
{
	struct saver *s = arg;
	size_t len = job->n * s->ps;
	struct kd_error *err = kd_append_write(&s->app, job->in, len);
	if (err)
		return err;
	s->elf_pos += len;
	s->stats->pages_written += job->n;
	report(s, job->n);
	return NULL;
}

// Feed every pfn of the current window's keep bitmap to a pipeline.
static struct kd_error *feed_window(struct saver *s, struct kd_pipeline *pl)
{
	struct kd_error *err;
	struct kd_job *job = NULL;
	uint64_t start = s->cached_win * s->window;
	for (uint64_t i = 0; i < window_pfns(s, s->cached_win); i++)
		if (bit(s->keep, i) && (err = kd_pipeline_add(pl, &job, start + i, 0)))
			return err;
	return kd_pipeline_flush(pl, job);
}

static void put_phdr(uint8_t *p, uint32_t type, uint64_t off, uint64_t va,
		     uint64_t pa, uint64_t size, uint64_t memsz)
{
	memset(p, 0, sizeof(Elf64_Phdr));
	put_le32(p + offsetof(Elf64_Phdr, p_type), type);
	put_le32(p + offsetof(Elf64_Phdr, p_flags),
		 type == PT_LOAD ? PF_R | PF_W | PF_X : 0);
	put_le64(p + offsetof(Elf64_Phdr, p_offset), off);
	put_le64(p + offsetof(Elf64_Phdr, p_vaddr), va);
	put_le64(p + offsetof(Elf64_Phdr, p_paddr), pa);
	put_le64(p + offsetof(Elf64_Phdr, p_filesz), size);
	put_le64(p + offsetof(Elf64_Phdr, p_memsz), memsz);
}

static struct kd_error *save_elf(struct saver *s, unsigned int workers,
				 size_t jobs)
{
	struct kd_error *err;
	const unsigned int level = s->opts->dump_level;
	_Static_assert(sizeof(Elf64_Ehdr) == 64 && sizeof(Elf64_Phdr) == 56,
		       "ELF64 header sizes");
	if (s->dump->big_endian)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: writing big-endian ELF dumps is not supported",
			kd_dump_path(s->dump));

	// Pass 1: classify, drop zero pages (which needs their data), and
	// collect the runs of kept pages: the program headers come first.
	s->zero = calloc(1, s->window / 8);
	if (!s->zero)
		return &kd_enomem;
	struct kd_pipeline *pl = NULL;
	if (level & KD_DL_ZERO) {
		struct kd_pipeline_config cfg = {
			.dump = s->dump, .workers = workers, .jobs = jobs,
			.batch = BATCH_PAGES, .page_size = s->ps,
			.mode = KD_JOB_SCAN, .find_zero = true,
		};
		if ((err = kd_pipeline_create(&cfg, scan_job_done, s, &pl)))
			return err;
	}
	s->filter_counts = true;
	for (size_t w = 0; w < s->nwin; w++) {
		if ((err = load_window(s, w)))
			goto out;
		uint64_t start = w * s->window;
		uint64_t nbytes = window_pfns(s, w) / 8;
		s->stats->pages_present += popcount_bytes(s->present, nbytes);
		memset(s->zero, 0, s->window / 8);
		if (pl && (err = feed_window(s, pl)))
			goto out;
		for (uint64_t i = 0; i < nbytes * 8; i++)
			if ((bit(s->keep, i) || bit(s->zero, i)) &&
			    (err = add_run(s, start + i, bit(s->keep, i))))
				goto out;
	}
	s->filter_counts = false;
	kd_pipeline_destroy(pl);
	pl = NULL;
	uint64_t kept = 0;
	for (size_t i = 0; i < s->nruns; i++)
		kept += s->runs[i].n;
	not_stored(s, kept + s->stats->pages_excluded[KD_PAGE_ZERO]);

	// The kernel image again at its text-mapping address.
	uint64_t text_va = 0, end_va = 0, text_pa = 0;
	struct kd_error *e = NULL;
	bool text = !(e = kd_kernel_symbol(s->kernel, "_text", &text_va)) &&
		    !(e = kd_kernel_symbol(s->kernel, "_end", &end_va)) &&
		    end_va > text_va &&
		    !(e = kd_kernel_vtop(s->kernel, text_va, &text_pa));
	kd_error_destroy(e);
	uint64_t text_end_pa = text ? text_pa + (end_va - text_va) : 0;
	size_t ntext = 0;
	for (size_t i = 0; text && i < s->nruns; i++) {
		uint64_t a = s->runs[i].pfn * s->ps, b = a + s->runs[i].memn * s->ps;
		ntext += a < text_end_pa && b > text_pa;
	}

	uint8_t *notes = NULL;
	size_t notes_len = 0;
	if ((err = kd_notes_serialize(s->dump, true, &notes, &notes_len)))
		goto out;
	uint64_t phnum = 1 + s->nruns + ntext;
	bool xnum = phnum >= PN_XNUM;
	uint64_t phoff = sizeof(Elf64_Ehdr);
	uint64_t shoff = phoff + phnum * sizeof(Elf64_Phdr);
	uint64_t note_off = shoff + (xnum ? sizeof(Elf64_Shdr) : 0);
	uint64_t data_off = round_up(note_off + notes_len, s->ps);
	uint64_t direct = kd_kernel_direct_map_base(s->kernel);

	uint8_t eh[sizeof(Elf64_Ehdr)] = { 0 };
	memcpy(eh, ELFMAG, SELFMAG);
	eh[EI_CLASS] = ELFCLASS64;
	eh[EI_DATA] = ELFDATA2LSB;
	eh[EI_VERSION] = EV_CURRENT;
	put_le16(eh + offsetof(Elf64_Ehdr, e_type), ET_CORE);
	put_le16(eh + offsetof(Elf64_Ehdr, e_machine), kd_dump_machine(s->dump));
	put_le32(eh + offsetof(Elf64_Ehdr, e_version), EV_CURRENT);
	put_le64(eh + offsetof(Elf64_Ehdr, e_phoff), phoff);
	put_le16(eh + offsetof(Elf64_Ehdr, e_ehsize), sizeof(Elf64_Ehdr));
	put_le16(eh + offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr));
	// More than 65534 headers: e_phnum = PN_XNUM and the count in the
	// first section header's sh_info (elf(5), as Linux core dumps do).
	put_le16(eh + offsetof(Elf64_Ehdr, e_phnum),
		 xnum ? PN_XNUM : (uint16_t)phnum);
	if (xnum) {
		put_le64(eh + offsetof(Elf64_Ehdr, e_shoff), shoff);
		put_le16(eh + offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr));
		put_le16(eh + offsetof(Elf64_Ehdr, e_shnum), 1);
		uint8_t sh[sizeof(Elf64_Shdr)] = { 0 };
		put_le32(sh + offsetof(Elf64_Shdr, sh_info), (uint32_t)phnum);
		if ((err = kd_sink_write(&s->sink, sh, sizeof(sh), shoff)))
			goto out_notes;
	}
	if ((err = kd_sink_write(&s->sink, eh, sizeof(eh), 0)) ||
	    (err = kd_sink_write(&s->sink, notes, notes_len, note_off)))
		goto out_notes;

	// Program headers, in chunks: PT_NOTE, the runs, the text aliases.
	enum { PH_CHUNK = 512 };
	uint8_t ph[PH_CHUNK * sizeof(Elf64_Phdr)];
	size_t nph = 0;
	uint64_t ph_pos = phoff, off = data_off;
	put_phdr(ph, PT_NOTE, note_off, 0, 0, notes_len, notes_len);
	nph = 1;
	text_end_pa = round_up(text_end_pa, s->ps);
	for (int pass = 0; pass < 2; pass++) {
		off = data_off;
		for (size_t i = 0; i < s->nruns; i++) {
			uint64_t pa = s->runs[i].pfn * s->ps;
			uint64_t len = s->runs[i].n * s->ps;
			uint64_t mem = s->runs[i].memn * s->ps;
			// p_offset stays a real file position even without
			// file bytes: crash sizes the headers by the smallest
			// p_offset and gives up on 0 (netdump.c).
			if (pass == 0) {
				put_phdr(ph + nph++ * sizeof(Elf64_Phdr), PT_LOAD, off,
					 direct ? direct + pa : 0, pa, len, mem);
			} else if (text && pa < text_end_pa && pa + mem > text_pa) {
				uint64_t a = pa > text_pa ? pa : text_pa;
				uint64_t bm = pa + mem < text_end_pa ? pa + mem : text_end_pa;
				uint64_t bf = pa + len < text_end_pa ? pa + len : text_end_pa;
				uint64_t fsz = bf > a ? bf - a : 0;
				put_phdr(ph + nph++ * sizeof(Elf64_Phdr), PT_LOAD,
					 off + (fsz ? a - pa : 0), text_va + (a - text_pa),
					 a, fsz, bm - a);
			}
			off += len;
			if (nph == PH_CHUNK) {
				if ((err = kd_sink_write(&s->sink, ph, sizeof(ph), ph_pos)))
					goto out_notes;
				ph_pos += sizeof(ph);
				nph = 0;
			}
		}
	}
	if ((err = kd_sink_write(&s->sink, ph, nph * sizeof(Elf64_Phdr), ph_pos)))
		goto out_notes;

	// Pass 2: the page data, run after run.
	s->prog.pages_total = 0;
	for (size_t i = 0; i < s->nruns; i++)
		s->prog.pages_total += s->runs[i].n;
	struct kd_pipeline_config cfg = {
		.dump = s->dump, .workers = workers, .jobs = jobs,
		.batch = BATCH_PAGES, .page_size = s->ps, .mode = KD_JOB_RAW,
	};
	if ((err = kd_pipeline_create(&cfg, raw_job_done, s, &pl)))
		goto out_notes;
	s->elf_pos = data_off;
	kd_append_init(&s->app, &s->sink, data_off, !s->opts->buffered);
	struct kd_job *job = NULL;
	for (size_t i = 0; i < s->nruns && !err; i++)
		for (uint64_t k = 0; k < s->runs[i].n && !err; k++)
			err = kd_pipeline_add(pl, &job, s->runs[i].pfn + k, 0);
	if (!err)
		err = kd_pipeline_flush(pl, job);
	if (!err)
		err = kd_append_end(&s->app);
	if (!err) {
		// Complete: the status note's value, the last 4 bytes of notes.
		static const uint8_t done[4] = { 0 };
		err = kd_sink_write(&s->sink, done, 4, note_off + notes_len - 4);
	}
out_notes:
	free(notes);
out:
	kd_pipeline_destroy(pl);
	return err;
}

/* ------------------------------------------------------------- kd_save */

static bool own_note(const struct kd_note *n)
{
	return !strcmp(n->name, KD_NOTE_NAME);
}

struct kd_error *kd_notes_serialize(const struct kd_dump *dump, bool status,
				    uint8_t **buf_ret, size_t *len_ret)
{
	// The source's own status note (a re-saved kexdump ELF) is dropped;
	// with @p status a new one, saying incomplete, ends the section.
	static const uint8_t incomplete[4] = { KD_NOTE_INCOMPLETE, 0, 0, 0 };
	struct kd_note mine = { .name = KD_NOTE_NAME, .type = KD_NOTE_STATUS,
				.desc = (uint8_t *)incomplete, .descsz = 4 };
	size_t len = 0;
	for (size_t i = 0; i <= dump->nnotes; i++) {
		const struct kd_note *n = i < dump->nnotes ? &dump->notes[i] : &mine;
		if (i < dump->nnotes ? own_note(n) : !status)
			continue;
		len += 12 + round_up(strlen(n->name) + 1, 4) + round_up(n->descsz, 4);
	}
	uint8_t *buf = calloc(1, len ? len : 1);
	if (!buf)
		return &kd_enomem;
	uint8_t *p = buf;
	for (size_t i = 0; i <= dump->nnotes; i++) {
		const struct kd_note *n = i < dump->nnotes ? &dump->notes[i] : &mine;
		if (i < dump->nnotes ? own_note(n) : !status)
			continue;
		size_t namesz = strlen(n->name) + 1;
		put_le32(p, (uint32_t)namesz);
		put_le32(p + 4, (uint32_t)n->descsz);
		put_le32(p + 8, n->type);
		memcpy(p + 12, n->name, namesz);
		p += 12 + round_up(namesz, 4);
		memcpy(p, n->desc, n->descsz);
		p += round_up(n->descsz, 4);
	}
	*buf_ret = buf;
	*len_ret = len;
	return NULL;
}

// KD_SAVE_AUTO. With page cache and user pages excluded (-d 31 and the
// like) what is left is the kernel's own memory, a few hundred MiB per
// 8 GiB that analysis reads: zstd -1, smaller than makedumpfile's zlib.
// Keeping them means gigabytes of file data and heaps: lzo, which crash
// reads too, at 2.5x zstd -1's speed for ~9% more bytes on the 8 GiB
// filled dump (docs/benchmarks.md), because the machine stays down until
// the capture kernel is done.
static enum kd_save_codec resolve_codec(enum kd_save_codec codec,
					unsigned int dump_level)
{
	const unsigned int bulk = KD_DL_CACHE | KD_DL_USER;
	if (codec != KD_SAVE_AUTO)
		return codec;
	return (dump_level & bulk) == bulk ? KD_SAVE_ZSTD : KD_SAVE_LZO;
}

KD_EXPORT struct kd_error *kd_save_fd(struct kd_kernel *kernel, int fd,
				      bool seekable,
				      const struct kd_save_options *opts,
				      struct kd_save_stats *stats)
{
	return kd_save_fd_windowed(kernel, fd, seekable, opts, stats,
				   WINDOW_PFNS);
}

struct kd_error *kd_save_fd_windowed(struct kd_kernel *kernel, int fd,
				     bool seekable,
				     const struct kd_save_options *opts,
				     struct kd_save_stats *stats,
				     uint64_t window_pfns)
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
	struct saver s = {
		.kernel = kernel, .dump = dump, .opts = opts, .stats = stats,
		.cached_win = SIZE_MAX, .app = { .dfd = -1 },
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
	s.codec = resolve_codec(opts->codec,
				s.pf ? opts->dump_level : opts->dump_level & KD_DL_ZERO);
	s.codec_flag = codec_flag(s.codec);
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
	s.max_pfn = round_up((end + s.ps - 1) / s.ps, 8);
	if (s.pf && kd_pagefilter_max_pfn(s.pf) > s.max_pfn)
		s.max_pfn = round_up(kd_pagefilter_max_pfn(s.pf), 8);
	window_pfns = round_up(window_pfns ? window_pfns : 8, 8);
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
	size_t per_job = BATCH_PAGES * (s.ps + kd_codec_bound(s.ps) + 32);
	size_t fixed = 2 * s.window / 8 + DESC_BUF * PD_LEN + KD_APPEND_BUF +
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
	if ((err = kd_sink_init(&s.sink, fd, !seekable || opts->format == KD_SAVE_FLAT,
				"output")))
		goto out;
	if (opts->format == KD_SAVE_ELF) {
		err = save_elf(&s, workers, jobs);
	} else {
		find_priority(&s);
		err = save_kdump(&s, workers, jobs);
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
	return err;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// The kdump-compressed writer of kd_save() (save.c drives it).
//
// Format: makedumpfile.c write_kdump_header, write_kdump_bitmap*,
// write_kdump_pages_and_bitmap_cyclic; crash's diskdump.c reads it. A
// header, a sub header with VMCOREINFO and the ELF notes, the two bitmaps,
// one descriptor per kept page (pfn order), then the page data. The header
// is the first write and says "incomplete" until the last write, and a
// descriptor is written only after its page's data, so a dump cut short by
// a full disk or a reset reads as incomplete with the pages written so far.
// Pages that analysis needs first (the printk ring, the kernel image) are
// written first. A page the source cannot give (EIO) gets an empty
// descriptor while writing; at the end it is taken out of the 2nd bitmap
// and the descriptors after it move up, so readers see it as not dumped.
#include "save/save.h"
#include "dump/kdump-layout.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define PRIO_TIERS 2	// tier 0: what `kexdump dmesg` reads; 1: the kernel image

_Static_assert(KD_SAVE_DESC_BUF_BYTES == KD_SAVE_DESC_BUF * PD_LEN,
	       "descriptor buffer size");

// The keep bits of window w in the writing passes: read back from the
// kdump output's second bitmap, where the first pass wrote them (1 bit per
// page, against 64 bytes of struct page to classify again: on the 8 GiB
// dump each classification pass costs 0.12 s), else classified again.
static struct kd_error *save_kdump_load_keep(struct kd_saver *s, size_t w)
{
	if (!s->reread || s->cached_win == w)
		return kd_saver_load_window(s, w);
	size_t nbytes = (size_t)(kd_saver_window_pfns(s, w) / 8);
	uint64_t off = s->bitmap_off + s->bitmap_bytes + w * (s->window / 8);
	struct kd_error *err = kd_sink_read(&s->sink, s->keep, nbytes, off, "its bitmap");
	if (err)
		return err;
	s->cached_win = w;
	return NULL;
}

// Whether the output can be read back (kd_save_file opens it read-write;
// a caller's descriptor may be write-only, a stream never is).
static bool save_kdump_can_reread(const struct kd_saver *s)
{
	return s->nwin > 1 && kd_sink_can_read(&s->sink, s->bitmap_off + s->bitmap_bytes);
}

// The write phase of a page: its lowest priority tier, PRIO_TIERS for the
// rest.
static int save_kdump_phase_of(const struct kd_saver *s, uint64_t pfn)
{
	int t = PRIO_TIERS;
	for (size_t i = 0; i < s->nprio; i++)
		if (pfn >= s->prio[i].pfn && pfn < s->prio[i].pfn + s->prio[i].n &&
		    s->prio_tier[i] < t)
			t = s->prio_tier[i];
	return t;
}

/* ---------------------------------------------------- what to write first */

static void save_kdump_add_prio_va(struct kd_saver *s, int tier, uint64_t va, uint64_t len)
{
	uint64_t pa;
	struct kd_error *err = kd_kernel_vtop(s->kernel, va, &pa);
	if (err) {
		kd_error_destroy(err);
		return;
	}
	if (s->nprio < KD_SAVE_MAX_PRIO && len) {
		s->prio_tier[s->nprio] = tier;
		s->prio[s->nprio++] = (struct kd_save_run){
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
static void save_kdump_find_priority(struct kd_saver *s)
{
	uint64_t stext, prb;
	const struct kd_vmcoreinfo *vi = kd_kernel_vmcoreinfo(s->kernel);
	struct kd_error *e = kd_vmcoreinfo_symbol(vi, "_stext", &stext);
	if (!e)
		save_kdump_add_prio_va(s, 1, stext, KERNEL_IMAGE_GUESS);
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
	save_kdump_add_prio_va(s, 0, prb, 8);
	save_kdump_add_prio_va(s, 0, rb, sz_rb);
	save_kdump_add_prio_va(s, 0, descs, sz_desc << cbits);
	save_kdump_add_prio_va(s, 0, infos, sz_info << cbits);
	save_kdump_add_prio_va(s, 0, data, 1ull << sbits);
}

/* ---------------------------------------------------------- kdump output */

// Pages written among the first n buffered descriptors: not the shared
// zero page, not an unreadable page's empty descriptor.
static uint64_t save_kdump_count_data(const struct kd_saver *s, size_t n)
{
	uint64_t c = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d = s->dbuf + i * PD_LEN;
		c += kd_le32(d + PD_SIZE) && kd_le64(d + PD_OFFSET) != s->zero_off;
	}
	return c;
}

// Write the first @p n buffered descriptors and count their pages. A
// write that fails part way (a full disk) still counts the descriptors it
// wrote whole; one it tore reads as not written (size 0, format-kdump.c).
static struct kd_error *save_kdump_write_descs(struct kd_saver *s, size_t n)
{
	uint64_t before = s->sink.bytes;
	struct kd_error *err = kd_sink_write(&s->sink, s->dbuf, n * PD_LEN,
					     s->desc_off + s->dbuf_rank * PD_LEN);
	uint64_t done = err ? s->sink.bytes - before : (uint64_t)n * PD_LEN;
	size_t whole = (size_t)(done / PD_LEN) < n ? (size_t)(done / PD_LEN) : n;
	s->stats->pages_written += save_kdump_count_data(s, whole);
	// The torn one: as the reader will see it, its tail still zero (the
	// table is reserved, so it reads as zeros).
	if (whole < n && done % PD_LEN) {
		uint8_t torn[PD_LEN] = { 0 };
		memcpy(torn, s->dbuf + whole * PD_LEN, (size_t)(done % PD_LEN));
		if (kd_kdump_desc_usable(torn, s->ps) &&
		    kd_le64(torn + PD_OFFSET) != s->zero_off)
			s->stats->pages_written++;
	}
	return err;
}

// Descriptors only ever point at data already written: a dump cut short
// (full disk, reset) has every page it describes. A page counts as
// written once its descriptor is.
static struct kd_error *save_kdump_flush_descs(struct kd_saver *s)
{
	if (!s->dbuf_n)
		return NULL;
	struct kd_error *err = NULL;
	if (kd_append_durable(&s->app) < s->dbuf_data_end)
		err = kd_append_flush(&s->app);
	if (!err)
		err = save_kdump_write_descs(s, s->dbuf_n);
	s->dbuf_n = 0;
	return err;
}

// After a failed write: the buffered descriptors whose data did make it.
static void save_kdump_flush_durable_descs(struct kd_saver *s)
{
	size_t n = 0;
	for (; n < s->dbuf_n; n++) {
		const uint8_t *d = s->dbuf + n * PD_LEN;
		uint64_t off = kd_le64(d + PD_OFFSET);
		if (off != s->zero_off &&
		    off + kd_le32(d + PD_SIZE) > kd_append_durable(&s->app))
			break;
	}
	kd_error_destroy(save_kdump_write_descs(s, n));	// the first failure is the one reported
	s->dbuf_n = 0;
}

static struct kd_error *save_kdump_add_desc(struct kd_saver *s, uint64_t rank, uint64_t off,
				 uint32_t size, uint32_t flags)
{
	struct kd_error *err;
	if (s->dbuf_n && (rank != s->dbuf_rank + s->dbuf_n || s->dbuf_n == KD_SAVE_DESC_BUF)) {
		if ((err = save_kdump_flush_descs(s)))
			return err;
	}
	if (!s->dbuf_n)
		s->dbuf_rank = rank;
	uint8_t *d = s->dbuf + s->dbuf_n++ * PD_LEN;
	if (off + size > s->dbuf_data_end)
		s->dbuf_data_end = off + size;
	memset(d, 0, PD_LEN);
	kd_put_le64(d + PD_OFFSET, off);
	kd_put_le32(d + PD_SIZE, size);
	kd_put_le32(d + PD_FLAGS, flags);
	return NULL;
}

static int save_kdump_bad_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct kd_save_bad *)a)->rank;
	uint64_t y = ((const struct kd_save_bad *)b)->rank;
	return x < y ? -1 : x > y;
}

static struct kd_error *save_kdump_pread(struct kd_saver *s, void *buf, size_t len,
					 uint64_t off)
{
	return kd_sink_read(&s->sink, buf, len, off, "its descriptors");
}

// Take the unreadable pages out of the dump: clear their bits in the 2nd
// bitmap (a page's descriptor is the one of its rank among the set bits,
// makedumpfile.c write_kdump_pages_cyclic) and move every later descriptor
// up by one per page taken out; the freed entries at the end are zeroed.
// Needs the output read back: *done false when it cannot be (a stream),
// and the dump stays marked incomplete, where an empty descriptor reads
// as a page not written.
static struct kd_error *save_kdump_drop_bad(struct kd_saver *s, bool *done)
{
	*done = false;
	if (!s->nbad)
		return NULL;
	uint8_t b;
	if (!kd_sink_can_read(&s->sink, s->desc_off))
		return NULL;
	qsort(s->bad, s->nbad, sizeof(*s->bad), save_kdump_bad_cmp);
	struct kd_error *err;
	for (size_t i = 0; i < s->nbad; i++) {
		uint64_t off = s->bitmap_off + s->bitmap_bytes + s->bad[i].pfn / 8;
		if ((err = save_kdump_pread(s, &b, 1, off)))
			return err;
		b &= (uint8_t)~(1u << (s->bad[i].pfn % 8));
		if ((err = kd_sink_write(&s->sink, &b, 1, off)))
			return err;
	}
	uint64_t dst = 0;
	size_t k = 0;
	for (uint64_t src = 0; src < s->nkept; src += KD_SAVE_DESC_BUF) {
		size_t n = s->nkept - src < KD_SAVE_DESC_BUF ?
			   (size_t)(s->nkept - src) : KD_SAVE_DESC_BUF;
		if ((err = save_kdump_pread(s, s->dbuf, n * PD_LEN,
					    s->desc_off + src * PD_LEN)))
			return err;
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			if (k < s->nbad && s->bad[k].rank == src + i) {
				k++;
				continue;
			}
			memmove(s->dbuf + m++ * PD_LEN, s->dbuf + i * PD_LEN, PD_LEN);
		}
		// dst <= src: the entries written were read already.
		if ((err = kd_sink_write(&s->sink, s->dbuf, m * PD_LEN,
					 s->desc_off + dst * PD_LEN)))
			return err;
		dst += m;
	}
	memset(s->dbuf, 0, KD_SAVE_DESC_BUF_BYTES);
	for (uint64_t i = dst; i < s->nkept; i += KD_SAVE_DESC_BUF) {
		size_t n = s->nkept - i < KD_SAVE_DESC_BUF ?
			   (size_t)(s->nkept - i) : KD_SAVE_DESC_BUF;
		if ((err = kd_sink_write(&s->sink, s->dbuf, n * PD_LEN,
					 s->desc_off + i * PD_LEN)))
			return err;
	}
	*done = true;
	return NULL;
}

static struct kd_error *save_kdump_job_done(struct kd_job *job, void *arg)
{
	struct kd_saver *s = arg;
	struct kd_error *err = kd_append_write(&s->app, job->out, job->out_len);
	if (err)
		return err;
	uint64_t pos = s->data_pos;
	s->data_pos += job->out_len;
	for (size_t i = 0; i < job->n; i++) {
		const struct kd_job_page *pg = &job->pages[i];
		if (pg->unreadable) {
			err = kd_saver_add_bad(s, job->pfns[i], job->ranks[i]);
			if (!err)
				err = save_kdump_add_desc(s, job->ranks[i], 0, 0, 0);
		} else if (pg->zero) {
			s->stats->pages_excluded[KD_PAGE_ZERO]++;
			err = save_kdump_add_desc(s, job->ranks[i], s->zero_off, s->ps, 0);
		} else {
			err = save_kdump_add_desc(s, job->ranks[i], pos, pg->size, pg->flags);
			pos += pg->size;
		}
		if (err)
			return err;
	}
	// Descriptors as soon as their data is written (at once when
	// buffered; direct I/O writes every 2 MiB of data).
	if (kd_append_durable(&s->app) >= s->dbuf_data_end &&
	    (err = save_kdump_flush_descs(s)))
		return err;
	kd_save_auto_step(s, s->pl, job);
	kd_saver_report(s, job->n);
	return NULL;
}

// Where struct uts_namespace keeps its name when VMCOREINFO has no
// OFFSET(uts_namespace.name) (kernels before 5.11): after a struct kref
// (include/linux/utsname.h in 5.10: kref, then name) or first. The
// candidate is taken only when it reads "Linux" and VMCOREINFO's own
// OSRELEASE, so a wrong guess never reaches the header.
static struct kd_error *save_kdump_uts_guess(struct kd_saver *s, uint64_t ns,
					     const char *rel, uint8_t *uts)
{
	static const uint64_t offs[] = { 4, 8, 0 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct kd_error *err = kd_kernel_read_virt(s->kernel, ns + offs[i], uts,
							   6 * UTS_FIELD);
		if (err)
			return err;
		if (!memcmp(uts, "Linux", 6) && rel &&
		    !strncmp((const char *)uts + 2 * UTS_FIELD, rel, UTS_FIELD))
			return NULL;
	}
	return kd_error_create(KD_ERROR_NOTFOUND, "no utsname found in init_uts_ns");
}

// The utsname of the dumped kernel (init_uts_ns), for the header; crash
// prints it and checks the release against the vmlinux; libkdumpfile
// (drgn) needs its version field.
static void save_kdump_utsname(struct kd_saver *s, uint8_t *uts)
{
	const struct kd_vmcoreinfo *vi = kd_kernel_vmcoreinfo(s->kernel);
	uint64_t ns, off = 0;
	const char *rel = NULL;
	kd_error_destroy(kd_vmcoreinfo_string(vi, "OSRELEASE", &rel));
	struct kd_error *err = kd_vmcoreinfo_symbol(vi, "init_uts_ns", &ns);
	if (!err) {
		err = kd_vmcoreinfo_offset(vi, "uts_namespace.name", &off);
		if (!err)
			err = kd_kernel_read_virt(s->kernel, ns + off, uts, 6 * UTS_FIELD);
		else if (kd_error_catch(&err, KD_ERROR_NOTFOUND))
			err = save_kdump_uts_guess(s, ns, rel, uts);
	}
	if (!err) {
		for (int i = 0; i < 6; i++)
			uts[i * UTS_FIELD + UTS_FIELD - 1] = '\0';
		return;
	}
	kd_error_destroy(err);
	memset(uts, 0, 6 * UTS_FIELD);
	memcpy(uts, "Linux", 5);
	if (rel)
		strncpy((char *)uts + 2 * UTS_FIELD, rel, UTS_FIELD - 1);
	strncpy((char *)uts + 4 * UTS_FIELD, kd_kernel_arch_name(s->kernel),
		UTS_FIELD - 1);
}

static struct kd_error *save_kdump_write_header(struct kd_saver *s, uint32_t sub_blocks,
					   uint32_t status)
{
	uint8_t dh[DH_SIZE] = { 0 };
	memcpy(dh + DH_SIGNATURE, KDUMP_SIGNATURE, 8);
	kd_put_le32(dh + DH_HEADER_VERSION, KDUMP_HEADER_VERSION);
	save_kdump_utsname(s, dh + DH_UTSNAME);
	uint64_t t = 0;
	struct kd_error *err = kd_vmcoreinfo_u64(kd_kernel_vmcoreinfo(s->kernel),
						 "CRASHTIME", 10, &t);
	if (err) {
		// No crash time: 0 rather than now, so that saving the same
		// dump twice gives the same bytes.
		kd_error_destroy(err);
		t = 0;
	}
	kd_put_le64(dh + DH_TIMESTAMP, t);
	kd_put_le32(dh + DH_STATUS, status);
	kd_put_le32(dh + DH_BLOCK_SIZE, s->ps);
	kd_put_le32(dh + DH_SUB_HDR_SIZE, sub_blocks);
	kd_put_le32(dh + DH_BITMAP_BLOCKS, (uint32_t)(2 * s->bitmap_bytes / s->ps));
	kd_put_le32(dh + DH_MAX_MAPNR,
		 s->max_pfn > UINT32_MAX ? UINT32_MAX : (uint32_t)s->max_pfn);
	kd_put_le32(dh + DH_NR_CPUS, (uint32_t)kd_dump_num_cpus(s->dump));
	return kd_sink_write(&s->sink, dh, sizeof(dh), 0);
}

struct kd_error *kd_save_kdump(struct kd_saver *s, unsigned int workers,
				   size_t jobs)
{
	struct kd_error *err;
	const unsigned int level = s->opts->dump_level;
	save_kdump_find_priority(s);
	const struct kd_codec_info *ci = kd_codec_by_save(s->codec);
	s->codec_flag = ci->flag;
	s->bitmap_bytes = kd_round_up(s->max_pfn / 8, s->ps);
	s->win_kept = calloc(s->nwin, sizeof(*s->win_kept));
	s->dbuf = malloc(KD_SAVE_DESC_BUF_BYTES);
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
	uint64_t sub_end = kd_round_up(note_off + notes_len, s->ps);
	uint32_t sub_blocks = (uint32_t)(sub_end / s->ps - 1);
	s->bitmap_off = sub_end;
	s->desc_off = s->bitmap_off + 2 * s->bitmap_bytes;

	// The header first, marked incomplete: whatever cuts the save short
	// from here on leaves a dump that reads as an incomplete one.
	uint8_t kh[KH_SIZE] = { 0 };
	int64_t phys_base = 0;
	err = kd_vmcoreinfo_number(kd_kernel_vmcoreinfo(s->kernel), "phys_base",
				   &phys_base);
	kd_error_destroy(err);
	kd_put_le64(kh + KH_PHYS_BASE, (uint64_t)phys_base);
	kd_put_le32(kh + 8, level);	// dump_level
	kd_put_le64(kh + KH_OFFSET_VMCOREINFO, vi_off);
	kd_put_le64(kh + KH_SIZE_VMCOREINFO, vi_len);
	kd_put_le64(kh + KH_OFFSET_NOTE, note_off);
	kd_put_le64(kh + KH_SIZE_NOTE, notes_len);
	kd_put_le64(kh + KH_MAX_MAPNR_64, s->max_pfn);
	uint32_t status = DUMP_DH_COMPRESSED_INCOMPLETE | s->codec_flag;
	if ((err = save_kdump_write_header(s, sub_blocks, status)) ||
	    (err = kd_sink_write(&s->sink, kh, sizeof(kh), s->ps)) ||
	    (err = kd_sink_write(&s->sink, vi, vi_len, vi_off)) ||
	    (err = kd_sink_write(&s->sink, notes, notes_len, note_off)))
		goto out;

	// Pass 1: classify, count and write both bitmaps.
	s->filter_counts = true;
	for (size_t w = 0; w < s->nwin; w++) {
		if ((err = kd_saver_load_window(s, w)))
			goto out;
		uint64_t nbytes = kd_saver_window_pfns(s, w) / 8;
		s->win_kept[w] = kd_saver_popcount(s->keep, nbytes);
		s->nkept += s->win_kept[w];
		uint64_t present = kd_saver_popcount(s->present, nbytes);
		s->stats->pages_present += present;
		// A window with no page present has two bitmaps of zeros: left
		// as a hole (a file's holes and a flattened stream's gaps read
		// as zeros), so memory spread up to 2^52 does not cost gigabytes
		// of zeros on the target.
		if (!present && !s->win_kept[w])
			continue;
		uint64_t off = w * (s->window / 8);
		if ((err = kd_sink_write(&s->sink, s->present, nbytes,
					 s->bitmap_off + off)) ||
		    (err = kd_sink_write(&s->sink, s->keep, nbytes,
					 s->bitmap_off + s->bitmap_bytes + off)))
			goto out;
	}
	s->filter_counts = false;
	s->reread = save_kdump_can_reread(s);
	s->prog.pages_total = s->nkept;
	kd_saver_not_stored(s, s->nkept);

	// The descriptor table is written as the data arrives: its blocks
	// are reserved now so that a disk filling up later still takes the
	// descriptors of the data it took (best effort: not every file
	// system has fallocate). The data starts block-aligned, for
	// O_DIRECT; crash finds each page by its descriptor's offset.
	if (s->nkept && s->sink.fd >= 0 && !s->sink.flat &&
	    fallocate(s->sink.fd, 0, (off_t)s->desc_off, (off_t)(s->nkept * PD_LEN))) {
		// EOPNOTSUPP, EINVAL (not a file), ENOSPC: written later.
	}
	s->data_pos = kd_round_up(s->desc_off + s->nkept * PD_LEN, s->ps);
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
		.batch = KD_SAVE_BATCH_PAGES, .page_size = s->ps,
		.mode = KD_JOB_COMPRESS, .find_zero = level & KD_DL_ZERO,
		.compress = ci->compresses,
		.codec = ci->codec, .codec_flag = ci->flag,
		.level = s->opts->level,
	};
	struct kd_pipeline *pl;
	if ((err = kd_pipeline_create(&cfg, save_kdump_job_done, s, &pl)))
		goto out;
	s->pl = pl;
	if (s->opts->codec == KD_SAVE_AUTO)
		kd_save_auto_begin(s, pl, workers);
	// One pass per priority tier, then the rest; each page's descriptor
	// index is its rank among the kept pages.
	struct kd_job *job = NULL;
	for (int phase = s->nprio ? 0 : PRIO_TIERS; phase <= PRIO_TIERS && !err; phase++) {
		uint64_t rank = 0;
		if ((err = kd_saver_begin_pass(s)))
			break;
		for (size_t w = 0; w < s->nwin && !err; w++) {
			// Nothing kept: nothing to rank or write. Classifying
			// again (no read-back) carries the filter's state from
			// window to window, so it visits every window.
			if (!s->win_kept[w] && (s->reread || !s->pf))
				continue;
			if ((err = save_kdump_load_keep(s, w)))
				break;
			uint64_t start = w * s->window;
			for (uint64_t i = 0; i < s->window && start + i < s->max_pfn; i++) {
				if (!(i % 8) && !s->keep[i / 8]) {
					i += 7;
					continue;
				}
				if (!kd_saver_bit(s->keep, i))
					continue;
				uint64_t pfn = start + i, r = rank++;
				if ((s->nprio ? save_kdump_phase_of(s, pfn) : PRIO_TIERS) != phase)
					continue;
				if ((err = kd_pipeline_add(pl, &job, pfn, r)))
					break;
			}
		}
	}
	if (!err)
		err = kd_pipeline_flush(pl, job);
	kd_pipeline_destroy(pl);
	s->pl = NULL;
	kd_save_auto_end(s);
	if (!err)
		err = kd_append_end(&s->app);
	if (!err)
		err = save_kdump_flush_descs(s);
	else
		save_kdump_flush_durable_descs(s);
	bool dropped = false;
	if (!err)
		err = save_kdump_drop_bad(s, &dropped);
	// Unreadable pages that could not be taken out (a stream): the dump
	// stays marked incomplete, and the caller is told so (exit 3), as
	// its readers will say.
	if (!err && s->nbad && !dropped)
		s->stats->incomplete = true;
	if (!err)
		err = save_kdump_write_header(s, sub_blocks, s->codec_flag |
			(s->nbad && !dropped ? DUMP_DH_COMPRESSED_INCOMPLETE : 0));
out:
	free(notes);
	return err;
}


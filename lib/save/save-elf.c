// SPDX-License-Identifier: LGPL-2.1-or-later
// The ELF core writer of kd_save() (save.c drives it).
//
// Like /proc/vmcore: one PT_LOAD per run of kept pages at its direct-map
// address, plus the kernel image again at its text-mapping address (crash
// finds phys_base from it, gdb reads kernel symbols through it). Zero pages
// left out become p_memsz tails. kexdump's status note says "incomplete"
// from the first write (the notes are written before the ELF header) to
// the last (ELF has no such flag). At most KD_SAVE_ELF_MAX_PHDRS program
// headers, what format-elf.c reads: past it, zero pages between runs are
// written as data to merge runs. A page the source cannot give (EIO) is
// left out of the runs when the zero scan finds it, else its file bytes
// stay zero and, at the end, the program headers are written again past
// the data, without it, and the ELF header pointed at them.
#include "save/save.h"

#include <elf.h>
#include <stddef.h>

/* ------------------------------------------------------------ ELF output */

// pfn is kept, or (!kept) a zero page left out.
static struct kd_error *save_elf_add_run(struct kd_saver *s, uint64_t pfn, bool kept)
{
	struct kd_save_run *last = s->nruns ? &s->runs[s->nruns - 1] : NULL;
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
		struct kd_save_run *r = realloc(s->runs, cap * sizeof(*r));
		if (!r)
			return &kd_enomem;
		s->runs = r;
		s->runs_cap = cap;
	}
	s->runs[s->nruns++] = (struct kd_save_run){ pfn, kept, 1 };
	return NULL;
}

static struct kd_error *save_elf_scan_done(struct kd_job *job, void *arg)
{
	struct kd_saver *s = arg;
	uint64_t start = s->cached_win * s->window;
	for (size_t i = 0; i < job->n; i++) {
		if (!job->pages[i].zero && !job->pages[i].unreadable)
			continue;
		uint64_t b = job->pfns[i] - start;
		s->keep[b / 8] &= (uint8_t)~(1u << (b % 8));
		if (job->pages[i].unreadable) {
			s->stats->pages_unreadable++;
			continue;
		}
		s->zero[b / 8] |= (uint8_t)(1u << (b % 8));
		s->stats->pages_excluded[KD_PAGE_ZERO]++;
	}
	return NULL;
}

static struct kd_error *save_elf_raw_done(struct kd_job *job, void *arg)
{
	struct kd_saver *s = arg;
	size_t len = job->n * s->ps;
	struct kd_error *err = kd_append_write(&s->app, job->in, len);
	if (err)
		return err;
	// Unreadable pages: their bytes (zeros) stay, no segment will hold
	// them; rank is the page's index in the data.
	for (size_t i = 0; i < job->n; i++) {
		if (!job->pages[i].unreadable)
			continue;
		err = kd_saver_add_bad(s, job->pfns[i],
				       (s->elf_pos - s->elf_data_off) / s->ps + i);
		if (err)
			return err;
	}
	s->elf_pos += len;
	kd_saver_report(s, job->n);
	return NULL;
}

// Feed every pfn of the current window's keep bitmap to a pipeline.
static struct kd_error *save_elf_feed_window(struct kd_saver *s, struct kd_pipeline *pl)
{
	struct kd_error *err;
	struct kd_job *job = NULL;
	uint64_t start = s->cached_win * s->window;
	for (uint64_t i = 0; i < kd_saver_window_pfns(s, s->cached_win); i++) {
		if (!(i % 8) && !s->keep[i / 8]) {
			i += 7;
			continue;
		}
		if (kd_saver_bit(s->keep, i) && (err = kd_pipeline_add(pl, &job, start + i, 0)))
			return err;
	}
	return kd_pipeline_flush(pl, job);
}

static void save_elf_put_phdr(uint8_t *p, uint32_t type, uint64_t off, uint64_t va,
		     uint64_t pa, uint64_t size, uint64_t memsz)
{
	memset(p, 0, sizeof(Elf64_Phdr));
	kd_put_le32(p + offsetof(Elf64_Phdr, p_type), type);
	kd_put_le32(p + offsetof(Elf64_Phdr, p_flags),
		 type == PT_LOAD ? PF_R | PF_W | PF_X : 0);
	kd_put_le64(p + offsetof(Elf64_Phdr, p_offset), off);
	kd_put_le64(p + offsetof(Elf64_Phdr, p_vaddr), va);
	kd_put_le64(p + offsetof(Elf64_Phdr, p_paddr), pa);
	kd_put_le64(p + offsetof(Elf64_Phdr, p_filesz), size);
	kd_put_le64(p + offsetof(Elf64_Phdr, p_memsz), memsz);
}

// The program headers: PT_NOTE, a PT_LOAD per run, then the text-mapping
// aliases; runs split around the unreadable pages (s->bad, by pfn) when
// @p split. With @p buf NULL only counted (*count_ret).
struct save_elf_phdrs {
	struct kd_saver *s;
	uint64_t note_off, notes_len, data_off, direct;
	bool text;
	uint64_t text_va, text_pa, text_end_pa;	// text_end_pa page-rounded
	bool split;
	uint8_t *buf;		// PH_CHUNK headers, or NULL to count
	size_t nph;
	uint64_t pos, count;
};
enum { SAVE_ELF_PH_CHUNK = 512 };

static struct kd_error *save_elf_emit(struct save_elf_phdrs *e, uint32_t type,
				      uint64_t off, uint64_t va, uint64_t pa,
				      uint64_t size, uint64_t memsz)
{
	e->count++;
	if (!e->buf)
		return NULL;
	save_elf_put_phdr(e->buf + e->nph++ * sizeof(Elf64_Phdr), type, off, va, pa,
			  size, memsz);
	if (e->nph < SAVE_ELF_PH_CHUNK)
		return NULL;
	struct kd_error *err = kd_sink_write(&e->s->sink, e->buf,
					     e->nph * sizeof(Elf64_Phdr), e->pos);
	e->pos += e->nph * sizeof(Elf64_Phdr);
	e->nph = 0;
	return err;
}

// One piece of a run: pages [pfn, pfn + n) at file offset off, then zero
// pages up to pfn + memn.
static struct kd_error *save_elf_emit_piece(struct save_elf_phdrs *e, int pass,
					    uint64_t pfn, uint64_t n, uint64_t memn,
					    uint64_t off)
{
	const uint32_t ps = e->s->ps;
	uint64_t pa = pfn * ps, len = n * ps, mem = memn * ps;
	if (!memn)
		return NULL;
	// p_offset stays a real file position even without file bytes:
	// crash sizes the headers by the smallest p_offset and gives up on
	// 0 (netdump.c).
	if (pass == 0)
		return save_elf_emit(e, PT_LOAD, off, e->direct ? e->direct + pa : 0,
				     pa, len, mem);
	if (!e->text || pa >= e->text_end_pa || pa + mem <= e->text_pa)
		return NULL;
	uint64_t a = pa > e->text_pa ? pa : e->text_pa;
	uint64_t bm = pa + mem < e->text_end_pa ? pa + mem : e->text_end_pa;
	uint64_t bf = pa + len < e->text_end_pa ? pa + len : e->text_end_pa;
	uint64_t fsz = bf > a ? bf - a : 0;
	return save_elf_emit(e, PT_LOAD, off + (fsz ? a - pa : 0),
			     e->text_va + (a - e->text_pa), a, fsz, bm - a);
}

static struct kd_error *save_elf_phdrs(struct save_elf_phdrs *e)
{
	struct kd_saver *s = e->s;
	struct kd_error *err = save_elf_emit(e, PT_NOTE, e->note_off, 0, 0,
					     e->notes_len, e->notes_len);
	for (int pass = 0; pass < 2 && !err; pass++) {
		uint64_t off = e->data_off;
		size_t b = 0;
		for (size_t i = 0; i < s->nruns && !err; i++) {
			const struct kd_save_run *r = &s->runs[i];
			uint64_t pfn = r->pfn, n = r->n, memn = r->memn, o = off;
			while (e->split && b < s->nbad && s->bad[b].pfn < r->pfn + r->n &&
			       !err) {
				uint64_t bp = s->bad[b++].pfn;
				if (bp < pfn)
					continue;
				err = save_elf_emit_piece(e, pass, pfn, bp - pfn, bp - pfn, o);
				o += (bp + 1 - pfn) * s->ps;
				n -= bp + 1 - pfn;
				memn -= bp + 1 - pfn;
				pfn = bp + 1;
			}
			if (!err)
				err = save_elf_emit_piece(e, pass, pfn, n, memn, o);
			off += r->n * s->ps;
		}
	}
	if (!err && e->buf && e->nph)
		err = kd_sink_write(&s->sink, e->buf, e->nph * sizeof(Elf64_Phdr), e->pos);
	e->nph = 0;
	return err;
}

static uint64_t save_elf_count(struct save_elf_phdrs *e, bool split)
{
	struct save_elf_phdrs c = *e;
	c.buf = NULL;
	c.count = 0;
	c.split = split;
	save_elf_phdrs(&c);	// counting cannot fail
	return c.count;
}

// Too many program headers for a reader (format-elf.c takes 2^24): merge
// runs that only zero pages separate, smallest gaps first; the zero pages
// become data.
static struct kd_error *save_elf_cap(struct save_elf_phdrs *e)
{
	struct kd_saver *s = e->s;
	for (uint64_t gap = 1; save_elf_count(e, false) > s->max_phdrs; gap *= 2) {
		if (gap > s->max_pfn)
			return kd_error_create(KD_ERROR_UNSUPPORTED,
				"%s: more than %llu ELF program headers needed even with zero pages kept",
				s->sink.name, (unsigned long long)s->max_phdrs);
		size_t j = 0;
		for (size_t i = 0; i < s->nruns; i++) {
			struct kd_save_run *last = j ? &s->runs[j - 1] : NULL;
			const struct kd_save_run *r = &s->runs[i];
			if (last && last->pfn + last->memn == r->pfn &&
			    last->memn - last->n <= gap) {
				s->stats->pages_excluded[KD_PAGE_ZERO] -= last->memn - last->n;
				last->n = r->pfn - last->pfn + r->n;
				last->memn = r->pfn - last->pfn + r->memn;
				continue;
			}
			s->runs[j++] = *r;
		}
		s->nruns = j;
	}
	return NULL;
}

// ELF header; with PN_XNUM (more than 65534 headers) the count goes in
// the first section header's sh_info (elf(5), as Linux core dumps do),
// that section header at shoff.
static struct kd_error *save_elf_write_ehdr(struct kd_saver *s, uint64_t phoff,
					    uint64_t phnum, uint64_t shoff)
{
	bool xnum = phnum >= PN_XNUM;
	uint8_t eh[sizeof(Elf64_Ehdr)] = { 0 };
	memcpy(eh, ELFMAG, SELFMAG);
	eh[EI_CLASS] = ELFCLASS64;
	eh[EI_DATA] = ELFDATA2LSB;
	eh[EI_VERSION] = EV_CURRENT;
	kd_put_le16(eh + offsetof(Elf64_Ehdr, e_type), ET_CORE);
	kd_put_le16(eh + offsetof(Elf64_Ehdr, e_machine), kd_dump_machine(s->dump));
	kd_put_le32(eh + offsetof(Elf64_Ehdr, e_version), EV_CURRENT);
	kd_put_le64(eh + offsetof(Elf64_Ehdr, e_phoff), phoff);
	kd_put_le16(eh + offsetof(Elf64_Ehdr, e_ehsize), sizeof(Elf64_Ehdr));
	kd_put_le16(eh + offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr));
	kd_put_le16(eh + offsetof(Elf64_Ehdr, e_phnum),
		 xnum ? PN_XNUM : (uint16_t)phnum);
	if (xnum) {
		kd_put_le64(eh + offsetof(Elf64_Ehdr, e_shoff), shoff);
		kd_put_le16(eh + offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr));
		kd_put_le16(eh + offsetof(Elf64_Ehdr, e_shnum), 1);
		uint8_t sh[sizeof(Elf64_Shdr)] = { 0 };
		kd_put_le32(sh + offsetof(Elf64_Shdr, sh_info), (uint32_t)phnum);
		struct kd_error *err = kd_sink_write(&s->sink, sh, sizeof(sh), shoff);
		if (err)
			return err;
	}
	return kd_sink_write(&s->sink, eh, sizeof(eh), 0);
}

// Unreadable pages found while writing: the program headers again, split
// around them, past the data (e_phoff may point anywhere, elf(5)); the
// first table stays as dead bytes. Past the reader's limit the dump
// stays marked incomplete (*done false): the pages read as zeros there.
static struct kd_error *save_elf_relocate(struct save_elf_phdrs *e, uint64_t end,
					  bool *done)
{
	struct kd_saver *s = e->s;
	*done = false;
	uint64_t phnum = save_elf_count(e, true);
	if (phnum > s->max_phdrs)
		return NULL;
	uint64_t phoff = kd_round_up(end, 8);
	e->split = true;
	e->pos = phoff;
	e->count = 0;
	struct kd_error *err = save_elf_phdrs(e);
	if (!err)
		err = save_elf_write_ehdr(s, phoff, phnum, phoff + phnum * sizeof(Elf64_Phdr));
	*done = !err;
	return err;
}

static int save_elf_bad_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct kd_save_bad *)a)->pfn;
	uint64_t y = ((const struct kd_save_bad *)b)->pfn;
	return x < y ? -1 : x > y;
}

struct kd_error *kd_save_elf(struct kd_saver *s, unsigned int workers,
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
	bool writing = false;
	uint8_t *notes = NULL;
	if (level & KD_DL_ZERO) {
		struct kd_pipeline_config cfg = {
			.dump = s->dump, .workers = workers, .jobs = jobs,
			.batch = KD_SAVE_BATCH_PAGES, .page_size = s->ps,
			.mode = KD_JOB_SCAN, .find_zero = true,
		};
		if ((err = kd_pipeline_create(&cfg, save_elf_scan_done, s, &pl)))
			return err;
	}
	s->filter_counts = true;
	for (size_t w = 0; w < s->nwin; w++) {
		if ((err = kd_saver_load_window(s, w)))
			goto out;
		uint64_t start = w * s->window;
		uint64_t nbytes = kd_saver_window_pfns(s, w) / 8;
		uint64_t present = kd_saver_popcount(s->present, nbytes);
		s->stats->pages_present += present;
		if (!present)
			continue;	// no page here, so none kept or zero
		memset(s->zero, 0, s->window / 8);
		if (pl && (err = save_elf_feed_window(s, pl)))
			goto out;
		for (uint64_t i = 0; i < nbytes * 8; i++) {
			if (!(i % 8) && !s->keep[i / 8] && !s->zero[i / 8]) {
				i += 7;
				continue;
			}
			if ((kd_saver_bit(s->keep, i) || kd_saver_bit(s->zero, i)) &&
			    (err = save_elf_add_run(s, start + i, kd_saver_bit(s->keep, i))))
				goto out;
		}
	}
	s->filter_counts = false;
	kd_pipeline_destroy(pl);
	pl = NULL;

	// The kernel image again at its text-mapping address.
	uint64_t text_va = 0, end_va = 0, text_pa = 0;
	struct kd_error *e = NULL;
	bool text = !(e = kd_kernel_symbol(s->kernel, "_text", &text_va)) &&
		    !(e = kd_kernel_symbol(s->kernel, "_end", &end_va)) &&
		    end_va > text_va &&
		    !(e = kd_kernel_vtop(s->kernel, text_va, &text_pa));
	kd_error_destroy(e);
	size_t notes_len = 0;
	if ((err = kd_notes_serialize(s->dump, true, &notes, &notes_len)))
		goto out;
	uint8_t phbuf[SAVE_ELF_PH_CHUNK * sizeof(Elf64_Phdr)];
	struct save_elf_phdrs ph = {
		.s = s, .notes_len = notes_len,
		.direct = kd_kernel_direct_map_base(s->kernel),
		.text = text, .text_va = text_va, .text_pa = text_pa,
		.text_end_pa = text ? kd_round_up(text_pa + (end_va - text_va), s->ps) : 0,
		.buf = phbuf,
	};
	if ((err = save_elf_cap(&ph)))
		goto out;
	uint64_t kept = 0;
	for (size_t i = 0; i < s->nruns; i++)
		kept += s->runs[i].n;
	kd_saver_not_stored(s, kept + s->stats->pages_excluded[KD_PAGE_ZERO] +
			    s->stats->pages_unreadable);

	uint64_t phnum = save_elf_count(&ph, false);
	bool xnum = phnum >= PN_XNUM;
	uint64_t phoff = sizeof(Elf64_Ehdr);
	uint64_t shoff = phoff + phnum * sizeof(Elf64_Phdr);
	ph.note_off = shoff + (xnum ? sizeof(Elf64_Shdr) : 0);
	ph.data_off = kd_round_up(ph.note_off + notes_len, s->ps);
	ph.pos = phoff;

	// The notes first: their status says incomplete before anything
	// makes the file an ELF core; the ELF header last.
	if ((err = kd_sink_write(&s->sink, notes, notes_len, ph.note_off)) ||
	    (err = save_elf_phdrs(&ph)) ||
	    (err = save_elf_write_ehdr(s, phoff, phnum, shoff)))
		goto out;

	// Pass 2: the page data, run after run.
	s->prog.pages_total = kept;
	struct kd_pipeline_config cfg = {
		.dump = s->dump, .workers = workers, .jobs = jobs,
		.batch = KD_SAVE_BATCH_PAGES, .page_size = s->ps, .mode = KD_JOB_RAW,
	};
	if ((err = kd_pipeline_create(&cfg, save_elf_raw_done, s, &pl)))
		goto out;
	s->elf_pos = s->elf_data_off = ph.data_off;
	kd_append_init(&s->app, &s->sink, ph.data_off, !s->opts->buffered);
	writing = true;
	struct kd_job *job = NULL;
	for (size_t i = 0; i < s->nruns && !err; i++)
		for (uint64_t k = 0; k < s->runs[i].n && !err; k++)
			err = kd_pipeline_add(pl, &job, s->runs[i].pfn + k, 0);
	if (!err)
		err = kd_pipeline_flush(pl, job);
	if (!err)
		err = kd_append_end(&s->app);
	bool relocated = !s->nbad;
	if (!err && s->nbad) {
		qsort(s->bad, s->nbad, sizeof(*s->bad), save_elf_bad_cmp);
		err = save_elf_relocate(&ph, s->elf_pos, &relocated);
	}
	if (!err && relocated) {
		// Complete: the status note's value, the last 4 bytes of notes.
		static const uint8_t done[4] = { 0 };
		err = kd_sink_write(&s->sink, done, 4, ph.note_off + notes_len - 4);
	}
out:
	if (writing) {
		// Pages whose data reached the file, but for the unreadable.
		uint64_t durable = kd_append_durable(&s->app);
		uint64_t pages = durable > s->elf_data_off ?
			(durable - s->elf_data_off) / s->ps : 0;
		for (size_t i = 0; i < s->nbad; i++)
			pages -= s->bad[i].rank < pages;
		s->stats->pages_written = pages;
	}
	free(notes);
	kd_pipeline_destroy(pl);
	return err;
}

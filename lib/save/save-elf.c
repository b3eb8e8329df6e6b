// SPDX-License-Identifier: LGPL-2.1-or-later
// The ELF core writer of kd_save() (save.c drives it).
//
// Like /proc/vmcore: one PT_LOAD per run of kept pages at its direct-map
// address, plus the kernel image again at its text-mapping address (crash
// finds phys_base from it, gdb reads kernel symbols through it). Zero pages
// left out become p_memsz tails. kexdump's status note stays "incomplete"
// until the last write (ELF has no such flag).
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
		if (!job->pages[i].zero)
			continue;
		uint64_t b = job->pfns[i] - start;
		s->keep[b / 8] &= (uint8_t)~(1u << (b % 8));
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
	s->elf_pos += len;
	s->stats->pages_written += job->n;
	kd_saver_report(s, job->n);
	return NULL;
}

// Feed every pfn of the current window's keep bitmap to a pipeline.
static struct kd_error *save_elf_feed_window(struct kd_saver *s, struct kd_pipeline *pl)
{
	struct kd_error *err;
	struct kd_job *job = NULL;
	uint64_t start = s->cached_win * s->window;
	for (uint64_t i = 0; i < kd_saver_window_pfns(s, s->cached_win); i++)
		if (kd_saver_bit(s->keep, i) && (err = kd_pipeline_add(pl, &job, start + i, 0)))
			return err;
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
		s->stats->pages_present += kd_saver_popcount(s->present, nbytes);
		memset(s->zero, 0, s->window / 8);
		if (pl && (err = save_elf_feed_window(s, pl)))
			goto out;
		for (uint64_t i = 0; i < nbytes * 8; i++)
			if ((kd_saver_bit(s->keep, i) || kd_saver_bit(s->zero, i)) &&
			    (err = save_elf_add_run(s, start + i, kd_saver_bit(s->keep, i))))
				goto out;
	}
	s->filter_counts = false;
	kd_pipeline_destroy(pl);
	pl = NULL;
	uint64_t kept = 0;
	for (size_t i = 0; i < s->nruns; i++)
		kept += s->runs[i].n;
	kd_saver_not_stored(s, kept + s->stats->pages_excluded[KD_PAGE_ZERO]);

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
	uint64_t data_off = kd_round_up(note_off + notes_len, s->ps);
	uint64_t direct = kd_kernel_direct_map_base(s->kernel);

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
	// More than 65534 headers: e_phnum = PN_XNUM and the count in the
	// first section header's sh_info (elf(5), as Linux core dumps do).
	kd_put_le16(eh + offsetof(Elf64_Ehdr, e_phnum),
		 xnum ? PN_XNUM : (uint16_t)phnum);
	if (xnum) {
		kd_put_le64(eh + offsetof(Elf64_Ehdr, e_shoff), shoff);
		kd_put_le16(eh + offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr));
		kd_put_le16(eh + offsetof(Elf64_Ehdr, e_shnum), 1);
		uint8_t sh[sizeof(Elf64_Shdr)] = { 0 };
		kd_put_le32(sh + offsetof(Elf64_Shdr, sh_info), (uint32_t)phnum);
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
	save_elf_put_phdr(ph, PT_NOTE, note_off, 0, 0, notes_len, notes_len);
	nph = 1;
	text_end_pa = kd_round_up(text_end_pa, s->ps);
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
				save_elf_put_phdr(ph + nph++ * sizeof(Elf64_Phdr), PT_LOAD, off,
					 direct ? direct + pa : 0, pa, len, mem);
			} else if (text && pa < text_end_pa && pa + mem > text_pa) {
				uint64_t a = pa > text_pa ? pa : text_pa;
				uint64_t bm = pa + mem < text_end_pa ? pa + mem : text_end_pa;
				uint64_t bf = pa + len < text_end_pa ? pa + len : text_end_pa;
				uint64_t fsz = bf > a ? bf - a : 0;
				save_elf_put_phdr(ph + nph++ * sizeof(Elf64_Phdr), PT_LOAD,
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
		.batch = KD_SAVE_BATCH_PAGES, .page_size = s->ps, .mode = KD_JOB_RAW,
	};
	if ((err = kd_pipeline_create(&cfg, save_elf_raw_done, s, &pl)))
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


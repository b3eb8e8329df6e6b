// SPDX-License-Identifier: LGPL-2.1-or-later
// The rehearsal's measurements (kexdump test without --yes-crash-now): the
// recorded capture initramfs read back, the dump's size estimated from the
// live kernel, the target's write speed. The command decides what passes.
#include "service/service.h"
#include "dump/codec.h"

#include <kexdump/save.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB ((uint64_t)1024 * 1024)
// Pfns classified at a time: 128 KiB per bitmap (as kexdump pages).
#define REHEARSE_WINDOW_PFNS (1u << 20)
// Kept pages read at a time to find the zero ones.
#define REHEARSE_READ_PAGES 256u
// Bytes of a kdump page descriptor (makedumpfile's page_desc_t:
// offset, size, flags, page_flags) and of the kdump sub header block's
// fixed part (kdump_sub_header, save-kdump.c writes it after the
// header block); the ELF notes of the capture's /proc/vmcore (a
// PRSTATUS per CPU, VMCOREINFO) are taken as a few KiB.
#define REHEARSE_PAGE_DESC 24u
#define REHEARSE_SUB_HEADER 256u
#define REHEARSE_NOTES (16u * 1024)
// ELF: the file header and one program header per segment (elf.h
// Elf64_Ehdr, Elf64_Phdr), a PT_NOTE among them.
#define REHEARSE_EHDR 64u
#define REHEARSE_PHDR 56u

static double rehearse_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// "a b c" in @p out: @p name appended while it fits, "..." once it does not.
static void rehearse_add_name(char *out, size_t outlen, const char *name)
{
	size_t len = strlen(out);
	if (len >= 3 && !strcmp(out + len - 3, "..."))
		return;
	size_t need = strlen(name) + (len ? 1 : 0);
	if (len + need + 4 < outlen)
		snprintf(out + len, outlen - len, "%s%s", len ? " " : "", name);
	else if (len + 5 < outlen)
		snprintf(out + len, outlen - len, "%s...", len ? " " : "");
}

/* ------------------------------------------------- the capture initramfs */

// What the archive holds, collected in one pass.
struct rehearse_archive {
	char **modules;		// names of lib/modules/NAME.ko
	size_t nmodules, cap;
	char *list;		// etc/kexdump.modules
	size_t list_len;
	char *config;		// etc/kexdump.conf
	size_t config_len;
	uint64_t init_size;
	bool has_init;
};

static void rehearse_archive_free(struct rehearse_archive *a)
{
	for (size_t i = 0; i < a->nmodules; i++)
		free(a->modules[i]);
	free(a->modules);
	free(a->list);
	free(a->config);
}

// The whole current entry (at most @p max bytes: a config or module list
// larger than that is not one setup wrote).
static struct kd_error *rehearse_read_entry(struct kd_cpio_reader *r, const struct kd_cpio_entry *e,
					    size_t max, char **ret, size_t *len_ret)
{
	if (e->size > max)
		return kd_error_create(KD_ERROR_CORRUPT, "%s: %u bytes, more than %zu", e->name,
				       e->size, max);
	char *buf = malloc((size_t)e->size + 1);
	if (!buf)
		return &kd_enomem;
	size_t got = 0;
	while (got < e->size) {
		size_t n;
		struct kd_error *err = kd_cpio_read(r, buf + got, e->size - got, &n);
		if (!err && n == 0)
			err = kd_error_create(KD_ERROR_CORRUPT, "%s: ends early", e->name);
		if (err) {
			free(buf);
			return err;
		}
		got += n;
	}
	buf[got] = '\0';
	*ret = buf;
	*len_ret = got;
	return NULL;
}

// A module's "vermagic=RELEASE ..." from its .modinfo (the kernel's
// include/linux/vermagic.h: UTS_RELEASE first, then a space). The module
// is read in pieces; the key may straddle two of them.
static struct kd_error *rehearse_vermagic_ok(struct kd_cpio_reader *r, const char *release,
					     bool *ok_ret)
{
	char want[160];
	int wl = snprintf(want, sizeof(want), "vermagic=%s ", release);
	if (wl < 0 || (size_t)wl >= sizeof(want))
		return kd_error_create(KD_ERROR_INVALID, "release '%s' too long", release);
	static const char key[] = "vermagic=";
	enum { CHUNK = 64 * 1024 };
	char *buf = malloc(CHUNK + sizeof(want));
	if (!buf)
		return &kd_enomem;
	size_t keep = 0;
	bool found = false, ok = false;
	for (;;) {
		size_t n;
		struct kd_error *err = kd_cpio_read(r, buf + keep, CHUNK, &n);
		if (err) {
			free(buf);
			return err;
		}
		size_t len = keep + n;
		char *hit = len ? memmem(buf, len, key, sizeof(key) - 1) : NULL;
		if (hit && (size_t)(buf + len - hit) >= (size_t)wl) {
			found = true;
			ok = !memcmp(hit, want, (size_t)wl);
			break;
		}
		if (n == 0)
			break;
		// Keep the tail: a key cut at the end, or a hit whose value
		// has not arrived yet.
		size_t tail = hit ? (size_t)(buf + len - hit) : (size_t)wl;
		if (tail > len)
			tail = len;
		memmove(buf, buf + len - tail, tail);
		keep = tail;
	}
	free(buf);
	// A module without vermagic would not load either.
	*ok_ret = found && ok;
	return NULL;
}

static bool rehearse_in_list(const char *list, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *p = list, *end = list + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t l = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (l == nl && !memcmp(p, name, nl))
			return true;
		p += l + 1;
	}
	return false;
}

static struct kd_error *rehearse_scan(const char *path, const char *release,
				      struct rehearse_archive *a, struct kd_rehearse_initramfs *rep)
{
	struct kd_cpio_reader *r;
	struct kd_error *err = kd_cpio_open(path, &r);
	if (err)
		return err;
	struct kd_cpio_entry *ent = malloc(sizeof(*ent));	// a 4 KiB name
	if (!ent) {
		kd_cpio_close(r);
		return &kd_enomem;
	}
	for (;;) {
		bool end;
		if ((err = kd_cpio_next(r, ent, &end)) || end)
			break;
		const char *n = ent->name;
		size_t nl = strlen(n);
		if (!strcmp(n, "init")) {
			a->has_init = true;
			a->init_size = ent->size;
		} else if (!strcmp(n, "etc/kexdump.conf")) {
			free(a->config);
			a->config = NULL;
			err = rehearse_read_entry(r, ent, 1u << 20, &a->config, &a->config_len);
		} else if (!strcmp(n, "etc/kexdump.modules")) {
			free(a->list);
			a->list = NULL;
			err = rehearse_read_entry(r, ent, 1u << 20, &a->list, &a->list_len);
		} else if (!strncmp(n, "lib/modules/", 12) && nl > 15 && !strcmp(n + nl - 3, ".ko")) {
			if (a->nmodules == a->cap) {
				size_t cap = a->cap ? 2 * a->cap : 32;
				char **v = realloc(a->modules, cap * sizeof(*v));
				if (!v) {
					err = &kd_enomem;
					break;
				}
				a->modules = v;
				a->cap = cap;
			}
			char *name = strndup(n + 12, nl - 15);
			if (!name) {
				err = &kd_enomem;
				break;
			}
			a->modules[a->nmodules++] = name;
			bool ok = true;
			if (release)
				err = rehearse_vermagic_ok(r, release, &ok);
			if (!err && !ok) {
				rep->nforeign++;
				rehearse_add_name(rep->foreign, sizeof(rep->foreign), name);
			}
		}
		if (err)
			break;
	}
	free(ent);
	kd_cpio_close(r);
	return err;
}

struct kd_error *kd_rehearse_initramfs(const char *path, const struct kd_modset *want,
				       const char *release, const char *init,
				       const char *config, size_t config_len,
				       struct kd_rehearse_initramfs *ret)
{
	struct kd_rehearse_initramfs rep = { 0 };
	struct stat st;
	if (stat(path, &st))
		return kd_error_os(errno, "%s", path);
	rep.size = (uint64_t)st.st_size;
	struct rehearse_archive a = { 0 };
	struct kd_error *err = rehearse_scan(path, release, &a, &rep);
	if (err) {
		rehearse_archive_free(&a);
		return kd_error_prefix(err, "%s", path);
	}
	rep.nmodules = a.nmodules;
	rep.has_init = a.has_init;
	rep.has_config = a.config != NULL;
	for (size_t i = 0; want && i < kd_modset_count(want); i++) {
		const char *name, *file;
		kd_modset_get(want, i, &name, &file);
		bool have = false;
		for (size_t k = 0; !have && k < a.nmodules; k++)
			have = !strcmp(a.modules[k], name);
		if (!have || !a.list || !rehearse_in_list(a.list, a.list_len, name)) {
			rep.nmissing++;
			rehearse_add_name(rep.missing, sizeof(rep.missing), name);
		}
	}
	if (init) {
		struct stat is;
		if (stat(init, &is))
			err = kd_error_os(errno, "%s", init);
		else
			rep.init_current = a.has_init && a.init_size == (uint64_t)is.st_size;
	} else {
		rep.init_current = a.has_init;
	}
	rep.config_current = config ? a.config && a.config_len == config_len &&
				      !memcmp(a.config, config, config_len) : rep.has_config;
	rehearse_archive_free(&a);
	if (err)
		return err;
	*ret = rep;
	return NULL;
}

/* ---------------------------------------------------- the dump's size */

// The codec whose output the estimate sizes. compress auto picks its
// codec during the save from the target's measured speed (lib/save/
// save-auto.c), which no rehearsal can know: it may store pages raw
// (none) when the target outruns every codec, as in the test's TCG
// guests. The estimate is then the most auto can write, uncompressed: the
// room check errs on the safe side, and a slow link writes less.
static enum kd_save_codec rehearse_codec(int codec)
{
	return codec == KD_SAVE_AUTO ? KD_SAVE_NONE : (enum kd_save_codec)codec;
}

struct rehearse_state {
	struct kd_dump *dump;
	const struct kd_rehearse_options *opts;
	struct kd_rehearse_estimate *est;
	const struct kd_codec_info *ci;	// NULL: stored raw
	struct kd_codec_state cs;
	uint8_t *buf, *out;
	size_t outcap;
	uint64_t stride;	// one kept page in this many is compressed
	uint64_t nth;		// kept pages seen
	uint64_t last_kept;	// pfn + 1 of the last kept page, 0 = none
};

static bool rehearse_zero(const uint8_t *p, size_t len)
{
	return p[0] == 0 && !memcmp(p, p + 1, len - 1);
}

// One kept page's data: a zero page (when the level drops them), else a
// kept one, compressed when it falls on the sample's stride.
static struct kd_error *rehearse_page(struct rehearse_state *s, uint64_t pfn, const uint8_t *data)
{
	struct kd_rehearse_estimate *e = s->est;
	uint32_t ps = e->page_size;
	e->described++;
	if ((s->opts->dump_level & KD_DL_ZERO) && data && rehearse_zero(data, ps)) {
		e->excluded[KD_PAGE_ZERO]++;
		return NULL;
	}
	e->kept++;
	if (!s->last_kept || s->last_kept != pfn)
		e->runs++;
	s->last_kept = pfn + 1;
	if (!data) {
		e->unreadable++;
		return NULL;
	}
	if (s->nth++ % s->stride)
		return NULL;
	size_t stored = ps;
	if (s->ci) {
		size_t outlen;
		double t0 = rehearse_now();
		struct kd_error *err = kd_codec_compress(&s->cs, s->ci->codec, data, ps, s->out,
							 s->outcap, &outlen);
		e->compress_seconds += rehearse_now() - t0;
		if (err)
			return err;
		// lib/save stores a page raw when compressing does not help.
		if (outlen < ps)
			stored = outlen;
	}
	e->sample_pages++;
	e->sample_in += ps;
	e->sample_out += stored;
	return NULL;
}

// Pages [start, start + n) of the window, all kept: read in one go when
// their data is needed (zero test or sample), page by page when that read
// fails (a page /proc/kcore cannot give is counted raw).
static struct kd_error *rehearse_run(struct rehearse_state *s, uint64_t start, uint64_t n)
{
	uint32_t ps = s->est->page_size;
	bool need_all = s->opts->dump_level & KD_DL_ZERO;
	struct kd_error *err;
	if (need_all && !kd_dump_read_phys(s->dump, start * ps, s->buf, n * ps)) {
		for (uint64_t k = 0; k < n; k++)
			if ((err = rehearse_page(s, start + k, s->buf + k * ps)))
				return err;
		return NULL;
	}
	for (uint64_t k = 0; k < n; k++) {
		bool sampled = (s->nth % s->stride) == 0;
		const uint8_t *data = NULL;
		if (need_all || sampled) {
			err = kd_dump_read_phys(s->dump, (start + k) * ps, s->buf, ps);
			if (!err)
				data = s->buf;
			kd_error_destroy(err);
		} else {
			data = s->buf;	// not looked at: neither tested nor sampled
		}
		if ((err = rehearse_page(s, start + k, data)))
			return err;
	}
	return NULL;
}

static uint64_t rehearse_popcount(const uint8_t *bm, size_t nbytes)
{
	uint64_t n = 0;
	for (size_t i = 0; i < nbytes; i++)
		n += (uint64_t)__builtin_popcount(bm[i]);
	return n;
}

static struct kd_error *rehearse_window(struct rehearse_state *s, struct kd_pagefilter *pf,
					uint64_t start, uint8_t *present, uint8_t *keep)
{
	struct kd_rehearse_estimate *e = s->est;
	uint64_t n = e->max_pfn - start < REHEARSE_WINDOW_PFNS ? e->max_pfn - start :
								 REHEARSE_WINDOW_PFNS;
	n = (n + 7) & ~7ull;
	struct kd_error *err = kd_pagefilter_window(pf, start, n, present, keep, e->excluded);
	if (err)
		return err;
	// The crashkernel= reservation is not in the crash's dump.
	const struct kd_rehearse_options *o = s->opts;
	if (o->skip_size) {
		uint64_t a = o->skip_start / e->page_size;
		uint64_t b = (o->skip_start + o->skip_size + e->page_size - 1) / e->page_size;
		for (uint64_t p = a < start ? start : a; p < b && p < start + n; p++) {
			uint64_t i = p - start;
			uint8_t bit = (uint8_t)(1u << (i % 8));
			if (present[i / 8] & bit)
				e->skipped++;
			present[i / 8] &= (uint8_t)~bit;
			keep[i / 8] &= (uint8_t)~bit;
		}
	}
	e->present += rehearse_popcount(present, n / 8);
	for (uint64_t i = 0; i < n;) {
		if (!(keep[i / 8] >> (i % 8) & 1)) {
			i += (i % 8 == 0 && keep[i / 8] == 0) ? 8 : 1;
			continue;
		}
		uint64_t k = 1;
		while (k < REHEARSE_READ_PAGES && i + k < n && keep[(i + k) / 8] >> ((i + k) % 8) & 1)
			k++;
		if ((err = rehearse_run(s, start + i, k)))
			return err;
		i += k;
	}
	return NULL;
}

struct kd_error *kd_rehearse_estimate(struct kd_kernel *kernel,
				      const struct kd_rehearse_options *opts,
				      struct kd_rehearse_estimate *ret)
{
	struct kd_rehearse_estimate *e = calloc(1, sizeof(*e));
	if (!e)
		return &kd_enomem;
	struct rehearse_state s = { .dump = kd_kernel_dump(kernel), .opts = opts, .est = e };
	enum kd_save_codec codec = rehearse_codec(opts->codec);
	e->codec = (int)codec;
	if (opts->format != KD_SAVE_ELF) {
		const struct kd_codec_info *ci = kd_codec_by_save(codec);
		if (!ci) {
			free(e);
			return kd_error_create(KD_ERROR_INVALID, "codec %d: no such codec", opts->codec);
		}
		s.ci = ci->compresses ? ci : NULL;
	}
	s.cs.level = opts->level;
	struct kd_pagefilter *pf;
	struct kd_error *err = kd_pagefilter_open(kernel, opts->dump_level, &pf);
	if (err) {
		free(e);
		return err;
	}
	uint32_t ps = kd_pagefilter_page_size(pf);
	e->page_size = ps;
	e->max_pfn = kd_pagefilter_max_pfn(pf);
	// The stride: about sample_pages samples when a tenth of memory is
	// kept (-d 31 on an idle machine), more when more is.
	uint64_t want = opts->sample_pages ? opts->sample_pages : 4096;
	uint64_t mem_pages = 0;
	for (size_t i = 0; i < kd_dump_num_ranges(s.dump); i++)
		mem_pages += kd_dump_range(s.dump, i)->size / ps;
	s.stride = mem_pages / 10 / want;
	if (s.stride == 0)
		s.stride = 1;
	s.outcap = kd_codec_bound(ps);
	uint8_t *present = malloc(REHEARSE_WINDOW_PFNS / 8), *keep = malloc(REHEARSE_WINDOW_PFNS / 8);
	s.buf = malloc((size_t)REHEARSE_READ_PAGES * ps);
	s.out = malloc(s.outcap);
	if (!present || !keep || !s.buf || !s.out) {
		err = &kd_enomem;
		goto out;
	}
	// Only windows that hold memory (as kexdump pages).
	uint64_t next = 0;
	for (size_t i = 0; !err && i < kd_dump_num_ranges(s.dump); i++) {
		const struct kd_phys_range *range = kd_dump_range(s.dump, i);
		uint64_t first = range->start / ps, end = (range->start + range->size + ps - 1) / ps;
		uint64_t start = first - first % REHEARSE_WINDOW_PFNS;
		if (start < next)
			start = next;
		for (; !err && start < end; start += REHEARSE_WINDOW_PFNS) {
			next = start + REHEARSE_WINDOW_PFNS;
			err = rehearse_window(&s, pf, start, present, keep);
		}
	}
	if (!err) {
		// The kept pages' bytes at the sample's ratio; unread ones raw.
		uint64_t readable = e->kept - e->unreadable;
		double ratio = e->sample_in ? (double)e->sample_out / (double)e->sample_in : 1.0;
		e->data_bytes = (uint64_t)((double)readable * ps * ratio) + e->unreadable * ps;
		size_t vi_len = 0;
		kd_dump_vmcoreinfo_raw(s.dump, &vi_len);
		e->size = kd_rehearse_dump_size(opts->format, opts->dump_level, e, vi_len);
		*ret = *e;
	}
out:
	kd_codec_deinit(&s.cs);
	free(present);
	free(keep);
	// Copies of kernel memory: zeros for a dump taken soon after (see
	// kd_rehearse_write_speed).
	if (s.buf)
		explicit_bzero(s.buf, (size_t)REHEARSE_READ_PAGES * ps);
	if (s.out)
		explicit_bzero(s.out, s.outcap);
	free(s.buf);
	free(s.out);
	kd_pagefilter_close(pf);
	free(e);
	return err;
}

static uint64_t rehearse_round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

uint64_t kd_rehearse_dump_size(int format, unsigned int dump_level,
			       const struct kd_rehearse_estimate *est, size_t vmcoreinfo_len)
{
	uint64_t ps = est->page_size ? est->page_size : 4096;
	if (format == KD_SAVE_ELF)
		// save-elf.c: the headers, the notes, the kept pages as they are.
		return REHEARSE_EHDR + (est->runs + 1) * REHEARSE_PHDR + REHEARSE_NOTES +
		       vmcoreinfo_len + est->kept * ps;
	// save-kdump.c: a header block; the sub header, VMCOREINFO and the
	// notes in whole blocks; the two bitmaps; a descriptor per page that
	// passed the filter (zero pages point at one shared zero page);
	// then the data, block-aligned.
	uint64_t n = ps;
	n += rehearse_round_up(REHEARSE_SUB_HEADER + vmcoreinfo_len + REHEARSE_NOTES, ps);
	n += 2 * rehearse_round_up(est->max_pfn / 8, ps);
	n = rehearse_round_up(n + est->described * REHEARSE_PAGE_DESC, ps);
	if (dump_level & KD_DL_ZERO)
		n += ps;
	return n + est->data_bytes;
}

double kd_rehearse_dump_seconds(const struct kd_rehearse_estimate *est,
				const struct kd_rehearse_write *w)
{
	double t = 0;
	if (est->compress_seconds > 0 && est->sample_in)
		t += (double)est->kept * est->page_size * est->compress_seconds /
		     (double)est->sample_in;
	if (w && w->seconds > 0 && w->bytes)
		t += (double)est->size * w->seconds / (double)w->bytes;
	return t;
}

/* ---------------------------------------------------- the target's speed */

// xorshift64: data that no file system compresses or deduplicates.
static void rehearse_fill(uint8_t *buf, size_t len, uint64_t *x)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		memcpy(buf + i, x, 8);
	}
}

struct kd_error *kd_rehearse_write_speed(const char *dir, uint64_t max_bytes,
					 unsigned int max_ms, struct kd_rehearse_write *ret)
{
	char path[4200];
	if ((size_t)snprintf(path, sizeof(path), "%s/.kexdump-rehearsal.XXXXXX", dir) >= sizeof(path))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", dir);
	// O_DIRECT, as kexdump save writes the page data: the speed of the
	// disk, not of the page cache, and no page cache full of this
	// test's data afterwards. A file system without it (EINVAL) is
	// written through the page cache.
	int fd = mkostemp(path, O_CLOEXEC | O_DIRECT);
	bool direct = fd >= 0;
	if (fd < 0 && errno == EINVAL)
		fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot create a test file", dir);
	const size_t block = (size_t)MIB;
	void *mem = NULL;
	struct kd_error *err = posix_memalign(&mem, 4096, block) ? &kd_enomem : NULL;
	uint8_t *buf = mem;
	uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid(), done = 0;
	double t0 = rehearse_now();
	while (!err && done < max_bytes && (rehearse_now() - t0) * 1000 < max_ms) {
		size_t len = max_bytes - done < block ? (size_t)(max_bytes - done) : block;
		// Whole 4 KiB blocks for O_DIRECT.
		len = len < 4096 ? 4096 : len / 4096 * 4096;
		rehearse_fill(buf, len, &x);
		size_t off = 0;
		while (!err && off < len) {
			ssize_t n = write(fd, buf + off, len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				err = kd_error_os(n < 0 ? errno : ENOSPC,
						  "%s: test write after %llu bytes", dir,
						  (unsigned long long)(done + off));
			else
				off += (size_t)n;
		}
		done += off;
	}
	if (!err && fsync(fd))
		err = kd_error_os(errno, "%s: fsync of the test write", dir);
	double t1 = rehearse_now();
	// The freed memory must not carry incompressible data into a dump
	// taken soon after (freed pages wait on per-CPU lists, where the
	// page filter cannot see that they are free): zeros, which the
	// dump leaves out.
	if (buf) {
		explicit_bzero(buf, block);
		free(buf);
	}
	if (!direct)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	if (unlink(path) && !err)
		err = kd_error_os(errno, "%s: removing the test file", path);
	if (err)
		return err;
	ret->bytes = done;
	ret->seconds = t1 - t0;
	ret->direct = direct;
	return NULL;
}

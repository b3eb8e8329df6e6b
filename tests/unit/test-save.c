// SPDX-License-Identifier: LGPL-2.1-or-later
// kd_save_fd()/kd_save_file()/kd_save_file_reassemble() on a synthetic dump:
// every format and codec read back page for page, zero pages, identical
// output for any thread count, a full disk, and the never-overwrite rules.
// Filtering by struct page is tested in test-pagefilter.c and on real dumps.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "save/save.h"
#include "synth.h"

#define PAGE 4096u
#define NPAGES1 300u			// range 1: pfn 0..299
#define R2_PFN 0x400u			// range 2: pfn 0x400..0x40f
#define NPAGES2 16u

static uint8_t mem1[NPAGES1 * PAGE], mem2[NPAGES2 * PAGE];

static bool zero_pfn(uint64_t pfn)
{
	return pfn % 5 == 0 || pfn == R2_PFN + 3;
}

// Zero pages, compressible pages and incompressible ones.
static void fill(uint8_t *p, uint64_t pfn)
{
	uint32_t x = (uint32_t)pfn * 2654435761u + 7;
	for (size_t i = 0; i < PAGE; i++) {
		if (zero_pfn(pfn)) {
			p[i] = 0;
		} else if (pfn % 3 == 0) {
			x = x * 1103515245u + 12345u;
			p[i] = (uint8_t)(x >> 16);
		} else {
			p[i] = (uint8_t)(i / 32 + pfn);
		}
	}
}

static struct synth_fixture open_source(void)
{
	for (uint64_t pfn = 0; pfn < NPAGES1; pfn++)
		fill(mem1 + pfn * PAGE, pfn);
	for (uint64_t i = 0; i < NPAGES2; i++)
		fill(mem2 + i * PAGE, R2_PFN + i);
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0x1234, 0x5678);
	synth_prstatus(s, 0, 0, 0);
	synth_vmcoreinfo(s, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nCRASHTIME=1700000000\n"
			 "NUMBER(phys_base)=0\nSYMBOL(init_top_pgt)=%llx\n",
			 (unsigned long long)SYNTH_KVA(0));
	synth_load(s, 0, 0xffff888000000000ULL, mem1, sizeof(mem1));
	synth_load(s, R2_PFN * PAGE, 0xffff888000000000ULL + R2_PFN * PAGE,
		   mem2, sizeof(mem2));
	struct synth_fixture f = synth_open(s);
	synth_free(s);
	return f;
}

static char *tmpname(void)
{
	char *p = strdup("/tmp/kexdump-test-save-XXXXXX");
	int fd = mkstemp(p);
	assert_true(fd >= 0);
	close(fd);
	unlink(p);
	return p;
}

// Save with opts into a new file; returns its path.
static char *save(struct kd_kernel *k, const struct kd_save_options *o,
		  struct kd_save_stats *st)
{
	char *path = tmpname();
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	struct kd_error *err = kd_save_fd(k, fd, o->format != KD_SAVE_FLAT, o, st);
	if (err)
		fail_msg("kd_save_fd: %s", kd_error_message(err));
	close(fd);
	return path;
}

// Every source page reads back with the same bytes: a kdump output points
// zero pages at one shared zero page, an ELF output leaves them out of the
// file as p_memsz tails that read as zeros.
static void check_pages(const char *path)
{
	struct kd_dump *d;
	struct kd_error *err = kd_dump_open(path, &d);
	if (err)
		fail_msg("%s: %s", path, kd_error_message(err));
	assert_false(kd_dump_incomplete(d));
	assert_int_equal(kd_dump_num_cpus(d), 2);
	size_t vilen;
	assert_non_null(strstr(kd_dump_vmcoreinfo_raw(d, &vilen), "OSRELEASE=6.1.0-test"));
	uint8_t want[PAGE], got[PAGE];
	for (uint64_t pfn = 0; pfn < R2_PFN + NPAGES2; pfn++) {
		bool in = pfn < NPAGES1 || pfn >= R2_PFN;
		err = kd_dump_read_phys(d, pfn * PAGE, got, PAGE);
		if (!in) {
			assert_non_null(err);
			assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
			kd_error_destroy(err);
			continue;
		}
		if (err)
			fail_msg("pfn %#llx: %s", (unsigned long long)pfn,
				 kd_error_message(err));
		fill(want, pfn);
		assert_memory_equal(want, got, PAGE);
	}
	kd_dump_close(d);
}

static void test_formats_and_codecs(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	static const enum kd_save_format formats[] = { KD_SAVE_KDUMP, KD_SAVE_FLAT, KD_SAVE_ELF };
	for (size_t fi = 0; fi < 3; fi++) {
		for (int c = KD_SAVE_ZSTD; c <= KD_SAVE_NONE; c++) {
			if (formats[fi] == KD_SAVE_ELF && c != KD_SAVE_ZSTD)
				continue;	// ELF pages are not compressed
			for (unsigned int level = 0; level <= 1; level++) {
				struct kd_save_options o = {
					.format = formats[fi], .codec = c,
					.dump_level = level, .threads = 2,
				};
				struct kd_save_stats st;
				char *p = save(f.kernel, &o, &st);
				check_pages(p);
				assert_false(st.incomplete);
				assert_int_equal(st.pages_present, NPAGES1 + NPAGES2);
				uint64_t zeros = 0;
				for (uint64_t pfn = 0; pfn < R2_PFN + NPAGES2; pfn++)
					zeros += (pfn < NPAGES1 || pfn >= R2_PFN) && zero_pfn(pfn);
				assert_int_equal(st.pages_excluded[KD_PAGE_ZERO], level ? zeros : 0);
				assert_int_equal(st.pages_written,
						 NPAGES1 + NPAGES2 - (level ? zeros : 0));
				unlink(p);
				free(p);
			}
		}
	}
	synth_fixture_close(&f);
}

// --compress auto: lzo where the bulk of memory is kept (-d 1, or any
// level when there are no struct pages to filter by, as here), with the
// pages read back right; the codec used is reported.
static void test_auto_codec(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	for (unsigned int level = 1; level <= 31; level += 30) {
		struct kd_save_options o = {
			.codec = KD_SAVE_AUTO, .dump_level = level, .threads = 2,
		};
		struct kd_save_stats st;
		char *p = save(f.kernel, &o, &st);
		check_pages(p);
		assert_int_equal(st.codec, KD_SAVE_LZO);
		assert_int_equal(st.level, 0);
		assert_int_equal(level == 31, st.warning[0] != 0);
		unlink(p);
		free(p);
	}
	struct kd_save_options o = { .codec = KD_SAVE_AUTO, .level = 3 };
	struct kd_save_stats st;
	char *p = tmpname();
	int fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
	struct kd_error *err = kd_save_fd(f.kernel, fd, true, &o, &st);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	close(fd);
	unlink(p);
	free(p);
	synth_fixture_close(&f);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	*len = (size_t)ftell(fp);
	rewind(fp);
	uint8_t *b = malloc(*len ? *len : 1);
	assert_int_equal(fread(b, 1, *len, fp), *len);
	fclose(fp);
	return b;
}

// Memory processed in many small windows (as a machine of more than 8 GiB
// is): the writing passes read the keep bits back from the output, or,
// when the descriptor is write-only, classify again; either way the bytes
// equal those of one window.
static void test_windows_identical(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	struct kd_save_options o = { .dump_level = 1, .threads = 2 };
	struct kd_save_stats st;
	char *one = save(f.kernel, &o, &st);
	size_t n1, n2;
	uint8_t *b1 = slurp(one, &n1);
	for (int wronly = 0; wronly < 2; wronly++) {
		char *p = tmpname();
		int fd = open(p, (wronly ? O_WRONLY : O_RDWR) | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		struct kd_error *err = kd_save_fd_windowed(f.kernel, fd, true, &o,
							   &st, 64);
		if (err)
			fail_msg("%s", kd_error_message(err));
		close(fd);
		check_pages(p);
		uint8_t *b2 = slurp(p, &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, n1);
		free(b2);
		unlink(p);
		free(p);
	}
	free(b1);
	unlink(one);
	free(one);
	synth_fixture_close(&f);
}

static void test_threads_identical(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	for (int fmt = KD_SAVE_KDUMP; fmt <= KD_SAVE_ELF; fmt++) {
		char *p[3];
		size_t len[3];
		uint8_t *b[3];
		for (unsigned int t = 1; t <= 3; t++) {
			struct kd_save_options o = { .format = fmt, .dump_level = 1,
						     .threads = t };
			struct kd_save_stats st;
			p[t - 1] = save(f.kernel, &o, &st);
			assert_int_equal(st.threads, t);
			b[t - 1] = slurp(p[t - 1], &len[t - 1]);
		}
		for (int i = 1; i < 3; i++) {
			assert_int_equal(len[0], len[i]);
			assert_memory_equal(b[0], b[i], len[0]);
		}
		for (int i = 0; i < 3; i++) {
			unlink(p[i]);
			free(p[i]);
			free(b[i]);
		}
	}
	synth_fixture_close(&f);
}

// A write failure (a full disk, here /dev/full) stops the save with the
// errno and the incomplete flag; nothing crashes or hangs.
static void test_full_disk(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	int fd = open("/dev/full", O_WRONLY);
	assert_true(fd >= 0);
	struct kd_save_options o = { .dump_level = 1 };
	struct kd_save_stats st;
	struct kd_error *err = kd_save_fd(f.kernel, fd, true, &o, &st);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_OS);
	assert_true(st.incomplete);
	kd_error_destroy(err);
	close(fd);
	synth_fixture_close(&f);
}

static void test_save_file_rules(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	char *p = tmpname();
	struct kd_save_options o = { .dump_level = 1 };
	struct kd_save_stats st;
	struct kd_error *err = kd_save_file(f.kernel, p, false, &o, &st);
	assert_null(err);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	char inc[256];
	snprintf(inc, sizeof(inc), "%s.incomplete", p);
	assert_int_not_equal(access(inc, F_OK), 0);
	check_pages(p);

	// An existing file is never replaced without force, and stays intact.
	size_t len0;
	uint8_t *before = slurp(p, &len0);
	o.dump_level = 0;
	err = kd_save_file(f.kernel, p, false, &o, &st);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "already exists"));
	kd_error_destroy(err);
	size_t len1;
	uint8_t *after = slurp(p, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	assert_int_not_equal(access(inc, F_OK), 0);
	// A leftover PATH.incomplete blocks a new save without force, too.
	FILE *fp = fopen(inc, "w");
	fclose(fp);
	unlink(p);
	err = kd_save_file(f.kernel, p, false, &o, &st);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "interrupted"));
	kd_error_destroy(err);
	assert_null(kd_save_file(f.kernel, p, true, &o, &st));
	check_pages(p);
	assert_int_not_equal(access(inc, F_OK), 0);
	unlink(p);
	free(p);
	free(before);
	free(after);
	synth_fixture_close(&f);
}

// A flattened stream reassembles into exactly the kdump file written
// directly; a stream cut short is reported and the result is incomplete.
static void test_save_file_reassemble(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	struct kd_save_options o = { .format = KD_SAVE_FLAT, .dump_level = 1 };
	struct kd_save_stats st;
	char *flat = save(f.kernel, &o, &st);
	o.format = KD_SAVE_KDUMP;
	char *direct = save(f.kernel, &o, &st);
	char *re = tmpname();
	int in = open(flat, O_RDONLY);
	assert_null(kd_save_file_reassemble(in, flat, re, false, &st));
	close(in);
	size_t l1, l2;
	uint8_t *a = slurp(direct, &l1), *b = slurp(re, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(a, b, l1);

	// Cut the stream in the middle: an error, and a dump marked incomplete.
	size_t flen;
	uint8_t *fb = slurp(flat, &flen);
	char *cut = tmpname();
	FILE *fp = fopen(cut, "wb");
	fwrite(fb, 1, flen / 2, fp);
	fclose(fp);
	char *re2 = tmpname();
	in = open(cut, O_RDONLY);
	struct kd_error *err = kd_save_file_reassemble(in, cut, re2, false, &st);
	close(in);
	assert_non_null(err);
	kd_error_destroy(err);
	assert_true(st.incomplete);
	struct kd_dump *d;
	assert_null(kd_dump_open(re2, &d));
	assert_true(kd_dump_incomplete(d));
	kd_dump_close(d);

	// Cut right before the end record: every record arrived, the final
	// header too, yet the dump is marked incomplete and holds them all.
	fp = fopen(cut, "wb");
	fwrite(fb, 1, flen - 16, fp);
	fclose(fp);
	char *re3 = tmpname();
	in = open(cut, O_RDONLY);
	err = kd_save_file_reassemble(in, cut, re3, false, &st);
	close(in);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "incomplete"));
	kd_error_destroy(err);
	assert_true(st.incomplete);
	assert_null(kd_dump_open(re3, &d));
	assert_true(kd_dump_incomplete(d));
	uint8_t want[PAGE], got[PAGE];
	for (uint64_t pfn = 1; pfn < NPAGES1; pfn++) {
		assert_null(kd_dump_read_phys(d, pfn * PAGE, got, PAGE));
		fill(want, pfn);
		assert_memory_equal(want, got, PAGE);
	}
	kd_dump_close(d);
	unlink(re3);
	free(re3);
	const char *files[] = { flat, direct, re, cut, re2 };
	for (size_t i = 0; i < 5; i++) {
		unlink(files[i]);
		free((void *)files[i]);
	}
	free(a);
	free(b);
	free(fb);
	synth_fixture_close(&f);
}

// A dump cut short midway (the file size limit stands in for a full
// disk): renamed to PATH, marked incomplete, and every page it still holds
// is right; the rest read as missing (KD_ERROR_NODATA), never as wrong.
static void test_partial_dump(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	signal(SIGXFSZ, SIG_IGN);
	for (int fmt = KD_SAVE_KDUMP; fmt <= KD_SAVE_ELF; fmt += KD_SAVE_ELF) {
		struct kd_save_options o = { .format = fmt, .dump_level = 1,
					     .codec = KD_SAVE_NONE };
		struct kd_save_stats st;
		char *full = save(f.kernel, &o, &st);
		struct stat sb;
		assert_int_equal(stat(full, &sb), 0);
		char *p = tmpname();
		struct rlimit old, lim;
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = (rlim_t)sb.st_size * 3 / 4;
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		struct kd_error *err = kd_save_file(f.kernel, p, false, &o, &st);
		setrlimit(RLIMIT_FSIZE, &old);
		assert_non_null(err);
		assert_int_equal(kd_error_code(err), KD_ERROR_OS);
		kd_error_destroy(err);
		assert_true(st.incomplete);
		struct kd_dump *d;
		err = kd_dump_open(p, &d);
		if (err)
			fail_msg("%s: %s", p, kd_error_message(err));
		assert_true(kd_dump_incomplete(d));
		uint8_t want[PAGE], got[PAGE];
		size_t good = 0, missing = 0;
		for (uint64_t pfn = 0; pfn < NPAGES1; pfn++) {
			err = kd_dump_read_phys(d, pfn * PAGE, got, PAGE);
			if (err) {
				assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
				kd_error_destroy(err);
				missing++;
				continue;
			}
			fill(want, pfn);
			assert_memory_equal(want, got, PAGE);
			good++;
		}
		assert_true(good > 0 && missing > 0);
		kd_dump_close(d);
		unlink(p);
		unlink(full);
		free(p);
		free(full);
	}
	synth_fixture_close(&f);
}

// kd_save_to(): an output of the caller's functions (the ssh target's),
// here memory. It gets the same bytes as a file, for both formats; a
// failing write leaves an incomplete dump of what it took; without a
// read-back function the bytes are the same all the same; the flattened
// format is for streams only.
struct memout {
	uint8_t *buf;
	size_t len, cap;
	size_t limit;		// writes fail past it (ENOSPC), 0 = never
	unsigned int reads;
};

static struct kd_error *memout_pwrite(void *arg, const void *buf, size_t len, uint64_t off,
				      size_t *done)
{
	struct memout *m = arg;
	size_t n = len;
	if (m->limit && off + len > m->limit)
		n = off < m->limit ? m->limit - (size_t)off : 0;
	if (off + n > m->cap) {
		size_t cap = (size_t)(off + n) * 2;
		m->buf = realloc(m->buf, cap);
		assert_non_null(m->buf);
		memset(m->buf + m->cap, 0, cap - m->cap);
		m->cap = cap;
	}
	memcpy(m->buf + off, buf, n);
	if (off + n > m->len)
		m->len = (size_t)off + n;
	*done = n;
	return n < len ? kd_error_os(ENOSPC, "memout: write at %#llx", (unsigned long long)off) :
			 NULL;
}

static struct kd_error *memout_pread(void *arg, void *buf, size_t len, uint64_t off)
{
	struct memout *m = arg;
	m->reads++;
	memset(buf, 0, len);
	if (off < m->len)
		memcpy(buf, m->buf + off, off + len <= m->len ? len : m->len - (size_t)off);
	return NULL;
}

static char *memout_to_file(const struct memout *m)
{
	char *p = tmpname();
	int fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, m->buf, m->len), (ssize_t)m->len);
	close(fd);
	return p;
}

static void test_save_to_output(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	for (int fmt = KD_SAVE_KDUMP; fmt <= KD_SAVE_ELF; fmt += KD_SAVE_ELF) {
		struct kd_save_options o = { .format = fmt, .dump_level = 1, .threads = 2 };
		struct kd_save_stats st, st2;
		char *file = save(f.kernel, &o, &st);
		size_t n;
		uint8_t *want = slurp(file, &n);
		for (int readable = 0; readable < 2; readable++) {
			struct memout m = { 0 };
			struct kd_save_output out = {
				.name = "mem", .pwrite = memout_pwrite,
				.pread = readable ? memout_pread : NULL, .arg = &m,
			};
			struct kd_error *err = kd_save_to(f.kernel, &out, &o, &st2);
			if (err)
				fail_msg("kd_save_to: %s", kd_error_message(err));
			assert_int_equal(m.len, n);
			assert_memory_equal(m.buf, want, n);
			assert_int_equal(st2.bytes_out, st.bytes_out);
			assert_int_equal(st2.pages_written, st.pages_written);
			free(m.buf);
		}
		// Cut short at 3/4: the error, the flag, a dump that says it is
		// incomplete and whose pages are the source's.
		struct memout m = { .limit = n * 3 / 4 };
		struct kd_save_output out = { .name = "mem", .pwrite = memout_pwrite,
					      .pread = memout_pread, .arg = &m };
		struct kd_error *err = kd_save_to(f.kernel, &out, &o, &st2);
		assert_non_null(err);
		assert_int_equal(kd_error_code(err), KD_ERROR_OS);
		assert_int_equal(kd_error_errno(err), ENOSPC);
		kd_error_destroy(err);
		assert_true(st2.incomplete);
		assert_true(st2.pages_written < st.pages_written);
		char *p = memout_to_file(&m);
		struct kd_dump *d;
		err = kd_dump_open(p, &d);
		if (err)
			fail_msg("%s: %s", p, kd_error_message(err));
		assert_true(kd_dump_incomplete(d));
		uint8_t page[PAGE], exp[PAGE];
		uint64_t good = 0;
		for (uint64_t pfn = 0; pfn < NPAGES1; pfn++) {
			err = kd_dump_read_phys(d, pfn * PAGE, page, PAGE);
			if (err) {
				assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
				kd_error_destroy(err);
				continue;
			}
			fill(exp, pfn);
			assert_memory_equal(exp, page, PAGE);
			good++;
		}
		assert_true(good > 0);
		kd_dump_close(d);
		unlink(p);
		free(p);
		free(m.buf);
		unlink(file);
		free(file);
		free(want);
	}
	struct kd_save_options o = { .format = KD_SAVE_FLAT, .dump_level = 1 };
	struct kd_save_stats st;
	struct memout m = { 0 };
	struct kd_save_output out = { .name = "mem", .pwrite = memout_pwrite, .arg = &m };
	struct kd_error *err = kd_save_to(f.kernel, &out, &o, &st);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	assert_int_equal(m.len, 0);
	synth_fixture_close(&f);
}

// No struct page information (no mem_section in VMCOREINFO): levels above
// 1 keep every page and say why, rather than fail in the capture kernel.
static void test_no_filter_falls_back(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	struct kd_save_options o = { .dump_level = 31 };
	struct kd_save_stats st;
	char *p = save(f.kernel, &o, &st);
	assert_non_null(strstr(st.warning, "not filtered"));
	check_pages(p);
	unlink(p);
	free(p);
	synth_fixture_close(&f);
}

// The kdump header is the first write: a save cut short in its bitmaps
// (the file size limit stands in for a full disk) leaves a dump that
// reads as an incomplete kdump one, never as no dump at all.
static void test_header_first(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	signal(SIGXFSZ, SIG_IGN);
	struct kd_save_options o = { .dump_level = 1, .codec = KD_SAVE_NONE };
	// 2 blocks: the header and sub header; 3 and 64 bytes: the 1st
	// bitmap and the start of the 2nd (synthetic layout: 4 KiB blocks).
	const rlim_t limits[] = { 2 * PAGE + 64, 3 * PAGE + 64 };
	for (size_t i = 0; i < 2; i++) {
		char *p = tmpname();
		struct rlimit old, lim;
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = limits[i];
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		struct kd_save_stats st;
		struct kd_error *err = kd_save_file(f.kernel, p, false, &o, &st);
		setrlimit(RLIMIT_FSIZE, &old);
		assert_non_null(err);
		kd_error_destroy(err);
		assert_true(st.incomplete);
		assert_int_equal(st.pages_written, 0);
		struct kd_dump *d;
		err = kd_dump_open(p, &d);
		if (i == 0) {
			// No page listed yet: not a dump to read, but an
			// incomplete one, not "not a crash dump".
			assert_non_null(err);
			assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
			assert_non_null(strstr(kd_error_message(err), "incomplete"));
			kd_error_destroy(err);
		} else {
			if (err)
				fail_msg("%s: %s", p, kd_error_message(err));
			assert_true(kd_dump_incomplete(d));
			uint8_t got[PAGE];
			err = kd_dump_read_phys(d, PAGE, got, PAGE);
			assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
			kd_error_destroy(err);
			kd_dump_close(d);
		}
		unlink(p);
		free(p);
	}
	synth_fixture_close(&f);
}

static uint64_t elf_phnum(const char *path)
{
	size_t len;
	uint8_t *b = slurp(path, &len);
	assert_true(len >= 64);
	uint64_t n = (uint64_t)b[56] | (uint64_t)b[57] << 8;	// e_phnum
	free(b);
	return n;
}

// An ELF save never writes more program headers than a reader takes:
// past the cap, runs that zero pages separate merge (the zero pages
// become data) and every page still reads back right.
static void test_elf_phdr_cap(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	struct kd_save_options o = { .format = KD_SAVE_ELF, .dump_level = 1 };
	struct kd_save_stats st, st2;
	char *free_p = save(f.kernel, &o, &st);
	uint64_t n = elf_phnum(free_p);
	assert_true(n > 40);	// a run per 4 pages of range 1
	const uint64_t caps[] = { 40, 10, 3 };
	for (size_t i = 0; i < 3; i++) {
		char *p = tmpname();
		int fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		struct kd_error *err = kd_save_fd_capped(f.kernel, fd, &o, &st2, caps[i]);
		if (err)
			fail_msg("cap %llu: %s", (unsigned long long)caps[i],
				 kd_error_message(err));
		close(fd);
		assert_true(elf_phnum(p) <= caps[i]);
		assert_true(st2.pages_excluded[KD_PAGE_ZERO] <
			    st.pages_excluded[KD_PAGE_ZERO]);
		assert_int_equal(st2.pages_written + st2.pages_excluded[KD_PAGE_ZERO],
				 st.pages_written + st.pages_excluded[KD_PAGE_ZERO]);
		check_pages(p);
		unlink(p);
		free(p);
	}
	// Fewer than PT_NOTE, a run per range and their text aliases: no
	// ELF can be written; the error says so before anything is.
	char *p = tmpname();
	int fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
	struct kd_error *err = kd_save_fd_capped(f.kernel, fd, &o, &st2, 2);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_UNSUPPORTED);
	kd_error_destroy(err);
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	close(fd);
	unlink(p);
	free(p);
	unlink(free_p);
	free(free_p);
	synth_fixture_close(&f);
}


static void assert_near(double a, double b)
{
	assert_true(a - b < 1e-12 && b - a < 1e-12);
}

// The rule of --compress auto (save-auto.c): per byte in, the longest of
// all CPU work over the CPUs, compression over the workers, bytes out at
// the link's wall time; the smallest estimate wins, ties to the lighter.
static void test_auto_rule(void **state)
{
	(void)state;
	// none, lzo, zstd:-1, zstd:3 as measured under emulation (s/MB).
	struct kd_save_auto_cand c[4] = {
		{ .cpu = 0, .ratio = 1 }, { .cpu = 0.18e-6, .ratio = 0.55 },
		{ .cpu = 0.45e-6, .ratio = 0.47 }, { .cpu = 0.70e-6, .ratio = 0.42 },
	};
	// One CPU, a link bound by the writer's CPU (SSH unthrottled): the
	// times add, and storing pages raw is fastest.
	struct kd_save_auto_link fast = { .wall = 0.3e-6, .cpu = 0.3e-6 };
	assert_int_equal(kd_save_auto_pick(c, 4, &fast, 1, 1, 1e8, -1), 0);
	assert_near(c[0].est, 0.3e-6);
	assert_near(c[2].est, 0.45e-6 + 0.47 * 0.3e-6);
	// The same CPU cost, but the link waits (1.3 s/MB): compressing
	// overlaps the wait, and zstd:-1's bytes cost less than its CPU.
	struct kd_save_auto_link slow = { .wall = 1.3e-6, .cpu = 0.3e-6 };
	assert_int_equal(kd_save_auto_pick(c, 4, &slow, 1, 1, 1e8, -1), 2);
	assert_near(c[0].est, 1.3e-6);
	assert_near(c[1].est, 0.55 * 1.3e-6);
	assert_near(c[2].est, 0.47 * 1.3e-6);
	assert_near(c[3].est, 0.70e-6 + 0.42 * 0.3e-6);
	// Slower still: zstd:3 (its bytes, 0.42 * 2.5, beat zstd:-1's CPU).
	struct kd_save_auto_link slower = { .wall = 2.5e-6, .cpu = 0.1e-6 };
	assert_int_equal(kd_save_auto_pick(c, 4, &slower, 1, 1, 1e8, -1), 3);
	// Four CPUs, four workers: the CPU work is spread (over 4, not 5).
	assert_int_equal(kd_save_auto_pick(c, 4, &fast, 4, 4, 1e8, -1), 2);
	assert_near(c[1].est, 0.55 * 0.3e-6);
	assert_near(c[2].est, (0.45e-6 + 0.47 * 0.3e-6) / 4);
	assert_near(c[3].est, (0.70e-6 + 0.42 * 0.3e-6) / 4);
	// A target without room for the raw pages: the next codec that fits.
	assert_int_equal(kd_save_auto_pick(c, 4, &fast, 1, 1, 100e6, 60e6), 1);
	assert_int_equal(kd_save_auto_pick(c, 4, &fast, 1, 1, 100e6, 50e6), 2);
	// Room for none of them: the smallest output.
	assert_int_equal(kd_save_auto_pick(c, 4, &fast, 1, 1, 100e6, 1e6), 3);
	// Ties go to the lighter codec; 0 workers or CPUs count as one.
	struct kd_save_auto_cand same[2] = { { .cpu = 0, .ratio = 1 }, { .cpu = 0, .ratio = 1 } };
	assert_int_equal(kd_save_auto_pick(same, 2, &slow, 0, 0, 1e6, -1), 0);
}

// A slow output: every write sleeps its bytes' time at ~2 MB/s, off the CPU.
struct slowout {
	struct memout m;
	double ns_per_byte;
};

static struct kd_error *slowout_pwrite(void *arg, const void *buf, size_t len, uint64_t off,
				       size_t *done)
{
	struct slowout *so = arg;
	double ns = so->ns_per_byte * (double)len;
	struct timespec ts = { (time_t)(ns / 1e9), (long)((uint64_t)ns % 1000000000u) };
	nanosleep(&ts, NULL);
	return memout_pwrite(&so->m, buf, len, off, done);
}

static struct kd_error *slowout_pread(void *arg, void *buf, size_t len, uint64_t off)
{
	return memout_pread(&((struct slowout *)arg)->m, buf, len, off);
}

// --compress auto over a slow output, deciding every 64 KiB: the codecs
// are measured on the dump's pages, the link from the writes; it leaves
// lzo (its start without struct pages) for zstd, the pages of the dump
// carry both codecs and all read back; the stats say what it measured.
static void test_auto_switches(void **state)
{
	(void)state;
	struct synth_fixture f = open_source();
	// A ring of two jobs (the least memory): the third job is filled
	// after the first decision.
	struct kd_save_options o = { .codec = KD_SAVE_AUTO, .dump_level = 1, .threads = 1,
				     .mem_limit = 1 };
	struct slowout so = { .ns_per_byte = 500 };
	struct kd_save_output out = { .name = "slow", .pwrite = slowout_pwrite,
				      .pread = slowout_pread, .arg = &so };
	struct kd_save_stats st;
	struct kd_error *err = kd_save_to_stepped(f.kernel, &out, &o, &st, 64 << 10);
	if (err)
		fail_msg("kd_save_to: %s", kd_error_message(err));
	const struct kd_save_auto_stats *as = &st.autosel;
	assert_int_equal(as->ncand, KD_SAVE_AUTO_CANDIDATES);
	assert_true(as->sample_pages > 0 && as->sample_pages <= 128);
	assert_int_equal(as->cand[0].codec, KD_SAVE_NONE);
	assert_int_equal(as->cand[1].codec, KD_SAVE_LZO);
	assert_int_equal(as->cand[3].level, 3);
	assert_true(as->cand[1].cpu_rate > 0 && as->cand[1].ratio < 1);
	assert_true(as->cand[3].ratio <= as->cand[1].ratio);
	assert_true(as->decisions >= 2);
	assert_true(as->link_rate > 0.5e6 && as->link_rate < 2.5e6);
	assert_true(as->link_cpu < 0.5);
	assert_int_equal(as->first, 1);
	assert_true(as->last >= 2);	// zstd
	assert_true(as->switches >= 1);
	uint64_t pages = 0;
	for (unsigned int i = 0; i < as->ncand; i++)
		pages += as->cand[i].pages;
	assert_int_equal(pages, st.pages_written);
	assert_true(as->cand[1].pages > 0 && as->cand[as->last].pages > 0);
	unsigned int most = 0;
	for (unsigned int i = 0; i < as->ncand; i++)
		if (as->cand[i].pages > as->cand[most].pages)
			most = i;
	assert_int_equal(st.codec, as->cand[most].codec);	// the codec of most pages
	assert_int_equal(st.level, as->cand[most].level);
	char *p = memout_to_file(&so.m);
	check_pages(p);
	unlink(p);
	free(p);
	free(so.m.buf);
	char why[1024];
	kd_save_auto_describe(&st, why, sizeof(why));
	assert_non_null(strstr(why, "switches): link "));
	assert_non_null(strstr(why, "; lzo "));
	assert_non_null(strstr(why, "; zstd:3 "));
	kd_save_auto_describe(&st, why, 40);	// cut short: still a string
	assert_true(strlen(why) < 40);
	st.autosel.ncand = 0;
	kd_save_auto_describe(&st, why, sizeof(why));
	assert_string_equal(why, "");
	synth_fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats_and_codecs),
		cmocka_unit_test(test_auto_codec),
		cmocka_unit_test(test_threads_identical),
		cmocka_unit_test(test_windows_identical),
		cmocka_unit_test(test_full_disk),
		cmocka_unit_test(test_save_file_rules),
		cmocka_unit_test(test_save_file_reassemble),
		cmocka_unit_test(test_partial_dump),
		cmocka_unit_test(test_save_to_output),
		cmocka_unit_test(test_no_filter_falls_back),
		cmocka_unit_test(test_header_first),
		cmocka_unit_test(test_elf_phdr_cap),
		cmocka_unit_test(test_auto_rule),
		cmocka_unit_test(test_auto_switches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

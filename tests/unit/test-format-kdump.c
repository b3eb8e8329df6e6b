// SPDX-License-Identifier: LGPL-2.1-or-later
// The kdump-compressed and flattened readers on dumps written here, laid out
// as makedumpfile writes them (diskdump_mod.h, makedumpfile.h): every codec,
// excluded pages, the incomplete flag, and damaged headers, bitmaps,
// descriptors and page data.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "kernel/kernel.h"
#include "synth.h"

#define PAGE 4096u
#define MAX_MAPNR 0x3000u	// pfns covered; bitmaps of one block each
#define NOTES_OFF (5 * PAGE)	// after header, sub header, 2 bitmap blocks, descriptors

enum { RAW, ZLIB, LZO, SNAPPY, ZSTD, INCOMPRESSIBLE };
static const uint32_t codec_flag[] = { 0, 0x1, 0x2, 0x4, 0x20, 0 };

// The dumped pages: pfn and how each is stored. pfn 4 and 0x11 are in
// memory (1st bitmap) but excluded (not in the 2nd).
static const struct {
	uint64_t pfn;
	int codec;
} pages[] = {
	{ 1, RAW }, { 2, ZLIB }, { 3, LZO }, { 5, SNAPPY }, { 6, ZSTD },
	{ 7, INCOMPRESSIBLE }, { 0x10, ZLIB }, { 0x12, ZSTD },
	{ 0x2fff, LZO },
};
#define NPAGES KD_ARRAY_SIZE(pages)
static const uint64_t excluded[] = { 4, 0x11 };

static void fill_page(uint64_t pfn, int codec, uint8_t *p)
{
	uint32_t x = (uint32_t)pfn * 2654435761u + 1;
	for (size_t i = 0; i < PAGE; i++) {
		if (codec == INCOMPRESSIBLE) {
			x = x * 1103515245u + 12345u;
			p[i] = (uint8_t)(x >> 16);
		} else {
			p[i] = (uint8_t)((i / 64) ^ pfn ^ (i % 7 == 0 ? i : 0));
		}
	}
}

struct buf {
	uint8_t *p;
	size_t len;
};

static void put(struct buf *b, size_t off, const void *data, size_t len)
{
	if (off + len > b->len) {
		b->p = realloc(b->p, off + len);
		assert_non_null(b->p);
		memset(b->p + b->len, 0, off + len - b->len);
		b->len = off + len;
	}
	memcpy(b->p + off, data, len);
}

static void put_note(struct buf *b, size_t *off, const char *name,
		     uint32_t type, const void *desc, size_t descsz)
{
	uint8_t h[12];
	size_t namesz = strlen(name) + 1;
	synth_put32(h, (uint32_t)namesz);
	synth_put32(h + 4, (uint32_t)descsz);
	synth_put32(h + 8, type);
	put(b, *off, h, 12);
	*off += 12;
	put(b, *off, name, namesz);
	*off += (namesz + 3) & ~(size_t)3;
	put(b, *off, desc, descsz);
	*off += (descsz + 3) & ~(size_t)3;
}

static size_t compress_page(int codec, const uint8_t *in, uint8_t *out,
			    size_t outcap)
{
	switch (codec) {
	case ZLIB: {
		uLongf n = outcap;
		assert_int_equal(compress2(out, &n, in, PAGE, 6), Z_OK);
		return n;
	}
	case LZO: {
		static uint8_t wrk[LZO1X_1_MEM_COMPRESS];
		lzo_uint n = outcap;
		assert_int_equal(lzo_init(), LZO_E_OK);
		assert_int_equal(lzo1x_1_compress(in, PAGE, out, &n, wrk), LZO_E_OK);
		return n;
	}
	case SNAPPY: {
		size_t n = outcap;
		assert_int_equal(snappy_compress((const char *)in, PAGE,
						 (char *)out, &n), SNAPPY_OK);
		return n;
	}
	case ZSTD: {
		size_t n = ZSTD_compress(out, outcap, in, PAGE, 1);
		assert_false(ZSTD_isError(n));
		return n;
	}
	}
	memcpy(out, in, PAGE);
	return PAGE;
}

static void set_bit(struct buf *b, size_t bitmap_off, uint64_t pfn)
{
	b->p[bitmap_off + pfn / 8] |= (uint8_t)(1u << (pfn % 8));
}

// Options of the image written.
struct opts {
	int version;
	bool incomplete;
	bool vmcoreinfo_apart;	// VMCOREINFO only as the separate blob
};

// A kdump-compressed image of pages[], as makedumpfile lays it out.
static struct buf make_image(const struct opts *o)
{
	struct buf b = {0};
	uint8_t dh[464] = {0}, kh[104] = {0};
	memcpy(dh, "KDUMP   ", 8);
	synth_put32(dh + 8, (uint32_t)o->version);
	memcpy(dh + 12 + 2 * 65, "6.1.0-test", 10);	// utsname.release
	memcpy(dh + 12 + 4 * 65, "x86_64", 6);		// utsname.machine
	synth_put32(dh + 424, o->incomplete ? 0x8 : 0);
	synth_put32(dh + 428, PAGE);
	synth_put32(dh + 432, 1);		// sub_hdr_size
	synth_put32(dh + 436, 2);		// bitmap_blocks
	synth_put32(dh + 440, MAX_MAPNR);
	synth_put32(dh + 460, 1);		// nr_cpus
	put(&b, 0, dh, sizeof(dh));

	// Bitmaps: blocks 2 and 3.
	uint8_t zero[PAGE] = {0};
	put(&b, 2 * PAGE, zero, PAGE);
	put(&b, 3 * PAGE, zero, PAGE);
	for (size_t i = 0; i < NPAGES; i++) {
		set_bit(&b, 2 * PAGE, pages[i].pfn);
		set_bit(&b, 3 * PAGE, pages[i].pfn);
	}
	for (size_t i = 0; i < KD_ARRAY_SIZE(excluded); i++)
		set_bit(&b, 2 * PAGE, excluded[i]);

	// Notes and VMCOREINFO after the descriptors (block 4).
	static const char vmci[] = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n";
	size_t off = NOTES_OFF;
	uint8_t prstatus[336] = {0};
	synth_put32(prstatus + 32, 42);			// pr_pid
	synth_put64(prstatus + 112 + 16 * 8, 0xffffffff81000010ull);	// ip
	put_note(&b, &off, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	if (!o->vmcoreinfo_apart)
		put_note(&b, &off, "VMCOREINFO", 0, vmci, sizeof(vmci) - 1);
	synth_put64(kh + 48, NOTES_OFF);
	synth_put64(kh + 56, off - NOTES_OFF);
	synth_put64(kh + 32, off);
	synth_put64(kh + 40, sizeof(vmci) - 1);
	put(&b, off, vmci, sizeof(vmci) - 1);
	off += sizeof(vmci) - 1;
	synth_put64(kh + 96, MAX_MAPNR);
	put(&b, PAGE, kh, sizeof(kh));

	// Pages, in pfn order like their descriptors.
	for (size_t i = 0; i < NPAGES; i++) {
		uint8_t page[PAGE], c[2 * PAGE];
		fill_page(pages[i].pfn, pages[i].codec, page);
		size_t n = compress_page(pages[i].codec, page, c, sizeof(c));
		assert_true(n <= PAGE);
		uint8_t pd[24] = {0};
		synth_put64(pd, off);
		synth_put32(pd + 8, (uint32_t)n);
		synth_put32(pd + 12, codec_flag[pages[i].codec]);
		put(&b, 4 * PAGE + 24 * i, pd, sizeof(pd));
		put(&b, off, c, n);
		off += n;
	}
	return b;
}

static char *write_buf(const struct buf *b)
{
	return synth_write_bytes(b->p, b->len);
}

// A flattened stream of img: records of chunk bytes emitted back to front,
// then a garbage record over the header rewritten by the real one, then
// the end marker (unless truncated).
static struct buf make_flat(const struct buf *img, size_t chunk, bool end)
{
	struct buf f = {0};
	uint8_t h[4096] = {0};
	memcpy(h, "makedumpfile", 12);
	h[23] = 1;	// type, big-endian
	h[31] = 1;	// version
	put(&f, 0, h, sizeof(h));
	size_t pos = sizeof(h);
	uint8_t rh[16];
	uint8_t junk[64];
	memset(junk, 0xee, sizeof(junk));
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = (img->len + chunk - 1) / chunk; k-- > 0;) {
			size_t off = k * chunk;
			size_t n = img->len - off < chunk ? img->len - off : chunk;
			const uint8_t *data = img->p + off;
			if (pass == 0 && k == 0) {
				// Overwritten below.
				n = sizeof(junk);
				data = junk;
			} else if (pass == 1 && k != 0) {
				continue;
			}
			for (int i = 0; i < 8; i++) {
				rh[i] = (uint8_t)((uint64_t)off >> (56 - 8 * i));
				rh[8 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
			}
			put(&f, pos, rh, 16);
			put(&f, pos + 16, data, n);
			pos += 16 + n;
		}
	}
	if (end) {
		memset(rh, 0xff, sizeof(rh));
		put(&f, pos, rh, 16);
	}
	return f;
}

static void check_pages(struct kd_dump *dump)
{
	for (size_t i = 0; i < NPAGES; i++) {
		uint8_t want[PAGE], got[PAGE];
		fill_page(pages[i].pfn, pages[i].codec, want);
		struct kd_error *err = kd_dump_read_phys(dump, pages[i].pfn * PAGE,
							 got, PAGE);
		if (err)
			fail_msg("pfn %#llx: %s", (unsigned long long)pages[i].pfn,
				 kd_error_message(err));
		assert_memory_equal(got, want, PAGE);
	}
	// A span across two dumped pages of different codecs.
	uint8_t a[PAGE], b[PAGE], got[200];
	fill_page(2, ZLIB, a);
	fill_page(3, LZO, b);
	assert_null(kd_dump_read_phys(dump, 3 * PAGE - 100, got, sizeof(got)));
	assert_memory_equal(got, a + PAGE - 100, 100);
	assert_memory_equal(got + 100, b, 100);
	// Excluded pages, holes and pages past max_mapnr are not in the dump.
	uint64_t missing[] = { 0, 4 * PAGE, 0x11 * PAGE + 5, 0x100 * PAGE,
			       (uint64_t)MAX_MAPNR * PAGE, 1ull << 40 };
	for (size_t i = 0; i < KD_ARRAY_SIZE(missing); i++) {
		struct kd_error *err = kd_dump_read_phys(dump, missing[i], got, 8);
		assert_non_null(err);
		assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
		kd_error_destroy(err);
	}
	// A span that starts in a dumped page and runs into an excluded one.
	struct kd_error *err = kd_dump_read_phys(dump, 4 * PAGE - 8, got, 16);
	assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
	kd_error_destroy(err);
}

static void check_meta(struct kd_dump *dump)
{
	assert_int_equal(kd_dump_machine(dump), EM_X86_64);
	assert_int_equal(kd_dump_num_cpus(dump), 1);
	struct kd_cpu_state st;
	assert_null(kd_dump_cpu_state(dump, 0, &st));
	assert_int_equal(st.pid, 42);
	assert_int_equal(st.ip, 0xffffffff81000010ull);
	size_t len;
	const char *vi = kd_dump_vmcoreinfo_raw(dump, &len);
	assert_non_null(vi);
	assert_true(len > 10 && !memcmp(vi, "OSRELEASE=6.1.0-test\n", 21));
	// Runs of dumped pages: 1-3, 5-7, 0x10, 0x12, 0x2fff.
	assert_int_equal(kd_dump_num_ranges(dump), 5);
	assert_int_equal(kd_dump_range(dump, 0)->start, PAGE);
	assert_int_equal(kd_dump_range(dump, 0)->size, 3 * PAGE);
	assert_int_equal(kd_dump_range(dump, 1)->start, 5 * PAGE);
	assert_int_equal(kd_dump_range(dump, 1)->size, 3 * PAGE);
	assert_int_equal(kd_dump_range(dump, 4)->start, 0x2fffull * PAGE);
}

static void test_kdump_reads(void **state)
{
	(void)state;
	for (int v = 4; v <= 6; v++) {
		struct opts o = { .version = v, .vmcoreinfo_apart = v == 5 };
		struct buf img = make_image(&o);
		char *path = write_buf(&img);
		struct kd_dump *dump;
		struct kd_error *err = kd_dump_open(path, &dump);
		if (err)
			fail_msg("%s", kd_error_message(err));
		assert_string_equal(kd_dump_format_name(dump), "kdump");
		assert_false(kd_dump_incomplete(dump));
		check_meta(dump);
		check_pages(dump);
		kd_dump_close(dump);
		unlink(path);
		free(path);
		free(img.p);
	}
}

static void test_flat_reads(void **state)
{
	(void)state;
	struct opts o = { .version = 6 };
	struct buf img = make_image(&o);
	size_t chunks[] = { 1000, 4096, 1 << 20 };
	for (size_t i = 0; i < KD_ARRAY_SIZE(chunks); i++) {
		struct buf f = make_flat(&img, chunks[i], true);
		char *path = write_buf(&f);
		struct kd_dump *dump;
		struct kd_error *err = kd_dump_open(path, &dump);
		if (err)
			fail_msg("%s", kd_error_message(err));
		assert_string_equal(kd_dump_format_name(dump), "flattened");
		assert_false(kd_dump_incomplete(dump));
		check_meta(dump);
		check_pages(dump);
		kd_dump_close(dump);
		unlink(path);
		free(path);
		free(f.p);
	}
	free(img.p);
}

static void expect_nodata_from(struct kd_dump *dump, size_t first_missing)
{
	for (size_t i = 0; i < NPAGES; i++) {
		uint8_t want[PAGE], got[PAGE];
		fill_page(pages[i].pfn, pages[i].codec, want);
		struct kd_error *err = kd_dump_read_phys(dump, pages[i].pfn * PAGE,
							 got, PAGE);
		if (i < first_missing) {
			assert_null(err);
			assert_memory_equal(got, want, PAGE);
		} else {
			assert_non_null(err);
			assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
			assert_non_null(strstr(kd_error_message(err), "incomplete"));
			kd_error_destroy(err);
		}
	}
}

// Page data offset of pages[i], from its descriptor.
static size_t data_off(const struct buf *img, size_t i)
{
	return (size_t)kd_le64(img->p + 4 * PAGE + 24 * i);
}

static void test_incomplete(void **state)
{
	(void)state;
	struct opts o = { .version = 6, .incomplete = true };
	struct buf img = make_image(&o);
	// The disk filled inside page 6's data: pages 0-5 are readable.
	struct buf cut = img;
	cut.len = data_off(&img, 6) + 10;
	char *path = write_buf(&cut);
	struct kd_dump *dump;
	assert_null(kd_dump_open(path, &dump));
	assert_true(kd_dump_incomplete(dump));
	expect_nodata_from(dump, 6);
	kd_dump_close(dump);
	unlink(path);
	free(path);

	// Descriptors never written (zeros) past page 3.
	struct buf z = {0};
	put(&z, 0, img.p, img.len);
	memset(z.p + 4 * PAGE + 24 * 3, 0, 24 * (NPAGES - 3));
	path = write_buf(&z);
	assert_null(kd_dump_open(path, &dump));
	expect_nodata_from(dump, 3);
	kd_dump_close(dump);
	unlink(path);
	free(path);
	free(z.p);

	// A flattened stream cut short (no end marker) is incomplete too,
	// even though its header was written before the disk filled.
	o.incomplete = false;
	free(img.p);
	img = make_image(&o);
	struct buf f = make_flat(&img, 4096, false);
	path = write_buf(&f);
	assert_null(kd_dump_open(path, &dump));
	assert_true(kd_dump_incomplete(dump));
	check_pages(dump);
	kd_dump_close(dump);
	unlink(path);
	free(path);
	free(f.p);
	free(img.p);
}

// Open a damaged copy; expect the open to fail with code and a message
// containing what.
static void expect_open_error(const struct buf *b, enum kd_error_code code,
			      const char *what)
{
	char *path = write_buf(b);
	struct kd_dump *dump = NULL;
	struct kd_error *err = kd_dump_open(path, &dump);
	if (!err)
		fail_msg("opened a dump damaged for \"%s\"", what);
	if (kd_error_code(err) != code || !strstr(kd_error_message(err), what) ||
	    !strstr(kd_error_message(err), path))
		fail_msg("want \"%s\" (code %d), got \"%s\" (code %d)", what,
			 code, kd_error_message(err), kd_error_code(err));
	kd_error_destroy(err);
	unlink(path);
	free(path);
}

static void test_bad_headers(void **state)
{
	(void)state;
	struct opts o = { .version = 6 };
	struct buf img = make_image(&o);
	struct buf b = {0};
#define MUTATE(stmt, code, what)                                          \
	do {                                                              \
		b.len = 0;                                                \
		put(&b, 0, img.p, img.len);                               \
		stmt;                                                     \
		expect_open_error(&b, code, what);                        \
	} while (0)
	MUTATE(b.len = 300, KD_ERROR_CORRUPT, "truncated");
	MUTATE(synth_put32(b.p + 8, 3), KD_ERROR_UNSUPPORTED, "no ELF notes");
	MUTATE(synth_put32(b.p + 8, 0x06000000), KD_ERROR_UNSUPPORTED, "big-endian");
	MUTATE(synth_put32(b.p + 428, 1000), KD_ERROR_CORRUPT, "block size");
	MUTATE(synth_put32(b.p + 428, 0), KD_ERROR_CORRUPT, "block size");
	MUTATE(synth_put32(b.p + 432, 0), KD_ERROR_CORRUPT, "sub header");
	MUTATE(synth_put32(b.p + 436, 0), KD_ERROR_CORRUPT, "bitmap size");
	MUTATE(synth_put32(b.p + 436, 3), KD_ERROR_CORRUPT, "bitmap size");
	MUTATE(synth_put32(b.p + 436, 0xfffffffe), KD_ERROR_CORRUPT, "implausibly large");
	MUTATE(synth_put32(b.p + 436, 1000), KD_ERROR_CORRUPT, "truncated");
	MUTATE(synth_put32(b.p + 432, 0x7fffffff), KD_ERROR_CORRUPT, "truncated");
	MUTATE(synth_put64(b.p + PAGE + 96, 0), KD_ERROR_CORRUPT, "do not fit");
	MUTATE(synth_put64(b.p + PAGE + 96, PAGE * 8 + 1), KD_ERROR_CORRUPT, "do not fit");
	MUTATE(synth_put64(b.p + PAGE + 96, UINT64_MAX), KD_ERROR_CORRUPT, "do not fit");
	MUTATE(synth_put64(b.p + PAGE + 48, 1ull << 40), KD_ERROR_CORRUPT, "truncated");
	MUTATE(synth_put64(b.p + PAGE + 48, UINT64_MAX - 4), KD_ERROR_CORRUPT, "truncated");
	MUTATE(synth_put64(b.p + PAGE + 56, 1ull << 40), KD_ERROR_CORRUPT, "implausibly large");
	MUTATE(synth_put32(b.p + NOTES_OFF + 4, 0x10000000), KD_ERROR_CORRUPT, "ELF note");
	MUTATE(memset(b.p + 3 * PAGE, 0, PAGE), KD_ERROR_CORRUPT, "no pages");
	// A complete dump must hold all its descriptors.
	MUTATE(b.len = 4 * PAGE + 24, KD_ERROR_CORRUPT, "truncated");
	MUTATE(memset(b.p + 3 * PAGE, 0xff, PAGE), KD_ERROR_CORRUPT, "page descriptors");
#undef MUTATE
	free(b.p);
	free(img.p);
}

// Damage one page's descriptor or data: opening works, reading that page
// fails with what, and the other pages still read.
static void expect_page_error(const struct buf *b, size_t page,
			      enum kd_error_code code, const char *what)
{
	char *path = write_buf(b);
	struct kd_dump *dump;
	struct kd_error *err = kd_dump_open(path, &dump);
	if (err)
		fail_msg("open: %s", kd_error_message(err));
	uint8_t got[PAGE], want[PAGE];
	for (int round = 0; round < 2; round++) {
		err = kd_dump_read_phys(dump, pages[page].pfn * PAGE, got, PAGE);
		if (!err)
			fail_msg("read a page damaged for \"%s\"", what);
		if (kd_error_code(err) != code || !strstr(kd_error_message(err), what))
			fail_msg("want \"%s\" (code %d), got \"%s\" (code %d)",
				 what, code, kd_error_message(err), kd_error_code(err));
		kd_error_destroy(err);
		size_t other = page ? 0 : 1;
		assert_null(kd_dump_read_phys(dump, pages[other].pfn * PAGE, got, PAGE));
		fill_page(pages[other].pfn, pages[other].codec, want);
		assert_memory_equal(got, want, PAGE);
	}
	kd_dump_close(dump);
	unlink(path);
	free(path);
}

static void test_bad_pages(void **state)
{
	(void)state;
	struct opts o = { .version = 6 };
	struct buf img = make_image(&o);
	struct buf b = {0};
#define DESC(i) (b.p + 4 * PAGE + 24 * (i))
#define MUTATE(page, stmt, code, what)                                    \
	do {                                                              \
		b.len = 0;                                                \
		put(&b, 0, img.p, img.len);                               \
		stmt;                                                     \
		expect_page_error(&b, page, code, what);                  \
	} while (0)
	MUTATE(1, synth_put32(DESC(1) + 8, PAGE + 1), KD_ERROR_CORRUPT, "has size 4097");
	MUTATE(1, synth_put32(DESC(1) + 8, 0), KD_ERROR_CORRUPT, "has size 0");
	MUTATE(0, synth_put32(DESC(0) + 8, 100), KD_ERROR_CORRUPT, "uncompressed page");
	MUTATE(1, synth_put64(DESC(1), 1ull << 40), KD_ERROR_CORRUPT, "truncated");
	MUTATE(1, synth_put64(DESC(1), UINT64_MAX - 10), KD_ERROR_CORRUPT, "truncated");
	MUTATE(1, synth_put64(DESC(1), 100), KD_ERROR_CORRUPT, "into the headers");
	MUTATE(1, synth_put32(DESC(1) + 12, 0x3), KD_ERROR_CORRUPT, "several compressions");
	// Bad compressed data of each codec, and a valid stream of the wrong
	// codec.
	MUTATE(1, memset(b.p + data_off(&img, 1), 0x5a, 16), KD_ERROR_CORRUPT, "bad zlib data");
	MUTATE(2, memset(b.p + data_off(&img, 2), 0xff, 32), KD_ERROR_CORRUPT, "bad lzo data");
	MUTATE(3, memset(b.p + data_off(&img, 3), 0xff, 8), KD_ERROR_CORRUPT, "bad snappy data");
	MUTATE(4, memset(b.p + data_off(&img, 4), 0x00, 8), KD_ERROR_CORRUPT, "bad zstd data");
	MUTATE(1, synth_put32(DESC(1) + 12, 0x20), KD_ERROR_CORRUPT, "bad zstd data");
	MUTATE(4, synth_put32(DESC(4) + 12, 0x1), KD_ERROR_CORRUPT, "bad zlib data");
	MUTATE(1, synth_put32(DESC(1) + 8, kd_le32(DESC(1) + 8) - 3), KD_ERROR_CORRUPT, "bad zlib data");
	MUTATE(4, synth_put32(DESC(4) + 8, kd_le32(DESC(4) + 8) - 3), KD_ERROR_CORRUPT, "bad zstd data");
	MUTATE(2, synth_put32(DESC(2) + 8, kd_le32(DESC(2) + 8) - 3), KD_ERROR_CORRUPT, "bad lzo data");
	MUTATE(3, synth_put32(DESC(3) + 8, kd_le32(DESC(3) + 8) - 3), KD_ERROR_CORRUPT, "bad snappy data");
#undef MUTATE
#undef DESC
	free(b.p);
	free(img.p);
}

static void test_bad_flat(void **state)
{
	(void)state;
	struct opts o = { .version = 6 };
	struct buf img = make_image(&o);
	struct buf f = make_flat(&img, 4096, true);
	struct buf b = {0};
#define MUTATE(stmt, code, what)                                          \
	do {                                                              \
		b.len = 0;                                                \
		put(&b, 0, f.p, f.len);                                   \
		stmt;                                                     \
		expect_open_error(&b, code, what);                        \
	} while (0)
	MUTATE(b.len = 100, KD_ERROR_CORRUPT, "truncated");
	MUTATE(b.p[23] = 2, KD_ERROR_UNSUPPORTED, "type 2");
	MUTATE(b.p[31] = 2, KD_ERROR_UNSUPPORTED, "version 2");
	MUTATE(b.p[4096] = 0x80, KD_ERROR_CORRUPT, "bad flattened record");
	MUTATE(memset(b.p + 4096 + 8, 0, 8), KD_ERROR_CORRUPT, "bad flattened record");
	MUTATE(memset(b.p + 4096, 0xff, 16), KD_ERROR_CORRUPT, "no data records");
	MUTATE((memset(b.p + 4096, 0xff, 8), b.p[4096] = 0x7f), KD_ERROR_CORRUPT,
	       "largest file offset");
#undef MUTATE
	// A flattened ELF (makedumpfile -F -E) is not handled.
	struct buf e = { 0 };
	struct buf elf = { 0 };
	put(&elf, 0, ELFMAG, SELFMAG);
	put(&elf, 100, "", 1);
	e = make_flat(&elf, 4096, true);
	expect_open_error(&e, KD_ERROR_UNSUPPORTED, "kdump-compressed");
	free(e.p);
	free(elf.p);
	free(b.p);
	free(f.p);
	free(img.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdump_reads),
		cmocka_unit_test(test_flat_reads),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_pages),
		cmocka_unit_test(test_bad_flat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

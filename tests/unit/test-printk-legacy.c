// SPDX-License-Identifier: LGPL-2.1-or-later
// The log_buf/printk_log kernel log of Linux 3.5 to 5.9 on synthetic
// dumps: records laid out as log_store() in kernel/printk/printk.c (v5.4)
// writes them, with the 5.4 x86_64 layout (CONFIG_PRINTK_CALLER) and with
// a different one; the len-0 wrap marker; malformed logs.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "synth.h"

#define MEM_SIZE 0x10000u
#define P_LOG_BUF 0x1000u	/* char *log_buf */
#define P_LOG_BUF_LEN 0x1008u	/* u32 log_buf_len */
#define P_FIRST_IDX 0x1010u	/* u32 log_first_idx */
#define P_NEXT_IDX 0x1018u	/* u32 log_next_idx */
#define P_FIRST_SEQ 0x1020u	/* u64 log_first_seq */
#define P_BUF 0x4000u		/* __log_buf */

struct layout {
	unsigned size, ts, len, text_len, dict_len, caller_id;
	bool has_caller_id;
};

// struct printk_log of v5.4 with CONFIG_PRINTK_CALLER, packed, aligned 4.
static const struct layout L54 = {
	.size = 20, .ts = 0, .len = 8, .text_len = 10, .dict_len = 12,
	.caller_id = 16, .has_caller_id = true,
};

// Another order, no caller id: nothing may be hard-coded.
static const struct layout LALT = {
	.size = 24, .ts = 8, .len = 0, .text_len = 2, .dict_len = 4,
	.has_caller_id = false,
};

struct log {
	const struct layout *l;
	uint8_t *mem;
	uint32_t buf_len, first, next;
	uint64_t buf_ptr;
	bool export_first_seq;
	uint64_t first_seq;
	uint64_t hdr_size;	/* SIZE(printk_log) as exported */
};

static struct log *log_new(const struct layout *l, uint32_t buf_len)
{
	struct log *g = calloc(1, sizeof(*g));
	g->mem = calloc(1, MEM_SIZE);
	g->l = l;
	g->buf_len = buf_len;
	g->buf_ptr = SYNTH_KVA(P_BUF);
	g->hdr_size = l->size;
	return g;
}

static void log_free(struct log *g)
{
	free(g->mem);
	free(g);
}

// A record at @p idx as log_store() writes it, padded to LOG_ALIGN (4);
// returns the index after it. level in bits 5..7 of the flags byte.
static uint32_t put_rec(struct log *g, uint32_t idx, uint64_t ts,
			const char *text, uint8_t level, uint32_t caller)
{
	const struct layout *l = g->l;
	size_t text_len = strlen(text);
	uint32_t len = (uint32_t)((l->size + text_len + 3) & ~(size_t)3);
	uint8_t *h = g->mem + P_BUF + idx;
	synth_put64(h + l->ts, ts);
	synth_put16(h + l->len, (uint16_t)len);
	synth_put16(h + l->text_len, (uint16_t)text_len);
	synth_put16(h + l->dict_len, 0);
	h[l->text_len + 4] = 1;			/* facility: user */
	h[l->text_len + 5] = (uint8_t)(level << 5 | 0x2);
	if (l->has_caller_id)
		synth_put32(h + l->caller_id, caller);
	memcpy(h + l->size, text, text_len);
	return idx + len;
}

// The end-of-buffer marker: a header with len 0.
static void put_wrap(struct log *g, uint32_t idx)
{
	memset(g->mem + P_BUF + idx, 0, g->l->size);
}

static void put_key(FILE *f, const char *omit, const char *key,
		    unsigned long long v, bool hex)
{
	if (!omit || strcmp(omit, key))
		fprintf(f, hex ? "%s=%llx\n" : "%s=%llu\n", key, v);
}

static char *vmcoreinfo(const struct log *g, const char *omit)
{
	const struct layout *l = g->l;
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	fprintf(f, "OSRELEASE=5.4.0-test\nPAGESIZE=4096\nNUMBER(phys_base)=0\n");
	put_key(f, omit, "SYMBOL(log_buf)", SYNTH_KVA(P_LOG_BUF), true);
	put_key(f, omit, "SYMBOL(log_buf_len)", SYNTH_KVA(P_LOG_BUF_LEN), true);
	put_key(f, omit, "SYMBOL(log_first_idx)", SYNTH_KVA(P_FIRST_IDX), true);
	put_key(f, omit, "SYMBOL(clear_idx)", SYNTH_KVA(0x1030), true);
	put_key(f, omit, "SYMBOL(log_next_idx)", SYNTH_KVA(P_NEXT_IDX), true);
	if (g->export_first_seq)
		put_key(f, omit, "SYMBOL(log_first_seq)", SYNTH_KVA(P_FIRST_SEQ), true);
	put_key(f, omit, "SIZE(printk_log)", g->hdr_size, false);
	put_key(f, omit, "OFFSET(printk_log.ts_nsec)", l->ts, false);
	put_key(f, omit, "OFFSET(printk_log.len)", l->len, false);
	put_key(f, omit, "OFFSET(printk_log.text_len)", l->text_len, false);
	put_key(f, omit, "OFFSET(printk_log.dict_len)", l->dict_len, false);
	if (l->has_caller_id)
		put_key(f, omit, "OFFSET(printk_log.caller_id)", l->caller_id, false);
	fclose(f);
	return text;
}

static struct synth_fixture open_log(struct log *g, const char *omit)
{
	synth_put64(g->mem + P_LOG_BUF, g->buf_ptr);
	synth_put32(g->mem + P_LOG_BUF_LEN, g->buf_len);
	synth_put32(g->mem + P_FIRST_IDX, g->first);
	synth_put32(g->mem + P_NEXT_IDX, g->next);
	synth_put64(g->mem + P_FIRST_SEQ, g->first_seq);
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	char *vi = vmcoreinfo(g, omit);
	synth_vmcoreinfo(s, "%s", vi);
	free(vi);
	synth_load(s, 0, SYNTH_KVA(0), g->mem, MEM_SIZE);
	struct synth_fixture f = synth_open(s);
	synth_free(s);
	return f;
}

struct seen {
	size_t n;
	uint64_t seq[16], ts[16];
	uint8_t level[16], facility[16];
	uint32_t caller[16];
	bool has_caller[16];
	char text[16][128];
	size_t text_len[16];
	char out[4096];
	size_t out_len;
	bool caller_id;
	size_t stop_after;	/* return &kd_stop after this many records; 0 = never */
};

static struct kd_error *collect(const struct kd_printk_record *rec, void *arg)
{
	struct seen *s = arg;
	assert_true(s->n < 16);
	if (s->stop_after && s->n == s->stop_after)
		return &kd_stop;
	size_t i = s->n++;
	s->seq[i] = rec->seq;
	s->ts[i] = rec->ts_nsec;
	s->level[i] = rec->level;
	s->facility[i] = rec->facility;
	s->caller[i] = rec->caller_id;
	s->has_caller[i] = rec->has_caller_id;
	assert_true(rec->text_len < sizeof(s->text[i]));
	memcpy(s->text[i], rec->text, rec->text_len);
	s->text[i][rec->text_len] = '\0';
	s->text_len[i] = rec->text_len;
	char *line;
	size_t len;
	assert_null(kd_printk_format(rec, s->caller_id, &line, &len));
	assert_true(s->out_len + len < sizeof(s->out));
	memcpy(s->out + s->out_len, line, len + 1);
	s->out_len += len;
	free(line);
	return NULL;
}

static void iterate(struct log *g, struct seen *s)
{
	struct synth_fixture f = open_log(g, NULL);
	struct kd_error *err = kd_printk_iterate(f.kernel, collect, s);
	if (err)
		fail_msg("%s", kd_error_message(err));
	synth_fixture_close(&f);
}

// Iterate expecting an error with @p code whose message has @p what and
// the dump's path, after @p delivered good records.
static void expect_error_after(struct log *g, const char *omit,
			       enum kd_error_code code, const char *what,
			       size_t delivered)
{
	struct seen s = { 0 };
	struct synth_fixture f = open_log(g, omit);
	struct kd_error *err = kd_printk_iterate(f.kernel, collect, &s);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), code);
	const char *msg = kd_error_message(err);
	if (!strstr(msg, what))
		fail_msg("\"%s\" not in \"%s\"", what, msg);
	assert_non_null(strstr(msg, f.path));
	assert_int_equal(s.n, delivered);
	kd_error_destroy(err);
	synth_fixture_close(&f);
}

static void expect_error(struct log *g, const char *omit,
			 enum kd_error_code code, const char *what)
{
	expect_error_after(g, omit, code, what, 0);
}

static void test_basic_54(void **state)
{
	(void)state;
	struct log *g = log_new(&L54, 256);
	uint32_t idx = 0;
	idx = put_rec(g, idx, 0, "Linux version 5.4.0-test", 5, 1);
	idx = put_rec(g, idx, 1500000000, "multi\nline", 4, 0x80000000u);
	idx = put_rec(g, idx, 2000000, "x\x02y", 7, 4242);
	g->next = idx;
	struct seen s = { .caller_id = true };
	iterate(g, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text[0], "Linux version 5.4.0-test");
	assert_string_equal(s.text[1], "multi\nline");
	assert_string_equal(s.text[2], "x\x02y");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(s.seq[i], i);
		assert_int_equal(s.facility[i], 1);
		assert_true(s.has_caller[i]);
	}
	assert_int_equal(s.level[0], 5);
	assert_int_equal(s.level[1], 4);
	assert_int_equal(s.level[2], 7);
	assert_int_equal(s.ts[1], 1500000000);
	assert_int_equal(s.caller[1], 0x80000000u);
	assert_string_equal(s.out,
		"[    0.000000] [    T1] Linux version 5.4.0-test\n"
		"[    1.500000] [    C0] multi\n"
		"                        line\n"
		"[    0.002000] [ T4242] x\\x02y\n");
	log_free(g);
}

// The other layout; seq starts at log_first_seq when a symbol gives it.
static void test_other_layout(void **state)
{
	(void)state;
	struct log *g = log_new(&LALT, 256);
	g->export_first_seq = true;
	g->first_seq = 42;
	uint32_t idx = put_rec(g, 0, 7000, "alpha", 3, 0);
	g->next = put_rec(g, idx, 8000, "beta\n", 2, 0);
	struct seen s = { .caller_id = true };
	iterate(g, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[0], "alpha");
	assert_string_equal(s.text[1], "beta\n");
	assert_int_equal(s.seq[0], 42);
	assert_int_equal(s.seq[1], 43);
	assert_int_equal(s.level[0], 3);
	assert_int_equal(s.level[1], 2);
	assert_false(s.has_caller[0]);
	assert_string_equal(s.out,
		"[    0.000007] alpha\n"
		"[    0.000008] beta\n"
		"               \n");
	log_free(g);
}

// next < first: records from first to a len-0 marker, then from 0.
static void test_wrap_marker(void **state)
{
	(void)state;
	struct log *g = log_new(&L54, 128);
	g->first = 72;
	uint32_t idx = put_rec(g, 72, 1000, "oldest", 6, 1);	/* 72..100 */
	put_wrap(g, idx);					/* 100..120 */
	idx = put_rec(g, 0, 2000, "after wrap", 6, 2);		/* 0..32 */
	g->next = put_rec(g, idx, 3000, "newest", 6, 3);	/* 32..60 */
	// Stale bytes between next and first are not records.
	memset(g->mem + P_BUF + g->next, 0xee, 72 - g->next);
	struct seen s = { 0 };
	iterate(g, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text[0], "oldest");
	assert_string_equal(s.text[1], "after wrap");
	assert_string_equal(s.text[2], "newest");
	assert_int_equal(s.caller[2], 3);
	assert_string_equal(s.out,
		"[    0.000001] oldest\n"
		"[    0.000002] after wrap\n"
		"[    0.000003] newest\n");
	log_free(g);
}

static void test_empty_log(void **state)
{
	(void)state;
	struct log *g = log_new(&L54, 128);
	g->first = g->next = 40;
	struct seen s = { 0 };
	iterate(g, &s);
	assert_int_equal(s.n, 0);
	log_free(g);
}

// &kd_stop from the callback ends the walk early without an error.
static void test_kd_stop(void **state)
{
	(void)state;
	struct log *g = log_new(&L54, 256);
	uint32_t idx = 0;
	idx = put_rec(g, idx, 0, "one", 5, 1);
	idx = put_rec(g, idx, 1, "two", 5, 1);
	idx = put_rec(g, idx, 2, "three", 5, 1);
	g->next = idx;
	struct seen s = { .stop_after = 2 };
	iterate(g, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[1], "two");
	log_free(g);
}

// text_len beyond the record is clamped to the record.
static void test_text_len_clamped(void **state)
{
	(void)state;
	struct log *g = log_new(&L54, 128);
	g->next = put_rec(g, 0, 0, "12345678", 6, 1);	/* len 28 */
	synth_put16(g->mem + P_BUF + L54.text_len, 1000);
	struct seen s = { 0 };
	iterate(g, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.text_len[0], 8);
	assert_string_equal(s.text[0], "12345678");
	log_free(g);
}

static void test_missing_keys(void **state)
{
	(void)state;
	static const char *const keys[] = {
		"SIZE(printk_log)", "OFFSET(printk_log.len)",
		"OFFSET(printk_log.text_len)", "OFFSET(printk_log.ts_nsec)",
		"SYMBOL(log_next_idx)", "SYMBOL(log_buf_len)",
	};
	struct log *g = log_new(&L54, 128);
	g->next = put_rec(g, 0, 0, "x", 6, 1);
	for (size_t i = 0; i < KD_ARRAY_SIZE(keys); i++)
		expect_error(g, keys[i], KD_ERROR_NOTFOUND, keys[i]);
	log_free(g);
}

static void test_bad_sizes(void **state)
{
	(void)state;
	struct log *g = log_new(&L54, 128);
	g->next = put_rec(g, 0, 0, "x", 6, 1);
	g->buf_len = 1u << 30;
	expect_error(g, NULL, KD_ERROR_CORRUPT, "log_buf_len 1073741824");
	g->buf_len = 4;
	expect_error(g, NULL, KD_ERROR_CORRUPT, "log_buf_len 4");
	g->buf_len = 128;
	g->first = 128;
	expect_error(g, NULL, KD_ERROR_CORRUPT, "log_first_idx 128");
	g->first = 0;
	g->hdr_size = 100000;
	expect_error(g, NULL, KD_ERROR_CORRUPT, "SIZE(printk_log)=100000");
	log_free(g);
}

static void test_bad_records(void **state)
{
	(void)state;
	struct log *g = log_new(&L54, 128);
	uint32_t idx = put_rec(g, 0, 0, "one", 6, 1);	/* 0..24 */
	g->next = put_rec(g, idx, 0, "two", 6, 1);	/* 24..48 */
	// A length shorter than the header.
	synth_put16(g->mem + P_BUF + L54.len, 4);
	expect_error(g, NULL, KD_ERROR_CORRUPT, "bad length");
	// A record running past log_next_idx.
	synth_put16(g->mem + P_BUF + L54.len, 60);
	expect_error(g, NULL, KD_ERROR_CORRUPT, "bad length");
	// A wrap marker where the log does not wrap (first < next).
	synth_put16(g->mem + P_BUF + L54.len, 0);
	expect_error(g, NULL, KD_ERROR_CORRUPT, "unexpected wrap marker");
	// next not on a record boundary: the walk steps over it, after
	// delivering the one good record.
	synth_put16(g->mem + P_BUF + L54.len, 24);
	g->next = 30;
	expect_error_after(g, NULL, KD_ERROR_CORRUPT, "log_buf+24", 1);
	// next < first and no marker: records run to the end of log_buf.
	g->first = 24;
	g->next = 0;
	for (uint32_t i = 48; i + 24 <= 128; i += 24)
		put_rec(g, i, 0, "xxx", 6, 1);
	expect_error_after(g, NULL, KD_ERROR_CORRUPT, "runs past the end", 4);
	log_free(g);
}

// A second wrap marker after wrapping once would loop forever.
static void test_second_wrap_marker(void **state)
{
	(void)state;
	struct log *g = log_new(&L54, 128);
	g->first = 72;
	g->next = 40;
	put_wrap(g, 72);
	put_wrap(g, 0);
	expect_error(g, NULL, KD_ERROR_CORRUPT, "unexpected wrap marker");
	log_free(g);
}

static void test_log_buf_outside_dump(void **state)
{
	(void)state;
	struct log *g = log_new(&L54, 128);
	g->next = put_rec(g, 0, 0, "x", 6, 1);
	g->buf_ptr = SYNTH_KVA(0x1000000);
	struct seen s = { 0 };
	struct synth_fixture f = open_log(g, NULL);
	struct kd_error *err = kd_printk_iterate(f.kernel, collect, &s);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
	assert_non_null(strstr(kd_error_message(err), f.path));
	kd_error_destroy(err);
	synth_fixture_close(&f);
	g->buf_ptr = 0xdead000000000000ULL;
	f = open_log(g, NULL);
	err = kd_printk_iterate(f.kernel, collect, &s);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_FAULT);
	kd_error_destroy(err);
	synth_fixture_close(&f);
	assert_int_equal(s.n, 0);
	log_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_54),
		cmocka_unit_test(test_other_layout),
		cmocka_unit_test(test_wrap_marker),
		cmocka_unit_test(test_empty_log),
		cmocka_unit_test(test_kd_stop),
		cmocka_unit_test(test_text_len_clamped),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_second_wrap_marker),
		cmocka_unit_test(test_log_buf_outside_dump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

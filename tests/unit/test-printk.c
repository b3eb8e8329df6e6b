// SPDX-License-Identifier: LGPL-2.1-or-later
// The lockless printk ring buffer (kernel/printk/printk_ringbuffer.c) on
// synthetic dumps: records written as the kernel's prb_reserve() and
// data_alloc() lay them out, with the 6.1 struct layout and with a
// shuffled one (every offset different) to prove that nothing is
// hard-coded; wrap-around of ids and of the data ring; skipped
// descriptors; makedumpfile-compatible formatting; malformed rings; the
// panic line (printk-panic.c).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/printk.h"
#include "synth.h"

#define MEM_SIZE 0x80000u
#define P_PRB_VAR 0x1000u	/* struct printk_ringbuffer *prb */
#define P_RB 0x2000u		/* printk_rb_static */
#define P_DESCS 0x10000u
#define P_INFOS 0x20000u
#define P_DATA 0x40000u

#define ID_MASK ((UINT64_C(1) << 62) - 1)
#define SV(id, state) ((uint64_t)(state) << 62 | ((id) & ID_MASK))
enum { RESERVED, COMMITTED, FINALIZED, REUSABLE };

// Struct layouts as VMCOREINFO gives them.
struct layout {
	unsigned rb_desc_ring, rb_text_ring;
	unsigned dr_count_bits, dr_descs, dr_infos, dr_head, dr_tail;
	unsigned dt_size_bits, dt_data;
	unsigned desc_size, desc_sv, desc_lpos, lpos_begin, lpos_next;
	unsigned info_size, info_seq, info_ts, info_text_len, info_caller_id;
	bool has_caller_id;
};

// Linux 6.1 x86_64 (kernel-facts §1a).
static const struct layout L61 = {
	.rb_desc_ring = 0, .rb_text_ring = 48,
	.dr_count_bits = 0, .dr_descs = 8, .dr_infos = 16, .dr_head = 24, .dr_tail = 32,
	.dt_size_bits = 0, .dt_data = 8,
	.desc_size = 24, .desc_sv = 0, .desc_lpos = 8, .lpos_begin = 0, .lpos_next = 8,
	.info_size = 88, .info_seq = 0, .info_ts = 8, .info_text_len = 16,
	.info_caller_id = 20, .has_caller_id = true,
};

// Every offset moved: a reader with any 6.1 value built in fails here.
static const struct layout LALT = {
	.rb_desc_ring = 40, .rb_text_ring = 0,
	.dr_count_bits = 44, .dr_descs = 0, .dr_infos = 8, .dr_head = 16, .dr_tail = 32,
	.dt_size_bits = 28, .dt_data = 16,
	.desc_size = 40, .desc_sv = 32, .desc_lpos = 8, .lpos_begin = 8, .lpos_next = 0,
	.info_size = 64, .info_seq = 32, .info_ts = 40, .info_text_len = 20,
	.info_caller_id = 24, .has_caller_id = true,
};

struct ring {
	const struct layout *l;
	uint8_t *mem;
	unsigned count_bits, size_bits;
	uint64_t head, tail;
	uint64_t prb_target;	/* what the prb variable points at */
	uint64_t descs, infos, data;	/* pointers stored in the ring */
};

static struct ring *ring_new(const struct layout *l, unsigned count_bits,
			     unsigned size_bits)
{
	struct ring *r = calloc(1, sizeof(*r));
	r->mem = calloc(1, MEM_SIZE);
	r->l = l;
	r->count_bits = count_bits;
	r->size_bits = size_bits;
	r->prb_target = SYNTH_KVA(P_RB);
	r->descs = SYNTH_KVA(P_DESCS);
	r->infos = SYNTH_KVA(P_INFOS);
	r->data = SYNTH_KVA(P_DATA);
	return r;
}

static void ring_free(struct ring *r)
{
	free(r->mem);
	free(r);
}

static uint8_t *desc_at(struct ring *r, uint64_t id)
{
	uint64_t idx = id & ((UINT64_C(1) << r->count_bits) - 1);
	return r->mem + P_DESCS + idx * r->l->desc_size;
}

static uint8_t *info_at(struct ring *r, uint64_t id)
{
	uint64_t idx = id & ((UINT64_C(1) << r->count_bits) - 1);
	return r->mem + P_INFOS + idx * r->l->info_size;
}

static void set_desc(struct ring *r, uint64_t id, uint64_t sv, uint64_t begin,
		     uint64_t next)
{
	uint8_t *d = desc_at(r, id);
	synth_put64(d + r->l->desc_sv, sv);
	synth_put64(d + r->l->desc_lpos + r->l->lpos_begin, begin);
	synth_put64(d + r->l->desc_lpos + r->l->lpos_next, next);
}

static void set_info(struct ring *r, uint64_t id, uint64_t seq, uint64_t ts,
		     uint16_t text_len)
{
	uint8_t *i = info_at(r, id);
	synth_put64(i + r->l->info_seq, seq);
	synth_put64(i + r->l->info_ts, ts);
	synth_put16(i + r->l->info_text_len, text_len);
}

// facility and "u8 flags:5, level:3" (little-endian: level in bits 5..7).
static void set_extra(struct ring *r, uint64_t id, uint8_t facility,
		      uint8_t level, uint32_t caller)
{
	uint8_t *i = info_at(r, id);
	i[r->l->info_text_len + 2] = facility;
	i[r->l->info_text_len + 3] = (uint8_t)(level << 5 | 0x3);
	synth_put32(i + r->l->info_caller_id, caller);
}

// A record as data_alloc() places it: a block of the descriptor id and the
// text, 8-byte aligned; a block that does not fit before the end of the
// ring goes to its start with next in the following wrap. Returns next.
static uint64_t add_state(struct ring *r, uint64_t id, uint64_t lpos,
			  int state, uint64_t seq, uint64_t ts,
			  const char *text, size_t len)
{
	uint64_t size = (8 + len + 7) & ~UINT64_C(7);
	uint64_t ring = UINT64_C(1) << r->size_bits;
	uint64_t next = lpos + size, off = lpos & (ring - 1);
	if ((lpos >> r->size_bits) != (next >> r->size_bits)) {
		next = (next & ~(ring - 1)) + size;
		off = 0;
	}
	uint8_t *blk = r->mem + P_DATA + off;
	synth_put64(blk, id);
	memcpy(blk + 8, text, len);
	set_desc(r, id, SV(id, state), lpos, next);
	set_info(r, id, seq, ts, (uint16_t)len);
	return next;
}

static uint64_t add(struct ring *r, uint64_t id, uint64_t lpos, uint64_t seq,
		    uint64_t ts, const char *text)
{
	return add_state(r, id, lpos, FINALIZED, seq, ts, text, strlen(text));
}

static void put_key(FILE *f, const char *omit, const char *key, unsigned long long v)
{
	if (!omit || strcmp(omit, key))
		fprintf(f, "%s=%llu\n", key, v);
}

// VMCOREINFO as log_buf_vmcoreinfo_setup() writes it, less key @p omit.
static char *vmcoreinfo(const struct ring *r, const char *omit)
{
	const struct layout *l = r->l;
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	fprintf(f, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nNUMBER(phys_base)=0\n");
	if (!omit || strcmp(omit, "SYMBOL(prb)"))
		fprintf(f, "SYMBOL(prb)=%llx\n", (unsigned long long)SYNTH_KVA(P_PRB_VAR));
	put_key(f, omit, "SIZE(printk_ringbuffer)", 128);
	put_key(f, omit, "OFFSET(printk_ringbuffer.desc_ring)", l->rb_desc_ring);
	put_key(f, omit, "OFFSET(printk_ringbuffer.text_data_ring)", l->rb_text_ring);
	put_key(f, omit, "OFFSET(prb_desc_ring.count_bits)", l->dr_count_bits);
	put_key(f, omit, "OFFSET(prb_desc_ring.descs)", l->dr_descs);
	put_key(f, omit, "OFFSET(prb_desc_ring.infos)", l->dr_infos);
	put_key(f, omit, "OFFSET(prb_desc_ring.head_id)", l->dr_head);
	put_key(f, omit, "OFFSET(prb_desc_ring.tail_id)", l->dr_tail);
	put_key(f, omit, "SIZE(prb_desc)", l->desc_size);
	put_key(f, omit, "OFFSET(prb_desc.state_var)", l->desc_sv);
	put_key(f, omit, "OFFSET(prb_desc.text_blk_lpos)", l->desc_lpos);
	put_key(f, omit, "SIZE(prb_data_blk_lpos)", 16);
	put_key(f, omit, "OFFSET(prb_data_blk_lpos.begin)", l->lpos_begin);
	put_key(f, omit, "OFFSET(prb_data_blk_lpos.next)", l->lpos_next);
	put_key(f, omit, "SIZE(printk_info)", l->info_size);
	put_key(f, omit, "OFFSET(printk_info.seq)", l->info_seq);
	put_key(f, omit, "OFFSET(printk_info.ts_nsec)", l->info_ts);
	put_key(f, omit, "OFFSET(printk_info.text_len)", l->info_text_len);
	if (l->has_caller_id)
		put_key(f, omit, "OFFSET(printk_info.caller_id)", l->info_caller_id);
	put_key(f, omit, "OFFSET(prb_data_ring.size_bits)", l->dt_size_bits);
	put_key(f, omit, "OFFSET(prb_data_ring.data)", l->dt_data);
	put_key(f, omit, "SIZE(atomic_long_t)", 8);
	put_key(f, omit, "OFFSET(atomic_long_t.counter)", 0);
	fclose(f);
	return text;
}

// Store the ring's header fields and write the dump.
static struct synth_fixture open_ring(struct ring *r, const char *omit)
{
	const struct layout *l = r->l;
	uint8_t *rb = r->mem + P_RB;
	synth_put64(r->mem + P_PRB_VAR, r->prb_target);
	synth_put32(rb + l->rb_desc_ring + l->dr_count_bits, r->count_bits);
	synth_put64(rb + l->rb_desc_ring + l->dr_descs, r->descs);
	synth_put64(rb + l->rb_desc_ring + l->dr_infos, r->infos);
	synth_put64(rb + l->rb_desc_ring + l->dr_head, r->head);
	synth_put64(rb + l->rb_desc_ring + l->dr_tail, r->tail);
	synth_put32(rb + l->rb_text_ring + l->dt_size_bits, r->size_bits);
	synth_put64(rb + l->rb_text_ring + l->dt_data, r->data);
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	char *vi = vmcoreinfo(r, omit);
	synth_vmcoreinfo(s, "%s", vi);
	free(vi);
	synth_load(s, 0, SYNTH_KVA(0), r->mem, MEM_SIZE);
	struct synth_fixture f = synth_open(s);
	synth_free(s);
	return f;
}

// What the callback saw, and the records formatted one after another.
struct seen {
	size_t n;
	uint64_t seq[32], ts[32];
	uint8_t level[32], facility[32];
	uint32_t caller[32];
	bool has_caller[32];
	char text[32][256];
	size_t text_len[32];
	char out[8192];
	size_t out_len;
	bool caller_id;
	size_t stop_at;		/* fail on this record (1-based); 0 = never */
	bool stop_quietly;	/* ... with &kd_stop rather than an error */
};

static struct kd_error *collect(const struct kd_printk_record *rec, void *arg)
{
	struct seen *s = arg;
	assert_true(s->n < 32);
	if (s->stop_at && s->n + 1 == s->stop_at && s->stop_quietly)
		return &kd_stop;
	if (s->stop_at && s->n + 1 == s->stop_at)
		return kd_error_create(KD_ERROR_INVALID, "stop at %zu", s->n);
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
	assert_int_equal(strlen(line), len);
	assert_true(s->out_len + len < sizeof(s->out));
	memcpy(s->out + s->out_len, line, len + 1);
	s->out_len += len;
	free(line);
	return NULL;
}

static void iterate(struct ring *r, struct seen *s)
{
	struct synth_fixture f = open_ring(r, NULL);
	struct kd_error *err = kd_printk_iterate(f.kernel, collect, s);
	if (err)
		fail_msg("%s", kd_error_message(err));
	synth_fixture_close(&f);
}

// The error of iterating over @p r with VMCOREINFO less @p omit.
static struct kd_error *iterate_err(struct ring *r, const char *omit,
				    char **path_ret)
{
	struct seen s = { 0 };
	struct synth_fixture f = open_ring(r, omit);
	struct kd_error *err = kd_printk_iterate(f.kernel, collect, &s);
	assert_non_null(err);
	assert_int_equal(s.n, 0);
	*path_ret = strdup(f.path);
	synth_fixture_close(&f);
	return err;
}

// Three records at the start of a fresh ring, in either layout.
static void basic(const struct layout *l)
{
	struct ring *r = ring_new(l, 4, 8);
	uint64_t lpos = 0;
	lpos = add(r, 0, lpos, 0, 0, "Linux version 6.1.0-test");
	lpos = add(r, 1, lpos, 1, 1234567890, "first line\nsecond line");
	set_extra(r, 1, 3, 6, 0);
	lpos = add(r, 2, lpos, 2, 123456789012345ULL, "tab\there");
	set_extra(r, 2, 0, 4, 0);
	r->tail = 0;
	r->head = 2;
	struct seen s = { 0 };
	iterate(r, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text[0], "Linux version 6.1.0-test");
	assert_string_equal(s.text[1], "first line\nsecond line");
	assert_string_equal(s.text[2], "tab\there");
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(s.seq[i], i);
	assert_int_equal(s.ts[1], 1234567890);
	assert_int_equal(s.level[1], 6);
	assert_int_equal(s.facility[1], 3);
	assert_int_equal(s.level[2], 4);
	assert_true(s.has_caller[0]);
	assert_string_equal(s.out,
		"[    0.000000] Linux version 6.1.0-test\n"
		"[    1.234567] first line\n"
		"               second line\n"
		"[123456.789012] tab\there\n");
	ring_free(r);
}

static void test_basic_61(void **state)
{
	(void)state;
	basic(&L61);
}

static void test_basic_other_layout(void **state)
{
	(void)state;
	basic(&LALT);
}

// Ids wrapping at the 62-bit id mask and descriptor array indices wrapping
// at count; one data block wrapped to the start of the data ring.
static void test_wraparound(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 2, 7);	/* 4 descriptors, 128 bytes */
	uint64_t id0 = ID_MASK - 1;
	// Lpos in the 1000th wrap of the data ring, half-way through it.
	uint64_t lpos = (UINT64_C(1000) << 7) + 64;
	lpos = add(r, id0, lpos, 100, 5000, "aaaa");		/* 64..80 */
	lpos = add(r, id0 + 1, lpos, 101, 6000, "bbbbbbbbbbbb");	/* 80..104 */
	// 8 + 12 bytes would end exactly at the end of the ring, which is
	// the next wrap: the kernel puts the block at data[0].
	uint64_t before = lpos;
	lpos = add(r, 0, lpos, 102, 7000, "wrapped text");
	assert_int_equal(lpos, (UINT64_C(1001) << 7) + 24);
	assert_int_not_equal(before >> 7, lpos >> 7);
	lpos = add(r, 1, lpos, 103, 8000, "last");
	r->tail = id0;
	r->head = 1;
	struct seen s = { 0 };
	iterate(r, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.text[0], "aaaa");
	assert_string_equal(s.text[1], "bbbbbbbbbbbb");
	assert_string_equal(s.text[2], "wrapped text");
	assert_string_equal(s.text[3], "last");
	assert_int_equal(s.seq[0], 100);
	assert_int_equal(s.seq[3], 103);
	assert_string_equal(s.out,
		"[    0.000005] aaaa\n"
		"[    0.000006] bbbbbbbbbbbb\n"
		"[    0.000007] wrapped text\n"
		"[    0.000008] last\n");
	ring_free(r);
}

// Reserved, reusable and mismatched-id descriptors, and data-less records
// (FAILED_LPOS, NO_LPOS), are skipped; committed ones are kept.
static void test_skipped_descriptors(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 4, 8);
	uint64_t lpos = 0;
	lpos = add(r, 0, lpos, 0, 1000, "kept finalized");
	lpos = add_state(r, 1, lpos, RESERVED, 1, 2000, "being written", 13);
	lpos = add_state(r, 2, lpos, REUSABLE, 2, 3000, "recycled", 8);
	lpos = add_state(r, 3, lpos, COMMITTED, 3, 4000, "kept committed", 14);
	lpos = add(r, 4, lpos, 4, 5000, "stale id");
	// The descriptor still holds the id of the previous lap.
	set_desc(r, 4, SV(4 - 16, FINALIZED), lpos - 16, lpos);
	set_desc(r, 5, SV(5, FINALIZED), 1, 1);	/* FAILED_LPOS */
	set_info(r, 5, 5, 6000, 0);
	set_desc(r, 6, SV(6, FINALIZED), 3, 3);	/* NO_LPOS: empty record */
	set_info(r, 6, 6, 7000, 0);
	lpos = add(r, 7, lpos, 7, 8000, "kept last");
	r->tail = 0;
	r->head = 7;
	struct seen s = { 0 };
	iterate(r, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text[0], "kept finalized");
	assert_string_equal(s.text[1], "kept committed");
	assert_string_equal(s.text[2], "kept last");
	assert_int_equal(s.seq[1], 3);
	assert_int_equal(s.seq[2], 7);
	ring_free(r);
}

// text_len larger than the data block (a truncated record) is clamped to
// the block: 8 bytes of id + 16 of text.
static void test_truncated_text(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 4, 8);
	uint64_t lpos = add(r, 0, 0, 0, 0, "0123456789abcdef");
	add(r, 1, lpos, 1, 0, "next");
	set_info(r, 0, 0, 0, 200);
	r->head = 1;
	struct seen s = { 0 };
	iterate(r, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.text_len[0], 16);
	assert_string_equal(s.text[0], "0123456789abcdef");
	assert_string_equal(s.text[1], "next");
	ring_free(r);
}

// Non-printable bytes escaped as \xNN (unsigned), white space kept,
// continuation lines indented to the text column.
static void test_escaping(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 4, 8);
	static const char text[] = "a\x01" "b\x7f" "c\xff" "d\r\v\f e\nf\n";
	add_state(r, 0, 0, FINALIZED, 0, 42000000001ULL, text, sizeof(text) - 1);
	struct seen s = { 0 };
	iterate(r, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.text_len[0], sizeof(text) - 1);
	assert_string_equal(s.out,
		"[   42.000000] a\\x01b\\x7fc\\xffd\r\v\f e\n"
		"               f\n"
		"               \n");
	ring_free(r);
}

static void test_caller_id(void **state)
{
	(void)state;
	struct ring *r = ring_new(&LALT, 4, 8);
	uint64_t lpos = add(r, 0, 0, 0, 1000, "from a task\nmore");
	set_extra(r, 0, 0, 5, 123);
	add(r, 1, lpos, 1, 2000, "from a cpu");
	set_extra(r, 1, 0, 5, 0x80000001u);
	r->head = 1;
	struct seen s = { .caller_id = true };
	iterate(r, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.caller[0], 123);
	assert_int_equal(s.caller[1], 0x80000001u);
	assert_string_equal(s.out,
		"[    0.000001] [  T123] from a task\n"
		"                        more\n"
		"[    0.000002] [    C1] from a cpu\n");
	struct seen plain = { 0 };
	iterate(r, &plain);
	assert_string_equal(plain.out,
		"[    0.000001] from a task\n"
		"               more\n"
		"[    0.000002] from a cpu\n");
	ring_free(r);
}

// Without OFFSET(printk_info.caller_id) records have no caller id, and
// --caller-id adds nothing.
static void test_no_caller_id_offset(void **state)
{
	(void)state;
	struct layout l = L61;
	l.has_caller_id = false;
	struct ring *r = ring_new(&l, 4, 8);
	add(r, 0, 0, 0, 0, "plain");
	struct seen s = { .caller_id = true };
	iterate(r, &s);
	assert_int_equal(s.n, 1);
	assert_false(s.has_caller[0]);
	assert_string_equal(s.out, "[    0.000000] plain\n");
	ring_free(r);
}

static void test_callback_error_stops(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 4, 8);
	uint64_t lpos = add(r, 0, 0, 0, 0, "one");
	lpos = add(r, 1, lpos, 1, 0, "two");
	add(r, 2, lpos, 2, 0, "three");
	r->head = 2;
	struct seen s = { .stop_at = 2 };
	struct synth_fixture f = open_ring(r, NULL);
	struct kd_error *err = kd_printk_iterate(f.kernel, collect, &s);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	assert_string_equal(kd_error_message(err), "stop at 1");
	assert_int_equal(s.n, 1);
	kd_error_destroy(err);
	synth_fixture_close(&f);
	ring_free(r);
}

// &kd_stop ends the walk early, and the walk returns success.
static void test_callback_kd_stop(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 4, 8);
	uint64_t lpos = add(r, 0, 0, 0, 0, "one");
	lpos = add(r, 1, lpos, 1, 0, "two");
	add(r, 2, lpos, 2, 0, "three");
	r->head = 2;
	struct seen s = { .stop_at = 2, .stop_quietly = true };
	struct synth_fixture f = open_ring(r, NULL);
	assert_null(kd_printk_iterate(f.kernel, collect, &s));
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "one");
	synth_fixture_close(&f);
	ring_free(r);
}

// A missing VMCOREINFO key is a NOTFOUND error naming it and the dump.
static void test_missing_keys(void **state)
{
	(void)state;
	static const char *const keys[] = {
		"OFFSET(prb_desc_ring.tail_id)",
		"OFFSET(printk_ringbuffer.text_data_ring)",
		"SIZE(printk_info)",
		"OFFSET(prb_data_blk_lpos.next)",
		"OFFSET(prb_data_ring.data)",
		"OFFSET(printk_info.text_len)",
	};
	struct ring *r = ring_new(&L61, 4, 8);
	add(r, 0, 0, 0, 0, "x");
	for (size_t i = 0; i < KD_ARRAY_SIZE(keys); i++) {
		char *path;
		struct kd_error *err = iterate_err(r, keys[i], &path);
		assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
		const char *msg = kd_error_message(err);
		assert_non_null(strstr(msg, keys[i]));
		assert_non_null(strstr(msg, path));
		kd_error_destroy(err);
		free(path);
	}
	ring_free(r);
}

static void test_no_kernel_log(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 4, 8);
	char *path;
	struct kd_error *err = iterate_err(r, "SYMBOL(prb)", &path);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_non_null(strstr(kd_error_message(err), "describes no kernel log"));
	assert_non_null(strstr(kd_error_message(err), path));
	kd_error_destroy(err);
	free(path);
	ring_free(r);
}

static void expect_corrupt(struct ring *r, const char *what)
{
	char *path;
	struct kd_error *err = iterate_err(r, NULL, &path);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), what));
	assert_non_null(strstr(kd_error_message(err), path));
	kd_error_destroy(err);
	free(path);
}

static void test_absurd_sizes(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 4, 8);
	add(r, 0, 0, 0, 0, "x");
	r->count_bits = 60;
	expect_corrupt(r, "count_bits 60");
	r->count_bits = 0xffffffffu;
	expect_corrupt(r, "count_bits 4294967295");
	r->count_bits = 4;
	r->size_bits = 40;
	expect_corrupt(r, "size_bits 40");
	r->size_bits = 0;
	expect_corrupt(r, "size_bits 0");
	r->size_bits = 8;
	// 17 live ids cannot fit in 16 descriptors.
	r->tail = 0;
	r->head = 16;
	expect_corrupt(r, "span more than");
	ring_free(r);
}

static void expect_unreadable(struct ring *r)
{
	char *path;
	struct kd_error *err = iterate_err(r, NULL, &path);
	enum kd_error_code code = kd_error_code(err);
	assert_true(code == KD_ERROR_FAULT || code == KD_ERROR_NODATA);
	assert_non_null(strstr(kd_error_message(err), path));
	kd_error_destroy(err);
	free(path);
}

// Pointers outside the dump are read errors, never crashes.
static void test_pointers_outside_dump(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 4, 8);
	add(r, 0, 0, 0, 0, "x");
	r->prb_target = SYNTH_KVA(0x10000000);	/* text map, no memory */
	expect_unreadable(r);
	r->prb_target = 0xdead000000000000ULL;	/* no translation */
	expect_unreadable(r);
	r->prb_target = SYNTH_KVA(P_RB);
	r->descs = SYNTH_KVA(MEM_SIZE - 8);	/* runs off the end */
	expect_unreadable(r);
	r->descs = SYNTH_KVA(P_DESCS);
	r->data = UINT64_MAX - 16;
	expect_unreadable(r);
	ring_free(r);
}

// kd_printk_format() alone: empty text, the largest time stamp, NUL.
static void test_format_edges(void **state)
{
	(void)state;
	struct kd_printk_record rec = { .ts_nsec = UINT64_MAX, .text = "",
					.text_len = 0 };
	char *out;
	size_t len;
	assert_null(kd_printk_format(&rec, false, &out, &len));
	assert_string_equal(out, "[18446744073.709551] \n");
	assert_int_equal(len, 22);
	free(out);
	rec.ts_nsec = 999999999;
	rec.text = "a\0b";
	rec.text_len = 3;
	rec.caller_id = 0xffffffffu;
	rec.has_caller_id = true;
	assert_null(kd_printk_format(&rec, true, &out, &len));
	assert_string_equal(out, "[    0.999999] [C2147483647] a\\x00b\n");
	assert_int_equal(len, strlen(out));
	free(out);
}

// The panic line (lib/kernel/printk-panic.c): the first "Kernel panic -
// not syncing" record wins over a sysrq line before it, a nested panic
// after it and panic()'s closing "---[ end Kernel panic ..." line.
static void test_find_panic(void **state)
{
	(void)state;
	struct ring *r = ring_new(&L61, 4, 10);
	uint64_t lpos = add(r, 0, 0, 0, 0, "Linux version 6.1.0-test");
	lpos = add(r, 1, lpos, 1, 0, "sysrq: Trigger a crash");
	lpos = add(r, 2, lpos, 2, 0, "Kernel panic - not syncing: sysrq triggered crash\nsecond");
	lpos = add(r, 3, lpos, 3, 0, "Kernel panic - not syncing: nested");
	add(r, 4, lpos, 4, 0, "---[ end Kernel panic - not syncing: sysrq triggered crash ]---");
	r->head = 4;
	struct synth_fixture f = open_ring(r, NULL);
	char line[64];
	assert_null(kd_printk_find_panic(f.kernel, line, sizeof(line)));
	assert_string_equal(line, "Kernel panic - not syncing: sysrq triggered crash");
	// Cut to the buffer, NUL included.
	char small[13];
	assert_null(kd_printk_find_panic(f.kernel, small, sizeof(small)));
	assert_string_equal(small, "Kernel panic");
	synth_fixture_close(&f);
	ring_free(r);

	// No panic line: the first sysrq line, control bytes as '?'.
	r = ring_new(&L61, 4, 10);
	lpos = add(r, 0, 0, 0, 0, "BUG: kernel NULL pointer dereference");
	lpos = add(r, 1, lpos, 1, 0, "SysRq : Trigger a crash\t(old)");
	add(r, 2, lpos, 2, 0, "sysrq: Trigger a crash");
	r->head = 2;
	f = open_ring(r, NULL);
	assert_null(kd_printk_find_panic(f.kernel, line, sizeof(line)));
	assert_string_equal(line, "SysRq : Trigger a crash?(old)");
	synth_fixture_close(&f);
	ring_free(r);

	// Neither: NOTFOUND, and the end marker alone is no panic line.
	r = ring_new(&L61, 4, 10);
	lpos = add(r, 0, 0, 0, 0, "Linux version 6.1.0-test");
	add(r, 1, lpos, 1, 0, "---[ end Kernel panic - not syncing: x ]---");
	r->head = 1;
	f = open_ring(r, NULL);
	struct kd_error *err = kd_printk_find_panic(f.kernel, line, sizeof(line));
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_string_equal(line, "");
	kd_error_destroy(err);
	synth_fixture_close(&f);
	ring_free(r);
}

// The matcher record by record: it says when the search is over.
static void test_panic_match(void **state)
{
	(void)state;
	char buf[32];
	struct kd_printk_panic p = { .buf = buf, .len = sizeof(buf) };
	struct kd_printk_record rec = { .text = "Kernel panic - not syncin", .text_len = 25 };
	assert_false(kd_printk_panic_match(&p, &rec));	// one byte short
	assert_int_equal(p.found, KD_PRINTK_PANIC_NONE);
	rec.text = "sysrq: Trigger a crash";
	rec.text_len = strlen(rec.text);
	assert_false(kd_printk_panic_match(&p, &rec));
	assert_int_equal(p.found, KD_PRINTK_PANIC_SYSRQ);
	assert_string_equal(buf, "sysrq: Trigger a crash");
	// Text not NUL-terminated: only text_len bytes count.
	rec.text = "Kernel panic - not syncing: A\nB-and-more";
	rec.text_len = 31;
	assert_true(kd_printk_panic_match(&p, &rec));
	assert_int_equal(p.found, KD_PRINTK_PANIC_LINE);
	assert_string_equal(buf, "Kernel panic - not syncing: A");
	rec.text = "Kernel panic - not syncing: later";
	rec.text_len = strlen(rec.text);
	assert_true(kd_printk_panic_match(&p, &rec));
	assert_string_equal(buf, "Kernel panic - not syncing: A");
	// An oops header stands for the reason until a panic line: the
	// first one (a later "[#2]" is an oops in the oops path).
	struct kd_printk_panic q = { .buf = buf, .len = sizeof(buf) };
	static const char *const not_oops[] = { "Oops: 02 [#1]", "Oops: 0002 [#]", "Oops: 0002 [#1",
		"x: 00g2 [#1]", "a\nOops: 0002 [#1]" };
	for (size_t i = 0; i < sizeof(not_oops) / sizeof(*not_oops); i++) {
		rec.text = not_oops[i];
		rec.text_len = strlen(rec.text);
		assert_false(kd_printk_panic_match(&q, &rec));
		assert_int_equal(q.found, KD_PRINTK_PANIC_NONE);
	}
	rec.text = "Oops: 0002 [#1] SMP NOPTI";
	rec.text_len = strlen(rec.text);
	assert_false(kd_printk_panic_match(&q, &rec));
	assert_int_equal(q.found, KD_PRINTK_PANIC_OOPS);
	assert_string_equal(buf, "Oops: 0002 [#1] SMP NOPTI");
	rec.text = "invalid opcode: 0000 [#2] SMP";
	rec.text_len = strlen(rec.text);
	assert_false(kd_printk_panic_match(&q, &rec));
	assert_string_equal(buf, "Oops: 0002 [#1] SMP NOPTI");
	rec.text = "Kernel panic - not syncing: B";
	rec.text_len = strlen(rec.text);
	assert_true(kd_printk_panic_match(&q, &rec));
	assert_int_equal(q.found, KD_PRINTK_PANIC_LINE);
	assert_string_equal(buf, "Kernel panic - not syncing: B");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_61),
		cmocka_unit_test(test_find_panic),
		cmocka_unit_test(test_panic_match),
		cmocka_unit_test(test_basic_other_layout),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_skipped_descriptors),
		cmocka_unit_test(test_truncated_text),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_caller_id),
		cmocka_unit_test(test_no_caller_id_offset),
		cmocka_unit_test(test_callback_error_stops),
		cmocka_unit_test(test_callback_kd_stop),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_no_kernel_log),
		cmocka_unit_test(test_absurd_sizes),
		cmocka_unit_test(test_pointers_outside_dump),
		cmocka_unit_test(test_format_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

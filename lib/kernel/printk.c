// SPDX-License-Identifier: LGPL-2.1-or-later
// The kernel log in the lockless printk ring buffer of Linux 5.10+
// (kernel/printk/printk_ringbuffer.{c,h}), read as makedumpfile's
// dump_lockless_dmesg() and kexec-tools' vmcore-dmesg do: walk the
// descriptor ids from tail_id to head_id and print every committed or
// finalized record that has text. All struct layouts come from VMCOREINFO
// (kernel/printk/printk.c: log_buf_vmcoreinfo_setup()).
#include "kernel/printk.h"

#include <inttypes.h>

// printk_ringbuffer.h: the descriptor state variable is an unsigned long
// holding the state in its top two bits and the id in the rest. Every
// architecture kexdump reads is 64-bit, so DESC_SV_BITS is 64.
#define DESC_SV_BITS 64
#define DESC_FLAGS_SHIFT (DESC_SV_BITS - 2)
#define DESC_ID_MASK ((UINT64_C(1) << DESC_FLAGS_SHIFT) - 1)
enum desc_state {
	DESC_RESERVED = 0,
	DESC_COMMITTED = 1,
	DESC_FINALIZED = 2,
	DESC_REUSABLE = 3,
};
// printk_ringbuffer.c: a data block starts with the unsigned long id of its
// descriptor; the text follows.
#define BLOCK_ID_SIZE 8
// LPOS_DATALESS(): FAILED_LPOS (0x1) and NO_LPOS (0x3) mark records
// without a data block; real lpos values are aligned to BLOCK_ID_SIZE.
#define LPOS_DATALESS(lpos) ((lpos) & 1)

// Bounds against a hostile dump. CONFIG_LOG_BUF_SHIFT is at most 25 (32 MiB)
// and the kernel always sets count_bits = size_bits - PRB_AVGBITS (5), so
// real rings are well inside these; log_buf_len= rings over 64 MiB are
// refused rather than allocated.
#define MAX_SIZE_BITS 26
#define MIN_SIZE_BITS 4
// printk.c: _DEFINE_PRINTKRB(printk_rb_static, CONFIG_LOG_BUF_SHIFT -
// PRB_AVGBITS, PRB_AVGBITS, ...) and setup_log_buf()'s new_descs_count =
// new_log_buf_len >> PRB_AVGBITS: one descriptor per 32 bytes of text, so
// at most 2^21 descriptors in a 64 MiB ring. Each costs a descriptor and a
// printk_info read from the dump.
#define PRB_AVGBITS 5
#define MAX_COUNT_BITS (MAX_SIZE_BITS - PRB_AVGBITS)
#define MAX_STRUCT_SIZE 4096
// Descriptors and infos are read this many at a time, so memory does not
// grow with count_bits.
#define DESC_CHUNK 1024

// Where the fields are, all from VMCOREINFO.
struct prb_layout {
	uint64_t counter;	/* OFFSET(atomic_long_t.counter), 0 if absent */
	uint64_t desc_size, desc_sv, desc_begin, desc_next;
	uint64_t info_size, info_seq, info_ts, info_text_len, info_caller_id;
	bool has_caller_id;
	bool has_level;		/* facility/level at text_len + 2 / + 3 */
};

struct prb {
	struct kd_kernel *k;
	struct prb_layout l;
	uint32_t count_bits, size_bits;
	uint64_t descs, infos, data_addr;
	uint64_t head_id, tail_id;
	uint8_t *data;		/* the whole text data ring */
	uint8_t *desc_buf;	/* DESC_CHUNK descriptors */
	uint8_t *info_buf;	/* DESC_CHUNK printk_infos */
};

struct kd_error *kd_printk_need(struct kd_kernel *k, enum kd_vi_kind kind,
				const char *name, uint64_t *ret)
{
	struct kd_error *err = kd_vmcoreinfo_need(k->vi, kind, name,
						  "reading the kernel log", ret);
	return err ? kd_error_prefix(err, "%s", k->dump->path) : NULL;
}

// An entry that may be absent (0 then): *found_ret says whether it was there.
struct kd_error *kd_printk_opt(struct kd_kernel *k, enum kd_vi_kind kind,
			       const char *name, uint64_t *ret, bool *found_ret)
{
	struct kd_error *err = kd_vmcoreinfo_opt(k->vi, kind, name, 0, ret,
						 found_ret);
	return err ? kd_error_prefix(err, "%s", k->dump->path) : NULL;
}

// A field of @p width bytes at @p off must lie inside a struct of @p size.
static struct kd_error *printk_check_field(struct kd_kernel *k, const char *name,
					   uint64_t off, uint64_t width, uint64_t size)
{
	if (off <= size && width <= size - off)
		return NULL;
	return kd_error_create(KD_ERROR_CORRUPT,
		"%s: VMCOREINFO OFFSET(%s)=%" PRIu64 " does not fit a %" PRIu64 "-byte field in its %" PRIu64 "-byte struct",
		k->dump->path, name, off, width, size);
}

static struct kd_error *printk_check_size(struct kd_kernel *k, const char *name,
					  uint64_t size)
{
	if (size && size <= MAX_STRUCT_SIZE)
		return NULL;
	return kd_error_create(KD_ERROR_CORRUPT,
		"%s: VMCOREINFO SIZE(%s)=%" PRIu64 " is out of range (1..%d)",
		k->dump->path, name, size, MAX_STRUCT_SIZE);
}

static struct kd_error *printk_read_desc_layout(struct kd_kernel *k,
						struct prb_layout *l)
{
	uint64_t lpos, begin, next;
	struct kd_error *err;
	if ((err = kd_printk_need(k, KD_VI_SIZE, "prb_desc", &l->desc_size)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_desc.state_var", &l->desc_sv)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_desc.text_blk_lpos", &lpos)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_data_blk_lpos.begin", &begin)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_data_blk_lpos.next", &next)))
		return err;
	if (lpos > MAX_STRUCT_SIZE || begin > MAX_STRUCT_SIZE ||
	    next > MAX_STRUCT_SIZE)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO prb_desc/prb_data_blk_lpos offsets are out of range",
			k->dump->path);
	l->desc_begin = lpos + begin;
	l->desc_next = lpos + next;
	if ((err = printk_check_size(k, "prb_desc", l->desc_size)) ||
	    (err = printk_check_field(k, "prb_desc.state_var", l->desc_sv + l->counter, 8, l->desc_size)) ||
	    (err = printk_check_field(k, "prb_data_blk_lpos.begin", l->desc_begin, 8, l->desc_size)) ||
	    (err = printk_check_field(k, "prb_data_blk_lpos.next", l->desc_next, 8, l->desc_size)))
		return err;
	return NULL;
}

static struct kd_error *printk_read_info_layout(struct kd_kernel *k,
						struct prb_layout *l)
{
	struct kd_error *err;
	if ((err = kd_printk_need(k, KD_VI_SIZE, "printk_info", &l->info_size)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "printk_info.seq", &l->info_seq)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "printk_info.ts_nsec", &l->info_ts)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "printk_info.text_len", &l->info_text_len)) ||
	    (err = kd_printk_opt(k, KD_VI_OFFSET, "printk_info.caller_id",
				 &l->info_caller_id, &l->has_caller_id)))
		return err;
	if ((err = printk_check_size(k, "printk_info", l->info_size)) ||
	    (err = printk_check_field(k, "printk_info.seq", l->info_seq, 8, l->info_size)) ||
	    (err = printk_check_field(k, "printk_info.ts_nsec", l->info_ts, 8, l->info_size)) ||
	    (err = printk_check_field(k, "printk_info.text_len", l->info_text_len, 2, l->info_size)))
		return err;
	if (l->has_caller_id &&
	    (err = printk_check_field(k, "printk_info.caller_id", l->info_caller_id, 4, l->info_size)))
		return err;
	// VMCOREINFO does not export facility and level. struct printk_info
	// (printk_ringbuffer.h) has "u16 text_len; u8 facility; u8 flags:5;
	// u8 level:3;" so they are the two bytes after text_len, as long as
	// those bytes are inside the struct and before caller_id, which
	// follows them.
	l->has_level = l->info_text_len + 4 <= l->info_size &&
		       (!l->has_caller_id ||
			l->info_text_len + 4 <= l->info_caller_id);
	return NULL;
}

static struct kd_error *printk_read_layout(struct kd_kernel *k, struct prb_layout *l)
{
	struct kd_error *err = kd_printk_opt(k, KD_VI_OFFSET,
					     "atomic_long_t.counter",
					     &l->counter, NULL);
	if (err)
		return err;
	if (l->counter > 8)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO OFFSET(atomic_long_t.counter)=%" PRIu64 " is out of range",
			k->dump->path, l->counter);
	err = printk_read_desc_layout(k, l);
	return err ? err : printk_read_info_layout(k, l);
}

static struct kd_error *printk_read_ring_u32(struct prb *p, uint64_t addr,
					     const char *what, uint32_t *ret)
{
	struct kd_error *err = kd_kernel_read_u32(p->k, addr, ret);
	return err ? kd_error_prefix(err, "printk ring buffer %s", what) : NULL;
}

static struct kd_error *printk_read_ring_u64(struct prb *p, uint64_t addr,
					     const char *what, uint64_t *ret)
{
	struct kd_error *err = kd_kernel_read_u64(p->k, addr, ret);
	return err ? kd_error_prefix(err, "printk ring buffer %s", what) : NULL;
}

// struct prb_desc_ring: count_bits, descs, infos, head_id, tail_id.
static struct kd_error *printk_read_desc_ring(struct prb *p, uint64_t rb)
{
	struct kd_kernel *k = p->k;
	uint64_t ring, o_bits, o_descs, o_infos, o_head, o_tail;
	struct kd_error *err;
	if ((err = kd_printk_need(k, KD_VI_OFFSET, "printk_ringbuffer.desc_ring", &ring)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_desc_ring.count_bits", &o_bits)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_desc_ring.descs", &o_descs)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_desc_ring.infos", &o_infos)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_desc_ring.head_id", &o_head)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_desc_ring.tail_id", &o_tail)))
		return err;
	ring += rb;
	uint64_t counter = p->l.counter;
	if ((err = printk_read_ring_u32(p, ring + o_bits, "count_bits", &p->count_bits)) ||
	    (err = printk_read_ring_u64(p, ring + o_descs, "descs", &p->descs)) ||
	    (err = printk_read_ring_u64(p, ring + o_infos, "infos", &p->infos)) ||
	    (err = printk_read_ring_u64(p, ring + o_head + counter, "head_id", &p->head_id)) ||
	    (err = printk_read_ring_u64(p, ring + o_tail + counter, "tail_id", &p->tail_id)))
		return err;
	return NULL;
}

// struct prb_data_ring text_data_ring: size_bits, data.
static struct kd_error *printk_read_data_ring(struct prb *p, uint64_t rb)
{
	struct kd_kernel *k = p->k;
	uint64_t ring, o_bits, o_data;
	struct kd_error *err;
	if ((err = kd_printk_need(k, KD_VI_OFFSET, "printk_ringbuffer.text_data_ring", &ring)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_data_ring.size_bits", &o_bits)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "prb_data_ring.data", &o_data)))
		return err;
	ring += rb;
	if ((err = printk_read_ring_u32(p, ring + o_bits, "size_bits", &p->size_bits)) ||
	    (err = printk_read_ring_u64(p, ring + o_data, "data", &p->data_addr)))
		return err;
	return NULL;
}

static struct kd_error *printk_check_rings(struct prb *p)
{
	const char *path = p->k->dump->path;
	if (p->size_bits < MIN_SIZE_BITS || p->size_bits > MAX_SIZE_BITS)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: printk ring buffer text_data_ring.size_bits %" PRIu32 " is out of range (%d..%d)",
			path, p->size_bits, MIN_SIZE_BITS, MAX_SIZE_BITS);
	// The kernel gives every 2^PRB_AVGBITS bytes of text one descriptor.
	if (p->count_bits > p->size_bits || p->count_bits > MAX_COUNT_BITS)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: printk ring buffer desc_ring.count_bits %" PRIu32 " is out of range (at most size_bits %" PRIu32 " and %d)",
			path, p->count_bits, p->size_bits, MAX_COUNT_BITS);
	// head_id and tail_id are ids; the live descriptors between them
	// never span more than the whole descriptor array.
	p->head_id &= DESC_ID_MASK;
	p->tail_id &= DESC_ID_MASK;
	uint64_t n = ((p->head_id - p->tail_id) & DESC_ID_MASK) + 1;
	if (n > UINT64_C(1) << p->count_bits)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: printk ring buffer ids tail %#" PRIx64 " .. head %#" PRIx64 " span more than its %" PRIu64 " descriptors",
			path, p->tail_id, p->head_id, UINT64_C(1) << p->count_bits);
	return NULL;
}

static struct kd_error *printk_open_prb(struct prb *p)
{
	struct kd_kernel *k = p->k;
	uint64_t prb_sym, rb;
	struct kd_error *err;
	if ((err = printk_read_layout(k, &p->l)) ||
	    (err = kd_printk_need(k, KD_VI_SYMBOL, "prb", &prb_sym)))
		return err;
	// prb is a pointer: to printk_rb_static, or to printk_rb_dynamic once
	// setup_log_buf() has moved the log (kernel/printk/printk.c).
	if ((err = printk_read_ring_u64(p, prb_sym, "pointer prb", &rb)) ||
	    (err = printk_read_desc_ring(p, rb)) || (err = printk_read_data_ring(p, rb)) ||
	    (err = printk_check_rings(p)))
		return err;
	size_t data_size = (size_t)1 << p->size_bits;
	p->data = malloc(data_size);
	p->desc_buf = malloc(DESC_CHUNK * p->l.desc_size);
	p->info_buf = malloc(DESC_CHUNK * p->l.info_size);
	if (!p->data || !p->desc_buf || !p->info_buf)
		return &kd_enomem;
	err = kd_kernel_read_virt(k, p->data_addr, p->data, data_size);
	return err ? kd_error_prefix(err, "printk ring buffer text data") : NULL;
}

// Where a record's data block lies in the text data ring, following the
// kernel's get_data(): a regular block has begin < next in one wrap of the
// ring; a block that would not fit at the end of the ring is stored at its
// start, with next one wrap ahead of begin. false: no usable text.
static bool printk_locate_block(const struct prb *p, uint64_t begin, uint64_t next,
				size_t *off_ret, size_t *size_ret)
{
	uint64_t size = UINT64_C(1) << p->size_bits, mask = size - 1;
	// Data-less records (and, as makedumpfile checks, any block whose
	// ends coincide in the ring) have no text to print.
	if (LPOS_DATALESS(begin) || LPOS_DATALESS(next) ||
	    (begin & mask) == (next & mask))
		return false;
	uint64_t wrap_b = begin >> p->size_bits, wrap_n = next >> p->size_bits;
	if (wrap_b == wrap_n && begin < next) {
		*off_ret = (size_t)(begin & mask);
		*size_ret = (size_t)(next - begin);
	} else if (((begin + size) >> p->size_bits) == wrap_n) {
		*off_ret = 0;
		*size_ret = (size_t)(next & mask);
	} else {
		return false;	// an illegal block description
	}
	return *size_ret >= BLOCK_ID_SIZE;
}

// One descriptor and its printk_info, both already read.
static struct kd_error *printk_do_record(struct prb *p, uint64_t id,
					 const uint8_t *desc, const uint8_t *info,
					 kd_printk_fn *fn, void *arg)
{
	const struct kd_kernel *k = p->k;
	const struct prb_layout *l = &p->l;
	uint64_t sv = kd_dump_u64(k->dump, desc + l->desc_sv + l->counter);
	unsigned int state = (unsigned int)(sv >> DESC_FLAGS_SHIFT);
	// desc_read(): a descriptor holding another id is a miss; only
	// committed and finalized records are complete.
	if ((sv & DESC_ID_MASK) != id ||
	    (state != DESC_COMMITTED && state != DESC_FINALIZED))
		return NULL;
	size_t off, size;
	if (!printk_locate_block(p, kd_dump_u64(k->dump, desc + l->desc_begin),
				 kd_dump_u64(k->dump, desc + l->desc_next), &off, &size))
		return NULL;
	struct kd_printk_record rec = {
		.seq = kd_dump_u64(k->dump, info + l->info_seq),
		.ts_nsec = kd_dump_u64(k->dump, info + l->info_ts),
		.text = (const char *)p->data + off + BLOCK_ID_SIZE,
		.text_len = kd_dump_u16(k->dump, info + l->info_text_len),
	};
	// copy_data(): text_len may exceed the block when the record was
	// truncated; never read past the block.
	if (rec.text_len > size - BLOCK_ID_SIZE)
		rec.text_len = size - BLOCK_ID_SIZE;
	if (l->has_level) {
		rec.facility = info[l->info_text_len + 2];
		rec.level = kd_printk_level(k, info[l->info_text_len + 3]);
	}
	if (l->has_caller_id) {
		rec.caller_id = kd_dump_u32(k->dump, info + l->info_caller_id);
		rec.has_caller_id = true;
	}
	return fn(&rec, arg);
}

// Read descriptors and infos [idx, idx + n) of the arrays.
static struct kd_error *printk_read_chunk(struct prb *p, uint64_t idx, size_t n)
{
	struct kd_error *err;
	err = kd_kernel_read_virt(p->k, p->descs + idx * p->l.desc_size,
				  p->desc_buf, n * p->l.desc_size);
	if (err)
		return kd_error_prefix(err, "printk ring buffer descriptors");
	err = kd_kernel_read_virt(p->k, p->infos + idx * p->l.info_size,
				  p->info_buf, n * p->l.info_size);
	if (err)
		return kd_error_prefix(err, "printk ring buffer infos");
	return NULL;
}

// Ids tail_id .. head_id inclusive, oldest first, as makedumpfile does;
// the descriptor of id is descs[id % 2^count_bits].
static struct kd_error *printk_walk(struct prb *p, kd_printk_fn *fn, void *arg)
{
	uint64_t count = UINT64_C(1) << p->count_bits;
	uint64_t remaining = ((p->head_id - p->tail_id) & DESC_ID_MASK) + 1;
	uint64_t id = p->tail_id;
	while (remaining) {
		uint64_t idx = id & (count - 1);
		uint64_t n = count - idx;
		if (n > remaining)
			n = remaining;
		if (n > DESC_CHUNK)
			n = DESC_CHUNK;
		struct kd_error *err = printk_read_chunk(p, idx, (size_t)n);
		if (err)
			return err;
		for (size_t j = 0; j < n; j++) {
			err = printk_do_record(p, (id + j) & DESC_ID_MASK,
					       p->desc_buf + j * p->l.desc_size,
					       p->info_buf + j * p->l.info_size, fn, arg);
			if (err)
				return err;
		}
		id = (id + n) & DESC_ID_MASK;
		remaining -= n;
	}
	return NULL;
}

static struct kd_error *printk_iterate_lockless(struct kd_kernel *k, kd_printk_fn *fn,
						void *arg)
{
	struct prb p = { .k = k };
	struct kd_error *err = printk_open_prb(&p);
	if (!err)
		err = printk_walk(&p, fn, arg);
	free(p.data);
	free(p.desc_buf);
	free(p.info_buf);
	return err;
}

KD_EXPORT struct kd_error *kd_printk_iterate(struct kd_kernel *k,
					     kd_printk_fn *fn, void *arg)
{
	bool lockless, legacy;
	uint64_t addr;
	struct kd_error *err = kd_printk_opt(k, KD_VI_SYMBOL, "prb", &addr,
					     &lockless);
	if (err)
		return err;
	if (lockless)
		err = printk_iterate_lockless(k, fn, arg);
	else if ((err = kd_printk_opt(k, KD_VI_SYMBOL, "log_buf", &addr,
				      &legacy)))
		return err;
	else if (legacy)
		err = kd_printk_iterate_legacy(k, fn, arg);
	else
		return kd_error_create(KD_ERROR_NOTFOUND,
			"%s: the dump's VMCOREINFO describes no kernel log (neither SYMBOL(prb) nor SYMBOL(log_buf))",
			k->dump->path);
	// A callback's &kd_stop ends the walk early; that is success.
	return err == &kd_stop ? NULL : err;
}

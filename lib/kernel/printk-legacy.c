// SPDX-License-Identifier: LGPL-2.1-or-later
// The kernel log before the lockless ring buffer (Linux 3.5 to 5.9): the
// records of kernel/printk/printk.c (e.g. v5.4), a struct printk_log header
// followed by the text, packed one after another into the log_buf array.
// Records run from log_first_idx to log_next_idx; a header with len 0 marks
// the end of the used part of the buffer, and the next record is at the
// start (log_next() and log_store() in printk.c). Layouts come from
// VMCOREINFO (log_buf_vmcoreinfo_setup()).
#include "kernel/printk.h"

#include <inttypes.h>

// log_buf_len is a u32; the kernel caps it at LOG_BUF_LEN_MAX (2 GiB) but
// CONFIG_LOG_BUF_SHIFT is at most 25. We refuse over 64 MiB rather than
// allocate what a corrupt dump claims.
#define MAX_LOG_BUF_LEN (UINT32_C(1) << 26)
#define MAX_HDR_SIZE 256

struct printk_legacy {
	struct kd_kernel *k;
	uint64_t hdr_size;	/* SIZE(printk_log) */
	uint64_t o_ts, o_len, o_text_len, o_caller_id;
	bool has_caller_id;
	bool has_level;
	uint8_t *buf;
	uint32_t buf_len, first, next;
	uint64_t seq;
};

static struct kd_error *printk_legacy_check_field(struct printk_legacy *lg, const char *name,
						  uint64_t off, uint64_t width)
{
	if (off <= lg->hdr_size && width <= lg->hdr_size - off)
		return NULL;
	return kd_error_create(KD_ERROR_CORRUPT,
		"%s: VMCOREINFO OFFSET(%s)=%" PRIu64 " does not fit a %" PRIu64 "-byte field in its %" PRIu64 "-byte struct",
		lg->k->dump->path, name, off, width, lg->hdr_size);
}

static struct kd_error *printk_legacy_read_layout(struct printk_legacy *lg)
{
	struct kd_kernel *k = lg->k;
	struct kd_error *err;
	if ((err = kd_printk_need(k, KD_VI_SIZE, "printk_log", &lg->hdr_size)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "printk_log.ts_nsec", &lg->o_ts)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "printk_log.len", &lg->o_len)) ||
	    (err = kd_printk_need(k, KD_VI_OFFSET, "printk_log.text_len", &lg->o_text_len)))
		return err;
	if (lg->hdr_size == 0 || lg->hdr_size > MAX_HDR_SIZE)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: VMCOREINFO SIZE(printk_log)=%" PRIu64 " is out of range (1..%d)",
			k->dump->path, lg->hdr_size, MAX_HDR_SIZE);
	if ((err = printk_legacy_check_field(lg, "printk_log.ts_nsec", lg->o_ts, 8)) ||
	    (err = printk_legacy_check_field(lg, "printk_log.len", lg->o_len, 2)) ||
	    (err = printk_legacy_check_field(lg, "printk_log.text_len", lg->o_text_len, 2)))
		return err;
	// caller_id exists only with CONFIG_PRINTK_CALLER (5.1+).
	if ((err = kd_printk_opt(k, KD_VI_OFFSET, "printk_log.caller_id",
				 &lg->o_caller_id, &lg->has_caller_id)))
		return err;
	if (lg->has_caller_id &&
	    (err = printk_legacy_check_field(lg, "printk_log.caller_id", lg->o_caller_id, 4)))
		return err;
	// VMCOREINFO does not export facility and level. struct printk_log
	// has "u16 text_len; u16 dict_len; u8 facility; u8 flags:5;
	// u8 level:3;" so they are at text_len + 4 and + 5, before caller_id.
	lg->has_level = lg->o_text_len + 6 <= lg->hdr_size &&
			(!lg->has_caller_id ||
			 lg->o_text_len + 6 <= lg->o_caller_id);
	return NULL;
}

static struct kd_error *printk_legacy_read_u32_var(struct printk_legacy *lg, const char *name,
						   uint32_t *ret)
{
	uint64_t addr;
	struct kd_error *err = kd_printk_need(lg->k, KD_VI_SYMBOL, name, &addr);
	if (err)
		return err;
	err = kd_kernel_read_u32(lg->k, addr, ret);
	return err ? kd_error_prefix(err, "kernel log %s", name) : NULL;
}

// The kernel does not export log_first_seq; with a symbol table (e.g. a
// System.map) we start from it, otherwise records are numbered from 0.
static void printk_legacy_read_first_seq(struct printk_legacy *lg)
{
	uint64_t addr, seq;
	struct kd_error *err = kd_kernel_symbol(lg->k, "log_first_seq", &addr);
	if (!err)
		err = kd_kernel_read_u64(lg->k, addr, &seq);
	if (!err)
		lg->seq = seq;
	kd_error_destroy(err);
}

static struct kd_error *printk_legacy_open_log(struct printk_legacy *lg)
{
	struct kd_kernel *k = lg->k;
	const char *path = k->dump->path;
	uint64_t ptr_sym, buf_addr;
	struct kd_error *err;
	if ((err = printk_legacy_read_layout(lg)) ||
	    (err = kd_printk_need(k, KD_VI_SYMBOL, "log_buf", &ptr_sym)) ||
	    (err = printk_legacy_read_u32_var(lg, "log_buf_len", &lg->buf_len)) ||
	    (err = printk_legacy_read_u32_var(lg, "log_first_idx", &lg->first)) ||
	    (err = printk_legacy_read_u32_var(lg, "log_next_idx", &lg->next)))
		return err;
	// log_buf is a pointer: to __log_buf, or to a larger buffer that
	// setup_log_buf() allocated for log_buf_len=.
	err = kd_kernel_read_u64(k, ptr_sym, &buf_addr);
	if (err)
		return kd_error_prefix(err, "kernel log pointer log_buf");
	if (lg->buf_len < lg->hdr_size || lg->buf_len > MAX_LOG_BUF_LEN)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: kernel log_buf_len %" PRIu32 " is out of range (%" PRIu64 "..%" PRIu32 ")",
			path, lg->buf_len, lg->hdr_size, MAX_LOG_BUF_LEN);
	if (lg->first >= lg->buf_len || lg->next >= lg->buf_len)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: kernel log_first_idx %" PRIu32 " or log_next_idx %" PRIu32 " is past log_buf_len %" PRIu32,
			path, lg->first, lg->next, lg->buf_len);
	lg->buf = malloc(lg->buf_len);
	if (!lg->buf)
		return &kd_enomem;
	err = kd_kernel_read_virt(k, buf_addr, lg->buf, lg->buf_len);
	if (err)
		return kd_error_prefix(err, "kernel log buffer log_buf");
	printk_legacy_read_first_seq(lg);
	return NULL;
}

static struct kd_error *printk_legacy_emit(struct printk_legacy *lg, uint32_t idx, uint16_t len,
					   kd_printk_fn *fn, void *arg)
{
	const struct kd_kernel *k = lg->k;
	const uint8_t *h = lg->buf + idx;
	struct kd_printk_record rec = {
		.seq = lg->seq++,
		.ts_nsec = kd_dump_u64(k->dump, h + lg->o_ts),
		.text = (const char *)h + lg->hdr_size,
		.text_len = kd_dump_u16(k->dump, h + lg->o_text_len),
	};
	// The text (and the dictionary after it) lie inside the record.
	if (rec.text_len > len - lg->hdr_size)
		rec.text_len = len - lg->hdr_size;
	if (lg->has_level) {
		rec.facility = h[lg->o_text_len + 4];
		rec.level = kd_printk_level(k, h[lg->o_text_len + 5]);
	}
	if (lg->has_caller_id) {
		rec.caller_id = kd_dump_u32(k->dump, h + lg->o_caller_id);
		rec.has_caller_id = true;
	}
	return fn(&rec, arg);
}

static struct kd_error *printk_legacy_corrupt_at(const struct printk_legacy *lg, uint32_t idx,
						 const char *what)
{
	return kd_error_create(KD_ERROR_CORRUPT,
		"%s: kernel log record at log_buf+%" PRIu32 " %s (log_first_idx %" PRIu32 ", log_next_idx %" PRIu32 ", log_buf_len %" PRIu32 ")",
		lg->k->dump->path, idx, what, lg->first, lg->next, lg->buf_len);
}

// From log_first_idx to log_next_idx. When first < next the records are
// contiguous; when next < first they run to a len-0 marker and continue
// at 0. Every step advances by at least SIZE(printk_log) and wraps at
// most once, so the loop ends.
static struct kd_error *printk_legacy_walk(struct printk_legacy *lg, kd_printk_fn *fn, void *arg)
{
	bool wrapped = false;
	uint32_t idx = lg->first;
	while (idx != lg->next) {
		uint32_t limit = wrapped || lg->next > lg->first ? lg->next : lg->buf_len;
		if (idx > limit || lg->hdr_size > limit - idx)
			return printk_legacy_corrupt_at(lg, idx, "runs past the end of the log");
		uint16_t len = kd_dump_u16(lg->k->dump, lg->buf + idx + lg->o_len);
		if (len == 0) {
			if (wrapped || lg->next > lg->first)
				return printk_legacy_corrupt_at(lg, idx, "is an unexpected wrap marker");
			wrapped = true;
			idx = 0;
			continue;
		}
		if (len < lg->hdr_size || len > limit - idx)
			return printk_legacy_corrupt_at(lg, idx, "has a bad length");
		struct kd_error *err = printk_legacy_emit(lg, idx, len, fn, arg);
		if (err)
			return err;
		idx += len;
	}
	return NULL;
}

struct kd_error *kd_printk_iterate_legacy(struct kd_kernel *k,
					  kd_printk_fn *fn, void *arg)
{
	struct printk_legacy lg = { .k = k };
	struct kd_error *err = printk_legacy_open_log(&lg);
	if (!err)
		err = printk_legacy_walk(&lg, fn, arg);
	free(lg.buf);
	return err;
}

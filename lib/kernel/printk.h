/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel log readers: shared between printk.c (the lockless ring
 * buffer, 5.10+) and printk-legacy.c (log_buf/printk_log, up to 5.9). */
#ifndef KEXDUMP_PRINTK_PRIV_H
#define KEXDUMP_PRINTK_PRIV_H

#include "kernel/kernel.h"

/* kd_vmcoreinfo_need() and _opt() (absent: 0) for the kernel log readers:
 * errors name what needs the entry and the dump. */
struct kd_error *kd_printk_need(struct kd_kernel *kernel, enum kd_vi_kind kind,
				const char *name, uint64_t *ret);
struct kd_error *kd_printk_opt(struct kd_kernel *kernel, enum kd_vi_kind kind,
			       const char *name, uint64_t *ret, bool *found_ret);

/* Walk the log_buf/printk_log kernel log (Linux 3.5 to 5.9). */
struct kd_error *kd_printk_iterate_legacy(struct kd_kernel *kernel,
					  kd_printk_fn *fn, void *arg);

/*
 * The syslog level of the byte holding "u8 flags:5, level:3" in struct
 * printk_info (and the older struct printk_log). GCC allocates bit-fields
 * from the least significant bit on little-endian targets and from the
 * most significant bit on big-endian ones, so level is the top three bits
 * on the former and the bottom three on the latter.
 */
static inline uint8_t kd_printk_level(const struct kd_kernel *k, uint8_t b)
{
	return k->dump->big_endian ? (uint8_t)(b & 7) : (uint8_t)(b >> 5);
}

/* The panic-line search of kd_printk_find_panic (kernel/printk-panic.c),
 * record by record, so that the tests feed it records directly. */
enum kd_printk_panic_found {
	KD_PRINTK_PANIC_NONE,
	KD_PRINTK_PANIC_SYSRQ,	/* a "Trigger a crash" line, kept until a panic line */
	KD_PRINTK_PANIC_OOPS,	/* an oops header ("Oops: 0002 [#1] ..."), the same */
	KD_PRINTK_PANIC_LINE,	/* the first "Kernel panic - not syncing" line */
};

struct kd_printk_panic {
	char *buf;		/* the line found, NUL-terminated */
	size_t len;		/* bytes of buf, > 0 */
	enum kd_printk_panic_found found;
};

/* Look at the next record, oldest first; true once the search is over. */
bool kd_printk_panic_match(struct kd_printk_panic *p, const struct kd_printk_record *rec);

#endif

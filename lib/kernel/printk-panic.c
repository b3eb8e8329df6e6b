// SPDX-License-Identifier: LGPL-2.1-or-later
// The log line that says why the kernel crashed, for `kexdump info` and
// the capture init's summary: one finder so that both show the same line.
//
// panic() (kernel/panic.c) logs "Kernel panic - not syncing: REASON" with
// pr_emerg() as soon as it owns panic_cpu. The FIRST such record is the
// original panic: any later one is nested (a panic notifier or the dump
// path failing, another CPU panicking before it is stopped) and names an
// echo of the crash, not its cause; panic() also ends with "---[ end
// Kernel panic - not syncing: REASON ]---", which does not start with the
// phrase and is not taken. Without a panic line (an oops that went straight
// to crash_kexec(): kernel/exit.c make_task_dead() via oops_end() on x86,
// as sysrq-c did before it called panic()), the first "Trigger a crash"
// record (drivers/tty/sysrq.c, sysrq_crash_op.action_msg) is the reason,
// else the first oops header: arch/x86/kernel/dumpstack.c __die_header()
// prints "STR: ERR [#N] ..." (str "Oops", "invalid opcode" for BUG(),
// "general protection fault, ...", err as %04lx, N the die counter) before
// the registers, as crash's "PANIC:" line shows it. With a crash kernel
// loaded, oops_end() calls crash_kexec() itself when the oops is fatal (in
// an interrupt, panic_on_oops, the init task), so no panic line follows.
#include "kernel/printk.h"

#include <ctype.h>
#include <stdio.h>

#define PANIC_PREFIX "Kernel panic - not syncing"
#define SYSRQ_CRASH "Trigger a crash"

// The record's first line into p->buf, control bytes as '?'.
static void printk_panic_copy(struct kd_printk_panic *p, const struct kd_printk_record *rec)
{
	size_t n = 0;
	while (n < rec->text_len && rec->text[n] != '\n')
		n++;
	if (n >= p->len)
		n = p->len - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)rec->text[i];
		p->buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	p->buf[n] = '\0';
}

// Does the record's first line hold ": XXXX [#N]" (4 hex digits, a
// decimal die counter), the mark of __die_header()?
static bool printk_panic_is_oops(const struct kd_printk_record *rec)
{
	size_t n = 0;
	while (n < rec->text_len && rec->text[n] != '\n')
		n++;
	const char *t = rec->text;
	for (size_t i = 0; i + 10 <= n; i++) {
		if (t[i] != ':' || t[i + 1] != ' ' || memcmp(t + i + 6, " [#", 3))
			continue;
		bool hex = true;
		for (size_t j = i + 2; j < i + 6; j++)
			hex = hex && isxdigit((unsigned char)t[j]);
		size_t j = i + 9;
		while (j < n && isdigit((unsigned char)t[j]))
			j++;
		if (hex && j > i + 9 && j < n && t[j] == ']')
			return true;
	}
	return false;
}

bool kd_printk_panic_match(struct kd_printk_panic *p, const struct kd_printk_record *rec)
{
	if (p->found == KD_PRINTK_PANIC_LINE || !p->len)
		return true;
	size_t plen = sizeof(PANIC_PREFIX) - 1;
	if (rec->text_len >= plen && !memcmp(rec->text, PANIC_PREFIX, plen)) {
		printk_panic_copy(p, rec);
		p->found = KD_PRINTK_PANIC_LINE;
		return true;
	}
	if (p->found == KD_PRINTK_PANIC_NONE &&
	    memmem(rec->text, rec->text_len, SYSRQ_CRASH, sizeof(SYSRQ_CRASH) - 1)) {
		printk_panic_copy(p, rec);
		p->found = KD_PRINTK_PANIC_SYSRQ;
	} else if (p->found == KD_PRINTK_PANIC_NONE && printk_panic_is_oops(rec)) {
		printk_panic_copy(p, rec);
		p->found = KD_PRINTK_PANIC_OOPS;
	}
	return false;
}

// Once the panic line is found the walk stops (kd_printk_iterate turns
// &kd_stop into success).
static struct kd_error *printk_panic_visit(const struct kd_printk_record *rec, void *arg)
{
	return kd_printk_panic_match(arg, rec) ? &kd_stop : NULL;
}

KD_EXPORT struct kd_error *kd_printk_find_panic(struct kd_kernel *kernel, char *buf,
						size_t len)
{
	if (!len)
		return kd_error_create(KD_ERROR_INVALID, "no room for the panic line");
	struct kd_printk_panic p = { .buf = buf, .len = len };
	buf[0] = '\0';
	struct kd_error *err = kd_printk_iterate(kernel, printk_panic_visit, &p);
	if (p.found != KD_PRINTK_PANIC_NONE) {
		// A damaged part of the log after the line: the line found
		// stands.
		kd_error_destroy(err);
		return NULL;
	}
	if (err)
		return err;
	return kd_error_create(KD_ERROR_NOTFOUND,
			       "the kernel log holds no \"" PANIC_PREFIX "\" line");
}

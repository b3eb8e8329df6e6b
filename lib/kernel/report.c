// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump report: what a person reads first after a crash, gathered from
// the dump alone. Each part is taken on its own and a part that cannot be
// had keeps one line saying why (kd_report.*_error); the others stand.
//
// Facts used, each from the kernel source it follows:
// - the panic line, its CPU and task: kernel/panic.c (panic(), panic_cpu),
//   the CPU notes (NT_PRSTATUS pr_pid), kd_printk_panic_match();
// - the taint: tainted_mask and the taint_flags table of kernel/panic.c,
//   printed as print_tainted() does ("Not tainted", else "Tainted: " and
//   one letter per flag, c_true when set, c_false when not);
// - the memory summary: totalram_pages (mm/page_alloc.c; "_totalram_pages"
//   since 5.0) and the global counters vm_zone_stat[] and vm_node_stat[]
//   (mm/vmstat.c) indexed by enum zone_stat_item / node_stat_item, whose
//   values come from the dump's BTF: the enums change between releases.
//   The global arrays hold pages even for the *_B items (the per-memcg
//   counters are in bytes, the node ones are folded in pages:
//   include/linux/vmstat.h global_node_page_state_pages()), and the
//   per-CPU deltas not folded yet are left out, as /proc/meminfo does.
#include "kernel/kernel.h"
#include "kernel/printk.h"
#include "util/util.h"

#include <inttypes.h>
#include <stdio.h>

#define REPORT_DEFAULT_LOG_LINES 20
#define REPORT_MAX_LOG_LINES 10000
// Flags of kernel/panic.c's taint_flags: 19 in 6.0 to 6.14 (TAINT_TEST);
// more are taken from the dump's own table when it has them.
#define REPORT_MAX_TAINT 32
#define REPORT_SIGNATURE_FRAMES 3

static char *report_strdup_err(struct kd_error *err)
{
	char *s = strdup(kd_error_message(err));
	kd_error_destroy(err);
	return s ? s : strdup("out of memory");
}

// A part's failure as its one line in *field; a part's *_error stays
// NULL only when it was had. Out of memory is the one failure that ends
// the report: returned, every other one NULL.
static struct kd_error *report_part_fail(char **field, struct kd_error *err)
{
	if (err == &kd_enomem)
		return err;
	*field = report_strdup_err(err);
	return *field ? NULL : &kd_enomem;
}

static void report_copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

// ------------------------------------------------------------- the log

struct report_log {
	struct kd_printk_panic panic;
	bool has_panic_ts;
	uint64_t panic_ts, last_ts;
	bool any;
	char **ring;		// the last n formatted records, oldest at head
	size_t n, head, count;
};

static struct kd_error *report_log_visit(const struct kd_printk_record *rec, void *arg)
{
	struct report_log *l = arg;
	enum kd_printk_panic_found was = l->panic.found;
	kd_printk_panic_match(&l->panic, rec);
	// The time of the panic line, else of the oops's: the line that
	// stands for the crash (a sysrq line is kept, as before, with the
	// last record's time).
	if (was != l->panic.found && (l->panic.found == KD_PRINTK_PANIC_LINE ||
				      l->panic.found == KD_PRINTK_PANIC_OOPS)) {
		l->has_panic_ts = true;
		l->panic_ts = rec->ts_nsec;
	}
	l->any = true;
	l->last_ts = rec->ts_nsec;
	char *text;
	size_t len;
	struct kd_error *err = kd_printk_format(rec, false, &text, &len);
	if (err)
		return err;
	size_t slot = (l->head + l->count) % l->n;
	if (l->count == l->n) {
		free(l->ring[l->head]);
		l->head = (l->head + 1) % l->n;
	} else {
		l->count++;
	}
	l->ring[slot] = text;
	return NULL;
}

// The last lines of the formatted records: a record of several lines
// counts as several.
static struct kd_error *report_log_tail(struct kd_report *r, struct report_log *l)
{
	size_t total = 0;
	for (size_t i = 0; i < l->count; i++) {
		const char *t = l->ring[(l->head + i) % l->n];
		for (const char *p = t; *p; p++)
			total += *p == '\n';
	}
	size_t skip = total > l->n ? total - l->n : 0;
	r->log_tail = calloc(total - skip ? total - skip : 1, sizeof(*r->log_tail));
	if (!r->log_tail)
		return &kd_enomem;
	size_t line = 0;
	for (size_t i = 0; i < l->count; i++) {
		const char *p = l->ring[(l->head + i) % l->n];
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			if (line++ >= skip) {
				char *s = strndup(p, len);
				if (!s)
					return &kd_enomem;
				r->log_tail[r->nlog_tail++] = s;
			}
			p += len + (nl != NULL);
		}
	}
	return NULL;
}

static struct kd_error *report_log(struct kd_kernel *k, struct kd_report *r, size_t lines)
{
	struct report_log l = {
		.panic = { .buf = r->message, .len = sizeof(r->message) },
		.n = lines,
	};
	l.ring = calloc(lines, sizeof(*l.ring));
	if (!l.ring)
		return &kd_enomem;
	struct kd_error *err = kd_printk_iterate(k, report_log_visit, &l);
	struct kd_error *ret = NULL;
	if (err == &kd_enomem) {
		ret = err;
		goto out;
	}
	// A damaged record ends the walk: what came before it stands, and
	// the log part says where it stopped.
	if (err)
		r->log_error = report_strdup_err(err);
	if (l.panic.found == KD_PRINTK_PANIC_NONE) {
		r->message[0] = '\0';
		r->message_error = strdup(l.any ? "the kernel log holds no \"Kernel panic - not syncing\", "
						  "oops or sysrq crash line" : "the kernel log is empty or unreadable");
		if (!r->message_error) {
			ret = &kd_enomem;
			goto out;
		}
	}
	if (l.has_panic_ts || l.any) {
		r->has_uptime = true;
		r->uptime_ns = l.has_panic_ts ? l.panic_ts : l.last_ts;
	}
	ret = report_log_tail(r, &l);
out:
	for (size_t i = 0; i < l.count; i++)
		free(l.ring[(l.head + i) % l.n]);
	free(l.ring);
	return ret;
}

// ----------------------------------------------------------- the taint

// kernel/panic.c taint_flags[] as of Linux 6.12, for a dump without BTF
// or without the table: c_true per bit; c_false is ' ' except 'G' for
// bit 0 (TAINT_PROPRIETARY_MODULE).
static const char report_taint_letters[] = "PFSRMBUDAWCIOELKXTN";

// The dump's own taint_flags[]: struct taint_flag {char c_true, c_false;
// bool module; (6.10+) const char *desc;}, its stride from BTF. The table
// ends where the symbol taint_flags ends, or at an entry that is not a
// flag (the kernel prints upper-case letters only).
static size_t report_taint_table(struct kd_kernel *k, char *c_true, char *c_false)
{
	struct kd_btf_field ft, ff;
	uint64_t stride, addr;
	struct kd_error *err = kd_btf_field(k, "taint_flag", "c_true", &ft);
	if (!err)
		err = kd_btf_field(k, "taint_flag", "c_false", &ff);
	if (!err)
		err = kd_btf_type_size(k, "taint_flag", &stride);
	if (!err)
		err = kd_kernel_symbol(k, "taint_flags", &addr);
	if (err || !stride || stride > 64) {
		kd_error_destroy(err);
		return 0;
	}
	size_t n = 0;
	for (; n < REPORT_MAX_TAINT; n++) {
		uint64_t a = addr + n * stride, t, f, off;
		const char *name;
		err = kd_kernel_symbolize(k, a, &name, &off);
		if (!err && strcmp(name, "taint_flags"))
			break;
		kd_error_destroy(err);
		err = kd_btf_read_field(k, a, &ft, &t);
		if (!err)
			err = kd_btf_read_field(k, a, &ff, &f);
		if (err) {
			kd_error_destroy(err);
			break;
		}
		t &= 0xff;
		f &= 0xff;
		if (t < 'A' || t > 'Z' || (f != ' ' && (f < 'A' || f > 'Z')))
			break;
		c_true[n] = (char)t;
		c_false[n] = (char)f;
	}
	return n;
}

static struct kd_error *report_taint(struct kd_kernel *k, struct kd_report *r)
{
	uint64_t addr;
	struct kd_error *err = kd_kernel_symbol(k, "tainted_mask", &addr);
	if (!err)
		err = kd_kernel_read_u64(k, addr, &r->taint_mask);
	if (err) {
		return report_part_fail(&r->taint_error, kd_error_prefix(err, "tainted_mask"));
	}
	r->has_taint = true;
	if (!r->taint_mask) {
		snprintf(r->taint, sizeof(r->taint), "Not tainted");
		return NULL;
	}
	char c_true[REPORT_MAX_TAINT], c_false[REPORT_MAX_TAINT];
	size_t n = report_taint_table(k, c_true, c_false);
	if (!n) {
		n = sizeof(report_taint_letters) - 1;
		for (size_t i = 0; i < n; i++) {
			c_true[i] = report_taint_letters[i];
			c_false[i] = i ? ' ' : 'G';
		}
	}
	size_t o = (size_t)snprintf(r->taint, sizeof(r->taint), "Tainted: ");
	for (size_t i = 0; i < n && o + 1 < sizeof(r->taint); i++)
		r->taint[o++] = r->taint_mask >> i & 1 ? c_true[i] : c_false[i];
	r->taint[o] = '\0';
	return NULL;
}

// ---------------------------------------------------------- the memory

enum report_unit { REPORT_PAGES, REPORT_KB };

// The summary's counters: the enumerators tried in turn in each enum
// (renamed across releases), the first the dump's BTF knows is read.
static const struct report_counter {
	const char *name;
	const char *items[2];
	enum report_unit unit;
} report_counters[] = {
	{ "free", { "NR_FREE_PAGES" }, REPORT_PAGES },
	{ "page_cache", { "NR_FILE_PAGES" }, REPORT_PAGES },
	{ "anon", { "NR_ANON_MAPPED", "NR_ANON_PAGES" }, REPORT_PAGES },
	{ "shmem", { "NR_SHMEM" }, REPORT_PAGES },
	{ "slab_reclaimable", { "NR_SLAB_RECLAIMABLE_B", "NR_SLAB_RECLAIMABLE" }, REPORT_PAGES },
	{ "slab_unreclaimable", { "NR_SLAB_UNRECLAIMABLE_B", "NR_SLAB_UNRECLAIMABLE" }, REPORT_PAGES },
	{ "kernel_stack", { "NR_KERNEL_STACK_KB" }, REPORT_KB },
	{ "page_tables", { "NR_PAGETABLE" }, REPORT_PAGES },
};

// The counter's value from vm_zone_stat[] or vm_node_stat[]: which array
// holds an item moved between releases (NR_PAGETABLE went to the nodes in
// 6.2), so both enums are asked.
static struct kd_error *report_counter_read(struct kd_kernel *k, const struct report_counter *c,
					    int64_t *ret)
{
	static const struct {
		const char *enum_name, *array;
	} where[] = {
		{ "zone_stat_item", "vm_zone_stat" },
		{ "node_stat_item", "vm_node_stat" },
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(c->items) && c->items[i]; i++) {
		for (size_t w = 0; w < KD_ARRAY_SIZE(where); w++) {
			int64_t idx;
			uint64_t addr, v;
			struct kd_error *err = kd_btf_enum_value(k, where[w].enum_name,
								 c->items[i], &idx);
			if (err && kd_error_catch(&err, KD_ERROR_NOTFOUND))
				continue;
			if (!err && (idx < 0 || idx > 256))
				err = kd_error_create(KD_ERROR_CORRUPT, "%s = %" PRId64 " is out of range",
						      c->items[i], idx);
			if (!err)
				err = kd_kernel_symbol(k, where[w].array, &addr);
			// atomic_long_t, 8 bytes on a 64-bit kernel.
			if (!err)
				err = kd_kernel_read_u64(k, addr + 8 * (uint64_t)idx, &v);
			if (err)
				return kd_error_prefix(err, "%s[%s]", where[w].array, c->items[i]);
			*ret = (int64_t)v;
			return NULL;
		}
	}
	return kd_error_create(KD_ERROR_NOTFOUND, "the BTF has no %s", c->items[0]);
}

static struct kd_error *report_memory(struct kd_kernel *k, struct kd_report *r)
{
	const struct kd_vmcoreinfo *vi = kd_kernel_vmcoreinfo(k);
	uint64_t page_size, addr, total;
	struct kd_error *err = kd_vmcoreinfo_u64(vi, "PAGESIZE", 10, &page_size);
	if (err || !page_size || page_size > (1u << 24)) {
		return report_part_fail(&r->memory_error, err ? err : kd_error_create(KD_ERROR_CORRUPT,
								       "PAGESIZE is out of range"));
	}
	err = kd_btf_load(k);
	if (err) {
		return report_part_fail(&r->memory_error, err);
	}
	// atomic_long_t _totalram_pages (5.0+), unsigned long totalram_pages before.
	err = kd_kernel_symbol(k, "_totalram_pages", &addr);
	if (err && kd_error_catch(&err, KD_ERROR_NOTFOUND))
		err = kd_kernel_symbol(k, "totalram_pages", &addr);
	if (!err)
		err = kd_kernel_read_u64(k, addr, &total);
	if (err) {
		return report_part_fail(&r->memory_error, kd_error_prefix(err, "totalram_pages"));
	}
	r->memory = calloc(1 + KD_ARRAY_SIZE(report_counters), sizeof(*r->memory));
	if (!r->memory)
		return &kd_enomem;
	r->memory[r->nmemory++] = (struct kd_report_memory){ "total", total * page_size };
	for (size_t i = 0; i < KD_ARRAY_SIZE(report_counters); i++) {
		const struct report_counter *c = &report_counters[i];
		int64_t v = 0;
		err = report_counter_read(k, c, &v);
		if (err) {
			if (err == &kd_enomem)
				return err;
			// One counter this kernel does not have is left out;
			// a read that fails is the part's failure.
			if (kd_error_catch(&err, KD_ERROR_NOTFOUND))
				continue;
			free(r->memory);
			r->memory = NULL;
			r->nmemory = 0;
			return report_part_fail(&r->memory_error, err);
		}
		// Unfolded per-CPU deltas can leave a global counter below 0
		// for a while; the kernel shows 0 then (global_zone_page_state()).
		uint64_t u = v < 0 ? 0 : (uint64_t)v;
		r->memory[r->nmemory++] = (struct kd_report_memory){
			c->name, c->unit == REPORT_KB ? u * 1024 : u * page_size
		};
	}
	return NULL;
}

// ---------------------------------------------------- CPUs and signature

// The suffixes a compiler adds to a function's clones: a bug's frames are
// the same across builds without them.
static size_t report_base_len(const char *name)
{
	static const char *const suffixes[] = { ".cold", ".isra", ".constprop", ".part",
						".llvm", ".lto_priv" };
	size_t n = strlen(name);
	for (size_t i = 0; i < n; i++) {
		if (name[i] != '.')
			continue;
		for (size_t s = 0; s < KD_ARRAY_SIZE(suffixes); s++)
			if (!strncmp(name + i, suffixes[s], strlen(suffixes[s])))
				return i;
	}
	return n;
}

static bool report_is(const struct kd_frame *f, const char *name)
{
	return f->function && report_base_len(f->function) == strlen(name) &&
	       !strncmp(f->function, name, strlen(name));
}

// The frame at @p i is the instruction an exception interrupted: it comes
// from a pt_regs right below an exception entry (arch/x86/entry/entry_64.S
// idtentry: asm_exc_page_fault, asm_exc_invalid_op for BUG(), ...), not
// below an interrupt's (asm_sysvec_*, asm_common_interrupt), whose
// interrupted code is not the bug.
static bool report_is_fault(const struct kd_backtrace *bt, size_t i)
{
	const struct kd_frame *f = &bt->frames[i];
	return (f->flags & KD_FRAME_REGS) && i && bt->frames[i - 1].function &&
	       !strncmp(bt->frames[i - 1].function, "asm_exc_", 8);
}

// The frames a signature starts at: below the crash machinery. After an
// oops or a BUG() (arch/x86/kernel/dumpstack.c oops_end() -> panic()),
// the faulting instruction; otherwise the caller of panic() (sysrq,
// out_of_memory, the hung-task watchdog). Without panic() in the stack (an
// oops that went straight to crash_kexec()), the faulting instruction or
// the caller of crash_kexec(), else the top. An exception is the oops only
// when oops_end() is above it: a page fault that panicked from inside its
// handler (the OOM of a user copy: exc_page_fault -> handle_mm_fault ->
// out_of_memory -> panic) is on the way to the panic, not its cause.
static size_t report_signature_start(const struct kd_backtrace *bt)
{
	size_t after = 0;
	bool seen = false, oops = false;
	for (size_t i = 0; i < bt->nframes; i++)
		if (report_is(&bt->frames[i], "panic") || report_is(&bt->frames[i], "nmi_panic")) {
			after = i + 1;
			seen = true;
		}
	for (size_t i = 0; i < bt->nframes; i++) {
		oops = oops || report_is(&bt->frames[i], "oops_end");
		if (oops && i >= after && report_is_fault(bt, i))
			return i;
	}
	if (seen)
		return after;
	for (size_t i = 0; i < bt->nframes; i++)
		if (report_is(&bt->frames[i], "__crash_kexec") || report_is(&bt->frames[i], "crash_kexec"))
			after = i + 1;
	return after < bt->nframes ? after : 0;
}

void kd_report_signature(const char *comm, const struct kd_backtrace *bt, char *buf,
			 size_t len)
{
	if (!len)
		return;
	size_t o = (size_t)snprintf(buf, len, "%s:", comm && *comm ? comm : "?");
	size_t shown = 0;
	for (size_t i = report_signature_start(bt);
	     i < bt->nframes && shown < REPORT_SIGNATURE_FRAMES && o < len; i++) {
		const struct kd_frame *f = &bt->frames[i];
		if (f->function)
			o += (size_t)snprintf(buf + o, len - o, "%s%.*s", shown ? " < " : " ",
					      (int)report_base_len(f->function), f->function);
		else
			o += (size_t)snprintf(buf + o, len - o, "%s?", shown ? " < " : " ");
		shown++;
	}
	// The names are the dump's: control bytes must not reach a summary
	// line or a terminal.
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

static struct kd_error *report_cpus(struct kd_kernel *k, struct kd_report *r)
{
	size_t n = kd_dump_num_cpus(kd_kernel_dump(k)), panic;
	struct kd_error *err = kd_unwind_panic_cpu(k, &panic);
	if (err) {
		if (err == &kd_enomem)
			return err;
		kd_error_destroy(err);
	} else {
		r->panic_cpu = (long)panic;
	}
	if (!n) {
		r->cpus_error = strdup("the dump has no CPU notes (NT_PRSTATUS)");
		return r->cpus_error ? NULL : &kd_enomem;
	}
	r->cpus = calloc(n, sizeof(*r->cpus));
	if (!r->cpus)
		return &kd_enomem;
	for (size_t i = 0; i < n; i++) {
		struct kd_report_cpu *c = &r->cpus[r->ncpus_walked++];
		struct kd_cpu_state st;
		c->cpu = i;
		c->panic = (long)i == r->panic_cpu;
		err = kd_dump_cpu_state(kd_kernel_dump(k), i, &st);
		c->pid = err ? -1 : (int32_t)st.pid;
		kd_error_destroy(err);
		struct kd_task t;
		err = kd_task_current(k, i, &t);
		if (!err)
			report_copy_name(c->comm, sizeof(c->comm), t.comm);
		else if (err == &kd_enomem)
			return err;
		kd_error_destroy(err);
		err = kd_unwind_cpu(k, i, &c->bt);
		if (err) {
			if (err == &kd_enomem)
				return err;
			c->error = report_strdup_err(err);
			if (!c->error)
				return &kd_enomem;
		}
		if (c->panic) {
			r->panic_pid = c->pid;
			memcpy(r->panic_comm, c->comm, sizeof(c->comm));
		}
	}
	return NULL;
}

// ------------------------------------------------- modules and tasks

static struct kd_error *report_modules(struct kd_kernel *k, struct kd_report *r)
{
	struct kd_error *err = kd_module_list(k, &r->modules, &r->nmodules);
	if (err)
		return report_part_fail(&r->modules_error, err);
	return NULL;
}

static struct kd_error *report_tasks(struct kd_kernel *k, struct kd_report *r, bool stacks)
{
	struct kd_task *t;
	size_t n;
	struct kd_error *err = kd_task_list(k, &t, &n);
	if (err) {
		return report_part_fail(&r->tasks_error, err);
	}
	r->tasks = calloc(n ? n : 1, sizeof(*r->tasks));
	if (!r->tasks) {
		free(t);
		return &kd_enomem;
	}
	r->ntasks = n;
	for (size_t i = 0; i < n; i++)
		r->tasks[i].task = t[i];
	free(t);
	if (!stacks)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct kd_report_task *rt = &r->tasks[i];
		if (rt->task.running && rt->task.cpu >= 0 &&
		    (size_t)rt->task.cpu < r->ncpus_walked) {
			const struct kd_report_cpu *c = &r->cpus[rt->task.cpu];
			rt->bt = c->bt;
			if (!c->bt && !(rt->error = strdup(c->error)))
				return &kd_enomem;
			continue;
		}
		// A sleeping task's stack starts at its saved frame,
		// task->thread.sp (arch/x86/include/asm/switch_to.h).
		struct kd_backtrace *bt = NULL;
		err = kd_unwind_task(k, rt->task.stack, rt->task.thread_sp, &bt);
		if (err) {
			if (err == &kd_enomem)
				return err;
			rt->error = report_strdup_err(err);
			if (!rt->error)
				return &kd_enomem;
			continue;
		}
		rt->bt = bt;
	}
	return NULL;
}

// ------------------------------------------------------------- report

static bool report_task_owns_bt(const struct kd_report *r, const struct kd_report_task *t)
{
	for (size_t i = 0; i < r->ncpus_walked; i++)
		if (t->bt == r->cpus[i].bt)
			return false;
	return true;
}

KD_EXPORT void kd_report_destroy(struct kd_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ntasks; i++) {
		if (r->tasks[i].bt && report_task_owns_bt(r, &r->tasks[i]))
			kd_unwind_destroy((struct kd_backtrace *)r->tasks[i].bt);
		free(r->tasks[i].error);
	}
	free(r->tasks);
	for (size_t i = 0; i < r->ncpus_walked; i++) {
		kd_unwind_destroy(r->cpus[i].bt);
		free(r->cpus[i].error);
	}
	free(r->cpus);
	for (size_t i = 0; i < r->nlog_tail; i++)
		free(r->log_tail[i]);
	free(r->log_tail);
	free(r->memory);
	free(r->modules);
	free(r->message_error);
	free(r->taint_error);
	free(r->symbols_error);
	free(r->cpus_error);
	free(r->memory_error);
	free(r->modules_error);
	free(r->tasks_error);
	free(r->log_error);
	free(r);
}

KD_EXPORT const struct kd_backtrace *kd_report_panic_backtrace(const struct kd_report *r)
{
	for (size_t i = 0; i < r->ncpus_walked; i++)
		if (r->cpus[i].panic)
			return r->cpus[i].bt;
	return NULL;
}

KD_EXPORT struct kd_error *kd_report_create(struct kd_kernel *k,
					    const struct kd_report_options *opts,
					    struct kd_report **ret)
{
	struct kd_report *r = calloc(1, sizeof(*r));
	if (!r)
		return &kd_enomem;
	r->panic_cpu = -1;
	r->panic_pid = -1;
	size_t lines = opts && opts->log_lines ? opts->log_lines : REPORT_DEFAULT_LOG_LINES;
	if (lines > REPORT_MAX_LOG_LINES)
		lines = REPORT_MAX_LOG_LINES;
	const struct kd_vmcoreinfo *vi = kd_kernel_vmcoreinfo(k);
	const char *release;
	struct kd_error *err = kd_vmcoreinfo_string(vi, "OSRELEASE", &release);
	if (!err)
		report_copy_name(r->release, sizeof(r->release), release);
	kd_error_destroy(err);
	uint64_t t;
	err = kd_vmcoreinfo_u64(vi, "CRASHTIME", 10, &t);
	if (!err && t <= INT64_MAX) {
		r->has_crash_time = true;
		r->crash_time = (int64_t)t;
	}
	kd_error_destroy(err);
	r->ncpus = kd_dump_num_cpus(kd_kernel_dump(k));
	// Symbols first. Without them, say why once (symbols_error) and skip
	// the parts that need them; the log and the CPUs' registers (their
	// frames as bare addresses) are still there to read.
	err = kd_kernel_load_symbols(k);
	if (!err && !strcmp(kd_kernel_symbol_source(k), "none"))
		err = kd_error_create(KD_ERROR_NOTFOUND,
				      "this kernel's VMCOREINFO has no kallsyms (Linux before 6.0): "
				      "give the crashed build's System.map with --system-map (Debian: "
				      "/usr/lib/debug/boot/System.map-RELEASE in linux-image-RELEASE-dbg)");
	if (err) {
		err = report_part_fail(&r->symbols_error, err);
		if (err) {
			kd_report_destroy(r);
			return err;
		}
	}
	err = report_log(k, r, lines);
	if (!err && r->symbols_error) {
		static const char why[] = "needs the symbol table: see symbols";
		char **parts[] = { &r->taint_error, &r->memory_error, &r->modules_error,
				   &r->tasks_error };
		for (size_t i = 0; i < KD_ARRAY_SIZE(parts) && !err; i++)
			if (!(*parts[i] = strdup(why)))
				err = &kd_enomem;
		if (!err)
			err = report_cpus(k, r);
	} else if (!err) {
		err = report_taint(k, r);
		if (!err)
			err = report_cpus(k, r);
		if (!err)
			err = report_memory(k, r);
		if (!err)
			err = report_modules(k, r);
		if (!err)
			err = report_tasks(k, r, opts && opts->task_backtraces);
	}
	if (err) {
		kd_report_destroy(r);
		return err;
	}
	// The panicking task's name from the task list when the CPU's
	// current task could not be read by itself.
	if (!r->panic_comm[0] && r->panic_pid >= 0)
		for (size_t i = 0; i < r->ntasks; i++)
			if (r->tasks[i].task.pid == r->panic_pid && r->tasks[i].task.running &&
			    r->tasks[i].task.cpu == r->panic_cpu)
				report_copy_name(r->panic_comm, sizeof(r->panic_comm),
						 r->tasks[i].task.comm);
	const struct kd_backtrace *bt = kd_report_panic_backtrace(r);
	if (bt)
		kd_report_signature(r->panic_comm, bt, r->signature, sizeof(r->signature));
	*ret = r;
	return NULL;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// A report as text: what `kexdump report` prints and the capture init
// writes into report.txt, one writer for both. Frames are written as crash
// writes them ("#N [sp] function+0xoff/0xsize [module]", "--- <IRQ stack>
// ---" where the walk leaves a stack), as `kexdump bt` does. Every string
// taken from the dump goes through report_text_put(): control bytes and
// bytes outside ASCII become '?', so the text is safe on a terminal and in
// a file a capture kernel's console may show.
#include "kernel/kernel.h"
#include "util/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

static void report_text_put(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		fputc(*p < 0x20 || *p >= 0x7f ? '?' : *p, out);
}

static void report_text_size(FILE *out, uint64_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < KD_ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u)
		fprintf(out, "%.1f %s", v, units[u]);
	else
		fprintf(out, "%" PRIu64 " B", n);
}

static void report_text_frames(FILE *out, const struct kd_backtrace *bt)
{
	for (size_t i = 0; i < bt->nframes; i++) {
		const struct kd_frame *f = &bt->frames[i];
		if (f->flags & KD_FRAME_TRANSITION) {
			fputs("--- <", out);
			report_text_put(out, bt->frames[i - 1].stack);
			fputs(" stack> ---\n", out);
		}
		fprintf(out, "%s#%zu [%016" PRIx64 "] ", i < 10 ? " " : "", i, f->sp);
		if (f->function) {
			report_text_put(out, f->function);
			fprintf(out, "+%#" PRIx64, f->offset);
			if (f->size)
				fprintf(out, "/%#" PRIx64, f->size);
		} else {
			fprintf(out, "%#" PRIx64, f->address);
		}
		if (f->module) {
			fputs(" [", out);
			report_text_put(out, f->module);
			fputc(']', out);
		}
		if (f->flags & KD_FRAME_REGS)
			fputs(" (exception RIP)", out);
		if (f->flags & KD_FRAME_GUESSED)
			fputs(" (guessed)", out);
		fputc('\n', out);
	}
	if (bt->user_regs)
		fprintf(out, "    RIP: %016" PRIx64 "  RSP: %016" PRIx64 "  (user mode)\n",
			bt->user_ip, bt->user_sp);
	if (bt->stopped) {
		fputs("    (unwinding stopped: ", out);
		report_text_put(out, bt->stopped);
		fputs(")\n", out);
	}
}

// "Title: unavailable (why)" for a part that could not be had.
static bool report_text_missing(FILE *out, const char *title, const char *why)
{
	if (!why)
		return false;
	fprintf(out, "\n%s: unavailable (", title);
	report_text_put(out, why);
	fputs(")\n", out);
	return true;
}

static void report_text_cpu(FILE *out, const struct kd_report_cpu *c)
{
	fprintf(out, "\n%s %zu (pid %" PRId32, c->panic ? "Panicking CPU" : "CPU", c->cpu, c->pid);
	if (c->comm[0]) {
		fputs(", ", out);
		report_text_put(out, c->comm);
	}
	fputs("):\n", out);
	if (c->bt) {
		report_text_frames(out, c->bt);
	} else {
		fputs("    (no backtrace: ", out);
		report_text_put(out, c->error);
		fputs(")\n", out);
	}
}

static void report_text_head(FILE *out, const struct kd_report *r, const char *path)
{
	fputs("kexdump report of ", out);
	report_text_put(out, path);
	fputs("\nkernel:    ", out);
	report_text_put(out, r->release[0] ? r->release : "unknown");
	fprintf(out, ", %zu CPU%s\n", r->ncpus, r->ncpus == 1 ? "" : "s");
	fputs("panic:     ", out);
	if (r->message[0]) {
		report_text_put(out, r->message);
	} else {
		fputs("unknown (", out);
		report_text_put(out, r->message_error);
		fputc(')', out);
	}
	fputc('\n', out);
	if (r->panic_cpu >= 0)
		fprintf(out, "cpu:       %ld\n", r->panic_cpu);
	else
		fputs("cpu:       unknown (no panic_cpu, no CPU stopped in crash_kexec)\n", out);
	if (r->panic_pid >= 0) {
		fprintf(out, "task:      pid %" PRId32 " (", r->panic_pid);
		report_text_put(out, r->panic_comm[0] ? r->panic_comm : "?");
		fputs(")\n", out);
	}
	if (r->has_crash_time) {
		time_t tt = (time_t)r->crash_time;
		struct tm tm;
		char buf[64];
		if (gmtime_r(&tt, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
			fprintf(out, "time:      %s", buf);
		else
			fprintf(out, "time:      %" PRId64, r->crash_time);
		if (r->has_uptime)
			fprintf(out, ", uptime %" PRIu64 ".%06" PRIu64 " s", r->uptime_ns / 1000000000u,
				r->uptime_ns % 1000000000u / 1000u);
		fputc('\n', out);
	} else if (r->has_uptime) {
		fprintf(out, "uptime:    %" PRIu64 ".%06" PRIu64 " s\n", r->uptime_ns / 1000000000u,
			r->uptime_ns % 1000000000u / 1000u);
	}
	if (r->symbols_error) {
		fputs("symbols:   none (", out);
		report_text_put(out, r->symbols_error);
		fputs(")\n", out);
	}
	if (r->has_taint) {
		fputs("taint:     ", out);
		report_text_put(out, r->taint);
		if (r->taint_mask)
			fprintf(out, " (%#" PRIx64 ")", r->taint_mask);
		fputc('\n', out);
	} else {
		fputs("taint:     unknown (", out);
		report_text_put(out, r->taint_error);
		fputs(")\n", out);
	}
	if (r->signature[0]) {
		fputs("signature: ", out);
		report_text_put(out, r->signature);
		fputc('\n', out);
	}
}

static void report_text_body(FILE *out, const struct kd_report *r)
{
	// The panicking CPU first: it is what the page is about.
	for (size_t i = 0; i < r->ncpus_walked; i++)
		if (r->cpus[i].panic)
			report_text_cpu(out, &r->cpus[i]);
	for (size_t i = 0; i < r->ncpus_walked; i++)
		if (!r->cpus[i].panic)
			report_text_cpu(out, &r->cpus[i]);
	report_text_missing(out, "CPUs", r->cpus_error);

	if (!report_text_missing(out, "Memory", r->memory_error)) {
		fputs("\nMemory:\n", out);
		for (size_t i = 0; i < r->nmemory; i++) {
			fprintf(out, "  %-20s ", r->memory[i].name);
			report_text_size(out, r->memory[i].bytes);
			fputc('\n', out);
		}
	}

	if (!report_text_missing(out, "Modules", r->modules_error)) {
		fprintf(out, "\nModules (%zu):\n", r->nmodules);
		if (r->nmodules)
			fprintf(out, "  %-24s %-18s %10s  %s\n", "NAME", "BASE", "SIZE", "TAINT");
		for (size_t i = 0; i < r->nmodules; i++) {
			const struct kd_module *m = &r->modules[i];
			fputs("  ", out);
			char name[sizeof(m->name) + 1];
			snprintf(name, sizeof(name), "%.*s", (int)sizeof(m->name), m->name);
			report_text_put(out, name);
			fprintf(out, "%*s %#018" PRIx64 " %10" PRIu64 "  ",
				strlen(name) < 24 ? (int)(24 - strlen(name)) : 0, "", m->base, m->size);
			char taint[sizeof(m->taint) + 1];
			snprintf(taint, sizeof(taint), "%.*s", (int)sizeof(m->taint), m->taint);
			report_text_put(out, taint);
			fputc('\n', out);
		}
	}

	if (!report_text_missing(out, "Tasks", r->tasks_error)) {
		// crash's ps habit: '>' on the tasks running on a CPU.
		fprintf(out, "\nTasks (%zu):\n     PID    PPID  CPU  ST  COMM\n", r->ntasks);
		for (size_t i = 0; i < r->ntasks; i++) {
			const struct kd_task *t = &r->tasks[i].task;
			char state[sizeof(t->state) + 1], comm[sizeof(t->comm) + 1];
			snprintf(state, sizeof(state), "%.*s", (int)sizeof(t->state), t->state);
			snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(t->comm), t->comm);
			fprintf(out, "%c%7" PRId32 " %7" PRId32 " %4" PRId32 "  ", t->running ? '>' : ' ',
				t->pid, t->ppid, t->cpu);
			report_text_put(out, state);
			fprintf(out, "%*s", (int)(4 - (strlen(state) < 4 ? strlen(state) : 4)), "");
			report_text_put(out, comm);
			fputc('\n', out);
		}
	}

	if (r->log_error && !r->nlog_tail) {
		report_text_missing(out, "Log", r->log_error);
	} else {
		fprintf(out, "\nLog (last %zu lines):\n", r->nlog_tail);
		for (size_t i = 0; i < r->nlog_tail; i++) {
			report_text_put(out, r->log_tail[i]);
			fputc('\n', out);
		}
		if (r->log_error) {
			fputs("(the log ends early: ", out);
			report_text_put(out, r->log_error);
			fputs(")\n", out);
		}
	}
}

KD_EXPORT struct kd_error *kd_report_text(const struct kd_report *r, const char *path,
					  char **ret, size_t *len_ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return &kd_enomem;
	report_text_head(out, r, path);
	report_text_body(out, r);
	bool failed = ferror(out);
	if (fclose(out) || failed) {
		free(buf);
		return &kd_enomem;
	}
	*ret = buf;
	if (len_ret)
		*len_ret = len;
	return NULL;
}

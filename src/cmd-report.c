// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump report: the first page to read after a crash (lib/kernel/report.c
// gathers it, lib/kernel/report-text.c writes the text). --json prints the
// shape docs/report.md documents; a part that cannot be had is null there
// and its reason is in "errors".
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

// The version of the JSON shape (docs/report.md): raised when a key
// changes meaning or goes away, not when one is added.
#define REPORT_JSON_VERSION 1

static void report_json_string_or_null(struct json *j, const char *key, const char *s)
{
	if (s && *s)
		json_string(j, key, s);
	else
		json_null(j, key);
}

// A fixed-size name from the dump (not NUL-terminated when full).
static void report_json_name(struct json *j, const char *key, const char *s, size_t len)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) ? len : sizeof(buf) - 1), s);
	json_string(j, key, buf);
}

// The keys cli_json_frames() writes, null: every object has them all.
static void report_json_no_frames(struct json *j)
{
	json_null(j, "backtrace");
	json_null(j, "stopped");
	json_null(j, "user_regs");
}

static void report_json_backtrace(struct json *j, const struct kd_backtrace *bt,
				  const char *error)
{
	if (bt) {
		cli_json_frames(j, "backtrace", bt);
		json_null(j, "error");
	} else {
		report_json_no_frames(j);
		report_json_string_or_null(j, "error", error ? error : "not gathered");
	}
}

static void report_json_panic(struct json *j, const struct kd_report *r)
{
	json_begin_object(j, "panic");
	report_json_string_or_null(j, "message", r->message);
	if (r->panic_cpu >= 0)
		json_u64(j, "cpu", (unsigned long long)r->panic_cpu);
	else
		json_null(j, "cpu");
	if (r->has_crash_time)
		json_i64(j, "time", r->crash_time);
	else
		json_null(j, "time");
	if (r->has_uptime) {
		json_f64(j, "uptime", (double)r->uptime_ns / 1e9);
		json_u64(j, "uptime_ns", r->uptime_ns);
	} else {
		json_null(j, "uptime");
		json_null(j, "uptime_ns");
	}
	if (r->has_taint) {
		json_begin_object(j, "taint");
		json_u64(j, "mask", r->taint_mask);
		json_string(j, "text", r->taint);
		json_end_object(j);
	} else {
		json_null(j, "taint");
	}
	if (r->panic_pid >= 0) {
		json_begin_object(j, "task");
		json_i64(j, "pid", r->panic_pid);
		report_json_string_or_null(j, "comm", r->panic_comm);
		json_end_object(j);
	} else {
		json_null(j, "task");
	}
	const struct kd_backtrace *bt = kd_report_panic_backtrace(r);
	if (bt)
		cli_json_frames(j, "backtrace", bt);
	else
		report_json_no_frames(j);
	report_json_string_or_null(j, "signature", r->signature);
	json_end_object(j);
}

static void report_json(const struct kd_report *r, const char *path)
{
	struct json j = { .out = stdout };
	json_begin_object(&j, NULL);
	json_u64(&j, "version", REPORT_JSON_VERSION);
	json_string(&j, "dump", path);
	report_json_string_or_null(&j, "release", r->release);
	report_json_panic(&j, r);

	if (r->cpus_error) {
		json_null(&j, "cpus");
	} else {
		json_begin_array(&j, "cpus");
		for (size_t i = 0; i < r->ncpus_walked; i++) {
			const struct kd_report_cpu *c = &r->cpus[i];
			json_begin_object(&j, NULL);
			json_u64(&j, "cpu", c->cpu);
			json_i64(&j, "pid", c->pid);
			report_json_string_or_null(&j, "comm", c->comm);
			json_bool(&j, "panic", c->panic);
			report_json_backtrace(&j, c->bt, c->error);
			json_end_object(&j);
		}
		json_end_array(&j);
	}

	if (r->tasks_error) {
		json_null(&j, "tasks");
	} else {
		json_begin_array(&j, "tasks");
		for (size_t i = 0; i < r->ntasks; i++) {
			const struct kd_report_task *rt = &r->tasks[i];
			json_begin_object(&j, NULL);
			json_i64(&j, "pid", rt->task.pid);
			json_i64(&j, "ppid", rt->task.ppid);
			report_json_name(&j, "comm", rt->task.comm, sizeof(rt->task.comm));
			report_json_name(&j, "state", rt->task.state, sizeof(rt->task.state));
			json_i64(&j, "cpu", rt->task.cpu);
			json_bool(&j, "running", rt->task.running);
			json_hex(&j, "task", rt->task.addr);
			report_json_backtrace(&j, rt->bt, rt->error);
			json_end_object(&j);
		}
		json_end_array(&j);
	}

	if (r->modules_error) {
		json_null(&j, "modules");
	} else {
		json_begin_array(&j, "modules");
		for (size_t i = 0; i < r->nmodules; i++) {
			const struct kd_module *m = &r->modules[i];
			json_begin_object(&j, NULL);
			report_json_name(&j, "name", m->name, sizeof(m->name));
			json_hex(&j, "address", m->base);
			json_u64(&j, "size", m->size);
			report_json_name(&j, "taint", m->taint, sizeof(m->taint));
			json_end_object(&j);
		}
		json_end_array(&j);
	}

	if (r->memory_error) {
		json_null(&j, "memory");
	} else {
		json_begin_object(&j, "memory");
		for (size_t i = 0; i < r->nmemory; i++)
			json_u64(&j, r->memory[i].name, r->memory[i].bytes);
		json_end_object(&j);
	}

	if (r->log_error && !r->nlog_tail) {
		json_null(&j, "log_tail");
	} else {
		json_begin_array(&j, "log_tail");
		for (size_t i = 0; i < r->nlog_tail; i++)
			json_string(&j, NULL, r->log_tail[i]);
		json_end_array(&j);
	}

	// Why each part that is missing is missing, one line each.
	json_begin_object(&j, "errors");
	static const char *const names[] = { "message", "symbols", "taint", "cpus", "memory",
					     "modules", "tasks", "log" };
	const char *whys[] = { r->message_error, r->symbols_error, r->taint_error, r->cpus_error,
			       r->memory_error, r->modules_error, r->tasks_error, r->log_error };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (whys[i])
			json_string(&j, names[i], whys[i]);
	json_end_object(&j);
	json_end_object(&j);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "log-lines", required_argument, NULL, 'n' },
		{ "system-map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] =
		"kexdump report DUMP [--json] [--log-lines N] [--system-map FILE]";
	bool json = false;
	const char *system_map = NULL;
	struct kd_report_options ro = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "jn:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'n': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || !v || v > 10000)
				return cli_usage("report: --log-lines takes 1 to 10000: %s", optarg);
			ro.log_lines = v;
			break;
		}
		case 'm':
			system_map = optarg;
			break;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (optind + 1 != argc)
		return cli_usage("%s", usage);
	// The JSON holds every task's stack; the text only the task table.
	ro.task_backtraces = json;
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	int rc = cli_open(argv[optind], system_map, &dump, &kernel);
	if (rc)
		return rc;
	struct kd_report *r;
	struct kd_error *err = kd_report_create(kernel, &ro, &r);
	if (err) {
		cli_close(dump, kernel);
		return cli_fail(kd_error_prefix(err, "%s", argv[optind]));
	}
	if (json) {
		report_json(r, argv[optind]);
	} else {
		char *text;
		size_t len;
		err = kd_report_text(r, argv[optind], &text, &len);
		if (err) {
			kd_report_destroy(r);
			cli_close(dump, kernel);
			return cli_fail(kd_error_prefix(err, "%s", argv[optind]));
		}
		fwrite(text, 1, len, stdout);
		free(text);
	}
	kd_report_destroy(r);
	cli_close(dump, kernel);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}

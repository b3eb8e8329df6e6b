// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump bt: kernel stacks at the crash, unwound with the dump's own ORC
// tables (no debug vmlinux): the panicking task by default, the tasks on
// given CPUs, or every CPU. Frames print as crash prints them, one per line,
// "#N [sp] function+0xoff/0xsize [module]", with "--- <IRQ stack> ---"
// where the walk leaves a stack.
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void cli_print_frames(FILE *out, const struct kd_backtrace *bt)
{
	for (size_t i = 0; i < bt->nframes; i++) {
		const struct kd_frame *f = &bt->frames[i];
		// The line names the stack being left, as crash does.
		if (f->flags & KD_FRAME_TRANSITION)
			fprintf(out, "--- <%s stack> ---\n",
				cli_sanitize(bt->frames[i - 1].stack));
		fprintf(out, "%s#%zu [%016" PRIx64 "] ", i < 10 ? " " : "", i, f->sp);
		if (f->function && f->size)
			fprintf(out, "%s+%#" PRIx64 "/%#" PRIx64, cli_sanitize(f->function),
				f->offset, f->size);
		else if (f->function)
			fprintf(out, "%s+%#" PRIx64, cli_sanitize(f->function), f->offset);
		else
			fprintf(out, "%#" PRIx64, f->address);
		if (f->module)
			fprintf(out, " [%s]", cli_sanitize(f->module));
		if (f->flags & KD_FRAME_REGS)
			fputs(" (exception RIP)", out);
		if (f->flags & KD_FRAME_GUESSED)
			fputs(" (guessed)", out);
		fputc('\n', out);
	}
	if (bt->user_regs)
		fprintf(out, "    RIP: %016" PRIx64 "  RSP: %016" PRIx64 "  (user mode)\n",
			bt->user_ip, bt->user_sp);
	if (bt->stopped)
		fprintf(out, "    (unwinding stopped: %s)\n", cli_sanitize(bt->stopped));
}

void cli_json_frames(struct json *j, const char *key, const struct kd_backtrace *bt)
{
	json_begin_array(j, key);
	for (size_t i = 0; i < bt->nframes; i++) {
		const struct kd_frame *f = &bt->frames[i];
		json_begin_object(j, NULL);
		json_hex(j, "address", f->address);
		json_hex(j, "sp", f->sp);
		if (f->function)
			json_string(j, "function", f->function);
		else
			json_null(j, "function");
		json_u64(j, "offset", f->offset);
		json_u64(j, "size", f->size);
		if (f->module)
			json_string(j, "module", f->module);
		else
			json_null(j, "module");
		json_string(j, "stack", f->stack);
		json_begin_array(j, "flags");
		if (f->flags & KD_FRAME_GUESSED)
			json_string(j, NULL, "guessed");
		if (f->flags & KD_FRAME_REGS)
			json_string(j, NULL, "regs");
		if (f->flags & KD_FRAME_TRANSITION)
			json_string(j, NULL, "transition");
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
	if (bt->stopped)
		json_string(j, "stopped", bt->stopped);
	else
		json_null(j, "stopped");
	if (bt->user_regs) {
		json_begin_object(j, "user_regs");
		json_hex(j, "ip", bt->user_ip);
		json_hex(j, "sp", bt->user_sp);
		json_end_object(j);
	} else {
		json_null(j, "user_regs");
	}
}

struct bt_opts {
	bool json, all;
	size_t *cpus;
	size_t ncpus;
};

static int bt_cpus(struct kd_kernel *kernel, const struct bt_opts *o,
		   long panic_cpu)
{
	struct json j = { .out = stdout };
	if (o->json) {
		json_begin_object(&j, NULL);
		if (panic_cpu >= 0)
			json_u64(&j, "panic_cpu", (unsigned long long)panic_cpu);
		else
			json_null(&j, "panic_cpu");
		json_begin_array(&j, "backtraces");
	}
	int rc = 0;
	for (size_t i = 0; i < o->ncpus; i++) {
		struct kd_backtrace *bt;
		struct kd_error *err = kd_unwind_cpu(kernel, o->cpus[i], &bt);
		if (err) {
			rc = cli_fail(err);
			break;
		}
		if (o->json) {
			json_begin_object(&j, NULL);
			json_u64(&j, "cpu", o->cpus[i]);
			json_u64(&j, "pid", bt->pid);
			json_bool(&j, "panic", (long)o->cpus[i] == panic_cpu);
			cli_json_frames(&j, "frames", bt);
			json_end_object(&j);
		} else {
			if (i)
				putchar('\n');
			printf("PID: %" PRIu32 "  CPU: %zu%s\n", bt->pid, o->cpus[i],
			       (long)o->cpus[i] == panic_cpu ? "  (panic)" : "");
			cli_print_frames(stdout, bt);
		}
		kd_unwind_destroy(bt);
	}
	if (o->json) {
		json_end_array(&j);
		json_end_object(&j);
	}
	return rc;
}

// The tasks with the given pids: a running one from its CPU's registers,
// a sleeping one from its saved frame (kd_unwind_task()). The idle tasks
// all have pid 0.
static int bt_pids(struct kd_kernel *kernel, const char *path, bool json,
		   char **pids, int npids, long panic_cpu)
{
	struct kd_task *tasks;
	size_t n;
	struct kd_error *err = kd_task_list(kernel, &tasks, &n);
	if (err)
		return cli_fail(err);
	struct json j = { .out = stdout };
	if (json) {
		json_begin_object(&j, NULL);
		if (panic_cpu >= 0)
			json_u64(&j, "panic_cpu", (unsigned long long)panic_cpu);
		else
			json_null(&j, "panic_cpu");
		json_begin_array(&j, "backtraces");
	}
	int rc = 0;
	size_t shown = 0;
	for (int a = 0; a < npids && !rc; a++) {
		char *end;
		long pid = strtol(pids[a], &end, 10);
		bool found = false;
		for (size_t i = 0; i < n && !rc; i++) {
			const struct kd_task *t = &tasks[i];
			if (t->pid != pid)
				continue;
			found = true;
			struct kd_backtrace *bt;
			size_t ncpus = kd_dump_num_cpus(kd_kernel_dump(kernel));
			if (t->running && t->cpu >= 0 && (size_t)t->cpu < ncpus)
				err = kd_unwind_cpu(kernel, (size_t)t->cpu, &bt);
			else
				err = kd_unwind_task(kernel, t->stack, t->thread_sp, &bt);
			if (err) {
				rc = cli_fail(err);
				break;
			}
			if (json) {
				json_begin_object(&j, NULL);
				json_i64(&j, "cpu", t->cpu);
				json_i64(&j, "pid", t->pid);
				json_string(&j, "comm", t->comm);
				json_hex(&j, "task", t->addr);
				json_bool(&j, "running", t->running);
				json_bool(&j, "panic", t->running && t->cpu == panic_cpu);
				cli_json_frames(&j, "frames", bt);
				json_end_object(&j);
			} else {
				if (shown++)
					putchar('\n');
				printf("PID: %" PRId32 "  TASK: %016" PRIx64 "  CPU: %" PRId32
				       "  COMMAND: \"%s\"%s\n", t->pid, t->addr, t->cpu,
				       cli_sanitize(t->comm),
				       t->running && t->cpu == panic_cpu ? "  (panic)" : "");
				cli_print_frames(stdout, bt);
			}
			kd_unwind_destroy(bt);
		}
		if (!found && !rc)
			rc = cli_error("%s: no task with pid %ld", path, pid);
	}
	if (json && !rc) {
		json_end_array(&j);
		json_end_object(&j);
	}
	free(tasks);
	return rc;
}

int cmd_bt(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "system-map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] =
		"kexdump bt DUMP [PID...|--all|--cpu N...] [--json] [--system-map FILE]";
	struct bt_opts o = { 0 };
	const char *system_map = NULL;
	size_t cpu_args[64];
	int c;
	while ((c = getopt_long(argc, argv, "ac:jm:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.all = true;
			break;
		case 'c': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v > 65535 || o.ncpus == 64)
				return cli_usage("bt: --cpu takes a CPU number (up to 64 of them): %s",
						 optarg);
			cpu_args[o.ncpus++] = v;
			break;
		}
		case 'j':
			o.json = true;
			break;
		case 'm':
			system_map = optarg;
			break;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (optind + 1 > argc || (o.all && o.ncpus) ||
	    (optind + 1 < argc && (o.all || o.ncpus)))
		return cli_usage("%s", usage);
	// PIDs after the dump: digits only.
	for (int a = optind + 1; a < argc; a++)
		if (!*argv[a] || strspn(argv[a], "0123456789") != strlen(argv[a]) ||
		    strlen(argv[a]) > 9)
			return cli_usage("bt: a PID is a number: %s", argv[a]);
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	int rc = cli_open(argv[optind], system_map, &dump, &kernel);
	if (rc)
		return rc;
	size_t ncpus = kd_dump_num_cpus(dump), panic;
	long panic_cpu = -1;
	struct kd_error *err = kd_unwind_panic_cpu(kernel, &panic);
	if (!err)
		panic_cpu = (long)panic;
	if (optind + 1 < argc) {
		kd_error_destroy(err);
		rc = bt_pids(kernel, argv[optind], o.json, argv + optind + 1,
			     argc - optind - 1, panic_cpu);
		cli_close(dump, kernel);
		if (!rc && fflush(stdout))
			rc = EXIT_BAD_INPUT;
		return rc;
	}
	if (err && !o.all && !o.ncpus) {
		// Without symbols (a kernel before 6.0 and no --system-map)
		// panic_cpu cannot be read: say why in one line, and show what
		// the dump still tells, every CPU's registers unsymbolized.
		struct kd_error *serr = kd_kernel_load_symbols(kernel);
		if (serr || kd_kernel_num_symbols(kernel)) {
			kd_error_destroy(serr);
			cli_close(dump, kernel);
			return cli_fail(err);
		}
		cli_warn("%s: no symbol table (this kernel's VMCOREINFO has no kallsyms: give --system-map); "
			 "the panicking CPU is unknown, every CPU's stack follows, unsymbolized",
			 argv[optind]);
		o.all = true;
	}
	kd_error_destroy(err);
	size_t *list = NULL;
	if (o.all) {
		list = calloc(ncpus ? ncpus : 1, sizeof(*list));
		if (!list) {
			cli_close(dump, kernel);
			return cli_error("bt: out of memory");
		}
		for (size_t i = 0; i < ncpus; i++)
			list[i] = i;
		o.cpus = list;
		o.ncpus = ncpus;
	} else if (o.ncpus) {
		for (size_t i = 0; i < o.ncpus; i++)
			if (cpu_args[i] >= ncpus) {
				cli_close(dump, kernel);
				return cli_error("%s: no CPU %zu (the dump has %zu)",
						 argv[optind], cpu_args[i], ncpus);
			}
		o.cpus = cpu_args;
	} else {
		cpu_args[0] = panic;
		o.cpus = cpu_args;
		o.ncpus = 1;
	}
	rc = bt_cpus(kernel, &o, panic_cpu);
	free(list);
	cli_close(dump, kernel);
	if (!rc && fflush(stdout))
		rc = EXIT_BAD_INPUT;
	return rc;
}

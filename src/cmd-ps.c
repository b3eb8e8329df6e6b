// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump ps: every task of the dumped kernel (all threads, the idle task of
// every CPU), read with the dump's own BTF: pid, parent, CPU, state and
// command, with crash's '>' on the tasks running on a CPU at the crash and
// kernel threads in brackets.
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>

int cmd_ps(int argc, char **argv)
{
	static const char usage[] = "kexdump ps DUMP [--json] [--system-map FILE]";
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	bool json;
	int rc = cli_open_json(argc, argv, usage, &json, &dump, &kernel);
	if (rc)
		return rc;
	struct kd_task *tasks;
	size_t n;
	struct kd_error *err = kd_task_list(kernel, &tasks, &n);
	cli_close(dump, kernel);
	if (err)
		return cli_fail(err);
	if (json) {
		struct json j = { .out = stdout };
		json_begin_object(&j, NULL);
		json_begin_array(&j, "tasks");
		for (size_t i = 0; i < n; i++) {
			const struct kd_task *t = &tasks[i];
			json_begin_object(&j, NULL);
			json_i64(&j, "pid", t->pid);
			json_i64(&j, "ppid", t->ppid);
			json_i64(&j, "tgid", t->tgid);
			json_string(&j, "comm", t->comm);
			json_string(&j, "state", t->state);
			json_i64(&j, "cpu", t->cpu);
			json_bool(&j, "running", t->running);
			json_bool(&j, "kernel_thread", t->kernel_thread);
			json_hex(&j, "task", t->addr);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
	} else {
		printf("   PID    PPID  CPU       TASK        ST  COMM\n");
		for (size_t i = 0; i < n; i++) {
			const struct kd_task *t = &tasks[i];
			const char *comm = cli_sanitize(t->comm);
			printf("%c %6" PRId32 " %7" PRId32 " %4" PRId32 "  %016" PRIx64 "  %-2s  %s%s%s\n",
			       t->running ? '>' : ' ', t->pid, t->ppid, t->cpu, t->addr,
			       t->state, t->kernel_thread ? "[" : "", comm,
			       t->kernel_thread ? "]" : "");
		}
	}
	free(tasks);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}

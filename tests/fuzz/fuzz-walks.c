// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: the walks that follow pointers through the dumped
// kernel's memory, as "kexdump ps", "bt PID" and "report" run them: the
// task list and each task's threads, the per-CPU current and idle tasks,
// and every task's stack. A whole random dump almost never gets that far
// (it needs BTF, kallsyms and a consistent task list first, which
// fuzz-dump.c's seeds lack), so this target starts from the well-formed
// synthetic kernel of tests/unit/synth-tasks.h and lets the input damage
// its memory.
//
// Input: byte 0 picks the layout (bit 0: 5.10, else 6.1) and the CPU
// count (bits 1-2: 2, 1, 0 or 9000); then records of 10 bytes, each an
// 8-byte write into the tasks, signal structs and per-CPU areas: a
// little-endian u16 offset (bit 15 set: the value is made a pointer into
// the synthetic memory, the damage a real corrupt dump shows) and a
// little-endian u64 value.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kexdump/kexdump.h>

#include "synth-tasks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void damage(struct synth_tasks *st, const uint8_t *data, size_t size)
{
	static const uint32_t cpus[] = { 2, 1, 0, 9000 };
	st->nr_cpu_ids = cpus[(data[0] >> 1) & 3];
	for (size_t i = 1; i + 10 <= size; i += 10) {
		unsigned off = (unsigned)data[i] | (unsigned)data[i + 1] << 8;
		uint64_t v = le64(data + i + 2);
		if (off & 0x8000)
			v = SYNTH_KVA(v % ST_MEM_SIZE);
		off = ST_DATA_START + (off & 0x7fff) % (ST_DATA_END - ST_DATA_START - 8);
		synth_put64(st->mem + off, v);
	}
}

static void walk(struct kd_kernel *kernel)
{
	struct kd_task *tasks;
	size_t n;
	struct kd_error *err = kd_task_list(kernel, &tasks, &n);
	if (!err)
		free(tasks);
	kd_error_destroy(err);
	size_t ncpus = 0;
	kd_error_destroy(kd_task_num_cpus(kernel, &ncpus));
	for (size_t cpu = 0; cpu < ncpus && cpu < 4; cpu++) {
		struct kd_task t;
		kd_error_destroy(kd_task_current(kernel, cpu, &t));
	}
	struct kd_report_options o = { .log_lines = 5, .task_backtraces = true };
	struct kd_report *r;
	err = kd_report_create(kernel, &o, &r);
	if (!err) {
		char *text;
		struct kd_error *e = kd_report_text(r, "fuzz", &text, NULL);
		if (!e)
			free(text);
		kd_error_destroy(e);
		kd_report_destroy(r);
	}
	kd_error_destroy(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct synth_tasks st;
	synth_tasks_build(&st, !size || !(data[0] & 1));
	if (size)
		damage(&st, data, size);
	struct kd_error *err = synth_tasks_open(&st);
	if (!err)
		walk(st.f.kernel);
	kd_error_destroy(err);
	synth_tasks_close(&st);
	return 0;
}

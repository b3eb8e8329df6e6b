/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A synthetic kernel with tasks, shared by tests/unit/test-task.c and the
 * fuzz target tests/fuzz/fuzz-walks.c: a BTF blob written with libbpf's
 * writer in two layouts (6.1: __state, thread_info.cpu,
 * pcpu_hot.current_task; 5.10: state, task_struct.cpu, current_task), six
 * task_structs linked by hand (init_task, a process with two threads, a
 * kernel thread, a zombie, the idle task of CPU 1 that is on no list) and
 * two CPUs' per-CPU areas, all in one block at physical 0 (synth.h).
 * No cmocka here: a failure to build the fixture aborts.
 */
#ifndef KEXDUMP_TESTS_SYNTH_TASKS_H
#define KEXDUMP_TESTS_SYNTH_TASKS_H

#include <stdbool.h>
#include <stdint.h>

#include "synth.h"

#define ST_MEM_SIZE 0x20000u

/* task_struct layout of the synthetic BTF (both layouts share it; only
 * the names and sizes of state and cpu differ). */
enum {
	T_CPU = 8, T_STATE = 16, T_STACK = 24, T_TASKS = 32, T_MM = 48,
	T_EXIT_STATE = 56, T_PID = 60, T_TGID = 64, T_PARENT = 72,
	T_THREAD_NODE = 80, T_COMM = 96, T_SIGNAL = 112, T_THREAD_SP = 128,
	T_SIZE = 192,
	S_THREAD_HEAD = 8, S_SIZE = 32,
	RQ_CURR = 8, RQ_IDLE = 16, RQ_SIZE = 64,
};
/* Memory: tasks, signal structs, per-CPU areas, globals, the BTF blob. */
#define TASK(i) (0x1000u + 0x100u * (i))
#define SIG(i) (0x3000u + 0x40u * (i))
#define RUNQUEUES 0x8000u
#define PCPU_HOT 0x8100u
#define CPU1_OFFSET 0x400u
#define PER_CPU_OFFSET 0x9000u
#define NR_CPU_IDS 0x9100u
#define BTF_AT 0x10000u
/* What a test may damage: everything the task walks read, below the BTF. */
#define ST_DATA_START TASK(0)
#define ST_DATA_END (NR_CPU_IDS + 8u)

struct synth_tasks {
	uint8_t *mem;		/* ST_MEM_SIZE bytes, physical 0 */
	bool v61;
	uint32_t nr_cpu_ids;
	struct synth_fixture f;	/* set by synth_tasks_open() */
	char *map;		/* the System.map file naming the globals */
};

/* Lay out the six tasks and two CPUs in a fresh @p st->mem. */
void synth_tasks_build(struct synth_tasks *st, bool v61);
/* Put the BTF blob and nr_cpu_ids in memory, write the dump and its
 * System.map, and open both; returns the library's error, if any. */
struct kd_error *synth_tasks_open(struct synth_tasks *st);
/* Close the dump, remove its files, free the memory. */
void synth_tasks_close(struct synth_tasks *st);

#endif

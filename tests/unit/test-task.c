// SPDX-License-Identifier: LGPL-2.1-or-later
// Tasks (lib/kernel/task.c) on the synthetic kernel of synth-tasks.h (its
// BTF in the 6.1 and 5.10 layouts, six task_structs linked by hand, two
// CPUs' per-CPU areas; tests/fuzz/fuzz-walks.c damages the same). Every task must be listed once with its pid,
// parent, state, CPU and running mark; damaged lists (loops that miss the
// head, broken and misaligned links) and a bad CPU count give errors,
// never a hang.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "synth-tasks.h"

#define MEM_SIZE ST_MEM_SIZE
#define KVA(off) SYNTH_KVA(off)

struct fixture {
	struct synth_tasks st;
	uint8_t *mem;
	uint32_t nr_cpu_ids;
	struct synth_fixture f;
};

static void build(struct fixture *fx, bool v61)
{
	synth_tasks_build(&fx->st, v61);
	fx->mem = fx->st.mem;
	fx->nr_cpu_ids = fx->st.nr_cpu_ids;
}

static void open_kernel(struct fixture *fx)
{
	fx->st.nr_cpu_ids = fx->nr_cpu_ids;
	struct kd_error *err = synth_tasks_open(&fx->st);
	if (err)
		fail_msg("%s", kd_error_message(err));
	fx->f = fx->st.f;
}

static void fixture_close(struct fixture *fx)
{
	synth_tasks_close(&fx->st);
}

static void check_task(const struct kd_task *t, int i, int pid, int ppid, int tgid,
		       const char *comm, const char *state, int cpu, bool running,
		       bool kthread)
{
	assert_int_equal(t->addr, KVA(TASK(i)));
	assert_int_equal(t->pid, pid);
	assert_int_equal(t->ppid, ppid);
	assert_int_equal(t->tgid, tgid);
	assert_string_equal(t->comm, comm);
	assert_string_equal(t->state, state);
	assert_int_equal(t->cpu, cpu);
	assert_int_equal(t->running, running);
	assert_int_equal(t->kernel_thread, kthread);
	assert_int_equal(t->stack, 0xffffc90000000000ull + 0x4000u * (unsigned)i);
	assert_int_equal(t->thread_sp, 0xffffc90000003e00ull + 0x4000u * (unsigned)i);
}

static void check_list(bool v61)
{
	struct fixture fx;
	build(&fx, v61);
	open_kernel(&fx);
	struct kd_task *tasks;
	size_t n;
	struct kd_error *err = kd_task_list(fx.f.kernel, &tasks, &n);
	if (err)
		fail_msg("%s", kd_error_message(err));
	assert_int_equal(n, 6);
	// By pid; the idle tasks by CPU.
	check_task(&tasks[0], 0, 0, 0, 0, "swapper/0", "RU", 0, false, true);
	check_task(&tasks[1], 5, 0, 0, 0, "swapper/1", "RU", 1, true, true);
	check_task(&tasks[2], 1, 1, 0, 1, "init", "IN", 1, false, false);
	check_task(&tasks[3], 3, 2, 0, 2, "kthreadd", "ID", 1, false, true);
	check_task(&tasks[4], 4, 3, 1, 3, "sh", "ZO", 0, false, false);
	check_task(&tasks[5], 2, 5, 0, 1, "init-worker", "RU", 0, true, false);
	free(tasks);

	struct kd_task t;
	assert_null(kd_task_current(fx.f.kernel, 0, &t));
	check_task(&t, 2, 5, 0, 1, "init-worker", "RU", 0, true, false);
	assert_null(kd_task_current(fx.f.kernel, 1, &t));
	check_task(&t, 5, 0, 0, 0, "swapper/1", "RU", 1, true, true);
	err = kd_task_current(fx.f.kernel, 2, &t);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_non_null(strstr(kd_error_message(err), "no CPU 2 (nr_cpu_ids is 2)"));
	kd_error_destroy(err);
	size_t ncpus;
	assert_null(kd_task_num_cpus(fx.f.kernel, &ncpus));
	assert_int_equal(ncpus, 2);
	fixture_close(&fx);
}

static void test_list_v61(void **state)
{
	(void)state;
	check_list(true);
}

static void test_list_v510(void **state)
{
	(void)state;
	check_list(false);
}

// crash's two-letter states from the TASK_* bits.
static void test_states(void **state)
{
	(void)state;
	static const struct { uint32_t state; int exit_state; const char *name; } cases[] = {
		{ 0, 0, "RU" }, { 1, 0, "IN" }, { 2, 0, "UN" }, { 0x402, 0, "ID" },
		{ 0x102, 0, "UN" } /* TASK_KILLABLE */, { 0x2001, 0, "IN" } /* freezable */,
		{ 4, 0, "ST" }, { 8, 0, "TR" }, { 0x40, 0, "PA" }, { 0x80, 0x10, "DE" },
		{ 0x80, 0x20, "ZO" }, { 0x200, 0, "WA" }, { 0x800, 0, "NE" },
		{ 0x1000, 0, "??" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture fx;
		build(&fx, true);
		synth_put32(fx.mem + TASK(1) + T_STATE, cases[i].state);
		synth_put32(fx.mem + TASK(1) + T_EXIT_STATE, (uint32_t)cases[i].exit_state);
		open_kernel(&fx);
		struct kd_task t;
		assert_null(kd_task_read(fx.f.kernel, KVA(TASK(1)), &t));
		assert_string_equal(t.state, cases[i].name);
		assert_int_equal(t.raw_state, cases[i].state);
		fixture_close(&fx);
	}
}

static void expect_error(struct fixture *fx, enum kd_error_code code, const char *needle)
{
	open_kernel(fx);
	struct kd_task *tasks = NULL;
	size_t n = 0;
	struct kd_error *err = kd_task_list(fx->f.kernel, &tasks, &n);
	if (!err)
		fail_msg("listed %zu tasks, expected: %s", n, needle);
	const char *msg = kd_error_message(err);
	if ((code && kd_error_code(err) != code) || !strstr(msg, needle) ||
	    !strstr(msg, fx->f.path) || strchr(msg, '\n'))
		fail_msg("code %d: %s (expected %s)", kd_error_code(err), msg, needle);
	kd_error_destroy(err);
	fixture_close(fx);
}

// Hostile lists: each an error naming the dump and the list, no hang.
static void test_hostile(void **state)
{
	(void)state;
	struct fixture fx;
	// kthreadd -> init: a loop that never comes back to init_task.
	build(&fx, true);
	synth_put64(fx.mem + TASK(4) + T_TASKS, KVA(TASK(1) + T_TASKS));
	expect_error(&fx, KD_ERROR_CORRUPT,
		     "the task list (init_task.tasks): the list loops without coming back to its head");
	// A task whose next is itself.
	build(&fx, true);
	synth_put64(fx.mem + TASK(3) + T_TASKS, KVA(TASK(3) + T_TASKS));
	expect_error(&fx, KD_ERROR_CORRUPT, "loops");
	// A thread list that loops.
	build(&fx, true);
	synth_put64(fx.mem + TASK(2) + T_THREAD_NODE, KVA(TASK(1) + T_THREAD_NODE));
	expect_error(&fx, KD_ERROR_CORRUPT, "the threads of the task at");
	// NULL and misaligned links.
	build(&fx, true);
	synth_put64(fx.mem + TASK(3) + T_TASKS, 0);
	expect_error(&fx, KD_ERROR_CORRUPT, "a broken link (0) after 2 entries");
	build(&fx, true);
	synth_put64(fx.mem + TASK(3) + T_TASKS, KVA(TASK(4) + T_TASKS + 3));
	expect_error(&fx, KD_ERROR_CORRUPT, "a broken link");
	// A link outside the dump: the task it leads to cannot be read.
	build(&fx, true);
	synth_put64(fx.mem + TASK(3) + T_TASKS, KVA(MEM_SIZE + 0x1000));
	expect_error(&fx, KD_ERROR_NODATA, "its signal_struct");
	// A signal_struct outside the dump.
	build(&fx, true);
	synth_put64(fx.mem + TASK(3) + T_SIGNAL, KVA(MEM_SIZE + 0x1000) - S_THREAD_HEAD);
	expect_error(&fx, 0, "the threads of the task at");
	// A parent outside the dump.
	build(&fx, true);
	synth_put64(fx.mem + TASK(4) + T_PARENT, KVA(MEM_SIZE + 0x1000));
	expect_error(&fx, 0, "the task at");
	// CPU counts.
	build(&fx, true);
	fx.nr_cpu_ids = 0;
	expect_error(&fx, KD_ERROR_CORRUPT, "nr_cpu_ids is 0 (1 to 8192 expected)");
	build(&fx, true);
	fx.nr_cpu_ids = 100000;
	expect_error(&fx, KD_ERROR_CORRUPT, "nr_cpu_ids is 100000");
	// __per_cpu_offset[] sends CPU 1 outside the dump.
	build(&fx, true);
	synth_put64(fx.mem + PER_CPU_OFFSET + 8, 0x100000000ull);
	expect_error(&fx, 0, "the idle task of CPU 1");
}

// The same task reached twice (a CPU's current task that is also a
// leader, the idle task of CPU 0 which is init_task) is listed once.
static void test_dedup(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, true);
	synth_put64(fx.mem + PCPU_HOT + CPU1_OFFSET, KVA(TASK(1)));
	open_kernel(&fx);
	struct kd_task *tasks;
	size_t n;
	assert_null(kd_task_list(fx.f.kernel, &tasks, &n));
	assert_int_equal(n, 6);
	check_task(&tasks[2], 1, 1, 0, 1, "init", "IN", 1, true, false);
	// swapper/1 is still listed (runqueues.idle) but not running.
	check_task(&tasks[1], 5, 0, 0, 0, "swapper/1", "RU", 1, false, true);
	free(tasks);
	fixture_close(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_v61),
		cmocka_unit_test(test_list_v510),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_dedup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

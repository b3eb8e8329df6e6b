// SPDX-License-Identifier: LGPL-2.1-or-later
// Tasks (lib/kernel/task.c) on a synthetic kernel: a BTF blob written here
// with libbpf's writer in two layouts (6.1: __state, thread_info.cpu,
// pcpu_hot.current_task; 5.10: state, task_struct.cpu, current_task), six
// task_structs linked by hand (init_task, a process with two threads, a
// kernel thread, a zombie, the idle task of CPU 1 that is on no list) and
// two CPUs' per-CPU areas. Every task must be listed once with its pid,
// parent, state, CPU and running mark; damaged lists (loops that miss the
// head, broken and misaligned links) and a bad CPU count give errors,
// never a hang.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "synth.h"

#define MEM_SIZE 0x20000u
#define KVA(off) SYNTH_KVA(off)

// task_struct layout of the synthetic BTF (both layouts share it; only
// the names and sizes of state and cpu differ).
enum {
	T_CPU = 8, T_STATE = 16, T_STACK = 24, T_TASKS = 32, T_MM = 48,
	T_EXIT_STATE = 56, T_PID = 60, T_TGID = 64, T_PARENT = 72,
	T_THREAD_NODE = 80, T_COMM = 96, T_SIGNAL = 112, T_THREAD_SP = 128,
	T_SIZE = 192,
	S_THREAD_HEAD = 8, S_SIZE = 32,
	RQ_CURR = 8, RQ_IDLE = 16, RQ_SIZE = 64,
};
// Memory: tasks, signal structs, per-CPU areas, globals, the BTF blob.
#define TASK(i) (0x1000u + 0x100u * (i))
#define SIG(i) (0x3000u + 0x40u * (i))
#define RUNQUEUES 0x8000u
#define PCPU_HOT 0x8100u
#define CPU1_OFFSET 0x400u
#define PER_CPU_OFFSET 0x9000u
#define NR_CPU_IDS 0x9100u
#define BTF_AT 0x10000u

static uint8_t *make_blob(bool v61, uint32_t *len_ret)
{
	struct btf *b = btf__new_empty();
	assert_non_null(b);
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int u32 = btf__add_int(b, "unsigned int", 4, 0);
	int u64 = btf__add_int(b, "unsigned long", 8, 0);
	int l64 = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	int ch = btf__add_int(b, "char", 1, BTF_INT_CHAR);
	int vptr = btf__add_ptr(b, 0);
	int comm = btf__add_array(b, i32, ch, 16);
	int lh = btf__add_struct(b, "list_head", 16);
	int lhp = btf__add_ptr(b, lh);
	btf__add_field(b, "next", lhp, 0, 0);
	btf__add_field(b, "prev", lhp, 64, 0);
	int ts_fwd = btf__add_fwd(b, "task_struct", BTF_FWD_STRUCT);
	int tsp = btf__add_ptr(b, ts_fwd);
	int ss = btf__add_struct(b, "signal_struct", S_SIZE);
	btf__add_field(b, "nr_threads", i32, 0, 0);
	btf__add_field(b, "thread_head", lh, S_THREAD_HEAD * 8, 0);
	int ssp = btf__add_ptr(b, ss);
	int th = btf__add_struct(b, "thread_struct", 8);
	btf__add_field(b, "sp", u64, 0, 0);
	int ti = btf__add_struct(b, "thread_info", 16);
	btf__add_field(b, "flags", u64, 0, 0);
	btf__add_field(b, "cpu", u32, 64, 0);
	int t = btf__add_struct(b, "task_struct", T_SIZE);
	if (v61) {
		btf__add_field(b, "thread_info", ti, 0, 0);
		btf__add_field(b, "__state", u32, T_STATE * 8, 0);
	} else {
		btf__add_field(b, "cpu", i32, T_CPU * 8, 0);
		btf__add_field(b, "state", l64, T_STATE * 8, 0);
	}
	btf__add_field(b, "stack", vptr, T_STACK * 8, 0);
	btf__add_field(b, "tasks", lh, T_TASKS * 8, 0);
	btf__add_field(b, "mm", vptr, T_MM * 8, 0);
	btf__add_field(b, "exit_state", i32, T_EXIT_STATE * 8, 0);
	btf__add_field(b, "pid", i32, T_PID * 8, 0);
	btf__add_field(b, "tgid", i32, T_TGID * 8, 0);
	btf__add_field(b, "real_parent", tsp, T_PARENT * 8, 0);
	btf__add_field(b, "thread_node", lh, T_THREAD_NODE * 8, 0);
	btf__add_field(b, "comm", comm, T_COMM * 8, 0);
	btf__add_field(b, "signal", ssp, T_SIGNAL * 8, 0);
	btf__add_field(b, "thread", th, T_THREAD_SP * 8, 0);
	int tp = btf__add_ptr(b, t);
	int rq = btf__add_struct(b, "rq", RQ_SIZE);
	btf__add_field(b, "nr_running", u32, 0, 0);
	btf__add_field(b, "curr", tp, RQ_CURR * 8, 0);
	btf__add_field(b, "idle", tp, RQ_IDLE * 8, 0);
	btf__add_var(b, "runqueues", BTF_VAR_GLOBAL_ALLOCATED, rq);
	if (v61) {
		int ph = btf__add_struct(b, "pcpu_hot", 64);
		btf__add_field(b, "current_task", tp, 0, 0);
		btf__add_field(b, "preempt_count", i32, 64, 0);
		btf__add_var(b, "pcpu_hot", BTF_VAR_GLOBAL_ALLOCATED, ph);
	} else {
		btf__add_var(b, "current_task", BTF_VAR_GLOBAL_ALLOCATED, tp);
	}
	uint32_t len;
	const void *raw = btf__raw_data(b, &len);
	assert_non_null(raw);
	uint8_t *copy = malloc(len);
	memcpy(copy, raw, len);
	btf__free(b);
	*len_ret = len;
	return copy;
}

struct fixture {
	uint8_t *mem;
	bool v61;
	uint32_t nr_cpu_ids;
	struct synth_fixture f;
	char *map;
};

// Link the list_heads at @p nodes (physical) into a circular list.
static void link_list(uint8_t *mem, const uint32_t *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		synth_put64(mem + nodes[i], KVA(nodes[(i + 1) % n]));
		synth_put64(mem + nodes[i] + 8, KVA(nodes[(i + n - 1) % n]));
	}
}

static void put_task(uint8_t *mem, int i, int pid, int tgid, const char *comm,
		     uint32_t state, int exit_state, int parent, uint32_t cpu,
		     int sig, bool mm)
{
	uint8_t *p = mem + TASK(i);
	synth_put32(p + T_PID, (uint32_t)pid);
	synth_put32(p + T_TGID, (uint32_t)tgid);
	memcpy(p + T_COMM, comm, strlen(comm) + 1);
	synth_put64(p + T_STATE, state);
	synth_put32(p + T_EXIT_STATE, (uint32_t)exit_state);
	synth_put64(p + T_PARENT, parent >= 0 ? KVA(TASK(parent)) : 0);
	synth_put32(p + T_CPU, cpu);
	synth_put64(p + T_SIGNAL, KVA(SIG(sig)));
	synth_put64(p + T_MM, mm ? KVA(0xa000) : 0);
	synth_put64(p + T_STACK, 0xffffc90000000000ull + 0x4000u * (unsigned)i);
	synth_put64(p + T_THREAD_SP, 0xffffc90000003e00ull + 0x4000u * (unsigned)i);
}

// The kernel: init_task (0, swapper/0), init (1) and its thread (5),
// kthreadd (2), a zombie (3, init's child), swapper/1 (on no list).
// CPU 0 runs thread 5, CPU 1 is idle.
static void build(struct fixture *fx, bool v61)
{
	*fx = (struct fixture){ .mem = calloc(1, MEM_SIZE), .v61 = v61, .nr_cpu_ids = 2 };
	uint8_t *mem = fx->mem;
	put_task(mem, 0, 0, 0, "swapper/0", 0, 0, -1, 0, 0, false);
	put_task(mem, 1, 1, 1, "init", 1, 0, 0, 1, 1, true);
	put_task(mem, 2, 5, 1, "init-worker", 0, 0, 0, 1, 1, true);
	put_task(mem, 3, 2, 2, "kthreadd", 0x402, 0, 0, 1, 3, false);
	put_task(mem, 4, 3, 3, "sh", 0x80, 0x20, 1, 0, 4, true);
	put_task(mem, 5, 0, 0, "swapper/1", 0, 0, 1, 1, 0, false);
	link_list(mem, (const uint32_t[]){ TASK(0) + T_TASKS, TASK(1) + T_TASKS,
			TASK(3) + T_TASKS, TASK(4) + T_TASKS }, 4);
	link_list(mem, (const uint32_t[]){ SIG(0) + S_THREAD_HEAD,
			TASK(0) + T_THREAD_NODE }, 2);
	link_list(mem, (const uint32_t[]){ SIG(1) + S_THREAD_HEAD,
			TASK(1) + T_THREAD_NODE, TASK(2) + T_THREAD_NODE }, 3);
	link_list(mem, (const uint32_t[]){ SIG(3) + S_THREAD_HEAD,
			TASK(3) + T_THREAD_NODE }, 2);
	link_list(mem, (const uint32_t[]){ SIG(4) + S_THREAD_HEAD,
			TASK(4) + T_THREAD_NODE }, 2);
	// Per-CPU: CPU 1's copies CPU1_OFFSET above CPU 0's.
	synth_put64(mem + PER_CPU_OFFSET, 0);
	synth_put64(mem + PER_CPU_OFFSET + 8, CPU1_OFFSET);
	synth_put64(mem + RUNQUEUES + RQ_IDLE, KVA(TASK(0)));
	synth_put64(mem + RUNQUEUES + RQ_CURR, KVA(TASK(2)));
	synth_put64(mem + RUNQUEUES + CPU1_OFFSET + RQ_IDLE, KVA(TASK(5)));
	synth_put64(mem + RUNQUEUES + CPU1_OFFSET + RQ_CURR, KVA(TASK(5)));
	synth_put64(mem + PCPU_HOT, KVA(TASK(2)));
	synth_put64(mem + PCPU_HOT + CPU1_OFFSET, KVA(TASK(5)));
}

static void open_kernel(struct fixture *fx)
{
	uint32_t len;
	uint8_t *blob = make_blob(fx->v61, &len);
	assert_true(len < MEM_SIZE - BTF_AT);
	memcpy(fx->mem + BTF_AT, blob, len);
	free(blob);
	synth_put32(fx->mem + NR_CPU_IDS, fx->nr_cpu_ids);
	char map[1024];
	int n = snprintf(map, sizeof(map),
		"%llx R __start_BTF\n%llx R __stop_BTF\n%llx D init_task\n"
		"%llx D __per_cpu_offset\n%llx D nr_cpu_ids\n%llx D %s\n%llx D runqueues\n",
		(unsigned long long)KVA(BTF_AT), (unsigned long long)KVA(BTF_AT + len),
		(unsigned long long)KVA(TASK(0)), (unsigned long long)KVA(PER_CPU_OFFSET),
		(unsigned long long)KVA(NR_CPU_IDS), (unsigned long long)KVA(PCPU_HOT),
		fx->v61 ? "pcpu_hot" : "current_task", (unsigned long long)KVA(RUNQUEUES));
	fx->map = synth_write_bytes(map, (size_t)n);
	struct synth *s = synth_new();
	synth_vmcoreinfo(s, "OSRELEASE=%s\nPAGESIZE=4096\nNUMBER(phys_base)=0\n",
			 fx->v61 ? "6.1.0-test" : "5.10.0-test");
	synth_load(s, 0, 0, fx->mem, MEM_SIZE);
	fx->f.path = synth_write(s);
	synth_free(s);
	assert_null(kd_dump_open(fx->f.path, &fx->f.dump));
	struct kd_kernel_options opts = { .system_map = fx->map };
	assert_null(kd_kernel_open(fx->f.dump, &opts, &fx->f.kernel));
}

static void fixture_close(struct fixture *fx)
{
	synth_fixture_close(&fx->f);
	unlink(fx->map);
	free(fx->map);
	free(fx->mem);
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

// SPDX-License-Identifier: LGPL-2.1-or-later
// The synthetic kernel with tasks of synth-tasks.h.
#include "synth-tasks.h"

#include <kexdump/kexdump.h>

#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KVA(off) SYNTH_KVA(off)

static uint8_t *make_blob(bool v61, uint32_t *len_ret)
{
	struct btf *b = btf__new_empty();
	if (!b)
		abort();
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
	uint8_t *copy = raw ? malloc(len) : NULL;
	if (!copy)
		abort();
	memcpy(copy, raw, len);
	btf__free(b);
	*len_ret = len;
	return copy;
}


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
void synth_tasks_build(struct synth_tasks *st, bool v61)
{
	*st = (struct synth_tasks){ .mem = calloc(1, ST_MEM_SIZE), .v61 = v61, .nr_cpu_ids = 2 };
	uint8_t *mem = st->mem;
	if (!mem)
		abort();
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

struct kd_error *synth_tasks_open(struct synth_tasks *st)
{
	uint32_t len;
	uint8_t *blob = make_blob(st->v61, &len);
	if (len > ST_MEM_SIZE - BTF_AT)
		abort();
	memcpy(st->mem + BTF_AT, blob, len);
	free(blob);
	synth_put32(st->mem + NR_CPU_IDS, st->nr_cpu_ids);
	char map[1024];
	int n = snprintf(map, sizeof(map),
		"%llx R __start_BTF\n%llx R __stop_BTF\n%llx D init_task\n"
		"%llx D __per_cpu_offset\n%llx D nr_cpu_ids\n%llx D %s\n%llx D runqueues\n",
		(unsigned long long)KVA(BTF_AT), (unsigned long long)KVA(BTF_AT + len),
		(unsigned long long)KVA(TASK(0)), (unsigned long long)KVA(PER_CPU_OFFSET),
		(unsigned long long)KVA(NR_CPU_IDS), (unsigned long long)KVA(PCPU_HOT),
		st->v61 ? "pcpu_hot" : "current_task", (unsigned long long)KVA(RUNQUEUES));
	st->map = synth_write_bytes(map, (size_t)n);
	struct synth *s = synth_new();
	synth_vmcoreinfo(s, "OSRELEASE=%s\nPAGESIZE=4096\nNUMBER(phys_base)=0\n",
			 st->v61 ? "6.1.0-test" : "5.10.0-test");
	synth_load(s, 0, 0, st->mem, ST_MEM_SIZE);
	st->f.path = synth_write(s);
	synth_free(s);
	struct kd_error *err = kd_dump_open(st->f.path, &st->f.dump);
	if (err)
		return err;
	struct kd_kernel_options opts = { .system_map = st->map };
	return kd_kernel_open(st->f.dump, &opts, &st->f.kernel);
}

void synth_tasks_close(struct synth_tasks *st)
{
	synth_fixture_close(&st->f);
	if (st->map)
		unlink(st->map);
	free(st->map);
	free(st->mem);
	st->mem = NULL;
	st->map = NULL;
}

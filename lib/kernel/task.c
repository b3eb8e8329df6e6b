// SPDX-License-Identifier: LGPL-2.1-or-later
// The dumped kernel's tasks, read with the dump's own BTF field offsets:
// the thread groups on init_task.tasks (kernel/fork.c: copy_process() links
// every group leader but the idle tasks there), every thread of each group
// on signal->thread_head through task_struct.thread_node (5.10 to 6.12;
// task_struct.thread_group is gone in 6.7), and per CPU the idle task
// (runqueues.idle, kernel/sched/core.c: init_idle()) and the task running
// at the crash (the per-CPU current_task, in pcpu_hot since 6.2:
// arch/x86/include/asm/current.h). Per-CPU variables are at their symbol
// plus __per_cpu_offset[cpu] (include/asm-generic/percpu.h).
#include "kernel/kernel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	// PID_MAX_LIMIT (include/linux/threads.h): 4M tasks on 64-bit.
	TASK_MAX = 1 << 22,
	// NR_CPUS is 8192 in Debian's amd64 config (CONFIG_MAXSMP).
	TASK_MAX_CPUS = 8192,
};

// The task_struct members read here, looked up once per call.
struct task_fields {
	struct kd_btf_field pid, tgid, comm, state, exit_state, real_parent,
		cpu, stack, thread_sp, mm, tasks, thread_node, signal;
	struct kd_btf_field thread_head;	/* of struct signal_struct */
};

static struct kd_error *task_field(struct kd_kernel *k, const char *type,
				   const char *const *paths,
				   struct kd_btf_field *ret)
{
	struct kd_error *err = NULL;
	for (; *paths; paths++) {
		kd_error_destroy(err);
		err = kd_btf_field(k, type, *paths, ret);
		if (!err || !kd_error_catch(&err, KD_ERROR_NOTFOUND))
			break;
		err = kd_error_create(KD_ERROR_NOTFOUND,
			"%s: the dump's BTF has no %s.%s, needed to read tasks",
			k->dump->path, type, *paths);
	}
	return err;
}

static struct kd_error *task_fields(struct kd_kernel *k, struct task_fields *f)
{
	static const char *const pid[] = { "pid", NULL },
		*const tgid[] = { "tgid", NULL },
		*const comm[] = { "comm", NULL },
		// __state since 5.14 (commit "sched: Change task_struct::state")
		*const state[] = { "__state", "state", NULL },
		*const exit_state[] = { "exit_state", NULL },
		*const real_parent[] = { "real_parent", NULL },
		// thread_info.cpu since 5.16 on x86 (THREAD_INFO_IN_TASK)
		*const cpu[] = { "thread_info.cpu", "cpu", NULL },
		*const stack[] = { "stack", NULL },
		*const thread_sp[] = { "thread.sp", NULL },
		*const mm[] = { "mm", NULL },
		*const tasks[] = { "tasks", NULL },
		*const thread_node[] = { "thread_node", NULL },
		*const signal[] = { "signal", NULL },
		*const thread_head[] = { "thread_head", NULL };
	struct {
		const char *type;
		const char *const *paths;
		struct kd_btf_field *f;
	} want[] = {
		{ "task_struct", pid, &f->pid },
		{ "task_struct", tgid, &f->tgid },
		{ "task_struct", comm, &f->comm },
		{ "task_struct", state, &f->state },
		{ "task_struct", exit_state, &f->exit_state },
		{ "task_struct", real_parent, &f->real_parent },
		{ "task_struct", cpu, &f->cpu },
		{ "task_struct", stack, &f->stack },
		{ "task_struct", thread_sp, &f->thread_sp },
		{ "task_struct", mm, &f->mm },
		{ "task_struct", tasks, &f->tasks },
		{ "task_struct", thread_node, &f->thread_node },
		{ "task_struct", signal, &f->signal },
		{ "signal_struct", thread_head, &f->thread_head },
	};
	// Without BTF at all, say that rather than a missing member.
	struct kd_error *err = kd_btf_load(k);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		err = task_field(k, want[i].type, want[i].paths, want[i].f);
		if (err)
			return err;
	}
	if (f->comm.kind != KD_BTF_ARRAY || f->comm.size < 2 || f->comm.size > 64)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: task_struct.comm in the dump's BTF is not a char array",
			k->dump->path);
	return NULL;
}

// crash's two-letter states (its task_state_string()): exit_state first,
// then the TASK_* bits of include/linux/sched.h, the same values in
// 5.10 to 6.12.
static void task_state_name(uint32_t state, uint32_t exit_state, char ret[4])
{
	const char *s;
	if (exit_state & 0x20)				// EXIT_ZOMBIE
		s = "ZO";
	else if (exit_state & 0x10)			// EXIT_DEAD
		s = "DE";
	else if (state == 0)				// TASK_RUNNING
		s = "RU";
	else if (state & 0x1)				// TASK_INTERRUPTIBLE
		s = "IN";
	else if ((state & 0x402) == 0x402)		// TASK_IDLE
		s = "ID";
	else if (state & 0x2)				// TASK_UNINTERRUPTIBLE
		s = "UN";
	else if (state & 0x4)				// __TASK_STOPPED
		s = "ST";
	else if (state & 0x8)				// __TASK_TRACED
		s = "TR";
	else if (state & 0x40)				// TASK_PARKED
		s = "PA";
	else if (state & 0x80)				// TASK_DEAD
		s = "DE";
	else if (state & 0x200)				// TASK_WAKING
		s = "WA";
	else if (state & 0x800)				// TASK_NEW
		s = "NE";
	else
		s = "??";
	memcpy(ret, s, 3);
}

static struct kd_error *task_read(struct kd_kernel *k, const struct task_fields *f,
				  uint64_t addr, struct kd_task *ret)
{
	struct kd_task t = { .addr = addr, .cpu = -1 };
	uint64_t pid, tgid, state, exit_state, parent, cpu, mm;
	struct kd_error *err = kd_btf_read_field(k, addr, &f->pid, &pid);
	if (!err)
		err = kd_btf_read_field(k, addr, &f->tgid, &tgid);
	if (!err)
		err = kd_btf_read_field(k, addr, &f->state, &state);
	if (!err)
		err = kd_btf_read_field(k, addr, &f->exit_state, &exit_state);
	if (!err)
		err = kd_btf_read_field(k, addr, &f->real_parent, &parent);
	if (!err)
		err = kd_btf_read_field(k, addr, &f->cpu, &cpu);
	if (!err)
		err = kd_btf_read_field(k, addr, &f->stack, &t.stack);
	if (!err)
		err = kd_btf_read_field(k, addr, &f->thread_sp, &t.thread_sp);
	if (!err)
		err = kd_btf_read_field(k, addr, &f->mm, &mm);
	if (!err) {
		size_t n = f->comm.size < sizeof(t.comm) ? f->comm.size : sizeof(t.comm);
		err = kd_kernel_read_virt(k, addr + f->comm.offset, t.comm, n);
		t.comm[sizeof(t.comm) - 1] = '\0';
	}
	// init's parent is init_task (tgid 0). The idle tasks of the other
	// CPUs were forked by init (smp_init()), but have no parent as ps
	// and crash show it: 0.
	uint64_t ptgid = 0;
	if (!err && parent && parent != addr && pid != 0)
		err = kd_btf_read_field(k, parent, &f->tgid, &ptgid);
	if (err)
		return kd_error_prefix(err, "%s: the task at %#" PRIx64, k->dump->path, addr);
	t.pid = (int32_t)pid;
	t.tgid = (int32_t)tgid;
	t.ppid = (int32_t)ptgid;
	t.raw_state = (uint32_t)state;
	t.exit_state = (uint32_t)exit_state;
	t.cpu = cpu < TASK_MAX_CPUS ? (int32_t)cpu : -1;
	t.kernel_thread = !mm;
	task_state_name(t.raw_state, t.exit_state, t.state);
	*ret = t;
	return NULL;
}

KD_EXPORT struct kd_error *kd_task_read(struct kd_kernel *k, uint64_t addr,
					struct kd_task *ret)
{
	struct task_fields f;
	struct kd_error *err = task_fields(k, &f);
	if (err)
		return err;
	return task_read(k, &f, addr, ret);
}

KD_EXPORT struct kd_error *kd_task_num_cpus(struct kd_kernel *k, size_t *ret)
{
	uint64_t addr;
	uint32_t n;
	struct kd_error *err = kd_kernel_symbol(k, "nr_cpu_ids", &addr);
	if (!err)
		err = kd_kernel_read_u32(k, addr, &n);
	if (err)
		return kd_error_prefix(err, "%s: the number of CPUs (nr_cpu_ids)",
				       k->dump->path);
	if (!n || n > TASK_MAX_CPUS)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: nr_cpu_ids is %" PRIu32 " (1 to %d expected)",
			k->dump->path, n, TASK_MAX_CPUS);
	*ret = n;
	return NULL;
}

// The address of per-CPU variable @p sym (plus @p member's offset in it)
// on @p cpu.
static struct kd_error *task_percpu(struct kd_kernel *k, size_t cpu,
				    const char *sym, uint64_t member,
				    uint64_t *ret)
{
	uint64_t base, offsets, off;
	struct kd_error *err = kd_kernel_symbol(k, sym, &base);
	if (!err)
		err = kd_kernel_symbol(k, "__per_cpu_offset", &offsets);
	if (!err)
		err = kd_kernel_read_u64(k, offsets + 8 * (uint64_t)cpu, &off);
	if (err)
		return kd_error_prefix(err, "%s: CPU %zu's %s", k->dump->path, cpu, sym);
	*ret = base + off + member;
	return NULL;
}

// The task_struct address of the current task of @p cpu.
static struct kd_error *task_current_addr(struct kd_kernel *k, size_t cpu,
					  uint64_t *ret)
{
	uint64_t member, addr;
	struct kd_error *err = kd_btf_member(k, "pcpu_hot", "current_task", &member);
	const char *sym = "pcpu_hot";
	if (err && kd_error_catch(&err, KD_ERROR_NOTFOUND)) {
		sym = "current_task";
		member = 0;
	}
	if (!err)
		err = task_percpu(k, cpu, sym, member, &addr);
	if (!err)
		err = kd_kernel_read_u64(k, addr, ret);
	if (err)
		return kd_error_prefix(err, "%s: the current task of CPU %zu",
				       k->dump->path, cpu);
	return NULL;
}

// The idle task of @p cpu (runqueues.idle), 0 when it has none.
static struct kd_error *task_idle_addr(struct kd_kernel *k, size_t cpu,
				       uint64_t *ret)
{
	uint64_t member, addr;
	struct kd_error *err = kd_btf_member(k, "rq", "idle", &member);
	if (!err)
		err = task_percpu(k, cpu, "runqueues", member, &addr);
	if (!err)
		err = kd_kernel_read_u64(k, addr, ret);
	if (err)
		return kd_error_prefix(err, "%s: the idle task of CPU %zu",
				       k->dump->path, cpu);
	return NULL;
}

KD_EXPORT struct kd_error *kd_task_current(struct kd_kernel *k, size_t cpu,
					   struct kd_task *ret)
{
	size_t ncpus;
	struct kd_error *err = kd_task_num_cpus(k, &ncpus);
	if (err)
		return err;
	if (cpu >= ncpus)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: no CPU %zu (nr_cpu_ids is %zu)",
				       k->dump->path, cpu, ncpus);
	uint64_t addr;
	err = task_current_addr(k, cpu, &addr);
	if (err)
		return err;
	if (!addr)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: CPU %zu has no current task",
				       k->dump->path, cpu);
	struct kd_task t;
	err = kd_task_read(k, addr, &t);
	if (err)
		return err;
	t.running = true;
	t.cpu = (int32_t)cpu;
	*ret = t;
	return NULL;
}

// ----------------------------------------------------------- the walk

struct task_walk {
	struct kd_kernel *k;
	const struct task_fields *f;
	uint64_t *addrs;
	size_t n, cap;
	// the thread list being walked: its leader's struct task_struct
	uint64_t leader;
};

static struct kd_error *task_add(struct task_walk *w, uint64_t addr)
{
	if (w->n == w->cap) {
		if (w->cap >= TASK_MAX)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: more than %d tasks", w->k->dump->path, TASK_MAX);
		size_t cap = w->cap ? 2 * w->cap : 256;
		uint64_t *a = realloc(w->addrs, cap * sizeof(*a));
		if (!a)
			return &kd_enomem;
		w->addrs = a;
		w->cap = cap;
	}
	w->addrs[w->n++] = addr;
	return NULL;
}

static struct kd_error *task_on_thread(uint64_t node, void *arg)
{
	struct task_walk *w = arg;
	return task_add(w, node - w->f->thread_node.offset);
}

// A group leader: its threads (the leader among them).
static struct kd_error *task_group(struct task_walk *w, uint64_t leader)
{
	uint64_t signal;
	struct kd_error *err = kd_btf_read_field(w->k, leader, &w->f->signal, &signal);
	if (err)
		return kd_error_prefix(err, "%s: the task at %#" PRIx64 ": its signal_struct",
				       w->k->dump->path, leader);
	char what[128];
	snprintf(what, sizeof(what), "%s: the threads of the task at %#" PRIx64,
		 w->k->dump->path, leader);
	size_t before = w->n;
	err = kd_list_walk(w->k, signal + w->f->thread_head.offset, TASK_MAX - w->n,
			   what, task_on_thread, w);
	if (err)
		return err;
	// A leader whose thread_node is off the list (being released) still
	// shows, as it does on init_task.tasks.
	for (size_t i = before; i < w->n; i++)
		if (w->addrs[i] == leader)
			return NULL;
	return task_add(w, leader);
}

static struct kd_error *task_on_leader(uint64_t node, void *arg)
{
	struct task_walk *w = arg;
	return task_group(w, node - w->f->tasks.offset);
}

static int task_addr_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int task_cmp(const void *a, const void *b)
{
	const struct kd_task *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static struct kd_error *task_collect(struct task_walk *w, uint64_t **cur_ret,
				     size_t *ncpus_ret)
{
	struct kd_kernel *k = w->k;
	uint64_t init_task;
	struct kd_error *err = kd_kernel_symbol(k, "init_task", &init_task);
	if (err)
		return kd_error_prefix(err, "%s: the task list", k->dump->path);
	// init_task heads the list of leaders; it is CPU 0's idle task.
	err = task_group(w, init_task);
	if (err)
		return err;
	char what[128];
	snprintf(what, sizeof(what), "%s: the task list (init_task.tasks)", k->dump->path);
	err = kd_list_walk(k, init_task + w->f->tasks.offset, TASK_MAX, what,
			   task_on_leader, w);
	if (err)
		return err;
	size_t ncpus;
	err = kd_task_num_cpus(k, &ncpus);
	if (err)
		return err;
	uint64_t *cur = calloc(ncpus, sizeof(*cur));
	if (!cur)
		return &kd_enomem;
	for (size_t cpu = 0; cpu < ncpus && !err; cpu++) {
		uint64_t idle = 0;
		err = task_idle_addr(k, cpu, &idle);
		if (!err && idle)
			err = task_add(w, idle);
		if (!err)
			err = task_current_addr(k, cpu, &cur[cpu]);
		if (!err && cur[cpu])
			err = task_add(w, cur[cpu]);
	}
	if (err) {
		free(cur);
		return err;
	}
	*cur_ret = cur;
	*ncpus_ret = ncpus;
	return NULL;
}

KD_EXPORT struct kd_error *kd_task_list(struct kd_kernel *k, struct kd_task **ret,
					size_t *count)
{
	struct task_fields f;
	struct kd_error *err = kd_kernel_load_symbols(k);
	if (!err)
		err = task_fields(k, &f);
	if (err)
		return err;
	struct task_walk w = { .k = k, .f = &f };
	uint64_t *cur = NULL;
	size_t ncpus = 0;
	err = task_collect(&w, &cur, &ncpus);
	if (err) {
		free(w.addrs);
		return err;
	}
	// A task may be reached twice (a leader, an idle or current task).
	qsort(w.addrs, w.n, sizeof(*w.addrs), task_addr_cmp);
	size_t n = 0;
	for (size_t i = 0; i < w.n; i++)
		if (!n || w.addrs[i] != w.addrs[n - 1])
			w.addrs[n++] = w.addrs[i];
	struct kd_task *tasks = calloc(n ? n : 1, sizeof(*tasks));
	if (!tasks) {
		free(cur);
		free(w.addrs);
		return &kd_enomem;
	}
	for (size_t i = 0; i < n && !err; i++)
		err = task_read(k, &f, w.addrs[i], &tasks[i]);
	for (size_t i = 0; i < n && !err; i++)
		for (size_t cpu = 0; cpu < ncpus; cpu++)
			if (cur[cpu] == tasks[i].addr) {
				tasks[i].running = true;
				tasks[i].cpu = (int32_t)cpu;
			}
	free(cur);
	free(w.addrs);
	if (err) {
		free(tasks);
		return err;
	}
	qsort(tasks, n, sizeof(*tasks), task_cmp);
	*ret = tasks;
	*count = n;
	return NULL;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file kernel.h
 * Kernel knowledge on top of a dump: VMCOREINFO, address translation,
 * symbols, the kernel log, page classes (lib/kernel/).
 */
#ifndef KEXDUMP_KERNEL_H
#define KEXDUMP_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kexdump/dump.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------------- vmcoreinfo */

/** VMCOREINFO parsed into key=value look-ups. */
struct kd_vmcoreinfo;

/** Parse VMCOREINFO text. Malformed lines are an error (KD_ERROR_CORRUPT). */
struct kd_error *kd_vmcoreinfo_parse(const char *text, size_t len,
				     struct kd_vmcoreinfo **ret);
void kd_vmcoreinfo_destroy(struct kd_vmcoreinfo *vi);

/** The value text of KEY (e.g. "OSRELEASE", "SYMBOL(prb)"); KD_ERROR_NOTFOUND if absent. */
struct kd_error *kd_vmcoreinfo_string(const struct kd_vmcoreinfo *vi,
				      const char *key, const char **ret);
/** SYMBOL(name): an address, written in hex. */
struct kd_error *kd_vmcoreinfo_symbol(const struct kd_vmcoreinfo *vi,
				      const char *name, uint64_t *ret);
/** OFFSET(name), SIZE(name), LENGTH(name): decimal. */
struct kd_error *kd_vmcoreinfo_offset(const struct kd_vmcoreinfo *vi,
				      const char *name, uint64_t *ret);
struct kd_error *kd_vmcoreinfo_size(const struct kd_vmcoreinfo *vi,
				    const char *name, uint64_t *ret);
struct kd_error *kd_vmcoreinfo_length(const struct kd_vmcoreinfo *vi,
				      const char *name, uint64_t *ret);
/** NUMBER(name): signed decimal (e.g. PAGE_BUDDY_MAPCOUNT_VALUE=-129). */
struct kd_error *kd_vmcoreinfo_number(const struct kd_vmcoreinfo *vi,
				      const char *name, int64_t *ret);
/** KERNELOFFSET (hex). */
struct kd_error *kd_vmcoreinfo_kerneloffset(const struct kd_vmcoreinfo *vi,
					    uint64_t *ret);
/** PAGESIZE, CRASHTIME (decimal). */
struct kd_error *kd_vmcoreinfo_u64(const struct kd_vmcoreinfo *vi,
				   const char *key, int base, uint64_t *ret);
/** Iterate over all entries in file order; returns false past the end. */
bool kd_vmcoreinfo_entry(const struct kd_vmcoreinfo *vi, size_t i,
			 const char **key_ret, const char **value_ret);

/* ------------------------------------------------------------------ kernels */

/** The dumped kernel: VMCOREINFO, architecture, symbols. Borrows the dump. */
struct kd_kernel;

struct kd_kernel_options {
	/** A System.map for kernels whose VMCOREINFO lacks kallsyms (< 6.0), or NULL. */
	const char *system_map;
};

/**
 * Bind kernel knowledge to @p dump: parse VMCOREINFO and set up the
 * architecture's address translation. Symbols (kallsyms from the dump, else
 * the System.map) load on first use, so reading the log costs no symbol
 * decoding; kd_kernel_load_symbols() loads them now and reports failures.
 */
struct kd_error *kd_kernel_open(struct kd_dump *dump,
				const struct kd_kernel_options *opts,
				struct kd_kernel **ret);
void kd_kernel_close(struct kd_kernel *kernel);

struct kd_dump *kd_kernel_dump(const struct kd_kernel *kernel);
const struct kd_vmcoreinfo *kd_kernel_vmcoreinfo(const struct kd_kernel *kernel);
/** Architecture name ("x86_64"). */
const char *kd_kernel_arch_name(const struct kd_kernel *kernel);
/** Page-table levels in use (4 or 5 on x86_64). */
unsigned int kd_kernel_paging_levels(const struct kd_kernel *kernel);
/** Base of the kernel's direct map of physical memory (page_offset_base on
 * x86_64), or 0 while unknown (it is read once symbols are loaded). */
uint64_t kd_kernel_direct_map_base(const struct kd_kernel *kernel);
/** Where symbols came from: "kallsyms", "System.map" or "none". Loads them. */
const char *kd_kernel_symbol_source(struct kd_kernel *kernel);
/**
 * Load the symbol table if not done yet. Without a source (no kallsyms in
 * VMCOREINFO before Linux 6.0, no System.map) this succeeds with no symbols;
 * a damaged source is an error, returned again by later look-ups.
 */
struct kd_error *kd_kernel_load_symbols(struct kd_kernel *kernel);

/** Translate a kernel virtual address; KD_ERROR_FAULT when not mapped. */
struct kd_error *kd_kernel_vtop(struct kd_kernel *kernel, uint64_t vaddr,
				uint64_t *ret);
/** Read kernel virtual memory, page by page through kd_kernel_vtop(). */
struct kd_error *kd_kernel_read_virt(struct kd_kernel *kernel, uint64_t vaddr,
				     void *buf, size_t len);
struct kd_error *kd_kernel_read_u64(struct kd_kernel *kernel, uint64_t vaddr,
				    uint64_t *ret);
struct kd_error *kd_kernel_read_u32(struct kd_kernel *kernel, uint64_t vaddr,
				    uint32_t *ret);

/** Address of symbol @p name; KD_ERROR_NOTFOUND if unknown. */
struct kd_error *kd_kernel_symbol(struct kd_kernel *kernel,
				  const char *name, uint64_t *ret);
/**
 * The symbol containing @p addr: its name and the offset into it.
 * KD_ERROR_NOTFOUND when below the first symbol or without symbols.
 */
struct kd_error *kd_kernel_symbolize(struct kd_kernel *kernel,
				     uint64_t addr, const char **name_ret,
				     uint64_t *offset_ret);
/** Number of symbols, and the i-th in address order (for System.map export). */
size_t kd_kernel_num_symbols(struct kd_kernel *kernel);
bool kd_kernel_symbol_at(struct kd_kernel *kernel, size_t i,
			 const char **name_ret, char *type_ret, uint64_t *addr_ret);

/* -------------------------------------------------------------------- BTF */

/*
 * The dumped kernel's own type information: the BTF between __start_BTF and
 * __stop_BTF (CONFIG_DEBUG_INFO_BTF, on in Debian 5.10+), read from the dump
 * and parsed with libbpf on first use, then kept with the kernel handle. A
 * dump without it (no symbols, no __start_BTF, its pages missing) gives
 * "DUMP: the dump has no BTF (WHY)", KD_ERROR_NOTFOUND or KD_ERROR_NODATA,
 * every time it is asked.
 *
 * Types are named as in C: "task_struct" (a struct or union of that name,
 * else a typedef), "struct rq", "union thread_union", "atomic_long_t".
 * Member paths go through nested and anonymous structs and unions and
 * arrays: "thread.sp", "__state", "mem[0].base", "se.cfs_rq".
 */

/** What a member is. */
enum kd_btf_kind {
	KD_BTF_INTEGER,		/**< int, char, bool, enum */
	KD_BTF_POINTER,
	KD_BTF_ARRAY,
	KD_BTF_COMPOSITE,	/**< struct or union */
	KD_BTF_OTHER,
};

/** A member of a type, as kd_btf_field() finds it. */
struct kd_btf_field {
	uint64_t offset;	/**< bytes from the start of the outer type */
	uint64_t size;		/**< bytes of the member */
	uint32_t type_id;	/**< the member's BTF type id */
	uint32_t count;		/**< elements when an array, else 0 */
	enum kd_btf_kind kind;	/**< typedefs and const/volatile skipped */
	bool is_signed;		/**< a signed integer or enum */
};

/** Load the BTF now (else on first use); the error says why there is none. */
struct kd_error *kd_btf_load(struct kd_kernel *kernel);
/** Number of types in the BTF (0 without BTF). */
size_t kd_btf_num_types(struct kd_kernel *kernel);
/**
 * Member @p path of @p type. KD_ERROR_NOTFOUND when the type or a member is
 * unknown (this kernel names it otherwise: callers try the next name),
 * KD_ERROR_UNSUPPORTED for a bitfield, KD_ERROR_INVALID for a bad path or
 * an index past an array's end.
 */
struct kd_error *kd_btf_field(struct kd_kernel *kernel, const char *type,
			      const char *path, struct kd_btf_field *ret);
/** The byte offset of member @p path of @p type (see kd_btf_field()). */
struct kd_error *kd_btf_member(struct kd_kernel *kernel, const char *type,
			       const char *path, uint64_t *ret);
/** sizeof(@p type). */
struct kd_error *kd_btf_type_size(struct kd_kernel *kernel, const char *type,
				  uint64_t *ret);
/**
 * The value of enumerator @p name ("NR_FREE_PAGES") of enum @p enum_name
 * ("zone_stat_item"), or of any enum when @p enum_name is NULL.
 */
struct kd_error *kd_btf_enum_value(struct kd_kernel *kernel,
				   const char *enum_name, const char *name,
				   int64_t *ret);
/**
 * The type of global variable @p var as C spells it ("struct rq"), cut to
 * @p type_len bytes with its NUL, and its size; either may be NULL. vmlinux
 * BTF describes only per-CPU variables ("runqueues", "current_task").
 */
struct kd_error *kd_btf_var_type(struct kd_kernel *kernel, const char *var,
				 char *type_buf, size_t type_len,
				 uint64_t *size_ret);
/**
 * Read the integer or pointer member @p f of the object at @p addr,
 * zero-extended (sign-extended when signed). Callers that read many objects
 * look the field up once with kd_btf_field().
 */
struct kd_error *kd_btf_read_field(struct kd_kernel *kernel, uint64_t addr,
				   const struct kd_btf_field *f, uint64_t *ret);
/** kd_btf_field() and kd_btf_read_field() in one: @p type's @p path at @p addr. */
struct kd_error *kd_btf_read(struct kd_kernel *kernel, uint64_t addr,
			     const char *type, const char *path, uint64_t *ret);

/* ------------------------------------------------------------- kernel log */

/** One kernel log record. text is not NUL-terminated and valid only in the callback. */
struct kd_printk_record {
	uint64_t seq;
	uint64_t ts_nsec;
	const char *text;
	size_t text_len;
	uint8_t level;		/**< 0 (emerg) .. 7 (debug) */
	uint8_t facility;
	uint32_t caller_id;	/**< bit 31 set: CPU number, else task id; 0 when unknown */
	bool has_caller_id;
};

/**
 * Called once per record, oldest first. Return NULL to go on, &kd_stop to
 * end the walk early (kd_printk_iterate() then returns NULL), or another
 * error to stop with that error (kd_printk_iterate() returns it).
 */
typedef struct kd_error *kd_printk_fn(const struct kd_printk_record *rec, void *arg);

/**
 * Walk the kernel log: the lockless ring buffer (5.10+) or the older
 * log_buf/printk_log format, whichever VMCOREINFO describes. Returns NULL
 * when every record was visited or @p fn returned &kd_stop.
 */
struct kd_error *kd_printk_iterate(struct kd_kernel *kernel, kd_printk_fn *fn,
				   void *arg);

/**
 * Format one record as makedumpfile --dump-dmesg does: "[%5llu.%06lu] text\n",
 * continuation lines indented to the text column, non-printable bytes as \xNN.
 * With @p caller_id, a "[  T123] " field follows the time stamp (as with
 * CONFIG_PRINTK_CALLER and makedumpfile >= 1.7.5). Returns a malloc'd string.
 */
struct kd_error *kd_printk_format(const struct kd_printk_record *rec,
				  bool caller_id, char **ret, size_t *len_ret);

/**
 * The log line that says why the kernel crashed: the FIRST record starting
 * "Kernel panic - not syncing" (later ones are nested panics), else the
 * first holding "Trigger a crash" (sysrq-c) or the first oops header
 * ("Oops: 0002 [#1] ...": a fatal oops calls crash_kexec() without a
 * panic line), whichever came first. Its first line, without time
 * stamp, control bytes as '?', cut to fit @p len bytes with its NUL.
 * KD_ERROR_NOTFOUND when the log holds none of them.
 */
struct kd_error *kd_printk_find_panic(struct kd_kernel *kernel, char *buf, size_t len);

/* ------------------------------------------------------------ backtraces */

/** Flags of a backtrace frame. */
enum {
	/** Found by guessing a frame-pointer frame below it: ORC had no
	 * entry for the frame below (code without unwind data). */
	KD_FRAME_GUESSED = 1u << 0,
	/** The address came from a pt_regs on the stack (interrupt, exception):
	 * an interrupted instruction, not a return address. */
	KD_FRAME_REGS = 1u << 1,
	/** The first frame on another stack than the frame above it. */
	KD_FRAME_TRANSITION = 1u << 2,
};

/** One frame of a kernel stack, innermost first. */
struct kd_frame {
	uint64_t address;	/**< the instruction: where the CPU was, or a return address */
	/** The stack address crash shows for the frame: where its return
	 * address was read; for the first frame and a frame from a pt_regs,
	 * the stack pointer itself. */
	uint64_t sp;
	const char *function;	/**< the symbol holding address, or NULL; valid while the kernel is open */
	uint64_t offset;	/**< address - the symbol's start */
	uint64_t size;		/**< the symbol's size as kallsyms gives it, 0 when unknown */
	const char *module;	/**< the module holding address, NULL for vmlinux */
	unsigned int flags;	/**< KD_FRAME_* */
	/** The stack the frame is on: "task", "IRQ", "entry", "NMI exception",
	 * "DOUBLEFAULT exception", "DEBUG exception", "MCE exception", "VC
	 * exception", "VC2 exception", or "unknown" (static strings). */
	const char *stack;
};

/** A kernel stack walk's result (kd_unwind_cpu(), kd_unwind_task()). */
struct kd_backtrace {
	struct kd_frame *frames;
	size_t nframes;
	int cpu;		/**< the CPU whose registers it started from, -1 for a sleeping task */
	uint32_t pid;		/**< the CPU's task (NT_PRSTATUS pr_pid); 0 for a sleeping task */
	/** NULL when the walk reached the end of the stack (an entry from
	 * user mode, or the kernel's end-of-stack mark); else why it stopped
	 * early, in one line. The frames up to there are valid. */
	char *stopped;
	/** The stack ends in a pt_regs from user mode: its ip and sp. */
	bool user_regs;
	uint64_t user_ip, user_sp;
};

/**
 * The kernel stack of @p cpu at the crash, from its NT_PRSTATUS registers,
 * unwound with the dump's ORC tables across the CPU's IRQ, exception and
 * entry stacks to the task stack. x86_64 only (KD_ERROR_UNSUPPORTED else).
 * A walk that stops early is not an error: see kd_backtrace.stopped.
 */
struct kd_error *kd_unwind_cpu(struct kd_kernel *kernel, size_t cpu,
			       struct kd_backtrace **ret);
/**
 * The kernel stack of a task that is not running: from its saved frame
 * (struct inactive_task_frame) at @p thread_sp (task->thread.sp), on the
 * THREAD_SIZE stack at @p stack_base (task->stack; 0: the aligned block
 * holding thread_sp).
 */
struct kd_error *kd_unwind_task(struct kd_kernel *kernel, uint64_t stack_base,
				uint64_t thread_sp, struct kd_backtrace **ret);
void kd_unwind_destroy(struct kd_backtrace *bt);
/** The CPU that panicked (panic_cpu, else the one that saved its registers
 * in crash_kexec). KD_ERROR_NOTFOUND when the dump does not tell. */
struct kd_error *kd_unwind_panic_cpu(struct kd_kernel *kernel, size_t *ret);

/* ------------------------------------------------------------ tasks */

/*
 * The dumped kernel's tasks, read with the field offsets of the dump's own
 * BTF (no debug vmlinux): every thread of every thread group on
 * init_task.tasks (as crash's ps lists them), and the idle task and the
 * current task of every CPU. Lists read from a damaged dump are bounded:
 * a loop, a broken link or too many entries is a KD_ERROR_CORRUPT error.
 */

/** One task (struct task_struct). */
struct kd_task {
	uint64_t addr;		/**< struct task_struct */
	int32_t pid;		/**< task_struct.pid (the thread id; 0 for idle tasks) */
	/** The parent as ps(1) shows it: real_parent's tgid; 0 for init
	 * (its parent is init_task) and for the idle tasks, as crash shows them. */
	int32_t ppid;
	char comm[16];		/**< NUL-terminated */
	/**
	 * As crash's ps shows it: "RU" running or runnable, "IN" interruptible,
	 * "UN" uninterruptible, "ID" idle (TASK_IDLE), "ST" stopped, "TR"
	 * traced, "ZO" zombie, "DE" dead, "PA" parked, "WA" waking, "NE" new,
	 * "??" anything else (include/linux/sched.h: the TASK_* bits, and
	 * exit_state's EXIT_ZOMBIE/EXIT_DEAD before them).
	 */
	char state[4];
	int32_t cpu;		/**< the CPU it last ran on (for a running task: the one it runs on) */
	bool running;		/**< the current task of its CPU at the crash */
	uint64_t stack;		/**< task_struct.stack, for kd_unwind_task() */
	/* Added to the first contract: */
	int32_t tgid;		/**< task_struct.tgid: the process (thread group) id */
	uint64_t thread_sp;	/**< task_struct.thread.sp: the saved frame of a task not running, for kd_unwind_task() */
	uint32_t raw_state;	/**< task_struct.__state (state before 5.14) */
	uint32_t exit_state;	/**< task_struct.exit_state */
	/** Its kernel stack belongs to no user process (mm is NULL: a kernel
	 * thread or an idle task), shown by ps and crash in brackets. */
	bool kernel_thread;
};

/**
 * Every task, sorted by pid then address (the idle tasks, pid 0, first by
 * CPU). *ret is malloc'd: free() it.
 */
struct kd_error *kd_task_list(struct kd_kernel *kernel, struct kd_task **ret,
			      size_t *count);
/** The task running on @p cpu at the crash (per-CPU pcpu_hot.current_task
 * on 6.2+, current_task before). KD_ERROR_NOTFOUND past the last CPU. */
struct kd_error *kd_task_current(struct kd_kernel *kernel, size_t cpu,
				 struct kd_task *ret);
/** The task at @p addr (a struct task_struct), read as kd_task_list() does. */
struct kd_error *kd_task_read(struct kd_kernel *kernel, uint64_t addr,
			      struct kd_task *ret);
/** The CPUs the kernel has per-CPU areas for (nr_cpu_ids). */
struct kd_error *kd_task_num_cpus(struct kd_kernel *kernel, size_t *ret);

/* ---------------------------------------------------------- modules */

/** One loaded module (struct module), as /proc/modules shows it. */
struct kd_module {
	uint64_t addr;		/**< struct module */
	char name[56];		/**< NUL-terminated */
	/** Its core text base (core_layout.base, mem[MOD_TEXT].base on 6.4+)
	 * and its total size as /proc/modules shows it (core and init, and on
	 * 6.4+ every memory type). */
	uint64_t base, size;
	/** Taint letters as /proc/modules shows them ("(OE)" -> "OE"), "" if none. */
	char taint[16];
	/* Added to the first contract: */
	uint64_t text_size;	/**< bytes of code at base (core_layout.text_size, mem[MOD_TEXT].size) */
	uint64_t taints;	/**< module.taints: bit i is taint flag i (include/linux/panic.h) */
	int state;		/**< enum module_state: 0 live, 1 coming, 2 going */
};

/**
 * The modules on the kernel's `modules` list, in its order (newest first,
 * as /proc/modules), those not formed yet left out. *ret is malloc'd:
 * free() it. A kernel without modules gives 0 of them.
 */
struct kd_error *kd_module_list(struct kd_kernel *kernel, struct kd_module **ret,
				size_t *count);

/* ------------------------------------------------------------- report */

/*
 * The first page a person reads after a crash (lib/kernel/report.c): why
 * and where the kernel panicked, the stacks of every CPU, the memory
 * summary, the modules, the tasks and the end of the log, from the dump
 * alone (kallsyms or a System.map, BTF, ORC). Each part is gathered on its
 * own: a part that cannot be had (no BTF, no symbols before Linux 6.0, its
 * pages missing) leaves its *_error saying why in one line, and the rest
 * is still there. docs/report.md documents the JSON that `kexdump report
 * --json` prints from it.
 */

/** What kd_report_create() gathers. */
struct kd_report_options {
	/** Lines of the log's tail (0: 20). */
	size_t log_lines;
	/** Unwind the stack of every task, not only those on a CPU. */
	bool task_backtraces;
};

/** One CPU at the crash. */
struct kd_report_cpu {
	size_t cpu;
	int32_t pid;		/**< the task on it (NT_PRSTATUS), 0 for idle */
	char comm[16];		/**< its name, "" when unknown */
	bool panic;		/**< the CPU that panicked */
	struct kd_backtrace *bt;	/**< NULL when it could not be had */
	char *error;		/**< why bt is NULL, else NULL */
};

/** One task and, when asked for, its kernel stack. */
struct kd_report_task {
	struct kd_task task;
	/** Its stack: for a task running on a CPU, that CPU's (owned by
	 * the kd_report_cpu); NULL when not asked for or not had. */
	const struct kd_backtrace *bt;
	char *error;		/**< why bt is NULL when it was asked for */
};

/** One counter of the memory summary, in bytes. */
struct kd_report_memory {
	/** "total", "free", "page_cache", "anon", "shmem",
	 * "slab_reclaimable", "slab_unreclaimable", "kernel_stack",
	 * "page_tables" (static strings, in that order, those known). */
	const char *name;
	uint64_t bytes;
};

/** A report. Strings come from the dump: hostile, print them sanitised. */
struct kd_report {
	char release[80];	/**< OSRELEASE, "" when unknown */
	size_t ncpus;		/**< CPU notes in the dump */
	/** The panic line ("Kernel panic - not syncing: ..."), else the
	 * line kd_printk_find_panic() takes (sysrq, oops header), "" when the
	 * log has none (message_error says why). */
	char message[256];
	char *message_error;
	long panic_cpu;		/**< -1 when the dump does not tell */
	int32_t panic_pid;	/**< -1 when unknown */
	char panic_comm[16];	/**< "" when unknown */
	bool has_crash_time;
	int64_t crash_time;	/**< VMCOREINFO CRASHTIME, seconds since the epoch */
	/** The panic line's log time stamp (the last record's without one):
	 * nanoseconds since boot on the kernel's local clock. */
	bool has_uptime;
	uint64_t uptime_ns;
	/** tainted_mask, and the letters as the kernel prints them
	 * ("Not tainted", "Tainted: G        W") from its taint_flags. */
	bool has_taint;
	uint64_t taint_mask;
	char taint[64];
	char *taint_error;
	/** Set when the kernel's symbol table could not be had (no kallsyms in
	 * VMCOREINFO before Linux 6.0 and no System.map given, or a damaged
	 * table): said once here; the parts that need it (taint, memory,
	 * modules, tasks) are not tried and their errors point here. */
	char *symbols_error;
	/** The crash signature, "COMM: f1 < f2 < f3": the panicking task's
	 * name and the three frames below the crash machinery (panic(),
	 * the oops path), names without .cold/.isra.N/...: two dumps of the
	 * same bug give the same line. "" when there is no backtrace. */
	char signature[320];
	struct kd_report_cpu *cpus;
	size_t ncpus_walked;
	char *cpus_error;
	struct kd_report_memory *memory;
	size_t nmemory;
	char *memory_error;
	struct kd_module *modules;
	size_t nmodules;
	char *modules_error;
	struct kd_report_task *tasks;
	size_t ntasks;
	char *tasks_error;
	char **log_tail;	/**< the log's last lines as kd_printk_format() writes them, no newline */
	size_t nlog_tail;
	char *log_error;
};

/**
 * Gather the report of @p kernel's dump. Fails only when memory runs out:
 * every other failure is one part's *_error.
 */
struct kd_error *kd_report_create(struct kd_kernel *kernel,
				  const struct kd_report_options *opts,
				  struct kd_report **ret);
void kd_report_destroy(struct kd_report *report);
/** The panicking CPU's backtrace in @p report, or NULL. */
const struct kd_backtrace *kd_report_panic_backtrace(const struct kd_report *report);
/**
 * The report as text, for a person and for the capture's report.txt
 * (lib/kernel/report-text.c): a malloc'd, NUL-terminated string whose
 * dump-supplied strings have their control and non-ASCII bytes as '?'.
 * The task table is there, the stacks of tasks not on a CPU are not.
 */
struct kd_error *kd_report_text(const struct kd_report *report, const char *dump_path,
				char **ret, size_t *len_ret);

/* ------------------------------------------------------- page filtering */

/* makedumpfile's dump level bits (-d): which pages a dump leaves out. */
#define KD_DL_ZERO 1u		/**< pages filled with zero (decided by their data) */
#define KD_DL_CACHE 2u		/**< page cache without private data */
#define KD_DL_CACHE_PRIVATE 4u	/**< page cache with private data */
#define KD_DL_USER 8u		/**< user process data: anonymous and hugetlbfs pages */
#define KD_DL_FREE 16u		/**< free pages (buddy allocator, unaccepted memory) */

/** Why a page is excluded. hwpoison and offline pages are excluded at every
 * dump level, as makedumpfile does. */
enum kd_page_class {
	KD_PAGE_ZERO,
	KD_PAGE_CACHE,
	KD_PAGE_CACHE_PRIVATE,
	KD_PAGE_USER,
	KD_PAGE_FREE,
	KD_PAGE_HWPOISON,
	KD_PAGE_OFFLINE,
	KD_PAGE_NCLASSES
};
/** "zero", "cache", "cache_private", "user", "free", "hwpoison", "offline". */
const char *kd_page_class_name(enum kd_page_class c);

/** Classifies pages by the dumped kernel's struct page array (mem_map). */
struct kd_pagefilter;

/**
 * Prepare to classify the pages of @p kernel's dump at @p dump_level (0-31;
 * the ZERO bit is ignored here: zero pages are decided by their data). Fails
 * with KD_ERROR_NOTFOUND, naming the dump, the missing VMCOREINFO entry and
 * what needs it, or with KD_ERROR_NODATA when mem_map is not in the dump;
 * callers then fall back to dump level 0/1.
 */
struct kd_error *kd_pagefilter_open(struct kd_kernel *kernel,
				    unsigned int dump_level,
				    struct kd_pagefilter **ret);
void kd_pagefilter_close(struct kd_pagefilter *pf);
/** One past the highest pfn the dump holds (end of its last range, rounded up). */
uint64_t kd_pagefilter_max_pfn(const struct kd_pagefilter *pf);
uint32_t kd_pagefilter_page_size(const struct kd_pagefilter *pf);
/**
 * Classify the window [@p start_pfn, @p start_pfn + @p npfns) (both multiples
 * of 8; windows in increasing order). Bitmaps hold bit (pfn - start_pfn) % 8
 * of byte (pfn - start_pfn) / 8, least significant bit first (makedumpfile's
 * layout). @p present (may be NULL) gets the pages wholly inside the dump's
 * ranges (the kdump format's 1st bitmap); @p keep the present pages that the
 * source stores and this level does not exclude (the 2nd bitmap, before zero
 * pages). @p counts[c] grows by the present pages excluded as class c. A free
 * block or compound page that crosses the window's end is finished in the
 * next window.
 */
struct kd_error *kd_pagefilter_window(struct kd_pagefilter *pf,
				      uint64_t start_pfn, uint64_t npfns,
				      uint8_t *present, uint8_t *keep,
				      uint64_t counts[KD_PAGE_NCLASSES]);

#ifdef __cplusplus
}
#endif

#endif /* KEXDUMP_KERNEL_H */

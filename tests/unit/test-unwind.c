// SPDX-License-Identifier: LGPL-2.1-or-later
// The stack walk (lib/kernel/unwind.c) on a synthetic kernel: a System.map
// for the symbols, ORC tables for a handful of made-up functions, and
// stacks laid out by hand in one physical block at 0 (addressed through
// the x86_64 text mapping). Each walk must give exactly the frames written:
// across the IRQ stack to the task stack through a pt_regs, up to a
// user-mode pt_regs, from a sleeping task's saved frame, guessing past a
// function without ORC data, and stopping on damaged stacks.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "synth.h"

#define MEM_SIZE 0xa0000u
#define KVA(off) SYNTH_KVA(off)

// Functions, 0x100 bytes each.
#define F_A 0x1000u
#define F_B 0x1100u
#define F_C 0x1200u
#define F_ENTRY 0x1300u
#define F_TOP 0x1400u
#define F_NOORC 0x1500u
#define F_CALLER 0x1600u
#define F_OTHER 0x1700u
#define F_LOOP 0x1800u
#define F_EXC 0x1900u
#define F_HANDLER 0x1a00u
#define F_STOP 0x1b00u
#define F_NMI 0x1c00u
#define ETEXT 0x1d00u
// Tables and data.
#define ORC_IP 0x2000u
#define ORC_ENTRIES 0x2800u
#define ORC_LOOKUP 0x3000u
#define LOOKUP_NUM 0x3800u
#define PER_CPU_OFFSET 0x3900u
// The task stack (16 KiB, aligned) and two CPUs' IRQ stacks.
#define TASK_STACK 0x8000u
#define LOOP_STACK 0x18000u
// CPU n's per-CPU area: its IRQ stack at +0, exception stacks at +0x4000
// (DF, NMI, DB, MCE, VC, VC2: 8 KiB each), entry stack at +0x10000, the
// cea_exception_stacks pointer at +0x11000.
#define PERCPU(n) (0x20000u + 0x20000u * (n))
#define IRQ0 PERCPU(0)
#define IRQ1 PERCPU(1)
#define NMI3 (PERCPU(3) + 0x4000u + 0x2000u)

enum { R_UNDEF = 0, R_PREV_SP = 1, R_BP = 4, R_SP = 5, R_SP_INDIRECT = 9 };
enum { T_UNDEF = 0, T_END = 1, T_CALL = 2, T_REGS = 3, T_REGS_PARTIAL = 4 };

struct orc_def {
	uint32_t ip;
	unsigned sp_reg;
	int sp_off;
	unsigned type;
	bool signal;
	unsigned bp_reg;
	int bp_off;
};

// Sorted by ip, as the kernel's build sorts vmlinux's table.
static const struct orc_def orc_defs[] = {
	{ F_A, R_SP, 0x18, T_CALL, 0, 0, 0 },
	{ F_B, R_SP, 8, T_CALL, 0, 0, 0 },
	{ F_B + 0x10, R_SP_INDIRECT, 16, T_CALL, 0, 0, 0 },	/* after the IRQ stack switch */
	{ F_C, R_SP, 8, T_CALL, 0, 0, 0 },
	{ F_C + 0x7, R_SP, 0x10, T_REGS, 1, 0, 0 },		/* returns onto a pt_regs */
	{ F_C + 0x8, R_SP, 8, T_CALL, 0, 0, 0 },
	{ F_ENTRY, R_SP, 8, T_CALL, 0, R_PREV_SP, -16 },
	{ F_TOP, R_UNDEF, 0, T_END, 0, 0, 0 },
	{ F_NOORC, R_UNDEF, 0, T_UNDEF, 0, 0, 0 },		/* a section terminator */
	{ F_CALLER, R_SP, 0x20, T_CALL, 0, 0, 0 },
	{ F_OTHER, R_SP, 8, T_CALL, 0, 0, 0 },
	{ F_LOOP, R_SP, 0, T_CALL, 0, 0, 0 },			/* sp never grows */
	{ F_EXC, R_SP, 0, T_REGS, 1, 0, 0 },			/* returns onto a pt_regs at sp */
	{ F_HANDLER, R_SP, 0x18, T_CALL, 0, 0, 0 },
	{ F_STOP, R_SP, 0x20, T_CALL, 0, 0, 0 },
	{ F_NMI, R_SP, 0x18, T_CALL, 0, 0, 0 },
	{ ETEXT, R_UNDEF, 0, T_UNDEF, 0, 0, 0 },
};
#define NORC (sizeof(orc_defs) / sizeof(orc_defs[0]))

struct fixture {
	struct synth_fixture f;
	char *map;
	uint8_t *mem;
};

static void put64(uint8_t *mem, uint32_t off, uint64_t v)
{
	synth_put64(mem + off, v);
}

// A direct call (E8 rel32) whose return address is @p ret, to @p target.
static void put_call(uint8_t *mem, uint32_t ret, uint32_t target)
{
	mem[ret - 5] = 0xe8;
	synth_put32(mem + ret - 4, (uint32_t)(int32_t)((int64_t)target - (int64_t)ret));
}

static void put_prstatus(struct synth *s, uint32_t pid, uint64_t ip, uint64_t sp,
			 uint64_t cs)
{
	uint8_t d[336] = {0};
	synth_put32(d + 32, pid);
	synth_put64(d + 112 + 8 * 16, ip);
	synth_put64(d + 112 + 8 * 17, cs);
	synth_put64(d + 112 + 8 * 19, sp);
	synth_note(s, "CORE", 1 /* NT_PRSTATUS */, d, sizeof(d));
}

#define OOPS_REGS 0x9000u
// The registers of the oops: in f_caller, kernel mode, sp above them.
static uint64_t oops_reg(int i)
{
	switch (i) {
	case 16: return KVA(F_CALLER + 0x40);
	case 17: return 0x10;
	case 18: return 0x246;
	case 19: return KVA(OOPS_REGS + 168);
	case 20: return 0x18;
	default: return 0x5000 + (uint64_t)i;
	}
}

#define NMI_REGS (NMI3 + 0x1f00u)
// The registers the NMI interrupted: in f_caller on the task stack.
static uint64_t nmi_reg(int i)
{
	switch (i) {
	case 16: return KVA(F_CALLER + 0x40);
	case 17: return 0x10;
	case 18: return 0x246;
	case 19: return KVA(TASK_STACK + 0x800);
	case 20: return 0x18;
	default: return 0x6000 + (uint64_t)i;
	}
}

static void build_memory(uint8_t *mem)
{
	for (size_t i = 0; i < NORC; i++) {
		const struct orc_def *d = &orc_defs[i];
		uint32_t slot = ORC_IP + 4 * (uint32_t)i;
		synth_put32(mem + slot, d->ip - slot);
		uint8_t *e = mem + ORC_ENTRIES + 6 * i;
		synth_put16(e, (uint16_t)d->sp_off);
		synth_put16(e + 2, (uint16_t)d->bp_off);
		synth_put16(e + 4, (uint16_t)(d->sp_reg | d->bp_reg << 4 | d->type << 8 |
					      (unsigned)d->signal << 11));
	}
	// orc_lookup: one index per 256 bytes of text from _stext (0x1000),
	// the entry at or below each block's start.
	uint32_t nblocks = (ETEXT - F_A) / 256 + 1;
	for (uint32_t b = 0; b < nblocks; b++) {
		uint32_t ip = F_A + 256 * b, idx = 0;
		for (uint32_t i = 0; i < NORC; i++)
			if (orc_defs[i].ip <= ip)
				idx = i;
		synth_put32(mem + ORC_LOOKUP + 4 * b, idx);
	}
	synth_put32(mem + LOOKUP_NUM, nblocks);
	put64(mem, PER_CPU_OFFSET, KVA(IRQ0));
	put64(mem, PER_CPU_OFFSET + 8, KVA(IRQ1));
	put64(mem, PER_CPU_OFFSET + 16, KVA(PERCPU(2)));
	put64(mem, PER_CPU_OFFSET + 24, KVA(PERCPU(3)));
	for (uint32_t n = 0; n < 4; n++)	/* the NMI stack at cea + 8K + 8K */
		put64(mem, PERCPU(n) + 0x11000, KVA(PERCPU(n) + 0x2000));

	// CPU 0: in f_a on its IRQ stack, called from f_b after the switch
	// from the task stack, which holds f_c returning onto a pt_regs
	// that interrupted f_entry, called from f_top.
	put64(mem, IRQ0 + 0x3ff0, KVA(F_B + 0x15));
	put64(mem, IRQ0 + 0x3ff8, KVA(TASK_STACK + 0x1f00));	/* the saved task sp */
	put64(mem, TASK_STACK + 0x1f08, KVA(F_C + 0x8));
	uint32_t regs = TASK_STACK + 0x1f20;
	put64(mem, regs + 8 * 4, 0x4242);			/* bp */
	put64(mem, regs + 8 * 16, KVA(F_ENTRY + 0x5));		/* ip */
	put64(mem, regs + 8 * 17, 0x10);			/* cs: kernel */
	put64(mem, regs + 8 * 19, KVA(TASK_STACK + 0x1fd0));	/* sp */
	put64(mem, TASK_STACK + 0x1fd0, KVA(F_TOP + 0x5));
	put64(mem, TASK_STACK + 0x1fc8, 0x777);			/* bp, via PREV_SP - 16 */

	// CPU 1: in f_c on the task stack, right on a pt_regs from user mode.
	regs = TASK_STACK + 0x2010;
	put64(mem, regs + 8 * 16, 0x401000);
	put64(mem, regs + 8 * 17, 0x33);
	put64(mem, regs + 8 * 19, 0x7ffc0000);

	// A sleeping task: inactive_task_frame at 0xb000 returning into
	// f_caller, which f_top called.
	put64(mem, TASK_STACK + 0x3000 + 40, 0x1234);		/* bp */
	put64(mem, TASK_STACK + 0x3000 + 48, KVA(F_CALLER + 0x15));
	put64(mem, TASK_STACK + 0x3058 - 8, KVA(F_TOP + 0x5));

	// Another: saved in f_noorc (no ORC), which f_caller called; a
	// return address into f_other sits below as a decoy.
	put_call(mem, F_CALLER + 0x15, F_NOORC);
	put_call(mem, F_OTHER + 0x15, F_A);
	put64(mem, TASK_STACK + 0x3800 + 48, KVA(F_NOORC + 0x20));
	put64(mem, TASK_STACK + 0x3840, KVA(F_OTHER + 0x15));
	put64(mem, TASK_STACK + 0x3848, KVA(F_CALLER + 0x15));
	put64(mem, TASK_STACK + 0x3868, KVA(F_TOP + 0x5));

	// A stack of one-word f_other frames, far more than a walk takes.
	for (uint32_t a = LOOP_STACK + 48; a < LOOP_STACK + 0x4000; a += 8)
		put64(mem, a, KVA(F_OTHER + 0x15));

	// CPU 2 after an oops: its note holds the pt_regs at OOPS_REGS (an
	// exception in f_caller), below which f_exc called f_handler, which
	// called __crash_kexec (f_stop), where the CPU stopped. Below, a
	// return address that leads nowhere.
	put_call(mem, F_EXC + 0x15, F_HANDLER);
	put_call(mem, F_HANDLER + 0x15, F_STOP);
	put_call(mem, F_STOP + 0x15, F_A);
	put64(mem, OOPS_REGS - 0x08, KVA(F_EXC + 0x15));
	put64(mem, OOPS_REGS - 0x20, KVA(F_HANDLER + 0x15));
	put64(mem, OOPS_REGS - 0x40, KVA(F_STOP + 0x15));
	put64(mem, OOPS_REGS - 0x80, KVA(F_OTHER + 0x15));
	for (int i = 0; i < 21; i++)
		put64(mem, OOPS_REGS + 8 * (uint32_t)i, oops_reg(i));
	put64(mem, OOPS_REGS + 168 + 0x18, KVA(F_TOP + 0x5));

	// CPU 3, stopped by the crash NMI in f_caller: its NMI stack holds
	// the interrupted registers at NMI_REGS, f_exc's return onto them,
	// crash_nmi_callback's below (where the CPU halts), and lower a stale
	// return into __crash_kexec that leads there too.
	put_call(mem, F_NMI + 0x15, F_A);
	put64(mem, NMI_REGS - 0x08, KVA(F_EXC + 0x15));
	put64(mem, NMI_REGS - 0x20, KVA(F_NMI + 0x15));
	put64(mem, NMI_REGS - 0x40, KVA(F_STOP + 0x15));
	for (int i = 0; i < 21; i++)
		put64(mem, NMI_REGS + 8 * (uint32_t)i, nmi_reg(i));
	put64(mem, TASK_STACK + 0x800 + 0x18, KVA(F_TOP + 0x5));

	// One whose f_loop frame never climbs the stack.
	put64(mem, TASK_STACK + 0x3c00 + 48, KVA(F_LOOP + 0x10));
	put64(mem, TASK_STACK + 0x3c38 - 8, KVA(F_LOOP + 0x10));
}

static const char *const map_lines[] = {
	"0000000000000000 A irq_stack_backing_store",
	"0000000000004000 A exception_stacks",
	"0000000000010000 A entry_stack_storage",
	"0000000000011000 A cea_exception_stacks",
	"0000000000012000 A percpu_end",
};

static void fixture_open(struct fixture *fx, const char *release)
{
	fx->mem = calloc(1, MEM_SIZE);
	assert_non_null(fx->mem);
	build_memory(fx->mem);
	char map[4096];
	int n = 0;
	for (size_t i = 0; i < sizeof(map_lines) / sizeof(map_lines[0]); i++)
		n += snprintf(map + n, sizeof(map) - (size_t)n, "%s\n", map_lines[i]);
	static const struct { uint32_t off; char type; const char *name; } syms[] = {
		{ F_A, 'T', "_stext" }, { F_A, 'T', "f_a" }, { F_B, 'T', "f_b" },
		{ F_C, 't', "f_c" }, { F_ENTRY, 'T', "f_entry" }, { F_TOP, 'T', "f_top" },
		{ F_NOORC, 'T', "f_noorc" }, { F_CALLER, 'T', "f_caller" },
		{ F_OTHER, 'T', "f_other" }, { F_LOOP, 'T', "f_loop" },
		{ F_EXC, 'T', "f_exc" }, { F_HANDLER, 'T', "f_handler" },
		{ F_STOP, 'T', "__crash_kexec" }, { F_NMI, 'T', "crash_nmi_callback" },
		{ ETEXT, 'T', "_etext" }, { ORC_IP, 'R', "__start_orc_unwind_ip" },
		{ ORC_IP + 4 * NORC, 'R', "__stop_orc_unwind_ip" },
		{ ORC_ENTRIES, 'R', "__start_orc_unwind" },
		{ ORC_ENTRIES + 6 * NORC, 'R', "__stop_orc_unwind" },
		{ ORC_LOOKUP, 'B', "orc_lookup" }, { LOOKUP_NUM, 'd', "lookup_num_blocks" },
		{ PER_CPU_OFFSET, 'D', "__per_cpu_offset" },
		{ TASK_STACK, 'D', "data_end" },
	};
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		n += snprintf(map + n, sizeof(map) - (size_t)n, "%016llx %c %s\n",
			      (unsigned long long)KVA(syms[i].off), syms[i].type, syms[i].name);
	fx->map = synth_write_bytes(map, (size_t)n);

	struct synth *s = synth_new();
	put_prstatus(s, 7, KVA(F_A + 0x20), KVA(IRQ0 + 0x3fe0), 0x10);
	put_prstatus(s, 9, KVA(F_C + 0x7), KVA(TASK_STACK + 0x2000), 0x10);
	uint8_t d[336] = {0};
	synth_put32(d + 32, 11);
	for (int i = 0; i < 21; i++)
		synth_put64(d + 112 + 8 * i, oops_reg(i));
	synth_note(s, "CORE", 1 /* NT_PRSTATUS */, d, sizeof(d));
	synth_put32(d + 32, 0);
	for (int i = 0; i < 21; i++)
		synth_put64(d + 112 + 8 * i, nmi_reg(i));
	synth_note(s, "CORE", 1 /* NT_PRSTATUS */, d, sizeof(d));
	synth_vmcoreinfo(s, "OSRELEASE=%s\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
			 "SYMBOL(_stext)=%llx\n", release, (unsigned long long)KVA(F_A));
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

static void assert_frame(const struct kd_backtrace *bt, size_t i, const char *fn,
			 uint64_t off, uint64_t sp, const char *stack,
			 unsigned int flags)
{
	assert_true(i < bt->nframes);
	const struct kd_frame *f = &bt->frames[i];
	assert_non_null(f->function);
	assert_string_equal(f->function, fn);
	assert_int_equal(f->offset, off);
	assert_int_equal(f->size, 0x100);
	assert_int_equal(f->sp, sp);
	assert_string_equal(f->stack, stack);
	assert_int_equal(f->flags, flags);
	assert_null(f->module);
}

static void test_cpu_irq_to_task(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx, "6.12.0-test");
	struct kd_backtrace *bt;
	assert_null(kd_unwind_cpu(fx.f.kernel, 0, &bt));
	assert_null(bt->stopped);
	assert_int_equal(bt->cpu, 0);
	assert_int_equal(bt->pid, 7);
	assert_int_equal(bt->nframes, 5);
	assert_frame(bt, 0, "f_a", 0x20, KVA(IRQ0 + 0x3fe0), "IRQ", 0);
	assert_frame(bt, 1, "f_b", 0x15, KVA(IRQ0 + 0x3ff0), "IRQ", 0);
	assert_frame(bt, 2, "f_c", 0x8, KVA(TASK_STACK + 0x1f08), "task",
		     KD_FRAME_TRANSITION);
	assert_frame(bt, 3, "f_entry", 0x5, KVA(TASK_STACK + 0x1fd0), "task",
		     KD_FRAME_REGS);
	assert_frame(bt, 4, "f_top", 0x5, KVA(TASK_STACK + 0x1fd0), "task", 0);
	assert_false(bt->user_regs);
	kd_unwind_destroy(bt);
	size_t cpu = 99;
	// No panic_cpu symbol: the CPU saved in crash_kexec is looked for,
	// and neither CPU's ip is there.
	struct kd_error *err = kd_unwind_panic_cpu(fx.f.kernel, &cpu);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	assert_int_equal(cpu, 99);
	fixture_close(&fx);
}

static void test_cpu_user_regs(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx, "6.12.0-test");
	struct kd_backtrace *bt;
	assert_null(kd_unwind_cpu(fx.f.kernel, 1, &bt));
	assert_null(bt->stopped);
	assert_int_equal(bt->nframes, 1);
	assert_frame(bt, 0, "f_c", 0x7, KVA(TASK_STACK + 0x2000), "task", 0);
	assert_true(bt->user_regs);
	assert_int_equal(bt->user_ip, 0x401000);
	assert_int_equal(bt->user_sp, 0x7ffc0000);
	kd_unwind_destroy(bt);
	struct kd_error *err = kd_unwind_cpu(fx.f.kernel, 4, &bt);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	fixture_close(&fx);
}

// After an oops the note holds the oops's registers; the CPU went on
// below them into __crash_kexec. The walk starts there, as crash shows it.
static void test_cpu_below_oops(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx, "6.12.0-test");
	struct kd_backtrace *bt;
	assert_null(kd_unwind_cpu(fx.f.kernel, 2, &bt));
	assert_null(bt->stopped);
	assert_int_equal(bt->pid, 11);
	assert_int_equal(bt->nframes, 5);
	assert_frame(bt, 0, "__crash_kexec", 0x15, KVA(OOPS_REGS - 0x40), "task",
		     KD_FRAME_GUESSED);
	assert_frame(bt, 1, "f_handler", 0x15, KVA(OOPS_REGS - 0x20), "task", 0);
	assert_frame(bt, 2, "f_exc", 0x15, KVA(OOPS_REGS - 0x08), "task", 0);
	assert_frame(bt, 3, "f_caller", 0x40, KVA(OOPS_REGS + 168), "task", KD_FRAME_REGS);
	assert_frame(bt, 4, "f_top", 0x5, KVA(OOPS_REGS + 168 + 0x18), "task", 0);
	kd_unwind_destroy(bt);
	fixture_close(&fx);
}

// A CPU stopped by the crash NMI: the walk starts on its NMI stack in
// crash_nmi_callback (not at the lower stale return), then crosses to
// the interrupted context, as crash shows it.
static void test_cpu_nmi_stack(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx, "6.12.0-test");
	struct kd_backtrace *bt;
	assert_null(kd_unwind_cpu(fx.f.kernel, 3, &bt));
	assert_null(bt->stopped);
	assert_int_equal(bt->nframes, 4);
	assert_frame(bt, 0, "crash_nmi_callback", 0x15, KVA(NMI_REGS - 0x20), "NMI exception",
		     KD_FRAME_GUESSED);
	assert_frame(bt, 1, "f_exc", 0x15, KVA(NMI_REGS - 0x08), "NMI exception", 0);
	assert_frame(bt, 2, "f_caller", 0x40, KVA(TASK_STACK + 0x800), "task",
		     KD_FRAME_REGS | KD_FRAME_TRANSITION);
	assert_frame(bt, 3, "f_top", 0x5, KVA(TASK_STACK + 0x818), "task", 0);
	kd_unwind_destroy(bt);
	fixture_close(&fx);
}

static void test_sleeping_task(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx, "6.12.0-test");
	struct kd_backtrace *bt;
	assert_null(kd_unwind_task(fx.f.kernel, KVA(TASK_STACK), KVA(TASK_STACK + 0x3000), &bt));
	assert_null(bt->stopped);
	assert_int_equal(bt->cpu, -1);
	assert_int_equal(bt->nframes, 2);
	assert_frame(bt, 0, "f_caller", 0x15, KVA(TASK_STACK + 0x3038), "task", 0);
	assert_frame(bt, 1, "f_top", 0x5, KVA(TASK_STACK + 0x3050), "task", 0);
	kd_unwind_destroy(bt);
	// Without the stack base: the aligned block holding thread.sp.
	assert_null(kd_unwind_task(fx.f.kernel, 0, KVA(TASK_STACK + 0x3000), &bt));
	assert_null(bt->stopped);
	assert_int_equal(bt->nframes, 2);
	kd_unwind_destroy(bt);
	fixture_close(&fx);
}

static void test_guess_without_orc(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx, "6.12.0-test");
	struct kd_backtrace *bt;
	assert_null(kd_unwind_task(fx.f.kernel, 0, KVA(TASK_STACK + 0x3800), &bt));
	assert_null(bt->stopped);
	assert_int_equal(bt->nframes, 3);
	assert_frame(bt, 0, "f_noorc", 0x20, KVA(TASK_STACK + 0x3838), "task", 0);
	// The return address whose call targets f_noorc, not the decoy.
	assert_frame(bt, 1, "f_caller", 0x15, KVA(TASK_STACK + 0x3848), "task",
		     KD_FRAME_GUESSED);
	assert_frame(bt, 2, "f_top", 0x5, KVA(TASK_STACK + 0x3868), "task", 0);
	kd_unwind_destroy(bt);
	fixture_close(&fx);
}

static void test_damaged_stacks(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx, "6.12.0-test");
	struct kd_backtrace *bt;
	// A frame that does not climb: stopped, the frames so far kept.
	assert_null(kd_unwind_task(fx.f.kernel, 0, KVA(TASK_STACK + 0x3c00), &bt));
	assert_non_null(bt->stopped);
	assert_non_null(strstr(bt->stopped, "wrong direction"));
	assert_true(bt->nframes >= 1 && bt->nframes <= 2);
	assert_string_equal(bt->frames[0].function, "f_loop");
	kd_unwind_destroy(bt);
	// A saved frame that runs off the end of the stack.
	assert_null(kd_unwind_task(fx.f.kernel, KVA(TASK_STACK), KVA(TASK_STACK + 0x3ff0), &bt));
	assert_non_null(bt->stopped);
	assert_int_equal(bt->nframes, 0);
	kd_unwind_destroy(bt);
	// Garbage: thread.sp outside memory.
	assert_null(kd_unwind_task(fx.f.kernel, 0, 0xffffc90000000000ULL, &bt));
	assert_non_null(bt->stopped);
	assert_int_equal(bt->nframes, 0);
	kd_unwind_destroy(bt);
	fixture_close(&fx);
}

// A stack full of return addresses into f_other, whose frame is one
// word: the walk ends after 256 frames.
static void test_bounded(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx, "6.12.0-test");
	struct kd_backtrace *bt;
	assert_null(kd_unwind_task(fx.f.kernel, 0, KVA(LOOP_STACK), &bt));
	assert_non_null(bt->stopped);
	assert_non_null(strstr(bt->stopped, "more than 256 frames"));
	assert_int_equal(bt->nframes, 256);
	for (size_t i = 0; i < bt->nframes; i++)
		assert_string_equal(bt->frames[i].function, "f_other");
	kd_unwind_destroy(bt);
	fixture_close(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_irq_to_task),
		cmocka_unit_test(test_cpu_user_regs),
		cmocka_unit_test(test_cpu_below_oops),
		cmocka_unit_test(test_cpu_nmi_stack),
		cmocka_unit_test(test_sleeping_task),
		cmocka_unit_test(test_guess_without_orc),
		cmocka_unit_test(test_damaged_stacks),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

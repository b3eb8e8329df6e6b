// SPDX-License-Identifier: LGPL-2.1-or-later
// Kernel stack walks on x86_64 with the dump's ORC tables, the way the
// kernel's own unwinder walks them (arch/x86/kernel/unwind_orc.c:
// unwind_next_frame(), __unwind_start()): from a CPU's registers at the
// crash (its NT_PRSTATUS note) or from a sleeping task's saved frame
// (struct inactive_task_frame at task->thread.sp), through pt_regs left by
// interrupts, exceptions and system calls, across the IRQ, exception and
// entry stacks to the task stack, with a frame-pointer guess where ORC has
// no entry. Every read is bounded to a known stack and every walk to
// UNWIND_MAX_FRAMES frames that climb each stack.
#include "kernel/kernel.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

enum {
	UNWIND_MAX_FRAMES = 256,
	// THREAD_SIZE on x86_64 without KASAN (THREAD_SIZE_ORDER 2); task
	// stacks are THREAD_SIZE-aligned (THREAD_ALIGN), vmapped or not.
	UNWIND_THREAD_SIZE = 16384,
	UNWIND_PAGE = 4096,
	// The largest per-CPU stack taken from the symbol table's spacing.
	UNWIND_MAX_PERCPU_STACK = 64 * 1024,
	// Stacks one walk may visit (task, IRQ, exception, entry): the
	// per-walk cache of their bytes.
	UNWIND_MAX_STACKS = 8,
};

// struct pt_regs (arch/x86/include/asm/ptrace.h), also the first 21 u64 of
// user_regs_struct in NT_PRSTATUS: indices of the registers used here.
enum {
	REG_R13 = 2, REG_BP = 4, REG_R10 = 7, REG_DX = 12, REG_DI = 14,
	REG_IP = 16, REG_CS = 17, REG_SP = 19,
	PT_REGS_NREGS = 21,
};
struct unwind_raw_pt_regs {
	uint8_t regs[PT_REGS_NREGS][8];
};
_Static_assert(sizeof(struct unwind_raw_pt_regs) == 168, "struct pt_regs is 168 bytes");
// The hardware's IRET frame (ip, cs, flags, sp, ss) ends pt_regs.
#define IRET_FRAME_OFFSET (8 * REG_IP)
#define IRET_FRAME_SIZE (sizeof(struct unwind_raw_pt_regs) - IRET_FRAME_OFFSET)

// struct inactive_task_frame (arch/x86/include/asm/switch_to.h), x86_64
// since Linux 4.9 without the flags word of 5.x: r15 r14 r13 r12 bx bp
// ret_addr. The dump's BTF says so when it has one (unwind_frame_layout()).
enum { INACTIVE_FRAME_BP = 40, INACTIVE_FRAME_RET = 48, INACTIVE_FRAME_SIZE = 56 };

// Names of the exception stacks in cpu_entry_area order (struct
// exception_stacks, arch/x86/include/asm/cpu_entry_area.h, 5.9+), as crash
// names them in "--- <NMI exception stack> ---".
static const char *const unwind_exception_names[] = {
	"DOUBLEFAULT exception", "NMI exception", "DEBUG exception",
	"MCE exception", "VC exception", "VC2 exception",
};

// A per-CPU stack's backing store: the physical pages of its per-CPU
// variable. The kernel runs on another virtual mapping of the same pages
// (the vmapped IRQ stack, the cpu_entry_area), so a stack pointer is
// matched by its physical page.
struct unwind_backing {
	const char *symbol;
	uint64_t size;		/* whole variable */
	uint64_t stack_size;	/* one stack in it */
	size_t nstacks;
};

struct unwind_cpu_stacks {
	bool tried;
	uint64_t offset;	/* __per_cpu_offset[cpu], 0 = unknown */
	// physical page of each page of each backing store, 0 = unknown
	uint64_t *pages[3];
	size_t npages[3];
};

struct kd_unwind_cache {
	bool tried;
	struct unwind_backing backing[3];	/* IRQ, exceptions, entry */
	size_t ncpus;
	struct unwind_cpu_stacks *cpus;
	uint64_t per_cpu_offset;	/* __per_cpu_offset */
	uint64_t cea_exception_stacks;	/* per-CPU pointer into the cpu_entry_area */
	uint64_t ret_from_fork[2];	/* ret_from_fork, ret_from_fork_asm */
	uint64_t text[2], inittext[2];	/* [_stext, _etext), [_sinittext, _einittext) */
	// struct inactive_task_frame: bp, ret_addr and its size, from BTF
	// once a sleeping task is walked
	bool frame_tried;
	uint64_t frame_bp, frame_ret, frame_size;
	// ORC_REG_SP_INDIRECT: [sp] + offset since Linux 5.12 (commit
	// "x86/unwind/orc: Change REG_SP_INDIRECT"), [sp + offset] before.
	bool sp_indirect_then_add;
};

void kd_unwind_cache_destroy(struct kd_unwind_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ncpus; i++)
		for (size_t j = 0; j < 3; j++)
			free(c->cpus[i].pages[j]);
	free(c->cpus);
	free(c);
}

// One stack a walk knows of, and its bytes once read.
struct unwind_stack {
	uint64_t lo, hi;
	const char *name;
	uint8_t *data;		/* hi - lo bytes, or NULL before the first read */
	bool unreadable;
};

struct unwind_walk {
	struct kd_kernel *k;
	const struct kd_orc_table *orc;
	int cpu;			/* -1: a sleeping task, no per-CPU stacks */
	struct unwind_stack stacks[UNWIND_MAX_STACKS];
	size_t nstacks;
	size_t task_stack;		/* index in stacks, or SIZE_MAX */
	size_t cur;			/* the stack of the current frame */
	// unwind state (struct unwind_state)
	uint64_t ip, sp, bp;
	bool signal;
	bool have_regs, full_regs, have_prev;
	uint64_t regs[PT_REGS_NREGS], prev_regs[PT_REGS_NREGS];
	struct kd_backtrace *bt;
	// The first frame when it was found by a scan (the NMI stack): its
	// slot and flags.
	uint64_t first_slot;
	unsigned int first_flags;
};

// ------------------------------------------------------------ symbols

// The size of a function as kallsyms gives it (%pB): up to the next symbol
// at a higher address, per-CPU offsets ('A') aside.
static void unwind_symbolize(struct kd_kernel *k, struct kd_frame *f)
{
	// A module's text: its own kallsyms (module.c).
	const char *mod, *name;
	uint64_t off, size;
	if (kd_module_symbolize(k, f->address, &mod, &name, &off, &size)) {
		f->module = mod;
		f->function = name;
		f->offset = name ? off : 0;
		f->size = name ? size : 0;
		return;
	}
	const struct kd_symtab *tab = &k->symtab;
	const struct kd_symbol *s = kd_symtab_containing(tab, f->address);
	if (!s)
		return;
	f->function = s->name;
	f->offset = f->address - s->addr;
	for (size_t i = (size_t)(s - tab->syms) + 1; i < tab->nsyms; i++) {
		const struct kd_symbol *n = &tab->syms[i];
		if (n->addr > s->addr && n->type != 'a' && n->type != 'A') {
			f->size = n->addr - s->addr;
			break;
		}
	}
}

// --------------------------------------------------- per-CPU stacks

static uint64_t unwind_symbol_or_zero(struct kd_kernel *k, const char *name)
{
	uint64_t addr = 0;
	kd_error_destroy(kd_kernel_symbol(k, name, &addr));
	return addr;
}

// The distance from per-CPU symbol @p name to the next per-CPU symbol
// above it: the variable's size with its padding; 0 when unknown.
static uint64_t unwind_percpu_span(struct kd_kernel *k, const char *name,
				   uint64_t *start_ret)
{
	const struct kd_symtab *tab = &k->symtab;
	const struct kd_symbol *s = kd_symtab_find(tab, name);
	if (!s)
		return 0;
	*start_ret = s->addr;
	// syms is sorted by address; aliases may sit on either side.
	const struct kd_symbol *end = tab->syms + tab->nsyms;
	const struct kd_symbol *p = s;
	while (p > tab->syms && p[-1].addr == s->addr)
		p--;
	for (; p < end; p++)
		if (p->addr > s->addr && (p->type == 'A' || p->type == 'a'))
			return p->addr - s->addr;
	return 0;
}

static bool unwind_pow2_pages(uint64_t n)
{
	return n >= UNWIND_PAGE && n % UNWIND_PAGE == 0 && !(n & (n - 1));
}

static void unwind_cache_init(struct kd_kernel *k, struct kd_unwind_cache *c)
{
	uint64_t start, span;
	// irq_stack_backing_store: IRQ_STACK_SIZE (16 KiB) per CPU.
	span = unwind_percpu_span(k, "irq_stack_backing_store", &start);
	if (span) {
		uint64_t size = span >= 16384 ? 16384 : 0;
		c->backing[0] = (struct unwind_backing){ "irq_stack_backing_store",
			size, size, 1 };
	}
	// exception_stacks: DF, NMI, DB, MCE and, with
	// CONFIG_AMD_MEM_ENCRYPT, VC and VC2, each EXCEPTION_STKSZ (8 KiB
	// without KASAN).
	span = unwind_percpu_span(k, "exception_stacks", &start);
	if (span && span <= 6 * UNWIND_MAX_PERCPU_STACK) {
		size_t n = span % 6 == 0 && unwind_pow2_pages(span / 6) ? 6 :
			   span % 4 == 0 && unwind_pow2_pages(span / 4) ? 4 : 0;
		if (n)
			c->backing[1] = (struct unwind_backing){ "exception_stacks",
				span, span / n, n };
	}
	// entry_stack_storage: the page of struct entry_stack_page.
	span = unwind_percpu_span(k, "entry_stack_storage", &start);
	if (span)
		c->backing[2] = (struct unwind_backing){ "entry_stack_storage",
			UNWIND_PAGE, UNWIND_PAGE, 1 };
	c->per_cpu_offset = unwind_symbol_or_zero(k, "__per_cpu_offset");
	c->cea_exception_stacks = unwind_symbol_or_zero(k, "cea_exception_stacks");
	c->ret_from_fork[0] = unwind_symbol_or_zero(k, "ret_from_fork");
	c->ret_from_fork[1] = unwind_symbol_or_zero(k, "ret_from_fork_asm");
	c->text[0] = unwind_symbol_or_zero(k, "_stext");
	c->text[1] = unwind_symbol_or_zero(k, "_etext");
	c->inittext[0] = unwind_symbol_or_zero(k, "_sinittext");
	c->inittext[1] = unwind_symbol_or_zero(k, "_einittext");
	const char *release = NULL;
	unsigned int major = 0, minor = 0;
	kd_error_destroy(kd_vmcoreinfo_string(k->vi, "OSRELEASE", &release));
	c->sp_indirect_then_add = !release ||
		sscanf(release, "%u.%u", &major, &minor) != 2 ||
		major > 5 || (major == 5 && minor >= 12);
	c->ncpus = kd_dump_num_cpus(k->dump);
	c->cpus = calloc(c->ncpus ? c->ncpus : 1, sizeof(*c->cpus));
	if (!c->cpus)
		c->ncpus = 0;
}

static struct kd_unwind_cache *unwind_cache(struct kd_kernel *k)
{
	if (!k->unwind) {
		k->unwind = calloc(1, sizeof(*k->unwind));
		if (k->unwind)
			unwind_cache_init(k, k->unwind);
	}
	return k->unwind;
}

// The physical pages of @p cpu's per-CPU stacks (read once per CPU).
static const struct unwind_cpu_stacks *unwind_cpu_stacks(struct kd_kernel *k,
							 int cpu)
{
	struct kd_unwind_cache *c = unwind_cache(k);
	if (!c || cpu < 0 || (size_t)cpu >= c->ncpus || !c->per_cpu_offset)
		return NULL;
	struct unwind_cpu_stacks *cs = &c->cpus[cpu];
	if (cs->tried)
		return cs;
	cs->tried = true;
	uint64_t off;
	struct kd_error *err = kd_kernel_read_u64(k, c->per_cpu_offset + 8 * (uint64_t)cpu, &off);
	if (err) {
		kd_error_destroy(err);
		return cs;
	}
	cs->offset = off;
	for (size_t j = 0; j < 3; j++) {
		const struct unwind_backing *b = &c->backing[j];
		uint64_t start;
		if (!b->size || !unwind_percpu_span(k, b->symbol, &start))
			continue;
		size_t n = (size_t)(b->size / UNWIND_PAGE);
		cs->pages[j] = calloc(n, sizeof(uint64_t));
		if (!cs->pages[j])
			continue;
		cs->npages[j] = n;
		for (size_t i = 0; i < n; i++) {
			uint64_t pa;
			err = kd_kernel_vtop(k, start + off + i * UNWIND_PAGE, &pa);
			if (err) {
				kd_error_destroy(err);
				continue;
			}
			// 0 marks "unknown"; a real per-CPU page is never at 0.
			cs->pages[j][i] = pa & ~(uint64_t)(UNWIND_PAGE - 1);
		}
	}
	return cs;
}

// ----------------------------------------------------------- stacks

static size_t unwind_add_stack(struct unwind_walk *w, uint64_t lo, uint64_t hi,
			       const char *name)
{
	for (size_t i = 0; i < w->nstacks; i++)
		if (w->stacks[i].lo == lo && w->stacks[i].hi == hi)
			return i;
	if (w->nstacks == UNWIND_MAX_STACKS)
		return SIZE_MAX;
	w->stacks[w->nstacks] = (struct unwind_stack){ .lo = lo, .hi = hi, .name = name };
	return w->nstacks++;
}

// Which stack holds @p addr: one already known, one of the CPU's per-CPU
// stacks, else the task stack (the THREAD_SIZE-aligned block, taken once).
// SIZE_MAX when none.
static size_t unwind_find_stack(struct unwind_walk *w, uint64_t addr)
{
	for (size_t i = 0; i < w->nstacks; i++)
		if (addr >= w->stacks[i].lo && addr < w->stacks[i].hi)
			return i;
	const struct unwind_cpu_stacks *cs = unwind_cpu_stacks(w->k, w->cpu);
	uint64_t pa;
	struct kd_error *err = cs ? kd_kernel_vtop(w->k, addr, &pa) : NULL;
	if (err) {
		kd_error_destroy(err);
		cs = NULL;
	}
	if (cs) {
		pa &= ~(uint64_t)(UNWIND_PAGE - 1);
		const struct kd_unwind_cache *c = w->k->unwind;
		for (size_t j = 0; j < 3; j++) {
			const struct unwind_backing *b = &c->backing[j];
			for (size_t i = 0; i < cs->npages[j]; i++) {
				if (cs->pages[j][i] != pa)
					continue;
				size_t per = (size_t)(b->stack_size / UNWIND_PAGE);
				size_t idx = i / per;
				uint64_t lo = (addr & ~(uint64_t)(UNWIND_PAGE - 1)) -
					      (uint64_t)(i % per) * UNWIND_PAGE;
				const char *name = j == 0 ? "IRQ" : j == 2 ? "entry" :
					b->nstacks == 6 || idx < 4 ?
					unwind_exception_names[idx] : "exception";
				return unwind_add_stack(w, lo, lo + b->stack_size, name);
			}
		}
	}
	if (w->task_stack != SIZE_MAX)
		return SIZE_MAX;
	uint64_t lo = addr & ~(uint64_t)(UNWIND_THREAD_SIZE - 1);
	w->task_stack = unwind_add_stack(w, lo, lo + UNWIND_THREAD_SIZE, "task");
	return w->task_stack;
}

// Read @p len bytes at @p addr, which must lie within one known stack
// (the kernel's stack_access_ok()).
static bool unwind_read(struct unwind_walk *w, uint64_t addr, void *buf,
			size_t len)
{
	size_t i = unwind_find_stack(w, addr);
	if (i == SIZE_MAX)
		return false;
	struct unwind_stack *s = &w->stacks[i];
	if (addr + len < addr || addr + len > s->hi)
		return false;
	if (!s->data && !s->unreadable) {
		s->data = malloc((size_t)(s->hi - s->lo));
		struct kd_error *err = s->data ?
			kd_kernel_read_virt(w->k, s->lo, s->data, (size_t)(s->hi - s->lo)) :
			&kd_enomem;
		if (err) {
			// Read what is there page by page: a stack's unused
			// pages may be missing from a filtered dump.
			kd_error_destroy(err);
			free(s->data);
			s->data = NULL;
			s->unreadable = true;
		}
	}
	if (s->data) {
		memcpy(buf, s->data + (addr - s->lo), len);
		return true;
	}
	struct kd_error *err = kd_kernel_read_virt(w->k, addr, buf, len);
	if (err) {
		kd_error_destroy(err);
		return false;
	}
	return true;
}

static bool unwind_read_u64(struct unwind_walk *w, uint64_t addr, uint64_t *ret)
{
	uint8_t b[8];
	if (!unwind_read(w, addr, b, sizeof(b)))
		return false;
	*ret = kd_le64(b);
	return true;
}

// -------------------------------------------------------------- walk

static struct kd_error *unwind_stop(struct unwind_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static struct kd_error *unwind_stop(struct unwind_walk *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&w->bt->stopped, fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->bt->stopped = NULL;
		return &kd_enomem;
	}
	return NULL;
}

static struct kd_error *unwind_emit(struct unwind_walk *w, unsigned int flags)
{
	struct kd_backtrace *bt = w->bt;
	if (bt->nframes % 16 == 0) {
		struct kd_frame *f = realloc(bt->frames, (bt->nframes + 16) * sizeof(*f));
		if (!f)
			return &kd_enomem;
		bt->frames = f;
	}
	size_t si = unwind_find_stack(w, w->sp);
	struct kd_frame *f = &bt->frames[bt->nframes];
	// crash's stack address: where a return address was read (the slot
	// below the caller's stack pointer), else the stack pointer itself.
	bool ret_slot = bt->nframes && !(flags & KD_FRAME_REGS);
	*f = (struct kd_frame){ .address = w->ip, .sp = ret_slot ? w->sp - 8 : w->sp,
				.flags = flags,
				.stack = si == SIZE_MAX ? "unknown" : w->stacks[si].name };
	if (bt->nframes && si != w->cur)
		f->flags |= KD_FRAME_TRANSITION;
	w->cur = si;
	unwind_symbolize(w->k, f);
	bt->nframes++;
	return NULL;
}

// A register for ORC_REG_R10/R13/DI/DX or the bp of an UNDEFINED bp_reg:
// from the full pt_regs of this frame, else from the full ones an IRET
// frame interrupted (the kernel's get_reg()).
static bool unwind_get_reg(const struct unwind_walk *w, unsigned int reg,
			   uint64_t *ret)
{
	if (!w->have_regs)
		return false;
	if (w->full_regs) {
		*ret = w->regs[reg];
		return true;
	}
	if (w->have_prev) {
		*ret = w->prev_regs[reg];
		return true;
	}
	return false;
}

// The entry for @p pc: vmlinux's table covers its text and init text
// (orc_find()); modules have their own tables.
static bool unwind_orc_find(struct unwind_walk *w, uint64_t pc,
			    struct kd_orc_entry *ret)
{
	const struct kd_unwind_cache *c = w->k->unwind;
	if (!w->orc || !c)
		return false;
	if ((pc >= c->text[0] && pc < c->text[1]) ||
	    (pc >= c->inittext[0] && pc < c->inittext[1]))
		return kd_orc_find(w->orc, pc, ret);
	const struct kd_orc_table *mod = kd_module_orc(w->k, pc);
	return mod && kd_orc_find(mod, pc, ret);
}

// Whether @p ip lies in code: the kernel's text or init text.
static bool unwind_is_text(const struct unwind_walk *w, uint64_t ip)
{
	const struct kd_unwind_cache *c = w->k->unwind;
	return (ip >= c->text[0] && ip < c->text[1]) ||
	       (ip >= c->inittext[0] && ip < c->inittext[1]) ||
	       kd_module_is_text(w->k, ip);
}

// Whether the bytes before return address @p ret are a call instruction:
// E8 rel32 (*target_ret gets its target), or an indirect call FF /2 in the
// forms compilers and the retpoline/alternatives patching leave in the
// running text (call *%reg, call *disp(%reg), call *disp32(%rip)).
static bool unwind_after_call(struct unwind_walk *w, uint64_t ret,
			      uint64_t *target_ret)
{
	uint8_t b[8];
	*target_ret = 0;
	if (!unwind_is_text(w, ret - 1) || kd_kernel_read_virt(w->k, ret - 8, b, 8))
		return false;
	// b[8 - n] is the byte n before ret
	if (b[3] == 0xe8) {
		*target_ret = ret + (uint64_t)(int64_t)(int32_t)kd_le32(b + 4);
		return true;
	}
	return (b[6] == 0xff && (b[7] & 0xf8) == 0xd0) ||			/* call *%reg */
	       (b[5] == 0x41 && b[6] == 0xff && (b[7] & 0xf8) == 0xd0) ||	/* call *%r8-15 */
	       (b[5] == 0xff && (b[6] & 0xf8) == 0x50) ||			/* call *d8(%reg) */
	       (b[2] == 0xff && ((b[3] & 0xf8) == 0x90 || b[3] == 0x15)) ||	/* d32(%reg), (%rip) */
	       (b[1] == 0xff && b[2] == 0x14 && b[3] == 0x25);		/* call *d32 */
}

// The kernel errs where ORC has nothing for the code (a
// STACK_FRAME_NON_STANDARD function such as __crash_kexec(), or code
// without unwind data); a dump reader guesses the caller instead:
//  1. the first return address above sp whose call instruction calls the
//     current function directly;
//  2. a frame-pointer frame (the kernel's own orc_fp_entry fallback, for
//     generated code), when bp points up the stack at a return address;
//  3. the first word above sp that returns after a call instruction.
// The frame found is marked guessed.
static bool unwind_guess(struct unwind_walk *w)
{
	enum { SCAN_WORDS = 512 };
	const struct kd_symbol *sym = kd_symtab_containing(&w->k->symtab, w->ip);
	uint64_t func = sym ? sym->addr : 0, v, target;
	size_t si = unwind_find_stack(w, w->sp);
	if (si == SIZE_MAX)
		return false;
	uint64_t end = w->stacks[si].hi;
	if (end - w->sp > 8 * SCAN_WORDS)
		end = w->sp + 8 * SCAN_WORDS;
	uint64_t loose = 0, loose_ret = 0;
	for (uint64_t a = w->sp & ~7ULL; a + 8 <= end; a += 8) {
		if (!unwind_read_u64(w, a, &v) || !unwind_after_call(w, v, &target))
			continue;
		if (func && target == func) {
			w->ip = v;
			w->sp = a + 8;
			return true;
		}
		if (!loose) {
			loose = a;
			loose_ret = v;
		}
	}
	uint64_t ret;
	if (w->bp > w->sp && w->bp + 16 <= w->stacks[si].hi && !(w->bp & 7) &&
	    unwind_read_u64(w, w->bp + 8, &ret) && unwind_after_call(w, ret, &target) &&
	    unwind_read_u64(w, w->bp, &v)) {
		w->ip = ret;
		w->sp = w->bp + 16;
		w->bp = v;
		return true;
	}
	if (!loose)
		return false;
	w->ip = loose_ret;
	w->sp = loose + 8;
	return true;
}

// After a step: the frame must be on a known stack, above the last one on
// the same stack (stacks grow down; this also ends loops on damaged data),
// and a guessed one must have found code.
static bool unwind_check(struct unwind_walk *w, size_t prev_stack,
			 uint64_t prev_sp, uint64_t orig_ip, unsigned int flags,
			 struct kd_error **err_ret)
{
	size_t now = unwind_find_stack(w, w->sp);
	if (now == SIZE_MAX) {
		*err_ret = unwind_stop(w, "stack pointer %#" PRIx64 " is on no known stack", w->sp);
		return false;
	}
	if (now == prev_stack && w->sp <= prev_sp) {
		*err_ret = unwind_stop(w, "stack going in the wrong direction at %#" PRIx64, orig_ip);
		return false;
	}
	if ((flags & KD_FRAME_GUESSED) && !unwind_is_text(w, w->ip)) {
		*err_ret = unwind_stop(w, "no unwind information at %#" PRIx64
				       " and no caller found", orig_ip);
		return false;
	}
	return true;
}

// One step of unwind_next_frame(): returns false at the end of the stack
// (bt->stopped says why when it is not the natural end).
static bool unwind_step(struct unwind_walk *w, unsigned int *flags_ret,
			struct kd_error **err_ret)
{
	*err_ret = NULL;
	*flags_ret = 0;
	uint64_t orig_ip = w->ip, prev_sp = w->sp;
	size_t prev_stack = w->cur;
	uint64_t pc = w->signal ? w->ip : w->ip - 1;
	struct kd_orc_entry orc;
	bool found;
	if (w->ip == 0) {
		// A call through a NULL pointer: the return address is at sp.
		orc = (struct kd_orc_entry){ .sp_offset = 8, .sp_reg = KD_ORC_REG_SP,
					     .type = KD_ORC_TYPE_CALL };
		found = true;
	} else {
		found = unwind_orc_find(w, pc, &orc);
	}
	if (!found || orc.type == KD_ORC_TYPE_UNDEFINED) {
		*flags_ret |= KD_FRAME_GUESSED;
		if (!unwind_guess(w)) {
			*err_ret = unwind_stop(w, "no unwind information at %#" PRIx64
					       " and no caller found", orig_ip);
			return false;
		}
		w->signal = false;
		w->have_regs = w->have_prev = false;
		return unwind_check(w, prev_stack, prev_sp, orig_ip, *flags_ret, err_ret);
	} else if (orc.type == KD_ORC_TYPE_END_OF_STACK) {
		return false;
	}
	w->signal = orc.signal;

	uint64_t sp;
	bool indirect = false;
	switch (orc.sp_reg) {
	case KD_ORC_REG_SP:
		sp = w->sp + (uint64_t)(int64_t)orc.sp_offset;
		break;
	case KD_ORC_REG_BP:
		sp = w->bp + (uint64_t)(int64_t)orc.sp_offset;
		break;
	case KD_ORC_REG_SP_INDIRECT:
		sp = w->sp;
		if (!w->k->unwind->sp_indirect_then_add)
			sp += (uint64_t)(int64_t)orc.sp_offset;
		indirect = true;
		break;
	case KD_ORC_REG_BP_INDIRECT:
		sp = w->bp + (uint64_t)(int64_t)orc.sp_offset;
		indirect = true;
		break;
	case KD_ORC_REG_R10:
	case KD_ORC_REG_R13:
	case KD_ORC_REG_DI:
	case KD_ORC_REG_DX: {
		static const unsigned int reg_of[] = {
			[KD_ORC_REG_R10] = REG_R10, [KD_ORC_REG_R13] = REG_R13,
			[KD_ORC_REG_DI] = REG_DI, [KD_ORC_REG_DX] = REG_DX,
		};
		if (!unwind_get_reg(w, reg_of[orc.sp_reg], &sp)) {
			*err_ret = unwind_stop(w, "no saved registers for the stack pointer at %#" PRIx64,
					       orig_ip);
			return false;
		}
		break;
	}
	default:
		*err_ret = unwind_stop(w, "unknown ORC stack register %u at %#" PRIx64,
				       orc.sp_reg, orig_ip);
		return false;
	}
	if (indirect) {
		if (!unwind_read_u64(w, sp, &sp)) {
			*err_ret = unwind_stop(w, "cannot read the stack at %#" PRIx64, sp);
			return false;
		}
		if (orc.sp_reg == KD_ORC_REG_SP_INDIRECT &&
		    w->k->unwind->sp_indirect_then_add)
			sp += (uint64_t)(int64_t)orc.sp_offset;
	}

	switch (orc.type) {
	case KD_ORC_TYPE_CALL:
		if (!unwind_read_u64(w, sp - 8, &w->ip)) {
			*err_ret = unwind_stop(w, "cannot read the return address at %#" PRIx64,
					       sp - 8);
			return false;
		}
		w->sp = sp;
		w->have_regs = w->have_prev = false;
		break;
	case KD_ORC_TYPE_REGS: {
		struct unwind_raw_pt_regs raw;
		if (!unwind_read(w, sp, &raw, sizeof(raw))) {
			*err_ret = unwind_stop(w, "cannot read the registers at %#" PRIx64, sp);
			return false;
		}
		for (size_t i = 0; i < PT_REGS_NREGS; i++)
			w->regs[i] = kd_le64(raw.regs[i]);
		w->ip = w->regs[REG_IP];
		w->sp = w->regs[REG_SP];
		w->have_regs = w->full_regs = true;
		w->have_prev = false;
		*flags_ret |= KD_FRAME_REGS;
		break;
	}
	case KD_ORC_TYPE_REGS_PARTIAL: {
		uint8_t raw[IRET_FRAME_SIZE];
		if (!unwind_read(w, sp, raw, sizeof(raw))) {
			*err_ret = unwind_stop(w, "cannot read the IRET frame at %#" PRIx64, sp);
			return false;
		}
		if (w->have_regs && w->full_regs) {
			memcpy(w->prev_regs, w->regs, sizeof(w->regs));
			w->have_prev = true;
		}
		memset(w->regs, 0, sizeof(w->regs));
		for (size_t i = 0; i < IRET_FRAME_SIZE / 8; i++)
			w->regs[REG_IP + i] = kd_le64(raw + 8 * i);
		w->ip = w->regs[REG_IP];
		w->sp = w->regs[REG_SP];
		w->have_regs = true;
		w->full_regs = false;
		*flags_ret |= KD_FRAME_REGS;
		break;
	}
	default:
		*err_ret = unwind_stop(w, "unknown ORC entry type %u at %#" PRIx64,
				       orc.type, orig_ip);
		return false;
	}

	// A pt_regs from user mode (cs & 3) ends the kernel stack: the
	// syscall or interrupt entry. Its frame is the one just emitted.
	if (w->have_regs && (w->regs[REG_CS] & 3)) {
		w->bt->user_regs = true;
		w->bt->user_ip = w->regs[REG_IP];
		w->bt->user_sp = w->regs[REG_SP];
		return false;
	}

	uint64_t tmp;
	switch (orc.bp_reg) {
	case KD_ORC_REG_UNDEFINED:
		if (unwind_get_reg(w, REG_BP, &tmp))
			w->bp = tmp;
		break;
	case KD_ORC_REG_PREV_SP:
		if (!unwind_read_u64(w, sp + (uint64_t)(int64_t)orc.bp_offset, &w->bp)) {
			*err_ret = unwind_stop(w, "cannot read the saved frame pointer at %#" PRIx64,
					       sp + (uint64_t)(int64_t)orc.bp_offset);
			return false;
		}
		break;
	case KD_ORC_REG_BP:
		if (!unwind_read_u64(w, w->bp + (uint64_t)(int64_t)orc.bp_offset, &w->bp)) {
			*err_ret = unwind_stop(w, "cannot read the saved frame pointer at %#" PRIx64,
					       w->bp + (uint64_t)(int64_t)orc.bp_offset);
			return false;
		}
		break;
	default:
		*err_ret = unwind_stop(w, "unknown ORC frame-pointer register %u at %#" PRIx64,
				       orc.bp_reg, orig_ip);
		return false;
	}

	return unwind_check(w, prev_stack, prev_sp, orig_ip, *flags_ret, err_ret);
}

// ------------------------------------- frames below the note's registers

// The registers in a CPU's note are not always where it stopped:
//  - a CPU stopped by the crash NMI saved the registers it was interrupted
//    with (crash_nmi_callback() -> crash_save_cpu()); it halts for good in
//    crash_nmi_callback() (arch/x86/kernel/reboot.c), on its NMI stack;
//  - after an oops, crash_kexec(regs) saves the oops's registers
//    (crash_setup_regs() copies them); the CPU went on through oops_end()
//    and __crash_kexec() into machine_kexec(), below the oops's pt_regs.
// Either way the entry code left those registers on the stack as a
// pt_regs. Where one is found, the walk starts lower, at a return address
// from which ORC leads back up to exactly that pt_regs, as crash shows
// these stacks. Calls that returned left their return addresses below the
// live frames too: one into @p stopped_in (where the CPU stopped) is taken
// first, else the lowest. Returns false, w unchanged, when nothing leads to
// the note's registers.
// After a probe walk on a copy of @p w: the bytes it read of w's stacks
// stay; stacks it took for its own (the task stack, on a wrong path) go.
static void unwind_probe_done(struct unwind_walk *w, struct unwind_walk *probe)
{
	for (size_t i = 0; i < probe->nstacks; i++) {
		struct unwind_stack *p = &probe->stacks[i];
		if (i < w->nstacks && !w->stacks[i].data && !w->stacks[i].unreadable) {
			w->stacks[i].data = p->data;
			w->stacks[i].unreadable = p->unreadable;
		} else if (i >= w->nstacks || w->stacks[i].data != p->data) {
			free(p->data);
		}
	}
}

static bool unwind_scan_start(struct unwind_walk *w, const struct kd_cpu_state *st,
			      size_t si, uint64_t regs_lo, uint64_t regs_hi,
			      const char *stopped_in)
{
	const struct unwind_stack *s = &w->stacks[si];
	uint64_t lo = s->lo;
	if (regs_lo < lo)
		regs_lo = lo;
	if (regs_hi > s->hi)
		regs_hi = s->hi;
	// The pt_regs: a block that holds the note's registers.
	enum { N = PT_REGS_NREGS };
	uint64_t regs_at = 0;
	uint8_t raw[8 * N];
	for (uint64_t a = (regs_hi - 8 * N) & ~7ULL; a >= regs_lo && a + 8 * N <= regs_hi && !regs_at;
	     a -= 8) {
		if (!unwind_read(w, a, raw, sizeof(raw)))
			break;
		static const unsigned int same[] = { REG_IP, REG_CS, REG_SP, 18, 20, REG_BP, 5 };
		bool match = true;
		for (size_t i = 0; i < KD_ARRAY_SIZE(same) && match; i++)
			match = kd_le64(raw + 8 * same[i]) == st->regs[same[i]];
		if (match)
			regs_at = a;
	}
	if (!regs_at)
		return false;
	const struct kd_symbol *stop = kd_symtab_find(&w->k->symtab, stopped_in);
	uint64_t best = 0, best_ip = 0;
	struct unwind_walk probe;
	struct kd_backtrace scratch = {0};
	for (uint64_t a = lo; a < regs_at; a += 8) {
		uint64_t v, target;
		if (!unwind_read_u64(w, a, &v) || !unwind_after_call(w, v, &target))
			continue;
		probe = *w;
		probe.bt = &scratch;
		probe.ip = v;
		probe.sp = a + 8;
		probe.bp = 0;
		probe.signal = probe.have_regs = probe.have_prev = false;
		probe.cur = si;
		bool reached = false;
		for (int step = 0; step < 32 && !reached; step++) {
			unsigned int flags;
			struct kd_error *e;
			if (!unwind_step(&probe, &flags, &e) || e) {
				kd_error_destroy(e);
				break;
			}
			probe.cur = unwind_find_stack(&probe, probe.sp);
			reached = (flags & KD_FRAME_REGS) && probe.ip == st->regs[REG_IP] &&
				  probe.sp == st->regs[REG_SP];
			// Only code leads there (no NULL-call frames over
			// zeroed stack).
			if (!reached && !unwind_is_text(&probe, probe.ip))
				break;
		}
		unwind_probe_done(w, &probe);
		free(scratch.stopped);
		scratch.stopped = NULL;
		scratch.user_regs = false;
		if (!reached)
			continue;
		bool in_stop = stop && kd_symtab_containing(&w->k->symtab, v) == stop;
		if (!best || in_stop) {
			best = a;
			best_ip = v;
		}
		if (in_stop)
			break;
	}
	if (!best)
		return false;
	w->ip = best_ip;
	w->sp = best + 8;
	w->bp = 0;
	w->signal = w->have_regs = w->have_prev = false;
	w->cur = si;
	w->first_slot = best;
	w->first_flags = KD_FRAME_GUESSED;
	return true;
}

// The CPU's NMI stack (in the cpu_entry_area, where the CPU ran on it),
// or SIZE_MAX.
static size_t unwind_nmi_stack(struct unwind_walk *w)
{
	const struct unwind_cpu_stacks *cs = unwind_cpu_stacks(w->k, w->cpu);
	const struct kd_unwind_cache *c = w->k->unwind;
	const struct unwind_backing *b = &c->backing[1];
	if (!cs || !cs->offset || !c->cea_exception_stacks || b->nstacks < 2 ||
	    !cs->pages[1] || cs->npages[1] < 2 * b->stack_size / UNWIND_PAGE)
		return SIZE_MAX;
	// struct cea_exception_stacks: a guard page before each stack.
	uint64_t cea, pa;
	struct kd_error *err = kd_kernel_read_u64(w->k, c->cea_exception_stacks + cs->offset, &cea);
	uint64_t lo = cea + 2 * UNWIND_PAGE + b->stack_size;
	if (!err)
		err = kd_kernel_vtop(w->k, lo, &pa);
	if (err || (pa & ~(uint64_t)(UNWIND_PAGE - 1)) !=
		   cs->pages[1][b->stack_size / UNWIND_PAGE]) {
		kd_error_destroy(err);
		return SIZE_MAX;
	}
	return unwind_add_stack(w, lo, lo + b->stack_size, unwind_exception_names[1]);
}

// Where a CPU's walk starts when its note's registers are a pt_regs on
// the stack (see unwind_scan_start()).
static void unwind_find_start(struct unwind_walk *w, const struct kd_cpu_state *st)
{
	// After an oops: the pt_regs just below the oops's stack pointer
	// (the entry code aligns it, hence some slack).
	size_t si = unwind_find_stack(w, st->regs[REG_SP]);
	uint64_t sp = st->regs[REG_SP];
	if (si != SIZE_MAX && sp > 8 * PT_REGS_NREGS + 64 &&
	    unwind_scan_start(w, st, si, sp - 8 * PT_REGS_NREGS - 64, sp, "__crash_kexec"))
		return;
	si = unwind_nmi_stack(w);
	if (si != SIZE_MAX)
		unwind_scan_start(w, st, si, 0, UINT64_MAX, "crash_nmi_callback");
}

static struct kd_error *unwind_run(struct unwind_walk *w)
{
	struct kd_error *err = unwind_emit(w, w->first_flags);
	if (!err && w->first_slot)
		w->bt->frames[0].sp = w->first_slot;
	while (!err) {
		unsigned int flags;
		if (!unwind_step(w, &flags, &err))
			break;
		if (w->bt->nframes == UNWIND_MAX_FRAMES) {
			err = unwind_stop(w, "more than %d frames", UNWIND_MAX_FRAMES);
			break;
		}
		err = unwind_emit(w, flags);
	}
	return err;
}

static struct kd_error *unwind_prepare(struct kd_kernel *k, int cpu,
				       struct unwind_walk *w)
{
	struct kd_error *err = kd_kernel_load_symbols(k);
	if (err)
		return err;
	*w = (struct unwind_walk){ .k = k, .cpu = cpu, .task_stack = SIZE_MAX,
				   .cur = SIZE_MAX };
	err = kd_orc_vmlinux(k, &w->orc);
	// Without ORC every frame is a frame-pointer guess.
	if (err && !kd_error_catch(&err, KD_ERROR_NOTFOUND))
		return err;
	if (!unwind_cache(k))
		return &kd_enomem;
	w->bt = calloc(1, sizeof(*w->bt));
	if (!w->bt)
		return &kd_enomem;
	w->bt->cpu = cpu;
	return NULL;
}

static struct kd_error *unwind_finish(struct unwind_walk *w, struct kd_error *err,
				      struct kd_backtrace **ret)
{
	for (size_t i = 0; i < w->nstacks; i++)
		free(w->stacks[i].data);
	if (err) {
		kd_unwind_destroy(w->bt);
		return err;
	}
	*ret = w->bt;
	return NULL;
}

KD_EXPORT struct kd_error *kd_unwind_cpu(struct kd_kernel *k, size_t cpu,
					 struct kd_backtrace **ret)
{
	struct kd_cpu_state st;
	struct kd_error *err = kd_dump_cpu_state(k->dump, cpu, &st);
	if (err)
		return err;
	if (k->dump->machine != 62 /* EM_X86_64 */ || st.nregs < PT_REGS_NREGS)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "%s: stack unwinding is only done for x86_64",
				       k->dump->path);
	struct unwind_walk w;
	err = unwind_prepare(k, (int)cpu, &w);
	if (err)
		return err;
	memcpy(w.regs, st.regs, sizeof(w.regs));
	w.ip = st.regs[REG_IP];
	w.sp = st.regs[REG_SP];
	w.bp = st.regs[REG_BP];
	// The registers of the moment: ip is the instruction itself.
	w.have_regs = w.full_regs = w.signal = true;
	w.bt->pid = st.pid;
	if (!w.ip && !w.sp) {
		err = unwind_stop(&w, "CPU %zu saved no registers", cpu);
	} else if (w.regs[REG_CS] & 3) {
		// Stopped in user mode: no kernel stack to walk.
		w.bt->user_regs = true;
		w.bt->user_ip = w.ip;
		w.bt->user_sp = w.sp;
	} else {
		unwind_find_start(&w, &st);
		err = unwind_run(&w);
	}
	return unwind_finish(&w, err, ret);
}

// struct inactive_task_frame from the dump's BTF; without BTF (or with a
// layout that makes no sense) the x86_64 one of Linux 4.9+.
static void unwind_frame_layout(struct kd_kernel *k, struct kd_unwind_cache *c)
{
	c->frame_bp = INACTIVE_FRAME_BP;
	c->frame_ret = INACTIVE_FRAME_RET;
	c->frame_size = INACTIVE_FRAME_SIZE;
	uint64_t bp, ret, size;
	struct kd_error *err = kd_btf_member(k, "inactive_task_frame", "bp", &bp);
	if (!err)
		err = kd_btf_member(k, "inactive_task_frame", "ret_addr", &ret);
	if (!err)
		err = kd_btf_type_size(k, "inactive_task_frame", &size);
	if (!err && bp + 8 <= size && ret + 8 <= size && size <= 256 && size % 8 == 0) {
		c->frame_bp = bp;
		c->frame_ret = ret;
		c->frame_size = size;
	}
	kd_error_destroy(err);
}

KD_EXPORT struct kd_error *kd_unwind_task(struct kd_kernel *k, uint64_t stack_base,
					  uint64_t thread_sp,
					  struct kd_backtrace **ret)
{
	if (k->dump->machine != 62 /* EM_X86_64 */)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "%s: stack unwinding is only done for x86_64",
				       k->dump->path);
	struct unwind_walk w;
	struct kd_error *err = unwind_prepare(k, -1, &w);
	if (err)
		return err;
	if (stack_base)
		w.task_stack = unwind_add_stack(&w, stack_base,
						stack_base + UNWIND_THREAD_SIZE, "task");
	struct kd_unwind_cache *c = k->unwind;
	if (!c->frame_tried) {
		c->frame_tried = true;
		unwind_frame_layout(k, c);
	}
	uint64_t bp, ip;
	if (!unwind_read_u64(&w, thread_sp + c->frame_bp, &bp) ||
	    !unwind_read_u64(&w, thread_sp + c->frame_ret, &ip)) {
		err = unwind_stop(&w, "cannot read the saved frame at %#" PRIx64, thread_sp);
		return unwind_finish(&w, err, ret);
	}
	w.sp = thread_sp + c->frame_size;
	w.bp = bp;
	w.ip = ip;
	// A new task returns to ret_from_fork, which it never called.
	w.signal = ip && (ip == c->ret_from_fork[0] || ip == c->ret_from_fork[1]);
	err = unwind_run(&w);
	return unwind_finish(&w, err, ret);
}

KD_EXPORT void kd_unwind_destroy(struct kd_backtrace *bt)
{
	if (!bt)
		return;
	free(bt->frames);
	free(bt->stopped);
	free(bt);
}

KD_EXPORT struct kd_error *kd_unwind_panic_cpu(struct kd_kernel *k, size_t *ret)
{
	size_t ncpus = kd_dump_num_cpus(k->dump);
	if (!ncpus)
		return kd_error_create(KD_ERROR_NOTFOUND,
				       "%s: no CPU notes (NT_PRSTATUS) in the dump",
				       k->dump->path);
	// panic() and crash_kexec() store the CPU in panic_cpu (atomic_t)
	// before the capture kernel starts (kernel/panic.c, kexec_core.c).
	uint64_t addr;
	uint32_t v;
	struct kd_error *err = kd_kernel_symbol(k, "panic_cpu", &addr);
	if (!err)
		err = kd_kernel_read_u32(k, addr, &v);
	if (!err && v < ncpus) {
		*ret = v;
		return NULL;
	}
	kd_error_destroy(err);
	// Else the CPU that saved its own registers in crash_setup_regs()
	// (__crash_kexec/crash_kexec), not one stopped by the NMI.
	for (size_t cpu = 0; cpu < ncpus; cpu++) {
		struct kd_cpu_state st;
		const char *name;
		uint64_t off;
		err = kd_dump_cpu_state(k->dump, cpu, &st);
		if (!err)
			err = kd_kernel_symbolize(k, st.ip, &name, &off);
		if (err) {
			kd_error_destroy(err);
			continue;
		}
		if (strstr(name, "crash_kexec")) {
			*ret = cpu;
			return NULL;
		}
	}
	return kd_error_create(KD_ERROR_NOTFOUND,
			       "%s: cannot tell which CPU panicked (no panic_cpu)",
			       k->dump->path);
}

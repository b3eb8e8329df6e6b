// SPDX-License-Identifier: LGPL-2.1-or-later
// The report (lib/kernel/report.c, report-text.c) on synthetic dumps: the
// memory summary from vm_zone_stat/vm_node_stat indexed by the BTF's enum
// values and totalram_pages, the taint letters from the dump's own
// taint_flags table (and the built-in table without BTF), parts that
// cannot be had said in one line each while the others stand, and the
// text: every part's line, dump strings sanitised; the crash signature on
// the stacks of sysrq-c, an oops, a BUG() in an interrupt, an interrupt.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "synth.h"

#define PAGE 4096u

// enum zone_stat_item { NR_ZONE_X, NR_FREE_PAGES };   (free is 1 here:
//   the value comes from the BTF, not from a table of ours)
// enum node_stat_item { NR_FILE_PAGES, NR_SLAB_RECLAIMABLE_B,
//                       NR_SLAB_UNRECLAIMABLE_B, NR_KERNEL_STACK_KB };
// struct taint_flag { char c_true; char c_false; _Bool module; };  // 3
static uint8_t *make_blob(uint32_t *len_ret)
{
	struct btf *b = btf__new_empty();
	assert_non_null(b);
	int ch = btf__add_int(b, "char", 1, BTF_INT_CHAR);
	int bl = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	btf__add_enum(b, "zone_stat_item", 4);
	btf__add_enum_value(b, "NR_ZONE_X", 0);
	btf__add_enum_value(b, "NR_FREE_PAGES", 1);
	btf__add_enum(b, "node_stat_item", 4);
	btf__add_enum_value(b, "NR_FILE_PAGES", 0);
	btf__add_enum_value(b, "NR_SLAB_RECLAIMABLE_B", 1);
	btf__add_enum_value(b, "NR_SLAB_UNRECLAIMABLE_B", 2);
	btf__add_enum_value(b, "NR_KERNEL_STACK_KB", 3);
	btf__add_struct(b, "taint_flag", 3);
	btf__add_field(b, "c_true", ch, 0, 0);
	btf__add_field(b, "c_false", ch, 8, 0);
	btf__add_field(b, "module", bl, 16, 0);
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
	struct synth_fixture f;
	char *map_path;
};

// Memory at physical 0: the counters, the taint, the BTF at 0x2000.
static struct fixture open_dump(bool with_btf, const char *comm_like)
{
	static uint8_t mem[0x10000];
	memset(mem, 0, sizeof(mem));
	synth_put64(mem + 0x1000 + 8 * 1, 100);			// NR_FREE_PAGES
	synth_put64(mem + 0x1100 + 8 * 0, 50);			// NR_FILE_PAGES
	synth_put64(mem + 0x1100 + 8 * 1, 7);			// slab reclaimable
	synth_put64(mem + 0x1100 + 8 * 2, (uint64_t)-3);	// below 0: shown as 0
	synth_put64(mem + 0x1100 + 8 * 3, 16);			// kernel stacks, KiB
	synth_put64(mem + 0x1200, 1000);			// _totalram_pages
	synth_put64(mem + 0x1300, 1u << 0 | 1u << 7);		// P and D
	// taint_flags[8]: its own letters ("PG", then "X " for each), the
	// last one odd so that the table is visibly the dump's.
	static const char flags[8][2] = { "PG", "F ", "S ", "R ", "M ", "B ", "U ", "Z " };
	for (int i = 0; i < 8; i++) {
		mem[0x1400 + 3 * i] = (uint8_t)flags[i][0];
		mem[0x1400 + 3 * i + 1] = (uint8_t)flags[i][1];
	}
	// After the table, something that reads like a flag: the symbol's
	// end bounds it.
	mem[0x1400 + 24] = 'Q';
	mem[0x1400 + 25] = ' ';
	uint32_t blob_len = 0;
	uint8_t *blob = make_blob(&blob_len);
	assert_true(blob_len < 0x4000);
	memcpy(mem + 0x2000, blob, blob_len);
	free(blob);
	struct synth *s = synth_new();
	synth_vmcoreinfo(s, "OSRELEASE=%s\nPAGESIZE=4096\nNUMBER(phys_base)=0\nCRASHTIME=1764630000\n",
			 comm_like);
	synth_load(s, 0, 0, mem, sizeof(mem));
	struct fixture x = { .f = { .path = synth_write(s) } };
	synth_free(s);
	char map[1024];
	int n = snprintf(map, sizeof(map),
			 "%llx D vm_zone_stat\n%llx D vm_node_stat\n%llx D _totalram_pages\n"
			 "%llx D tainted_mask\n%llx R taint_flags\n%llx R after_taint_flags\n",
			 (unsigned long long)SYNTH_KVA(0x1000), (unsigned long long)SYNTH_KVA(0x1100),
			 (unsigned long long)SYNTH_KVA(0x1200), (unsigned long long)SYNTH_KVA(0x1300),
			 (unsigned long long)SYNTH_KVA(0x1400), (unsigned long long)SYNTH_KVA(0x1400 + 24));
	if (with_btf)
		snprintf(map + n, sizeof(map) - (size_t)n, "%llx R __start_BTF\n%llx R __stop_BTF\n",
			 (unsigned long long)SYNTH_KVA(0x2000),
			 (unsigned long long)SYNTH_KVA(0x2000 + blob_len));
	x.map_path = synth_write_bytes(map, strlen(map));
	struct kd_kernel_options opts = { .system_map = x.map_path };
	assert_null(kd_dump_open(x.f.path, &x.f.dump));
	assert_null(kd_kernel_open(x.f.dump, &opts, &x.f.kernel));
	return x;
}

static void close_dump(struct fixture *x)
{
	synth_fixture_close(&x->f);
	unlink(x->map_path);
	free(x->map_path);
}

static uint64_t memory(const struct kd_report *r, const char *name)
{
	for (size_t i = 0; i < r->nmemory; i++)
		if (!strcmp(r->memory[i].name, name))
			return r->memory[i].bytes;
	fail_msg("no memory counter %s", name);
	return 0;
}

static void test_memory_and_taint(void **state)
{
	(void)state;
	struct fixture x = open_dump(true, "6.1.0-test");
	struct kd_report *r;
	assert_null(kd_report_create(x.f.kernel, NULL, &r));
	assert_null(r->memory_error);
	assert_int_equal(r->nmemory, 6);	// anon, shmem, page tables: not in this BTF
	assert_string_equal(r->memory[0].name, "total");
	assert_int_equal(memory(r, "total"), 1000 * PAGE);
	assert_int_equal(memory(r, "free"), 100 * PAGE);
	assert_int_equal(memory(r, "page_cache"), 50 * PAGE);
	assert_int_equal(memory(r, "slab_reclaimable"), 7 * PAGE);
	assert_int_equal(memory(r, "slab_unreclaimable"), 0);
	assert_int_equal(memory(r, "kernel_stack"), 16 * 1024);
	// The dump's table: 8 flags, its own letters, c_false 'G' for bit 0.
	assert_true(r->has_taint);
	assert_int_equal(r->taint_mask, 0x81);
	assert_string_equal(r->taint, "Tainted: P      Z");
	assert_string_equal(r->release, "6.1.0-test");
	assert_true(r->has_crash_time);
	assert_int_equal(r->crash_time, 1764630000);
	// No CPU notes, no log: said, not fatal.
	assert_non_null(r->cpus_error);
	assert_non_null(strstr(r->cpus_error, "no CPU notes"));
	assert_int_equal(r->panic_cpu, -1);
	assert_int_equal(r->panic_pid, -1);
	assert_null(kd_report_panic_backtrace(r));
	assert_string_equal(r->signature, "");
	assert_non_null(r->message_error);
	assert_non_null(r->log_error);
	assert_non_null(r->tasks_error);
	assert_non_null(r->modules_error);

	char *text;
	size_t len;
	assert_null(kd_report_text(r, x.f.path, &text, &len));
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "\nkernel:    6.1.0-test, 0 CPUs\n"));
	assert_non_null(strstr(text, "\ntime:      2025-12-01 23:00:00 UTC\n"));
	assert_non_null(strstr(text, "\ntaint:     Tainted: P      Z (0x81)\n"));
	assert_non_null(strstr(text, "\nMemory:\n  total                3.9 MiB\n"));
	assert_non_null(strstr(text, "\n  kernel_stack         16.0 KiB\n"));
	assert_non_null(strstr(text, "\nCPUs: unavailable ("));
	assert_non_null(strstr(text, "\nTasks: unavailable ("));
	assert_non_null(strstr(text, "\nModules: unavailable ("));
	assert_non_null(strstr(text, "\nLog: unavailable ("));
	assert_non_null(strstr(text, "\npanic:     unknown ("));
	assert_null(strstr(text, "signature:"));
	free(text);
	kd_report_destroy(r);
	close_dump(&x);
}

// Without BTF: the memory part says why, the taint falls back to the
// kernel's table as of 6.12 (19 flags).
static void test_no_btf(void **state)
{
	(void)state;
	struct fixture x = open_dump(false, "6.1.0-\x1b[31mred");
	struct kd_report *r;
	assert_null(kd_report_create(x.f.kernel, NULL, &r));
	assert_non_null(r->memory_error);
	assert_non_null(strstr(r->memory_error, "BTF"));
	assert_null(strchr(r->memory_error, '\n'));
	assert_int_equal(r->nmemory, 0);
	assert_null(r->memory);
	assert_true(r->has_taint);
	assert_string_equal(r->taint, "Tainted: P      D           ");
	char *text;
	assert_null(kd_report_text(r, x.f.path, &text, NULL));
	assert_non_null(strstr(text, "\nMemory: unavailable ("));
	// The release is the dump's: its ESC is not written.
	assert_null(strchr(text, '\x1b'));
	assert_non_null(strstr(text, "\nkernel:    6.1.0-?[31mred, 0 CPUs\n"));
	free(text);
	kd_report_destroy(r);
	close_dump(&x);
}

// Without any symbol table (no kallsyms in VMCOREINFO, no System.map):
// said once, in symbols_error and its "symbols:" line; the parts that need
// symbols are not tried and point there, each in one line.
static void test_no_symbols(void **state)
{
	(void)state;
	struct fixture x = open_dump(true, "5.10.0-46-amd64");
	kd_kernel_close(x.f.kernel);
	assert_null(kd_kernel_open(x.f.dump, NULL, &x.f.kernel));
	struct kd_report *r;
	assert_null(kd_report_create(x.f.kernel, NULL, &r));
	assert_non_null(r->symbols_error);
	assert_non_null(strstr(r->symbols_error, "--system-map"));
	const char *parts[] = { r->taint_error, r->memory_error, r->modules_error, r->tasks_error };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		assert_non_null(parts[i]);
		assert_string_equal(parts[i], "needs the symbol table: see symbols");
	}
	assert_false(r->has_taint);
	assert_null(r->memory);
	char *text;
	assert_null(kd_report_text(r, x.f.path, &text, NULL));
	assert_non_null(strstr(text, "\nsymbols:   none (this kernel's VMCOREINFO has no kallsyms"));
	// The hint is given once in the whole text.
	const char *first = strstr(text, "--system-map");
	assert_non_null(first);
	assert_null(strstr(first + 1, "--system-map"));
	assert_non_null(strstr(text, "\nMemory: unavailable (needs the symbol table: see symbols)\n"));
	free(text);
	kd_report_destroy(r);
	close_dump(&x);
}

// Options: the log-line bound is taken, the report is made twice alike.
static void test_twice(void **state)
{
	(void)state;
	struct fixture x = open_dump(true, "6.1.0-test");
	struct kd_report_options o = { .log_lines = 100000, .task_backtraces = true };
	struct kd_report *a, *b;
	assert_null(kd_report_create(x.f.kernel, &o, &a));
	assert_null(kd_report_create(x.f.kernel, &o, &b));
	char *ta, *tb;
	assert_null(kd_report_text(a, "x", &ta, NULL));
	assert_null(kd_report_text(b, "x", &tb, NULL));
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	kd_report_destroy(a);
	kd_report_destroy(b);
	kd_report_destroy(NULL);
	close_dump(&x);
}

// A backtrace of the named frames; "!" before a name marks a frame from
// a pt_regs, "" an address without a symbol.
static void signature_of(const char *comm, const char *const *names, const char *want)
{
	struct kd_frame frames[16];
	size_t n = 0;
	for (; names[n]; n++) {
		const char *name = names[n];
		frames[n] = (struct kd_frame){ .address = 0x1000 + n, .stack = "task" };
		if (name[0] == '!') {
			frames[n].flags = KD_FRAME_REGS;
			name++;
		}
		frames[n].function = *name ? name : NULL;
	}
	struct kd_backtrace bt = { .frames = frames, .nframes = n, .cpu = 0 };
	char buf[320];
	kd_report_signature(comm, &bt, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

// The signature: below panic() and the oops path, clone suffixes off, the
// faulting instruction after an exception but not the code an interrupt
// interrupted, names from the dump sanitised.
static void test_signature(void **state)
{
	(void)state;
	static const char *const sysrq[] = { "__crash_kexec", "panic", "sysrq_handle_crash",
		"__handle_sysrq.cold", "write_sysrq_trigger", "vfs_write", NULL };
	signature_of("bash", sysrq, "bash: sysrq_handle_crash < __handle_sysrq < write_sysrq_trigger");
	static const char *const oops[] = { "__crash_kexec", "panic", "oops_end", "page_fault_oops",
		"exc_page_fault", "asm_exc_page_fault", "!bad_fn.isra.0", "caller.constprop.3",
		"do_one_initcall", "do_init_module", NULL };
	signature_of("insmod", oops, "insmod: bad_fn < caller < do_one_initcall");
	static const char *const irq[] = { "__crash_kexec", "panic", "timer_fn", "call_timer_fn",
		"__do_softirq", "irq_exit_rcu", "asm_sysvec_apic_timer_interrupt", "!default_idle", NULL };
	signature_of("swapper/0", irq, "swapper/0: timer_fn < call_timer_fn < __do_softirq");
	static const char *const bug_in_irq[] = { "__crash_kexec", "panic", "oops_end", "do_trap",
		"handle_bug", "exc_invalid_op", "asm_exc_invalid_op", "!timer_bug", "",
		"__do_softirq", "asm_sysvec_apic_timer_interrupt", "!default_idle", NULL };
	signature_of("swapper/1", bug_in_irq, "swapper/1: timer_bug < ? < __do_softirq");
	static const char *const no_panic[] = { "__crash_kexec", "crash_kexec", "oops_end",
		"exc_invalid_op", "asm_exc_invalid_op", "!f", "g", NULL };
	signature_of("x\x1b[2J", no_panic, "x?[2J: f < g");
	// A page fault on the way to the panic is not the oops: no
	// oops_end() above it.
	static const char *const oom[] = { "__crash_kexec", "panic", "out_of_memory.cold",
		"__alloc_pages_slowpath.constprop.0", "__alloc_pages", "exc_page_fault",
		"asm_exc_page_fault", "!clear_user_erms", "read_zero", NULL };
	signature_of("kd-memhog", oom, "kd-memhog: out_of_memory < __alloc_pages_slowpath < __alloc_pages");
	static const char *const bare[] = { "a", "b", NULL };
	signature_of("", bare, "?: a < b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_and_taint),
		cmocka_unit_test(test_no_btf),
		cmocka_unit_test(test_no_symbols),
		cmocka_unit_test(test_twice),
		cmocka_unit_test(test_signature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

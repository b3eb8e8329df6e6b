// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: a whole dump file, through every reader a user's
// "kexdump info", "dmesg", "symbols", "bt", "report" and "save -d 31" reach: format
// probe and the ELF, kdump-compressed and flattened headers, notes,
// VMCOREINFO, address translation, kallsyms, the kernel log, the ORC tables
// and stack walks, and the page filter.
// run.sh seeds it with synthetic dumps (tests/cli/mksynth.c: ELF cores with
// kallsyms, a printk ring and mem_section, the crafted files of
// tests/unit/hostile.c) and their kdump-compressed and flattened saves.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kexdump/kexdump.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kd_error *count(const struct kd_printk_record *rec, void *arg)
{
	char *line;
	size_t len;
	struct kd_error *err = kd_printk_format(rec, true, &line, &len);
	if (!err)
		free(line);
	++*(size_t *)arg;
	return err;
}

// The page filter at the highest level on the first windows of the dump,
// as kexdump save runs it (windows of WINDOW pfns, in order).
#define WINDOW 4096u
#define MAX_PFNS (16u * WINDOW)

static void filter(struct kd_kernel *kernel)
{
	struct kd_pagefilter *pf;
	struct kd_error *err = kd_pagefilter_open(kernel, 31, &pf);
	if (err) {
		kd_error_destroy(err);
		return;
	}
	static uint8_t present[WINDOW / 8], keep[WINDOW / 8];
	uint64_t counts[KD_PAGE_NCLASSES] = {0};
	uint64_t max = kd_pagefilter_max_pfn(pf);
	if (max > MAX_PFNS)
		max = MAX_PFNS;
	for (uint64_t pfn = 0; pfn < max && !err; pfn += WINDOW)
		err = kd_pagefilter_window(pf, pfn, WINDOW, present, keep, counts);
	kd_error_destroy(err);
	kd_pagefilter_close(pf);
}

// kexdump bt: the panicking CPU and the first few others, with the ORC
// tables and stacks the input holds.
static void unwind(struct kd_kernel *kernel, size_t ncpus)
{
	size_t panic;
	kd_error_destroy(kd_unwind_panic_cpu(kernel, &panic));
	for (size_t i = 0; i < ncpus && i < 4; i++) {
		struct kd_backtrace *bt;
		struct kd_error *err = kd_unwind_cpu(kernel, i, &bt);
		if (err)
			kd_error_destroy(err);
		else
			kd_unwind_destroy(bt);
	}
}

// kexdump report --json and its text: every part, every task's stack.
static void report(struct kd_kernel *kernel)
{
	struct kd_report_options o = { .log_lines = 50, .task_backtraces = true };
	struct kd_report *r;
	struct kd_error *err = kd_report_create(kernel, &o, &r);
	if (err) {
		kd_error_destroy(err);
		return;
	}
	char *text;
	err = kd_report_text(r, "fuzz", &text, NULL);
	if (!err)
		free(text);
	kd_error_destroy(err);
	kd_report_destroy(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-dump", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct kd_dump *dump;
	struct kd_error *err = kd_dump_open(path, &dump);
	if (err) {
		kd_error_destroy(err);
		close(fd);
		return 0;
	}
	struct kd_cpu_state st;
	for (size_t i = 0; i < kd_dump_num_cpus(dump); i++)
		kd_error_destroy(kd_dump_cpu_state(dump, i, &st));
	struct kd_kernel *kernel;
	err = kd_kernel_open(dump, NULL, &kernel);
	if (!err) {
		kd_error_destroy(kd_kernel_load_symbols(kernel));
		size_t n = 0;
		kd_error_destroy(kd_printk_iterate(kernel, count, &n));
		uint64_t pa;
		kd_error_destroy(kd_kernel_vtop(kernel, 0xffffc90000001000ULL, &pa));
		filter(kernel);
		unwind(kernel, kd_dump_num_cpus(dump));
		report(kernel);
		kd_kernel_close(kernel);
	}
	kd_error_destroy(err);
	kd_dump_close(dump);
	close(fd);
	return 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// Issue 10, "Hostile input: bounded time and memory": each crafted file of
// tests/unit/hostile.c once made kexdump use gigabytes or run for minutes.
// Each is opened here in a child process, whose exit says which error the
// readers returned and whose peak resident set (wait4) must stay small. The
// time is bounded by meson's timeout: the old readers ran for 30 s to
// minutes on cases 11, 12 and 14.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kexdump/kexdump.h>

#include "hostile.h"
#include "kdtest.h"
#include "synth.h"

// Peak resident set allowed to a child: the largest budgets the readers
// keep (64 MiB of kallsyms names, 64 MiB of notes) with room for the
// sanitizers' overhead, far below the gigabytes of the old readers.
#define RSS_LIMIT_KIB (256 * 1024L)
#define OK 0

struct outcome {
	int code;	// OK, or the kd_error_code of the first error
	long rss_kib;
};

static int code_of(struct kd_error *err)
{
	int c = err ? (int)kd_error_code(err) : OK;
	if (err)
		print_message("# %s\n", kd_error_message(err));
	kd_error_destroy(err);
	return c;
}

// What the child does with the file: open the dump, then (stage >= 1) the
// kernel, (2) its symbols, (3) the kernel log, or (4, 5) save it at -d 1
// as a kdump-compressed or ELF file next to it.
enum stage { OPEN_DUMP, OPEN_KERNEL, LOAD_SYMBOLS, READ_LOG, SAVE_KDUMP, SAVE_ELF };

// The bytes a saved dump may occupy on disk: its two pages and headers
// with room to spare, far below the gigabytes of bitmaps a dump whose
// memory spans 2^46 bytes has (they are holes where nothing is present).
#define SAVED_LIMIT (64ull << 20)
#define TOO_BIG 100

static struct kd_error *hostile_count(const struct kd_printk_record *rec, void *arg)
{
	(void)rec;
	++*(size_t *)arg;
	return NULL;
}

static int child(const char *path, enum stage stage)
{
	struct kd_dump *dump = NULL;
	struct kd_kernel *kernel = NULL;
	struct kd_error *err = kd_dump_open(path, &dump);
	if (!err && stage >= OPEN_KERNEL)
		err = kd_kernel_open(dump, NULL, &kernel);
	if (!err && stage == LOAD_SYMBOLS)
		err = kd_kernel_load_symbols(kernel);
	size_t n = 0;
	if (!err && stage == READ_LOG)
		err = kd_printk_iterate(kernel, hostile_count, &n);
	char out[4200];
	snprintf(out, sizeof(out), "%s.out", path);
	struct stat st = { 0 };
	if (!err && stage >= SAVE_KDUMP) {
		struct kd_save_options opts = {
			.format = stage == SAVE_ELF ? KD_SAVE_ELF : KD_SAVE_KDUMP,
			.codec = KD_SAVE_ZSTD, .dump_level = 1, .threads = 1,
		};
		struct kd_save_stats stats;
		err = kd_save_file(kernel, out, true, &opts, &stats);
		if (!err && stat(out, &st))
			err = kd_error_os(errno, "%s", out);
		unlink(out);
	}
	int c = code_of(err);
	if (c == OK && (uint64_t)st.st_blocks * 512 > SAVED_LIMIT) {
		print_message("# %s: %llu bytes on disk\n", out,
			      (unsigned long long)st.st_blocks * 512);
		c = TOO_BIG;
	}
	kd_kernel_close(kernel);
	kd_dump_close(dump);
	return c;
}

// Write case c and run the child on it.
static struct outcome run_case(enum hostile_case c, enum stage stage)
{
	size_t len;
	uint8_t *b = hostile_build(c, true, &len);
	char *path = synth_write_bytes(b, len);
	free(b);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(path, stage));
	int st;
	struct rusage ru;
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	unlink(path);
	free(path);
	assert_true(WIFEXITED(st));
	struct outcome o = { WEXITSTATUS(st), ru.ru_maxrss };
	print_message("# %s (%zu bytes): exit %d, peak RSS %ld KiB\n",
		      hostile_name(c), len, o.code, o.rss_kib);
	return o;
}

static void expect(enum hostile_case c, enum stage stage, int code)
{
	struct outcome o = run_case(c, stage);
	assert_int_equal(o.code, code);
	assert_true(o.rss_kib < RSS_LIMIT_KIB);
}

// 10: 2 GiB of 2nd bitmap that the flattened stream never wrote (2.1 GB
// resident before).
static void test_flat_bitmap(void **state)
{
	(void)state;
	expect(HOSTILE_FLAT_BITMAP, OPEN_DUMP, KD_ERROR_CORRUPT);
}

// 11: 4 Mi symbol names of 510 bytes through aliased page tables (4.6 GB
// and 33 s before): the names stop at 64 MiB.
static void test_kallsyms_alias(void **state)
{
	(void)state;
	expect(HOSTILE_KALLSYMS_ALIAS, LOAD_SYMBOLS, KD_ERROR_CORRUPT);
}

// 12: 87381 notes in 1 MiB (31 s before: each note rebuilt the CPU list):
// more notes than any machine has.
static void test_notes_many(void **state)
{
	(void)state;
	expect(HOSTILE_NOTES_MANY, OPEN_DUMP, KD_ERROR_CORRUPT);
}

// 12: 60000 NT_PRSTATUS notes are within the bounds: they open in linear
// time (quadratic before: ~2*10^9 pointer stores), and every CPU's note is
// found after the array moved many times.
static void test_notes_linear(void **state)
{
	(void)state;
	size_t len;
	uint8_t *b = hostile_notes(60000, "CORE", 1 /* NT_PRSTATUS */, &len);
	char *path = synth_write_bytes(b, len);
	free(b);
	struct kd_dump *dump;
	assert_null(kd_dump_open(path, &dump));
	assert_int_equal(kd_dump_num_cpus(dump), 60000);
	struct kd_cpu_state st;
	// Each note is empty: too short for the registers, but it is there.
	struct kd_error *err = kd_dump_cpu_state(dump, 59999, &st);
	assert_int_equal(code_of(err), KD_ERROR_CORRUPT);
	err = kd_dump_cpu_state(dump, 60000, &st);
	assert_int_equal(code_of(err), KD_ERROR_NOTFOUND);
	kd_dump_close(dump);
	unlink(path);
	free(path);
}

// 13: 64 PT_NOTE headers on the same 16 MiB (1 GB before).
static void test_notes_overlap(void **state)
{
	(void)state;
	expect(HOSTILE_NOTES_OVERLAP, OPEN_DUMP, KD_ERROR_CORRUPT);
}

// 14: count_bits 26 (about 200 s before, reading 2^26 descriptors and
// infos page by page).
static void test_printk_bits(void **state)
{
	(void)state;
	expect(HOSTILE_PRINTK_BITS, READ_LOG, KD_ERROR_CORRUPT);
}

// 15: 4 MiB of alternating bits, 2^24 runs of 32 bytes each (512 MiB
// before), complete or not.
static void test_kdump_runs(void **state)
{
	(void)state;
	expect(HOSTILE_KDUMP_RUNS, OPEN_DUMP, KD_ERROR_CORRUPT);
	expect(HOSTILE_KDUMP_RUNS_INCOMPLETE, OPEN_DUMP, KD_ERROR_CORRUPT);
}

// 16: memory at 2^50 in a 4-level kernel's dump (MAX_PHYSMEM_BITS 46):
// the dump opens, its kernel does not; at 2^60 not even the dump.
static void test_high_load(void **state)
{
	(void)state;
	expect(HOSTILE_HIGH_LOAD, OPEN_DUMP, OK);
	expect(HOSTILE_HIGH_LOAD, OPEN_KERNEL, KD_ERROR_CORRUPT);
	expect(HOSTILE_HIGHER_LOAD, OPEN_DUMP, KD_ERROR_CORRUPT);
	// Just below the limit the dump is valid: saving it walks 2^34 pfns
	// in 8192 windows, and must neither write gigabytes of zero bitmaps
	// nor test each pfn (it ran for minutes).
	expect(HOSTILE_EDGE_LOAD, SAVE_KDUMP, OK);
	expect(HOSTILE_EDGE_LOAD, SAVE_ELF, OK);
}

// The small variants (the fuzzing seeds) are bounded too.
static void test_seeds(void **state)
{
	(void)state;
	for (int c = 0; c < HOSTILE_NCASES; c++) {
		size_t len;
		uint8_t *b = hostile_build((enum hostile_case)c, false, &len);
		assert_true(len <= 65536);
		char *path = synth_write_bytes(b, len);
		free(b);
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(child(path, READ_LOG) + child(path, LOAD_SYMBOLS));
		int st;
		struct rusage ru;
		assert_int_equal(wait4(pid, &st, 0, &ru), pid);
		unlink(path);
		free(path);
		assert_true(WIFEXITED(st));
		assert_true(ru.ru_maxrss < RSS_LIMIT_KIB);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_bitmap),
		cmocka_unit_test(test_kallsyms_alias),
		cmocka_unit_test(test_notes_many),
		cmocka_unit_test(test_notes_linear),
		cmocka_unit_test(test_notes_overlap),
		cmocka_unit_test(test_printk_bits),
		cmocka_unit_test(test_kdump_runs),
		cmocka_unit_test(test_high_load),
		cmocka_unit_test(test_seeds),
	};
	return kd_test_run(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// The rehearsal's measurements (lib/service/rehearse.c): a capture
// initramfs read back against what is wanted (modules, vermagic, /init,
// config), the kdump and ELF size formulas, the bounded test write, and
// the estimate on a real Debian dump against the file kd_save writes
// from it.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <dirent.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/service.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kd-test-rehearse.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kd_test_rm_rf(tmpdir);
	return 0;
}

// ------------------------------------------------------------ initramfs

#define RELEASE "9.9.9-test"
static const char conf[] = "path /var/crash\ndump_level 31\n";

// A module of @p len bytes whose .modinfo says vermagic=@p release at
// offset @p at (the rest is filler no "vermagic=" hides in).
static uint8_t *mk_module(size_t len, size_t at, const char *release, size_t *len_ret)
{
	uint8_t *m = malloc(len);
	assert_non_null(m);
	for (size_t i = 0; i < len; i++)
		m[i] = (uint8_t)(0x80 | (i * 7));
	char vm[128];
	int n = snprintf(vm, sizeof(vm), "vermagic=%s SMP preempt mod_unload modversions ", release);
	assert_true(at + (size_t)n + 1 <= len);
	memcpy(m + at, vm, (size_t)n + 1);
	*len_ret = len;
	return m;
}

struct archive {
	bool init, config, list_a, list_b, file_a, file_b;
	const char *config_text;
	const char *release_b;	// b.ko's vermagic
	size_t init_size;
	size_t b_len, b_at;	// b.ko's size and where its vermagic is
};

static void write_archive(const char *path, const struct archive *a)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	struct kd_cpio *c;
	assert_null(kd_cpio_create(fd, 6, &c));
	assert_null(kd_cpio_dir(c, "etc", 0755));
	if (a->init) {
		char *init = calloc(1, a->init_size);
		assert_non_null(init);
		assert_null(kd_cpio_file(c, "init", 0755, init, a->init_size));
		free(init);
	}
	if (a->config)
		assert_null(kd_cpio_file(c, "etc/kexdump.conf", 0644, a->config_text,
					 strlen(a->config_text)));
	char list[32] = "";
	if (a->list_a)
		strcat(list, "a\n");
	if (a->list_b)
		strcat(list, "b\n");
	assert_null(kd_cpio_file(c, "etc/kexdump.modules", 0644, list, strlen(list)));
	size_t len;
	uint8_t *m;
	if (a->file_a) {
		m = mk_module(5000, 100, RELEASE, &len);
		assert_null(kd_cpio_file(c, "lib/modules/a.ko", 0644, m, len));
		free(m);
	}
	if (a->file_b) {
		m = mk_module(a->b_len, a->b_at, a->release_b, &len);
		assert_null(kd_cpio_file(c, "lib/modules/b.ko", 0644, m, len));
		free(m);
	}
	assert_null(kd_cpio_finish(c));
	kd_cpio_destroy(c);
	close(fd);
}

// The wanted set: b, which needs a (modules.dep).
static struct kd_modset *want_ab(void)
{
	char moddir[128];
	snprintf(moddir, sizeof(moddir), "%s/mods", tmpdir);
	kd_test_mkdirs(tmpdir, "mods");
	kd_test_write_text(moddir, "modules.dep", "kernel/b.ko: kernel/a.ko\nkernel/a.ko:\n");
	struct kd_modset *set;
	assert_null(kd_modset_open(moddir, &set));
	assert_null(kd_modset_add(set, "b"));
	assert_int_equal(kd_modset_count(set), 2);
	return set;
}

static const struct archive good = {
	.init = true, .config = true, .list_a = true, .list_b = true, .file_a = true,
	.file_b = true, .config_text = conf, .release_b = RELEASE, .init_size = 3000,
	.b_len = 4000, .b_at = 10,
};

static void check(const struct archive *a, struct kd_rehearse_initramfs *r)
{
	char path[128], init[128];
	snprintf(path, sizeof(path), "%s/initramfs.img", tmpdir);
	snprintf(init, sizeof(init), "%s/init", tmpdir);
	write_archive(path, a);
	char *zeros = calloc(1, 3000);
	assert_non_null(zeros);
	kd_test_write(tmpdir, "init", zeros, 3000);
	free(zeros);
	struct kd_modset *set = want_ab();
	memset(r, 0xa5, sizeof(*r));
	assert_null(kd_rehearse_initramfs(path, set, RELEASE, init, conf, strlen(conf), r));
	kd_modset_close(set);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(r->size, (uint64_t)st.st_size);
}

static void test_initramfs_current(void **state)
{
	(void)state;
	struct kd_rehearse_initramfs r;
	check(&good, &r);
	assert_int_equal(r.nmodules, 2);
	assert_int_equal(r.nmissing, 0);
	assert_string_equal(r.missing, "");
	assert_int_equal(r.nforeign, 0);
	assert_true(r.has_init && r.init_current && r.has_config && r.config_current);
}

static void test_initramfs_missing(void **state)
{
	(void)state;
	struct kd_rehearse_initramfs r;
	// b.ko's file is gone: b is missing.
	struct archive a = good;
	a.file_b = false;
	check(&a, &r);
	assert_int_equal(r.nmodules, 1);
	assert_int_equal(r.nmissing, 1);
	assert_string_equal(r.missing, "b");
	// a's file is there but the load list lacks it: the capture would
	// not load it, so it is missing too.
	a = good;
	a.list_a = false;
	check(&a, &r);
	assert_int_equal(r.nmissing, 1);
	assert_string_equal(r.missing, "a");
	a.file_b = false;
	check(&a, &r);
	assert_int_equal(r.nmissing, 2);
	assert_string_equal(r.missing, "a b");
}

static void test_initramfs_foreign(void **state)
{
	(void)state;
	struct kd_rehearse_initramfs r;
	struct archive a = good;
	a.release_b = "9.9.8-other";
	check(&a, &r);
	assert_int_equal(r.nforeign, 1);
	assert_string_equal(r.foreign, "b");
	// "9.9.9-test2" starts with the release but is another one.
	a.release_b = RELEASE "2";
	check(&a, &r);
	assert_int_equal(r.nforeign, 1);
	// A vermagic cut by the reader's 64 KiB pieces is still found.
	for (size_t at = 65536 - 20; at < 65536 + 2; at += 3) {
		a.release_b = RELEASE;
		a.b_len = 100000;
		a.b_at = at;
		check(&a, &r);
		assert_int_equal(r.nforeign, 0);
		a.release_b = "9.9.8-other";
		check(&a, &r);
		assert_int_equal(r.nforeign, 1);
	}
}

static void test_initramfs_stale(void **state)
{
	(void)state;
	struct kd_rehearse_initramfs r;
	struct archive a = good;
	a.config_text = "path /var/crash\ndump_level 1\n";
	check(&a, &r);
	assert_true(r.has_config);
	assert_false(r.config_current);
	assert_true(r.init_current);
	a = good;
	a.init_size = 2999;
	check(&a, &r);
	assert_false(r.init_current);
	assert_true(r.config_current);
	a = good;
	a.init = a.config = false;
	check(&a, &r);
	assert_false(r.has_init || r.init_current || r.has_config || r.config_current);
}

static void test_initramfs_bad(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/initramfs.img", tmpdir);
	struct kd_rehearse_initramfs r;
	struct kd_error *err = kd_rehearse_initramfs("/nonexistent/x.img", NULL, NULL, NULL, NULL,
						     0, &r);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "/nonexistent/x.img"));
	kd_error_destroy(err);
	// Cut in the middle: an error naming the file, not a crash.
	write_archive(path, &good);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size / 2), 0);
	err = kd_rehearse_initramfs(path, NULL, RELEASE, NULL, NULL, 0, &r);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), path));
	kd_error_destroy(err);
}

// ------------------------------------------------------------ size

static void test_dump_size(void **state)
{
	(void)state;
	struct kd_rehearse_estimate e = {
		.page_size = 4096, .max_pfn = 262144, .described = 1000, .kept = 900,
		.runs = 7, .data_bytes = 1000000,
	};
	// Header block 4096; sub header + 3000 VMCOREINFO + 16 KiB notes =
	// 19640 -> 20480; two bitmaps of 32 KiB; 1000 descriptors of 24
	// bytes, rounded up to a block: 114688; the shared zero page; data.
	assert_int_equal(kd_rehearse_dump_size(KD_SAVE_KDUMP, 31, &e, 3000), 114688 + 4096 + 1000000);
	// Without the zero bit there is no shared zero page.
	assert_int_equal(kd_rehearse_dump_size(KD_SAVE_KDUMP, 30, &e, 3000), 114688 + 1000000);
	// ELF: headers, a program header per run and the notes, the pages.
	assert_int_equal(kd_rehearse_dump_size(KD_SAVE_ELF, 31, &e, 3000),
			 64 + 8 * 56 + 16384 + 3000 + 900 * 4096);
	e.compress_seconds = 0.5;
	e.sample_in = 409600;	// 100 pages in 0.5 s
	e.size = 2000000;
	struct kd_rehearse_write w = { .bytes = 1000000, .seconds = 2 };
	// 900 pages at 200 pages/s, then 2 MB at 0.5 MB/s.
	assert_true(fabs(kd_rehearse_dump_seconds(&e, &w) - (4.5 + 4.0)) < 1e-9);
	w.seconds = 0;
	assert_true(fabs(kd_rehearse_dump_seconds(&e, &w) - 4.5) < 1e-9);
}

// ------------------------------------------------------------ the write

static void test_write_speed(void **state)
{
	(void)state;
	struct kd_rehearse_write w;
	assert_null(kd_rehearse_write_speed(tmpdir, 3 << 20, 60000, &w));
	assert_int_equal(w.bytes, 3 << 20);
	assert_true(w.seconds > 0);
	// The test file is gone.
	DIR *d = opendir(tmpdir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)))
		assert_null(strstr(de->d_name, "kexdump-rehearsal"));
	closedir(d);
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/no/such", tmpdir);
	struct kd_error *err = kd_rehearse_write_speed(missing, 1 << 20, 1000, &w);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), missing));
	assert_non_null(strstr(kd_error_message(err), "No such file"));
	kd_error_destroy(err);
}

// ------------------------------------------------------------ real dump

// The estimate on a real Debian dump (tests/vm/matrix.sh's, read-only)
// against the dump kd_save writes from it with the same settings: the
// formula and the sampled ratio, not /proc/kcore, are what this judges.
static void test_estimate_real(void **state)
{
	(void)state;
	glob_t g;
	// tests/run.sh runs this again on the crash matrix's dumps, once they
	// exist (the unit stage comes first).
	const char *root = getenv("KEXDUMP_DUMPS");
	if (!root) {
		kd_test_skip("KEXDUMP_DUMPS is not set (tests/run.sh sets it to the matrix's dumps)");
		return;
	}
	char pat[256];
	snprintf(pat, sizeof(pat), "%s/*/vmcore", root);
	if (glob(pat, 0, NULL, &g) || g.gl_pathc == 0) {
		globfree(&g);
		kd_test_skip("no real dump under %s", pat);
		return;
	}
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	assert_null(kd_dump_open(g.gl_pathv[0], &dump));
	assert_null(kd_kernel_open(dump, NULL, &kernel));
	static const struct {
		int codec;
		unsigned int level;
	} cases[] = { { KD_SAVE_ZSTD, 31 }, { KD_SAVE_LZO, 31 }, { KD_SAVE_ZLIB, 1 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kd_rehearse_options o = {
			.dump_level = cases[i].level, .codec = cases[i].codec, .format = KD_SAVE_KDUMP,
		};
		struct kd_rehearse_estimate e;
		assert_null(kd_rehearse_estimate(kernel, &o, &e));
		char out[128];
		snprintf(out, sizeof(out), "%s/saved-%zu", tmpdir, i);
		struct kd_save_options so = {
			.format = KD_SAVE_KDUMP, .codec = (enum kd_save_codec)cases[i].codec,
			.dump_level = cases[i].level, .threads = 1,
		};
		struct kd_save_stats ss;
		assert_null(kd_save_file(kernel, out, false, &so, &ss));
		struct stat st;
		assert_int_equal(stat(out, &st), 0);
		print_message("%s -d %u %s: estimate %llu bytes (%llu pages kept, sample %llu), "
			      "written %lld bytes (%llu pages)\n", g.gl_pathv[0], cases[i].level,
			      kd_save_codec_name((enum kd_save_codec)cases[i].codec),
			      (unsigned long long)e.size, (unsigned long long)e.kept,
			      (unsigned long long)e.sample_pages, (long long)st.st_size,
			      (unsigned long long)ss.pages_written);
		// The same pages as the writer, exactly; the size within 10%.
		assert_int_equal(e.kept, ss.pages_written);
		assert_true(e.sample_pages > 100);
		double d = (double)e.size / (double)st.st_size;
		assert_true(d > 0.9 && d < 1.1);
		unlink(out);
	}
	kd_kernel_close(kernel);
	kd_dump_close(dump);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initramfs_current),
		cmocka_unit_test(test_initramfs_missing),
		cmocka_unit_test(test_initramfs_foreign),
		cmocka_unit_test(test_initramfs_stale),
		cmocka_unit_test(test_initramfs_bad),
		cmocka_unit_test(test_dump_size),
		cmocka_unit_test(test_write_speed),
		cmocka_unit_test(test_estimate_real),
	};
	return kd_test_run(tests, setup, teardown);
}

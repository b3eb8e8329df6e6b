/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Honest skips and shared fixtures for the cmocka tests.
 *
 * cmocka's skip() ends a test without failing it, and the binary still
 * exits 0, so meson would count a skipped test as passed. kd_test_skip()
 * records the skip and says why; kd_test_run() runs the group and exits 77
 * (meson's SKIP) when something skipped and nothing failed.
 *
 * kd_test_as_nobody() runs a check in a child process with the uid and gid
 * of nobody (65534) and no supplementary groups, so that permission checks
 * run as root too (CI runs as root, which bypasses file modes).
 *
 * kd_test_kernels() lists the Debian kernels that tests/vm/kernel.sh
 * cached ($KEXDUMP_CACHE, default ~/.cache/kexdump, kernels/RELEASE with
 * a .complete marker), whatever their current releases are.
 *
 * kd_test_write(), kd_test_write_text(), kd_test_mkdirs() and
 * kd_test_rm_rf() make and remove the fake trees (sysfs, /dev, module
 * folders, mountinfo) that the service tests point the library at.
 *
 * Include after <cmocka.h>; every function here is static, one copy per
 * test binary (each is a single .c file).
 */
#ifndef KEXDUMP_TESTS_KDTEST_H
#define KEXDUMP_TESTS_KDTEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int kd_test_skipped;

#define kd_test_skip(...)                                       \
	do {                                                    \
		kd_test_skipped++;                              \
		print_message("[  SKIP    ] " __VA_ARGS__);     \
		print_message("\n");                            \
		skip();                                         \
	} while (0)

static inline int kd_test_finish(int failed)
{
	if (failed)
		return failed;
	if (kd_test_skipped) {
		print_message("%d test(s) skipped: exit 77\n", kd_test_skipped);
		return 77;
	}
	return 0;
}

#define kd_test_run(tests, setup, teardown) \
	kd_test_finish(cmocka_run_group_tests(tests, setup, teardown))

#define KD_TEST_NOBODY 65534u

/* Run fn(arg) as nobody in a child; its return value (0 = success) is the
 * child's exit status. Returns that status, or -1 when the child could not
 * drop its privileges or died. Not root: fn runs as the caller in the
 * child (the caller is then unprivileged already). */
static inline int kd_test_as_nobody(int (*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) || setresgid(KD_TEST_NOBODY, KD_TEST_NOBODY, KD_TEST_NOBODY) ||
		     setresuid(KD_TEST_NOBODY, KD_TEST_NOBODY, KD_TEST_NOBODY) ||
		     geteuid() != KD_TEST_NOBODY))
			_exit(126);
		_exit(fn(arg) & 0x7f);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) == 126)
		return -1;
	return WEXITSTATUS(st);
}

static inline int kd_test_cmp_row(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The cached kernels' releases, sorted, at most @max; returns how many
 * (0: none cached, run tests/vm/kernel.sh bookworm|trixie). */
static inline size_t kd_test_kernels(char rel[][128], size_t max)
{
	char dir[PATH_MAX];
	const char *cache = getenv("KEXDUMP_CACHE");
	const char *home = getenv("HOME");
	if (cache && *cache)
		snprintf(dir, sizeof(dir), "%s/kernels", cache);
	else
		snprintf(dir, sizeof(dir), "%s/.cache/kexdump/kernels", home ? home : "/root");
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while (n < max && (e = readdir(d))) {
		char mark[PATH_MAX + 300];
		if (e->d_name[0] == '.' || strlen(e->d_name) >= 128)
			continue;
		snprintf(mark, sizeof(mark), "%s/%s/.complete", dir, e->d_name);
		if (access(mark, F_OK))
			continue;
		memcpy(rel[n++], e->d_name, strlen(e->d_name) + 1);
	}
	closedir(d);
	qsort(rel, n, sizeof(rel[0]), kd_test_cmp_row);
	return n;
}

/* The directory of cached kernel @rel into @buf. */
static inline void kd_test_kernel_dir(char *buf, size_t len, const char *rel)
{
	const char *cache = getenv("KEXDUMP_CACHE");
	const char *home = getenv("HOME");
	if (cache && *cache)
		snprintf(buf, len, "%s/kernels/%s", cache, rel);
	else
		snprintf(buf, len, "%s/.cache/kexdump/kernels/%s", home ? home : "/root", rel);
}

/* DIR/REL into @p buf (REL alone when @p dir is NULL; one '/' between). */
static inline void kd_test_path(char *buf, size_t len, const char *dir, const char *rel)
{
	int n = dir ? snprintf(buf, len, "%s/%s", dir, rel + (*rel == '/')) :
		      snprintf(buf, len, "%s", rel);
	assert_true(n >= 0 && (size_t)n < len);
}

/* mkdir -p DIR/REL (0755: the as-nobody checks read the fake trees too). */
static inline void kd_test_mkdirs(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	kd_test_path(p, sizeof(p), dir, rel);
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
		if (!c)
			break;
		*s = c;
	}
}

/* Write @p len bytes to DIR/REL, replacing it, with its missing parents. */
static inline void kd_test_write(const char *dir, const char *rel, const void *data,
				 size_t len)
{
	char p[PATH_MAX];
	kd_test_path(p, sizeof(p), dir, rel);
	char *slash = strrchr(p, '/');
	if (slash && slash != p) {
		*slash = '\0';
		kd_test_mkdirs(NULL, p);
		*slash = '/';
	}
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static inline void kd_test_write_text(const char *dir, const char *rel, const char *text)
{
	kd_test_write(dir, rel, text, strlen(text));
}

static inline int kd_test_rm_one(const char *path, const struct stat *st, int type,
				 struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf @p path (scratch folders the test made; no shell involved). */
static inline void kd_test_rm_rf(const char *path)
{
	if (access(path, F_OK))
		return;
	assert_int_equal(nftw(path, kd_test_rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

#endif

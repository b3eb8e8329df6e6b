// SPDX-License-Identifier: LGPL-2.1-or-later
// Dump folders: names, summaries (complete, failed, missing, hostile), sizes
// and order; the writer the capture init uses, read back.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "service/service.h"

static char root[64];

static void mk(const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0700), 0);
}

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/kd-dumpdir-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kd_test_rm_rf(root);
	return 0;
}

static void test_list(void **state)
{
	(void)state;
	// A complete capture.
	mk("web-01-2024-03-01-10:00:00");
	kd_test_write(root, "web-01-2024-03-01-10:00:00/vmcore", "0123456789", 10);
	kd_test_write_text(root, "web-01-2024-03-01-10:00:00/dmesg.txt", "[    0.000000] Linux\n");
	kd_test_write_text(root, "web-01-2024-03-01-10:00:00/summary",
	      "status=complete\nerror=\nrelease=6.1.0-56-amd64\n"
	      "panic=[   12.345678] Kernel panic - not syncing: sysrq triggered crash\n"
	      "host=web-01\ndate=2024-03-01 10:00:00\ndump_level=31\ncodec=zstd\n"
	      "format=kdump\nbytes_written=10\npages_written=1\nseconds=0.50\n"
	      "future_key=ignored\n");
	// Interrupted during the save: no summary, a vmcore.incomplete.
	mk("web-01-2024-01-15-08:30:05");
	kd_test_write(root, "web-01-2024-01-15-08:30:05/vmcore.incomplete", "abc", 3);
	// Interrupted before the save: only dmesg.txt.
	mk("db-2024-01-15-08:30:05");
	kd_test_write_text(root, "db-2024-01-15-08:30:05/dmesg.txt", "log\n");
	// Failed, with a reason; host names may hold dashes.
	mk("my-host-2-2024-02-01-00:00:00");
	kd_test_write_text(root, "my-host-2-2024-02-01-00:00:00/summary",
	      "status=failed\nerror=cannot mount /dev/vda1: No such device\n");
	// Not dump folders: skipped.
	mk("lost+found");
	mk("x-2024-13-01");
	mk("-2024-01-01-00:00:00");
	mk("h-2024-01-01T00:00:00");
	kd_test_write_text(root, "file-2024-01-01-00:00:00", "a file, not a folder");

	struct kd_dumpdir_entry *e;
	size_t n;
	assert_null(kd_dumpdir_list(root, &e, &n));
	assert_int_equal(n, 4);
	// Oldest first; same date ordered by folder.
	assert_string_equal(e[0].host, "db");
	assert_string_equal(e[0].date, "2024-01-15 08:30:05");
	assert_string_equal(e[0].status, "unknown");
	assert_string_equal(e[0].error, "no summary (capture interrupted)");
	assert_false(e[0].has_vmcore);
	assert_true(e[0].has_dmesg);

	assert_string_equal(e[1].host, "web-01");
	assert_string_equal(e[1].status, "incomplete");
	assert_string_equal(e[1].error, "no summary (capture interrupted)");
	assert_true(e[1].has_vmcore);
	assert_false(e[1].has_dmesg);
	assert_int_equal(e[1].vmcore_size, 3);

	assert_string_equal(e[2].host, "my-host-2");
	assert_string_equal(e[2].date, "2024-02-01 00:00:00");
	assert_string_equal(e[2].status, "failed");
	assert_string_equal(e[2].error, "cannot mount /dev/vda1: No such device");
	assert_false(e[2].has_vmcore);
	assert_int_equal(e[2].vmcore_size, 0);

	assert_string_equal(e[3].host, "web-01");
	assert_string_equal(e[3].date, "2024-03-01 10:00:00");
	assert_string_equal(e[3].status, "complete");
	assert_string_equal(e[3].error, "");
	assert_string_equal(e[3].release, "6.1.0-56-amd64");
	assert_string_equal(e[3].panic,
		"[   12.345678] Kernel panic - not syncing: sysrq triggered crash");
	assert_true(e[3].has_vmcore && e[3].has_dmesg);
	assert_int_equal(e[3].vmcore_size, 10);
	char want[512];
	snprintf(want, sizeof(want), "%s/web-01-2024-03-01-10:00:00", root);
	assert_string_equal(e[3].dir, want);
	free(e);
}

// Summaries are read as hostile input: long values are cut, control bytes
// and NULs neutralised, a huge file read only in part, a symlink ignored.
static void test_hostile(void **state)
{
	(void)state;
	mk("h-2024-05-05-05:05:05");
	size_t len = 1 << 20;
	char *big = malloc(len);
	assert_non_null(big);
	memset(big, 'A', len);
	memcpy(big, "release=", 8);	// one 1 MiB line
	kd_test_write(root, "h-2024-05-05-05:05:05/summary", big, len);
	mk("h-2024-05-05-05:05:06");
	char nasty[600];
	int k = snprintf(nasty, sizeof(nasty), "status=completeX\npanic=a\tb\033[2Jc");
	memset(nasty + k, 'p', 400);
	k += 400;
	memcpy(nasty + k, "\nerror=x\0y\nstatus", 17);	// no final newline or '='
	kd_test_write(root, "h-2024-05-05-05:05:06/summary", nasty, (size_t)k + 17);
	mk("h-2024-05-05-05:05:07");
	char target[512];
	snprintf(target, sizeof(target), "%s/h-2024-05-05-05:05:06/summary", root);
	char link[512];
	snprintf(link, sizeof(link), "%s/h-2024-05-05-05:05:07/summary", root);
	assert_int_equal(symlink(target, link), 0);

	struct kd_dumpdir_entry *e;
	size_t n;
	assert_null(kd_dumpdir_list(root, &e, &n));
	assert_int_equal(n, 3);
	// 1 MiB of 'A': the release field is full and terminated.
	assert_int_equal(strlen(e[0].release), sizeof(e[0].release) - 1);
	assert_string_equal(e[0].status, "unknown");
	// "completeX" is no status; controls are '?'; the panic is cut.
	assert_string_equal(e[1].status, "unknown");
	assert_int_equal(strlen(e[1].panic), sizeof(e[1].panic) - 1);
	assert_memory_equal(e[1].panic, "a?b?[2Jcppp", 11);
	assert_string_equal(e[1].error, "x?y");
	// A summary that is a symlink is not followed: no summary.
	assert_string_equal(e[2].error, "no summary (capture interrupted)");
	free(e);
	free(big);
}

static void test_missing(void **state)
{
	(void)state;
	struct kd_dumpdir_entry *e = (void *)1;
	size_t n = 99;
	assert_null(kd_dumpdir_list("/nonexistent/var/crash", &e, &n));
	assert_int_equal(n, 0);
	free(e);
	// A file where the folder should be is an error.
	kd_test_write_text(root, "file-2024-01-01-00:00:00", "not a folder");
	char p[512];
	snprintf(p, sizeof(p), "%s/file-2024-01-01-00:00:00", root);
	struct kd_error *err = kd_dumpdir_list(p, &e, &n);
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ENOTDIR);
	kd_error_destroy(err);
}

static char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

// The writer the capture init uses: what it writes, the reader reads back
// (every key of the format, control bytes replaced, the optional ones only
// when set).
static void test_writer(void **state)
{
	(void)state;
	struct kd_dumpdir *d;
	struct kd_error *err = kd_dumpdir_create(root, "bad/host", &d);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	assert_false(kd_dumpdir_valid_host(".hidden"));
	assert_false(kd_dumpdir_valid_host(""));
	assert_true(kd_dumpdir_valid_host("web-1.example"));

	assert_null(kd_dumpdir_create(root, "web-1", &d));
	const char *path = kd_dumpdir_path(d);
	size_t rl = strlen(root);
	assert_memory_equal(path, root, rl);
	// "/web-1-YYYY-MM-DD-HH:MM:SS"
	assert_int_equal(strlen(path), rl + 1 + 5 + 1 + 19);
	assert_int_equal(strncmp(path + rl, "/web-1-", 7), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);

	int fd;
	assert_null(kd_dumpdir_create_file(d, KD_DUMPDIR_DMESG, &fd));
	assert_int_equal(write(fd, "log\n", 4), 4);
	close(fd);
	// Never over an existing file.
	err = kd_dumpdir_create_file(d, KD_DUMPDIR_DMESG, &fd);
	assert_int_equal(kd_error_code(err), KD_ERROR_OS);
	kd_error_destroy(err);

	// Nothing reserved: writing is a no-op.
	struct kd_dumpdir_summary s = {
		.status = KD_DUMPDIR_INCOMPLETE, .error = "disk\nfull", .release = "6.1.0-test",
		.panic = "Kernel panic - not syncing: x", .dump_level = 31, .codec = "zstd",
		.format = "kdump", .bytes_written = 123, .pages_written = 4, .seconds = 1.5,
		.dmesg_error = "", .warning = "",
	};
	assert_null(kd_dumpdir_write_summary(d, &s));
	char sp[600];
	snprintf(sp, sizeof(sp), "%s/summary", dir);
	assert_int_equal(stat(sp, &st), -1);
	assert_null(kd_dumpdir_reserve_summary(d));
	assert_int_equal(stat(sp, &st), 0);
	assert_int_equal(st.st_size, 4096);
	assert_null(kd_dumpdir_write_summary(d, &s));
	char want[512];
	snprintf(want, sizeof(want),
		 "status=incomplete\nerror=disk?full\nrelease=6.1.0-test\n"
		 "panic=Kernel panic - not syncing: x\nhost=web-1\ndate=%.10s %.8s\n"
		 "dump_level=31\ncodec=zstd\nformat=kdump\nbytes_written=123\n"
		 "pages_written=4\nseconds=1.50\n", dir + rl + 7, dir + rl + 18);
	assert_string_equal(slurp_file(sp), want);
	// Written once: a second write changes nothing.
	s.status = KD_DUMPDIR_FAILED;
	assert_null(kd_dumpdir_write_summary(d, &s));
	assert_string_equal(slurp_file(sp), want);
	assert_null(kd_dumpdir_close(d));

	struct kd_dumpdir_entry *e;
	size_t n;
	assert_null(kd_dumpdir_list(root, &e, &n));
	assert_int_equal(n, 1);
	assert_string_equal(e[0].dir, dir);
	assert_string_equal(e[0].host, "web-1");
	assert_string_equal(e[0].status, "incomplete");
	assert_string_equal(e[0].error, "disk?full");
	assert_string_equal(e[0].release, "6.1.0-test");
	assert_string_equal(e[0].panic, "Kernel panic - not syncing: x");
	assert_true(e[0].has_dmesg);
	free(e);

	// The optional keys; a second folder in the same second takes a
	// random suffix (test_taken_names).
	assert_null(kd_dumpdir_create(root, "web-1", &d));
	assert_string_not_equal(kd_dumpdir_path(d), dir);
	assert_null(kd_dumpdir_reserve_summary(d));
	s.status = KD_DUMPDIR_COMPLETE;
	s.dmesg_error = "cannot write dmesg.txt";
	s.warning = "zstd unavailable";
	assert_null(kd_dumpdir_write_summary(d, &s));
	snprintf(sp, sizeof(sp), "%s/summary", kd_dumpdir_path(d));
	const char *text = slurp_file(sp);
	assert_non_null(strstr(text, "status=complete\nerror=\n"));
	assert_non_null(strstr(text, "\ndmesg_error=cannot write dmesg.txt\nwarning=zstd unavailable\n"));
	assert_null(kd_dumpdir_close(d));
	assert_null(kd_dumpdir_close(NULL));
}

// "HOST-YYYY-MM-DD-HH:MM:SS" for now + @p delta seconds.
static void stamp_name(char *buf, size_t len, const char *host, long delta)
{
	time_t t = time(NULL) + delta;
	struct tm tm;
	gmtime_r(&t, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H:%M:%S", &tm);
	snprintf(buf, len, "%s-%s", host, stamp);
}

static void expect_invalid(struct kd_error *err, const char *want)
{
	assert_non_null(err);
	if (!strstr(kd_error_message(err), want))
		fail_msg("'%s' does not say '%s'", kd_error_message(err), want);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

// Names others made first (the base may be shared, the names are
// predictable) do not block a capture: the plain name, then a random
// suffix; the reader lists the suffixed folders with their host and date.
static void test_taken_names(void **state)
{
	(void)state;
	char base[128], name[128];
	snprintf(base, sizeof(base), "%s/base", root);
	mk("base");
	for (long k = -1; k <= 6; k++) {
		stamp_name(name, sizeof(name), "base/web-1", k);
		mk(name);
	}
	char paths[4][512];
	for (int i = 0; i < 4; i++) {
		struct kd_dumpdir *d;
		assert_null(kd_dumpdir_create(base, "web-1", &d));
		const char *p = kd_dumpdir_path(d);
		snprintf(paths[i], sizeof(paths[i]), "%s", p);
		// base/web-1-YYYY-MM-DD-HH:MM:SS-XXXXXX
		size_t bl = strlen(base);
		assert_int_equal(strlen(p), bl + 1 + 6 + 19 + 7);
		assert_int_equal(p[strlen(p) - 7], '-');
		for (size_t j = strlen(p) - 6; j < strlen(p); j++)
			assert_true(isalnum((unsigned char)p[j]));
		for (int k = 0; k < i; k++)
			assert_string_not_equal(paths[k], p);
		struct stat st;
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0700);
		assert_null(kd_dumpdir_reserve_summary(d));
		struct kd_dumpdir_summary s = { .status = KD_DUMPDIR_COMPLETE, .release = "6.1" };
		assert_null(kd_dumpdir_write_summary(d, &s));
		assert_string_equal(kd_dumpdir_warning(d), "");
		assert_null(kd_dumpdir_close(d));
	}
	// Suffixes the reader takes, and names it does not.
	mk("base/db-2024-01-01-00:00:00-Ab3xZ9");
	mk("base/db-2024-01-01-00:00:00-Ab3");
	mk("base/db-2024-01-01-00:00:00-Ab3x_9");
	mk("base/db-2024-01-01-00:00:0-Ab3xZ9");
	struct kd_dumpdir_entry *e;
	size_t n;
	assert_null(kd_dumpdir_list(base, &e, &n));
	assert_int_equal(n, 8 + 4 + 1);
	assert_string_equal(e[0].host, "db");
	assert_string_equal(e[0].date, "2024-01-01 00:00:00");
	size_t found = 0;
	for (size_t i = 1; i < n; i++) {
		assert_string_equal(e[i].host, "web-1");
		for (int k = 0; k < 4; k++) {
			if (strcmp(e[i].dir, paths[k]))
				continue;
			found++;
			assert_string_equal(e[i].status, "complete");
			assert_string_equal(e[i].release, "6.1");
			// The date of the name, without the suffix.
			const char *d = paths[k] + strlen(base) + 1 + 6;
			assert_memory_equal(e[i].date, d, 10);
			assert_memory_equal(e[i].date + 11, d + 11, 8);
		}
	}
	assert_int_equal(found, 4);
	free(e);
}

// A symbolic link on the base's path (the base or a folder above it) is
// refused: an attacker's link must not redirect the dump.
static void test_symlink_base(void **state)
{
	(void)state;
	char p[512], link[512];
	mk("real");
	snprintf(p, sizeof(p), "%s/real", root);
	snprintf(link, sizeof(link), "%s/link", root);
	assert_int_equal(symlink(p, link), 0);
	struct kd_dumpdir *d = NULL;
	expect_invalid(kd_dumpdir_create(link, "h", &d), "a symbolic link");
	snprintf(p, sizeof(p), "%s/link/sub/crash", root);
	struct kd_error *err = kd_dumpdir_create(p, "h", &d);
	assert_non_null(err);
	// The base is named first, then the link.
	char want[1100];
	snprintf(want, sizeof(want), "%s: %s/link: a symbolic link", p, root);
	assert_memory_equal(kd_error_message(err), want, strlen(want));
	kd_error_destroy(err);
	snprintf(p, sizeof(p), "%s/real", root);
	assert_int_equal(count_entries(p), 0);
	char w[256] = "x";
	expect_invalid(kd_dumpdir_check_base(link, w, sizeof(w)), "a symbolic link");
	assert_null(kd_dumpdir_check_base(p, w, sizeof(w)));
	assert_string_equal(w, "");
	// Missing parts are fine for the check (the capture makes them).
	snprintf(p, sizeof(p), "%s/real/not/yet", root);
	assert_null(kd_dumpdir_check_base(p, w, sizeof(w)));
	// A file on the path.
	kd_test_write_text(root, "file", "x");
	snprintf(p, sizeof(p), "%s/file/crash", root);
	expect_invalid(kd_dumpdir_create(p, "h", &d), "not a folder");
}

// Writable by others without the sticky bit: refused (the base or above
// it); with it (like /tmp): used, with a warning the summary carries.
static void test_world_writable_base(void **state)
{
	(void)state;
	char p[512];
	mk("ww");
	snprintf(p, sizeof(p), "%s/ww", root);
	assert_int_equal(chmod(p, 0777), 0);
	struct kd_dumpdir *d = NULL;
	expect_invalid(kd_dumpdir_create(p, "h", &d), "writable by other users (mode 0777) without the sticky bit");
	assert_int_equal(count_entries(p), 0);
	char w[256];
	expect_invalid(kd_dumpdir_check_base(p, w, sizeof(w)), "without the sticky bit");
	snprintf(p, sizeof(p), "%s/ww/below", root);
	expect_invalid(kd_dumpdir_create(p, "h", &d), "ww: writable by other users");
	snprintf(p, sizeof(p), "%s/ww", root);
	assert_int_equal(count_entries(p), 0);
	// Group-writable counts too, unless the group is root's.
	assert_int_equal(chmod(p, 0770), 0);
	assert_int_equal(chown(p, (uid_t)-1, 0), 0);
	assert_null(kd_dumpdir_check_base(p, w, sizeof(w)));
	if (geteuid() == 0) {
		// Some group other than root's: nobody's.
		assert_int_equal(chown(p, (uid_t)-1, KD_TEST_NOBODY), 0);
		expect_invalid(kd_dumpdir_check_base(p, w, sizeof(w)), "mode 0770");
	}
	assert_int_equal(chmod(p, 01777), 0);
	assert_null(kd_dumpdir_check_base(p, w, sizeof(w)));
	assert_non_null(strstr(w, "writable by other users (mode 1777, sticky)"));
	assert_null(kd_dumpdir_create(p, "h", &d));
	assert_non_null(strstr(kd_dumpdir_warning(d), "writable by other users"));
	assert_null(kd_dumpdir_reserve_summary(d));
	struct kd_dumpdir_summary s = { .status = KD_DUMPDIR_COMPLETE, .warning = "zstd unavailable" };
	assert_null(kd_dumpdir_write_summary(d, &s));
	char sp[600];
	snprintf(sp, sizeof(sp), "%s/summary", kd_dumpdir_path(d));
	assert_null(kd_dumpdir_close(d));
	FILE *f = fopen(sp, "r");
	assert_non_null(f);
	char text[4096];
	text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
	fclose(f);
	assert_non_null(strstr(text, "\nwarning=zstd unavailable; "));
	assert_non_null(strstr(text, "ww is writable by other users (mode 1777, sticky)"));
}

// A base (or a folder above it) owned by another user than root or the
// caller: refused, its owner could read or redirect the dumps.
static void test_other_owner_base(void **state)
{
	(void)state;
	if (geteuid() != 0)
		kd_test_skip("not root: cannot give a folder to another user");
	char p[512];
	mk("other");
	snprintf(p, sizeof(p), "%s/other", root);
	assert_int_equal(chown(p, KD_TEST_NOBODY, KD_TEST_NOBODY), 0);
	struct kd_dumpdir *d = NULL;
	expect_invalid(kd_dumpdir_create(p, "h", &d), "owned by uid 65534, not root");
	assert_int_equal(count_entries(p), 0);
	char w[256];
	expect_invalid(kd_dumpdir_check_base(p, w, sizeof(w)), "owned by uid 65534");
	mk("other/crash");
	snprintf(p, sizeof(p), "%s/other/crash", root);
	expect_invalid(kd_dumpdir_create(p, "h", &d), "other: owned by uid 65534");
	assert_int_equal(count_entries(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_taken_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_world_writable_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_owner_base, setup, teardown),
	};
	return kd_test_run(tests, NULL, NULL);
}

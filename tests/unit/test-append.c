// SPDX-License-Identifier: LGPL-2.1-or-later
// kd_append_*: the page data of a dump appended with O_DIRECT. What lands
// in the file must be exactly what was appended, byte for byte, whatever
// the sizes and early flushes (padded partial blocks written again), with
// buffered writes of the same file around it; a write that fails leaves
// the file ending at the last byte known written.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "save/save.h"

#define START 8192u
#define TOTAL (7u << 20)	// several KD_APPEND_BUF fills

static uint8_t data[TOTAL];

static void fill(void)
{
	uint32_t x = 12345;
	for (size_t i = 0; i < TOTAL; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)(x >> 16);
	}
}

static int new_file(char *path)
{
	strcpy(path, "/tmp/kexdump-test-append-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

// Whether the file system of /tmp takes O_DIRECT at all.
static bool tmp_has_direct(const char *path)
{
	int fd = open(path, O_WRONLY | O_DIRECT);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void check_file(const char *path, uint64_t start, size_t len,
		       const uint8_t *head)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, start + len);
	uint8_t *got = malloc(start + len);
	assert_non_null(got);
	assert_int_equal(pread(fd, got, start + len, 0), (ssize_t)(start + len));
	if (head)
		assert_memory_equal(got, head, start);
	for (size_t i = 0; i < len; i++)
		if (got[start + i] != data[i])
			fail_msg("%s: byte %zu of the data differs", path, i);
	free(got);
	close(fd);
}

// Appends of odd sizes, early flushes among them, and buffered writes to
// the file's head (as the descriptors and header of a dump are) between.
static void run(bool direct, bool flushes)
{
	char path[64];
	int fd = new_file(path);
	struct kd_sink sink;
	assert_null(kd_sink_init(&sink, fd, false, "test"));
	uint8_t head[START];
	memset(head, 0xa5, sizeof(head));
	assert_null(kd_sink_write(&sink, head, START, 0));
	struct kd_append a;
	kd_append_init(&a, &sink, START, direct);
	assert_int_equal(kd_append_is_direct(&a), direct && tmp_has_direct(path));
	size_t off = 0, step = 1, extra = 0;
	while (off < TOTAL) {
		size_t n = step * 7919 % 600000 + 1;
		if (n > TOTAL - off)
			n = TOTAL - off;
		assert_null(kd_append_write(&a, data + off, n));
		off += n;
		assert_true(kd_append_durable(&a) <= START + off);
		if (flushes && step % 3 == 0) {
			assert_null(kd_append_flush(&a));
			assert_int_equal(kd_append_durable(&a), START + off);
			// Something else written buffered meanwhile.
			head[step % START] = (uint8_t)step;
			assert_null(kd_sink_write(&sink, head + step % START, 1,
						  step % START));
			extra++;
		}
		step++;
	}
	assert_int_equal(sink.bytes, START + TOTAL + extra);
	assert_null(kd_append_end(&a));
	assert_int_equal(sink.bytes, START + TOTAL + extra);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	check_file(path, START, TOTAL, head);
	unlink(path);
}

static void test_direct(void **state)
{
	(void)state;
	run(true, false);
}

static void test_direct_flushes(void **state)
{
	(void)state;
	run(true, true);
}

static void test_buffered(void **state)
{
	(void)state;
	run(false, true);
}

// Not block-aligned: plain writes, same bytes.
static void test_unaligned_start(void **state)
{
	(void)state;
	char path[64];
	int fd = new_file(path);
	struct kd_sink sink;
	assert_null(kd_sink_init(&sink, fd, false, "test"));
	struct kd_append a;
	kd_append_init(&a, &sink, 100, true);
	assert_false(kd_append_is_direct(&a));
	assert_null(kd_append_write(&a, data, 5000));
	assert_int_equal(kd_append_durable(&a), 5100);
	assert_null(kd_append_end(&a));
	close(fd);
	check_file(path, 100, 5000, NULL);
	unlink(path);
}

// A file size limit midway (as a full disk): an OS error, and the file
// ends where the written data ends, every byte of it right.
static void test_write_fails(void **state)
{
	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	for (int direct = 0; direct < 2; direct++) {
		char path[64];
		int fd = new_file(path);
		struct kd_sink sink;
		assert_null(kd_sink_init(&sink, fd, false, "test"));
		struct kd_append a;
		kd_append_init(&a, &sink, START, direct);
		struct rlimit old, lim;
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = START + (5u << 20) + 1000;
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		struct kd_error *err = NULL;
		size_t off = 0;
		while (!err && off < TOTAL) {
			size_t n = TOTAL - off < 300000 ? TOTAL - off : 300000;
			err = kd_append_write(&a, data + off, n);
			off += n;
			if (!err && off % 900000 == 0)
				err = kd_append_flush(&a);
		}
		if (!err)
			err = kd_append_end(&a);
		else
			kd_append_abandon(&a);
		setrlimit(RLIMIT_FSIZE, &old);
		assert_non_null(err);
		assert_int_equal(kd_error_code(err), KD_ERROR_OS);
		assert_int_equal(kd_error_errno(err), EFBIG);
		kd_error_destroy(err);
		uint64_t durable = kd_append_durable(&a);
		assert_true(durable > START);
		assert_true(durable <= lim.rlim_cur);
		close(fd);
		check_file(path, START, durable - START, NULL);
		unlink(path);
	}
	signal(SIGXFSZ, SIG_DFL);
}

int main(void)
{
	fill();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct),
		cmocka_unit_test(test_direct_flushes),
		cmocka_unit_test(test_buffered),
		cmocka_unit_test(test_unaligned_start),
		cmocka_unit_test(test_write_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

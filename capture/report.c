// SPDX-License-Identifier: LGPL-2.1-or-later
// report.txt in the dump folder, written by the capture init once the
// vmcore is safe (renamed from vmcore.incomplete, summary written). The
// report reads the crashed kernel's structures, the part of kexdump most
// exposed to a damaged dump; it is made in a child process that sends the
// text through a pipe, so that a crash or a hang there (bounded by a
// deadline, then SIGKILL) costs the report only and PID 1 goes on to its
// final action. The parent writes the file only from a whole text and a
// child that exited 0: a report.txt is never a half one.
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPORT_MAX_BYTES (8u << 20)	/* a report is tens of KiB */

static double capture_report_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// The child: the report's text into the pipe, exit 0 when all of it went.
static void capture_report_child(struct kd_kernel *kernel, const char *vmcore_path, int fd)
{
	struct kd_report_options o = { .log_lines = 20 };
	struct kd_report *r;
	char *text = NULL;
	size_t len = 0;
	struct kd_error *err = kd_report_create(kernel, &o, &r);
	if (!err) {
		err = kd_report_text(r, vmcore_path, &text, &len);
		kd_report_destroy(r);
	}
	if (err)
		_exit(1);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(1);
		off += (size_t)w;
	}
	_exit(0);
}

// Read the child's text until EOF or the deadline.
static struct kd_error *capture_report_read(int fd, double deadline, char **ret, size_t *len_ret)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	if (!buf)
		return kd_error_create(KD_ERROR_NOMEM, "out of memory");
	for (;;) {
		double left = deadline - capture_report_now();
		if (left <= 0) {
			free(buf);
			return kd_error_create(KD_ERROR_OS, "the report took longer than its bound");
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;	// the deadline check above ends it
		if (len == cap) {
			char *grown = cap < REPORT_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
			if (!grown) {
				free(buf);
				return kd_error_create(KD_ERROR_CORRUPT, "the report is too long");
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return kd_error_os(e, "reading the report");
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	*ret = buf;
	*len_ret = len;
	return NULL;
}

static struct kd_error *capture_report_save(struct kd_dumpdir *dir, const char *text, size_t len)
{
	int fd;
	struct kd_error *err = kd_dumpdir_create_file(dir, KD_DUMPDIR_REPORT, &fd);
	if (err)
		return err;
	const char *path = kd_dumpdir_path(dir);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = kd_error_os(w < 0 ? errno : ENOSPC, "%s/%s: cannot write", path,
					  KD_DUMPDIR_REPORT);
			break;
		}
		off += (size_t)w;
	}
	if (!err && fsync(fd) < 0)
		err = kd_error_os(errno, "%s/%s: fsync failed", path, KD_DUMPDIR_REPORT);
	if (close(fd) < 0 && !err)
		err = kd_error_os(errno, "%s/%s: close failed", path, KD_DUMPDIR_REPORT);
	// A report cut short says nothing true: take it away.
	if (err) {
		char full[4096];
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", path, KD_DUMPDIR_REPORT) <
		    sizeof(full))
			unlink(full);
	}
	return err;
}

static void capture_report_signature(const char *text, size_t len, char *out, size_t outlen)
{
	static const char key[] = "\nsignature: ";
	out[0] = '\0';
	const char *p = memmem(text, len, key, sizeof(key) - 1);
	if (!p || !outlen)
		return;
	p += sizeof(key) - 1;
	size_t n = 0;
	while (p + n < text + len && p[n] != '\n' && n + 1 < outlen)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

struct kd_error *capture_report_write(struct kd_kernel *kernel, struct kd_dumpdir *dir,
				      const char *vmcore_path, unsigned int timeout_s,
				      char *signature, size_t signature_len)
{
	if (signature_len)
		signature[0] = '\0';
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return kd_error_os(errno, "report: pipe");
	fflush(NULL);	// the child must not write the parent's buffers again
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return kd_error_os(e, "report: fork");
	}
	if (!pid) {
		close(p[0]);
		capture_report_child(kernel, vmcore_path, p[1]);
	}
	close(p[1]);
	char *text = NULL;
	size_t len = 0;
	struct kd_error *err = capture_report_read(p[0], capture_report_now() + timeout_s,
						   &text, &len);
	close(p[0]);
	if (err)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!err && WIFSIGNALED(status))
		err = kd_error_create(KD_ERROR_CORRUPT, "the report died of signal %d (%s)",
				      WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (!err && (!WIFEXITED(status) || WEXITSTATUS(status) || !len))
		err = kd_error_create(KD_ERROR_CORRUPT, "the report failed (exit %d)",
				      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (!err)
		err = capture_report_save(dir, text, len);
	if (!err)
		capture_report_signature(text, len, signature, signature_len);
	free(text);
	return err;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// The dump folders the capture init (capture/init.c) leaves on the target:
//
//   <path>/<host>-<YYYY-MM-DD-HH:MM:SS>/     (UTC, time of the capture)
//       vmcore             the dump (vmcore.incomplete while being written)
//       dmesg.txt          the crashed kernel's log, written before the dump
//       summary            key=value lines, one per line, written last:
//
//   status=complete|incomplete|failed
//   error=TEXT             why it is not complete ("" when complete)
//   release=6.1.0-56-amd64 the crashed kernel's release (VMCOREINFO OSRELEASE)
//   panic=TEXT             the first log line holding "Kernel panic - not
//                          syncing" (else "sysrq: Trigger a crash")
//   host=NAME              as in the folder name
//   date=YYYY-MM-DD HH:MM:SS   UTC, as in the folder name
//   dump_level=N           makedumpfile's -d
//   codec=zstd|lz4|zlib|lzo|snappy|none
//   format=kdump|elf
//   bytes_written=N        bytes of the vmcore
//   pages_written=N        pages the vmcore holds
//   seconds=N.NN           time the save took
//
// Values are single lines of printable text (the writer replaces anything
// else); unknown keys are ignored so that later versions can add some. The
// files are read as hostile input: lengths are bounded, nothing is trusted
// to be terminated or well-formed. A folder without summary is a capture
// that was cut short (power loss, a reset during the save).
#include "service/service.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUMMARY_MAX 16384	/* a summary is a few hundred bytes */
#define DUMPDIR_MAX 100000	/* more folders than anyone keeps */
#define DATE_LEN 19		/* "YYYY-MM-DD-HH:MM:SS" */

// "<host>-YYYY-MM-DD-HH:MM:SS": split into host and "YYYY-MM-DD HH:MM:SS".
static bool parse_name(const char *name, struct kd_dumpdir_entry *e)
{
	size_t n = strlen(name);
	if (n < DATE_LEN + 2 || name[n - DATE_LEN - 1] != '-')
		return false;
	size_t hlen = n - DATE_LEN - 1;
	if (hlen >= sizeof(e->host))
		return false;
	const char *d = name + hlen + 1;
	static const char pattern[] = "dddd-dd-dd-dd:dd:dd";
	for (size_t i = 0; i < DATE_LEN; i++) {
		if (pattern[i] == 'd' ? !isdigit((unsigned char)d[i]) : d[i] != pattern[i])
			return false;
	}
	memcpy(e->host, name, hlen);
	e->host[hlen] = '\0';
	memcpy(e->date, d, DATE_LEN);
	e->date[10] = ' ';
	e->date[DATE_LEN] = '\0';
	return true;
}

// Copy a value, at most dstlen - 1 bytes, control bytes as '?'.
static void copy_value(char *dst, size_t dstlen, const char *v, size_t len)
{
	if (len >= dstlen)
		len = dstlen - 1;
	for (size_t i = 0; i < len; i++)
		dst[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
	dst[len] = '\0';
}

// Read at most SUMMARY_MAX bytes of dirfd/summary; false when absent.
static bool read_summary(int dirfd, char *buf, size_t *len_ret)
{
	int fd = openat(dirfd, "summary", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	size_t len = 0;
	while (len < SUMMARY_MAX) {
		ssize_t r = read(fd, buf + len, SUMMARY_MAX - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*len_ret = len;
	return true;
}

static void parse_summary(const char *buf, size_t len, struct kd_dumpdir_entry *e)
{
	strcpy(e->status, "unknown");
	for (size_t pos = 0; pos < len;) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + 1;
		const char *eq = memchr(line, '=', n);
		if (!eq)
			continue;
		size_t klen = (size_t)(eq - line);
		const char *v = eq + 1;
		size_t vlen = n - klen - 1;
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(line, k, klen))
		if (KEY("status")) {
			static const char *const known[] = { "complete", "incomplete", "failed" };
			for (size_t i = 0; i < KD_ARRAY_SIZE(known); i++)
				if (vlen == strlen(known[i]) && !memcmp(v, known[i], vlen))
					strcpy(e->status, known[i]);
		} else if (KEY("error")) {
			copy_value(e->error, sizeof(e->error), v, vlen);
		} else if (KEY("release")) {
			copy_value(e->release, sizeof(e->release), v, vlen);
		} else if (KEY("panic")) {
			copy_value(e->panic, sizeof(e->panic), v, vlen);
		}
#undef KEY
	}
}

static bool file_size(int dirfd, const char *name, uint64_t *size)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return false;
	*size = (uint64_t)st.st_size;
	return true;
}

static void read_entry(int dirfd, struct kd_dumpdir_entry *e, char *buf)
{
	e->has_vmcore = file_size(dirfd, "vmcore", &e->vmcore_size) ||
			file_size(dirfd, "vmcore.incomplete", &e->vmcore_size);
	uint64_t dsize;
	e->has_dmesg = file_size(dirfd, "dmesg.txt", &dsize);
	size_t len;
	if (read_summary(dirfd, buf, &len)) {
		parse_summary(buf, len, e);
		return;
	}
	strcpy(e->status, e->has_vmcore ? "incomplete" : "unknown");
	strcpy(e->error, "no summary (capture interrupted)");
}

static int cmp_entries(const void *a, const void *b)
{
	const struct kd_dumpdir_entry *x = a, *y = b;
	int c = strcmp(x->date, y->date);
	return c ? c : strcmp(x->dir, y->dir);
}

KD_EXPORT struct kd_error *kd_dumpdir_list(const char *path,
					   struct kd_dumpdir_entry **ret,
					   size_t *nret)
{
	DIR *d = opendir(path);
	if (!d) {
		if (errno == ENOENT) {
			*ret = NULL;
			*nret = 0;
			return NULL;
		}
		return kd_error_os(errno, "%s: cannot list", path);
	}
	struct kd_dumpdir_entry *list = NULL;
	size_t n = 0, cap = 0;
	char *buf = malloc(SUMMARY_MAX);
	if (!buf)
		goto nomem;
	struct dirent *de;
	while ((de = readdir(d)) && n < DUMPDIR_MAX) {
		struct kd_dumpdir_entry e;
		memset(&e, 0, sizeof(e));
		if (de->d_name[0] == '.' || !parse_name(de->d_name, &e))
			continue;
		if ((size_t)snprintf(e.dir, sizeof(e.dir), "%s/%s", path, de->d_name) >=
		    sizeof(e.dir))
			continue;
		int fd = openat(dirfd(d), de->d_name,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;	// not a folder (or vanished meanwhile)
		read_entry(fd, &e, buf);
		close(fd);
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct kd_dumpdir_entry *p = realloc(list, cap * sizeof(*list));
			if (!p)
				goto nomem;
			list = p;
		}
		list[n++] = e;
	}
	closedir(d);
	free(buf);
	if (n)
		qsort(list, n, sizeof(*list), cmp_entries);
	*ret = list;
	*nret = n;
	return NULL;
nomem:
	closedir(d);
	free(buf);
	free(list);
	return &kd_enomem;
}

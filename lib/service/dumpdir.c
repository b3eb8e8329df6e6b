// SPDX-License-Identifier: LGPL-2.1-or-later
// The dump folders the capture init (capture/init.c) leaves on the target,
// written and read here so that the format lives in one file:
//
//   <path>/<host>-<YYYY-MM-DD-HH:MM:SS>/     (UTC, time of the capture)
//       vmcore             the dump (vmcore.incomplete while being written)
//       dmesg.txt          the crashed kernel's log, written before the dump
//       summary            key=value lines, one per line, written last
//                          (its blocks reserved before the dump, so that a
//                          full disk still takes it):
//
//   status=complete|incomplete|failed
//   error=TEXT             why it is not complete ("" when complete)
//   release=6.1.0-56-amd64 the crashed kernel's release (VMCOREINFO OSRELEASE)
//   panic=TEXT             the panic line (kd_printk_find_panic: the first
//                          "Kernel panic - not syncing" line, else the first
//                          "Trigger a crash" one), "" if none
//   host=NAME              as in the folder name
//   date=YYYY-MM-DD HH:MM:SS   UTC, as in the folder name
//   dump_level=N           makedumpfile's -d
//   codec=zstd|lz4|zlib|lzo|snappy|none
//   format=kdump|elf
//   bytes_written=N        bytes of the vmcore
//   pages_written=N        pages the vmcore holds
//   seconds=N.NN           time the save took
//   dmesg_error=TEXT       only when dmesg.txt could not be written whole
//   warning=TEXT           only when the save warned (kd_save_stats.warning)
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
#include <time.h>
#include <unistd.h>

#define SUMMARY_MAX 16384	/* a summary is a few hundred bytes */
#define SUMMARY_RESERVE 4096	/* bytes reserved for it before the dump */
#define DUMPDIR_MAX 100000	/* more folders than anyone keeps */
#define DATE_LEN 19		/* "YYYY-MM-DD-HH:MM:SS" */
#define CREATE_TRIES 3		/* seconds waited for a free folder name */

// "<host>-YYYY-MM-DD-HH:MM:SS": split into host and "YYYY-MM-DD HH:MM:SS".
static bool dumpdir_parse_name(const char *name, struct kd_dumpdir_entry *e)
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
static void dumpdir_copy_value(char *dst, size_t dstlen, const char *v, size_t len)
{
	if (len >= dstlen)
		len = dstlen - 1;
	for (size_t i = 0; i < len; i++)
		dst[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
	dst[len] = '\0';
}

// Read at most SUMMARY_MAX bytes of dirfd/summary; false when absent.
static bool dumpdir_read_summary(int dirfd, char *buf, size_t *len_ret)
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

static void dumpdir_parse_summary(const char *buf, size_t len, struct kd_dumpdir_entry *e)
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
			dumpdir_copy_value(e->error, sizeof(e->error), v, vlen);
		} else if (KEY("release")) {
			dumpdir_copy_value(e->release, sizeof(e->release), v, vlen);
		} else if (KEY("panic")) {
			dumpdir_copy_value(e->panic, sizeof(e->panic), v, vlen);
		}
#undef KEY
	}
}

static bool dumpdir_file_size(int dirfd, const char *name, uint64_t *size)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return false;
	*size = (uint64_t)st.st_size;
	return true;
}

static void dumpdir_read_entry(int dirfd, struct kd_dumpdir_entry *e, char *buf)
{
	e->has_vmcore = dumpdir_file_size(dirfd, "vmcore", &e->vmcore_size) ||
			dumpdir_file_size(dirfd, "vmcore.incomplete", &e->vmcore_size);
	uint64_t dsize;
	e->has_dmesg = dumpdir_file_size(dirfd, "dmesg.txt", &dsize);
	size_t len;
	if (dumpdir_read_summary(dirfd, buf, &len)) {
		dumpdir_parse_summary(buf, len, e);
		return;
	}
	strcpy(e->status, e->has_vmcore ? "incomplete" : "unknown");
	strcpy(e->error, "no summary (capture interrupted)");
}

static int dumpdir_cmp_entries(const void *a, const void *b)
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
		if (de->d_name[0] == '.' || !dumpdir_parse_name(de->d_name, &e))
			continue;
		if ((size_t)snprintf(e.dir, sizeof(e.dir), "%s/%s", path, de->d_name) >=
		    sizeof(e.dir))
			continue;
		int fd = openat(dirfd(d), de->d_name,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;	// not a folder (or vanished meanwhile)
		dumpdir_read_entry(fd, &e, buf);
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
		qsort(list, n, sizeof(*list), dumpdir_cmp_entries);
	*ret = list;
	*nret = n;
	return NULL;
nomem:
	closedir(d);
	free(buf);
	free(list);
	return &kd_enomem;
}

// --------------------------------------------------------------- writer

struct kd_dumpdir {
	char path[KD_TARGET_PATH_MAX];
	char host[65];
	char date[DATE_LEN + 1];	// "YYYY-MM-DD HH:MM:SS"
	int summary_fd;			// reserved, not yet written; -1 otherwise
};

// The one spelling of a capture's time: "YYYY-MM-DD<sep>HH:MM:SS", UTC;
// '-' in folder names (':' is the only other separator, so names sort by
// time), ' ' in the summary's date, as dumpdir_parse_name() gives it back.
static void dumpdir_stamp(const struct tm *tm, char sep, char out[DATE_LEN + 1])
{
	char fmt[] = "%Y-%m-%d %H:%M:%S";
	fmt[8] = sep;
	if (!strftime(out, DATE_LEN + 1, fmt, tm))
		snprintf(out, DATE_LEN + 1, "0000-00-00%c00:00:00", sep);
}

KD_EXPORT bool kd_dumpdir_valid_host(const char *host)
{
	if (!*host || *host == '-' || *host == '.' || strlen(host) > 64)
		return false;
	for (; *host; host++)
		if (!isalnum((unsigned char)*host) && *host != '-' && *host != '.')
			return false;
	return true;
}

static void dumpdir_sleep_second(void)
{
	struct timespec ts = { 1, 0 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

KD_EXPORT struct kd_error *kd_dumpdir_create(const char *base, const char *host,
					     struct kd_dumpdir **ret)
{
	if (!kd_dumpdir_valid_host(host))
		return kd_error_create(KD_ERROR_INVALID,
				       "'%s' is not a host name for a dump folder", host);
	// Dumps hold the machine's memory: keys, passwords.
	struct kd_error *err = kd_fs_mkdir_p(base, 0700);
	if (err)
		return err;
	struct kd_dumpdir *d = calloc(1, sizeof(*d));
	if (!d)
		return &kd_enomem;
	d->summary_fd = -1;
	snprintf(d->host, sizeof(d->host), "%s", host);
	// A second capture within the same second waits for the next one
	// rather than mixing two dumps in one folder.
	for (int tries = 0; tries < CREATE_TRIES; tries++) {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[DATE_LEN + 1];
		gmtime_r(&now, &tm);
		dumpdir_stamp(&tm, '-', stamp);
		if ((size_t)snprintf(d->path, sizeof(d->path), "%s/%s-%s", base, host, stamp) >=
		    sizeof(d->path)) {
			free(d);
			return kd_error_create(KD_ERROR_INVALID, "%s: dump folder name too long",
					       base);
		}
		if (mkdir(d->path, 0700) == 0) {
			dumpdir_stamp(&tm, ' ', d->date);
			*ret = d;
			return NULL;
		}
		if (errno != EEXIST) {
			err = kd_error_os(errno, "%s: cannot create", d->path);
			free(d);
			return err;
		}
		dumpdir_sleep_second();
	}
	free(d);
	return kd_error_create(KD_ERROR_INVALID,
			       "cannot create a new dump folder under %s: names taken", base);
}

KD_EXPORT const char *kd_dumpdir_path(const struct kd_dumpdir *d)
{
	return d->path;
}

KD_EXPORT struct kd_error *kd_dumpdir_create_file(struct kd_dumpdir *d, const char *name,
						  int *fd_ret)
{
	char path[KD_TARGET_PATH_MAX + 64];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", d->path, name) >= sizeof(path))
		return kd_error_create(KD_ERROR_INVALID, "%s/%s: path too long", d->path, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot create", path);
	*fd_ret = fd;
	return NULL;
}

KD_EXPORT struct kd_error *kd_dumpdir_reserve_summary(struct kd_dumpdir *d)
{
	if (d->summary_fd >= 0)
		return NULL;
	int fd;
	struct kd_error *err = kd_dumpdir_create_file(d, KD_DUMPDIR_SUMMARY, &fd);
	if (err)
		return err;
	if (posix_fallocate(fd, 0, SUMMARY_RESERVE) != 0) {
		// No fallocate (vfat): zeros take the space all the same.
		static const char zeros[SUMMARY_RESERVE];
		if (pwrite(fd, zeros, sizeof(zeros), 0) != (ssize_t)sizeof(zeros)) {
			err = kd_error_os(errno ? errno : ENOSPC, "%s/%s: cannot reserve",
					  d->path, KD_DUMPDIR_SUMMARY);
			close(fd);
			return err;
		}
	}
	d->summary_fd = fd;
	return NULL;
}

static void dumpdir_put(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s=", key);
	for (; v && *v; v++)
		fputc((unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v, f);
	fputc('\n', f);
}

KD_EXPORT struct kd_error *kd_dumpdir_write_summary(struct kd_dumpdir *d,
						    const struct kd_dumpdir_summary *s)
{
	if (d->summary_fd < 0)
		return NULL;
	static const char *const status[] = { "complete", "incomplete", "failed" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return &kd_enomem;
	dumpdir_put(f, "status", status[s->status <= KD_DUMPDIR_FAILED ? s->status :
					 KD_DUMPDIR_FAILED]);
	dumpdir_put(f, "error", s->status == KD_DUMPDIR_COMPLETE ? "" : s->error);
	dumpdir_put(f, "release", s->release);
	dumpdir_put(f, "panic", s->panic);
	dumpdir_put(f, "host", d->host);
	dumpdir_put(f, "date", d->date);
	fprintf(f, "dump_level=%u\n", s->dump_level);
	dumpdir_put(f, "codec", s->codec);
	dumpdir_put(f, "format", s->format);
	fprintf(f, "bytes_written=%llu\n", (unsigned long long)s->bytes_written);
	fprintf(f, "pages_written=%llu\n", (unsigned long long)s->pages_written);
	fprintf(f, "seconds=%.2f\n", s->seconds);
	if (s->dmesg_error && s->dmesg_error[0])
		dumpdir_put(f, "dmesg_error", s->dmesg_error);
	if (s->warning && s->warning[0])
		dumpdir_put(f, "warning", s->warning);
	if (fclose(f) != 0) {
		free(text);
		return &kd_enomem;
	}
	struct kd_error *err = NULL;
	// Over the reserved blocks, then cut to its length.
	if (pwrite(d->summary_fd, text, len, 0) != (ssize_t)len ||
	    ftruncate(d->summary_fd, (off_t)len) < 0 || fsync(d->summary_fd) < 0)
		err = kd_error_os(errno ? errno : EIO, "%s/%s: cannot write", d->path,
				  KD_DUMPDIR_SUMMARY);
	free(text);
	close(d->summary_fd);
	d->summary_fd = -1;
	return err;
}

KD_EXPORT struct kd_error *kd_dumpdir_close(struct kd_dumpdir *d)
{
	if (!d)
		return NULL;
	if (d->summary_fd >= 0)
		close(d->summary_fd);
	// The folder's entries (vmcore renamed into place, dmesg.txt,
	// summary) are durable only once the folder is synced.
	struct kd_error *err = kd_fs_fsync_path(d->path);
	free(d);
	return err;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// The dump folders the capture init (capture/init.c) leaves on the target,
// written and read here so that the format lives in one file:
//
//   <path>/<host>-<YYYY-MM-DD-HH:MM:SS>/     (UTC, time of the capture;
//                                              "-XXXXXX" appended, 6 random
//                                              letters and digits, when that
//                                              name is taken)
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
//   fallback=elf-copy      only when the kernel could not be interpreted and
//                          the vmcore is a plain copy of the dump
//   target=NAME            the link of the target chain written to (its URL,
//                          UUID=..., raw /dev/...), when known
//   target_failed=NAME: WHY   one line per link tried before it, in order
//   link_drops=N           ssh targets, only when the link dropped: times
//   link_resumed=N         and of those, resumed from the last offset the
//                          server acknowledged (the dump is complete when
//                          status says so; else the last drop ended it)
//   compress_auto=TEXT     only with compress auto: what it chose and why
//                          (kd_save_auto_describe: the link's measured
//                          speed, each codec's speed and ratio on a sample
//                          of the dump's pages, the estimates, the pages
//                          each codec compressed); codec= is then the codec
//                          of most pages
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
#include <limits.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SUMMARY_MAX 16384	/* a summary is a few hundred bytes */
#define SUMMARY_RESERVE 4096	/* bytes reserved for it before the dump */
#define DUMPDIR_MAX 100000	/* more folders than anyone keeps */
#define DATE_LEN 19		/* "YYYY-MM-DD-HH:MM:SS" */
#define SUFFIX_LEN 6		/* "-XXXXXX" after a taken name */
#define CREATE_TRIES 100	/* random suffixes tried (62^6 names each) */

// "<host>-YYYY-MM-DD-HH:MM:SS", optionally followed by "-XXXXXX" (letters
// and digits: kd_dumpdir_create's name when the plain one was taken): split
// into host and "YYYY-MM-DD HH:MM:SS". The date ends in a digit, so a name
// with the suffix never parses as one without.
static bool dumpdir_parse_name(const char *name, struct kd_dumpdir_entry *e)
{
	size_t n = strlen(name);
	if (n > SUFFIX_LEN + 1 && name[n - SUFFIX_LEN - 1] == '-') {
		size_t i = n - SUFFIX_LEN;
		while (i < n && isalnum((unsigned char)name[i]))
			i++;
		if (i == n)
			n -= SUFFIX_LEN + 1;
	}
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

// Read at most SUMMARY_MAX bytes of dirfd/NAME (the summary, the head of
// report.txt); false when absent.
static bool dumpdir_read_file(int dirfd, const char *name, char *buf, size_t *len_ret)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
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

static int dumpdir_cmp_entries(const void *a, const void *b);

KD_EXPORT bool kd_dumpdir_parse_name(const char *base, const char *name,
				    struct kd_dumpdir_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (name[0] == '.' || !dumpdir_parse_name(name, e))
		return false;
	return (size_t)snprintf(e->dir, sizeof(e->dir), "%s/%s", base, name) < sizeof(e->dir);
}

KD_EXPORT void kd_dumpdir_parse_summary(const char *buf, size_t len, struct kd_dumpdir_entry *e)
{
	if (buf) {
		dumpdir_parse_summary(buf, len < SUMMARY_MAX ? len : SUMMARY_MAX, e);
		return;
	}
	strcpy(e->status, e->has_vmcore ? "incomplete" : "unknown");
	strcpy(e->error, "no summary (capture interrupted)");
}

KD_EXPORT void kd_dumpdir_sort(struct kd_dumpdir_entry *list, size_t n)
{
	if (n)
		qsort(list, n, sizeof(*list), dumpdir_cmp_entries);
}

static bool dumpdir_file_size(int dirfd, const char *name, uint64_t *size)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return false;
	*size = (uint64_t)st.st_size;
	return true;
}

// The crash signature: report.txt's "signature: " line (lib/kernel/
// report-text.c writes it among the first lines).
static void dumpdir_parse_report(const char *buf, size_t len, struct kd_dumpdir_entry *e)
{
	static const char key[] = "signature: ";
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
		if (n >= sizeof(key) - 1 && !memcmp(buf + i, key, sizeof(key) - 1)) {
			dumpdir_copy_value(e->signature, sizeof(e->signature),
					   buf + i + sizeof(key) - 1, n - (sizeof(key) - 1));
			return;
		}
		if (!n)		// the head ends at the first empty line
			return;
		i += n + 1;
	}
}

static void dumpdir_read_entry(int dirfd, struct kd_dumpdir_entry *e, char *buf)
{
	e->has_vmcore = dumpdir_file_size(dirfd, "vmcore", &e->vmcore_size) ||
			dumpdir_file_size(dirfd, "vmcore.incomplete", &e->vmcore_size);
	uint64_t dsize;
	e->has_dmesg = dumpdir_file_size(dirfd, "dmesg.txt", &dsize);
	size_t len;
	if (dumpdir_read_file(dirfd, KD_DUMPDIR_REPORT, buf, &len)) {
		e->has_report = true;
		dumpdir_parse_report(buf, len, e);
	}
	if (dumpdir_read_file(dirfd, KD_DUMPDIR_SUMMARY, buf, &len)) {
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
	int fd;				// the folder, opened as it was made
	int summary_fd;			// reserved, not yet written; -1 otherwise
	char warning[512];		// about the base (kd_dumpdir_warning)
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

// ------------------------------------------------------- the base folder
//
// The base (the configured path) may be on a filesystem other users write
// to, and the capture runs as root: a symlink planted in the path would
// redirect the dump (the machine's memory) to a folder of the attacker's
// choosing, a folder they own would let them read it, and predictable
// folder names they pre-create would block it. So the base is walked one
// component at a time with openat(O_NOFOLLOW), each component must be a
// folder owned by root (or by the user running kexdump) that nobody else
// may write to, unless it has the sticky bit (like /tmp: others cannot
// rename or remove what is not theirs), and the dump folder is made and
// used through the descriptor of the base so walked. The base itself
// writable by others (sticky) is allowed with a warning: they cannot touch
// the dump folder (0700) but can fill the filesystem.

// Check the folder @p fd, @p path for messages; @p last: it is the base.
static struct kd_error *dumpdir_check_dir(int fd, const char *path, bool last,
					  char *warning, size_t wlen)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kd_error_os(errno, "%s: cannot stat", path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return kd_error_create(KD_ERROR_INVALID,
				       "%s: owned by uid %u, not root: refusing to write dumps under it "
				       "(its owner could read or redirect them; chown root %s)",
				       path, (unsigned)st.st_uid, path);
	// Group-writable counts as others-writable unless the group is root's.
	bool others = (st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0);
	if (others && !(st.st_mode & S_ISVTX))
		return kd_error_create(KD_ERROR_INVALID,
				       "%s: writable by other users (mode %04o) without the sticky bit: "
				       "refusing to write dumps under it (they could replace the dump "
				       "folder; chmod go-w %s)",
				       path, (unsigned)(st.st_mode & 07777), path);
	if (others && last && warning)
		snprintf(warning, wlen, "%s is writable by other users (mode %04o, sticky): they "
			 "cannot read or replace the dumps but can fill the filesystem and see "
			 "when one is written", path, (unsigned)(st.st_mode & 07777));
	return NULL;
}

// Open @p base as above, making missing components 0700 when @p create.
// Without @p create a missing component ends the walk: *fd_ret is -1 (what
// exists is checked; the capture makes the rest, 0700).
static struct kd_error *dumpdir_open_base(const char *base, bool create, int *fd_ret,
					  char *warning, size_t wlen)
{
	char path[PATH_MAX];
	if (!*base)
		return kd_error_create(KD_ERROR_INVALID, "an empty dump folder path");
	if (strlen(base) >= sizeof(path))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", base);
	if (warning)
		warning[0] = '\0';
	snprintf(path, sizeof(path), "%s", *base == '/' ? "/" : ".");
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot open", path);
	size_t plen = *base == '/' ? 1 : 0;
	const char *p = base;
	while (*p == '/')
		p++;
	struct kd_error *err = dumpdir_check_dir(fd, path, !*p, warning, wlen);
	while (!err && *p) {
		size_t n = strcspn(p, "/");
		const char *next = p + n;
		while (*next == '/')
			next++;
		char name[NAME_MAX + 1];
		if (n > NAME_MAX) {
			err = kd_error_create(KD_ERROR_INVALID, "%s: a path component too long", base);
			break;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p = next;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			err = kd_error_create(KD_ERROR_INVALID, "%s: '..' in the dump folder's path: "
					      "name the folder without it", base);
			break;
		}
		plen += (size_t)snprintf(path + plen, sizeof(path) - plen, "%s%s",
					 plen && path[plen - 1] != '/' ? "/" : "", name);
		int nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, name, 0700) < 0 && errno != EEXIST) {
				err = kd_error_os(errno, "%s: cannot create the folder", path);
				break;
			}
			nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			int e = errno;
			struct stat lst;
			if (e == ENOENT && !create) {
				close(fd);
				*fd_ret = -1;
				return NULL;
			}
			if (!fstatat(fd, name, &lst, AT_SYMLINK_NOFOLLOW) && S_ISLNK(lst.st_mode))
				err = kd_error_create(KD_ERROR_INVALID,
						      "%s: a symbolic link: refusing to follow it to the "
						      "dump folder (another user's link could redirect "
						      "the dump; name the real path)", path);
			else if (e == ENOTDIR)
				err = kd_error_create(KD_ERROR_INVALID, "%s: not a folder", path);
			else
				err = kd_error_os(e, "%s: cannot open", path);
			break;
		}
		close(fd);
		fd = nfd;
		err = dumpdir_check_dir(fd, path, !*p, warning, wlen);
	}
	if (err) {
		close(fd);
		// A folder above the base: name the base first.
		return *p ? kd_error_prefix(err, "%s", base) : err;
	}
	*fd_ret = fd;
	return NULL;
}

KD_EXPORT struct kd_error *kd_dumpdir_check_base(const char *base, char *warning, size_t len)
{
	int fd;
	struct kd_error *err = dumpdir_open_base(base, false, &fd, warning, len);
	if (!err && fd >= 0)
		close(fd);
	return err;
}

// SUFFIX_LEN random letters and digits: getrandom(2), which the capture
// kernel has early (GRND_NONBLOCK: never wait for entropy; then the clock).
static void dumpdir_random_suffix(char out[SUFFIX_LEN + 1])
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[SUFFIX_LEN];
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)getpid();
		for (size_t i = 0; i < sizeof(r); i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			r[i] = (unsigned char)(x >> 56);
		}
	}
	for (size_t i = 0; i < SUFFIX_LEN; i++)
		out[i] = chars[r[i] % (sizeof(chars) - 1)];
	out[SUFFIX_LEN] = '\0';
}

KD_EXPORT struct kd_error *kd_dumpdir_create(const char *base, const char *host,
					     struct kd_dumpdir **ret)
{
	if (!kd_dumpdir_valid_host(host))
		return kd_error_create(KD_ERROR_INVALID,
				       "'%s' is not a host name for a dump folder", host);
	struct kd_dumpdir *d = calloc(1, sizeof(*d));
	if (!d)
		return &kd_enomem;
	d->summary_fd = -1;
	int bfd;
	// Dumps hold the machine's memory: keys, passwords (0700).
	struct kd_error *err = dumpdir_open_base(base, true, &bfd, d->warning,
						 sizeof(d->warning));
	if (err) {
		free(d);
		return err;
	}
	snprintf(d->host, sizeof(d->host), "%s", host);
	time_t now = time(NULL);
	struct tm tm;
	char stamp[DATE_LEN + 1];
	gmtime_r(&now, &tm);
	dumpdir_stamp(&tm, '-', stamp);
	dumpdir_stamp(&tm, ' ', d->date);
	// The plain name, else the same with a random suffix: names others
	// create before us (the base may be shared) cannot block the dump.
	char name[128];
	for (int tries = 0; tries <= CREATE_TRIES; tries++) {
		char suffix[SUFFIX_LEN + 1] = "";
		if (tries)
			dumpdir_random_suffix(suffix);
		snprintf(name, sizeof(name), "%s-%s%s%s", host, stamp, tries ? "-" : "", suffix);
		if ((size_t)snprintf(d->path, sizeof(d->path), "%s/%s", base, name) >=
		    sizeof(d->path)) {
			err = kd_error_create(KD_ERROR_INVALID, "%s: dump folder name too long", base);
			break;
		}
		if (mkdirat(bfd, name, 0700) == 0) {
			d->fd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (d->fd < 0)
				err = kd_error_os(errno, "%s: cannot open", d->path);
			break;
		}
		if (errno != EEXIST) {
			err = kd_error_os(errno, "%s: cannot create", d->path);
			break;
		}
		if (tries == CREATE_TRIES)
			err = kd_error_create(KD_ERROR_INVALID,
					      "cannot create a new dump folder under %s: names taken",
					      base);
	}
	close(bfd);
	if (err) {
		free(d);
		return err;
	}
	*ret = d;
	return NULL;
}

KD_EXPORT const char *kd_dumpdir_warning(const struct kd_dumpdir *d)
{
	return d->warning;
}

KD_EXPORT const char *kd_dumpdir_path(const struct kd_dumpdir *d)
{
	return d->path;
}

KD_EXPORT struct kd_error *kd_dumpdir_create_file(struct kd_dumpdir *d, const char *name,
						  int *fd_ret)
{
	int fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kd_error_os(errno, "%s/%s: cannot create", d->path, name);
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

KD_EXPORT struct kd_error *kd_dumpdir_name(const char *host, int64_t when, bool suffix,
					   char *name, size_t namelen, char date[20])
{
	if (!kd_dumpdir_valid_host(host))
		return kd_error_create(KD_ERROR_INVALID,
				       "'%s' is not a host name for a dump folder", host);
	time_t t = (time_t)when;
	struct tm tm;
	char stamp[DATE_LEN + 1], sfx[SUFFIX_LEN + 1] = "";
	gmtime_r(&t, &tm);
	dumpdir_stamp(&tm, '-', stamp);
	dumpdir_stamp(&tm, ' ', date);
	if (suffix)
		dumpdir_random_suffix(sfx);
	if ((size_t)snprintf(name, namelen, "%s-%s%s%s", host, stamp, suffix ? "-" : "", sfx) >=
	    namelen)
		return kd_error_create(KD_ERROR_INVALID, "dump folder name too long");
	return NULL;
}

KD_EXPORT struct kd_error *kd_dumpdir_summary_text(const char *host, const char *date,
						   const char *base_warning,
						   const struct kd_dumpdir_summary *s,
						   char **text_ret, size_t *len_ret)
{
	static const char *const status[] = { "complete", "incomplete", "failed" };
	char *text = NULL;
	size_t len = 0;
	const char *bw = base_warning ? base_warning : "";
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return &kd_enomem;
	dumpdir_put(f, "status", status[s->status <= KD_DUMPDIR_FAILED ? s->status :
					 KD_DUMPDIR_FAILED]);
	dumpdir_put(f, "error", s->status == KD_DUMPDIR_COMPLETE ? "" : s->error);
	dumpdir_put(f, "release", s->release);
	dumpdir_put(f, "panic", s->panic);
	dumpdir_put(f, "host", host);
	dumpdir_put(f, "date", date);
	fprintf(f, "dump_level=%u\n", s->dump_level);
	dumpdir_put(f, "codec", s->codec);
	dumpdir_put(f, "format", s->format);
	fprintf(f, "bytes_written=%llu\n", (unsigned long long)s->bytes_written);
	fprintf(f, "pages_written=%llu\n", (unsigned long long)s->pages_written);
	fprintf(f, "seconds=%.2f\n", s->seconds);
	if (s->dmesg_error && s->dmesg_error[0])
		dumpdir_put(f, "dmesg_error", s->dmesg_error);
	if ((s->warning && s->warning[0]) || bw[0]) {
		// The save's warning and the base's (kd_dumpdir_warning), one line.
		char *w = NULL;
		bool both = s->warning && s->warning[0] && bw[0];
		if (asprintf(&w, "%s%s%s", s->warning ? s->warning : "", both ? "; " : "", bw) < 0)
			w = NULL;
		dumpdir_put(f, "warning", w ? w : bw);
		free(w);
	}
	if (s->fallback && s->fallback[0])
		dumpdir_put(f, "fallback", s->fallback);
	if (s->target && s->target[0])
		dumpdir_put(f, "target", s->target);
	for (size_t i = 0; i < s->nfailed; i++)
		dumpdir_put(f, "target_failed", s->failed[i]);
	if (s->link_drops) {
		fprintf(f, "link_drops=%u\n", s->link_drops);
		fprintf(f, "link_resumed=%u\n", s->link_resumed);
	}
	if (s->compress_auto && s->compress_auto[0])
		dumpdir_put(f, "compress_auto", s->compress_auto);
	if (fclose(f) != 0) {
		free(text);
		return &kd_enomem;
	}
	*text_ret = text;
	*len_ret = len;
	return NULL;
}

KD_EXPORT struct kd_error *kd_dumpdir_write_summary(struct kd_dumpdir *d,
						    const struct kd_dumpdir_summary *s)
{
	if (d->summary_fd < 0)
		return NULL;
	char *text;
	size_t len;
	struct kd_error *err = kd_dumpdir_summary_text(d->host, d->date, d->warning, s, &text, &len);
	if (err)
		return err;
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
	// summary) are durable only once the folder is synced. Some file
	// systems refuse fsync on a folder (EINVAL): nothing to make durable.
	struct kd_error *err = NULL;
	if (fsync(d->fd) < 0 && errno != EINVAL && errno != EROFS)
		err = kd_error_os(errno, "%s: fsync failed", d->path);
	close(d->fd);
	free(d);
	return err;
}

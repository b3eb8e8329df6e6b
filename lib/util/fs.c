// SPDX-License-Identifier: LGPL-2.1-or-later
// File-system chores that several areas need the same way: reading a whole
// small file (System.map, /proc/self/mountinfo, module indexes, the config,
// a kernel module) with one bound, one EINTR handling and one message
// shape; mkdir -p with
// the mode the caller asks for (dump folders hold the machine's memory:
// 0700), and making a rename or a new entry durable by an fsync of its
// folder (a rename is a change to the folder, not to the file: fsync(2),
// "Calling fsync() does not necessarily ensure that the entry in the
// directory containing the file has also reached disk").
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

struct kd_error *kd_fs_mkdir_p(const char *path, unsigned int mode)
{
	char buf[PATH_MAX];
	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", path);
	if (!buf[0])
		return kd_error_create(KD_ERROR_INVALID, "an empty folder name");
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
			return kd_error_os(errno, "%s: cannot create the folder", buf);
		*p = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return kd_error_os(errno, "%s: cannot stat", path);
	if (!S_ISDIR(st.st_mode))
		return kd_error_create(KD_ERROR_INVALID, "%s: not a folder", path);
	return NULL;
}

struct kd_error *kd_fs_fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot open", path);
	// Some file systems refuse fsync on a folder (EINVAL): nothing to
	// make durable there.
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS) {
		int e = errno;
		close(fd);
		return kd_error_os(e, "%s: fsync failed", path);
	}
	close(fd);
	return NULL;
}

struct kd_error *kd_fs_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return kd_fs_fsync_path(".");
	slash[slash == dir ? 1 : 0] = '\0';
	return kd_fs_fsync_path(dir);
}

struct kd_error *kd_fs_read_file(const char *path, size_t max, char **ret,
			      size_t *lenret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot open", path);
	// Read to EOF rather than trust st_size: /proc and /sys files say 0.
	size_t len = 0, cap = 0;
	char *buf = NULL;
	struct kd_error *err = NULL;
	for (;;) {
		if (len + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			if (ncap > max + 2)
				ncap = max + 2;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				err = &kd_enomem;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = kd_error_os(errno, "%s: cannot read", path);
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			err = kd_error_create(KD_ERROR_INVALID,
				"%s: larger than %zu bytes", path, max);
			break;
		}
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*ret = buf;
	if (lenret)
		*lenret = len;
	return NULL;
}

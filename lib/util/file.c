// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading a whole small file: System.map, /proc/self/mountinfo, module
// indexes, the config, a kernel module. One function so that every caller
// gets the same bound, the same EINTR handling and the same messages.
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

struct kd_error *kd_read_file(const char *path, size_t max, char **ret,
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

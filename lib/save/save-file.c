// SPDX-License-Identifier: LGPL-2.1-or-later
// Writing a dump file without ever losing one: a new file "PATH.incomplete"
// (0600, O_EXCL), fsync, rename to PATH without replacing anything
// (renameat2(2) RENAME_NOREPLACE), fsync of the directory. Until the
// rename the final name does not exist, so a crash or reset of the capture
// kernel leaves either no PATH or a complete one; a full disk leaves a
// dump whose header says it is incomplete.
#include "save/save.h"
#include "dump/kdump-layout.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define INCOMPLETE_SUFFIX ".incomplete"

static struct kd_error *save_file_create_tmp(const char *path, bool force, char **tmp_ret,
					     int *fd_ret)
{
	struct stat st;
	if (!force && lstat(path, &st) == 0)
		return kd_error_create(KD_ERROR_INVALID,
			"%s: already exists (use --force to replace it)", path);
	size_t n = strlen(path) + sizeof(INCOMPLETE_SUFFIX);
	char *tmp = malloc(n);
	if (!tmp)
		return &kd_enomem;
	snprintf(tmp, n, "%s%s", path, INCOMPLETE_SUFFIX);
	// Read-write: kd_save_fd() reads its own bitmaps back.
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && force) {
		unlink(tmp);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		struct kd_error *err = errno == EEXIST ?
			kd_error_create(KD_ERROR_INVALID,
				"%s: exists, left by an interrupted save (use --force to replace it)",
				tmp) :
			kd_error_os(errno, "%s: cannot create %s", path, tmp);
		free(tmp);
		return err;
	}
	*tmp_ret = tmp;
	*fd_ret = fd;
	return NULL;
}

// rename(2) that never replaces @p path: renameat2() RENAME_NOREPLACE, or
// where the file system refuses it (EINVAL; ENOSYS before Linux 3.15)
// link(2) then unlink(2), which fail with EEXIST the same way. With
// --force an existing path is replaced (plain rename).
static int save_file_rename(const char *tmp, const char *path, bool replace)
{
	if (replace)
		return rename(tmp, path);
	if (!renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(tmp, path))
		return -1;
	unlink(tmp);
	return 0;
}

// fsync, close and rename tmp to path. @p err is the writer's outcome: on
// success a failing fsync is the error; a partial dump is still renamed.
// A path created while saving is never replaced (unless @p replace): the
// dump stays as tmp and the error says so.
static struct kd_error *save_file_finish(int fd, char *tmp, const char *path,
					 struct kd_error *err, bool keep_partial,
					 bool replace)
{
	if (fsync(fd) && !err)
		err = kd_error_os(errno, "%s: fsync failed", tmp);
	if (close(fd) && !err)
		err = kd_error_os(errno, "%s: close failed", tmp);
	if (!err || keep_partial) {
		if (save_file_rename(tmp, path, replace)) {
			int e = errno;
			struct kd_error *rerr = e == EEXIST ?
				kd_error_create(KD_ERROR_INVALID,
					"%s: exists (created while saving); the dump is kept as %s",
					path, tmp) :
				kd_error_os(e, "cannot rename %s to %s", tmp, path);
			if (err && e == EEXIST) {
				kd_error_destroy(rerr);
				err = kd_error_prefix(err,
					"%s: exists (created while saving); the incomplete dump is kept as %s",
					path, tmp);
			} else if (err) {
				kd_error_destroy(rerr);
			} else {
				err = rerr;
			}
		} else {
			// The rename is durable only once the folder is synced.
			struct kd_error *serr = kd_fs_fsync_parent(path);
			if (!err)
				err = serr;
			else
				kd_error_destroy(serr);
		}
	}
	free(tmp);
	return err;
}

KD_EXPORT struct kd_error *kd_save_file(struct kd_kernel *kernel,
					const char *path, bool force,
					const struct kd_save_options *opts,
					struct kd_save_stats *stats)
{
	char *tmp;
	int fd;
	memset(stats, 0, sizeof(*stats));
	struct kd_error *err = save_file_create_tmp(path, force, &tmp, &fd);
	if (err)
		return err;
	err = kd_save_fd_named(kernel, fd, path, true, opts, stats);
	if (err && !stats->incomplete) {
		// Not a write failure (a source that cannot be read, no memory):
		// nothing worth keeping under the final name; the partial file
		// stays as PATH.incomplete for inspection.
		close(fd);
		free(tmp);
		return err;
	}
	return save_file_finish(fd, tmp, path, err, true, force);
}

// Read len bytes; *eof when the stream ends first (an error if it ends
// inside the span, unless @p short_ok).
static struct kd_error *save_file_read_full(int fd, const char *name, void *buf,
					    size_t len, bool *eof, bool short_ok)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_error_os(errno, "%s: read failed", name);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*eof = got < len;
	if (*eof && got && !short_ok)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: flattened stream ends inside a record", name);
	return NULL;
}

// The records of the stream (format-flat.c) written to their offsets.
static struct kd_error *save_file_reassemble(int in, const char *name, int out,
					     const char *out_name, bool *complete)
{
	enum { CHUNK = 1 << 20 };
	_Static_assert(CHUNK >= MDF_HEADER_SIZE, "the header fits the buffer");
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return &kd_enomem;
	bool eof;
	struct kd_error *err = save_file_read_full(in, name, buf, MDF_HEADER_SIZE, &eof, true);
	if (!err && (eof || memcmp(buf, MDF_SIGNATURE, sizeof(MDF_SIGNATURE)) ||
		     kd_be64(buf + MDF_TYPE_OFF) != TYPE_FLAT_HEADER))
		err = kd_error_create(KD_ERROR_FORMAT,
			"%s: not a flattened dump (makedumpfile -F or kexdump save to -)",
			name);
	struct kd_sink sink;
	kd_sink_init(&sink, out, false, out_name);
	*complete = false;
	while (!err) {
		uint8_t rec[MDF_RECORD_SIZE];
		if ((err = save_file_read_full(in, name, rec, sizeof(rec), &eof, false)) || eof)
			break;
		int64_t off = (int64_t)kd_be64(rec), size = (int64_t)kd_be64(rec + 8);
		if (off == -1 && size == -1) {
			*complete = true;
			break;
		}
		if (off < 0 || size < 0)
			err = kd_error_create(KD_ERROR_CORRUPT,
				"%s: record with negative offset or size", name);
		for (uint64_t left = (uint64_t)size; !err && left;) {
			size_t n = left < CHUNK ? (size_t)left : CHUNK;
			if ((err = save_file_read_full(in, name, buf, n, &eof, true)))
				break;
			// A record cut short is left out: a part of a
			// descriptor would point at the wrong bytes.
			if (eof) {
				err = kd_error_create(KD_ERROR_CORRUPT,
					"%s: flattened stream ends inside a record", name);
				break;
			}
			err = kd_sink_write(&sink, buf, n, (uint64_t)off);
			off += (int64_t)n;
			left -= n;
		}
	}
	free(buf);
	return err;
}

// A stream cut short: the kdump header it carried may be the final one
// (written before the end record), so set DUMP_DH_COMPRESSED_INCOMPLETE
// (makedumpfile's diskdump_mod.h) in DEST's header; readers then take the
// missing descriptors and data as pages not written.
static struct kd_error *save_file_mark_incomplete(int fd, const char *path)
{
	uint8_t dh[DH_SIZE];
	ssize_t n = pread(fd, dh, sizeof(dh), 0);
	if (n != (ssize_t)sizeof(dh) || memcmp(dh + DH_SIGNATURE, KDUMP_SIGNATURE, 8))
		return NULL;	// no header arrived: nothing to mark
	uint8_t st[4];
	kd_put_le32(st, kd_le32(dh + DH_STATUS) | DUMP_DH_COMPRESSED_INCOMPLETE);
	if (pwrite(fd, st, 4, DH_STATUS) != 4)
		return kd_error_os(errno, "%s: cannot mark the dump incomplete", path);
	return NULL;
}

KD_EXPORT struct kd_error *kd_save_file_reassemble(int in_fd, const char *in_name,
					      const char *path, bool force,
					      struct kd_save_stats *stats)
{
	char *tmp;
	int fd;
	memset(stats, 0, sizeof(*stats));
	struct kd_error *err = save_file_create_tmp(path, force, &tmp, &fd);
	if (err)
		return err;
	bool complete = false;
	err = save_file_reassemble(in_fd, in_name, fd, path, &complete);
	if (err && kd_error_code(err) == KD_ERROR_FORMAT) {
		// Not a flattened stream: nothing was written, nothing to keep.
		close(fd);
		unlink(tmp);
		free(tmp);
		return err;
	}
	if (!err && !complete)
		err = kd_error_create(KD_ERROR_CORRUPT,
			"%s: flattened stream ended without its end record: the dump is incomplete",
			in_name);
	if (!complete) {
		stats->incomplete = true;
		struct kd_error *merr = save_file_mark_incomplete(fd, tmp);
		if (merr) {
			kd_error_destroy(err);
			err = merr;
		}
	}
	struct stat sb;
	if (!fstat(fd, &sb))
		stats->bytes_out = (uint64_t)sb.st_size;
	return save_file_finish(fd, tmp, path, err, true, force);
}

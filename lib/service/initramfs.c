// SPDX-License-Identifier: LGPL-2.1-or-later
// The capture initramfs: a newc cpio (cpio.c) with the static kexdump as
// /init, the resolved config and the modules of the target, uncompressed
// (the capture init loads them with finit_module(2) and must not depend
// on the capture kernel's CONFIG_MODULE_DECOMPRESS). Layout in
// include/kexdump/initramfs.h.
#include "service/service.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lzma.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

// gzip level of the archive. Measured on the 6.12 capture initramfs
// (static kexdump + virtio_blk + ext4 and its dependencies, 5.7 MiB of
// cpio): level 1 2.16 MB in 0.08 s, 6 1.97 MB in 0.39 s, 9 1.96 MB in
// 2.4 s. 9 saves 0.6% for six times the time.
#define GZIP_LEVEL 6
// Largest module file accepted (the biggest Debian modules are ~10 MiB).
#define MAX_MODULE_SIZE (256u << 20)

// Make room for @p want more bytes in a growing output buffer.
static bool initramfs_reserve(uint8_t **buf, size_t *cap, size_t len, size_t want)
{
	if (len + want <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 1u << 20;
	while (ncap < len + want)
		ncap *= 2;
	if (ncap > MAX_MODULE_SIZE * 4)
		return false;
	uint8_t *p = realloc(*buf, ncap);
	if (!p)
		return false;
	*buf = p;
	*cap = ncap;
	return true;
}

// .ko.xz: xz streams (kernel's scripts/Makefile.modinst: xz --check=crc32).
static struct kd_error *initramfs_unxz(const char *path, const uint8_t *in, size_t inlen,
			     uint8_t **ret, size_t *lenret)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return &kd_enomem;
	uint8_t *out = NULL;
	size_t cap = 0, len = 0;
	strm.next_in = in;
	strm.avail_in = inlen;
	lzma_ret r;
	do {
		if (!initramfs_reserve(&out, &cap, len, 1u << 20)) {
			r = LZMA_MEM_ERROR;
			break;
		}
		strm.next_out = out + len;
		strm.avail_out = cap - len;
		r = lzma_code(&strm, LZMA_FINISH);
		len = cap - strm.avail_out;
	} while (r == LZMA_OK);
	lzma_end(&strm);
	if (r != LZMA_STREAM_END) {
		free(out);
		return r == LZMA_MEM_ERROR ? &kd_enomem
			: kd_error_create(KD_ERROR_CORRUPT, "%s: bad xz data (liblzma error %d)",
					  path, (int)r);
	}
	*ret = out;
	*lenret = len;
	return NULL;
}

// .ko.zst: zstd frames.
static struct kd_error *initramfs_unzstd(const char *path, const uint8_t *in, size_t inlen,
			       uint8_t **ret, size_t *lenret)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	if (!ds)
		return &kd_enomem;
	ZSTD_inBuffer ib = { in, inlen, 0 };
	uint8_t *out = NULL;
	size_t cap = 0, len = 0, r = 1;
	struct kd_error *err = NULL;
	while (ib.pos < ib.size || r != 0) {
		if (!initramfs_reserve(&out, &cap, len, 1u << 20)) {
			err = &kd_enomem;
			break;
		}
		ZSTD_outBuffer ob = { out + len, cap - len, 0 };
		size_t before = ib.pos;
		r = ZSTD_decompressStream(ds, &ob, &ib);
		len += ob.pos;
		if (ZSTD_isError(r)) {
			err = kd_error_create(KD_ERROR_CORRUPT, "%s: bad zstd data: %s",
					      path, ZSTD_getErrorName(r));
			break;
		}
		if (ib.pos == ib.size && r != 0 && ob.pos == 0 && before == ib.pos) {
			err = kd_error_create(KD_ERROR_CORRUPT, "%s: truncated zstd data", path);
			break;
		}
	}
	ZSTD_freeDStream(ds);
	if (err) {
		free(out);
		return err;
	}
	*ret = out;
	*lenret = len;
	return NULL;
}

// .ko.gz: gzip (CONFIG_MODULE_COMPRESS_GZIP).
static struct kd_error *initramfs_ungzip(const char *path, const uint8_t *in, size_t inlen,
			       uint8_t **ret, size_t *lenret)
{
	z_stream zs = { 0 };
	if (inlen > UINT32_MAX || inflateInit2(&zs, 15 + 32) != Z_OK)
		return &kd_enomem;
	uint8_t *out = NULL;
	size_t cap = 0, len = 0;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)inlen;
	int r;
	do {
		if (!initramfs_reserve(&out, &cap, len, 1u << 20)) {
			r = Z_MEM_ERROR;
			break;
		}
		zs.next_out = out + len;
		zs.avail_out = (uInt)(cap - len);
		r = inflate(&zs, Z_NO_FLUSH);
		len = cap - zs.avail_out;
	} while (r == Z_OK);
	inflateEnd(&zs);
	if (r != Z_STREAM_END) {
		free(out);
		return r == Z_MEM_ERROR ? &kd_enomem
			: kd_error_create(KD_ERROR_CORRUPT, "%s: bad gzip data", path);
	}
	*ret = out;
	*lenret = len;
	return NULL;
}

static bool initramfs_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

// A module's ELF bytes, decompressed by its file name's suffix.
static struct kd_error *initramfs_load_module(const char *path, uint8_t **ret, size_t *lenret)
{
	char *text = NULL;
	uint8_t *out = NULL;
	size_t rawlen = 0, len = 0;
	struct kd_error *err = kd_fs_read_file(path, MAX_MODULE_SIZE, &text, &rawlen);
	if (err)
		return err;
	uint8_t *raw = (uint8_t *)text;
	if (initramfs_ends_with(path, ".ko.xz"))
		err = initramfs_unxz(path, raw, rawlen, &out, &len);
	else if (initramfs_ends_with(path, ".ko.zst"))
		err = initramfs_unzstd(path, raw, rawlen, &out, &len);
	else if (initramfs_ends_with(path, ".ko.gz"))
		err = initramfs_ungzip(path, raw, rawlen, &out, &len);
	else {
		out = raw;
		len = rawlen;
		raw = NULL;
	}
	free(raw);
	if (err)
		return err;
	if (len < SELFMAG || memcmp(out, ELFMAG, SELFMAG)) {
		free(out);
		return kd_error_create(KD_ERROR_FORMAT, "%s: not an ELF module", path);
	}
	*ret = out;
	*lenret = len;
	return NULL;
}

// /init must run without a dynamic loader or libraries in the archive:
// a 64-bit ELF executable (ET_EXEC, or ET_DYN for static-pie) with no
// PT_INTERP program header.
static struct kd_error *initramfs_check_static(const char *path, int fd)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    (kd_le16(&eh.e_type) != ET_EXEC && kd_le16(&eh.e_type) != ET_DYN))
		return kd_error_create(KD_ERROR_FORMAT,
				       "%s: not a 64-bit little-endian ELF executable", path);
	uint16_t phnum = kd_le16(&eh.e_phnum), phentsize = kd_le16(&eh.e_phentsize);
	uint64_t phoff = kd_le64(&eh.e_phoff);
	if (phentsize < sizeof(Elf64_Phdr) || phnum == 0)
		return kd_error_create(KD_ERROR_FORMAT, "%s: no program headers", path);
	for (uint16_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) !=
		    (ssize_t)sizeof(ph))
			return kd_error_create(KD_ERROR_CORRUPT,
					       "%s: program header %u past the end", path, i);
		if (kd_le32(&ph.p_type) == PT_INTERP)
			return kd_error_create(KD_ERROR_INVALID,
					       "%s is dynamically linked; the capture initramfs needs the static kexdump (meson setup -Dstatic=true), pass --init PATH",
					       path);
	}
	return NULL;
}

// The config as text: kd_config_write() writes to an fd, so give it a
// memfd and read the bytes back.
struct kd_error *kd_initramfs_config_text(const struct kd_config *cfg, char **ret,
					  size_t *lenret)
{
	int fd = memfd_create("kexdump.conf", MFD_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "memfd_create");
	struct kd_error *err = kd_config_write(cfg, fd);
	off_t size = err ? 0 : lseek(fd, 0, SEEK_CUR);
	if (!err && size < 0)
		err = kd_error_os(errno, "config: lseek");
	char *buf = NULL;
	if (!err && !(buf = malloc((size_t)size + 1)))
		err = &kd_enomem;
	if (!err && pread(fd, buf, (size_t)size, 0) != size)
		err = kd_error_os(errno ? errno : EIO, "config: read back");
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[size] = '\0';
	*ret = buf;
	*lenret = (size_t)size;
	return NULL;
}

static struct kd_error *initramfs_add_init(struct kd_cpio *cpio, const char *path,
				 uint64_t *size_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "init %s", path);
	struct stat st;
	struct kd_error *err = NULL;
	if (fstat(fd, &st) < 0)
		err = kd_error_os(errno, "%s", path);
	else if (!S_ISREG(st.st_mode))
		err = kd_error_create(KD_ERROR_INVALID, "%s: not a regular file", path);
	if (!err)
		err = initramfs_check_static(path, fd);
	if (!err)
		err = kd_cpio_begin_file(cpio, "init", 0755, (uint64_t)st.st_size);
	uint64_t left = err ? 0 : (uint64_t)st.st_size;
	uint8_t buf[65536];
	off_t off = 0;
	while (!err && left) {
		ssize_t n = pread(fd, buf, left < sizeof(buf) ? left : sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = kd_error_os(n < 0 ? errno : EIO, "%s: read", path);
			break;
		}
		err = kd_cpio_data(cpio, buf, (size_t)n);
		left -= (uint64_t)n;
		off += n;
	}
	close(fd);
	if (!err)
		*size_ret = (uint64_t)st.st_size;
	return err;
}

static struct kd_error *initramfs_add_modules(struct kd_cpio *cpio, const struct kd_modset *set,
				    struct kd_initramfs_report *report)
{
	size_t n = set ? kd_modset_count(set) : 0;
	char *list = NULL;
	size_t listlen = 0;
	FILE *f = open_memstream(&list, &listlen);
	if (!f)
		return &kd_enomem;
	struct kd_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		const char *name, *path;
		kd_modset_get(set, i, &name, &path);
		fprintf(f, "%s\n", name);
		uint8_t *data = NULL;
		size_t len = 0;
		err = initramfs_load_module(path, &data, &len);
		if (err)
			break;
		char entry[PATH_MAX];
		snprintf(entry, sizeof(entry), "lib/modules/%s.ko", name);
		err = kd_cpio_file(cpio, entry, 0644, data, len);
		free(data);
		report->modules_size += len;
		report->nmodules++;
	}
	if (fclose(f) && !err)
		err = &kd_enomem;
	if (!err)
		err = kd_cpio_file(cpio, "etc/kexdump.modules", 0644, list, listlen);
	free(list);
	return err;
}

// The files of the ssh targets: small (a key, a few host keys), read
// whole, a bad name refused (it must stay inside etc/kexdump).
#define MAX_EXTRA_FILE (1u << 20)
static struct kd_error *initramfs_add_files(struct kd_cpio *cpio,
					    const struct kd_initramfs_options *opts)
{
	if (!opts->nfiles)
		return NULL;
	if (opts->nfiles > KD_INITRAMFS_MAX_FILES)
		return kd_error_create(KD_ERROR_INVALID, "initramfs: %zu files (at most %d)",
				       opts->nfiles, KD_INITRAMFS_MAX_FILES);
	struct kd_error *err = kd_cpio_dir(cpio, "etc/kexdump", 0700);
	for (size_t i = 0; !err && i < opts->nfiles; i++) {
		const struct kd_initramfs_file *f = &opts->files[i];
		if (!f->name[0] || strchr(f->name, '/') || f->name[0] == '.')
			return kd_error_create(KD_ERROR_INVALID, "initramfs: bad file name '%s'",
					       f->name);
		char *data = NULL;
		size_t len = 0;
		err = kd_fs_read_file(f->source, MAX_EXTRA_FILE, &data, &len);
		if (err)
			return err;
		char entry[PATH_MAX];
		snprintf(entry, sizeof(entry), "etc/kexdump/%s", f->name);
		err = kd_cpio_file(cpio, entry, f->mode & 0777, data, len);
		free(data);
	}
	return err;
}

static struct kd_error *initramfs_write_archive(int fd, const struct kd_initramfs_options *opts,
				      struct kd_initramfs_report *report)
{
	static const struct {
		const char *name;
		uint32_t mode;
	} dirs[] = {
		{ "dev", 0755 }, { "proc", 0555 }, { "sys", 0555 }, { "mnt", 0755 },
		{ "tmp", 01777 }, { "etc", 0755 }, { "lib", 0755 },
		{ "lib/modules", 0755 },
	};
	char *conf = NULL;
	size_t conflen = 0;
	struct kd_error *err = kd_initramfs_config_text(opts->config, &conf, &conflen);
	if (err)
		return err;
	struct kd_cpio *cpio;
	err = kd_cpio_create(fd, opts->compress ? GZIP_LEVEL : 0, &cpio);
	if (err) {
		free(conf);
		return err;
	}
	for (size_t i = 0; !err && i < KD_ARRAY_SIZE(dirs); i++)
		err = kd_cpio_dir(cpio, dirs[i].name, dirs[i].mode);
	// The kernel opens /dev/console for PID 1's stdio before running
	// /init (init/main.c console_on_rootfs): it must be in the archive.
	if (!err)
		err = kd_cpio_node(cpio, "dev/console", S_IFCHR | 0600, 5, 1);
	if (!err)
		err = initramfs_add_init(cpio, opts->init, &report->init_size);
	if (!err)
		err = kd_cpio_file(cpio, "etc/kexdump.conf", 0644, conf, conflen);
	if (!err)
		err = initramfs_add_files(cpio, opts);
	if (!err)
		err = initramfs_add_modules(cpio, opts->modules, report);
	if (!err)
		err = kd_cpio_finish(cpio);
	if (!err)
		report->size = kd_cpio_written(cpio);
	kd_cpio_destroy(cpio);
	free(conf);
	return err;
}

KD_EXPORT struct kd_error *kd_initramfs_write(const char *path,
					      const struct kd_initramfs_options *opts,
					      struct kd_initramfs_report *report)
{
	if (!opts->init || !opts->config)
		return kd_error_create(KD_ERROR_INVALID,
				       "initramfs: an init binary and a config are needed");
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", path);
	// A fresh file (never one planted at the temporary name), 0600.
	if (unlink(tmp) < 0 && errno != ENOENT)
		return kd_error_os(errno, "%s", tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return kd_error_os(errno, "%s", tmp);
	struct kd_initramfs_report r = { 0 };
	struct kd_error *err = initramfs_write_archive(fd, opts, &r);
	if (!err && fsync(fd) < 0)
		err = kd_error_os(errno, "%s: fsync", tmp);
	if (close(fd) < 0 && !err)
		err = kd_error_os(errno, "%s: close", tmp);
	if (!err && rename(tmp, path) < 0)
		err = kd_error_os(errno, "rename %s to %s", tmp, path);
	if (err) {
		unlink(tmp);
		return err;
	}
	// Make the rename itself durable (a folder that refuses fsync, or
	// is not ours to open, leaves the archive written all the same).
	kd_error_destroy(kd_fs_fsync_parent(path));
	if (report)
		*report = r;
	return NULL;
}

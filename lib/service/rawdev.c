// SPDX-License-Identifier: LGPL-2.1-or-later
// Raw dump targets: a block device the dump is written onto from byte 0.
// Nothing is mounted in the capture kernel, so O_EXCL protects nothing
// there: a device is taken only when it is blank (libblkid finds no
// filesystem, partition table, LVM, LUKS, md or other signature) or the
// config says raw_overwrite yes, and the capture writes only onto a device
// carrying kexdump's stamp with the id setup recorded in the config.
//
// The stamp is the device's last 4 KiB (the dump starts at byte 0 and
// overwrites block 0, so the stamp cannot live there):
//   0  "KEXDUMP-RAW\0\0\0\0\0"   magic, 16 bytes
//   16 le32 version (1)
//   20 le32 zero
//   24 le64 the device's size in bytes when stamped
//   32 16 bytes random id (the config's raw_id, as 32 hex digits)
//   48 le32 crc32 (zlib) of bytes 0..47
//   the rest zero
#include "service/service.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define RAWDEV_MAGIC "KEXDUMP-RAW\0\0\0\0\0"
#define RAWDEV_VERSION 1
#define RAWDEV_CRC_LEN 48
// The capture zeroes this much of the device's start before the save, so
// a previous dump's complete header never survives a failed write.
#define RAWDEV_WIPE (64u * 1024)

_Static_assert(sizeof(RAWDEV_MAGIC) - 1 == 16, "magic is 16 bytes");

static struct kd_error *rawdev_size(int fd, const char *path, uint64_t *ret)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kd_error_os(errno, "%s", path);
	uint64_t size;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			return kd_error_os(errno, "%s: cannot get its size", path);
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;	// an image file (tests)
	} else {
		return kd_error_create(KD_ERROR_INVALID, "%s: not a block device", path);
	}
	if (size < 2 * KD_RAWDEV_STAMP_SIZE + RAWDEV_WIPE)
		return kd_error_create(KD_ERROR_INVALID, "%s: too small for a dump (%llu bytes)",
				       path, (unsigned long long)size);
	*ret = size;
	return NULL;
}

KD_EXPORT uint64_t kd_rawdev_stamp_offset(uint64_t size)
{
	return (size & ~(uint64_t)(KD_RAWDEV_STAMP_SIZE - 1)) - KD_RAWDEV_STAMP_SIZE;
}

static void rawdev_hex(const uint8_t *id, char *out)
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static struct kd_error *rawdev_pio(int fd, bool write, void *buf, size_t len, uint64_t off,
				   const char *path)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write ? pwrite(fd, (char *)buf + done, len - done, (off_t)(off + done)) :
				    pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kd_error_os(n < 0 ? errno : EIO, "%s: cannot %s %zu bytes at %llu",
					   path, write ? "write" : "read", len - done,
					   (unsigned long long)(off + done));
		done += (size_t)n;
	}
	return NULL;
}

KD_EXPORT struct kd_error *kd_rawdev_signature(const char *path, char *out, size_t outlen)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return kd_error_os(errno ? errno : EIO, "%s: cannot probe it", path);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	// safeprobe: 1 nothing, 0 one signature, -2 several (ambivalent).
	int r = blkid_do_safeprobe(pr);
	struct kd_error *err = NULL;
	const char *type = NULL;
	if (r == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) &&
		    blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL))
			type = "unknown";
		snprintf(out, outlen, "%s", type);
	} else if (r == 1) {
		snprintf(out, outlen, "%s", "");
	} else if (r == -2) {
		snprintf(out, outlen, "%s", "several signatures");
	} else {
		err = kd_error_create(KD_ERROR_OS, "%s: cannot probe it for signatures", path);
	}
	blkid_free_probe(pr);
	return err;
}

// Read and check the stamp; NOTFOUND when the device has none.
static struct kd_error *rawdev_read_stamp(int fd, const char *path, uint64_t size,
					  char id_ret[KD_RAWDEV_ID_LEN + 1])
{
	uint8_t b[64];
	uint64_t off = kd_rawdev_stamp_offset(size);
	struct kd_error *err = rawdev_pio(fd, false, b, sizeof(b), off, path);
	if (err)
		return err;
	if (memcmp(b, RAWDEV_MAGIC, 16))
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: no kexdump stamp", path);
	if (kd_le32(b + 48) != (uint32_t)crc32(0, b, RAWDEV_CRC_LEN))
		return kd_error_create(KD_ERROR_CORRUPT, "%s: kexdump stamp damaged (bad checksum)",
				       path);
	if (kd_le32(b + 16) != RAWDEV_VERSION)
		return kd_error_create(KD_ERROR_UNSUPPORTED, "%s: kexdump stamp version %u",
				       path, kd_le32(b + 16));
	if (kd_le64(b + 24) != size)
		return kd_error_create(KD_ERROR_INVALID,
				       "%s: stamped for %llu bytes, the device has %llu",
				       path, (unsigned long long)kd_le64(b + 24),
				       (unsigned long long)size);
	rawdev_hex(b + 32, id_ret);
	return NULL;
}

static struct kd_error *rawdev_write_stamp(int fd, const char *path, uint64_t size,
					   char id_ret[KD_RAWDEV_ID_LEN + 1])
{
	uint8_t *b = calloc(1, KD_RAWDEV_STAMP_SIZE);
	if (!b)
		return &kd_enomem;
	memcpy(b, RAWDEV_MAGIC, 16);
	kd_put_le32(b + 16, RAWDEV_VERSION);
	kd_put_le64(b + 24, size);
	struct kd_error *err = NULL;
	if (getrandom(b + 32, 16, 0) != 16)
		err = kd_error_os(errno, "%s: no random id", path);
	kd_put_le32(b + 48, (uint32_t)crc32(0, b, RAWDEV_CRC_LEN));
	if (!err)
		err = rawdev_pio(fd, true, b, KD_RAWDEV_STAMP_SIZE, kd_rawdev_stamp_offset(size), path);
	if (!err && fsync(fd) < 0)
		err = kd_error_os(errno, "%s: fsync failed", path);
	if (!err)
		rawdev_hex(b + 32, id_ret);
	free(b);
	return err;
}

static struct kd_error *rawdev_refuse(const char *path, const char *sig)
{
	return kd_error_create(KD_ERROR_INVALID,
			       "%s is not blank (it holds %s); a raw target is overwritten from byte 0: "
			       "wipe it (wipefs -a) or set raw_overwrite yes to overwrite it", path, sig);
}

KD_EXPORT struct kd_error *kd_rawdev_prepare(const char *path, bool overwrite, bool write,
					     char id_ret[KD_RAWDEV_ID_LEN + 1])
{
	// O_EXCL on a block device: not mounted, not held by md, dm or LVM.
	int fd = open(path, (write ? O_RDWR : O_RDONLY) | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot open it%s", path,
				   errno == EBUSY ? " (mounted or in use)" : "");
	uint64_t size;
	char id[KD_RAWDEV_ID_LEN + 1] = "";
	char sig[64];
	struct kd_error *err = rawdev_size(fd, path, &size);
	if (!err)
		err = kd_rawdev_signature(path, sig, sizeof(sig));
	if (!err && sig[0] && !overwrite)
		err = rawdev_refuse(path, sig);
	if (!err) {
		// An existing stamp keeps its id: the initramfs built before
		// stays valid.
		err = rawdev_read_stamp(fd, path, size, id);
		if (err && write) {
			kd_error_destroy(err);
			err = rawdev_write_stamp(fd, path, size, id);
		} else if (err && kd_error_catch(&err, KD_ERROR_NOTFOUND)) {
			id[0] = '\0';	// a dry run: setup would stamp it
		}
	}
	close(fd);
	if (!err)
		memcpy(id_ret, id, sizeof(id));
	return err;
}

KD_EXPORT struct kd_error *kd_rawdev_open(const char *path, const char *id, bool overwrite,
					  int *fd_ret, uint64_t *limit_ret)
{
	if (!id || !id[0])
		return kd_error_create(KD_ERROR_INVALID,
				       "%s: the config has no raw_id: run kexdump setup to stamp the device",
				       path);
	int fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot open it for writing", path);
	uint64_t size;
	char have[KD_RAWDEV_ID_LEN + 1], sig[64];
	struct kd_error *err = rawdev_size(fd, path, &size);
	if (!err)
		err = rawdev_read_stamp(fd, path, size, have);
	if (err && kd_error_code(err) == KD_ERROR_NOTFOUND) {
		kd_error_destroy(err);
		err = kd_error_create(KD_ERROR_INVALID,
				      "%s carries no kexdump stamp: not writing onto it (run kexdump setup)",
				      path);
	}
	if (!err && strcmp(have, id))
		err = kd_error_create(KD_ERROR_INVALID,
				      "%s carries the stamp of another setup (id %s, the config has %s): "
				      "not writing onto it", path, have, id);
	if (!err)
		err = kd_rawdev_signature(path, sig, sizeof(sig));
	if (!err && sig[0] && !overwrite)
		err = rawdev_refuse(path, sig);
	if (!err) {
		// The stale header of a previous dump must not survive a
		// failed write.
		uint8_t *z = calloc(1, RAWDEV_WIPE);
		err = z ? rawdev_pio(fd, true, z, RAWDEV_WIPE, 0, path) : &kd_enomem;
		free(z);
		if (!err && fdatasync(fd) < 0)
			err = kd_error_os(errno, "%s: fdatasync failed", path);
	}
	if (err) {
		close(fd);
		return err;
	}
	*fd_ret = fd;
	*limit_ret = kd_rawdev_stamp_offset(size);
	return NULL;
}

KD_EXPORT struct kd_error *kd_rawdev_check_stamp(const char *path, const char *id)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s", path);
	uint64_t size;
	char have[KD_RAWDEV_ID_LEN + 1];
	struct kd_error *err = rawdev_size(fd, path, &size);
	if (!err)
		err = rawdev_read_stamp(fd, path, size, have);
	if (!err && strcmp(have, id))
		err = kd_error_create(KD_ERROR_INVALID, "%s: stamp id %s, expected %s", path, have, id);
	close(fd);
	return err;
}

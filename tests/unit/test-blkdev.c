// SPDX-License-Identifier: LGPL-2.1-or-later
// Block devices without udev: superblock probes checked against blkid on
// images made by mke2fs, hand-made xfs/btrfs/vfat superblocks, the sysfs
// scan on a fake tree, and mountinfo parsing.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

#include "service/service.h"
#include "synth.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/kd-blkdev-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	// mke2fs and blkid live in sbin, often not in a user's PATH.
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	setenv("PATH", buf, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	// Remove what the tests made (no shell: a tree of known depth).
	const char *sub[] = { "sys/class/block/vda/vda1", "sys/class/block/vda1",
			      "sys/class/block/vda", "sys/class/block/loop0",
			      "sys/class/block/cciss!c0d0", "sys/class/block",
			      "sys/class", "sys", "dev/cciss", "dev" };
	const char *files[] = { "dev/vda1", "dev/vda", "dev/cciss/c0d0", "img",
				"mountinfo" };
	const char *attrs[] = { "dev", "size" };
	char p[256];
	for (size_t i = 0; i < KD_ARRAY_SIZE(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, files[i]);
		unlink(p);
	}
	for (size_t i = 0; i < KD_ARRAY_SIZE(sub); i++) {
		for (size_t j = 0; j < KD_ARRAY_SIZE(attrs); j++) {
			snprintf(p, sizeof(p), "%s/%s/%s", tmpdir, sub[i], attrs[j]);
			unlink(p);
		}
		snprintf(p, sizeof(p), "%s/%s", tmpdir, sub[i]);
		rmdir(p);
	}
	return rmdir(tmpdir);
}

// The value of KEY in `blkid -o export` output, "" when absent.
static void export_value(const char *text, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	out[0] = '\0';
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, key, klen) && l[klen] == '=') {
			size_t n = strcspn(l + klen + 1, "\n");
			snprintf(out, len, "%.*s", (int)n, l + klen + 1);
			return;
		}
	}
}

static void mkimg(const char *path, const char *type, const char *uuid,
		  const char *label)
{
	unlink(path);
	char *argv[] = { (char *)"mke2fs", (char *)"-q", (char *)"-F", (char *)"-t",
			 (char *)type, (char *)"-U", (char *)uuid, (char *)"-L",
			 (char *)label, (char *)path, (char *)"4M", NULL };
	int r = synth_run(argv, NULL, NULL);
	if (r == -1)
		kd_test_skip("mke2fs could not be run (e2fsprogs)");
	assert_int_equal(r, 0);
}

// Our probe and blkid agree on TYPE, UUID and LABEL.
static void check_against_blkid(const char *img, const char *want_type)
{
	struct kd_blkdev_info info;
	struct kd_error *err = kd_blkdev_probe(img, &info);
	if (err)
		fail_msg("%s", kd_error_message(err));
	assert_string_equal(info.fstype, want_type);
	assert_int_equal(info.size, 4u << 20);
	char *argv[] = { (char *)"blkid", (char *)"-p", (char *)"-o", (char *)"export",
			 (char *)img, NULL };
	char *out, v[128];
	if (synth_run(argv, NULL, &out) < 0)
		kd_test_skip("blkid could not be run (util-linux)");
	export_value(out, "TYPE", v, sizeof(v));
	assert_string_equal(info.fstype, v);
	export_value(out, "UUID", v, sizeof(v));
	assert_string_equal(info.uuid, v);
	export_value(out, "LABEL", v, sizeof(v));
	free(out);
	assert_string_equal(info.label, v);
}

static void test_ext(void **state)
{
	(void)state;
	char img[128];
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	mkimg(img, "ext4", "0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e", "dumps");
	check_against_blkid(img, "ext4");
	mkimg(img, "ext3", "11111111-2222-3333-4444-555555555555", "ext3-label");
	check_against_blkid(img, "ext3");
	mkimg(img, "ext2", "deadbeef-0000-4000-8000-00000000abcd", "sixteen-chars-lb");
	check_against_blkid(img, "ext2");
	unlink(img);
}

static const uint8_t test_uuid[16] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

// Superblocks written at the offsets of the kernel's structures.
static void test_xfs_btrfs_vfat(void **state)
{
	(void)state;
	char img[128];
	snprintf(img, sizeof(img), "%s/img", tmpdir);
	size_t len = 0x10000 + 0x1000;
	uint8_t *buf = calloc(1, len);
	assert_non_null(buf);
	struct kd_blkdev_info info;

	memcpy(buf, "XFSB", 4);
	memcpy(buf + 32, test_uuid, 16);
	memcpy(buf + 108, "xfs-label\0\0\0", 12);
	kd_test_write(NULL, img, buf, len);
	assert_null(kd_blkdev_probe(img, &info));
	assert_string_equal(info.fstype, "xfs");
	assert_string_equal(info.uuid, "12345678-9abc-def0-0123-456789abcdef");
	assert_string_equal(info.label, "xfs-label");
	assert_string_equal(info.name, "img");

	memset(buf, 0, len);
	memcpy(buf + 0x10040, "_BHRfS_M", 8);
	memcpy(buf + 0x10020, test_uuid, 16);
	memcpy(buf + 0x1012b, "btrfs label", 11);
	kd_put_le64(buf + 0x10088, 3);	// num_devices
	kd_test_write(NULL, img, buf, len);
	assert_null(kd_blkdev_probe(img, &info));
	assert_string_equal(info.fstype, "btrfs");
	assert_int_equal(info.ndevices, 3);
	assert_string_equal(info.uuid, "12345678-9abc-def0-0123-456789abcdef");
	assert_string_equal(info.label, "btrfs label");

	// FAT32: no FAT16 length, serial at 67, label at 71, type at 82.
	memset(buf, 0, len);
	buf[11] = 0x00, buf[12] = 0x02;	// 512-byte sectors
	buf[13] = 8;
	buf[67] = 0x78, buf[68] = 0x56, buf[69] = 0x34, buf[70] = 0x12;
	memcpy(buf + 71, "EFI        ", 11);
	memcpy(buf + 82, "FAT32   ", 8);
	buf[510] = 0x55, buf[511] = 0xaa;
	kd_test_write(NULL, img, buf, len);
	assert_null(kd_blkdev_probe(img, &info));
	assert_string_equal(info.fstype, "vfat");
	assert_string_equal(info.uuid, "1234-5678");
	assert_string_equal(info.label, "EFI");

	// FAT16 "NO NAME" is no label.
	memset(buf, 0, 512);
	buf[11] = 0x00, buf[12] = 0x02;
	buf[13] = 4;
	buf[22] = 0x20;
	buf[39] = 0xef, buf[40] = 0xbe, buf[41] = 0xad, buf[42] = 0xde;
	memcpy(buf + 43, "NO NAME    ", 11);
	memcpy(buf + 54, "FAT16   ", 8);
	buf[510] = 0x55, buf[511] = 0xaa;
	kd_test_write(NULL, img, buf, len);
	assert_null(kd_blkdev_probe(img, &info));
	assert_string_equal(info.fstype, "vfat");
	assert_string_equal(info.uuid, "DEAD-BEEF");
	assert_string_equal(info.label, "");

	// An MBR (55 AA without a BPB) and an empty image: no filesystem.
	memset(buf, 0, 512);
	buf[510] = 0x55, buf[511] = 0xaa;
	kd_test_write(NULL, img, buf, len);
	assert_null(kd_blkdev_probe(img, &info));
	assert_string_equal(info.fstype, "");
	kd_test_write(NULL, img, buf, 100);
	assert_null(kd_blkdev_probe(img, &info));
	assert_string_equal(info.fstype, "");
	assert_int_equal(info.size, 100);
	free(buf);
	unlink(img);

	struct kd_error *err = kd_blkdev_probe("/nonexistent/img", &info);
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ENOENT);
	kd_error_destroy(err);
}

// A fake /sys/class/block and /dev: the device nodes are image files.
// An LVM physical volume's label (lvm2 lib/label/label.c): "LABELONE" in
// sector 1, its CRC over bytes 20..511 (lvm's calc_crc, which is zlib's
// CRC-32 without the inversions, from 0xf597a6cf), the pv_header at 32
// with the UUID's 32 characters. blkid, which checks that CRC, must say
// what our probe says.
static void test_lvm(void **state)
{
	(void)state;
	char img[128];
	snprintf(img, sizeof(img), "%s/pv", tmpdir);
	size_t len = 4u << 20;
	uint8_t *buf = calloc(1, len);
	assert_non_null(buf);
	uint8_t *l = buf + 512;
	memcpy(l, "LABELONE", 8);
	l[8] = 1;			// sector_xl
	l[20] = 32;			// offset_xl
	memcpy(l + 24, "LVM2 001", 8);
	memcpy(l + 32, "Xp7uLq2bN9dK4sWe1RtY6uIo3PaS5dFg", 32);
	l[64] = 0x00, l[65] = 0x00, l[66] = 0x40;	// device_size_xl
	uint32_t crc = ~(uint32_t)crc32(~0xf597a6cfu & 0xffffffffu, l + 20, 512 - 20);
	l[16] = (uint8_t)crc, l[17] = (uint8_t)(crc >> 8), l[18] = (uint8_t)(crc >> 16),
	l[19] = (uint8_t)(crc >> 24);
	kd_test_write(NULL, img, buf, len);
	struct kd_blkdev_info info;
	assert_null(kd_blkdev_probe(img, &info));
	assert_string_equal(info.fstype, "LVM2_member");
	assert_string_equal(info.uuid, "Xp7uLq-2bN9-dK4s-We1R-tY6u-Io3P-aS5dFg");
	char *argv[] = { (char *)"blkid", (char *)"-p", (char *)"-o", (char *)"export", img, NULL };
	char *out, v[128];
	if (synth_run(argv, NULL, &out) >= 0) {
		export_value(out, "TYPE", v, sizeof(v));
		assert_string_equal(v, "LVM2_member");
		export_value(out, "UUID", v, sizeof(v));
		assert_string_equal(v, info.uuid);
		free(out);
	}
	// A label that names another sector, or a UUID with a bad byte: none.
	l[8] = 2;
	kd_test_write(NULL, img, buf, len);
	assert_null(kd_blkdev_probe(img, &info));
	assert_string_equal(info.fstype, "");
	l[8] = 1;
	l[40] = '/';
	kd_test_write(NULL, img, buf, len);
	assert_null(kd_blkdev_probe(img, &info));
	assert_string_equal(info.fstype, "");
	free(buf);
	unlink(img);
}

static void test_find(void **state)
{
	(void)state;
	kd_test_mkdirs(tmpdir, "sys");
	kd_test_mkdirs(tmpdir, "sys/class");
	kd_test_mkdirs(tmpdir, "sys/class/block");
	kd_test_mkdirs(tmpdir, "sys/class/block/vda");
	kd_test_mkdirs(tmpdir, "sys/class/block/vda1");
	kd_test_mkdirs(tmpdir, "sys/class/block/loop0");
	kd_test_mkdirs(tmpdir, "sys/class/block/cciss!c0d0");
	kd_test_mkdirs(tmpdir, "dev");
	kd_test_mkdirs(tmpdir, "dev/cciss");
	kd_test_write_text(tmpdir, "sys/class/block/vda/dev", "254:0\n");
	kd_test_write_text(tmpdir, "sys/class/block/vda/size", "16384\n");
	kd_test_write_text(tmpdir, "sys/class/block/vda1/dev", "254:1\n");
	kd_test_write_text(tmpdir, "sys/class/block/vda1/size", "8192\n");
	kd_test_write_text(tmpdir, "sys/class/block/loop0/dev", "7:0\n");
	kd_test_write_text(tmpdir, "sys/class/block/loop0/size", "0\n");	// unused: never opened
	kd_test_write_text(tmpdir, "sys/class/block/cciss!c0d0/dev", "104:0\n");
	kd_test_write_text(tmpdir, "sys/class/block/cciss!c0d0/size", "8\n");
	kd_test_write_text(tmpdir, "dev/vda", "");
	kd_test_write_text(tmpdir, "dev/cciss/c0d0", "raw bytes");
	char img[128], sys[128], dev[128];
	snprintf(img, sizeof(img), "%s/dev/vda1", tmpdir);
	snprintf(sys, sizeof(sys), "%s/sys", tmpdir);
	snprintf(dev, sizeof(dev), "%s/dev", tmpdir);
	mkimg(img, "ext4", "0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e", "dumps");

	struct kd_blkdev_info info;
	struct kd_error *err = kd_blkdev_find("UUID=0B8E35C1-55E6-4F4B-9D5E-1F2A3B4C5D6E",
					      sys, dev, &info);
	if (err)
		fail_msg("%s", kd_error_message(err));
	assert_string_equal(info.name, "vda1");
	assert_string_equal(info.fstype, "ext4");
	assert_int_equal(info.major, 254);
	assert_int_equal(info.minor, 1);
	assert_int_equal(info.size, 8192 * 512);

	assert_null(kd_blkdev_find("LABEL=dumps", sys, dev, &info));
	assert_string_equal(info.name, "vda1");
	assert_null(kd_blkdev_find("/dev/vda1", sys, dev, &info));
	assert_string_equal(info.uuid, "0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e");
	// A raw device by name: no filesystem, found all the same.
	assert_null(kd_blkdev_find("/dev/cciss/c0d0", sys, dev, &info));
	assert_string_equal(info.name, "cciss!c0d0");
	assert_string_equal(info.fstype, "");
	assert_int_equal(info.major, 104);
	assert_int_equal(info.size, 4096);

	const char *absent[] = { "UUID=00000000-0000-0000-0000-000000000001",
				 "LABEL=nothing", "/dev/vdz" };
	for (size_t i = 0; i < KD_ARRAY_SIZE(absent); i++) {
		err = kd_blkdev_find(absent[i], sys, dev, &info);
		assert_non_null(err);
		assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
		kd_error_destroy(err);
	}
	err = kd_blkdev_find("vda1", sys, dev, &info);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	// No sysfs yet (the capture init retries): NOTFOUND too.
	err = kd_blkdev_find("LABEL=dumps", "/nonexistent", dev, &info);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
}

static const char mountinfo_text[] =
	"22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
	"23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
	"40 22 8:17 /sub /bind\\040point rw - ext4 /dev/sdb1 rw\n"
	"41 22 8:17 / /media/my\\040disk\\134x rw shared:5 master:2 - ext4 /dev/sdb1 rw\n"
	"42 22 8:33 /only-bind /srv/only rw - xfs /dev/sdc1 rw\n"
	"44 22 0:40 /@rootfs /srv/b rw - btrfs /dev/vd\\040b rw,subvolid=256,subvol=/@ro\\054ot\n"
	"45 22 0:41 / /srv/t rw - tmpfs\n"
	"garbage line\n"
	"43 22 9:1 / /short\n";

static void test_mountpoint(void **state)
{
	(void)state;
	kd_test_write_text(tmpdir, "mountinfo", mountinfo_text);
	char mi[128], out[256];
	snprintf(mi, sizeof(mi), "%s/mountinfo", tmpdir);
	assert_null(kd_blkdev_mountpoint(254, 1, mi, out, sizeof(out)));
	assert_string_equal(out, "/");
	// The mount of the filesystem's root wins over a bind mount; octal
	// escapes are decoded.
	assert_null(kd_blkdev_mountpoint(8, 17, mi, out, sizeof(out)));
	assert_string_equal(out, "/media/my disk\\x");
	// Only a bind mount: that one.
	assert_null(kd_blkdev_mountpoint(8, 33, mi, out, sizeof(out)));
	assert_string_equal(out, "/srv/only");
	// A short output buffer is cut, never overrun.
	char small[6];
	assert_null(kd_blkdev_mountpoint(8, 17, mi, small, sizeof(small)));
	assert_string_equal(small, "/medi");
	struct kd_error *err = kd_blkdev_mountpoint(8, 1, mi, out, sizeof(out));
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	// Lines with too few fields are skipped.
	err = kd_blkdev_mountpoint(9, 1, mi, out, sizeof(out));
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	err = kd_blkdev_mountpoint(8, 17, "/nonexistent/mountinfo", out, sizeof(out));
	assert_int_equal(kd_error_code(err), KD_ERROR_OS);
	kd_error_destroy(err);
}

// Every mountinfo line with its root, mount point and type unescaped (the
// target resolver's input, lib/service/target.c).
static void test_mounts(void **state)
{
	(void)state;
	kd_test_write_text(tmpdir, "mountinfo", mountinfo_text);
	char mi[128];
	snprintf(mi, sizeof(mi), "%s/mountinfo", tmpdir);
	struct kd_mounts m;
	assert_null(kd_blkdev_mounts(mi, &m));
	assert_int_equal(m.n, 7);	// the two short lines are skipped
	assert_int_equal(m.v[0].major, 254);
	assert_int_equal(m.v[0].minor, 1);
	assert_string_equal(m.v[0].root, "/");
	assert_string_equal(m.v[0].point, "/");
	assert_string_equal(m.v[0].fstype, "ext4");
	assert_string_equal(m.v[1].fstype, "proc");
	assert_string_equal(m.v[2].root, "/sub");
	assert_string_equal(m.v[2].point, "/bind point");
	assert_string_equal(m.v[3].point, "/media/my disk\\x");
	assert_int_equal(m.v[4].major, 8);
	assert_int_equal(m.v[4].minor, 33);
	assert_string_equal(m.v[4].root, "/only-bind");
	assert_string_equal(m.v[4].fstype, "xfs");
	assert_string_equal(m.v[0].source, "/dev/vda1");
	assert_string_equal(m.v[0].options, "rw,errors=remount-ro");
	// btrfs: the source and the super options (subvol=) unescaped.
	assert_string_equal(m.v[5].fstype, "btrfs");
	assert_string_equal(m.v[5].source, "/dev/vd b");
	assert_string_equal(m.v[5].options, "rw,subvolid=256,subvol=/@ro,ot");
	assert_string_equal(m.v[5].root, "/@rootfs");
	// A line that ends after its type: no source, no options.
	assert_string_equal(m.v[6].fstype, "tmpfs");
	assert_string_equal(m.v[6].source, "");
	assert_string_equal(m.v[6].options, "");
	kd_blkdev_mounts_free(&m);
	assert_null(m.v);
	struct kd_error *err = kd_blkdev_mounts("/nonexistent/mountinfo", &m);
	assert_int_equal(kd_error_code(err), KD_ERROR_OS);
	kd_error_destroy(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ext),
		cmocka_unit_test(test_xfs_btrfs_vfat),
		cmocka_unit_test(test_lvm),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_mountpoint),
		cmocka_unit_test(test_mounts),
	};
	return kd_test_run(tests, setup, teardown);
}

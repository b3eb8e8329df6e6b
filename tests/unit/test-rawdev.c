// SPDX-License-Identifier: LGPL-2.1-or-later
// Raw dump targets (lib/service/rawdev.c) on image files: libblkid finds
// an ext4 filesystem (made by mkfs.ext4), a GPT, an LVM2 label and a LUKS
// header, and setup refuses each unless raw_overwrite; a blank image is
// stamped (id kept on a second setup); the capture's open takes only a
// device with the stamp and the config's id, and zeroes a stale header.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <zlib.h>

#include "service/service.h"
#include "synth.h"

#define IMG_SIZE (8u << 20)

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kd-test-rawdev.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kd_test_rm_rf(tmpdir);
	return 0;
}

// A blank image file of IMG_SIZE bytes with @p len bytes of @p data at
// @p off (none when data is NULL).
static void image(const char *name, uint64_t off, const void *data, size_t len, char *path,
		  size_t pathlen)
{
	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, IMG_SIZE), 0);
	if (data)
		assert_int_equal(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void expect_refused(const char *path, const char *sig)
{
	char s[64], id[KD_RAWDEV_ID_LEN + 1];
	assert_null(kd_rawdev_signature(path, s, sizeof(s)));
	assert_string_equal(s, sig);
	for (int write = 0; write < 2; write++) {
		struct kd_error *err = kd_rawdev_prepare(path, false, write, id);
		assert_non_null(err);
		assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
		char want[128];
		snprintf(want, sizeof(want), "%s is not blank (it holds %s)", path, sig);
		assert_non_null(strstr(kd_error_message(err), want));
		assert_non_null(strstr(kd_error_message(err), "raw_overwrite yes"));
		kd_error_destroy(err);
	}
	// Refused: not stamped.
	struct kd_error *err = kd_rawdev_check_stamp(path, "00000000000000000000000000000000");
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	// raw_overwrite yes: stamped, and the capture may write onto it.
	assert_null(kd_rawdev_prepare(path, true, true, id));
	assert_int_equal(strlen(id), KD_RAWDEV_ID_LEN);
	assert_null(kd_rawdev_check_stamp(path, id));
	int fd;
	uint64_t limit;
	err = kd_rawdev_open(path, id, false, &fd, &limit);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "is not blank"));
	kd_error_destroy(err);
	assert_null(kd_rawdev_open(path, id, true, &fd, &limit));
	assert_int_equal(limit, IMG_SIZE - KD_RAWDEV_STAMP_SIZE);
	close(fd);
}

static void test_ext4(void **state)
{
	(void)state;
	char path[PATH_MAX];
	image("ext4.img", 0, NULL, 0, path, sizeof(path));
	char *argv[] = { (char *)"mkfs.ext4", (char *)"-q", (char *)"-F", path, NULL };
	if (synth_run(argv, NULL, NULL) != 0) {
		char *argv2[] = { (char *)"/usr/sbin/mkfs.ext4", (char *)"-q", (char *)"-F", path, NULL };
		if (synth_run(argv2, NULL, NULL) != 0)
			kd_test_skip("no mkfs.ext4");
	}
	expect_refused(path, "ext4");
}

static void crc_put(uint8_t *p, const uint8_t *data, size_t len)
{
	synth_put32(p, (uint32_t)crc32(0, data, (uInt)len));
}

// A GPT as UEFI 2.10 section 5.3 lays it out: a protective MBR, the header
// at LBA 1 with its CRC32 and that of the 128 entries at LBA 2 (one
// partition), 512-byte sectors.
static void test_gpt(void **state)
{
	(void)state;
	static uint8_t b[34 * 512];
	memset(b, 0, sizeof(b));
	uint64_t last = IMG_SIZE / 512 - 1;
	uint8_t *mbr = b + 446;
	mbr[4] = 0xee;		// protective partition
	synth_put32(mbr + 8, 1);
	synth_put32(mbr + 12, (uint32_t)last);
	b[510] = 0x55;
	b[511] = 0xaa;
	uint8_t *e = b + 1024;	// entry 0: a Linux filesystem partition
	static const uint8_t linux_fs[16] = { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
					      0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4 };
	memcpy(e, linux_fs, 16);
	memset(e + 16, 0x11, 16);
	synth_put64(e + 32, 2048);
	synth_put64(e + 40, last - 34);
	uint8_t *h = b + 512;
	memcpy(h, "EFI PART", 8);
	synth_put32(h + 8, 0x00010000);
	synth_put32(h + 12, 92);
	synth_put64(h + 24, 1);
	synth_put64(h + 32, last);
	synth_put64(h + 40, 34);
	synth_put64(h + 48, last - 33);
	memset(h + 56, 0x22, 16);
	synth_put64(h + 72, 2);
	synth_put32(h + 80, 128);
	synth_put32(h + 84, 128);
	crc_put(h + 88, e, 128 * 128);
	crc_put(h + 16, h, 92);
	char path[PATH_MAX];
	image("gpt.img", 0, b, sizeof(b), path, sizeof(path));
	expect_refused(path, "gpt");
}

// LVM2's label (lib/label/label.c): "LABELONE" in sector 1, its sector
// number, a CRC over the rest of the sector (LVM's own: zlib's polynomial,
// initial value 0xf597a6cf, no final inversion), "LVM2 001", then the PV
// header with the PV's 32-character id.
static void test_lvm2(void **state)
{
	(void)state;
	static uint8_t s[512];
	memset(s, 0, sizeof(s));
	memcpy(s, "LABELONE", 8);
	synth_put64(s + 8, 1);
	synth_put32(s + 20, 32);
	memcpy(s + 24, "LVM2 001", 8);
	memcpy(s + 32, "abcdefghijklmnopqrstuvwxyz012345", 32);
	synth_put64(s + 64, IMG_SIZE);
	uint32_t crc = ~(uint32_t)crc32(~0xf597a6cfu, s + 20, 512 - 20);
	synth_put32(s + 16, crc);
	char path[PATH_MAX];
	image("lvm.img", 512, s, sizeof(s), path, sizeof(path));
	expect_refused(path, "LVM2_member");
}

// A LUKS1 header (cryptsetup's docs/on-disk-format.pdf): magic, version 1,
// cipher, the UUID at 168.
static void test_luks(void **state)
{
	(void)state;
	static uint8_t h[592];
	memset(h, 0, sizeof(h));
	memcpy(h, "LUKS\xba\xbe", 6);
	h[7] = 1;
	memcpy(h + 8, "aes", 3);
	memcpy(h + 40, "xts-plain64", 11);
	memcpy(h + 72, "sha256", 6);
	h[106] = 0x10;		// payload offset 4096 sectors, big-endian
	h[111] = 64;		// key bytes, big-endian
	memcpy(h + 168, "0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e", 36);
	char path[PATH_MAX];
	image("luks.img", 0, h, sizeof(h), path, sizeof(path));
	expect_refused(path, "crypto_LUKS");
}

// A blank device: stamped, the id kept on the next setup; the capture's
// open wants that id, zeroes the start (a previous dump's header), and a
// device stamped by another setup or not at all is refused.
static void test_blank(void **state)
{
	(void)state;
	char path[PATH_MAX], s[64];
	static uint8_t old[8192];
	memset(old, 0, sizeof(old));
	memcpy(old, "KDUMP   ", 8);	// the header of an earlier dump
	memset(old + 4096, 0x5a, 4096);
	image("blank.img", 0, old, sizeof(old), path, sizeof(path));
	assert_null(kd_rawdev_signature(path, s, sizeof(s)));
	assert_string_equal(s, "");

	char id[KD_RAWDEV_ID_LEN + 1], id2[KD_RAWDEV_ID_LEN + 1];
	assert_null(kd_rawdev_prepare(path, false, false, id));	// a dry run
	assert_string_equal(id, "");
	int fd;
	uint64_t limit;
	struct kd_error *err = kd_rawdev_open(path, "0123456789abcdef0123456789abcdef", false,
					      &fd, &limit);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "carries no kexdump stamp"));
	kd_error_destroy(err);
	err = kd_rawdev_open(path, "", false, &fd, &limit);
	assert_non_null(strstr(kd_error_message(err), "no raw_id: run kexdump setup"));
	kd_error_destroy(err);

	assert_null(kd_rawdev_prepare(path, false, true, id));
	assert_int_equal(strlen(id), KD_RAWDEV_ID_LEN);
	assert_null(kd_rawdev_prepare(path, false, true, id2));
	assert_string_equal(id, id2);

	// The stamp: the last 4 KiB, magic, version, size, id, CRC.
	uint8_t st[64];
	int rfd = open(path, O_RDONLY);
	assert_int_equal(pread(rfd, st, sizeof(st), IMG_SIZE - 4096), (ssize_t)sizeof(st));
	close(rfd);
	assert_memory_equal(st, "KEXDUMP-RAW\0\0\0\0\0", 16);
	assert_int_equal(kd_le32(st + 16), 1);
	assert_int_equal(kd_le64(st + 24), IMG_SIZE);
	assert_int_equal(kd_le32(st + 48), (uint32_t)crc32(0, st, 48));
	char hex[33];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", st[32 + i]);
	assert_string_equal(hex, id);

	err = kd_rawdev_open(path, "0123456789abcdef0123456789abcdef", false, &fd, &limit);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "carries the stamp of another setup"));
	kd_error_destroy(err);

	assert_null(kd_rawdev_open(path, id, false, &fd, &limit));
	assert_int_equal(limit, IMG_SIZE - 4096);
	close(fd);
	static uint8_t now[65536], zero[65536];
	rfd = open(path, O_RDONLY);
	assert_int_equal(pread(rfd, now, sizeof(now), 0), (ssize_t)sizeof(now));
	close(rfd);
	assert_memory_equal(now, zero, sizeof(now));

	// A damaged stamp is no stamp to write onto.
	rfd = open(path, O_WRONLY);
	assert_int_equal(pwrite(rfd, "X", 1, IMG_SIZE - 4096 + 40), 1);
	close(rfd);
	err = kd_rawdev_open(path, id, false, &fd, &limit);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "stamp damaged"));
	kd_error_destroy(err);

	// Too small for a dump.
	image("tiny.img", 0, NULL, 0, path, sizeof(path));
	assert_int_equal(truncate(path, 16384), 0);
	err = kd_rawdev_prepare(path, false, true, id);
	assert_non_null(strstr(kd_error_message(err), "too small"));
	kd_error_destroy(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ext4),
		cmocka_unit_test(test_gpt),
		cmocka_unit_test(test_lvm2),
		cmocka_unit_test(test_luks),
		cmocka_unit_test(test_blank),
	};
	return kd_test_run(tests, setup, teardown);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// btrfs targets (lib/service/btrfs.c): the subvolume of a mount from the
// super options and root field mountinfo shows (fs/btrfs/super.c
// btrfs_show_options: "subvolid=256,subvol=/@rootfs"), and the mount data
// the capture passes to mount(2).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/service.h"

static void subvol_ok(const char *options, const char *root, const char *want_subvol,
		      const char *want_inside)
{
	char sv[256];
	const char *inside = NULL;
	struct kd_error *err = kd_btrfs_subvol(options, root, sv, sizeof(sv), &inside);
	if (err)
		fail_msg("%s / %s: %s", options, root, kd_error_message(err));
	assert_string_equal(sv, want_subvol);
	assert_string_equal(inside, want_inside);
}

static void subvol_bad(const char *options, const char *root, enum kd_error_code code,
		       const char *want)
{
	char sv[256] = "untouched";
	const char *inside = NULL;
	struct kd_error *err = kd_btrfs_subvol(options, root, sv, sizeof(sv), &inside);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), code);
	assert_string_equal(kd_error_message(err), want);
	assert_string_equal(sv, "untouched");
	kd_error_destroy(err);
}

static void test_subvol(void **state)
{
	(void)state;
	// Debian's installer: / in @rootfs.
	subvol_ok("rw,relatime,space_cache=v2,subvolid=256,subvol=/@rootfs", "/@rootfs",
		  "/@rootfs", "");
	// A bind mount of a folder inside the subvolume.
	subvol_ok("rw,subvolid=256,subvol=/@rootfs", "/@rootfs/var/crash", "/@rootfs",
		  "/var/crash");
	// The top level, mounted whole.
	subvol_ok("rw,subvolid=5,subvol=/", "/", "/", "");
	subvol_ok("rw,subvolid=5,subvol=/", "/@rootfs/var", "/", "/@rootfs/var");
	// Nested subvolumes; "subvol" as a prefix of another option's name.
	subvol_ok("subvolx=1,subvol=/a/b", "/a/b/c", "/a/b", "/c");
	// No subvol= (older kernels): the root is taken as the subvolume.
	subvol_ok("rw,relatime", "/@home", "/@home", "");
	// "/@rootfs2" is not inside "/@rootfs".
	subvol_bad("subvol=/@rootfs", "/@rootfs2", KD_ERROR_FORMAT,
		   "btrfs mount: its root /@rootfs2 is not in its subvolume /@rootfs");
	subvol_bad("subvol=@x", "/@x", KD_ERROR_FORMAT,
		   "btrfs mount: subvolume '@x' is not a path from the top level");
	subvol_bad("subvol=", "/", KD_ERROR_FORMAT,
		   "btrfs mount: subvolume '' is not a path from the top level");
	// mountinfo shows ',' and '=' escaped; unescaped they cannot be
	// passed back as a mount option.
	subvol_bad("rw", "/a=b", KD_ERROR_UNSUPPORTED,
		   "btrfs subvolume /a=b: a ',' or '=' in its name cannot be a mount option");
	char small[4];
	const char *inside;
	struct kd_error *err = kd_btrfs_subvol("subvol=/@rootfs", "/@rootfs", small,
					       sizeof(small), &inside);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
}

static void test_mount_data(void **state)
{
	(void)state;
	struct kd_blkdev_info devs[3] = { { .name = "vda" }, { .name = "vdb" },
					  { .name = "cciss!c0d0" } };
	char out[128];
	assert_null(kd_btrfs_mount_data("/@rootfs", devs, 1, out, sizeof(out)));
	assert_string_equal(out, "subvol=/@rootfs");
	assert_null(kd_btrfs_mount_data("", devs, 1, out, sizeof(out)));
	assert_string_equal(out, "");
	// Several devices: each named, '!' back to '/'.
	assert_null(kd_btrfs_mount_data("/", devs, 3, out, sizeof(out)));
	assert_string_equal(out, "subvol=/,device=/dev/vda,device=/dev/vdb,device=/dev/cciss/c0d0");
	assert_null(kd_btrfs_mount_data("", devs, 2, out, sizeof(out)));
	assert_string_equal(out, "device=/dev/vda,device=/dev/vdb");
	struct kd_error *err = kd_btrfs_mount_data("/@rootfs", devs, 3, out, 20);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
}

// Not btrfs: no mount data at all, nothing probed.
static void test_target_mount_data(void **state)
{
	(void)state;
	struct kd_target *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	kd_config_default(&t->config);
	strcpy(t->config.fstype, "ext4");
	strcpy(t->config.target, "UUID=00000000-0000-0000-0000-000000000001");
	char out[64] = "x";
	assert_null(kd_btrfs_target_mount_data(t, "/nonexistent", "/nonexistent", out, sizeof(out)));
	assert_string_equal(out, "");
	// btrfs whose devices are not there: NOTFOUND (the capture waits).
	strcpy(t->config.fstype, "btrfs");
	struct kd_error *err = kd_btrfs_target_mount_data(t, "/nonexistent", "/nonexistent", out,
							  sizeof(out));
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subvol),
		cmocka_unit_test(test_mount_data),
		cmocka_unit_test(test_target_mount_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

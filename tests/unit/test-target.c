// SPDX-License-Identifier: LGPL-2.1-or-later
// The dump target resolver (lib/service/target.c) on a fake machine: a
// mountinfo, a sysfs tree and device nodes that are image files holding
// ext4 superblocks. /var is its own filesystem, /srv/data a bind mount of
// a folder of it, /home a btrfs subvolume (sdb2 holds a btrfs superblock),
// /srv/share a bind mount of a folder in it, /tmp a tmpfs.
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
#include <unistd.h>

#include "service/service.h"
#include "synth.h"

// Test paths are short; truncation checks on every snprintf would only add noise.
#if defined(__GNUC__) && !defined(__clang__)	/* clang has no such warning */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static char tmpdir[64];
static char mi[128], sys[128], dev[128];
static struct kd_target_roots roots;

#define UUID_ROOT "11111111-2222-3333-4444-555555555555"
#define UUID_VAR "66666666-7777-8888-9999-aaaaaaaaaaaa"
#define UUID_BTRFS "bbbbbbbb-0000-1111-2222-333333333333"

// A 128 KiB image with a btrfs superblock at 64 KiB (fs/btrfs/disk-io.h
// struct btrfs_super_block: fsid at 0x20, magic at 0x40, num_devices at
// 0x88, label at 0x12b).
static void btrfs_image(const char *name, const char *uuid, unsigned ndevices)
{
	static uint8_t img[128 * 1024];
	memset(img, 0, sizeof(img));
	uint8_t *sb = img + 0x10000;
	for (int i = 0, j = 0; i < 16; i++, j += 2) {
		if (uuid[j] == '-')
			j++;
		unsigned v;
		sscanf(uuid + j, "%2x", &v);
		sb[0x20 + i] = (uint8_t)v;
	}
	memcpy(sb + 0x40, "_BHRfS_M", 8);
	kd_put_le64(sb + 0x88, ndevices);
	memcpy(sb + 0x12b, "homes", 5);
	char p[256];
	snprintf(p, sizeof(p), "%s/dev/%s", tmpdir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
	close(fd);
}

// An 8 KiB image with an ext4 superblock (fs/ext4/ext4.h: s_magic at 56,
// s_feature_incompat at 96 with extents (0x40), s_uuid at 104,
// s_volume_name at 120, in the superblock at byte 1024). @p uuid NULL: no
// filesystem at all.
static void image(const char *name, const char *uuid, const char *label)
{
	uint8_t img[8192] = { 0 };
	if (uuid) {
		uint8_t *sb = img + 1024;
		kd_put_le16(sb + 56, 0xEF53);
		kd_put_le32(sb + 96, 0x40);
		for (int i = 0, j = 0; i < 16; i++, j += 2) {
			if (uuid[j] == '-')
				j++;
			unsigned v;
			sscanf(uuid + j, "%2x", &v);
			sb[104 + i] = (uint8_t)v;
		}
		memcpy(sb + 120, label, strlen(label));
	}
	char p[256];
	snprintf(p, sizeof(p), "%s/dev/%s", tmpdir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
	close(fd);
}

// A block device in the fake sysfs: class/block/NAME/{dev,size} and the
// dev/block/MAJ:MIN link to it, as the kernel lays them out.
static void sysdev(const char *name, unsigned major, unsigned minor)
{
	char p[256], t[256], link[256];
	snprintf(p, sizeof(p), "sys/class/block/%s", name);
	kd_test_mkdirs(tmpdir, p);
	snprintf(t, sizeof(t), "%s/dev", p);
	snprintf(link, sizeof(link), "%u:%u\n", major, minor);
	kd_test_write_text(tmpdir, t, link);
	snprintf(t, sizeof(t), "%s/size", p);
	kd_test_write_text(tmpdir, t, "16\n");
	snprintf(link, sizeof(link), "%s/sys/dev/block/%u:%u", tmpdir, major, minor);
	snprintf(t, sizeof(t), "../../class/block/%s", name);
	assert_int_equal(symlink(t, link), 0);
}

static const char machine[] =
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
	"30 22 8:3 / /var rw,relatime shared:2 - ext4 /dev/sda3 rw\n"
	"31 22 0:40 /@home /home rw,relatime shared:3 - btrfs /dev/sdb2 rw,space_cache=v2,subvolid=257,subvol=/@home\n"
	"35 22 0:40 /@home/share /srv/share rw shared:3 - btrfs /dev/sdb2 rw,subvolid=257,subvol=/@home\n"
	"32 22 8:3 /srv-data /srv/data rw,relatime shared:2 - ext4 /dev/sda3 rw\n"
	"33 22 0:25 / /tmp rw,nosuid shared:4 - tmpfs tmpfs rw\n"
	"34 22 8:33 / /mnt/nofs rw - ext4 /dev/sdc1 rw\n";

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/kd-target-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(mi, sizeof(mi), "%s/mountinfo", tmpdir);
	snprintf(sys, sizeof(sys), "%s/sys", tmpdir);
	snprintf(dev, sizeof(dev), "%s/dev", tmpdir);
	roots = (struct kd_target_roots){ .mountinfo = mi, .sysfs = sys, .dev = dev };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *argv[] = { (char *)"rm", (char *)"-rf", (char *)"--", tmpdir, NULL };
	synth_run(argv, NULL, NULL);
	return 0;
}

static int fake_machine(void **state)
{
	(void)state;
	kd_test_mkdirs(tmpdir, "sys/dev/block");
	kd_test_mkdirs(tmpdir, "dev");
	sysdev("sda1", 8, 1);
	sysdev("sda3", 8, 3);
	sysdev("sdc1", 8, 33);
	sysdev("sdb2", 8, 18);
	btrfs_image("sdb2", UUID_BTRFS, 1);
	image("sda1", UUID_ROOT, "root");
	image("sda3", UUID_VAR, "var");
	image("sdc1", NULL, NULL);
	kd_test_write_text(tmpdir, "mountinfo", machine);
	return 0;
}

static struct kd_config config(const char *target, const char *path)
{
	struct kd_config cfg;
	kd_config_default(&cfg);
	snprintf(cfg.target, sizeof(cfg.target), "%s", target);
	snprintf(cfg.path, sizeof(cfg.path), "%s", path);
	snprintf(cfg.hostname, sizeof(cfg.hostname), "testhost");
	return cfg;
}

// The error of resolving @p cfg; checks its code and returns its message
// in a static buffer.
static const char *resolve_error(const struct kd_config *cfg, enum kd_error_code code)
{
	static char msg[512];
	struct kd_target t;
	struct kd_error *err = kd_target_resolve(cfg, &roots, &t);
	assert_non_null(err);
	snprintf(msg, sizeof(msg), "%s", kd_error_message(err));
	if (kd_error_code(err) != code)
		fail_msg("code %d, want %d: %s", kd_error_code(err), code, msg);
	kd_error_destroy(err);
	return msg;
}

// /var on its own filesystem: the capture kernel mounts sda3 alone, so the
// folder is /crash on it, not /var/crash.
static void test_var_own_fs(void **state)
{
	(void)state;
	struct kd_config cfg = config("", "/var/crash");
	struct kd_target t;
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.config.target, "UUID=" UUID_VAR);
	assert_int_equal(t.config.target_kind, KD_TARGET_FS);
	assert_string_equal(t.config.path, "/crash");
	assert_string_equal(t.config.fstype, "ext4");
	assert_string_equal(t.config.hostname, "testhost");
	assert_string_equal(t.dev.name, "sda3");
	assert_int_equal(t.dev.major, 8);
	assert_int_equal(t.dev.minor, 3);
	assert_string_equal(t.dev.uuid, UUID_VAR);
	assert_string_equal(t.dev.label, "var");
	assert_true(t.mounted);
	assert_string_equal(t.mountpoint, "/var");
	assert_string_equal(t.local_path, "/var/crash");
	// The rest of the config goes through untouched.
	assert_int_equal(t.config.dump_level, cfg.dump_level);
	// A path spelled with extra slashes, "." and ".." is the same folder.
	cfg = config("", "//var/./log/../crash/");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.config.path, "/crash");
	assert_string_equal(t.local_path, "/var/crash");
	// The mount point itself: the filesystem's root.
	cfg = config("", "/var");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.config.path, "/");
	// "/variable" is not under "/var": it is on the root filesystem.
	cfg = config("", "/variable/crash");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.dev.name, "sda1");
	assert_string_equal(t.config.target, "UUID=" UUID_ROOT);
	assert_string_equal(t.config.path, "/variable/crash");
	assert_string_equal(t.mountpoint, "/");
}

// A bind mount of a folder of sda3: mountinfo's root field says which.
static void test_bind_mount(void **state)
{
	(void)state;
	struct kd_config cfg = config("", "/srv/data/dumps");
	struct kd_target t;
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.dev.name, "sda3");
	assert_string_equal(t.config.path, "/srv-data/dumps");
	assert_string_equal(t.mountpoint, "/srv/data");
	assert_string_equal(t.local_path, "/srv/data/dumps");
	// Named by its device, the same folder is found through the bind
	// mount when the path is under its root, through /var otherwise.
	cfg = config("/dev/sda3", "/srv-data/dumps");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.config.target, "UUID=" UUID_VAR);
	assert_string_equal(t.local_path, "/var/srv-data/dumps");
	kd_test_write_text(tmpdir, "mountinfo",
	    "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
	    "32 22 8:3 /srv-data /srv/data rw - ext4 /dev/sda3 rw\n");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_true(t.mounted);
	assert_string_equal(t.local_path, "/srv/data/dumps");
	assert_string_equal(t.mountpoint, "/srv/data");
	cfg = config("/dev/sda3", "/crash");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_false(t.mounted);
	assert_string_equal(t.local_path, "");
	kd_test_write_text(tmpdir, "mountinfo", machine);
}

// No block device under the path: one line saying what and what to do.
static void test_no_block_device(void **state)
{
	(void)state;
	struct kd_config cfg = config("", "/tmp/dumps");
	assert_string_equal(resolve_error(&cfg, KD_ERROR_UNSUPPORTED),
			    "/tmp/dumps is on a tmpfs filesystem with no block device; "
			    "set 'target' in the config to a disk filesystem "
			    "(UUID=..., LABEL=... or /dev/NAME)");
	// A device without a filesystem the capture kernel can mount.
	cfg = config("", "/mnt/nofs/x");
	assert_string_equal(resolve_error(&cfg, KD_ERROR_UNSUPPORTED),
			    "/dev/sdc1 (holding /mnt/nofs/x): no filesystem found on it");
}

// A btrfs subvolume (Debian's installer: / in @rootfs): the filesystem by
// the UUID in its source's superblock, the subvolume from mountinfo, the
// folder inside that subvolume.
static void test_btrfs(void **state)
{
	(void)state;
	struct kd_config cfg = config("", "/home/crash");
	struct kd_target t;
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.config.target, "UUID=" UUID_BTRFS);
	assert_string_equal(t.config.subvol, "/@home");
	assert_string_equal(t.config.path, "/crash");
	assert_string_equal(t.config.fstype, "btrfs");
	assert_string_equal(t.dev.name, "sdb2");
	assert_string_equal(t.dev.label, "homes");
	assert_int_equal(t.dev.ndevices, 1);
	assert_true(t.mounted);
	assert_string_equal(t.mountpoint, "/home");
	assert_string_equal(t.local_path, "/home/crash");
	// Through the bind mount of a folder of the subvolume.
	cfg = config("", "/srv/share/dumps");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.config.subvol, "/@home");
	assert_string_equal(t.config.path, "/share/dumps");
	assert_string_equal(t.mountpoint, "/srv/share");
	// Named by UUID with its subvolume: found mounted here, through
	// the subvolume's mount rather than the bind mount of a folder.
	cfg = config("UUID=" UUID_BTRFS, "/crash");
	strcpy(cfg.subvol, "/@home");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_true(t.mounted);
	assert_string_equal(t.local_path, "/home/crash");
	assert_string_equal(t.config.subvol, "/@home");
	cfg = config("UUID=" UUID_BTRFS, "/share/x");
	strcpy(cfg.subvol, "/@home");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.local_path, "/home/share/x");
	// Another subvolume of it is not mounted here.
	cfg = config("UUID=" UUID_BTRFS, "/crash");
	strcpy(cfg.subvol, "/@other");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_false(t.mounted);
	// A filesystem over two devices with one present: the capture
	// waits (NOTFOUND) rather than mount it without "degraded".
	btrfs_image("sdb2", UUID_BTRFS, 2);
	cfg = config("UUID=" UUID_BTRFS, "/crash");
	assert_string_equal(resolve_error(&cfg, KD_ERROR_NOTFOUND),
			    "UUID=" UUID_BTRFS ": 1 of the 2 btrfs devices present");
	sysdev("sdd", 8, 48);
	btrfs_image("sdd", UUID_BTRFS, 2);
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	char data[128];
	assert_null(kd_btrfs_target_mount_data(&t, sys, dev, data, sizeof(data)));
	assert_string_equal(data, "device=/dev/sdb2,device=/dev/sdd");
	btrfs_image("sdd", UUID_ROOT, 1);
	btrfs_image("sdb2", UUID_BTRFS, 1);
	// The mount's source holds no btrfs.
	kd_test_write_text(tmpdir, "mountinfo",
	    "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
	    "31 22 0:40 /@home /home rw - btrfs /dev/sda3 rw,subvol=/@home\n"
	    "32 22 0:41 /@x /x rw - btrfs /dev/sdb2 rw,subvol=/@home\n"
	    "33 22 0:42 / /y rw - btrfs none rw\n");
	cfg = config("", "/home/crash");
	assert_string_equal(resolve_error(&cfg, KD_ERROR_FORMAT),
			    "/dev/sda3 (the source of the btrfs mount holding /home/crash) holds no btrfs filesystem");
	cfg = config("", "/x/crash");
	assert_string_equal(resolve_error(&cfg, KD_ERROR_FORMAT),
			    "/x (holding /x/crash): btrfs mount: its root /@x is not in its subvolume /@home");
	cfg = config("", "/y/crash");
	assert_string_equal(resolve_error(&cfg, KD_ERROR_UNSUPPORTED),
			    "the btrfs filesystem holding /y/crash: mount source 'none' is not a device");
	kd_test_write_text(tmpdir, "mountinfo", machine);
}

static void test_named(void **state)
{
	(void)state;
	struct kd_config cfg = config("UUID=" UUID_VAR, "/crash");
	struct kd_target t;
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.config.target, "UUID=" UUID_VAR);
	assert_string_equal(t.config.path, "/crash");
	assert_true(t.mounted);
	assert_string_equal(t.mountpoint, "/var");
	assert_string_equal(t.local_path, "/var/crash");
	// A label stays a label; a device name becomes the UUID.
	cfg = config("LABEL=var", "/crash");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.config.target, "LABEL=var");
	assert_string_equal(t.dev.name, "sda3");
	cfg = config("/dev/sda1", "/var/crash");
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.config.target, "UUID=" UUID_ROOT);
	assert_string_equal(t.local_path, "/var/crash");
	// The config's fstype must be what the device holds.
	cfg = config("UUID=" UUID_VAR, "/crash");
	strcpy(cfg.fstype, "xfs");
	assert_string_equal(resolve_error(&cfg, KD_ERROR_INVALID),
			    "target UUID=" UUID_VAR ": the config says fstype xfs but /dev/sda3 holds ext4");
	// Absent: NOTFOUND, which the capture init waits on.
	cfg = config("UUID=00000000-0000-0000-0000-000000000001", "/crash");
	assert_non_null(strstr(resolve_error(&cfg, KD_ERROR_NOTFOUND), "no such block device"));
	// A raw device: found, nothing mounted or checked.
	cfg = config("/dev/sdc1", "/");
	cfg.target_kind = KD_TARGET_RAW;
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_string_equal(t.dev.name, "sdc1");
	assert_false(t.mounted);
	assert_int_equal(t.config.target_kind, KD_TARGET_RAW);
	cfg = config("", "/crash");
	cfg.target_kind = KD_TARGET_RAW;
	resolve_error(&cfg, KD_ERROR_INVALID);
	cfg = config("", "crash");
	assert_string_equal(resolve_error(&cfg, KD_ERROR_INVALID), "path 'crash' is not absolute");
	// No hostname in the config: this machine's, never empty.
	cfg = config("", "/var/crash");
	cfg.hostname[0] = '\0';
	assert_null(kd_target_resolve(&cfg, &roots, &t));
	assert_true(t.config.hostname[0] != '\0');
}

static void test_join_and_folder(void **state)
{
	(void)state;
	char out[64];
	assert_null(kd_target_join("/mnt", "/crash", out, sizeof(out)));
	assert_string_equal(out, "/mnt/crash");
	assert_null(kd_target_join("/", "/crash", out, sizeof(out)));
	assert_string_equal(out, "/crash");
	assert_null(kd_target_join("/mnt", "/", out, sizeof(out)));
	assert_string_equal(out, "/mnt");
	assert_null(kd_target_join("/", "/", out, sizeof(out)));
	assert_string_equal(out, "/");
	char small[8];
	struct kd_error *err = kd_target_join("/mnt", "/crash", small, sizeof(small));
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);

	// The dump folder of a mounted target: made 0700 on request.
	struct kd_target t;
	memset(&t, 0, sizeof(t));
	t.mounted = true;
	snprintf(t.mountpoint, sizeof(t.mountpoint), "%s", tmpdir);
	snprintf(t.local_path, sizeof(t.local_path), "%s/dumps/crash", tmpdir);
	uint64_t free_bytes = 1;
	assert_null(kd_target_check_folder(&t, false, &free_bytes));
	struct stat st;
	assert_int_equal(stat(t.local_path, &st), -1);
	assert_null(kd_target_check_folder(&t, true, &free_bytes));
	assert_int_equal(stat(t.local_path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_true(free_bytes > 0);
	// A file where the folder should be.
	snprintf(t.local_path, sizeof(t.local_path), "%s/mountinfo", tmpdir);
	err = kd_target_check_folder(&t, true, NULL);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	// Not mounted here: nothing to check.
	t.mounted = false;
	assert_null(kd_target_check_folder(&t, true, &free_bytes));
	assert_int_equal(free_bytes, 0);
}

// setup's record of the chain, as status reads it back.
static void test_chain_state(void **state)
{
	(void)state;
	struct kd_target_chain_state st = { .checked_at = 1764590000, .n = 2 };
	snprintf(st.links[0].name, sizeof(st.links[0].name), "nfs://10.0.2.2:9/x");
	snprintf(st.links[0].error, sizeof(st.links[0].error), "refused\nsecond line");
	snprintf(st.links[1].name, sizeof(st.links[1].name), "UUID=1234");
	st.links[1].ok = true;
	char *text;
	assert_null(kd_target_chain_state_format(&st, &text));
	assert_non_null(strstr(text, "checked_at=1764590000\ntarget=nfs://10.0.2.2:9/x\nreachable=no\n"
				     "error=refused?second line\ntarget=UUID=1234\nreachable=yes\nerror=\n"));
	struct kd_target_chain_state back;
	assert_null(kd_target_chain_state_parse(text, strlen(text), &back));
	free(text);
	assert_int_equal(back.checked_at, 1764590000);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.links[0].name, "nfs://10.0.2.2:9/x");
	assert_false(back.links[0].ok);
	assert_string_equal(back.links[0].error, "refused?second line");
	assert_true(back.links[1].ok);
	// Hostile text: no '=', too many targets, a bad number.
	struct kd_error *err = kd_target_chain_state_parse("garbage\n", 8, &back);
	assert_string_equal(kd_error_message(err), "line 1: not a chain state line");
	kd_error_destroy(err);
	char many[1024] = "";
	for (int i = 0; i <= KD_CONFIG_MAX_TARGETS; i++)
		strcat(many, "target=x\n");
	err = kd_target_chain_state_parse(many, strlen(many), &back);
	assert_non_null(err);
	kd_error_destroy(err);
	err = kd_target_chain_state_parse("checked_at=12x\n", 15, &back);
	assert_non_null(err);
	kd_error_destroy(err);
	err = kd_target_chain_state_read("/nonexistent/chain", &back);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_var_own_fs, fake_machine),
		cmocka_unit_test(test_bind_mount),
		cmocka_unit_test(test_no_block_device),
		cmocka_unit_test(test_btrfs),
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_join_and_folder),
		cmocka_unit_test(test_chain_state),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

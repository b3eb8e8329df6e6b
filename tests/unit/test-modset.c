// SPDX-License-Identifier: LGPL-2.1-or-later
// kd_modset_*: module resolution on a small synthetic module tree (names,
// aliases, soft dependencies, built-ins, order), the driver chain of a
// fake sysfs laid out like QEMU's virtio-blk-pci, and the real cached
// Debian module trees checked against kmod's `modprobe --show-depends`.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

// ------------------------------------------------------------- helpers

static size_t index_of(const struct kd_modset *set, const char *name)
{
	for (size_t i = 0; i < kd_modset_count(set); i++) {
		const char *n;
		kd_modset_get(set, i, &n, NULL);
		if (!strcmp(n, name))
			return i;
	}
	return SIZE_MAX;
}

static void assert_before(const struct kd_modset *set, const char *a, const char *b)
{
	size_t ia = index_of(set, a), ib = index_of(set, b);
	if (ia == SIZE_MAX || ib == SIZE_MAX || ia >= ib)
		fail_msg("expected %s (%zu) before %s (%zu)", a, ia, b, ib);
}

// ------------------------------------------------- synthetic module tree

struct tree {
	char dir[64];
};

static int tree_setup(void **state)
{
	static struct tree t;
	snprintf(t.dir, sizeof(t.dir), "/tmp/kd-test-modules.XXXXXX");
	if (!mkdtemp(t.dir))
		return -1;
	// fs.ko.xz needs lib-a and lib-b (closure listed load-last-first as
	// depmod writes it); lib_b needs lib-a; ext-one is spelled with '-'.
	kd_test_write_text(t.dir, "modules.dep",
		   "kernel/fs/myfs.ko.xz: kernel/lib/lib_b.ko kernel/lib/lib-a.ko.zst\n"
		   "kernel/lib/lib_b.ko: kernel/lib/lib-a.ko.zst\n"
		   "kernel/lib/lib-a.ko.zst:\n"
		   "kernel/crypto/crc_generic.ko:\n"
		   "kernel/arch/crc-fast.ko:\n"
		   "kernel/drivers/blk.ko: kernel/drivers/bus.ko\n"
		   "kernel/drivers/bus.ko:\n"
		   "kernel/drivers/pcibus.ko: kernel/drivers/bus.ko\n"
		   "kernel/loop/a.ko:\n"
		   "kernel/loop/b.ko:\n");
	kd_test_write_text(t.dir, "modules.softdep",
		   "# Soft dependencies extracted from modules themselves.\n"
		   "softdep myfs pre: crypto-crc post: lib_b\n"
		   "softdep a pre: b\n"
		   "softdep b pre: a\n"
		   "softdep blk pre: no-such-thing\n");
	kd_test_write_text(t.dir, "modules.alias",
		   "# Aliases extracted from modules themselves.\n"
		   "alias crypto-crc crc_generic\n"
		   "alias crypto-crc crc_fast\n"
		   "alias fs-myfs myfs\n"
		   "alias virtio:d00000002v* blk\n"
		   "alias pci:v00001AF4d*sv*sd*bc*sc*i* pcibus\n");
	kd_test_write_text(t.dir, "modules.builtin",
		   "kernel/fs/builtin-fs.ko\nkernel/drivers/ahci.ko\n");
	static const char modinfo[] = "builtin_fs.alias=fs-bfs\0ahci.license=GPL\0";
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/modules.builtin.modinfo", t.dir);
	FILE *f = fopen(path, "w");
	fwrite(modinfo, 1, sizeof(modinfo) - 1, f);
	fclose(f);
	*state = &t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	kd_test_rm_rf(t->dir);
	return 0;
}

static struct kd_modset *open_set(const char *dir)
{
	struct kd_modset *set = NULL;
	struct kd_error *err = kd_modset_open(dir, &set);
	if (err)
		fail_msg("%s", kd_error_message(err));
	return set;
}

static void test_order_and_softdeps(void **state)
{
	struct tree *t = *state;
	struct kd_modset *set = open_set(t->dir);
	assert_null(kd_modset_add(set, "myfs"));
	// lib-a, lib_b, both providers of crypto-crc, myfs: 5, no duplicates
	// although lib_b is a dependency and a post soft dependency.
	assert_int_equal(kd_modset_count(set), 5);
	assert_before(set, "lib_a", "lib_b");
	assert_before(set, "lib_b", "myfs");
	assert_before(set, "crc_generic", "myfs");
	assert_before(set, "crc_fast", "myfs");
	const char *name, *path;
	kd_modset_get(set, index_of(set, "lib_a"), &name, &path);
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "%s/kernel/lib/lib-a.ko.zst", t->dir);
	assert_string_equal(path, want);
	// Adding again, by alias or by the other spelling, adds nothing.
	assert_null(kd_modset_add(set, "fs-myfs"));
	assert_null(kd_modset_add(set, "lib-b"));
	assert_int_equal(kd_modset_count(set), 5);
	kd_modset_close(set);
}

static void test_names(void **state)
{
	struct tree *t = *state;
	struct kd_modset *set = open_set(t->dir);
	// Built-in by name (either spelling) or by a built-in alias: no-ops.
	assert_null(kd_modset_add(set, "builtin_fs"));
	assert_null(kd_modset_add(set, "builtin-fs"));
	assert_null(kd_modset_add(set, "fs-bfs"));
	assert_null(kd_modset_add_fs(set, "bfs"));
	assert_int_equal(kd_modset_count(set), 0);
	struct kd_error *err = kd_modset_add(set, "nothing-here");
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_non_null(strstr(kd_error_message(err), "nothing-here"));
	kd_error_destroy(err);
	err = kd_modset_add_fs(set, "nofs");
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	err = kd_modset_add_fs(set, "../x");
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	// A soft-dependency cycle terminates; a missing soft dependency is
	// skipped, as modprobe skips it.
	assert_null(kd_modset_add(set, "a"));
	assert_int_equal(kd_modset_count(set), 2);
	assert_null(kd_modset_add(set, "blk"));
	assert_int_equal(kd_modset_count(set), 4);
	assert_before(set, "bus", "blk");
	// A glob alias.
	assert_null(kd_modset_add(set, "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00"));
	assert_int_equal(kd_modset_count(set), 5);
	assert_int_equal(index_of(set, "pcibus"), 4);
	kd_modset_close(set);

	err = kd_modset_open("/nonexistent-moddir", &set);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "modules.dep"));
	kd_error_destroy(err);
}

// --------------------------------------------------------- fake sysfs

static void symlink_at(const char *target, const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (symlink(target, path))
		fail_msg("symlink %s: %s", path, strerror(errno));
}

// QEMU's virtio-blk-pci disk as sysfs shows it:
//   devices/pci0000:00/0000:00:04.0          driver -> virtio-pci (module virtio_pci)
//   devices/pci0000:00/0000:00:04.0/virtio1  driver -> virtio_blk (module virtio_blk)
//   .../virtio1/block/vda, .../vda/vda1      class/block/vda1 -> there
static void make_sysfs(const char *root, bool with_drivers)
{
	char pci[PATH_MAX], virtio[PATH_MAX], vda1[PATH_MAX], d[PATH_MAX];
	snprintf(pci, sizeof(pci), "%s/devices/pci0000:00/0000:00:04.0", root);
	snprintf(virtio, sizeof(virtio), "%s/virtio1", pci);
	snprintf(vda1, sizeof(vda1), "%s/block/vda/vda1", virtio);
	kd_test_mkdirs(NULL, vda1);
	snprintf(d, sizeof(d), "%s/class/block", root);
	kd_test_mkdirs(NULL, d);
	snprintf(d, sizeof(d), "%s/module/virtio_blk", root);
	kd_test_mkdirs(NULL, d);
	snprintf(d, sizeof(d), "%s/module/virtio_pci", root);
	kd_test_mkdirs(NULL, d);
	snprintf(d, sizeof(d), "%s/bus/virtio/drivers/virtio_blk", root);
	kd_test_mkdirs(NULL, d);
	symlink_at("../../../../module/virtio_blk", d, "module");
	snprintf(d, sizeof(d), "%s/bus/pci/drivers/virtio-pci", root);
	kd_test_mkdirs(NULL, d);
	symlink_at("../../../../module/virtio_pci", d, "module");
	snprintf(d, sizeof(d), "%s/class/block", root);
	symlink_at("../../devices/pci0000:00/0000:00:04.0/virtio1/block/vda", d, "vda");
	symlink_at("../../devices/pci0000:00/0000:00:04.0/virtio1/block/vda/vda1", d, "vda1");
	kd_test_write_text(vda1, "partition", "1\n");
	kd_test_write_text(vda1, "dev", "254:1\n");
	kd_test_write_text(vda1, "size", "16384\n");
	kd_test_write_text(pci, "modalias", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n");
	kd_test_write_text(virtio, "modalias", "virtio:d00000002v00001AF4\n");
	if (with_drivers) {
		symlink_at("../../../bus/pci/drivers/virtio-pci", pci, "driver");
		symlink_at("../../../../bus/virtio/drivers/virtio_blk", virtio, "driver");
	}
}

// A moddir holding the virtio modules as Debian 6.1 builds them.
static void make_virtio_moddir(const char *dir)
{
	kd_test_mkdirs(NULL, dir);
	kd_test_write_text(dir, "modules.dep",
		   "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
		   "kernel/drivers/virtio/virtio.ko:\n"
		   "kernel/drivers/virtio/virtio_ring.ko:\n"
		   "kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
		   "kernel/drivers/virtio/virtio_pci_legacy_dev.ko:\n"
		   "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
		   "kernel/drivers/scsi/other_pci.ko:\n"
		   "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko\n"
		   "kernel/fs/jbd2/jbd2.ko:\n"
		   "kernel/drivers/md/dm-mod.ko:\n");
	kd_test_write_text(dir, "modules.alias",
		   "alias fs-ext4 ext4\n"
		   "alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n"
		   "alias virtio:d00000002v* virtio_blk\n"
		   "alias pci:v00008086d*sv*sd*bc01sc06i* other_pci\n");
}

static void check_virtio_chain(const struct kd_modset *set)
{
	assert_int_equal(kd_modset_count(set), 6);
	assert_before(set, "virtio_ring", "virtio_blk");
	assert_before(set, "virtio", "virtio_blk");
	assert_before(set, "virtio_pci_modern_dev", "virtio_pci");
	assert_before(set, "virtio_pci_legacy_dev", "virtio_pci");
	assert_before(set, "virtio", "virtio_pci");
	assert_int_equal(index_of(set, "other_pci"), SIZE_MAX);
}

static void test_blockdev(void **state)
{
	struct tree *t = *state;
	char sysfs[PATH_MAX], moddir[PATH_MAX];
	snprintf(moddir, sizeof(moddir), "%s/virtio-moddir", t->dir);
	make_virtio_moddir(moddir);
	for (int drivers = 1; drivers >= 0; drivers--) {
		// Bound drivers (driver/module links), then unbound devices
		// resolved through their modalias.
		snprintf(sysfs, sizeof(sysfs), "%s/sys%d", t->dir, drivers);
		make_sysfs(sysfs, drivers);
		struct kd_modset *set = open_set(moddir);
		struct kd_error *err = kd_modset_add_blockdev(set, "vda1", sysfs);
		if (err)
			fail_msg("%s", kd_error_message(err));
		check_virtio_chain(set);
		// The whole disk gives the same chain.
		assert_null(kd_modset_add_blockdev(set, "vda", sysfs));
		assert_int_equal(kd_modset_count(set), 6);
		kd_modset_close(set);
	}
	struct kd_modset *set = open_set(moddir);
	struct kd_error *err = kd_modset_add_blockdev(set, "sdz", sysfs);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "class/block/sdz"));
	kd_error_destroy(err);
	err = kd_modset_add_blockdev(set, "../vda", sysfs);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	kd_modset_close(set);
	// A bound driver whose module the tree lacks is an error that names it.
	set = open_set(t->dir);
	snprintf(sysfs, sizeof(sysfs), "%s/sys1", t->dir);
	err = kd_modset_add_blockdev(set, "vda1", sysfs);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "virtio_blk"));
	kd_error_destroy(err);
	kd_modset_close(set);
}

// A device-mapper device (an LVM logical volume) over vda1: it sits under
// devices/virtual/block with a "dm" folder (drivers/md/dm-sysfs.c) and its
// underlying devices in "slaves" (block/holder.c).
static void test_stacked(void **state)
{
	struct tree *t = *state;
	char sysfs[PATH_MAX], moddir[PATH_MAX], d[PATH_MAX];
	snprintf(moddir, sizeof(moddir), "%s/virtio-moddir", t->dir);
	make_virtio_moddir(moddir);
	snprintf(sysfs, sizeof(sysfs), "%s/sys-dm", t->dir);
	make_sysfs(sysfs, true);
	snprintf(d, sizeof(d), "%s/devices/virtual/block/dm-0/dm", sysfs);
	kd_test_mkdirs(NULL, d);
	snprintf(d, sizeof(d), "%s/devices/virtual/block/dm-0/slaves", sysfs);
	kd_test_mkdirs(NULL, d);
	symlink_at("../../../../pci0000:00/0000:00:04.0/virtio1/block/vda/vda1", d, "vda1");
	snprintf(d, sizeof(d), "%s/class/block", sysfs);
	symlink_at("../../devices/virtual/block/dm-0", d, "dm-0");
	struct kd_modset *set = open_set(moddir);
	struct kd_error *err = kd_modset_add_blockdev(set, "dm-0", sysfs);
	if (err)
		fail_msg("%s", kd_error_message(err));
	assert_int_equal(kd_modset_count(set), 7);
	assert_int_not_equal(index_of(set, "dm_mod"), SIZE_MAX);
	assert_int_not_equal(index_of(set, "virtio_blk"), SIZE_MAX);
	kd_modset_close(set);
	// A device that is its own slave (a loop in a damaged tree) ends.
	snprintf(d, sizeof(d), "%s/devices/virtual/block/dm-0/slaves", sysfs);
	symlink_at("../../dm-0", d, "dm-0");
	set = open_set(moddir);
	err = kd_modset_add_blockdev(set, "dm-0", sysfs);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_UNSUPPORTED);
	assert_non_null(strstr(kd_error_message(err), "stacked more than 8 deep"));
	kd_error_destroy(err);
	kd_modset_close(set);
}

// QEMU's virtio-net-pci NIC as sysfs shows it: class/net/eth0 ->
// devices/pci0000:00/0000:00:03.0/virtio0/net/eth0, the virtio device bound
// to virtio_net, whose modules.dep brings net_failover and failover; and a
// virtual interface (veth), which has no driver chain.
static void test_netdev(void **state)
{
	struct tree *t = *state;
	char sysfs[PATH_MAX], moddir[PATH_MAX], d[PATH_MAX], pci[PATH_MAX], virtio[PATH_MAX];
	snprintf(moddir, sizeof(moddir), "%s/net-moddir", t->dir);
	kd_test_mkdirs(NULL, moddir);
	kd_test_write_text(moddir, "modules.dep",
		   "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko\n"
		   "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n"
		   "kernel/net/core/failover.ko:\n"
		   "kernel/drivers/virtio/virtio_pci.ko:\n");
	kd_test_write_text(moddir, "modules.alias", "alias virtio:d00000001v* virtio_net\n");
	snprintf(sysfs, sizeof(sysfs), "%s/netsys", t->dir);
	snprintf(pci, sizeof(pci), "%s/devices/pci0000:00/0000:00:03.0", sysfs);
	snprintf(virtio, sizeof(virtio), "%s/virtio0", pci);
	snprintf(d, sizeof(d), "%s/net/eth0", virtio);
	kd_test_mkdirs(NULL, d);
	snprintf(d, sizeof(d), "%s/devices/virtual/net/veth0", sysfs);
	kd_test_mkdirs(NULL, d);
	snprintf(d, sizeof(d), "%s/module/virtio_net", sysfs);
	kd_test_mkdirs(NULL, d);
	snprintf(d, sizeof(d), "%s/bus/virtio/drivers/virtio_net", sysfs);
	kd_test_mkdirs(NULL, d);
	symlink_at("../../../../module/virtio_net", d, "module");
	symlink_at("../../../../bus/virtio/drivers/virtio_net", virtio, "driver");
	// virtio-pci built in: a driver without a module link.
	snprintf(d, sizeof(d), "%s/bus/pci/drivers/virtio-pci", sysfs);
	kd_test_mkdirs(NULL, d);
	symlink_at("../../../bus/pci/drivers/virtio-pci", pci, "driver");
	snprintf(d, sizeof(d), "%s/class/net", sysfs);
	kd_test_mkdirs(NULL, d);
	symlink_at("../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth0", d, "eth0");
	symlink_at("../../devices/virtual/net/veth0", d, "veth0");

	struct kd_modset *set = open_set(moddir);
	struct kd_error *err = kd_modset_add_netdev(set, "eth0", sysfs);
	if (err)
		fail_msg("%s", kd_error_message(err));
	assert_int_equal(kd_modset_count(set), 3);
	assert_before(set, "failover", "net_failover");
	assert_before(set, "net_failover", "virtio_net");
	assert_null(kd_modset_add_netdev(set, "veth0", sysfs));
	assert_int_equal(kd_modset_count(set), 3);
	err = kd_modset_add_netdev(set, "eth9", sysfs);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_non_null(strstr(kd_error_message(err), "no network interface eth9"));
	kd_error_destroy(err);
	err = kd_modset_add_netdev(set, "..", sysfs);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	kd_modset_close(set);
}

// The target of a config: found by UUID through the fake sysfs and an
// ext4 image standing for /dev/vda1 (made by mke2fs), then its driver
// chain, its filesystem's modules and the config's extra modules.
static void test_target(void **state)
{
	struct tree *t = *state;
	char sysfs[PATH_MAX], moddir[PATH_MAX], dev[PATH_MAX], img[PATH_MAX];
	snprintf(moddir, sizeof(moddir), "%s/virtio-moddir", t->dir);
	snprintf(sysfs, sizeof(sysfs), "%s/sys1", t->dir);
	snprintf(dev, sizeof(dev), "%s/dev", t->dir);
	snprintf(img, sizeof(img), "%s/vda1", dev);
	kd_test_mkdirs(NULL, dev);
	int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 << 20), 0);
	close(fd);
	char *argv[] = { (char *)"mke2fs", (char *)"-q", (char *)"-F", (char *)"-t",
			 (char *)"ext4", img, NULL };
	char *out = synth_run_output(argv, NULL);
	if (!out)
		kd_test_skip("mke2fs could not be run (e2fsprogs)");
	free(out);
	struct kd_blkdev_info info;
	assert_null(kd_blkdev_probe(img, &info));
	struct kd_config cfg;
	kd_config_default(&cfg);
	snprintf(cfg.target, sizeof(cfg.target), "UUID=%s", info.uuid);
	snprintf(cfg.modules[cfg.nmodules++], sizeof(cfg.modules[0]), "other-pci");

	struct kd_modset *set = open_set(moddir);
	struct kd_error *err = kd_modset_add_target(set, &cfg, sysfs, dev);
	if (err)
		fail_msg("%s", kd_error_message(err));
	assert_int_equal(kd_modset_count(set), 9);	// 6 virtio, jbd2, ext4, other_pci
	assert_before(set, "jbd2", "ext4");
	assert_before(set, "virtio_blk", "other_pci");
	assert_before(set, "virtio_pci", "other_pci");
	kd_modset_close(set);

	// A raw target needs no filesystem; an unknown extra module fails.
	cfg.target_kind = KD_TARGET_RAW;
	snprintf(cfg.modules[0], sizeof(cfg.modules[0]), "no-such-module");
	set = open_set(moddir);
	err = kd_modset_add_target(set, &cfg, sysfs, dev);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "no-such-module"));
	kd_error_destroy(err);
	assert_int_equal(index_of(set, "ext4"), SIZE_MAX);
	kd_modset_close(set);

	// A target that is not there says so.
	snprintf(cfg.target, sizeof(cfg.target), "UUID=00000000-0000-0000-0000-000000000000");
	set = open_set(moddir);
	err = kd_modset_add_target(set, &cfg, sysfs, dev);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	kd_modset_close(set);
}

// ----------------------------------------------- real Debian module trees

// btrfs last: modprobe takes only the first "softdep btrfs" line of
// modules.softdep (kmod_module_get_softdeps() stops at the first match) and
// so leaves out sha256 and xxhash64, which btrfs filesystems made with
// those checksums need; kd_modset takes every line, a superset.
static const char *const real_modules[] = { "ext4", "virtio_blk", "virtio_pci", "xfs",
					    "vfat", "fs-ext4", "crypto-crc32c", "btrfs",
					    "virtio_net", "e1000e", "igb" };

// The cached kernels ship no depmod output: run depmod once into a tree
// under /tmp that links the cached modules (kept for later runs).
static bool prepare_tree(const char *release, char *root, size_t rootlen)
{
	char kdir[PATH_MAX], cache[PATH_MAX + 300], path[PATH_MAX * 2];
	kd_test_kernel_dir(kdir, sizeof(kdir), release);
	snprintf(cache, sizeof(cache), "%s/lib/modules/%s", kdir, release);
	snprintf(path, sizeof(path), "%s/modules.builtin", cache);
	if (access(path, R_OK))
		fail_msg("cached kernel %s has no %s", release, path);
	snprintf(root, rootlen, "/tmp/kd-test-depmod-%u-%s", (unsigned)getuid(), release);
	snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.dep", root, release);
	if (!access(path, R_OK))
		return true;
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", root);
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/lib/modules/%s", tmp, release);
	kd_test_mkdirs(NULL, path);
	char target[PATH_MAX * 2];
	snprintf(target, sizeof(target), "%s/kernel", cache);
	symlink_at(target, path, "kernel");
	static const char *const files[] = { "modules.builtin", "modules.order",
					     "modules.builtin.modinfo" };
	for (size_t i = 0; i < KD_ARRAY_SIZE(files); i++) {
		snprintf(target, sizeof(target), "%s/%s", cache, files[i]);
		char *argv[] = { (char *)"cp", target, path, NULL };
		char *out = synth_run_output(argv, NULL);
		free(out);
	}
	char *argv[] = { (char *)"depmod", (char *)"-b", tmp, (char *)release, NULL };
	char *out = synth_run_output(argv, NULL);
	if (!out) {
		kd_test_rm_rf(tmp);
		fail_msg("depmod -b %s %s failed", tmp, release);
	}
	free(out);
	if (rename(tmp, root))
		kd_test_rm_rf(tmp);	// another run made it first
	return true;
}

// Does modules.dep (as kd_modset reads it) put every dependency of each
// module before it? Checked against modprobe's own file, independently.
static void check_dep_order(const struct kd_modset *set, const char *moddir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/modules.dep", moddir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0;
	size_t n = kd_modset_count(set);
	size_t checked = 0;
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');
		*colon = '\0';
		char full[PATH_MAX];
		snprintf(full, sizeof(full), "%s/%s", moddir, line);
		size_t pos = SIZE_MAX;
		for (size_t i = 0; i < n; i++) {
			const char *p;
			kd_modset_get(set, i, NULL, &p);
			if (!strcmp(p, full))
				pos = i;
		}
		if (pos == SIZE_MAX)
			continue;
		checked++;
		char *save = NULL;
		for (char *dep = strtok_r(colon + 1, " \n", &save); dep;
		     dep = strtok_r(NULL, " \n", &save)) {
			snprintf(full, sizeof(full), "%s/%s", moddir, dep);
			size_t dpos = SIZE_MAX;
			for (size_t i = 0; i < n; i++) {
				const char *p;
				kd_modset_get(set, i, NULL, &p);
				if (!strcmp(p, full))
					dpos = i;
			}
			if (dpos >= pos)
				fail_msg("%s loaded at %zu, its dependency %s at %zu", line,
					 pos, dep, dpos);
		}
	}
	free(line);
	fclose(f);
	assert_int_equal(checked, n);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_real_trees(void **state)
{
	(void)state;
	size_t done = 0;
	// Every kernel tests/vm/kernel.sh cached (bookworm's and trixie's).
	char kernels[8][128];
	size_t nkernels = kd_test_kernels(kernels, 8);
	if (!nkernels)
		kd_test_skip("no cached Debian kernel (tests/vm/kernel.sh bookworm|trixie)");
	for (size_t k = 0; k < nkernels; k++) {
		char root[PATH_MAX], moddir[PATH_MAX];
		assert_true(prepare_tree(kernels[k], root, sizeof(root)));
		snprintf(moddir, sizeof(moddir), "%s/lib/modules/%s", root, kernels[k]);
		for (size_t m = 0; m < KD_ARRAY_SIZE(real_modules); m++) {
			char *argv[] = { (char *)"modprobe", (char *)"--show-depends", (char *)"-S", (char *)kernels[k],
					 (char *)"-d", root, (char *)real_modules[m], NULL };
			char *out = synth_run_output(argv, NULL);
			assert_non_null(out);
			// modprobe's set: the paths of its "insmod PATH" lines.
			char *want[64];
			size_t nwant = 0;
			char *save = NULL;
			for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
				if (strncmp(l, "insmod ", 7))
					continue;
				char *p = l + 7;
				p[strcspn(p, " ")] = '\0';
				assert_true(nwant < 64);
				want[nwant++] = p;
			}
			struct kd_modset *set = open_set(moddir);
			struct kd_error *err = kd_modset_add(set, real_modules[m]);
			if (err)
				fail_msg("%s %s: %s", kernels[k], real_modules[m],
					 kd_error_message(err));
			size_t n = kd_modset_count(set);
			char *got[64];
			assert_true(n <= 64);
			for (size_t i = 0; i < n; i++) {
				const char *p;
				kd_modset_get(set, i, NULL, &p);
				got[i] = (char *)p;
			}
			qsort(want, nwant, sizeof(char *), cmp_strp);
			qsort(got, n, sizeof(char *), cmp_strp);
			bool superset = !strcmp(real_modules[m], "btrfs");
			if (superset ? n < nwant : n != nwant)
				fail_msg("%s %s: %zu modules, modprobe says %zu", kernels[k],
					 real_modules[m], n, nwant);
			for (size_t i = 0, j = 0; i < nwant; i++, j++) {
				while (superset && j < n && strcmp(got[j], want[i]) < 0)
					j++;
				if (j == n || strcmp(got[j], want[i]))
					fail_msg("%s %s: modprobe loads %s, kd_modset does not",
						 kernels[k], real_modules[m], want[i]);
			}
			if (superset) {
				assert_int_not_equal(index_of(set, "xxhash_generic"), SIZE_MAX);
				assert_before(set, "xxhash_generic", "btrfs");
				assert_before(set, "blake2b_generic", "btrfs");
			}
			check_dep_order(set, moddir);
			// ext4's crc32c (a soft dependency through an alias) comes first.
			if (!strcmp(real_modules[m], "ext4")) {
				assert_before(set, "crc32c_generic", "ext4");
				assert_before(set, "crc32c_generic", "jbd2");
			}
			kd_modset_close(set);
			free(out);
			done++;
		}
		// vfat's default code page and charset come with it.
		struct kd_modset *set = open_set(moddir);
		assert_null(kd_modset_add_fs(set, "vfat"));
		assert_before(set, "fat", "vfat");
		assert_int_not_equal(index_of(set, "nls_cp437"), SIZE_MAX);
		assert_int_not_equal(index_of(set, "nls_ascii"), SIZE_MAX);
		kd_modset_close(set);
	}
	assert_true(done > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_softdeps),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_blockdev),
		cmocka_unit_test(test_stacked),
		cmocka_unit_test(test_netdev),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_real_trees),
	};
	return kd_test_run(tests, tree_setup, tree_teardown);
}

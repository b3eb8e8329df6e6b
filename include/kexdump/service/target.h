/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file target.h
 * Where dumps go: the one resolver of the config's target that
 * `kexdump setup`, `initramfs`, `status`, `list` and the capture init all
 * use, so that what the capture initramfs is told and what the commands
 * show agree. Part of libkexdump-service; included by service.h.
 */
#ifndef KEXDUMP_SERVICE_TARGET_H
#define KEXDUMP_SERVICE_TARGET_H

#include <kexdump/service/config.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kd_error;

/** Longest path the resolver handles (PATH_MAX on Linux). */
#define KD_TARGET_PATH_MAX 4096

/**
 * Where the resolver looks; each NULL means the live system. Tests point
 * them at fake trees, as kd_blkdev_find() does.
 */
struct kd_target_roots {
	const char *mountinfo;	/**< NULL = /proc/self/mountinfo */
	const char *sysfs;	/**< NULL = /sys */
	const char *dev;	/**< NULL = /dev */
};

/** A resolved target. */
struct kd_target {
	/**
	 * The config the capture init gets: the target named by UUID (a
	 * /dev/NAME can change between boots), path the dump folder inside
	 * that filesystem (relative to its root, bind mounts and subvolume
	 * roots from mountinfo taken into account), fstype the probed one,
	 * hostname this machine's when the config names none.
	 */
	struct kd_config config;
	struct kd_blkdev_info dev;	/**< the device: name, major:minor, uuid, label, fstype */
	bool mounted;			/**< the dump folder is reachable here */
	char mountpoint[KD_TARGET_PATH_MAX];	/**< of the mount holding it, "" if not mounted */
	char local_path[KD_TARGET_PATH_MAX];	/**< the dump folder here, "" if not mounted */
};

/**
 * Resolve @p cfg's target (@p roots NULL = the live system). With a target
 * (UUID=, LABEL=, /dev/NAME) cfg->path is inside that filesystem; without
 * one it is a path on this machine and the target is the block device of
 * the filesystem holding it (or its nearest existing parent). A filesystem
 * target must hold a filesystem the capture kernel can mount (ext2/3/4,
 * xfs, btrfs, vfat), matching cfg->fstype when set. KD_ERROR_NOTFOUND when
 * the named device is absent (the capture init waits for it); errors are
 * one line saying what to change.
 */
struct kd_error *kd_target_resolve(const struct kd_config *cfg,
				   const struct kd_target_roots *roots,
				   struct kd_target *ret);

/**
 * The dump folder @p path (inside the filesystem) when that filesystem's
 * root is mounted at @p mountpoint: "/mnt" + "/crash" = "/mnt/crash",
 * "/" + "/crash" = "/crash".
 */
struct kd_error *kd_target_join(const char *mountpoint, const char *path, char *out,
				size_t outlen);

/**
 * Check the dump folder of a mounted target: a folder (made 0700 with its
 * parents when @p create), on a writable filesystem. @p free_ret (may be
 * NULL) gets the bytes free there, 0 if unknown. Nothing to check (NULL)
 * when the target is not mounted here or is a raw device.
 */
struct kd_error *kd_target_check_folder(const struct kd_target *t, bool create,
					uint64_t *free_ret);

/* ------------------------------------------- btrfs (lib/service/btrfs.c) */

/**
 * The subvolume of a btrfs mount from its mountinfo super @p options
 * ("subvol=/@rootfs") and @p root field (its folder from the top level):
 * @p subvol gets the subvolume's path ("/@rootfs", "/" for the top level),
 * @p inside_ret the rest of @p root inside it ("" or "/..."; points into
 * @p root). KD_ERROR_FORMAT when they disagree.
 */
struct kd_error *kd_btrfs_subvol(const char *options, const char *root, char *subvol,
				 size_t subvol_len, const char **inside_ret);
/**
 * The devices of the filesystem @p spec names (kd_blkdev_find_all): for
 * btrfs all its num_devices members, KD_ERROR_NOTFOUND while some are
 * missing; for others the devices with that name.
 */
struct kd_error *kd_btrfs_members(const char *spec, const char *sysfs_root,
				  const char *dev_root, struct kd_blkdev_info *out,
				  size_t max, size_t *nret);
/**
 * The mount(2) data for a btrfs target: "subvol=@p subvol" (none when ""),
 * and "device=/dev/NAME" for each of the @p n devices when there are
 * several.
 */
struct kd_error *kd_btrfs_mount_data(const char *subvol, const struct kd_blkdev_info *devs,
				     size_t n, char *out, size_t outlen);
/**
 * The mount(2) data of the resolved target @p t: "" unless it is btrfs,
 * else kd_btrfs_mount_data() of its subvolume and members (found again
 * under @p sysfs_root, @p dev_root; NULL = the live system).
 */
struct kd_error *kd_btrfs_target_mount_data(const struct kd_target *t, const char *sysfs_root,
					    const char *dev_root, char *out, size_t outlen);

/* ------------------------------------- device-mapper (lib/service/dm.c) */

/**
 * Is block device @p devname ("dm-0") a device-mapper device (@p sysfs_root
 * NULL = /sys)?
 */
bool kd_dm_is_dm(const char *devname, const char *sysfs_root);
/**
 * Record into @p cfg->dm the stack of dm device @p devname ("dm-0"), the
 * target's device: each dm device from the bottom up to it, its live table
 * read with DM_TABLE_STATUS, the devices under it named stably (the UUID
 * of an LVM physical volume's label, "dm:NAME" of a dm device). Replaces
 * what cfg->dm held. KD_ERROR_UNSUPPORTED, naming the device, for a target
 * type the capture cannot re-create (only linear and striped: no thin,
 * crypt, raid, snapshot...) or a device under it that cannot be named
 * stably. @p dev_root NULL = /dev (the control node is its mapper/control).
 */
struct kd_error *kd_dm_record(const char *devname, const char *sysfs_root,
			      const char *dev_root, struct kd_config *cfg);
/**
 * The capture kernel's side: create and resume each dm device of
 * @p cfg->dm not present yet, its table rewritten with the major:minor
 * the devices under it have here. KD_ERROR_NOTFOUND (naming it) while a
 * device under one is missing (the caller waits and calls again); the
 * names created are appended to @p done ("vg0-root"; comma-separated).
 */
struct kd_error *kd_dm_activate(const struct kd_config *cfg, const char *sysfs_root,
				const char *dev_root, char *done, size_t donelen);

/* ------------------------------------------------ the chain as checked */

/** Where setup records its check of the target chain (status reads it). */
#define KD_TARGET_CHAIN_STATE "/var/lib/kexdump/chain"

/** One link of the chain as setup found it. */
struct kd_target_check {
	char name[600];		/**< kd_config_target_name() */
	bool ok;		/**< reachable and writable at setup time */
	char error[512];	/**< why not, "" when ok */
};

/** setup's check of every link, in chain order. */
struct kd_target_chain_state {
	int64_t checked_at;	/**< seconds since the epoch */
	size_t n;
	struct kd_target_check links[KD_CONFIG_MAX_TARGETS];
};

/**
 * The state as text ("checked_at=", then "target=", "reachable=yes|no",
 * "error=" per link); malloc'ed.
 */
struct kd_error *kd_target_chain_state_format(const struct kd_target_chain_state *st,
					      char **ret);
/** Parse that text (hostile: bounded, unknown keys ignored). */
struct kd_error *kd_target_chain_state_parse(const char *text, size_t len,
					     struct kd_target_chain_state *ret);
/** Read @p path (NULL = KD_TARGET_CHAIN_STATE); NOTFOUND when absent. */
struct kd_error *kd_target_chain_state_read(const char *path,
					    struct kd_target_chain_state *ret);

/* ------------------------------------------- raw targets (rawdev.c) */

/** Bytes of the kexdump stamp at a raw target's end. */
#define KD_RAWDEV_STAMP_SIZE 4096u
/** Hex digits of a stamp's id (the config's raw_id). */
#define KD_RAWDEV_ID_LEN 32

/** Where the stamp of a device of @p size bytes starts (its last 4 KiB). */
uint64_t kd_rawdev_stamp_offset(uint64_t size);
/**
 * What libblkid finds on @p path: a filesystem, partition table, LVM, LUKS,
 * md or other signature ("ext4", "gpt", "LVM2_member", "crypto_LUKS") in
 * @p out, "" when none.
 */
struct kd_error *kd_rawdev_signature(const char *path, char *out, size_t outlen);
/**
 * Setup of a raw target @p path: refuse a device carrying a signature
 * unless @p overwrite, then (when @p write) stamp it, keeping the id of an
 * existing stamp. @p id_ret gets the stamp's id, "" on a dry run of an
 * unstamped device.
 */
struct kd_error *kd_rawdev_prepare(const char *path, bool overwrite, bool write,
				   char id_ret[KD_RAWDEV_ID_LEN + 1]);
/**
 * The capture's open of raw target @p path for writing: only a device
 * carrying the stamp with @p id and (unless @p overwrite) no signature;
 * its first 64 KiB are zeroed (a previous dump's header must not survive a
 * failed write). The dump must end before @p limit_ret, the stamp.
 */
struct kd_error *kd_rawdev_open(const char *path, const char *id, bool overwrite,
				int *fd_ret, uint64_t *limit_ret);
/** Check that @p path carries a valid stamp with @p id. */
struct kd_error *kd_rawdev_check_stamp(const char *path, const char *id);

#ifdef __cplusplus
}
#endif

#endif

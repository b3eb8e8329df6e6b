/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file initramfs.h
 * The capture initramfs: a newc cpio written by kexdump itself holding the
 * static kexdump as /init, the resolved config and exactly the kernel
 * modules needed to reach the dump target. Part of libkexdump-service;
 * included by service.h.
 *
 * Layout of the archive (the capture init in capture/ relies on it):
 *   /init                      the static kexdump binary (runs as PID 1)
 *   /etc/kexdump.conf          the resolved config (kd_config_write)
 *   /etc/kexdump.modules       module names in load order, one per line
 *   /etc/kexdump/FILE          files of the chain's ssh targets (the key,
 *                              the pinned host keys), 0600
 *   /lib/modules/NAME.ko       each module, uncompressed
 *   /dev/console, /proc, /sys, /dev, /mnt, /tmp
 */
#ifndef KEXDUMP_SERVICE_INITRAMFS_H
#define KEXDUMP_SERVICE_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kd_error;
struct kd_config;

/* ------------------------------------------------------ kernel modules */

/** A set of modules resolved in load order (dependencies first). */
struct kd_modset;

/**
 * Start a set for the module tree @p moddir ("/lib/modules/RELEASE"): reads
 * modules.dep, modules.softdep, modules.builtin and modules.alias.
 */
struct kd_error *kd_modset_open(const char *moddir, struct kd_modset **ret);
void kd_modset_close(struct kd_modset *set);
/**
 * Add module @p name (or an alias, e.g. "fs-ext4", "crypto-crc32c") with its
 * dependencies and the soft dependencies that matter. A built-in module is
 * a no-op. NOTFOUND if neither a module nor built-in.
 */
struct kd_error *kd_modset_add(struct kd_modset *set, const char *name);
/**
 * Add the drivers of every device on the sysfs path of block device
 * @p devname ("vda1"), from its partition up to the root of the device
 * tree (driver/module links and modalias), under @p sysfs_root (NULL = "/sys").
 */
struct kd_error *kd_modset_add_blockdev(struct kd_modset *set, const char *devname,
					const char *sysfs_root);
/**
 * Add the drivers of network interface @p ifname ("eth0"): its device's
 * driver chain from sysfs (@p sysfs_root/class/net/IFNAME, NULL = "/sys"),
 * e.g. virtio_net (with net_failover and failover from modules.dep), e1000e,
 * mlx5_core. NOTFOUND when there is no such interface.
 */
struct kd_error *kd_modset_add_netdev(struct kd_modset *set, const char *ifname,
				      const char *sysfs_root);
/** Add what the filesystem @p fstype needs ("ext4" → ext4, jbd2, mbcache, crc32c…). */
struct kd_error *kd_modset_add_fs(struct kd_modset *set, const char *fstype);
/**
 * Everything the capture kernel needs to reach the target of @p cfg: finds
 * the device (kd_blkdev_find; sysfs_root/dev_root NULL = "/sys", "/dev"),
 * adds its driver chain, its filesystem's modules (cfg->fstype, or the
 * probed one) and cfg->modules.
 */
struct kd_error *kd_modset_add_target(struct kd_modset *set, const struct kd_config *cfg,
				      const char *sysfs_root, const char *dev_root);
/**
 * Everything the capture kernel needs for the target chain of @p cfg: the
 * local target's (kd_modset_add_target) when the chain has one, else
 * cfg->modules; nfsv4 and its dependencies for an nfs:// target. (The
 * network interface's driver chain is added by setup from sysfs.)
 */
struct kd_error *kd_modset_add_chain(struct kd_modset *set, const struct kd_config *cfg,
				     const char *sysfs_root, const char *dev_root);
size_t kd_modset_count(const struct kd_modset *set);
/** Module @p i in load order: its name and the path of its (maybe .xz/.zst) file. */
void kd_modset_get(const struct kd_modset *set, size_t i, const char **name,
		   const char **path);

/* ----------------------------------------------------------- initramfs */

/** A file of this machine copied into the capture initramfs. */
struct kd_initramfs_file {
	const char *name;	/**< in the archive, under etc/kexdump/ ("id_ed25519") */
	const char *source;	/**< the file read here */
	unsigned int mode;	/**< 0600 for keys */
};

/** Most files kd_initramfs_options carries. */
#define KD_INITRAMFS_MAX_FILES 4

struct kd_initramfs_options {
	const char *init;	/**< static kexdump binary to use as /init */
	const struct kd_config *config;	/**< written to /etc/kexdump.conf */
	const struct kd_modset *modules;	/**< NULL = none */
	bool compress;		/**< gzip the archive (default true in the CLI) */
	const struct kd_initramfs_file *files;	/**< copied to etc/kexdump/NAME */
	size_t nfiles;		/**< at most KD_INITRAMFS_MAX_FILES */
};

struct kd_initramfs_report {
	uint64_t size;		/**< bytes of the written file */
	uint64_t init_size;
	uint64_t modules_size;	/**< uncompressed bytes of all modules */
	size_t nmodules;
};

/**
 * Write the capture initramfs to @p path (temporary name, fsync, rename;
 * mode 0600). Fails if @p opts->init is not a static executable.
 */
struct kd_error *kd_initramfs_write(const char *path,
				    const struct kd_initramfs_options *opts,
				    struct kd_initramfs_report *report);

/**
 * The text of etc/kexdump.conf in the capture initramfs for @p cfg
 * (kd_config_write), malloc'ed and NUL-terminated, its length in
 * @p lenret: the rehearsal compares it with what the recorded initramfs
 * holds.
 */
struct kd_error *kd_initramfs_config_text(const struct kd_config *cfg, char **ret,
					  size_t *lenret);

/* ------------------------------------------------------ reading cpio */

/** A newc cpio archive opened for reading (lib/service/cpio.c). */
struct kd_cpio_reader;

/** One entry's header. */
struct kd_cpio_entry {
	char name[4096];	/**< as stored: no leading '/' ("etc/kexdump.conf") */
	uint32_t ino, mode, uid, gid, nlink, mtime;
	uint32_t size;		/**< bytes of data */
	uint32_t rmajor, rminor;	/**< of a device node */
};

/** Open the newc archive @p path, gzip-compressed or plain. */
struct kd_error *kd_cpio_open(const char *path, struct kd_cpio_reader **ret);
void kd_cpio_close(struct kd_cpio_reader *r);
/**
 * The next entry into @p entry, skipping what was not read of the previous
 * one; @p end_ret true (and @p entry untouched) at the "TRAILER!!!" entry.
 * A truncated or damaged archive is an error naming the byte offset.
 */
struct kd_error *kd_cpio_next(struct kd_cpio_reader *r, struct kd_cpio_entry *entry,
			      bool *end_ret);
/** Up to @p len bytes of the current entry's data (0 at its end). */
struct kd_error *kd_cpio_read(struct kd_cpio_reader *r, void *buf, size_t len,
			      size_t *nret);

#ifdef __cplusplus
}
#endif

#endif

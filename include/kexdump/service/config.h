/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file config.h
 * The crash-dump service's configuration (/etc/kexdump.conf), block devices
 * found by UUID/label without udev, and the dump folders on the target.
 * Part of libkexdump-service; included by service.h.
 */
#ifndef KEXDUMP_SERVICE_CONFIG_H
#define KEXDUMP_SERVICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kexdump/service/netif.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kd_error;

/* ------------------------------------------------------------- config */

/** What the capture init does after the save (or after a failure). */
enum kd_action {
	KD_ACTION_REBOOT,
	KD_ACTION_POWEROFF,
	KD_ACTION_HALT,
	KD_ACTION_SHELL,	/**< an emergency console prompt (kexdump's own) */
};

enum kd_target_kind {
	KD_TARGET_FS,		/**< a filesystem: dumps go in a folder under path */
	KD_TARGET_RAW,		/**< a raw block device: the dump is written onto it */
	KD_TARGET_SSH,		/**< ssh://USER@HOST[:PORT]/PATH: SFTP, a folder under PATH */
	KD_TARGET_NFS,		/**< nfs://HOST[:PORT]/EXPORT[/PATH]: NFSv4, a folder under it */
};

#define KD_CONFIG_MAX_MODULES 32
/** Links of the fallback chain (target lines). */
#define KD_CONFIG_MAX_TARGETS 8
/** Lines of the device-mapper tables of the target's stack (dm keys). */
#define KD_CONFIG_MAX_DM 32
/** Default ports of the network targets. */
#define KD_CONFIG_SSH_PORT 22
#define KD_CONFIG_NFS_PORT 2049

/**
 * One link of the fallback chain: a 'target' or 'raw' line, in the order
 * of the file. The chain holds at most one local target (FS or RAW): its
 * device is kd_config.target and its kind kd_config.target_kind, which stay
 * what they were before chains (a config without target lines has the
 * chain { local } with the target "": the filesystem holding path).
 */
struct kd_config_target {
	enum kd_target_kind kind;	/**< FS/RAW: the local one (see above) */
	unsigned int line;	/**< of its line in the config file, 0 = implicit */
	/* Network targets only (kd_config_parse_url()); empty for local ones. */
	char url[600];		/**< canonical: what kd_config_write() writes */
	char user[33];		/**< ssh: the login */
	char host[254];		/**< a DNS name, an IPv4 or an IPv6 address (no brackets) */
	unsigned int port;	/**< as written, 0 = default (kd_config_target_port()) */
	char path[256];		/**< absolute, no trailing '/' unless "/": the folder on the server */
};

/**
 * One line of the device-mapper table of a device under the target (an
 * LVM logical volume), as setup recorded it for the capture kernel to
 * re-create (lib/service/dm.c): `dmsetup table`'s form, with the devices
 * under it named stably ("UUID=" of an LVM physical volume, "dm:NAME" of a
 * dm device recorded before it) instead of by major:minor.
 */
struct kd_config_dm {
	char name[128];		/**< the dm device's name ("vg0-root"), DM_NAME_LEN */
	uint64_t start, length;	/**< 512-byte sectors */
	char type[16];		/**< "linear" or "striped" */
	char params[256];	/**< the target's arguments, devices named stably */
};

/** Where every command reads the configuration unless given --config. */
#define KD_CONFIG_PATH "/etc/kexdump.conf"

/**
 * /etc/kexdump.conf, "key value" lines, '#' comments. Keys:
 *   target UUID=..|LABEL=..|/dev/NAME   filesystem holding the dumps
 *                                       (default: the one holding path)
 *   target ssh://USER@HOST[:PORT]/PATH  a network target; 'target' repeats:
 *   target nfs://HOST[:PORT]/PATH       the chain, tried in order (at most
 *                                       one local target in it)
 *   raw /dev/NAME|UUID=..               a raw block device instead
 *   path /var/crash                     the dump folder: with a target, a
 *                                       path inside that filesystem; without
 *                                       one, a path on this machine, which
 *                                       kd_target_resolve() turns into the
 *                                       target and the path inside it (what
 *                                       the capture initramfs gets)
 *   fstype ext4                         (set by setup when it resolves)
 *   subvol /@rootfs                     the btrfs subvolume path is in (the
 *                                       capture mounts it with subvol=; setup
 *                                       writes the one mounted here)
 *   dump_level 31                       makedumpfile's -d
 *   compress auto|zstd|lz4|zlib|lzo|snappy|none   (zstd:L, zlib:L for a
 *                                       level; auto, the default: zstd when
 *                                       dump_level drops page cache and user
 *                                       pages (31), lzo otherwise)
 *   format kdump|elf
 *   final_action reboot|poweroff|halt|shell
 *   failure_action reboot|poweroff|halt|shell
 *   modules NAME...                     extra kernel modules (repeatable)
 *   cmdline_append ARGS                 added to the capture kernel's cmdline
 *   device_timeout 30                   seconds to wait for the target
 *   hostname NAME                       used in the dump folder's name
 *                                       (setup writes the machine's)
 *   raw_overwrite yes|no                a raw device carrying a signature
 *                                       may be overwritten (default no)
 *   raw_id HEX                          the raw device's stamp (setup writes it)
 *   capture_timeout SECONDS             watchdog of the capture, 0 = default
 *   ssh_key FILE                        the ed25519 key ssh targets log in
 *                                       with (default /etc/kexdump/id_ed25519;
 *                                       setup creates it when missing)
 *   known_hosts FILE                    the ssh servers' host keys; without
 *                                       it setup pins the key it sees in
 *                                       /etc/kexdump/known_hosts
 *   dm NAME START LENGTH TYPE PARAMS    a line of the device-mapper table of a
 *                                       device under the target (repeatable,
 *                                       devices below first; setup records
 *                                       them, the capture re-creates them)
 *   network auto|dhcp [IFACE]|IFACE ADDR/PREFIX [GATEWAY]
 *                                       the capture kernel's network for
 *                                       network targets (netif.h; setup
 *                                       resolves auto and adds mac=, mtu=)
 */
struct kd_config {
	enum kd_target_kind target_kind;	/**< of the local target: FS or RAW */
	char target[256];	/**< "UUID=…", "LABEL=…", "/dev/…" or "" (unresolved) */
	struct kd_config_target chain[KD_CONFIG_MAX_TARGETS];	/**< the targets, in order */
	size_t nchain;		/**< >= 1 */
	char path[256];		/**< absolute, default "/var/crash" */
	char fstype[32];	/**< "" = unknown */
	char subvol[256];	/**< btrfs: the subvolume path is in, "" = the default one */
	unsigned int dump_level;	/**< default 31 */
	int codec;		/**< enum kd_save_codec, default KD_SAVE_AUTO */
	int level;		/**< its level ("compress zstd:-1"), 0 = default */
	int format;		/**< enum kd_save_format, default kdump */
	enum kd_action final_action;	/**< default reboot */
	enum kd_action failure_action;	/**< default reboot */
	char modules[KD_CONFIG_MAX_MODULES][64];
	size_t nmodules;
	char cmdline_append[512];
	unsigned int device_timeout;	/**< seconds, default 30, max 600 */
	char hostname[65];
	bool raw_overwrite;	/**< default false */
	char raw_id[33];	/**< 32 hex digits, "" = not stamped */
	unsigned int capture_timeout;	/**< seconds, 0 = kd_config_capture_timeout() */
	struct kd_netif_config network;	/**< default auto */
	char ssh_key[256];	/**< absolute, default KD_CONFIG_SSH_KEY */
	char known_hosts[256];	/**< absolute, "" = the one setup pins (KD_CONFIG_KNOWN_HOSTS) */
	struct kd_config_dm dm[KD_CONFIG_MAX_DM];	/**< the target's dm stack, bottom up */
	size_t ndm;
};

/** The key ssh targets log in with when the config names none. */
#define KD_CONFIG_SSH_KEY "/etc/kexdump/id_ed25519"
/** Where setup pins ssh host keys when the config names no known_hosts. */
#define KD_CONFIG_KNOWN_HOSTS "/etc/kexdump/known_hosts"

/** Fill @p cfg with the defaults listed above. */
void kd_config_default(struct kd_config *cfg);
/**
 * Parse configuration text; @p name (the file name) prefixes errors, which
 * say the line number and what is wrong ("kexdump.conf:3: unknown key 'foo'").
 * Starts from the defaults.
 */
struct kd_error *kd_config_parse(const char *name, const char *text, size_t len,
				 struct kd_config *cfg);
/** Read and parse @p path; a missing file gives the defaults when @p missing_ok. */
struct kd_error *kd_config_load(const char *path, bool missing_ok, struct kd_config *cfg);
/** Write @p cfg as config text (every key, resolved values) to @p fd. */
struct kd_error *kd_config_write(const struct kd_config *cfg, int fd);
/**
 * Parse the network target @p url ("ssh://USER@HOST[:PORT]/PATH",
 * "nfs://HOST[:PORT]/EXPORT[/PATH]") strictly into @p ret (its line 0).
 * KD_ERROR_INVALID with a message naming what is wrong and the URL;
 * KD_ERROR_UNSUPPORTED for nfs3:// (NFSv3 needs the server's rpcbind).
 */
struct kd_error *kd_config_parse_url(const char *url, struct kd_config_target *ret);
/** Rebuild @p t's url from its fields (after changing host, say). */
struct kd_error *kd_config_target_format(struct kd_config_target *t);
/** @p t's port: as written, else 22 for ssh, 2049 for nfs, 0 for local ones. */
unsigned int kd_config_target_port(const struct kd_config_target *t);
/** Is @p kind a network target (ssh, nfs)? */
bool kd_config_target_is_network(enum kd_target_kind kind);
/** The chain's local link (FS or RAW), NULL when it has none. */
const struct kd_config_target *kd_config_local(const struct kd_config *cfg);
/** Does the chain hold a network target? */
bool kd_config_has_network(const struct kd_config *cfg);
/**
 * What a link is called in messages: its url, or the local target's
 * spec ("UUID=…", "raw /dev/vdb", "the filesystem holding /var/crash").
 */
void kd_config_target_name(const struct kd_config *cfg, const struct kd_config_target *t,
			   char *out, size_t outlen);
const char *kd_action_name(enum kd_action action);
/** Longest capture_timeout accepted (a day). */
#define KD_CONFIG_MAX_CAPTURE_TIMEOUT 86400u
/**
 * The capture watchdog's bound in seconds: capture_timeout when set, else
 * 120 s + 1 s per 20 MB of the dump (@p dump_size bytes).
 */
unsigned int kd_config_capture_timeout(const struct kd_config *cfg, uint64_t dump_size);

/* --------------------------------------------------------- block devices */

/** What a block device's superblock says (ext2/3/4, xfs, btrfs, vfat). */
struct kd_blkdev_info {
	char name[32];		/**< "vda1" (sysfs name) */
	char fstype[16];	/**< "ext4", "xfs", "btrfs", "vfat" or "" */
	char uuid[40];		/**< canonical text form, "" if none */
	char label[64];
	unsigned int major, minor;
	uint64_t size;		/**< bytes */
	unsigned int ndevices;	/**< btrfs: devices of the filesystem (num_devices), else 0 */
};

/** Most devices of one filesystem (btrfs) the service handles. */
#define KD_BLKDEV_MAX_MEMBERS 16

/** Probe the superblock of the device node or image file @p path. */
struct kd_error *kd_blkdev_probe(const char *path, struct kd_blkdev_info *info);
/**
 * Find the block device named by @p spec ("UUID=…", "LABEL=…", "/dev/NAME")
 * by scanning @p sysfs_root/class/block (sysfs_root NULL = "/sys") and
 * probing each device through @p dev_root/NAME (NULL = "/dev"); no udev
 * needed. KD_ERROR_NOTFOUND when absent (the capture init retries).
 */
struct kd_error *kd_blkdev_find(const char *spec, const char *sysfs_root,
				const char *dev_root, struct kd_blkdev_info *info);
/**
 * Every block device @p spec names, up to @p max into @p out (@p nret how
 * many): the devices of a multi-device btrfs share its UUID. As
 * kd_blkdev_find() otherwise.
 */
struct kd_error *kd_blkdev_find_all(const char *spec, const char *sysfs_root,
				    const char *dev_root, struct kd_blkdev_info *out,
				    size_t max, size_t *nret);
/**
 * Where the filesystem on device @p major:@p minor is mounted, from
 * /proc/self/mountinfo (@p mountinfo NULL = that file). NOTFOUND if it is not.
 */
struct kd_error *kd_blkdev_mountpoint(unsigned int major, unsigned int minor,
				      const char *mountinfo, char *out, size_t outlen);

/* ---------------------------------------------------------- dump folders */

/**
 * One dump folder "<host>-<YYYY-MM-DD-HH:MM:SS>/" written by the capture
 * init: vmcore, dmesg.txt and summary (key=value lines, see lib/service/dumpdir.c).
 */
struct kd_dumpdir_entry {
	char dir[512];		/**< full path of the folder */
	char host[65];
	char date[32];		/**< "YYYY-MM-DD HH:MM:SS" (UTC, from the folder name) */
	char release[65];	/**< kernel release of the crashed kernel, "" if unknown */
	char panic[256];	/**< the panic line, "" if unknown */
	char status[16];	/**< "complete", "incomplete", "failed" or "unknown" */
	char error[256];	/**< why it is not complete, "" otherwise */
	uint64_t vmcore_size;	/**< bytes of the vmcore file, 0 if absent */
	bool has_vmcore, has_dmesg;
	bool has_report;	/**< report.txt is there */
	/** The crash signature from report.txt ("COMM: f1 < f2 < f3"), "" if none */
	char signature[320];
};

/** The files of a dump folder. */
#define KD_DUMPDIR_VMCORE "vmcore"
#define KD_DUMPDIR_DMESG "dmesg.txt"
#define KD_DUMPDIR_SUMMARY "summary"
#define KD_DUMPDIR_REPORT "report.txt"	/**< kexdump report, written after the vmcore */

/**
 * List the dump folders under @p path, oldest first. A missing @p path is
 * an empty list. The array is malloc'ed; free() it.
 */
struct kd_error *kd_dumpdir_list(const char *path, struct kd_dumpdir_entry **ret,
				 size_t *nret);

/**
 * The folder @p name under @p base as a listing entry (host, date, dir);
 * false when the name is not a dump folder's. For listings made elsewhere
 * than kd_dumpdir_list() (over SFTP); the caller fills has_vmcore,
 * vmcore_size and has_dmesg, then kd_dumpdir_parse_summary().
 */
bool kd_dumpdir_parse_name(const char *base, const char *name, struct kd_dumpdir_entry *e);
/** The summary's @p len bytes (hostile; NULL: the folder has none) into @p e. */
void kd_dumpdir_parse_summary(const char *buf, size_t len, struct kd_dumpdir_entry *e);
/** Sort a listing oldest first, as kd_dumpdir_list() does. */
void kd_dumpdir_sort(struct kd_dumpdir_entry *list, size_t n);

/** A dump folder being written (the capture init). */
struct kd_dumpdir;

enum kd_dumpdir_status {
	KD_DUMPDIR_COMPLETE,
	KD_DUMPDIR_INCOMPLETE,	/**< a partial vmcore */
	KD_DUMPDIR_FAILED,
};

/** What the summary says; NULL strings are written empty. */
struct kd_dumpdir_summary {
	enum kd_dumpdir_status status;
	const char *error;	/**< why it is not complete */
	const char *release;	/**< of the crashed kernel */
	const char *panic;	/**< kd_printk_find_panic() */
	unsigned int dump_level;
	const char *codec, *format;
	uint64_t bytes_written, pages_written;
	double seconds;
	const char *dmesg_error;	/**< written only when not empty */
	const char *warning;		/**< written only when not empty */
	const char *fallback;		/**< "elf-copy" or empty (written only when not empty) */
	const char *target;		/**< the chain's link written to (written when not empty) */
	const char *const *failed;	/**< "NAME: WHY" of each link tried before it */
	size_t nfailed;
	unsigned int link_drops;	/**< ssh: times the link dropped (written when not 0) */
	unsigned int link_resumed;	/**< ssh: of which resumed */
	const char *compress_auto;	/**< kd_save_auto_describe() (written when not empty) */
};

/** Letters, digits, '-' and '.', not starting with '-' or '.', <= 64 bytes. */
bool kd_dumpdir_valid_host(const char *host);
/**
 * Make @p base (mkdir -p, 0700) and in it the folder
 * "<host>-<YYYY-MM-DD-HH:MM:SS>" (UTC now, 0700); when that name is taken,
 * the same with "-XXXXXX" appended (random letters and digits). @p base is
 * walked without following symbolic links; each folder on it must be owned
 * by root (or the caller) and not writable by others unless sticky, else
 * KD_ERROR_INVALID (see kd_dumpdir_check_base()).
 */
struct kd_error *kd_dumpdir_create(const char *base, const char *host,
				   struct kd_dumpdir **ret);
/** The folder's full path. */
const char *kd_dumpdir_path(const struct kd_dumpdir *d);
/**
 * "" or why the base is not safe for dumps but used all the same (others
 * may write to it: sticky); kd_dumpdir_write_summary() writes it as a
 * warning.
 */
const char *kd_dumpdir_warning(const struct kd_dumpdir *d);
/**
 * Check @p base as kd_dumpdir_create() would, without creating anything
 * (a missing part is fine: the capture makes it 0700): KD_ERROR_INVALID for
 * a symbolic link on the path, a folder on it owned by another user than
 * root or the caller, or writable by others without the sticky bit. When
 * the base is writable by others (sticky), the reason is written to
 * @p warning ("" otherwise).
 */
struct kd_error *kd_dumpdir_check_base(const char *base, char *warning, size_t len);
/** Create the new file @p name in the folder (0600, never an existing one). */
struct kd_error *kd_dumpdir_create_file(struct kd_dumpdir *d, const char *name,
					int *fd_ret);
/** Create the summary and reserve its blocks, before the dump fills the disk. */
struct kd_error *kd_dumpdir_reserve_summary(struct kd_dumpdir *d);
/**
 * Write the summary into its reserved blocks and fsync it. Does nothing
 * when none is reserved (the reservation failed, or it is written already).
 */
struct kd_error *kd_dumpdir_write_summary(struct kd_dumpdir *d,
					  const struct kd_dumpdir_summary *s);
/**
 * A new dump folder's name "<host>-<YYYY-MM-DD-HH:MM:SS>" for the time
 * @p when (UTC), with "-XXXXXX" appended when @p suffix (a name taken);
 * @p date gets "YYYY-MM-DD HH:MM:SS". For folders made elsewhere than
 * kd_dumpdir_create() (over SFTP).
 */
struct kd_error *kd_dumpdir_name(const char *host, int64_t when, bool suffix, char *name,
				 size_t namelen, char date[20]);
/** The summary's text (malloc'ed) for a folder of @p host at @p date. */
struct kd_error *kd_dumpdir_summary_text(const char *host, const char *date,
					 const char *base_warning,
					 const struct kd_dumpdir_summary *s, char **text_ret,
					 size_t *len_ret);
/** fsync the folder (its new entries) and free @p d (NULL: nothing). */
struct kd_error *kd_dumpdir_close(struct kd_dumpdir *d);

/* ------------------------------------------------ files setup installs */

/** mkdir -p @p path, the folders it creates made with @p mode. */
struct kd_error *kd_install_dir(const char *path, unsigned int mode);
/**
 * Write @p text to @p path whole or not at all (a temporary file, fsync,
 * rename(2), fsync of the folder), with @p mode; missing parent folders are
 * made 0755.
 */
struct kd_error *kd_install_file(const char *path, const char *text, unsigned int mode);
/** GRUB's drop-in that setup --apply-bootloader writes: update-grub reads
 * /etc/default/grub.d/\*.cfg after /etc/default/grub. */
#define KD_INSTALL_GRUB_DROPIN "/etc/default/grub.d/kexdump.cfg"
/**
 * The drop-in's text for a reservation of @p size bytes (whole MiB):
 * crashkernel= appended to GRUB_CMDLINE_LINUX_DEFAULT, with a comment
 * that says how to undo it. KD_ERROR_INVALID when @p len is too small.
 */
struct kd_error *kd_install_grub_dropin(uint64_t size, char *buf, size_t len);
/**
 * The reservation the GRUB drop-in at @p path gives a machine of @p ram
 * bytes: its last crashkernel= outside comments (the kernel takes the last
 * one of its command line, and the drop-in's comes last), read as the
 * kernel reads it (kd_kexec_crashkernel_size()). KD_ERROR_NOTFOUND when
 * the file or the word is missing.
 */
struct kd_error *kd_install_grub_reservation(const char *path, uint64_t ram, uint64_t *size);
/**
 * @p s as one word of a systemd ExecStart=/ExecStop= line
 * (systemd.service(5) "Command lines"): '%' as "%%", '$' as "$$", and in
 * double quotes, backslash and quote escaped, when it holds anything but
 * letters, digits and "/._-+,:=@". KD_ERROR_INVALID for a control
 * character or text that is not UTF-8. malloc'ed.
 */
struct kd_error *kd_install_unit_exec_arg(const char *s, char **ret);
/**
 * The absolute path @p s as the value of a unit's path setting
 * (PathChanged=): '%' as "%%". KD_ERROR_INVALID for a control character,
 * text that is not UTF-8, a relative path, or one that ends in white space
 * or a backslash (systemd would trim it or join the next line). malloc'ed.
 */
struct kd_error *kd_install_unit_path(const char *s, char **ret);

#ifdef __cplusplus
}
#endif

#endif

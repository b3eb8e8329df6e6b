// SPDX-License-Identifier: LGPL-2.1-or-later
// Block devices without udev or libblkid: the capture kernel has neither, so
// the dump target named by UUID=/LABEL= is found by scanning
// /sys/class/block and reading each device's superblock, and mount points
// come from /proc/self/mountinfo. The superblock layouts and the way the
// results are spelled follow util-linux libblkid (superblocks/ext.c, xfs.c,
// btrfs.c, vfat.c) so that what we print matches `blkid`.
#include "service/service.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>

// mountinfo of a machine with thousands of mounts still fits.
#define MOUNTINFO_MAX (16u << 20)

// ext2/3/4 (include/linux/ext2_fs.h, fs/ext4/ext4.h): the superblock is at
// byte 1024; offsets below are inside it.
#define EXT_SB_OFF 1024
#define EXT_MAGIC_OFF 56		/* s_magic, le16 */
#define EXT_MAGIC 0xEF53
#define EXT_COMPAT_OFF 92		/* s_feature_compat */
#define EXT_INCOMPAT_OFF 96		/* s_feature_incompat */
#define EXT_RO_COMPAT_OFF 100		/* s_feature_ro_compat */
#define EXT_UUID_OFF 104		/* s_uuid[16] */
#define EXT_LABEL_OFF 120		/* s_volume_name[16] */
#define EXT_COMPAT_HAS_JOURNAL 0x0004
#define EXT_INCOMPAT_JOURNAL_DEV 0x0008
// What ext2 and ext3 drivers support (libblkid EXT2/3_FEATURE_*_SUPP); any
// other feature (extents, 64bit, flex_bg, huge_file, ...) makes it ext4.
#define EXT3_INCOMPAT_SUPP (0x0002 | 0x0004 | 0x0010)	/* filetype, recover, meta_bg */
#define EXT2_RO_COMPAT_SUPP (0x0001 | 0x0002 | 0x0004)	/* sparse_super, large_file, btree_dir */

// XFS (fs/xfs/libxfs/xfs_format.h struct xfs_sb), big-endian, at byte 0.
#define XFS_MAGIC "XFSB"
#define XFS_UUID_OFF 32			/* sb_uuid */
#define XFS_LABEL_OFF 108		/* sb_fname[12] */

// btrfs (fs/btrfs/disk-io.h, struct btrfs_super_block) at 64 KiB.
#define BTRFS_SB_OFF 0x10000
#define BTRFS_FSID_OFF 0x20		/* fsid[16] */
#define BTRFS_MAGIC_OFF 0x40		/* "_BHRfS_M" */
#define BTRFS_NUM_DEVICES_OFF 0x88	/* num_devices, le64 */
#define BTRFS_LABEL_OFF 0x12b		/* label[256] */

// FAT boot sector (Microsoft FAT spec; libblkid vfat.c).
#define FAT_SECTOR_SIZE_OFF 11		/* le16 bytes per sector */
#define FAT_CLUSTER_OFF 13		/* sectors per cluster */
#define FAT_FAT16_LEN_OFF 22		/* le16; 0 on FAT32 */
#define FAT16_SERIAL_OFF 39
#define FAT16_LABEL_OFF 43
#define FAT16_TYPE_OFF 54
#define FAT32_SERIAL_OFF 67
#define FAT32_LABEL_OFF 71
#define FAT32_TYPE_OFF 82

static struct kd_error *blkdev_read_at(int fd, const char *path, void *buf, size_t len,
				uint64_t off, bool *short_ret)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kd_error_os(errno, "%s: cannot read", path);
		if (r == 0) {
			*short_ret = true;
			return NULL;
		}
		done += (size_t)r;
	}
	*short_ret = false;
	return NULL;
}

// libblkid's blkid_probe_set_uuid(): lower-case 8-4-4-4-12, none if all zero.
static void blkdev_format_uuid(const uint8_t *u, char *out, size_t outlen)
{
	bool zero = true;
	for (int i = 0; i < 16; i++)
		zero &= u[i] == 0;
	if (zero) {
		out[0] = '\0';
		return;
	}
	snprintf(out, outlen,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

// blkid_probe_set_label(): up to the first NUL, trailing white space cut.
static void blkdev_copy_label(const uint8_t *src, size_t len, char *out, size_t outlen)
{
	size_t n = 0;
	while (n < len && n + 1 < outlen && src[n])
		n++;
	memcpy(out, src, n);
	while (n > 0 && isspace((unsigned char)out[n - 1]))
		n--;
	out[n] = '\0';
}

static bool blkdev_probe_ext(const uint8_t *sb, struct kd_blkdev_info *info)
{
	if (kd_le16(sb + EXT_MAGIC_OFF) != EXT_MAGIC)
		return false;
	uint32_t compat = kd_le32(sb + EXT_COMPAT_OFF);
	uint32_t incompat = kd_le32(sb + EXT_INCOMPAT_OFF);
	uint32_t ro_compat = kd_le32(sb + EXT_RO_COMPAT_OFF);
	// An external journal is no filesystem to mount.
	if (incompat & EXT_INCOMPAT_JOURNAL_DEV)
		return false;
	if ((incompat & ~(uint32_t)EXT3_INCOMPAT_SUPP) ||
	    (ro_compat & ~(uint32_t)EXT2_RO_COMPAT_SUPP))
		strcpy(info->fstype, "ext4");
	else if (compat & EXT_COMPAT_HAS_JOURNAL)
		strcpy(info->fstype, "ext3");
	else
		strcpy(info->fstype, "ext2");
	blkdev_format_uuid(sb + EXT_UUID_OFF, info->uuid, sizeof(info->uuid));
	blkdev_copy_label(sb + EXT_LABEL_OFF, 16, info->label, sizeof(info->label));
	return true;
}

static bool blkdev_probe_xfs(const uint8_t *sb, struct kd_blkdev_info *info)
{
	if (memcmp(sb, XFS_MAGIC, 4))
		return false;
	strcpy(info->fstype, "xfs");
	blkdev_format_uuid(sb + XFS_UUID_OFF, info->uuid, sizeof(info->uuid));
	blkdev_copy_label(sb + XFS_LABEL_OFF, 12, info->label, sizeof(info->label));
	return true;
}

static bool blkdev_probe_btrfs(const uint8_t *sb, struct kd_blkdev_info *info)
{
	if (memcmp(sb + BTRFS_MAGIC_OFF, "_BHRfS_M", 8))
		return false;
	strcpy(info->fstype, "btrfs");
	blkdev_format_uuid(sb + BTRFS_FSID_OFF, info->uuid, sizeof(info->uuid));
	// Bounded: a multi-device filesystem is found device by device.
	uint64_t ndev = kd_le64(sb + BTRFS_NUM_DEVICES_OFF);
	info->ndevices = ndev > KD_BLKDEV_MAX_MEMBERS ? KD_BLKDEV_MAX_MEMBERS + 1 : (unsigned int)ndev;
	blkdev_copy_label(sb + BTRFS_LABEL_OFF, 256, info->label, sizeof(info->label));
	return true;
}

static bool blkdev_power_of_two(unsigned int n)
{
	return n && !(n & (n - 1));
}

static bool blkdev_probe_vfat(const uint8_t *bs, struct kd_blkdev_info *info)
{
	if (bs[510] != 0x55 || bs[511] != 0xAA)
		return false;
	// An MBR also ends in 55 AA: require a sane BPB and the FAT type string.
	unsigned int sector = kd_le16(bs + FAT_SECTOR_SIZE_OFF);
	if (sector < 512 || sector > 4096 || !blkdev_power_of_two(sector) ||
	    !blkdev_power_of_two(bs[FAT_CLUSTER_OFF]))
		return false;
	bool fat32 = kd_le16(bs + FAT_FAT16_LEN_OFF) == 0;
	const uint8_t *type = bs + (fat32 ? FAT32_TYPE_OFF : FAT16_TYPE_OFF);
	if (memcmp(type, "FAT", 3) && memcmp(bs + 3, "MSDOS", 5) &&
	    memcmp(bs + 3, "mkfs.fat", 8) && memcmp(bs + 3, "MSWIN", 5))
		return false;
	const uint8_t *serial = bs + (fat32 ? FAT32_SERIAL_OFF : FAT16_SERIAL_OFF);
	const uint8_t *label = bs + (fat32 ? FAT32_LABEL_OFF : FAT16_LABEL_OFF);
	strcpy(info->fstype, "vfat");
	// libblkid prints the volume serial as XXXX-XXXX, high half first.
	snprintf(info->uuid, sizeof(info->uuid), "%02X%02X-%02X%02X",
		 serial[3], serial[2], serial[1], serial[0]);
	blkdev_copy_label(label, 11, info->label, sizeof(info->label));
	if (!strcmp(info->label, "NO NAME"))
		info->label[0] = '\0';
	return true;
}

// An LVM physical volume (lvm2 lib/label/label.h, lib/format_text/layout.h;
// libblkid superblocks/lvm2.c): a label "LABELONE" in one of the first four
// 512-byte sectors, naming its own sector, of type "LVM2 001", and at
// offset_xl from it the pv_header whose first 32 bytes are the PV's UUID,
// spelled as lvm and blkid do (6-4-4-4-4-4-6). The capture kernel finds
// the devices under a logical volume by it (lib/service/dm.c).
#define LVM_LABEL_ID "LABELONE"
#define LVM_SECTOR_OFF 8		/* sector_xl, le64 */
#define LVM_OFFSET_OFF 20		/* offset_xl, le32: the pv_header */
#define LVM_TYPE_OFF 24			/* "LVM2 001" */
#define LVM_ID_LEN 32
static bool blkdev_probe_lvm(const uint8_t *buf, size_t len, struct kd_blkdev_info *info)
{
	for (unsigned int s = 0; s < 4 && (s + 1) * 512u <= len; s++) {
		const uint8_t *l = buf + s * 512u;
		if (memcmp(l, LVM_LABEL_ID, 8) || kd_le64(l + LVM_SECTOR_OFF) != s ||
		    memcmp(l + LVM_TYPE_OFF, "LVM2 001", 8))
			continue;
		uint32_t off = kd_le32(l + LVM_OFFSET_OFF);
		if (off < 32 || off > 512 - LVM_ID_LEN)
			return false;
		const uint8_t *id = l + off;
		for (unsigned int i = 0; i < LVM_ID_LEN; i++)
			if (!isalnum(id[i]))
				return false;
		static const unsigned int groups[] = { 6, 4, 4, 4, 4, 4, 6 };
		size_t o = 0;
		for (unsigned int g = 0, i = 0; g < KD_ARRAY_SIZE(groups); g++) {
			if (g)
				info->uuid[o++] = '-';
			memcpy(info->uuid + o, id + i, groups[g]);
			o += groups[g];
			i += groups[g];
		}
		info->uuid[o] = '\0';
		snprintf(info->fstype, sizeof(info->fstype), "LVM2_member");
		return true;
	}
	return false;
}

// Probe an open device or image; an unknown filesystem leaves fstype "".
static struct kd_error *blkdev_probe_fd(int fd, const char *path, struct kd_blkdev_info *info)
{
	uint8_t buf[4096];
	bool short_read;
	struct kd_error *err = blkdev_read_at(fd, path, buf, sizeof(buf), 0, &short_read);
	if (err)
		return err;
	if (short_read)
		return NULL;	// smaller than any filesystem we know
	if (blkdev_probe_ext(buf + EXT_SB_OFF, info) || blkdev_probe_xfs(buf, info))
		return NULL;
	uint8_t sb[BTRFS_LABEL_OFF + 256];
	err = blkdev_read_at(fd, path, sb, sizeof(sb), BTRFS_SB_OFF, &short_read);
	if (err)
		return err;
	if (!short_read && blkdev_probe_btrfs(sb, info))
		return NULL;
	if (blkdev_probe_lvm(buf, sizeof(buf), info))
		return NULL;
	blkdev_probe_vfat(buf, info);
	return NULL;
}

static void blkdev_fill_size(int fd, struct kd_blkdev_info *info)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return;
	if (S_ISBLK(st.st_mode)) {
		uint64_t size;
		if (ioctl(fd, BLKGETSIZE64, &size) == 0)
			info->size = size;
		info->major = major(st.st_rdev);
		info->minor = minor(st.st_rdev);
	} else if (S_ISREG(st.st_mode)) {
		info->size = (uint64_t)st.st_size;
	}
}

KD_EXPORT struct kd_error *kd_blkdev_probe(const char *path,
					   struct kd_blkdev_info *info)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot open", path);
	struct kd_blkdev_info tmp = { 0 };
	const char *base = strrchr(path, '/');
	snprintf(tmp.name, sizeof(tmp.name), "%s", base ? base + 1 : path);
	blkdev_fill_size(fd, &tmp);
	struct kd_error *err = blkdev_probe_fd(fd, path, &tmp);
	close(fd);
	if (!err)
		*info = tmp;
	return err;
}

// Read a small sysfs attribute; false when absent.
static bool blkdev_read_attr(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >= sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t r = read(fd, buf, len - 1);
	close(fd);
	if (r <= 0)
		return false;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

static int blkdev_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

// The sorted names under SYSFS/class/block, so that the choice among
// duplicates (a cloned disk) does not depend on readdir order.
static struct kd_error *blkdev_list_block(const char *dir, char ***ret, size_t *nret)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ?
			kd_error_create(KD_ERROR_NOTFOUND, "%s: no such folder (is sysfs mounted?)", dir) :
			kd_error_os(errno, "%s: cannot list", dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **p = realloc(names, cap * sizeof(*names));
			if (!p)
				goto nomem;
			names = p;
		}
		if (!(names[n] = strdup(de->d_name)))
			goto nomem;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), blkdev_cmp_names);
	*ret = names;
	*nret = n;
	return NULL;
nomem:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return &kd_enomem;
}

static bool blkdev_spec_matches(const char *spec, const struct kd_blkdev_info *info)
{
	if (!strncmp(spec, "UUID=", 5))
		return info->uuid[0] && !strcasecmp(spec + 5, info->uuid);
	if (!strncmp(spec, "LABEL=", 6))
		return info->label[0] && !strcmp(spec + 6, info->label);
	return false;
}

// Every device @p spec names (at most @p max into @p out), in sysfs name
// order; a /dev/NAME spec names one.
static struct kd_error *blkdev_find(const char *spec, const char *sysfs_root,
				    const char *dev_root, struct kd_blkdev_info *out,
				    size_t max, size_t *nret)
{
	if (!sysfs_root)
		sysfs_root = "/sys";
	if (!dev_root)
		dev_root = "/dev";
	// sysfs spells '/' in device names as '!' (cciss!c0d0).
	char want[sizeof(out->name)] = "";
	if (!strncmp(spec, "/dev/", 5)) {
		if (strlen(spec + 5) >= sizeof(want))
			return kd_error_create(KD_ERROR_INVALID, "%s: device name too long", spec);
		strcpy(want, spec + 5);
		for (char *p = want; *p; p++)
			if (*p == '/')
				*p = '!';
	} else if (strncmp(spec, "UUID=", 5) && strncmp(spec, "LABEL=", 6)) {
		return kd_error_create(KD_ERROR_INVALID,
			"'%s': expected UUID=..., LABEL=... or /dev/NAME", spec);
	}

	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/class/block", sysfs_root);
	char **names = NULL;
	size_t n = 0;
	struct kd_error *err = blkdev_list_block(dir, &names, &n);
	if (err)
		return err;
	size_t found = 0;
	for (size_t i = 0; i < n && found < max && !err; i++) {
		if (want[0] && strcmp(names[i], want))
			continue;
		struct kd_blkdev_info tmp = { 0 };
		char sub[PATH_MAX], attr[64];
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, names[i]) >= sizeof(sub))
			continue;
		if (!blkdev_read_attr(sub, "dev", attr, sizeof(attr)) ||
		    sscanf(attr, "%u:%u", &tmp.major, &tmp.minor) != 2)
			continue;
		unsigned long long sectors = 0;
		if (blkdev_read_attr(sub, "size", attr, sizeof(attr)))
			sectors = strtoull(attr, NULL, 10);
		tmp.size = sectors * 512;	// sysfs size is in 512-byte units
		snprintf(tmp.name, sizeof(tmp.name), "%s", names[i]);
		// Empty devices (unused loop devices, drives without media)
		// have nothing to probe; opening some of them is slow.
		if (!want[0] && sectors == 0)
			continue;
		char node[PATH_MAX];
		if ((size_t)snprintf(node, sizeof(node), "%s/%s", dev_root, names[i]) >=
		    sizeof(node))
			continue;
		for (char *p = node + strlen(dev_root); *p; p++)
			if (*p == '!')
				*p = '/';
		int fd = open(node, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			// A device named by path must open; while scanning
			// for a UUID, devices we cannot read are skipped.
			if (want[0])
				err = kd_error_os(errno, "%s: cannot open", node);
			continue;
		}
		struct kd_error *perr = blkdev_probe_fd(fd, node, &tmp);
		close(fd);
		if (perr) {
			if (want[0])
				err = perr;
			else
				kd_error_destroy(perr);
			continue;
		}
		if (want[0] || blkdev_spec_matches(spec, &tmp))
			out[found++] = tmp;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (err)
		return err;
	if (!found)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: no such block device", spec);
	*nret = found;
	return NULL;
}

KD_EXPORT struct kd_error *kd_blkdev_find(const char *spec, const char *sysfs_root,
					  const char *dev_root,
					  struct kd_blkdev_info *info)
{
	size_t n;
	return blkdev_find(spec, sysfs_root, dev_root, info, 1, &n);
}

KD_EXPORT struct kd_error *kd_blkdev_find_all(const char *spec, const char *sysfs_root,
					      const char *dev_root,
					      struct kd_blkdev_info *out, size_t max,
					      size_t *nret)
{
	if (max == 0)
		return kd_error_create(KD_ERROR_INVALID, "%s: no room for a device", spec);
	return blkdev_find(spec, sysfs_root, dev_root, out, max, nret);
}

// mountinfo escapes space, tab, newline and backslash as \ooo
// (fs/proc_namespace.c, mangle()).
static void blkdev_unescape(const char *src, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < outlen; i++) {
		if (src[i] == '\\' && i + 3 < len &&
		    src[i + 1] >= '0' && src[i + 1] <= '3' &&
		    src[i + 2] >= '0' && src[i + 2] <= '7' &&
		    src[i + 3] >= '0' && src[i + 3] <= '7') {
			out[o++] = (char)((src[i + 1] - '0') << 6 | (src[i + 2] - '0') << 3 |
					  (src[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = src[i];
		}
	}
	out[o] = '\0';
}

// One parsed mountinfo line (Documentation/filesystems/proc.rst 3.5):
// "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw"
// After the separator: the filesystem type, the mount source and the
// super block's options (for btrfs "...,subvolid=256,subvol=/@rootfs",
// fs/btrfs/super.c btrfs_show_options).
struct mount_line {
	unsigned int major, minor;
	const char *root, *point, *fstype, *source, *options;
	size_t root_len, point_len, fstype_len, source_len, options_len;
};

static bool blkdev_parse_mount_line(const char *line, size_t len, struct mount_line *m)
{
	const char *f[6];
	size_t flen[6];
	size_t nf = 0, i = 0;
	// The first six fields, then the optional ones up to "-", then fstype.
	while (i < len && nf < 6) {
		while (i < len && line[i] == ' ')
			i++;
		size_t s = i;
		while (i < len && line[i] != ' ')
			i++;
		if (i == s)
			break;
		f[nf] = line + s;
		flen[nf++] = i - s;
	}
	if (nf < 6)
		return false;
	if (sscanf(f[2], "%u:%u", &m->major, &m->minor) != 2)
		return false;
	m->root = f[3];
	m->root_len = flen[3];
	m->point = f[4];
	m->point_len = flen[4];
	m->fstype = m->source = m->options = "";
	m->fstype_len = m->source_len = m->options_len = 0;
	// The separator " - " follows the optional fields.
	for (; i + 2 < len; i++) {
		if (line[i] == ' ' && line[i + 1] == '-' && line[i + 2] == ' ') {
			const char **fv[3] = { &m->fstype, &m->source, &m->options };
			size_t *fl[3] = { &m->fstype_len, &m->source_len, &m->options_len };
			size_t s = i + 3;
			for (int k = 0; k < 3 && s <= len; k++) {
				size_t e = s;
				while (e < len && line[e] != ' ')
					e++;
				if (e > s) {	// an empty field stays ""
					*fv[k] = line + s;
					*fl[k] = e - s;
				}
				s = e + 1;
			}
			break;
		}
	}
	return true;
}

KD_EXPORT struct kd_error *kd_blkdev_mounts(const char *mountinfo, struct kd_mounts *ret)
{
	const char *path = mountinfo ? mountinfo : "/proc/self/mountinfo";
	struct kd_mounts m = { 0 };
	struct kd_error *err = kd_fs_read_file(path, MOUNTINFO_MAX, &m.text, NULL);
	if (err)
		return err;
	size_t cap = 0;
	for (char *line = m.text; *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		struct mount_line ml;
		if (blkdev_parse_mount_line(line, len, &ml)) {
			if (m.n == cap) {
				cap = cap ? cap * 2 : 64;
				struct kd_mount *v = realloc(m.v, cap * sizeof(*v));
				if (!v) {
					kd_blkdev_mounts_free(&m);
					return &kd_enomem;
				}
				m.v = v;
			}
			// Unescaped in place: the result is never longer, and
			// its NUL lands on the blank that ends the field.
			struct kd_mount *e = &m.v[m.n++];
			e->major = ml.major;
			e->minor = ml.minor;
			e->root = (char *)ml.root;
			e->point = (char *)ml.point;
			e->fstype = (char *)ml.fstype;
			e->source = (char *)ml.source;
			e->options = (char *)ml.options;
			blkdev_unescape(ml.root, ml.root_len, e->root, ml.root_len + 1);
			blkdev_unescape(ml.point, ml.point_len, e->point, ml.point_len + 1);
			if (ml.fstype_len)
				blkdev_unescape(ml.fstype, ml.fstype_len, e->fstype, ml.fstype_len + 1);
			if (ml.source_len)
				blkdev_unescape(ml.source, ml.source_len, e->source, ml.source_len + 1);
			if (ml.options_len)
				blkdev_unescape(ml.options, ml.options_len, e->options, ml.options_len + 1);
		}
		line += len + (nl ? 1 : 0);
	}
	*ret = m;
	return NULL;
}

KD_EXPORT void kd_blkdev_mounts_free(struct kd_mounts *m)
{
	free(m->v);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

KD_EXPORT struct kd_error *kd_blkdev_mountpoint(unsigned int major, unsigned int minor,
						const char *mountinfo, char *out,
						size_t outlen)
{
	struct kd_mounts m;
	struct kd_error *err = kd_blkdev_mounts(mountinfo, &m);
	if (err)
		return err;
	// A mount of the filesystem's root ("/") wins over bind mounts of a
	// subfolder.
	const struct kd_mount *found = NULL;
	for (size_t i = 0; i < m.n; i++) {
		if (m.v[i].major != major || m.v[i].minor != minor)
			continue;
		if (!found || (!strcmp(m.v[i].root, "/") && strcmp(found->root, "/")))
			found = &m.v[i];
	}
	if (found)
		snprintf(out, outlen, "%s", found->point);
	kd_blkdev_mounts_free(&m);
	if (!found)
		return kd_error_create(KD_ERROR_NOTFOUND, "device %u:%u is not mounted (%s)",
				       major, minor,
				       mountinfo ? mountinfo : "/proc/self/mountinfo");
	return NULL;
}

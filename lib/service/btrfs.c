// SPDX-License-Identifier: LGPL-2.1-or-later
// btrfs dump targets. A btrfs mount has no block device of its own:
// mountinfo shows an anonymous device number per subvolume (fs/btrfs/
// super.c, get_anon_bdev), its source is one of the filesystem's devices,
// its root field the mounted folder's path from the top-level subvolume
// (tree 5) and its super options say which subvolume it is
// ("...,subvolid=256,subvol=/@rootfs", btrfs_show_options()). Debian's
// installer puts / in the subvolume @rootfs and mounts it with
// subvol=@rootfs; the filesystem's default subvolume stays the top level.
// So the capture is told the filesystem by UUID (the fsid every member
// device carries in its superblock) and the subvolume by path, and mounts
// it with subvol= (plus device= for each member of a multi-device
// filesystem: the capture kernel has no udev to run `btrfs device scan`;
// Documentation/filesystems/btrfs.rst, mount option device=).
#include "service/service.h"

#include <stdio.h>

// The value of option @p key in the comma-separated @p options, or NULL.
static const char *btrfs_option(const char *options, const char *key, size_t *len_ret)
{
	size_t kl = strlen(key);
	for (const char *p = options; *p;) {
		size_t n = strcspn(p, ",");
		if (n > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			*len_ret = n - kl - 1;
			return p + kl + 1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return NULL;
}

KD_EXPORT struct kd_error *kd_btrfs_subvol(const char *options, const char *root,
					   char *subvol, size_t subvol_len,
					   const char **inside_ret)
{
	size_t n;
	const char *v = btrfs_option(options, "subvol", &n);
	if (!v) {
		// Kernels before 4.? printed no subvol=: the mount root is
		// the subvolume (a bind mount of a folder inside one would
		// be taken for a subvolume; its path still leads there).
		v = root;
		n = strlen(root);
	}
	if (n == 0 || v[0] != '/')
		return kd_error_create(KD_ERROR_FORMAT, "btrfs mount: subvolume '%.*s' is not a path from the top level",
				       (int)n, v);
	if (n >= subvol_len)
		return kd_error_create(KD_ERROR_INVALID, "btrfs mount: subvolume path too long (%zu bytes)", n);
	char sv[KD_TARGET_PATH_MAX];
	memcpy(sv, v, n);
	sv[n] = '\0';
	// The mount root is the subvolume or a folder in it (a bind mount).
	const char *rest;
	if (!strcmp(sv, "/")) {
		rest = strcmp(root, "/") ? root : "";
	} else {
		if (strncmp(root, sv, n) || (root[n] != '/' && root[n] != '\0'))
			return kd_error_create(KD_ERROR_FORMAT,
					       "btrfs mount: its root %s is not in its subvolume %s",
					       root, sv);
		rest = root + n;
	}
	if (strpbrk(sv, ",="))
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "btrfs subvolume %s: a ',' or '=' in its name cannot be a mount option",
				       sv);
	memcpy(subvol, sv, n + 1);
	*inside_ret = rest;
	return NULL;
}

KD_EXPORT struct kd_error *kd_btrfs_members(const char *spec, const char *sysfs_root,
					    const char *dev_root, struct kd_blkdev_info *out,
					    size_t max, size_t *nret)
{
	size_t n;
	struct kd_error *err = kd_blkdev_find_all(spec, sysfs_root, dev_root, out, max, &n);
	if (err)
		return err;
	if (strcmp(out[0].fstype, "btrfs")) {
		*nret = n;
		return NULL;
	}
	unsigned int want = out[0].ndevices ? out[0].ndevices : 1;
	if (want > max)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "%s: btrfs over %u devices (at most %zu)", spec, want, max);
	// A member still probing (or its driver missing) makes the mount
	// fail without "degraded": the capture waits for all of them.
	if (n < want)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: %zu of the %u btrfs devices present",
				       spec, n, want);
	*nret = n;
	return NULL;
}

KD_EXPORT struct kd_error *kd_btrfs_mount_data(const char *subvol,
					       const struct kd_blkdev_info *devs, size_t n,
					       char *out, size_t outlen)
{
	size_t o = 0;
	out[0] = '\0';
	if (subvol[0])
		o += (size_t)snprintf(out, outlen, "subvol=%s", subvol);
	// One device= per member when there are several (the first one is
	// the mount source anyway).
	for (size_t i = 0; n > 1 && i < n && o < outlen; i++) {
		char name[sizeof(devs[i].name)];
		snprintf(name, sizeof(name), "%s", devs[i].name);
		for (char *p = name; *p; p++)
			if (*p == '!')	// sysfs's spelling of '/'
				*p = '/';
		o += (size_t)snprintf(out + o, outlen - o, "%sdevice=/dev/%s", o ? "," : "", name);
	}
	if (o >= outlen)
		return kd_error_create(KD_ERROR_INVALID, "btrfs mount options too long (%zu bytes)", o);
	return NULL;
}

KD_EXPORT struct kd_error *kd_btrfs_target_mount_data(const struct kd_target *t,
						      const char *sysfs_root,
						      const char *dev_root, char *out,
						      size_t outlen)
{
	if (!outlen)
		return kd_error_create(KD_ERROR_INVALID, "no room for mount options");
	out[0] = '\0';
	if (strcmp(t->config.fstype, "btrfs"))
		return NULL;
	struct kd_blkdev_info *devs = calloc(KD_BLKDEV_MAX_MEMBERS, sizeof(*devs));
	if (!devs)
		return &kd_enomem;
	size_t n;
	struct kd_error *err = kd_btrfs_members(t->config.target, sysfs_root, dev_root, devs,
						KD_BLKDEV_MAX_MEMBERS, &n);
	if (!err)
		err = kd_btrfs_mount_data(t->config.subvol, devs, n, out, outlen);
	free(devs);
	return err;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of the crash-dump service (lib/service/): what its files share
 * and what the unit tests call directly. Never installed. */
#ifndef KEXDUMP_SERVICE_PRIV_H
#define KEXDUMP_SERVICE_PRIV_H

#include "util/util.h"
#include <kexdump/service.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a failed kexec_file_load(2) was asked to do. */
struct kd_kexec_failure {
	int errnum;			/* errno of the system call */
	enum kd_kexec_slot slot;
	bool is_root;			/* effective uid 0 */
	const char *kernel;
	const char *initrd;		/* NULL = none */
	uint64_t kernel_size, initrd_size;	/* bytes of the files */
	size_t cmdline_len;		/* strlen() of the command line */
};

/*
 * The error a user should see for @p f given the kexec state @p st of the
 * machine: it names the files and says what to do (never NULL).
 */
struct kd_error *kd_kexec_explain(const struct kd_kexec_failure *f,
				  const struct kd_kexec_state *st);

/* ---------------------------------------- mountinfo (service/blkdev.c) */

/* One line of /proc/self/mountinfo (Documentation/filesystems/proc.rst
 * 3.5), its fields unescaped; the strings live in kd_mounts.text. */
struct kd_mount {
	unsigned int major, minor;
	char *root;		/* the folder of the filesystem mounted there: "/",
				 * or a subfolder for a bind mount or subvolume */
	char *point;		/* where it is mounted */
	char *fstype;		/* "" if the line has none */
	char *source;		/* the mount source ("/dev/vda2"), "" if none */
	char *options;		/* the super block's options, "" if none */
};

struct kd_mounts {
	struct kd_mount *v;	/* in file order: a later mount on the same
				 * point hides an earlier one */
	size_t n;
	char *text;
};

/* Read every mount of @p mountinfo (NULL = /proc/self/mountinfo). */
struct kd_error *kd_blkdev_mounts(const char *mountinfo, struct kd_mounts *ret);
void kd_blkdev_mounts_free(struct kd_mounts *m);

/* ----------------------------------------- device-mapper (service/dm.c) */

/*
 * One table line "START LENGTH TYPE PARAMS" (`dmsetup table`'s form) into
 * @p ret (its name untouched): KD_ERROR_INVALID naming what is wrong.
 */
struct kd_error *kd_dm_line_parse(const char *text, struct kd_config_dm *ret);

/*
 * Called for each device argument of a table line ("8:2", "UUID=...",
 * "dm:NAME"): writes its replacement to @p out.
 */
typedef struct kd_error *kd_dm_map_fn(const char *dev, char *out, size_t outlen, void *arg);

/*
 * The parameters @p params of a @p type target ("linear": DEV OFFSET;
 * "striped": N CHUNK then N times DEV OFFSET, drivers/md/dm-linear.c and
 * dm-stripe.c) with each device replaced by @p map's answer, into @p out.
 * KD_ERROR_UNSUPPORTED for another target type, KD_ERROR_INVALID for
 * parameters that do not have that shape.
 */
struct kd_error *kd_dm_params_map(const char *type, const char *params, kd_dm_map_fn *map,
				  void *arg, char *out, size_t outlen);

/*
 * The DM ioctl buffers (include/uapi/linux/dm-ioctl.h): a struct dm_ioctl
 * (interface version 4.0.0, data_size @p size, data_start right after it,
 * @p flags, @p name) at the start of @p buf; returns its size, 0 when
 * @p size is too small or @p name too long.
 */
size_t kd_dm_ioctl_header(void *buf, size_t size, const char *name, uint32_t flags);
/*
 * DM_TABLE_LOAD's buffer for device @p name: the header, then per line a
 * struct dm_target_spec (next = bytes from it to the next one) and its
 * NUL-terminated parameters, 8-byte aligned. @p len_ret its size.
 */
struct kd_error *kd_dm_ioctl_load(void *buf, size_t size, const char *name,
				  const struct kd_config_dm *lines, size_t n, size_t *len_ret);
/*
 * The table in a DM_TABLE_STATUS reply of @p len bytes (kernel-written, but
 * bounded as hostile: drivers/md/dm-ioctl.c retrieve_status(), next counted
 * from the start of the data), at most @p max lines. KD_ERROR_NOTFOUND
 * when the kernel says the buffer was too small (DM_BUFFER_FULL_FLAG).
 */
struct kd_error *kd_dm_ioctl_table(const void *buf, size_t len, struct kd_config_dm *out,
				   size_t max, size_t *nret);

/* ------------------------------------------------- cpio (service/cpio.c) */

/*
 * A newc ("070701") cpio writer, the format the kernel unpacks as an
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst,
 * init/initramfs.c), optionally gzip-compressed as a whole (the kernel's
 * CONFIG_RD_GZIP decompressor).
 */
struct kd_cpio;

/*
 * Start an archive written to @p fd (not closed by the writer).
 * @p gzip_level 0 writes it uncompressed, 1..9 through zlib's gzip wrapper.
 */
struct kd_error *kd_cpio_create(int fd, int gzip_level, struct kd_cpio **ret);
/* Free the writer; does not write the trailer (see kd_cpio_finish). */
void kd_cpio_destroy(struct kd_cpio *cpio);

/* A directory entry; @p name has no leading '/' ("dev", "lib/modules"). */
struct kd_error *kd_cpio_dir(struct kd_cpio *cpio, const char *name,
			     uint32_t mode);
/* A character or block device node (@p mode holds S_IFCHR / S_IFBLK). */
struct kd_error *kd_cpio_node(struct kd_cpio *cpio, const char *name,
			      uint32_t mode, uint32_t rmajor, uint32_t rminor);
/* A regular file whose whole content is @p data. */
struct kd_error *kd_cpio_file(struct kd_cpio *cpio, const char *name,
			      uint32_t mode, const void *data, size_t len);
/*
 * A regular file of @p size bytes streamed by kd_cpio_data() calls that
 * must add up to exactly @p size before the next entry.
 */
struct kd_error *kd_cpio_begin_file(struct kd_cpio *cpio, const char *name,
				    uint32_t mode, uint64_t size);
struct kd_error *kd_cpio_data(struct kd_cpio *cpio, const void *data, size_t len);
/* Write "TRAILER!!!", pad to 512 bytes and flush the compressor. */
struct kd_error *kd_cpio_finish(struct kd_cpio *cpio);
/* Bytes written to the fd so far (compressed size when gzipping). */
uint64_t kd_cpio_written(const struct kd_cpio *cpio);

/* --------------------------------------- rtnetlink (service/netif.c) */

/*
 * rtnetlink messages (rtnetlink(7), include/uapi/linux/rtnetlink.h), built
 * into a caller's buffer in host byte order as the kernel reads them. Each
 * builder returns the message's length, 0 when @p size is too small.
 */
size_t kd_netif_msg_getlink(void *buf, size_t size, uint32_t seq, int ifindex);
size_t kd_netif_msg_setlink(void *buf, size_t size, uint32_t seq, int ifindex,
			    unsigned int mtu);
size_t kd_netif_msg_newaddr(void *buf, size_t size, uint32_t seq, int ifindex,
			    const uint8_t addr[4], unsigned int prefix);
size_t kd_netif_msg_getaddr(void *buf, size_t size, uint32_t seq);
size_t kd_netif_msg_newroute(void *buf, size_t size, uint32_t seq, int ifindex,
			     const uint8_t gateway[4]);
size_t kd_netif_msg_getroute(void *buf, size_t size, uint32_t seq, const uint8_t dst[4]);

/* An interface as RTM_NEWLINK describes it. */
struct kd_netif_link {
	int index;
	char name[16];
	uint8_t mac[6];
	bool has_mac;
	unsigned int flags;	/* IFF_* */
	unsigned int type;	/* ARPHRD_* */
	unsigned int mtu;
	unsigned int operstate;	/* IF_OPER_*, 0 = unknown */
	char kind[16];		/* IFLA_INFO_KIND: "bond", "bridge", "vlan", "" */
	int master;		/* IFLA_MASTER, 0 = none */
};

/* A route as RTM_NEWROUTE describes it (IPv4). */
struct kd_netif_route {
	int oif;
	uint8_t gateway[4], prefsrc[4];
	bool has_gateway, has_prefsrc;
};

/* An address as RTM_NEWADDR describes it (IPv4). */
struct kd_netif_addr {
	int index;
	uint8_t local[4];
	unsigned int prefix;
};

/* Parse one message (its nlmsghdr first, @p len bytes); KD_ERROR_FORMAT
 * when it is not that message, KD_ERROR_CORRUPT when it is damaged. */
struct kd_error *kd_netif_parse_link(const void *msg, size_t len, struct kd_netif_link *ret);
struct kd_error *kd_netif_parse_route(const void *msg, size_t len, struct kd_netif_route *ret);
struct kd_error *kd_netif_parse_addr(const void *msg, size_t len, struct kd_netif_addr *ret);
/* An NLMSG_ERROR's errno (0 for an ACK); KD_ERROR_FORMAT for another message. */
struct kd_error *kd_netif_parse_ack(const void *msg, size_t len, int *errno_ret);

/* -------------------------------------------- DHCPv4 (service/dhcp.c) */

/* RFC 2132 9.6 message types. */
enum {
	KD_DHCP_DISCOVER = 1, KD_DHCP_OFFER = 2, KD_DHCP_REQUEST = 3,
	KD_DHCP_DECLINE = 4, KD_DHCP_ACK = 5, KD_DHCP_NAK = 6,
};

/* What an OFFER or ACK gives (RFC 2131 and 2132). */
struct kd_dhcp_lease {
	int type;		/* KD_DHCP_* of the message */
	uint8_t addr[4];	/* yiaddr */
	unsigned int prefix;	/* from option 1, subnet mask */
	uint8_t router[4];	/* option 3, the first router */
	bool has_router;
	uint8_t server[4];	/* option 54, server identifier */
	bool has_server;
	uint32_t lease_seconds;	/* option 51, 0 = none given */
	unsigned int mtu;	/* option 26, 0 = none given */
};

/*
 * A BOOTREQUEST of @p type (DISCOVER or REQUEST) from @p mac with
 * transaction @p xid, the broadcast flag set; a REQUEST names @p addr
 * (option 50) and @p server (option 54). Returns its length (at least the
 * 300 bytes of a BOOTP message), 0 when @p size is too small.
 */
size_t kd_dhcp_build(void *buf, size_t size, int type, uint32_t xid, const uint8_t mac[6],
		     const uint8_t addr[4], const uint8_t server[4]);
/*
 * Parse a BOOTREPLY for transaction @p xid and client @p mac: KD_ERROR_FORMAT
 * when it is not one (another client's, not DHCP), KD_ERROR_CORRUPT when
 * damaged. An OFFER or ACK without a usable address or subnet mask is
 * KD_ERROR_CORRUPT.
 */
struct kd_error *kd_dhcp_parse(const void *buf, size_t len, uint32_t xid, const uint8_t mac[6],
			       struct kd_dhcp_lease *ret);
/*
 * The IPv4 and UDP headers around a DHCP message sent from 0.0.0.0:68 to
 * 255.255.255.255:67 (RFC 2131 4.1), for a packet socket; returns the
 * frame's length, 0 when @p size is too small.
 */
size_t kd_dhcp_frame(void *buf, size_t size, const void *msg, size_t len);
/* The DHCP message in a received IPv4 frame to UDP port 68; KD_ERROR_FORMAT
 * for any other packet, KD_ERROR_CORRUPT for a damaged one. */
struct kd_error *kd_dhcp_unframe(const void *frame, size_t len, const uint8_t **msg_ret,
				 size_t *len_ret);
/*
 * DISCOVER, OFFER, REQUEST, ACK on interface @p ifindex (up, with carrier)
 * with @p mac, over a packet socket (the interface has no address yet).
 * Retries with doubling waits (1, 2, 4, 4... s) within @p timeout_ms; a NAK
 * starts over.
 */
struct kd_error *kd_dhcp_run(int ifindex, const uint8_t mac[6], unsigned int timeout_ms,
			     struct kd_dhcp_lease *ret);

#endif

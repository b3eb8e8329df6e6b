/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file nfs.h
 * The nfs:// target: the kernel's own NFSv4 client, mounted with mount(2)
 * and the options mount.nfs would have passed, so that neither mount.nfs
 * nor rpcbind is needed in the capture initramfs (lib/service/nfs.c).
 * Part of libkexdump-service; included by service.h.
 */
#ifndef KEXDUMP_SERVICE_NFS_H
#define KEXDUMP_SERVICE_NFS_H

#include <kexdump/service/config.h>

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kd_error;

/** NFSv4 minor versions tried in order. */
#define KD_NFS_VERSIONS { "4.2", "4.1", "4.0" }

/**
 * The text options of an NFSv4 mount(2) (fs/nfs/fs_context.c parses
 * them): "vers=V,addr=SERVER,clientaddr=CLIENT,proto=tcp,port=P,soft,
 * timeo=100,retrans=2" (proto=tcp6 for an IPv6 server). soft: a server
 * lost in the middle of a dump gives the writer an error instead of a
 * capture hung for ever, so the chain can go on.
 */
struct kd_error *kd_nfs_options(const char *vers, const char *server, const char *client,
				unsigned int port, char *out, size_t outlen);
/** The mount source "SERVER:/PATH" ("[SERVER]:/PATH" for IPv6). */
struct kd_error *kd_nfs_source(const char *server, const char *path, char *out,
			       size_t outlen);
/**
 * The address of host @p host (a name or an address) in @p out, by
 * getaddrinfo (numeric only when @p numeric: the capture kernel has no
 * resolver), IPv4 first.
 */
struct kd_error *kd_nfs_resolve_host(const char *host, bool numeric, char *out,
				     size_t outlen);
/**
 * Connect to @p server (an address) TCP @p port, retried until
 * @p timeout_ms while nothing answers (the link may still be coming up);
 * a refused connection fails at once. @p client gets the local address
 * the server is reached from (the mount's clientaddr=).
 */
struct kd_error *kd_nfs_reach(const char *server, unsigned int port, unsigned int timeout_ms,
			      char *client, size_t clientlen);

/** What kd_nfs_mount() did. */
struct kd_nfs_mounted {
	char vers[8];		/**< "4.2", "4.1" or "4.0" */
	char source[600];	/**< "SERVER:/PATH" mounted */
	char dir[4096];		/**< the dump folder: the mount point + what was created */
};

/**
 * Mount the nfs target @p t (its host an address) on @p mountpoint:
 * NFSv4.2, then 4.1, then 4.0; the deepest existing folder of t->path is
 * mounted and the rest made (0700). All of it within @p timeout_ms: the
 * mount runs in a child process, killed at the bound. Errors are one line
 * saying what is wrong; they do not name the URL (the caller prefixes it).
 */
struct kd_error *kd_nfs_mount(const struct kd_config_target *t, const char *mountpoint,
			      unsigned int timeout_ms, struct kd_nfs_mounted *ret);
/**
 * setup's check of the nfs target @p t (its host an address): in a child
 * process with a private mount namespace, mount it on a temporary folder,
 * make the dump folder, create, write, fsync and delete a probe file,
 * unmount. Nothing stays mounted on the machine. @p vers_ret (may be NULL,
 * 8 bytes) gets the version the server spoke.
 */
struct kd_error *kd_nfs_check(const struct kd_config_target *t, unsigned int timeout_ms,
			      char *vers_ret);

/**
 * kexdump list of the nfs target @p t (its host an address): mounted as
 * kd_nfs_check() does, nothing created; the dump folders (kd_dumpdir_list)
 * with dir "HOST:/PATH/FOLDER". malloc'ed; free() it.
 */
struct kd_error *kd_nfs_list(const struct kd_config_target *t, unsigned int timeout_ms,
			     struct kd_dumpdir_entry **ret, size_t *nret);

#ifdef __cplusplus
}
#endif

#endif

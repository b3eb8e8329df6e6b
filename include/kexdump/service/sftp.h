/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file sftp.h
 * The ssh target: files on an SFTP server, through libssh
 * (lib/service/sftp.c). kexdump logs in with its own ed25519 key and
 * trusts only the host keys pinned in its own known_hosts file. A file
 * is written at offsets, so a dump written over SFTP is a real
 * kdump-compressed file, not a flattened stream. When the link drops,
 * the file reconnects (a bounded number of times, with bounded waits) and
 * sends again the write the server had not acknowledged: every write is
 * acknowledged before the next is sent, and writing the same bytes at the
 * same offset twice is harmless, so nothing has to be regenerated. Part of
 * libkexdump-service; included by service.h.
 */
#ifndef KEXDUMP_SERVICE_SFTP_H
#define KEXDUMP_SERVICE_SFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kexdump/service/config.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kd_error;
struct kd_kernel;
struct kd_save_options;
struct kd_save_stats;
struct kd_save_output;

/** The key kexdump logs in with, when the config names none. */
#define KD_SFTP_KEY_DEFAULT KD_CONFIG_SSH_KEY
/** Where setup pins host keys, when the config names no known_hosts. */
#define KD_SFTP_KNOWN_HOSTS_DEFAULT KD_CONFIG_KNOWN_HOSTS
/** Seconds to connect, and for each answer of the server. */
#define KD_SFTP_TIMEOUT 10u
/** Reconnects after one dropped link before the file gives up. */
#define KD_SFTP_RETRIES 5u
/** Reconnects in all, for one file: a link that keeps dropping ends it. */
#define KD_SFTP_MAX_RECONNECTS 20u

/** Where and how to log in. The strings are copied by kd_sftp_open(). */
struct kd_sftp_target {
	const char *user;
	const char *host;	/**< as in the URL: the known_hosts entry, messages */
	const char *addr;	/**< numeric address to connect to, NULL = resolve host */
	unsigned int port;	/**< 0 = 22 */
	const char *key_file;	/**< the ed25519 private key, NULL = KD_SFTP_KEY_DEFAULT */
	const char *known_hosts;	/**< the pinned host keys, NULL = KD_SFTP_KNOWN_HOSTS_DEFAULT */
	unsigned int timeout;	/**< seconds, 0 = KD_SFTP_TIMEOUT */
	unsigned int retries;	/**< reconnects per drop, 0 = KD_SFTP_RETRIES */
	unsigned int retry_wait_ms;	/**< first wait before reconnecting (doubles, at most 8 s), 0 = 1000 */
};

/** An SFTP session. */
struct kd_sftp;

enum kd_sftp_open_flags {
	/** An unknown host (no line in known_hosts) has its key pinned there (setup). */
	KD_SFTP_PIN = 1u << 0,
};

/**
 * Connect (bounded by the timeout), check the server's host key against
 * the known_hosts file (a changed key is always refused), log in with the
 * key and start SFTP. Errors are one line saying what to do; their
 * messages do not name the URL (the caller prefixes it).
 */
struct kd_error *kd_sftp_open(const struct kd_sftp_target *t, unsigned int flags,
			      struct kd_sftp **ret);
/**
 * Connect and check the server's host key only, pinning it in the
 * known_hosts file when the host has none there (setup, before it logs
 * in: a refused key must not hide the pin). @p fingerprint gets the key's
 * "SHA256:...", @p pinned whether it was pinned now.
 */
struct kd_error *kd_sftp_pin(const struct kd_sftp_target *t, char *fingerprint, size_t len,
			     bool *pinned);
/** Disconnect and free (NULL: nothing). */
void kd_sftp_close(struct kd_sftp *s);
/** The server's host key, "SHA256:..." as OpenSSH prints it. */
const char *kd_sftp_fingerprint(const struct kd_sftp *s);
/** Whether kd_sftp_open() pinned the host key (KD_SFTP_PIN, host unknown). */
bool kd_sftp_pinned(const struct kd_sftp *s);

/** mkdir -p @p path on the server (new folders 0700). */
struct kd_error *kd_sftp_mkdirs(struct kd_sftp *s, const char *path);
/** mkdir @p path (0700); KD_ERROR_INVALID with EEXIST-like meaning when it exists. */
struct kd_error *kd_sftp_mkdir(struct kd_sftp *s, const char *path, bool *exists_ret);
/** Rename, replacing @p to (posix-rename@openssh.com when the server has it). */
struct kd_error *kd_sftp_rename(struct kd_sftp *s, const char *from, const char *to);
struct kd_error *kd_sftp_unlink(struct kd_sftp *s, const char *path);
/** The size of @p path on the server; KD_ERROR_NOTFOUND when absent. */
struct kd_error *kd_sftp_size(struct kd_sftp *s, const char *path, uint64_t *size_ret);
/** Create @p path (0600, never an existing one), write @p len bytes, fsync, close. */
struct kd_error *kd_sftp_put(struct kd_sftp *s, const char *path, const void *buf,
			     size_t len);
/**
 * setup's check of a target: mkdir -p @p folder, then create, write,
 * fsync and delete a probe file in it.
 */
struct kd_error *kd_sftp_probe(struct kd_sftp *s, const char *folder);

/**
 * kexdump list of folder @p path on the server: its dump folders
 * (kd_dumpdir_list's entries, dir "PATH/FOLDER"), oldest first; a
 * missing @p path is an empty list. malloc'ed; free() it.
 */
struct kd_error *kd_sftp_list(struct kd_sftp *s, const char *path,
			      struct kd_dumpdir_entry **ret, size_t *nret);

/** A file on the server open for writing and reading back. */
struct kd_sftp_file;

/** What the link did while a file was written. */
struct kd_sftp_file_stats {
	unsigned int drops;	/**< times the link dropped */
	unsigned int reconnects;	/**< of which resumed (reconnected, write sent again) */
	uint64_t resumed_at;	/**< offset of the last write sent again */
	uint64_t server_size;	/**< the file's size on the server at the last resume */
	uint64_t bytes_sent;	/**< payload bytes written, resent ones included */
	char error[256];	/**< why the last resume failed, "" if none did */
};

/** Create @p path (0600; never an existing one) on @p s, open read-write. */
struct kd_error *kd_sftp_file_create(struct kd_sftp *s, const char *path,
				     struct kd_sftp_file **ret);
/** Write all of @p buf at @p off, resuming after a dropped link; @p done as kd_save_output. */
struct kd_error *kd_sftp_file_pwrite(struct kd_sftp_file *f, const void *buf, size_t len,
				     uint64_t off, size_t *done);
/** Read @p len bytes at @p off (past the end: zeros). */
struct kd_error *kd_sftp_file_pread(struct kd_sftp_file *f, void *buf, size_t len,
				    uint64_t off);
/** Make what was written durable on the server (fsync@openssh.com; nothing without it). */
struct kd_error *kd_sftp_file_fsync(struct kd_sftp_file *f);
/** Close the handle and free @p f (NULL: nothing). */
struct kd_error *kd_sftp_file_close(struct kd_sftp_file *f);
const struct kd_sftp_file_stats *kd_sftp_file_stats(const struct kd_sftp_file *f);
/** The save output writing to @p f (name: the file's path on the server). */
void kd_sftp_file_output(struct kd_sftp_file *f, struct kd_save_output *ret);

/**
 * kd_save_file() over SFTP: the dump into "PATH.incomplete" (0600, new),
 * fsync'ed, renamed to PATH; a dump cut short (the link lost for good, a
 * full disk on the server) is renamed too when the link allows it, marked
 * incomplete. @p fstats (may be NULL) gets what the link did.
 */
struct kd_error *kd_sftp_save(struct kd_sftp *s, struct kd_kernel *kernel, const char *path,
			      const struct kd_save_options *opts, struct kd_save_stats *stats,
			      struct kd_sftp_file_stats *fstats);

/**
 * The key kexdump logs in with: create an ed25519 key at @p path (0600,
 * its public line at PATH.pub, 0644) when there is none. @p line gets the
 * public key line for the server's authorized_keys ("ssh-ed25519 AAAA...
 * kexdump@HOST"), @p created whether it was made now.
 */
struct kd_error *kd_sftp_keygen(const char *path, const char *comment, char *line,
				size_t linelen, bool *created);

#ifdef __cplusplus
}
#endif

#endif

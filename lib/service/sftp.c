// SPDX-License-Identifier: LGPL-2.1-or-later
// The ssh target: files on an SFTP server (draft-ietf-secsh-filexfer-02,
// version 3, with OpenSSH's fsync@openssh.com and posix-rename@openssh.com
// extensions, PROTOCOL in openssh-portable), through libssh.
//
// The connection is ours: a TCP socket connected with a bounded wait and
// given TCP_USER_TIMEOUT and keepalives, so that a link that goes silent
// (a cable, a switch, a server that froze) fails a blocked read in seconds
// instead of hanging the capture: libssh's own reads loop for ever on a
// silent channel. Host keys are checked against our known_hosts file only
// (never ~/.ssh or /etc/ssh), and only our key file is offered.
//
// Resuming. Every write is one SSH_FXP_WRITE that libssh sends and waits
// for (sftp_write() is synchronous): once it returns, the server has
// written those bytes into the file. When the link drops, the write in
// flight is the only one not acknowledged; the file reconnects, opens the
// same path again (never creating it: a file the server lost is not
// silently restarted with a hole at its start) and sends that write
// again. Data at an offset is idempotent, and the kdump writer's later
// rewrites (the header, the bitmaps of unreadable pages) come after in
// the same order, so the file ends as it would have without the drop:
// nothing has to be regenerated. When reconnecting fails (retries used
// up, the host key changed, the key refused, the file gone) the write
// fails with KD_ERROR_OS (ECONNRESET or the cause) and the save stops as
// on a full disk: what the server holds is a dump marked incomplete
// (its header says so from the first write, and descriptors are written
// only after their data).
#include "service/service.h"
#include <kexdump/save.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// Bytes per SSH_FXP_WRITE/READ: 32 KiB is what every server must take
// (filexfer-02 section 3); an OpenSSH server (it announces
// limits@openssh.com) takes messages of 256 KiB (sftp-common.h
// SFTP_MAX_MSG_LENGTH), so 128 KiB there: sftp_write() waits for each
// answer, and bigger writes mean fewer round trips.
#define SFTP_CHUNK_MIN (32u << 10)
#define SFTP_CHUNK_OPENSSH (128u << 10)
#define SFTP_MAX_WAIT_MS 8000u
// kd_sftp_open() flag of kd_sftp_pin: stop after the host key.
#define SFTP_HOST_ONLY (1u << 16)

struct kd_sftp {
	struct kd_sftp_target t;	// strings point into strs
	char *strs;
	char where[300];		// "user@host:port", for messages
	ssh_session ssh;
	sftp_session sftp;
	size_t chunk;
	bool has_fsync, has_posix_rename;
	bool pinned;
	char fingerprint[128];
};

struct kd_sftp_file {
	struct kd_sftp *s;
	char *path;
	sftp_file f;
	bool dead;			// gave up: every later call fails
	struct kd_sftp_file_stats st;
};

/* ------------------------------------------------------------ errors */

static int sftp_status_errno(int status)
{
	switch (status) {
	case SSH_FX_NO_SUCH_FILE:
	case SSH_FX_NO_SUCH_PATH:
		return ENOENT;
	case SSH_FX_PERMISSION_DENIED:
	case SSH_FX_WRITE_PROTECT:
		return EACCES;
	case SSH_FX_FILE_ALREADY_EXISTS:
		return EEXIST;
	case SSH_FX_OP_UNSUPPORTED:
		return EOPNOTSUPP;
	case SSH_FX_NO_CONNECTION:
	case SSH_FX_CONNECTION_LOST:
		return ECONNRESET;
	default:
		return EIO;
	}
}

// Whether the last failure was the link (rather than an answer of the
// server): the session is gone, or libssh calls it fatal.
static bool sftp_link_lost(const struct kd_sftp *s)
{
	if (!s->ssh || !s->sftp)
		return true;
	int st = sftp_get_error(s->sftp);
	if (st == SSH_FX_NO_CONNECTION || st == SSH_FX_CONNECTION_LOST)
		return true;
	return !ssh_is_connected(s->ssh) || ssh_get_error_code(s->ssh) == SSH_FATAL;
}

// The error of a failed SFTP call on @p what: the server's status as an
// errno (ENOENT, EACCES, ...; ECONNRESET for a lost link), with libssh's
// message.
static struct kd_error *sftp_error(const struct kd_sftp *s, const char *what, ...)
	__attribute__((format(printf, 2, 3)));
static struct kd_error *sftp_error(const struct kd_sftp *s, const char *what, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, what);
	vsnprintf(buf, sizeof(buf), what, ap);
	va_end(ap);
	bool lost = sftp_link_lost(s);
	int e = lost ? ECONNRESET : sftp_status_errno(s->sftp ? sftp_get_error(s->sftp) : 0);
	const char *msg = s->ssh ? ssh_get_error(s->ssh) : "";
	if (lost)
		return kd_error_create(KD_ERROR_OS, "%s: the link to %s dropped%s%s", buf,
				       s->where, msg && *msg ? ": " : "", msg ? msg : "");
	struct kd_error *err = kd_error_os(e, "%s", buf);
	return err;
}

/* ----------------------------------------------------------- connect */

static int sftp_poll_connect(int fd, unsigned int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	for (;;) {
		int r = poll(&p, 1, (int)timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return ETIMEDOUT;
		int e = 0;
		socklen_t len = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
			return errno;
		return e;
	}
}

// A TCP connection to the target within the timeout, set up so that a
// silent link fails reads: unacknowledged data for longer than the
// timeout (TCP_USER_TIMEOUT), or an idle link that stops answering
// keepalives, resets it.
static struct kd_error *sftp_connect_socket(const struct kd_sftp *s, int *fd_ret)
{
	const struct kd_sftp_target *t = &s->t;
	char port[16];
	snprintf(port, sizeof(port), "%u", t->port);
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | (t->addr ? AI_NUMERICHOST : 0),
	};
	struct addrinfo *ai;
	const char *name = t->addr ? t->addr : t->host;
	int r = getaddrinfo(name, port, &hints, &ai);
	if (r)
		return kd_error_create(KD_ERROR_OS, "cannot resolve %s: %s (use the server's address)",
				       name, r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
	int e = EHOSTUNREACH;
	int fd = -1;
	unsigned int tmo = t->timeout * 1000u;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			e = 0;
		else
			e = errno == EINPROGRESS ? sftp_poll_connect(fd, tmo) : errno;
		if (!e)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return kd_error_os(e, "cannot connect to %s port %u", name, t->port);
	int fl = fcntl(fd, F_GETFL);
	int one = 1, idle = (int)t->timeout, intvl = 2, cnt = 3;
	unsigned int user_tmo = tmo;
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		e = errno;
		close(fd);
		return kd_error_os(e, "%s port %u: cannot set the socket blocking", name,
				   t->port);
	}
	// Best effort: each only shortens how long a dead link goes unseen.
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_tmo, sizeof(user_tmo));
	*fd_ret = fd;
	return NULL;
}

static void sftp_disconnect(struct kd_sftp *s)
{
	if (s->sftp)
		sftp_free(s->sftp);
	s->sftp = NULL;
	if (s->ssh) {
		ssh_disconnect(s->ssh);
		ssh_free(s->ssh);	// closes the socket we gave it
	}
	s->ssh = NULL;
}

// The server's key against the known_hosts file; an unknown host pinned
// there when @p pin.
static struct kd_error *sftp_check_host(struct kd_sftp *s, bool pin)
{
	ssh_key key = NULL;
	if (ssh_get_server_publickey(s->ssh, &key) != SSH_OK)
		return kd_error_create(KD_ERROR_INVALID, "%s: no host key: %s", s->where,
				       ssh_get_error(s->ssh));
	unsigned char *hash = NULL;
	size_t hlen = 0;
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
		char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
		snprintf(s->fingerprint, sizeof(s->fingerprint), "%s", fp ? fp : "");
		ssh_string_free_char(fp);
		ssh_clean_pubkey_hash(&hash);
	}
	ssh_key_free(key);
	const char *kh = s->t.known_hosts;
	enum ssh_known_hosts_e st = ssh_session_is_known_server(s->ssh);
	switch (st) {
	case SSH_KNOWN_HOSTS_OK:
		return NULL;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		return kd_error_create(KD_ERROR_INVALID,
			"the host key of %s changed since it was pinned in %s (now %s): "
			"if the server was reinstalled, delete its line there and run kexdump setup again",
			s->where, kh, s->fingerprint);
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		return kd_error_create(KD_ERROR_INVALID, "%s: cannot check the host key in %s: %s",
				       s->where, kh, ssh_get_error(s->ssh));
	}
	if (!pin)
		return kd_error_create(KD_ERROR_INVALID,
			"the host key of %s (%s) is not in %s: add it there (ssh-keyscan -p %u %s), "
			"or leave known_hosts out of the config to have kexdump setup pin it",
			s->where, s->fingerprint, kh, s->t.port, s->t.host);
	char *line = NULL;
	if (ssh_session_export_known_hosts_entry(s->ssh, &line) != SSH_OK)
		return kd_error_create(KD_ERROR_INVALID, "%s: cannot format the host key: %s",
				       s->where, ssh_get_error(s->ssh));
	int fd = open(kh, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	struct kd_error *err = NULL;
	size_t len = strlen(line);
	if (fd < 0)
		err = kd_error_os(errno, "%s: cannot create", kh);
	else if (write(fd, line, len) != (ssize_t)len || fsync(fd) < 0)
		err = kd_error_os(errno ? errno : EIO, "%s: cannot write", kh);
	if (fd >= 0)
		close(fd);
	ssh_string_free_char(line);
	if (!err)
		s->pinned = true;
	return err;
}

static struct kd_error *sftp_login(struct kd_sftp *s)
{
	const char *kf = s->t.key_file;
	ssh_key key = NULL;
	if (access(kf, R_OK) < 0)
		return kd_error_os(errno, "%s: cannot read the ssh key (kexdump setup creates it)",
				   kf);
	if (ssh_pki_import_privkey_file(kf, NULL, NULL, NULL, &key) != SSH_OK)
		return kd_error_create(KD_ERROR_INVALID,
				       "%s: not a private key libssh reads (delete it and run kexdump setup to make a new one)",
				       kf);
	int r = ssh_userauth_publickey(s->ssh, NULL, key);
	ssh_key_free(key);
	if (r == SSH_AUTH_SUCCESS)
		return NULL;
	if (r == SSH_AUTH_DENIED || r == SSH_AUTH_PARTIAL)
		return kd_error_create(KD_ERROR_INVALID,
			"%s refused the key %s: add the line of %s.pub to ~%s/.ssh/authorized_keys on %s",
			s->where, kf, kf, s->t.user, s->t.host);
	return kd_error_create(KD_ERROR_OS, "%s: login failed: %s", s->where,
			       ssh_get_error(s->ssh));
}

// One attempt: TCP, SSH, host key, login, SFTP (@p host_only: up to the
// host key).
static struct kd_error *sftp_connect_to(struct kd_sftp *s, bool pin, bool host_only)
{
	int fd;
	struct kd_error *err = sftp_connect_socket(s, &fd);
	if (err)
		return err;
	s->ssh = ssh_new();
	if (!s->ssh) {
		close(fd);
		return &kd_enomem;
	}
	long tmo = (long)s->t.timeout;
	int no = 0, verbosity = SSH_LOG_NOLOG;
	const char *kh = s->t.known_hosts;
	char dir[KD_TARGET_PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", s->t.key_file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	// Nothing from the user's ~/.ssh or the system's /etc/ssh: the
	// config, the known hosts and the identities are ours (the capture
	// has no home anyway; the ssh dir must be set or libssh looks one up).
	if (ssh_options_set(s->ssh, SSH_OPTIONS_FD, &fd) < 0) {
		close(fd);
		return kd_error_create(KD_ERROR_OS, "libssh: %s", ssh_get_error(s->ssh));
	}
	if (ssh_options_set(s->ssh, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_HOST, s->t.host) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_PORT, &s->t.port) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_USER, s->t.user) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_SSH_DIR, slash ? dir : ".") < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_KNOWNHOSTS, kh) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, kh) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &tmo) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_GSSAPI_AUTH, &no) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_PASSWORD_AUTH, &no) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_KBDINT_AUTH, &no) < 0)
		return kd_error_create(KD_ERROR_INVALID, "%s: libssh: %s", s->where,
				       ssh_get_error(s->ssh));
	if (ssh_connect(s->ssh) != SSH_OK)
		return kd_error_create(KD_ERROR_OS, "%s: no ssh server answers: %s", s->where,
				       ssh_get_error(s->ssh));
	if ((err = sftp_check_host(s, pin)) || host_only || (err = sftp_login(s)))
		return err;
	s->sftp = sftp_new(s->ssh);
	if (!s->sftp)
		return kd_error_create(KD_ERROR_OS, "%s: cannot open an SFTP channel: %s", s->where,
				       ssh_get_error(s->ssh));
	if (sftp_init(s->sftp) != SSH_OK)
		return kd_error_create(KD_ERROR_OS,
			"%s: SFTP refused: %s (the server needs 'Subsystem sftp internal-sftp' or sftp-server)",
			s->where, ssh_get_error(s->ssh));
	s->has_fsync = sftp_extension_supported(s->sftp, "fsync@openssh.com", "1");
	s->has_posix_rename = sftp_extension_supported(s->sftp, "posix-rename@openssh.com", "1");
	s->chunk = sftp_extension_supported(s->sftp, "limits@openssh.com", "1") ?
		   SFTP_CHUNK_OPENSSH : SFTP_CHUNK_MIN;
	return NULL;
}

static struct kd_error *sftp_connect(struct kd_sftp *s, bool pin)
{
	return sftp_connect_to(s, pin, false);
}

static char *sftp_copy(char **p, const char *src)
{
	if (!src)
		return NULL;
	char *d = *p;
	size_t n = strlen(src) + 1;
	memcpy(d, src, n);
	*p += n;
	return d;
}

KD_EXPORT struct kd_error *kd_sftp_open(const struct kd_sftp_target *t, unsigned int flags,
					struct kd_sftp **ret)
{
	if (!t->user || !*t->user || !t->host || !*t->host)
		return kd_error_create(KD_ERROR_INVALID, "an ssh target needs a user and a host");
	const char *kf = t->key_file ? t->key_file : KD_SFTP_KEY_DEFAULT;
	const char *kh = t->known_hosts ? t->known_hosts : KD_SFTP_KNOWN_HOSTS_DEFAULT;
	size_t n = strlen(t->user) + strlen(t->host) + (t->addr ? strlen(t->addr) : 0) +
		   strlen(kf) + strlen(kh) + 5;
	struct kd_sftp *s = calloc(1, sizeof(*s));
	char *p = malloc(n);
	if (!s || !p) {
		free(s);
		free(p);
		return &kd_enomem;
	}
	s->strs = p;
	s->t = *t;
	s->t.user = sftp_copy(&p, t->user);
	s->t.host = sftp_copy(&p, t->host);
	s->t.addr = sftp_copy(&p, t->addr);
	s->t.key_file = sftp_copy(&p, kf);
	s->t.known_hosts = sftp_copy(&p, kh);
	if (!s->t.port)
		s->t.port = 22;
	if (!s->t.timeout)
		s->t.timeout = KD_SFTP_TIMEOUT;
	if (!s->t.retries)
		s->t.retries = KD_SFTP_RETRIES;
	if (!s->t.retry_wait_ms)
		s->t.retry_wait_ms = 1000;
	snprintf(s->where, sizeof(s->where), "%s@%s port %u", s->t.user, s->t.host, s->t.port);
	struct kd_error *err = sftp_connect_to(s, flags & KD_SFTP_PIN, flags & SFTP_HOST_ONLY);
	if (err) {
		kd_sftp_close(s);
		return err;
	}
	*ret = s;
	return NULL;
}

KD_EXPORT struct kd_error *kd_sftp_pin(const struct kd_sftp_target *t, char *fingerprint,
				       size_t len, bool *pinned)
{
	struct kd_sftp *s;
	struct kd_error *err = kd_sftp_open(t, KD_SFTP_PIN | SFTP_HOST_ONLY, &s);
	if (err)
		return err;
	snprintf(fingerprint, len, "%s", s->fingerprint);
	*pinned = s->pinned;
	kd_sftp_close(s);
	return NULL;
}

KD_EXPORT void kd_sftp_close(struct kd_sftp *s)
{
	if (!s)
		return;
	sftp_disconnect(s);
	free(s->strs);
	free(s);
}

KD_EXPORT const char *kd_sftp_fingerprint(const struct kd_sftp *s)
{
	return s->fingerprint;
}

KD_EXPORT bool kd_sftp_pinned(const struct kd_sftp *s)
{
	return s->pinned;
}

/* ------------------------------------------------------ folder, names */

KD_EXPORT struct kd_error *kd_sftp_mkdir(struct kd_sftp *s, const char *path, bool *exists_ret)
{
	*exists_ret = false;
	if (sftp_mkdir(s->sftp, path, 0700) == 0)
		return NULL;
	// Version 3 has no "already exists" status (OpenSSH answers
	// SSH_FX_FAILURE): ask for the folder.
	if (sftp_link_lost(s))
		return sftp_error(s, "%s: cannot create", path);
	sftp_attributes a = sftp_stat(s->sftp, path);
	if (a) {
		bool dir = a->type == SSH_FILEXFER_TYPE_DIRECTORY;
		sftp_attributes_free(a);
		if (dir) {
			*exists_ret = true;
			return NULL;
		}
		return kd_error_create(KD_ERROR_INVALID, "%s: exists and is not a folder", path);
	}
	return sftp_error(s, "%s: cannot create", path);
}

KD_EXPORT struct kd_error *kd_sftp_mkdirs(struct kd_sftp *s, const char *path)
{
	size_t n = strlen(path);
	char *p = malloc(n + 1);
	if (!p)
		return &kd_enomem;
	memcpy(p, path, n + 1);
	struct kd_error *err = NULL;
	for (size_t i = 1; i <= n && !err; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		bool exists;
		err = kd_sftp_mkdir(s, p, &exists);
		p[i] = c;
	}
	free(p);
	return err;
}

KD_EXPORT struct kd_error *kd_sftp_rename(struct kd_sftp *s, const char *from, const char *to)
{
	// libssh sends posix-rename@openssh.com when the server has it (a
	// plain version-3 rename refuses an existing target).
	if (sftp_rename(s->sftp, from, to) == 0)
		return NULL;
	return sftp_error(s, "cannot rename %s to %s", from, to);
}

KD_EXPORT struct kd_error *kd_sftp_unlink(struct kd_sftp *s, const char *path)
{
	if (sftp_unlink(s->sftp, path) == 0)
		return NULL;
	return sftp_error(s, "%s: cannot delete", path);
}

KD_EXPORT struct kd_error *kd_sftp_size(struct kd_sftp *s, const char *path, uint64_t *size_ret)
{
	sftp_attributes a = sftp_stat(s->sftp, path);
	if (!a) {
		if (!sftp_link_lost(s) && sftp_get_error(s->sftp) == SSH_FX_NO_SUCH_FILE)
			return kd_error_create(KD_ERROR_NOTFOUND, "%s: no such file", path);
		return sftp_error(s, "%s: cannot stat", path);
	}
	*size_ret = a->size;
	sftp_attributes_free(a);
	return NULL;
}

/* -------------------------------------------------------------- files */

static struct kd_error *sftp_file_open(struct kd_sftp_file *f, bool create)
{
	int flags = O_RDWR | (create ? O_CREAT | O_EXCL : 0);
	f->f = sftp_open(f->s->sftp, f->path, flags, 0600);
	if (!f->f) {
		if (!sftp_link_lost(f->s) && sftp_get_error(f->s->sftp) == SSH_FX_FAILURE && create)
			return kd_error_os(EEXIST, "%s: cannot create", f->path);
		return sftp_error(f->s, "%s: cannot %s", f->path, create ? "create" : "open");
	}
	return NULL;
}

KD_EXPORT struct kd_error *kd_sftp_file_create(struct kd_sftp *s, const char *path,
					       struct kd_sftp_file **ret)
{
	struct kd_sftp_file *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		return &kd_enomem;
	}
	f->s = s;
	struct kd_error *err = sftp_file_open(f, true);
	if (err) {
		free(f->path);
		free(f);
		return err;
	}
	*ret = f;
	return NULL;
}

static void sftp_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

// After a dropped link: connect again (retries, waits doubling from
// retry_wait_ms up to 8 s), open the file again and ask its size. A host
// key that changed, a key refused or a file gone end it at once.
static struct kd_error *sftp_file_resume(struct kd_sftp_file *f, uint64_t off)
{
	struct kd_sftp *s = f->s;
	f->st.drops++;
	if (f->f)
		sftp_close(f->f);	// frees the handle; the server's is gone with the link
	f->f = NULL;
	struct kd_error *err = NULL;
	unsigned int wait = s->t.retry_wait_ms;
	if (f->st.reconnects >= KD_SFTP_MAX_RECONNECTS) {
		err = kd_error_create(KD_ERROR_OS, "%s: the link to %s dropped %u times: giving up",
				      f->path, s->where, f->st.drops);
		goto fail;
	}
	for (unsigned int i = 0; i < s->t.retries; i++) {
		sftp_disconnect(s);
		sftp_sleep_ms(wait);
		wait = wait * 2 > SFTP_MAX_WAIT_MS ? SFTP_MAX_WAIT_MS : wait * 2;
		kd_error_destroy(err);
		err = sftp_connect(s, false);
		if (err && kd_error_code(err) == KD_ERROR_INVALID)
			break;	// the host key or the login: retrying will not help
		if (!err)
			err = sftp_file_open(f, false);
		if (!err) {
			sftp_attributes a = sftp_fstat(f->f);
			f->st.server_size = a ? a->size : 0;
			sftp_attributes_free(a);
			f->st.reconnects++;
			f->st.resumed_at = off;
			return NULL;
		}
		if (kd_error_code(err) == KD_ERROR_OS && kd_error_errno(err) == ENOENT)
			break;	// the server lost the file: no resuming into a hole
	}
fail:
	f->dead = true;
	snprintf(f->st.error, sizeof(f->st.error), "%s", kd_error_message(err));
	// KD_ERROR_OS for the writer whatever the cause (it then keeps what
	// was written as an incomplete dump): the cause's errno, else
	// ECONNRESET.
	if (kd_error_code(err) == KD_ERROR_OS && kd_error_errno(err))
		return kd_error_prefix(err, "%s: the link to %s dropped and resuming failed",
				       f->path, s->where);
	struct kd_error *out = kd_error_os(ECONNRESET,
		"%s: the link to %s dropped and resuming failed (%s)", f->path, s->where,
		kd_error_message(err));
	kd_error_destroy(err);
	return out;
}

static struct kd_error *sftp_file_dead(const struct kd_sftp_file *f)
{
	return kd_error_os(ECONNRESET, "%s: the link to %s is lost (%s)", f->path, f->s->where,
			   f->st.error);
}

KD_EXPORT struct kd_error *kd_sftp_file_pwrite(struct kd_sftp_file *f, const void *buf,
					       size_t len, uint64_t off, size_t *done)
{
	const uint8_t *p = buf;
	size_t got = 0;
	*done = 0;
	if (f->dead)
		return sftp_file_dead(f);
	while (got < len) {
		size_t n = len - got < f->s->chunk ? len - got : f->s->chunk;
		ssize_t w = -1;
		if (sftp_seek64(f->f, off + got) == 0)
			w = sftp_write(f->f, p + got, n);
		if (w == (ssize_t)n) {
			got += n;
			f->st.bytes_sent += n;
			*done = got;
			continue;
		}
		if (!sftp_link_lost(f->s))
			return sftp_error(f->s, "%s: write of %zu bytes at offset %#llx failed",
					  f->path, n, (unsigned long long)(off + got));
		// Not acknowledged: sent again once reconnected.
		struct kd_error *err = sftp_file_resume(f, off + got);
		if (err)
			return err;
	}
	return NULL;
}

KD_EXPORT struct kd_error *kd_sftp_file_pread(struct kd_sftp_file *f, void *buf, size_t len,
					      uint64_t off)
{
	uint8_t *p = buf;
	size_t got = 0;
	if (f->dead)
		return sftp_file_dead(f);
	while (got < len) {
		size_t n = len - got < f->s->chunk ? len - got : f->s->chunk;
		ssize_t r = -1;
		if (sftp_seek64(f->f, off + got) == 0)
			r = sftp_read(f->f, p + got, n);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0) {	// past the end: never written
			memset(p + got, 0, len - got);
			return NULL;
		}
		if (!sftp_link_lost(f->s))
			return sftp_error(f->s, "%s: read of %zu bytes at offset %#llx failed",
					  f->path, n, (unsigned long long)(off + got));
		struct kd_error *err = sftp_file_resume(f, off + got);
		if (err)
			return err;
	}
	return NULL;
}

KD_EXPORT struct kd_error *kd_sftp_file_fsync(struct kd_sftp_file *f)
{
	if (f->dead)
		return sftp_file_dead(f);
	if (!f->s->has_fsync)
		return NULL;
	for (;;) {
		if (sftp_fsync(f->f) == 0)
			return NULL;
		if (!sftp_link_lost(f->s))
			return sftp_error(f->s, "%s: fsync failed", f->path);
		// The data was acknowledged before the drop: it is in the
		// server's file, and fsync of the reopened file makes it durable.
		struct kd_error *err = sftp_file_resume(f, 0);
		if (err)
			return err;
	}
}

KD_EXPORT struct kd_error *kd_sftp_file_close(struct kd_sftp_file *f)
{
	if (!f)
		return NULL;
	struct kd_error *err = NULL;
	if (f->f && sftp_close(f->f) != 0 && !f->dead && !sftp_link_lost(f->s))
		err = sftp_error(f->s, "%s: close failed", f->path);
	free(f->path);
	free(f);
	return err;
}

KD_EXPORT const struct kd_sftp_file_stats *kd_sftp_file_stats(const struct kd_sftp_file *f)
{
	return &f->st;
}

static struct kd_error *sftp_output_pwrite(void *arg, const void *buf, size_t len,
					   uint64_t off, size_t *done)
{
	return kd_sftp_file_pwrite(arg, buf, len, off, done);
}

static struct kd_error *sftp_output_pread(void *arg, void *buf, size_t len, uint64_t off)
{
	return kd_sftp_file_pread(arg, buf, len, off);
}

KD_EXPORT void kd_sftp_file_output(struct kd_sftp_file *f, struct kd_save_output *ret)
{
	*ret = (struct kd_save_output){
		.name = f->path, .pwrite = sftp_output_pwrite, .pread = sftp_output_pread,
		.arg = f,
	};
}

KD_EXPORT struct kd_error *kd_sftp_put(struct kd_sftp *s, const char *path, const void *buf,
				       size_t len)
{
	struct kd_sftp_file *f;
	struct kd_error *err = kd_sftp_file_create(s, path, &f);
	if (err)
		return err;
	size_t done;
	err = kd_sftp_file_pwrite(f, buf, len, 0, &done);
	if (!err)
		err = kd_sftp_file_fsync(f);
	struct kd_error *cerr = kd_sftp_file_close(f);
	if (!err)
		err = cerr;
	else
		kd_error_destroy(cerr);
	return err;
}

KD_EXPORT struct kd_error *kd_sftp_probe(struct kd_sftp *s, const char *folder)
{
	struct kd_error *err = kd_sftp_mkdirs(s, folder);
	if (err)
		return err;
	char path[KD_TARGET_PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/.kexdump-probe-%ld", folder,
			     (long)getpid()) >= sizeof(path))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", folder);
	static const char probe[] = "kexdump setup: this file is deleted at once\n";
	err = kd_sftp_put(s, path, probe, sizeof(probe) - 1);
	if (err && kd_error_code(err) == KD_ERROR_OS && kd_error_errno(err) == EEXIST) {
		// Left by a setup that was killed: ours to replace.
		kd_error_destroy(err);
		kd_error_destroy(kd_sftp_unlink(s, path));
		err = kd_sftp_put(s, path, probe, sizeof(probe) - 1);
	}
	if (err)
		return kd_error_prefix(err, "%s: cannot write there", folder);
	return kd_sftp_unlink(s, path);
}

/* ------------------------------------------------------------ listing */

// Bytes of a summary read back (a few hundred are written).
#define SFTP_SUMMARY_MAX 16384
// Folders listed at most (as kd_dumpdir_list).
#define SFTP_LIST_MAX 100000

static bool sftp_file_size(struct kd_sftp *s, const char *dir, const char *name,
			   uint64_t *size)
{
	char p[KD_TARGET_PATH_MAX];
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p))
		return false;
	sftp_attributes a = sftp_lstat(s->sftp, p);
	if (!a)
		return false;
	bool reg = a->type == SSH_FILEXFER_TYPE_REGULAR;
	*size = a->size;
	sftp_attributes_free(a);
	return reg;
}

// The summary of folder @p dir into @p buf (at most SFTP_SUMMARY_MAX
// bytes); false when there is none.
static bool sftp_read_summary(struct kd_sftp *s, const char *dir, char *buf, size_t *len_ret)
{
	char p[KD_TARGET_PATH_MAX];
	uint64_t size;
	if (!sftp_file_size(s, dir, KD_DUMPDIR_SUMMARY, &size) ||
	    (size_t)snprintf(p, sizeof(p), "%s/%s", dir, KD_DUMPDIR_SUMMARY) >= sizeof(p))
		return false;
	sftp_file f = sftp_open(s->sftp, p, O_RDONLY, 0);
	if (!f)
		return false;
	size_t len = 0;
	while (len < SFTP_SUMMARY_MAX) {
		ssize_t r = sftp_read(f, buf + len, SFTP_SUMMARY_MAX - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	sftp_close(f);
	*len_ret = len;
	return true;
}

KD_EXPORT struct kd_error *kd_sftp_list(struct kd_sftp *s, const char *path,
					struct kd_dumpdir_entry **ret, size_t *nret)
{
	*ret = NULL;
	*nret = 0;
	sftp_dir d = sftp_opendir(s->sftp, path);
	if (!d) {
		if (!sftp_link_lost(s) && (sftp_get_error(s->sftp) == SSH_FX_NO_SUCH_FILE ||
					   sftp_get_error(s->sftp) == SSH_FX_NO_SUCH_PATH))
			return NULL;	// nothing dumped yet
		return sftp_error(s, "%s: cannot list", path);
	}
	struct kd_dumpdir_entry *list = NULL;
	size_t n = 0, cap = 0;
	char *buf = malloc(SFTP_SUMMARY_MAX);
	struct kd_error *err = buf ? NULL : &kd_enomem;
	sftp_attributes a;
	while (!err && n < SFTP_LIST_MAX && (a = sftp_readdir(s->sftp, d))) {
		struct kd_dumpdir_entry e;
		bool dir = a->type == SSH_FILEXFER_TYPE_DIRECTORY;
		bool ok = dir && a->name && kd_dumpdir_parse_name(path, a->name, &e);
		sftp_attributes_free(a);
		if (!ok)
			continue;
		uint64_t dsize;
		e.has_vmcore = sftp_file_size(s, e.dir, KD_DUMPDIR_VMCORE, &e.vmcore_size) ||
			       sftp_file_size(s, e.dir, KD_DUMPDIR_VMCORE ".incomplete",
					      &e.vmcore_size);
		e.has_dmesg = sftp_file_size(s, e.dir, KD_DUMPDIR_DMESG, &dsize);
		size_t len = 0;
		bool has = sftp_read_summary(s, e.dir, buf, &len);
		kd_dumpdir_parse_summary(has ? buf : NULL, len, &e);
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct kd_dumpdir_entry *p = realloc(list, ncap * sizeof(*list));
			if (!p) {
				err = &kd_enomem;
				break;
			}
			list = p;
			cap = ncap;
		}
		list[n++] = e;
	}
	if (!err && !sftp_dir_eof(d) && n < SFTP_LIST_MAX)
		err = sftp_error(s, "%s: cannot list", path);
	sftp_closedir(d);
	free(buf);
	if (err) {
		free(list);
		return err;
	}
	kd_dumpdir_sort(list, n);
	*ret = list;
	*nret = n;
	return NULL;
}

/* --------------------------------------------------------------- save */

KD_EXPORT struct kd_error *kd_sftp_save(struct kd_sftp *s, struct kd_kernel *kernel,
					const char *path, const struct kd_save_options *opts,
					struct kd_save_stats *stats,
					struct kd_sftp_file_stats *fstats)
{
	memset(stats, 0, sizeof(*stats));
	if (fstats)
		memset(fstats, 0, sizeof(*fstats));
	char tmp[KD_TARGET_PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.incomplete", path) >= sizeof(tmp))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", path);
	struct kd_sftp_file *f;
	struct kd_error *err = kd_sftp_file_create(s, tmp, &f);
	if (err)
		return err;
	struct kd_save_output out;
	kd_sftp_file_output(f, &out);
	err = kd_save_to(kernel, &out, opts, stats);
	if (!err || stats->incomplete) {
		struct kd_error *ferr = kd_sftp_file_fsync(f);
		if (!err)
			err = ferr;
		else
			kd_error_destroy(ferr);
	}
	bool dead = f->dead;
	if (fstats)
		*fstats = f->st;
	struct kd_error *cerr = kd_sftp_file_close(f);
	if (!err)
		err = cerr;
	else
		kd_error_destroy(cerr);
	// A partial dump is renamed as on a local target (its header says it
	// is incomplete); with the link lost for good it stays as tmp.
	if ((!err || stats->incomplete) && !dead) {
		struct kd_error *rerr = kd_sftp_rename(s, tmp, path);
		if (!err)
			err = rerr;
		else
			kd_error_destroy(rerr);
	}
	return err;
}

/* ---------------------------------------------------------------- key */

KD_EXPORT struct kd_error *kd_sftp_keygen(const char *path, const char *comment, char *line,
					  size_t linelen, bool *created)
{
	*created = false;
	ssh_key key = NULL;
	struct kd_error *err = NULL;
	if (access(path, F_OK) == 0) {
		if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK)
			return kd_error_create(KD_ERROR_INVALID,
				"%s: not a private key libssh reads (delete it to have setup make a new one)",
				path);
	} else {
		if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
			return kd_error_create(KD_ERROR_OS, "cannot generate an ed25519 key");
		char *b64 = NULL;
		if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &b64) != SSH_OK) {
			ssh_key_free(key);
			return kd_error_create(KD_ERROR_OS, "cannot export the new key");
		}
		// The private key: 0600 from its creation, never an existing file.
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		size_t len = strlen(b64);
		if (fd < 0)
			err = kd_error_os(errno, "%s: cannot create", path);
		else if (write(fd, b64, len) != (ssize_t)len || fsync(fd) < 0)
			err = kd_error_os(errno ? errno : EIO, "%s: cannot write", path);
		if (fd >= 0)
			close(fd);
		if (err && fd >= 0)
			unlink(path);
		ssh_string_free_char(b64);
		*created = !err;
	}
	char *pub = NULL;
	if (!err && ssh_pki_export_pubkey_base64(key, &pub) != SSH_OK)
		err = kd_error_create(KD_ERROR_OS, "%s: cannot export the public key", path);
	if (err) {
		ssh_key_free(key);
		return err;
	}
	const char *type = ssh_key_type_to_char(ssh_key_type(key));
	int n = snprintf(line, linelen, "%s %s%s%s\n", type ? type : "ssh-ed25519", pub,
			 comment ? " " : "", comment ? comment : "");
	ssh_string_free_char(pub);
	ssh_key_free(key);
	if (n < 0 || (size_t)n >= linelen)
		return kd_error_create(KD_ERROR_INVALID, "public key line too long");
	if (*created) {
		char pubpath[KD_TARGET_PATH_MAX];
		snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
		err = kd_install_file(pubpath, line, 0644);
	}
	line[n - 1] = '\0';
	return err;
}

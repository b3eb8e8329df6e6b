// SPDX-License-Identifier: LGPL-2.1-or-later
// nfs:// targets through the kernel's NFSv4 client.
//
// mount.nfs does little for NFSv4 that the kernel cannot be told directly:
// it resolves the server's name, picks clientaddr= (the local address the
// server is reached from, for the callback channel) and passes text
// options to mount(2) (fs/nfs/fs_context.c, nfs_fs_parameters; the
// "nfs4" type is registered by nfs.ko, the protocol is nfsv4.ko, which
// the capture kernel cannot request_module() without modprobe, so the
// initramfs loads it). NFSv4 needs no rpcbind or mountd: a mount is a
// TCP connection to port 2049 and a walk from the server's pseudo-root.
//
// A mount(2) of an unresponsive server may take long; every mount here
// runs in a child process that the caller kills at its bound. setup's
// check also runs in a private mount namespace, so nothing of it is ever
// seen mounted on the machine.
#include "service/service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// The NFS client's own bounds: each RPC waits timeo tenths of a second,
// retrans times, before a soft mount gives the caller EIO.
#define NFS_TIMEO 100
#define NFS_RETRANS 2

KD_EXPORT struct kd_error *kd_nfs_options(const char *vers, const char *server,
					  const char *client, unsigned int port, char *out,
					  size_t outlen)
{
	bool v6 = strchr(server, ':') != NULL;
	int n = snprintf(out, outlen,
			 "vers=%s,addr=%s,clientaddr=%s,proto=%s,port=%u,soft,timeo=%u,retrans=%u",
			 vers, server, client, v6 ? "tcp6" : "tcp", port, NFS_TIMEO, NFS_RETRANS);
	if (n < 0 || (size_t)n >= outlen)
		return kd_error_create(KD_ERROR_INVALID, "NFS mount options too long");
	return NULL;
}

KD_EXPORT struct kd_error *kd_nfs_source(const char *server, const char *path, char *out,
					 size_t outlen)
{
	bool v6 = strchr(server, ':') != NULL;
	int n = snprintf(out, outlen, "%s%s%s:%s", v6 ? "[" : "", server, v6 ? "]" : "", path);
	if (n < 0 || (size_t)n >= outlen)
		return kd_error_create(KD_ERROR_INVALID, "NFS mount source too long");
	return NULL;
}

KD_EXPORT struct kd_error *kd_nfs_resolve_host(const char *host, bool numeric, char *out,
					       size_t outlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = numeric ? AI_NUMERICHOST : AI_ADDRCONFIG };
	struct addrinfo *res;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: %s%s", host,
				       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc),
				       numeric ? " (the capture kernel needs an address: run kexdump setup)" : "");
	// IPv4 first: the capture kernel's network (DHCPv4, static IPv4).
	const struct addrinfo *pick = res;
	if (!pick)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: no address", host);
	for (const struct addrinfo *a = res; a; a = a->ai_next)
		if (a->ai_family == AF_INET) {
			pick = a;
			break;
		}
	char buf[INET6_ADDRSTRLEN];
	// ai_addr is only as aligned as struct sockaddr: copied first.
	struct sockaddr_storage ss = { 0 };
	memcpy(&ss, pick->ai_addr, pick->ai_addrlen < sizeof(ss) ? pick->ai_addrlen : sizeof(ss));
	const void *p = pick->ai_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)&ss)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)&ss)->sin6_addr;
	const char *s = inet_ntop(pick->ai_family, p, buf, sizeof(buf));
	freeaddrinfo(res);
	if (!s || strlen(s) >= outlen)
		return kd_error_create(KD_ERROR_INVALID, "%s: no usable address", host);
	strcpy(out, s);
	return NULL;
}

static double nfs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool nfs_sockaddr(const char *addr, unsigned int port, struct sockaddr_storage *ss,
			 socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		return true;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return true;
	}
	return false;
}

// One non-blocking connect, waited for at most @p ms; 0 or an errno.
static int nfs_connect_once(const struct sockaddr_storage *ss, socklen_t len, int ms,
			    char *client, size_t clientlen)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int e = 0;
	if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
		e = errno;
		if (e == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int r = poll(&p, 1, ms);
			socklen_t el = sizeof(e);
			if (r == 0)
				e = ETIMEDOUT;
			else if (r < 0)
				e = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
				e = errno;
		}
	}
	if (!e) {
		struct sockaddr_storage me;
		socklen_t ml = sizeof(me);
		const void *a = ss->ss_family == AF_INET ?
			(const void *)&((struct sockaddr_in *)&me)->sin_addr :
			(const void *)&((struct sockaddr_in6 *)&me)->sin6_addr;
		if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0 ||
		    !inet_ntop(ss->ss_family, a, client, (socklen_t)clientlen))
			e = errno ? errno : EINVAL;
	}
	close(fd);
	return e;
}

KD_EXPORT struct kd_error *kd_nfs_reach(const char *server, unsigned int port,
					unsigned int timeout_ms, char *client, size_t clientlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (!nfs_sockaddr(server, port, &ss, &len))
		return kd_error_create(KD_ERROR_INVALID, "%s is not an IP address", server);
	double deadline = nfs_now() + timeout_ms / 1000.0;
	for (;;) {
		double left = deadline - nfs_now();
		int ms = left <= 0 ? 1 : left > 2 ? 2000 : (int)(left * 1000) + 1;
		int e = nfs_connect_once(&ss, len, ms, client, clientlen);
		if (!e)
			return NULL;
		// Refused: the host answered and nothing listens; no route
		// (the network is up by now, or will not be) will not change
		// either. No answer, or none yet to ARP: wait.
		bool retry = e == ETIMEDOUT || e == EHOSTUNREACH || e == EAGAIN || e == EINTR;
		if (!retry || nfs_now() >= deadline)
			return kd_error_os(e, "cannot connect to %s port %u%s", server, port,
					   e == ECONNREFUSED ? " (is the NFS server running there?)" :
					   e == ETIMEDOUT ? " within the wait" : "");
		struct timespec ts = { 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

// ---------------------------------------------------------- child process

// What a child says back through its pipe.
struct nfs_result {
	int errnum;			// 0: done
	char msg[1024];
	struct kd_nfs_mounted m;
};

struct nfs_job {
	const struct kd_config_target *t;
	const char *client;
	const char *mountpoint;		// NULL: a temporary folder (check, list)
	bool check;
	bool list;			// list the dump folders, create nothing
};

// Most dump folders a listing sends back.
#define NFS_LIST_MAX 4096

static void nfs_set(struct nfs_result *r, int e, const char *fmt, const char *a, const char *b)
{
	r->errnum = e ? e : EIO;
	snprintf(r->msg, sizeof(r->msg), fmt, a, b);
	size_t n = strlen(r->msg);
	snprintf(r->msg + n, sizeof(r->msg) - n, ": %s", strerror(r->errnum));
}

// What the error of a mount(2) means for the user.
static const char *nfs_mount_hint(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return " (is the folder exported to this machine's address?)";
	case ENODEV:
		return " (no NFSv4 client in this kernel: modules nfs and nfsv4)";
	case EIO:
	case ETIMEDOUT:
		return " (the server did not answer)";
	default:
		return "";
	}
}

// mkdir -p of @p rest ("/a/b", "" for none) under @p base, 0700.
static int nfs_mkdirs(const char *base, const char *rest, char *dir, size_t dirlen)
{
	if ((size_t)snprintf(dir, dirlen, "%s%s", base, rest) >= dirlen)
		return ENAMETOOLONG;
	for (char *p = dir + strlen(base) + 1; *rest; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		int rc = mkdir(dir, 0700);
		*p = c;
		if (rc < 0 && errno != EEXIST)
			return errno;
		if (!c)
			break;
	}
	return 0;
}

// The mount: versions in order on the whole path, then, on ENOENT, the
// deepest existing folder above it with the version that answered.
static void nfs_child_mount(const struct nfs_job *j, const char *where, struct nfs_result *r)
{
	static const char *const versions[] = KD_NFS_VERSIONS;
	const struct kd_config_target *t = j->t;
	char path[sizeof(t->path)], opts[256];
	snprintf(path, sizeof(path), "%s", t->path);
	size_t cut = strlen(path);	// path[0..cut) is mounted; the rest made
	int e = 0;
	size_t v = 0;
	for (;;) {
		char src[600];
		char saved = path[cut];
		path[cut] = '\0';
		struct kd_error *err = kd_nfs_source(t->host, cut ? path : "/", src, sizeof(src));
		path[cut] = saved;
		if (!err)
			err = kd_nfs_options(versions[v], t->host, j->client, kd_config_target_port(t),
					     opts, sizeof(opts));
		if (err) {
			nfs_set(r, ENAMETOOLONG, "%s%s", kd_error_message(err), "");
			kd_error_destroy(err);
			return;
		}
		if (mount(src, where, "nfs4", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME,
			  opts) == 0) {
			snprintf(r->m.vers, sizeof(r->m.vers), "%s", versions[v]);
			snprintf(r->m.source, sizeof(r->m.source), "%s", src);
			break;
		}
		e = errno;
		if ((e == EPROTONOSUPPORT || e == EINVAL) && v + 1 < KD_ARRAY_SIZE(versions)) {
			v++;
			continue;
		}
		if (e == ENOENT && cut > 0) {
			while (cut > 0 && path[--cut] != '/')
				;
			continue;
		}
		r->errnum = e;
		snprintf(r->msg, sizeof(r->msg), "mount %s (NFS %s): %s%s", src, versions[v],
			 strerror(e), nfs_mount_hint(e));
		return;
	}
	if (j->list && path[cut]) {
		// The folder does not exist yet: nothing to list.
		r->m.dir[0] = '\0';
		r->errnum = 0;
		return;
	}
	int me = nfs_mkdirs(where, path + cut, r->m.dir, sizeof(r->m.dir));
	if (me) {
		nfs_set(r, me, "cannot create %s on %s", path, t->host);
		size_t n = strlen(r->msg);
		if (me == EACCES || me == EPERM)
			snprintf(r->msg + n, sizeof(r->msg) - n,
				 " (the export maps root to another user: make the folder writable by it, or export it with no_root_squash)");
		umount2(where, MNT_DETACH);
		return;
	}
	r->errnum = 0;
}

// setup's probe: a file created, written, fsync'ed and deleted.
static void nfs_child_probe(const struct kd_config_target *t, struct nfs_result *r)
{
	char probe[4200];
	snprintf(probe, sizeof(probe), "%s/.kexdump-probe-%ld", r->m.dir, (long)getpid());
	int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	static const char text[] = "kexdump setup: probe of the dump target, deleted at once\n";
	int e = 0;
	if (fd < 0) {
		e = errno;
	} else {
		if (write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1 || fsync(fd) < 0)
			e = errno ? errno : EIO;
		if (close(fd) < 0 && !e)
			e = errno;
		if (unlink(probe) < 0 && !e)
			e = errno;
	}
	if (e) {
		nfs_set(r, e, "cannot write a file in %s on %s", t->path, t->host);
		size_t n = strlen(r->msg);
		if (e == EACCES || e == EPERM)
			snprintf(r->msg + n, sizeof(r->msg) - n,
				 " (the export maps root to another user: make the folder writable by it, or export it with no_root_squash)");
	}
}

static void nfs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static void nfs_child(const struct nfs_job *j, int fd)
{
	struct nfs_result r = { 0 };
	char tmp[] = "/tmp/kexdump-nfs-XXXXXX";
	const char *where = j->mountpoint;
	struct kd_dumpdir_entry *e = NULL;
	size_t n = 0;
	if (j->check || j->list) {
		// Mounts of this namespace are the child's own; the
		// temporary folder is removed below.
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			nfs_set(&r, errno, "cannot make a private mount namespace%s%s", "", "");
			goto out;
		}
		if (!mkdtemp(tmp)) {
			nfs_set(&r, errno, "cannot make a temporary mount point%s%s", "", "");
			goto out;
		}
		where = tmp;
	}
	nfs_child_mount(j, where, &r);
	if (j->check && !r.errnum)
		nfs_child_probe(j->t, &r);
	if (j->list && !r.errnum && r.m.dir[0]) {
		struct kd_error *err = kd_dumpdir_list(r.m.dir, &e, &n);
		if (err) {
			nfs_set(&r, kd_error_errno(err), "%s%s", kd_error_message(err), "");
			kd_error_destroy(err);
		}
		if (n > NFS_LIST_MAX)
			n = NFS_LIST_MAX;
	}
	if ((j->check || j->list) && !r.errnum)
		umount2(where, MNT_DETACH);
	if (j->check || j->list)
		rmdir(tmp);
out:
	nfs_write_all(fd, &r, sizeof(r));
	if (j->list && !r.errnum) {
		uint64_t count = n;
		nfs_write_all(fd, &count, sizeof(count));
		nfs_write_all(fd, e, n * sizeof(*e));
	}
	_exit(0);
}

// Read @p len bytes from @p fd before @p deadline; false on EOF or time out
// (@p timed_out says which).
static bool nfs_read_until(int fd, void *buf, size_t len, double deadline, bool *timed_out)
{
	size_t got = 0;
	while (got < len) {
		double left = deadline - nfs_now();
		if (left <= 0) {
			*timed_out = true;
			return false;
		}
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int n = poll(&pf, 1, (int)(left * 1000) + 1);
		if (n <= 0)
			continue;
		ssize_t rd = read(fd, (char *)buf + got, len - got);
		if (rd < 0 && errno == EINTR)
			continue;
		if (rd <= 0)
			return false;
		got += (size_t)rd;
	}
	return true;
}

// Run @p j in a child within @p timeout_ms; for a listing, @p list_ret
// and @p nlist_ret get the dump folders.
static struct kd_error *nfs_run(const struct nfs_job *j, unsigned int timeout_ms,
				struct nfs_result *r, struct kd_dumpdir_entry **list_ret,
				size_t *nlist_ret)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return kd_error_os(errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return kd_error_os(e, "fork");
	}
	if (pid == 0) {
		close(p[0]);
		nfs_child(j, p[1]);
	}
	close(p[1]);
	double deadline = nfs_now() + timeout_ms / 1000.0;
	bool timed_out = false;
	bool whole = nfs_read_until(p[0], r, sizeof(*r), deadline, &timed_out);
	struct kd_dumpdir_entry *list = NULL;
	uint64_t count = 0;
	if (whole && !r->errnum && j->list) {
		whole = nfs_read_until(p[0], &count, sizeof(count), deadline, &timed_out) &&
			count <= NFS_LIST_MAX;
		list = whole ? calloc(count ? count : 1, sizeof(*list)) : NULL;
		whole = list && nfs_read_until(p[0], list, count * sizeof(*list), deadline,
					       &timed_out);
	}
	close(p[0]);
	if (timed_out) {
		kill(pid, SIGKILL);
		// A child stuck in the kernel dies when its call returns;
		// it is not waited for here.
		for (int i = 0; i < 10 && waitpid(pid, NULL, WNOHANG) == 0; i++) {
			struct timespec ts = { 0, 50 * 1000000L };
			nanosleep(&ts, NULL);
		}
		return kd_error_os(ETIMEDOUT, "the NFS mount did not finish within %u s",
				   (timeout_ms + 999) / 1000);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (!whole) {
		free(list);
		return kd_error_create(KD_ERROR_OS, "the NFS mount's child process died");
	}
	r->msg[sizeof(r->msg) - 1] = '\0';
	r->m.dir[sizeof(r->m.dir) - 1] = '\0';
	r->m.source[sizeof(r->m.source) - 1] = '\0';
	r->m.vers[sizeof(r->m.vers) - 1] = '\0';
	// The child's message holds the errno's text already.
	if (r->errnum) {
		free(list);
		return kd_error_create(KD_ERROR_OS, "%s", r->msg);
	}
	for (uint64_t i = 0; i < count; i++) {
		struct kd_dumpdir_entry *e = &list[i];
		// Every string of it ends inside its field.
		e->dir[sizeof(e->dir) - 1] = e->host[sizeof(e->host) - 1] = '\0';
		e->date[sizeof(e->date) - 1] = e->release[sizeof(e->release) - 1] = '\0';
		e->panic[sizeof(e->panic) - 1] = e->status[sizeof(e->status) - 1] = '\0';
		e->error[sizeof(e->error) - 1] = '\0';
		e->signature[sizeof(e->signature) - 1] = '\0';
	}
	if (list_ret) {
		*list_ret = list;
		*nlist_ret = (size_t)count;
	} else {
		free(list);
	}
	return NULL;
}

static struct kd_error *nfs_prepare(const struct kd_config_target *t, unsigned int timeout_ms,
				    char *client, size_t clientlen)
{
	if (t->kind != KD_TARGET_NFS)
		return kd_error_create(KD_ERROR_INVALID, "not an nfs:// target");
	return kd_nfs_reach(t->host, kd_config_target_port(t), timeout_ms, client, clientlen);
}

KD_EXPORT struct kd_error *kd_nfs_mount(const struct kd_config_target *t,
					const char *mountpoint, unsigned int timeout_ms,
					struct kd_nfs_mounted *ret)
{
	char client[INET6_ADDRSTRLEN];
	double t0 = nfs_now();
	struct kd_error *err = nfs_prepare(t, timeout_ms, client, sizeof(client));
	if (err)
		return err;
	unsigned int used = (unsigned int)((nfs_now() - t0) * 1000);
	unsigned int left = used < timeout_ms ? timeout_ms - used : 1000;
	struct nfs_job j = { .t = t, .client = client, .mountpoint = mountpoint };
	struct nfs_result *r = calloc(1, sizeof(*r));
	if (!r)
		return &kd_enomem;
	err = nfs_run(&j, left < 5000 ? 5000 : left, r, NULL, NULL);
	if (err && kd_error_errno(err) == ETIMEDOUT)
		umount2(mountpoint, MNT_DETACH);
	if (!err)
		*ret = r->m;
	free(r);
	return err;
}

KD_EXPORT struct kd_error *kd_nfs_check(const struct kd_config_target *t,
					unsigned int timeout_ms, char *vers_ret)
{
	char client[INET6_ADDRSTRLEN];
	struct kd_error *err = nfs_prepare(t, timeout_ms, client, sizeof(client));
	if (err)
		return err;
	struct nfs_job j = { .t = t, .client = client, .check = true };
	struct nfs_result *r = calloc(1, sizeof(*r));
	if (!r)
		return &kd_enomem;
	err = nfs_run(&j, timeout_ms, r, NULL, NULL);
	if (!err && vers_ret)
		snprintf(vers_ret, 8, "%s", r->m.vers);
	free(r);
	return err;
}

KD_EXPORT struct kd_error *kd_nfs_list(const struct kd_config_target *t, unsigned int timeout_ms,
				       struct kd_dumpdir_entry **ret, size_t *nret)
{
	char client[INET6_ADDRSTRLEN];
	struct kd_error *err = nfs_prepare(t, timeout_ms, client, sizeof(client));
	if (err)
		return err;
	struct nfs_job j = { .t = t, .client = client, .list = true };
	struct nfs_result *r = calloc(1, sizeof(*r));
	if (!r)
		return &kd_enomem;
	struct kd_dumpdir_entry *e = NULL;
	size_t n = 0;
	err = nfs_run(&j, timeout_ms, r, &e, &n);
	const char *mnt = r->m.dir;
	// The folders as the server has them: "HOST:/PATH/NAME".
	for (size_t i = 0; !err && i < n; i++) {
		size_t ml = strlen(mnt);
		const char *rest = strncmp(e[i].dir, mnt, ml) ? e[i].dir : e[i].dir + ml;
		char dir[sizeof(e[i].dir)];
		int w = snprintf(dir, sizeof(dir), "%s:%s%s", t->host, t->path, rest);
		if (w > 0 && (size_t)w < sizeof(dir))
			memcpy(e[i].dir, dir, sizeof(dir));
	}
	free(r);
	if (err) {
		free(e);
		return err;
	}
	*ret = e;
	*nret = n;
	return NULL;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// /etc/kexdump.conf: defaults, every key, strict errors with FILE:LINE, and
// the round trip through kd_config_write() that the capture init relies on.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "service/service.h"

static struct kd_error *parse(const char *text, struct kd_config *cfg)
{
	return kd_config_parse("test.conf", text, strlen(text), cfg);
}

static void test_defaults(void **state)
{
	(void)state;
	struct kd_config cfg;
	kd_config_default(&cfg);
	assert_int_equal(cfg.target_kind, KD_TARGET_FS);
	assert_string_equal(cfg.target, "");
	assert_string_equal(cfg.path, "/var/crash");
	assert_int_equal(cfg.dump_level, 31);
	assert_int_equal(cfg.codec, KD_SAVE_AUTO);
	assert_int_equal(cfg.format, KD_SAVE_KDUMP);
	assert_int_equal(cfg.final_action, KD_ACTION_REBOOT);
	assert_int_equal(cfg.failure_action, KD_ACTION_REBOOT);
	assert_int_equal(cfg.device_timeout, 30);
	assert_int_equal(cfg.nmodules, 0);
	assert_false(cfg.raw_overwrite);
	assert_string_equal(cfg.raw_id, "");
	assert_int_equal(cfg.capture_timeout, 0);
	assert_string_equal(cfg.ssh_key, "/etc/kexdump/id_ed25519");
	assert_string_equal(cfg.known_hosts, "");
	// Empty text (comments, blank lines) is the defaults too.
	struct kd_config parsed;
	assert_null(parse("# nothing\n\n   \n\t# indented comment\n", &parsed));
	assert_memory_equal(&parsed, &cfg, sizeof(cfg));
}

static void test_every_key(void **state)
{
	(void)state;
	struct kd_config cfg;
	const char *text =
		"target UUID=0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e\n"
		"  path /srv/dumps   \n"
		"fstype xfs\n"
		"dump_level 17\r\n"
		"compress lz4\n"
		"format elf\n"
		"final_action poweroff\n"
		"failure_action shell\n"
		"modules virtio_blk xfs\n"
		"modules crc32c_generic virtio_blk\n"
		"cmdline_append console=ttyS0 loglevel=7\n"
		"device_timeout 600\n"
		"hostname web-01.example.org\n";
	assert_null(parse(text, &cfg));
	assert_int_equal(cfg.target_kind, KD_TARGET_FS);
	assert_string_equal(cfg.target, "UUID=0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e");
	assert_string_equal(cfg.path, "/srv/dumps");
	assert_string_equal(cfg.fstype, "xfs");
	assert_int_equal(cfg.dump_level, 17);
	assert_int_equal(cfg.codec, KD_SAVE_LZ4);
	assert_int_equal(cfg.format, KD_SAVE_ELF);
	assert_int_equal(cfg.final_action, KD_ACTION_POWEROFF);
	assert_int_equal(cfg.failure_action, KD_ACTION_SHELL);
	// Repeated modules lines accumulate; duplicates are dropped.
	assert_int_equal(cfg.nmodules, 3);
	assert_string_equal(cfg.modules[0], "virtio_blk");
	assert_string_equal(cfg.modules[1], "xfs");
	assert_string_equal(cfg.modules[2], "crc32c_generic");
	assert_string_equal(cfg.cmdline_append, "console=ttyS0 loglevel=7");
	assert_int_equal(cfg.device_timeout, 600);
	assert_string_equal(cfg.hostname, "web-01.example.org");

	assert_null(parse("raw /dev/vdb\n", &cfg));
	assert_int_equal(cfg.target_kind, KD_TARGET_RAW);
	assert_string_equal(cfg.target, "/dev/vdb");
	assert_false(cfg.raw_overwrite);
	assert_null(parse("raw /dev/vdb\nraw_overwrite yes\nraw_id 0123456789abcdef0123456789abcdef\n"
			  "capture_timeout 900\n", &cfg));
	assert_true(cfg.raw_overwrite);
	assert_string_equal(cfg.raw_id, "0123456789abcdef0123456789abcdef");
	assert_int_equal(cfg.capture_timeout, 900);
	assert_null(parse("raw_overwrite no\n", &cfg));
	assert_false(cfg.raw_overwrite);
	assert_null(parse("target LABEL=my dumps\n", &cfg));
	assert_string_equal(cfg.target, "LABEL=my dumps");
}

static void expect_error(const char *text, const char *message)
{
	struct kd_config cfg;
	kd_config_default(&cfg);
	cfg.dump_level = 7;	// must stay untouched on failure
	struct kd_error *err = parse(text, &cfg);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	if (strcmp(kd_error_message(err), message))
		fail_msg("'%s': got '%s', want '%s'", text, kd_error_message(err), message);
	kd_error_destroy(err);
	assert_int_equal(cfg.dump_level, 7);
}

// ssh_key and known_hosts: absolute paths, once each; written back only
// when not the default.
static void test_ssh_keys(void **state)
{
	(void)state;
	struct kd_config cfg;
	assert_null(parse("target ssh://k@10.0.0.7:2222/srv/dumps\nssh_key /root/k\n"
			  "known_hosts /etc/kexdump/hosts\n", &cfg));
	assert_string_equal(cfg.ssh_key, "/root/k");
	assert_string_equal(cfg.known_hosts, "/etc/kexdump/hosts");
	assert_int_equal(cfg.chain[0].kind, KD_TARGET_SSH);
	expect_error("ssh_key id_ed25519\n", "test.conf:1: path not absolute: 'id_ed25519'");
	expect_error("known_hosts /a b\n", "test.conf:1: path holds white space: '/a b'");
	expect_error("ssh_key /a\nssh_key /b\n", "test.conf:2: duplicate 'ssh_key'");
	char tmpl[] = "/tmp/kd-config-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_null(kd_config_write(&cfg, fd));
	char buf[2048];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\nssh_key /root/k\n"));
	assert_non_null(strstr(buf, "\nknown_hosts /etc/kexdump/hosts\n"));
	kd_config_default(&cfg);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_null(kd_config_write(&cfg, fd));
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	assert_null(strstr(buf, "ssh_key"));
	assert_null(strstr(buf, "known_hosts"));
	close(fd);
	unlink(tmpl);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("# c\nfoo bar\n", "test.conf:2: unknown key 'foo'");
	expect_error("dump_level 32\n",
		     "test.conf:1: dump_level '32' is not a number from 0 to 31");
	expect_error("dump_level -1\n",
		     "test.conf:1: dump_level '-1' is not a number from 0 to 31");
	expect_error("dump_level 3x\n",
		     "test.conf:1: dump_level '3x' is not a number from 0 to 31");
	expect_error("dump_level\n", "test.conf:1: 'dump_level' needs a value");
	expect_error("path var/crash\n", "test.conf:1: path not absolute: 'var/crash'");
	expect_error("path /var/../etc\n",
		     "test.conf:1: path holds a '..' component: '/var/../etc'");
	expect_error("target UUID=abc\n\nraw /dev/sdb\n",
		     "test.conf:3: 'raw /dev/sdb': a second local target (line 1 has one; the chain holds one disk target and any network ones)");
	expect_error("target /dev/vda1\ntarget /dev/vda2\n",
		     "test.conf:2: 'target /dev/vda2': a second local target (line 1 has one; the chain holds one disk target and any network ones)");
	expect_error("target UUID=xyz\n",
		     "test.conf:1: a UUID holds only hex digits and '-': 'UUID=xyz'");
	expect_error("target vda1\n",
		     "test.conf:1: expected UUID=..., LABEL=... or /dev/NAME: 'vda1'");
	expect_error("raw LABEL=x\n",
		     "test.conf:1: expected /dev/NAME or UUID=...: 'LABEL=x'");
	expect_error("compress gzip\n",
		     "test.conf:1: unknown compression 'gzip' (auto, zstd, lz4, zlib, lzo, snappy, none; zstd and zlib take :LEVEL)");
	expect_error("compress lzo:3\n",
		     "test.conf:1: 'lzo:3': compression level 3 is not valid for lzo (zstd: -7..-1 or 1..19, zlib: 1..9, others: none)");
	expect_error("format flat\n", "test.conf:1: unknown format 'flat' (kdump, elf)");
	expect_error("final_action explode\n",
		     "test.conf:1: unknown final_action 'explode' (reboot, poweroff, halt, shell)");
	// subvol becomes a mount option: a path, no ',' or '='.
	expect_error("subvol @rootfs\n", "test.conf:1: subvol: path not absolute: '@rootfs'");
	expect_error("subvol /@a,device=/dev/sda\n",
		     "test.conf:1: subvol holds ',' or '=': '/@a,device=/dev/sda'");
	expect_error("subvol /a/../b\n", "test.conf:1: subvol: path holds a '..' component: '/a/../b'");
	expect_error("subvol /a\nsubvol /b\n", "test.conf:2: duplicate 'subvol'");
	expect_error("fstype ntfs\n",
		     "test.conf:1: unknown fstype 'ntfs' (ext2, ext3, ext4, xfs, btrfs, vfat)");
	expect_error("modules ext4 ../evil\n",
		     "test.conf:1: bad character in module name: '../evil'");
	expect_error("hostname a/b\n",
		     "test.conf:1: hostname holds only letters, digits, '-' and '.': 'a/b'");
	expect_error("hostname -x\n",
		     "test.conf:1: hostname cannot begin or end with '-' or '.': '-x'");
	expect_error("device_timeout 601\n",
		     "test.conf:1: device_timeout '601' is not a number of seconds from 0 to 600");
	expect_error("path /a\npath /b\n", "test.conf:2: duplicate 'path'");
	expect_error("raw_overwrite force\n",
		     "test.conf:1: raw_overwrite 'force' is neither yes nor no");
	expect_error("raw_overwrite yes\nraw_overwrite yes\n",
		     "test.conf:2: duplicate 'raw_overwrite'");
	expect_error("raw_id 0123\n", "test.conf:1: raw_id '0123' is not 32 lower-case hex digits");
	expect_error("raw_id 0123456789ABCDEF0123456789abcdef\n",
		     "test.conf:1: raw_id '0123456789ABCDEF0123456789abcdef' is not 32 lower-case hex digits");
	expect_error("capture_timeout 86401\n",
		     "test.conf:1: capture_timeout '86401' is not a number of seconds from 0 to 86400");
	expect_error("capture_timeout -5\n",
		     "test.conf:1: capture_timeout '-5' is not a number of seconds from 0 to 86400");
	expect_error("cmdline_append a\xff\n",
		     "test.conf:1: control or non-ASCII character in the line");

	// 33 distinct modules: one too many.
	char text[2048] = "modules";
	for (int i = 0; i < KD_CONFIG_MAX_MODULES + 1; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " m%d", i);
	strcat(text, "\n");
	expect_error(text, "test.conf:1: too many modules (at most 32)");

	// A line longer than the parser's buffer is an error, not a cut.
	char longline[1100];
	memset(longline, 'a', sizeof(longline) - 2);
	memcpy(longline, "path /", 6);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	expect_error(longline, "test.conf:1: line longer than 1023 characters");
	// A path that fits the line but not the field.
	char longpath[400];
	memset(longpath, 'b', sizeof(longpath) - 2);
	memcpy(longpath, "path /", 6);
	longpath[sizeof(longpath) - 2] = '\n';
	longpath[sizeof(longpath) - 1] = '\0';
	expect_error(longpath, "test.conf:1: 'path' value longer than 255 characters");
}

// The chain: target lines in order, network URLs parsed into their fields.
static void test_chain(void **state)
{
	(void)state;
	struct kd_config cfg;
	kd_config_default(&cfg);
	assert_int_equal(cfg.nchain, 1);
	assert_int_equal(cfg.chain[0].kind, KD_TARGET_FS);
	assert_ptr_equal(kd_config_local(&cfg), &cfg.chain[0]);
	assert_false(kd_config_has_network(&cfg));

	const char *text =
		"# a chain\n"
		"target ssh://dumper@backup.example.org:2222/srv/crash/\n"
		"target nfs://10.0.2.2/exports/dumps\n"
		"target UUID=0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e\n"
		"target nfs://[fd00::1]:20490/\n"
		"path /dumps\n";
	assert_null(parse(text, &cfg));
	assert_int_equal(cfg.nchain, 4);
	assert_true(kd_config_has_network(&cfg));
	const struct kd_config_target *t = &cfg.chain[0];
	assert_int_equal(t->kind, KD_TARGET_SSH);
	assert_int_equal(t->line, 2);
	assert_string_equal(t->user, "dumper");
	assert_string_equal(t->host, "backup.example.org");
	assert_int_equal(t->port, 2222);
	assert_int_equal(kd_config_target_port(t), 2222);
	assert_string_equal(t->path, "/srv/crash");
	assert_string_equal(t->url, "ssh://dumper@backup.example.org:2222/srv/crash");
	t = &cfg.chain[1];
	assert_int_equal(t->kind, KD_TARGET_NFS);
	assert_int_equal(t->line, 3);
	assert_string_equal(t->user, "");
	assert_string_equal(t->host, "10.0.2.2");
	assert_int_equal(t->port, 0);
	assert_int_equal(kd_config_target_port(t), 2049);
	assert_string_equal(t->path, "/exports/dumps");
	t = &cfg.chain[2];
	assert_int_equal(t->kind, KD_TARGET_FS);
	assert_int_equal(t->line, 4);
	assert_ptr_equal(kd_config_local(&cfg), t);
	assert_string_equal(cfg.target, "UUID=0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e");
	t = &cfg.chain[3];
	assert_string_equal(t->host, "fd00::1");
	assert_int_equal(t->port, 20490);
	assert_string_equal(t->path, "/");
	assert_string_equal(t->url, "nfs://[fd00::1]:20490/");
	char name[128];
	kd_config_target_name(&cfg, &cfg.chain[0], name, sizeof(name));
	assert_string_equal(name, "ssh://dumper@backup.example.org:2222/srv/crash");
	kd_config_target_name(&cfg, &cfg.chain[2], name, sizeof(name));
	assert_string_equal(name, "UUID=0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e");

	// Network targets alone: no local link.
	assert_null(parse("target ssh://root@10.0.2.2/var/crash\n", &cfg));
	assert_int_equal(cfg.nchain, 1);
	assert_null(kd_config_local(&cfg));
	assert_int_equal(kd_config_target_port(&cfg.chain[0]), 22);
	// raw in a chain, after a network target.
	assert_null(parse("target nfs://h/x\nraw /dev/vdb\n", &cfg));
	assert_int_equal(cfg.nchain, 2);
	assert_int_equal(cfg.chain[1].kind, KD_TARGET_RAW);
	assert_int_equal(cfg.target_kind, KD_TARGET_RAW);
	kd_config_target_name(&cfg, &cfg.chain[1], name, sizeof(name));
	assert_string_equal(name, "raw /dev/vdb");
	assert_null(parse("", &cfg));
	kd_config_target_name(&cfg, &cfg.chain[0], name, sizeof(name));
	assert_string_equal(name, "the filesystem holding /var/crash");

	// A changed host rebuilds the URL (setup puts the address in).
	struct kd_config_target u;
	assert_null(kd_config_parse_url("ssh://a@b/c", &u));
	snprintf(u.host, sizeof(u.host), "fe80::2");
	u.port = 22;
	assert_null(kd_config_target_format(&u));
	assert_string_equal(u.url, "ssh://a@[fe80::2]:22/c");
}

static void expect_url_error(const char *url, const char *message)
{
	char text[1024];
	snprintf(text, sizeof(text), "path /x\ntarget %s\n", url);
	char want[1024];
	snprintf(want, sizeof(want), "test.conf:2: %s: %s", url, message);
	expect_error(text, want);
	struct kd_config_target t;
	memset(&t, 0x5a, sizeof(t));
	struct kd_error *err = kd_config_parse_url(url, &t);
	assert_non_null(err);
	assert_string_equal(kd_error_message(err), want + strlen("test.conf:2: "));
	kd_error_destroy(err);
	assert_int_equal(t.port, 0x5a5a5a5a);	// untouched
}

// Strict URLs: every malformed part is named.
static void test_url_errors(void **state)
{
	(void)state;
	const char *ssh = " (ssh://USER@HOST[:PORT]/PATH)";
	const char *nfs = " (nfs://HOST[:PORT]/EXPORT[/PATH])";
	char m[256];
#define SSH(why) (snprintf(m, sizeof(m), "%s%s", why, ssh), m)
#define NFS(why) (snprintf(m, sizeof(m), "%s%s", why, nfs), m)
	expect_url_error("ssh://host/var/crash", SSH("no user"));
	expect_url_error("ssh://@host/x", SSH("no user before '@'"));
	expect_url_error("ssh://-x@host/x", SSH("user cannot begin with '-'"));
	expect_url_error("ssh://a b@host/x", SSH("user holds only letters, digits, '.', '_' and '-'"));
	expect_url_error("ssh://u@host", SSH("no path after the host"));
	expect_url_error("ssh://u@/x", SSH("no host"));
	expect_url_error("ssh://u@h:/x", SSH("the port is not a number from 1 to 65535"));
	expect_url_error("ssh://u@h:0/x", SSH("the port is not a number from 1 to 65535"));
	expect_url_error("ssh://u@h:65536/x", SSH("the port is not a number from 1 to 65535"));
	expect_url_error("ssh://u@h:22x/x", SSH("the port is not a number from 1 to 65535"));
	expect_url_error("ssh://u@h:+22/x", SSH("the port is not a number from 1 to 65535"));
	expect_url_error("ssh://u@a@h/x", SSH("more than one '@'"));
	expect_url_error("ssh://u@h_x/x", SSH("host name holds only letters, digits, '-' and '.'"));
	expect_url_error("ssh://u@-h/x", SSH("host name label begins or ends with '-'"));
	expect_url_error("ssh://u@a..b/x", SSH("host name has an empty or too long label"));
	expect_url_error("ssh://u@h./x", SSH("host name ends with '.'"));
	expect_url_error("ssh://u@10.0.2.256/x", SSH("not an IPv4 address"));
	expect_url_error("ssh://u@[fe80::1/x", SSH("'[' without ']'"));
	expect_url_error("ssh://u@[zz::1]/x", SSH("not an IPv6 address in [ ]"));
	expect_url_error("ssh://u@[::1]x/x", SSH("text after ']'"));
	expect_url_error("ssh://u@h/a//b", SSH("path has an empty component ('//')"));
	expect_url_error("ssh://u@h/a/../b", SSH("path holds a '.' or '..' component"));
	expect_url_error("ssh://u@h/a/.", SSH("path holds a '.' or '..' component"));
	expect_url_error("ssh://u@h/a%20b", SSH("percent-encoding is not supported in the path"));
	expect_url_error("ssh://u@h/a?b", SSH("path holds a character other than letters, digits and /._~+,=:@-"));
	expect_url_error("nfs://u@h/x", NFS("nfs:// takes no user"));
	expect_url_error("nfs://h", NFS("no path after the host"));
	expect_url_error("ftp://h/x",
			 "unknown scheme 'ftp' (ssh://USER@HOST[:PORT]/PATH, nfs://HOST[:PORT]/EXPORT[/PATH])");
	expect_url_error("SSH://u@h/x",
			 "unknown scheme 'SSH' (ssh://USER@HOST[:PORT]/PATH, nfs://HOST[:PORT]/EXPORT[/PATH])");
#undef SSH
#undef NFS
	expect_error("target nfs://h/x\ntarget nfs://h/x/\n",
		     "test.conf:2: nfs://h/x/: the same target as line 1");
	// Nine targets: one too many.
	char text[1024] = "";
	for (int i = 0; i <= KD_CONFIG_MAX_TARGETS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "target nfs://h/%d\n", i);
	expect_error(text, "test.conf:9: too many targets (at most 8)");
	// A local target stays strict after a network one.
	expect_error("target ssh://u@h/x\ntarget /dev/\n",
		     "test.conf:2: a device needs a name after /dev/: '/dev/'");
	// nfs3:// is known, and not supported.
	struct kd_config cfg;
	struct kd_error *err = parse("target nfs3://h/x\n", &cfg);
	assert_int_equal(kd_error_code(err), KD_ERROR_UNSUPPORTED);
	assert_string_equal(kd_error_message(err),
			    "test.conf:1: nfs3://h/x: NFSv3 is not supported: it needs the server's rpcbind and mountd (NFSv4: nfs://HOST[:PORT]/EXPORT[/PATH])");
	kd_error_destroy(err);
}

// Line numbers say where a link was written; a written config has its own.
static void clear_lines(struct kd_config *cfg)
{
	for (size_t i = 0; i < KD_CONFIG_MAX_TARGETS; i++)
		cfg->chain[i].line = 0;
}

// Write, read back: identical structs, for the defaults and for a config
// with every key set (the capture init reads what setup wrote).
static void round_trip(const struct kd_config *in)
{
	char tmpl[] = "/tmp/kd-config-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_null(kd_config_write(in, fd));
	close(fd);
	struct kd_config out;
	struct kd_error *err = kd_config_load(tmpl, false, &out);
	if (err)
		fail_msg("%s", kd_error_message(err));
	unlink(tmpl);
	struct kd_config want = *in;
	clear_lines(&want);
	clear_lines(&out);
	assert_memory_equal(&want, &out, sizeof(out));
}

static void test_round_trip(void **state)
{
	(void)state;
	struct kd_config cfg;
	kd_config_default(&cfg);
	round_trip(&cfg);
	const char *text =
		"raw UUID=0b8e35c1-55e6-4f4b-9d5e-1f2a3b4c5d6e\n"
		"path /dumps\nsubvol /@rootfs\nfstype ext4\ndump_level 0\ncompress none\nformat elf\n"
		"final_action halt\nfailure_action poweroff\nmodules a b c\n"
		"cmdline_append x=1 y\ndevice_timeout 0\nhostname h\n"
		"raw_overwrite yes\nraw_id 00112233445566778899aabbccddeeff\ncapture_timeout 45\n";
	assert_null(parse(text, &cfg));
	assert_true(cfg.raw_overwrite);
	assert_string_equal(cfg.subvol, "/@rootfs");
	round_trip(&cfg);
	for (int c = KD_SAVE_ZSTD; c <= KD_SAVE_AUTO; c++) {
		cfg.codec = c;
		round_trip(&cfg);
	}
	// A level goes with its codec ("compress zstd:-1").
	assert_null(parse("compress zstd:-1\n", &cfg));
	assert_int_equal(cfg.codec, KD_SAVE_ZSTD);
	assert_int_equal(cfg.level, -1);
	round_trip(&cfg);
	cfg.codec = KD_SAVE_LZO;
	struct kd_error *lerr = kd_config_write(&cfg, -1);
	assert_non_null(lerr);
	kd_error_destroy(lerr);
	cfg.level = 0;
	// A chain, in its order.
	assert_null(parse("target nfs://10.0.2.2:2050/e/p\ntarget LABEL=dumps here\n"
			  "target ssh://u.x@[::1]/srv/\nfstype ext4\n", &cfg));
	round_trip(&cfg);
	assert_null(parse("raw /dev/vdb\ntarget ssh://u@h/x\n", &cfg));
	round_trip(&cfg);
	assert_null(parse("target ssh://u@h/x\n", &cfg));
	round_trip(&cfg);
	assert_null(parse("target ssh://u@h/x\nssh_key /k\nknown_hosts /kh\n", &cfg));
	round_trip(&cfg);
	// An unnamed local target in a chain would not read back.
	cfg.chain[1].kind = KD_TARGET_FS;
	cfg.nchain = 2;
	struct kd_error *cerr = kd_config_write(&cfg, -1);
	assert_non_null(cerr);
	assert_string_equal(kd_error_message(cerr),
			    "config: a chain holds one local target, named (target UUID=...)");
	kd_error_destroy(cerr);
	assert_null(parse("", &cfg));
	// Values outside the enums are refused rather than written as garbage.
	cfg.format = KD_SAVE_FLAT;
	struct kd_error *err = kd_config_write(&cfg, -1);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
}

// The watchdog's bound: capture_timeout when set, else the device wait +
// 120 s + 1 s per 20 MB of the dump, at most a day.
static void test_capture_timeout(void **state)
{
	(void)state;
	struct kd_config cfg;
	kd_config_default(&cfg);
	assert_int_equal(kd_config_capture_timeout(&cfg, 0), 30 + 120);
	assert_int_equal(kd_config_capture_timeout(&cfg, 4ull << 30), 30 + 120 + 214);
	assert_int_equal(kd_config_capture_timeout(&cfg, UINT64_MAX), KD_CONFIG_MAX_CAPTURE_TIMEOUT);
	cfg.device_timeout = 0;
	assert_int_equal(kd_config_capture_timeout(&cfg, 1000ull * 1000 * 1000), 120 + 50);
	cfg.capture_timeout = 7;
	assert_int_equal(kd_config_capture_timeout(&cfg, 4ull << 30), 7);
}

static void test_load(void **state)
{
	(void)state;
	struct kd_config cfg;
	memset(&cfg, 0xaa, sizeof(cfg));
	assert_null(kd_config_load("/nonexistent/kexdump.conf", true, &cfg));
	assert_string_equal(cfg.path, "/var/crash");
	struct kd_error *err = kd_config_load("/nonexistent/kexdump.conf", false, &cfg);
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ENOENT);
	assert_non_null(strstr(kd_error_message(err), "/nonexistent/kexdump.conf"));
	kd_error_destroy(err);

	// Errors from a file carry its path.
	char tmpl[] = "/tmp/kd-config-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "path /x\nbogus 1\n", 16), 16);
	close(fd);
	err = kd_config_load(tmpl, false, &cfg);
	unlink(tmpl);
	assert_non_null(err);
	char want[64];
	snprintf(want, sizeof(want), "%s:2: unknown key 'bogus'", tmpl);
	assert_string_equal(kd_error_message(err), want);
	kd_error_destroy(err);
}

static void test_action_names(void **state)
{
	(void)state;
	assert_string_equal(kd_action_name(KD_ACTION_REBOOT), "reboot");
	assert_string_equal(kd_action_name(KD_ACTION_POWEROFF), "poweroff");
	assert_string_equal(kd_action_name(KD_ACTION_HALT), "halt");
	assert_string_equal(kd_action_name(KD_ACTION_SHELL), "shell");
	assert_string_equal(kd_action_name((enum kd_action)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ssh_keys),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_url_errors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_capture_timeout),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_action_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

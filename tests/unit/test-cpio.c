// SPDX-License-Identifier: LGPL-2.1-or-later
// The newc cpio writer and reader (lib/service/cpio.c) and the capture initramfs
// (kd_initramfs_write): archives parsed back field by field, checked with
// GNU cpio and gzip, gzip output identical to the plain archive once
// inflated, modules decompressed from .ko.xz/.ko.zst, the static-/init rule.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lzma.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "service/service.h"
#include "synth.h"

// Test paths are short; truncation checks on every snprintf would only add noise.
#if defined(__GNUC__) && !defined(__clang__)	/* clang has no such warning */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

// ------------------------------------------------------------- helpers

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kd-test-cpio.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *argv[] = { (char *)"rm", (char *)"-rf", (char *)"--", tmpdir, NULL };
	synth_run(argv, NULL, NULL);
	return 0;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void write_all(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

// gzip-inflate a whole file (independent of the writer's deflate code).
static uint8_t *gunzip(const uint8_t *in, size_t inlen, size_t *outlen)
{
	z_stream zs = { 0 };
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	size_t cap = 64u << 20;
	uint8_t *out = malloc(cap);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	*outlen = cap - zs.avail_out;
	inflateEnd(&zs);
	return out;
}

// ------------------------------------------------------ a newc parser

struct entry {
	char name[256];
	uint32_t mode, nlink, rmajor, rminor, ino;
	const uint8_t *data;
	size_t size;
};

static uint32_t hex8(const uint8_t *p)
{
	char buf[9];
	memcpy(buf, p, 8);
	buf[8] = '\0';
	for (int i = 0; i < 8; i++)
		assert_non_null(strchr("0123456789ABCDEF", buf[i]));
	return (uint32_t)strtoul(buf, NULL, 16);
}

// Parse @p buf; asserts the format's alignment rules. Returns the count.
static size_t parse(const uint8_t *buf, size_t len, struct entry *e, size_t max)
{
	size_t off = 0, n = 0;
	for (;;) {
		assert_true(off % 4 == 0);
		assert_true(off + 110 <= len);
		assert_memory_equal(buf + off, "070701", 6);
		struct entry x = { 0 };
		x.ino = hex8(buf + off + 6);
		x.mode = hex8(buf + off + 14);
		x.nlink = hex8(buf + off + 38);
		x.size = hex8(buf + off + 54);
		x.rmajor = hex8(buf + off + 78);
		x.rminor = hex8(buf + off + 86);
		uint32_t namesize = hex8(buf + off + 94);
		assert_int_equal(hex8(buf + off + 102), 0);	// check
		assert_true(namesize > 1 && namesize < sizeof(x.name));
		memcpy(x.name, buf + off + 110, namesize);
		assert_int_equal(x.name[namesize - 1], '\0');
		assert_int_equal(strlen(x.name), namesize - 1);
		off += 110 + namesize;
		while (off % 4)
			assert_int_equal(buf[off++], 0);	// name padding
		if (!strcmp(x.name, "TRAILER!!!"))
			break;
		assert_true(off + x.size <= len);
		x.data = buf + off;
		off += x.size;
		while (off % 4)
			assert_int_equal(buf[off++], 0);	// data padding
		assert_true(n < max);
		e[n++] = x;
	}
	// cpio(1)-style 512-byte blocks of zeros after the trailer.
	assert_int_equal(len % 512, 0);
	for (; off < len; off++)
		assert_int_equal(buf[off], 0);
	return n;
}

static const struct entry *find(const struct entry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return &e[i];
	fail_msg("no entry %s in the archive", name);
	abort();
}

// ------------------------------------------------------ the cpio writer

// Data larger than the writer's buffers, not a multiple of 4.
#define BIG (700u * 1024 + 3)

static void write_sample(const char *path, int level, uint8_t *big)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	struct kd_cpio *c;
	assert_null(kd_cpio_create(fd, level, &c));
	assert_null(kd_cpio_dir(c, "dev", 0755));
	assert_null(kd_cpio_node(c, "dev/console", S_IFCHR | 0600, 5, 1));
	assert_null(kd_cpio_file(c, "a", 0644, "x", 1));
	assert_null(kd_cpio_file(c, "empty", 0600, NULL, 0));
	assert_null(kd_cpio_begin_file(c, "big", 0755, BIG));
	for (size_t off = 0; off < BIG; off += 100000)
		assert_null(kd_cpio_data(c, big + off, BIG - off < 100000 ? BIG - off : 100000));
	assert_null(kd_cpio_finish(c));
	kd_cpio_destroy(c);
	close(fd);
}

static void test_cpio(void **state)
{
	(void)state;
	uint8_t *big = malloc(BIG);
	uint32_t x = 1;
	for (size_t i = 0; i < BIG; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (uint8_t)(i % 7 ? x >> 16 : i);
	}
	char plain[PATH_MAX], gz[PATH_MAX];
	tmp_path(plain, sizeof(plain), "sample.cpio");
	tmp_path(gz, sizeof(gz), "sample.cpio.gz");
	write_sample(plain, 0, big);
	write_sample(gz, 9, big);

	size_t len, gzlen, inflen;
	uint8_t *buf = read_all(plain, &len);
	struct entry e[8];
	size_t n = parse(buf, len, e, 8);
	assert_int_equal(n, 5);
	assert_string_equal(e[0].name, "dev");
	assert_int_equal(e[0].mode, S_IFDIR | 0755);
	assert_int_equal(e[0].nlink, 2);
	assert_string_equal(e[1].name, "dev/console");
	assert_int_equal(e[1].mode, S_IFCHR | 0600);
	assert_int_equal(e[1].rmajor, 5);
	assert_int_equal(e[1].rminor, 1);
	assert_int_equal(e[2].size, 1);
	assert_memory_equal(e[2].data, "x", 1);
	assert_int_equal(e[2].mode, S_IFREG | 0644);
	assert_int_equal(e[3].size, 0);
	assert_int_equal(e[4].mode, S_IFREG | 0755);
	assert_int_equal(e[4].size, BIG);
	assert_memory_equal(e[4].data, big, BIG);
	for (size_t i = 0; i < n; i++)	// distinct inode numbers
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(e[i].ino, e[j].ino);

	// The gzip stream inflates to the same bytes.
	uint8_t *gzbuf = read_all(gz, &gzlen);
	assert_true(gzlen < len);
	uint8_t *inf = gunzip(gzbuf, gzlen, &inflen);
	assert_int_equal(inflen, len);
	assert_memory_equal(inf, buf, len);

	// GNU cpio reads it: names in order. cpio(1) is a test dependency
	// (tools/deps.sh): when it cannot be started the test skips, when it
	// rejects the archive the test fails.
	char *argv[] = { (char *)"cpio", (char *)"-it", (char *)"--quiet", NULL };
	char *list = NULL;
	int rc = synth_run(argv, plain, &list);
	if (rc == -1) {
		free(list);
		free(inf);
		kd_test_skip("cpio(1) could not be run (tools/deps.sh installs it)");
	}
	if (rc != 0)
		fail_msg("cpio -it rejects %s: exit %d", plain, rc);
	assert_string_equal(list, "dev\ndev/console\na\nempty\nbig\n");
	free(list);
	char *gzargv[] = { (char *)"gzip", (char *)"-t", gz, NULL };
	rc = synth_run(gzargv, NULL, NULL);
	if (rc == -1)
		kd_test_skip("gzip(1) could not be run");
	if (rc != 0)
		fail_msg("gzip -t rejects %s: exit %d", gz, rc);
	free(inf);
	free(gzbuf);
	free(buf);
	free(big);
}

// ------------------------------------------------------ the cpio reader

// Read every entry of @p path with kd_cpio_*: names, modes, sizes and the
// data of regular files and symbolic links (up to 1 MiB each).
struct read_entry {
	struct kd_cpio_entry h;
	uint8_t *data;
};

static size_t read_archive(const char *path, struct read_entry *e, size_t max)
{
	struct kd_cpio_reader *r;
	assert_null(kd_cpio_open(path, &r));
	size_t n = 0;
	for (;;) {
		bool end;
		assert_true(n < max);
		struct kd_error *err = kd_cpio_next(r, &e[n].h, &end);
		if (err)
			fail_msg("%s", kd_error_message(err));
		if (end)
			break;
		e[n].data = malloc(e[n].h.size + 1);
		size_t got = 0, k;
		// Odd-sized reads, to cross the data's end and padding.
		do {
			assert_null(kd_cpio_read(r, e[n].data + got, 4093, &k));
			got += k;
		} while (k);
		assert_int_equal(got, e[n].h.size);
		n++;
	}
	// After the trailer: the end again, never an error.
	bool end = false;
	struct kd_cpio_entry x;
	assert_null(kd_cpio_next(r, &x, &end));
	assert_true(end);
	kd_cpio_close(r);
	return n;
}

static void free_entries(struct read_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].data);
}

// The error of reading @p path to its end.
static struct kd_error *read_error(const char *path)
{
	struct kd_cpio_reader *r;
	struct kd_error *err = kd_cpio_open(path, &r);
	if (err)
		return err;
	struct kd_cpio_entry *x = malloc(sizeof(*x));
	bool end = false;
	while (!err && !end)
		err = kd_cpio_next(r, x, &end);
	free(x);
	kd_cpio_close(r);
	return err;
}

static void test_reader(void **state)
{
	(void)state;
	uint8_t *big = malloc(BIG);
	for (size_t i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	char plain[PATH_MAX], gz[PATH_MAX];
	tmp_path(plain, sizeof(plain), "r.cpio");
	tmp_path(gz, sizeof(gz), "r.cpio.gz");
	write_sample(plain, 0, big);
	write_sample(gz, 6, big);
	// What our writer wrote, plain and gzip: the same entries.
	const char *const paths[] = { plain, gz };
	for (size_t p = 0; p < 2; p++) {
		struct read_entry *e = calloc(8, sizeof(*e));
		size_t n = read_archive(paths[p], e, 8);
		assert_int_equal(n, 5);
		assert_string_equal(e[0].h.name, "dev");
		assert_int_equal(e[0].h.mode, S_IFDIR | 0755);
		assert_string_equal(e[1].h.name, "dev/console");
		assert_int_equal(e[1].h.mode, S_IFCHR | 0600);
		assert_int_equal(e[1].h.rmajor, 5);
		assert_int_equal(e[1].h.rminor, 1);
		assert_string_equal(e[2].h.name, "a");
		assert_int_equal(e[2].h.size, 1);
		assert_memory_equal(e[2].data, "x", 1);
		assert_string_equal(e[3].h.name, "empty");
		assert_int_equal(e[3].h.size, 0);
		assert_string_equal(e[4].h.name, "big");
		assert_int_equal(e[4].h.mode, S_IFREG | 0755);
		assert_int_equal(e[4].h.size, BIG);
		assert_memory_equal(e[4].data, big, BIG);
		free_entries(e, n);
		free(e);
	}
	// Entries skipped without reading their data.
	struct kd_cpio_reader *r;
	assert_null(kd_cpio_open(gz, &r));
	struct kd_cpio_entry *h = malloc(sizeof(*h));
	bool end;
	const char *names[] = { "dev", "dev/console", "a", "empty", "big" };
	for (size_t i = 0; i < 5; i++) {
		assert_null(kd_cpio_next(r, h, &end));
		assert_false(end);
		assert_string_equal(h->name, names[i]);
	}
	assert_null(kd_cpio_next(r, h, &end));
	assert_true(end);
	kd_cpio_close(r);
	free(h);

	// What GNU cpio writes (cpio -o -H newc): a folder, files whose sizes
	// need padding, a symbolic link (its target is its data).
	char dir[PATH_MAX], out[PATH_MAX], cmd[2 * PATH_MAX + 256];
	tmp_path(dir, sizeof(dir), "tree");
	tmp_path(out, sizeof(out), "gnu.cpio");
	assert_int_equal(mkdir(dir, 0750), 0);
	char f[PATH_MAX + 16];
	snprintf(f, sizeof(f), "%s/d", dir);
	assert_int_equal(mkdir(f, 0750), 0);
	snprintf(f, sizeof(f), "%s/d/f", dir);
	write_all(f, "hello\n", 6, 0640);
	snprintf(f, sizeof(f), "%s/odd", dir);
	write_all(f, "abc", 3, 0600);
	snprintf(f, sizeof(f), "%s/ln", dir);
	assert_int_equal(symlink("d/f", f), 0);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf 'd\\nd/f\\nodd\\nln\\n' | cpio -o -H newc --quiet >'%s'",
		 dir, out);
	char *sh[] = { (char *)"sh", (char *)"-c", cmd, NULL };
	if (synth_run(sh, NULL, NULL) != 0)
		fail_msg("cpio -o -H newc failed (GNU cpio is needed by this test)");
	struct read_entry *e = calloc(8, sizeof(*e));
	size_t n = read_archive(out, e, 8);
	assert_int_equal(n, 4);
	assert_string_equal(e[0].h.name, "d");
	assert_int_equal(e[0].h.mode, S_IFDIR | 0750);
	assert_string_equal(e[1].h.name, "d/f");
	assert_int_equal(e[1].h.mode, S_IFREG | 0640);
	assert_int_equal(e[1].h.size, 6);
	assert_memory_equal(e[1].data, "hello\n", 6);
	assert_string_equal(e[2].h.name, "odd");
	assert_int_equal(e[2].h.size, 3);
	assert_memory_equal(e[2].data, "abc", 3);
	assert_string_equal(e[3].h.name, "ln");
	assert_int_equal(e[3].h.mode & S_IFMT, S_IFLNK);
	assert_int_equal(e[3].h.size, 3);
	assert_memory_equal(e[3].data, "d/f", 3);
	free_entries(e, n);
	free(e);

	// Damaged archives: an error naming the file and the offset.
	size_t len;
	uint8_t *buf = read_all(plain, &len);
	char bad[PATH_MAX];
	tmp_path(bad, sizeof(bad), "bad.cpio");
	write_all(bad, buf, 300, 0600);	// cut inside "big"'s header
	struct kd_error *err = read_error(bad);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "bad.cpio: truncated at byte"));
	kd_error_destroy(err);
	memcpy(buf, "070707", 6);	// the old binary-ish "odc" magic
	write_all(bad, buf, len, 0600);
	err = read_error(bad);
	assert_int_equal(kd_error_code(err), KD_ERROR_FORMAT);
	assert_non_null(strstr(kd_error_message(err), "at byte 0: no newc cpio header"));
	kd_error_destroy(err);
	memcpy(buf, "070701", 6);
	buf[14] = 'g';			// mode: not hex
	write_all(bad, buf, len, 0600);
	err = read_error(bad);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "header field 2 is not hex"));
	kd_error_destroy(err);
	buf[14] = '0';
	memcpy(buf + 94, "FFFFFFFF", 8);	// namesize
	write_all(bad, buf, len, 0600);
	err = read_error(bad);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "name size 4294967295 out of range"));
	kd_error_destroy(err);
	err = read_error("/nonexistent/x.cpio");
	assert_int_equal(kd_error_code(err), KD_ERROR_OS);
	kd_error_destroy(err);
	free(buf);
	free(big);
}

static void test_cpio_misuse(void **state)
{
	(void)state;
	char path[PATH_MAX];
	tmp_path(path, sizeof(path), "misuse.cpio");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct kd_cpio *c;
	assert_null(kd_cpio_create(fd, 0, &c));
	assert_null(kd_cpio_begin_file(c, "f", 0644, 4));
	struct kd_error *err = kd_cpio_data(c, "12345", 5);	// past the end
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	assert_null(kd_cpio_data(c, "12", 2));
	err = kd_cpio_dir(c, "d", 0755);	// 2 bytes still owed
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "missing"));
	kd_error_destroy(err);
	err = kd_cpio_node(c, "n", S_IFREG | 0644, 1, 1);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	kd_cpio_destroy(c);
	close(fd);
	err = kd_cpio_create(-1, 10, &c);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
}

// A write(2) that writes nothing and reports no error (a device that is
// full without saying so): tests/meson.build links this file with
// -Wl,--wrap=write, so the writer's write() calls come here.
ssize_t __real_write(int fd, const void *buf, size_t len);
ssize_t __wrap_write(int fd, const void *buf, size_t len);
static int cpio_zero_fd = -1;

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
	if (fd >= 0 && fd == cpio_zero_fd)
		return 0;
	return __real_write(fd, buf, len);
}

// Write errors end the archive with an error, never a spin: write()
// returning 0, /dev/full (ENOSPC).
static void test_cpio_write_fails(void **state)
{
	(void)state;
	char path[PATH_MAX];
	tmp_path(path, sizeof(path), "zero.cpio");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	cpio_zero_fd = fd;
	struct kd_cpio *c;
	assert_null(kd_cpio_create(fd, 0, &c));
	struct kd_error *err = kd_cpio_file(c, "f", 0644, "hello", 5);
	if (!err)
		err = kd_cpio_finish(c);
	cpio_zero_fd = -1;
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ENOSPC);
	assert_non_null(strstr(kd_error_message(err), "wrote nothing"));
	kd_error_destroy(err);
	kd_cpio_destroy(c);
	close(fd);

	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_null(kd_cpio_create(fd, 6, &c));
	err = kd_cpio_file(c, "f", 0644, "hello", 5);
	if (!err)
		err = kd_cpio_finish(c);
	assert_non_null(err);
	assert_int_equal(kd_error_errno(err), ENOSPC);
	kd_error_destroy(err);
	kd_cpio_destroy(c);
	close(fd);
}

// ------------------------------------------------------ the initramfs

// An ELF file with the program headers we want: a static executable
// (PT_LOAD only) or a dynamic one (PT_INTERP too). Only the headers
// matter to the /init check.
static void make_elf(const char *path, bool dynamic, size_t pad)
{
	size_t len = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr) + pad;
	uint8_t *buf = calloc(1, len);
	// Built aligned, then copied in: buf is a byte buffer.
	Elf64_Ehdr eh = { .e_type = ET_EXEC };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_machine = EM_X86_64;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 2;
	Elf64_Phdr ph[2] = { { .p_type = PT_LOAD }, { .p_type = dynamic ? PT_INTERP : PT_NOTE } };
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), ph, sizeof(ph));
	for (size_t i = 0; i < pad; i++)
		buf[len - pad + i] = (uint8_t)(i * 13);
	write_all(path, buf, len, 0755);
	free(buf);
}

// A fake module: an ELF magic and patterned bytes.
static uint8_t *module_bytes(size_t len, uint8_t seed)
{
	uint8_t *b = malloc(len);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * seed + (i >> 9));
	memcpy(b, ELFMAG, SELFMAG);
	return b;
}

// A module tree with one plain, one xz (as kmod's Makefile.modinst:
// crc32 check) and one zstd module: m_plain needs m_xz needs m_zst.
static void make_moddir(const char *dir, uint8_t *mods[3], size_t lens[3])
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/kernel", dir);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	for (int i = 0; i < 3; i++) {
		lens[i] = 20000u + 7u * (size_t)i;
		mods[i] = module_bytes(lens[i], (uint8_t)(3 + i));
	}
	snprintf(path, sizeof(path), "%s/kernel/m_plain.ko", dir);
	write_all(path, mods[0], lens[0], 0644);

	size_t cap = lens[1] + 4096, xzlen = 0;
	uint8_t *xz = malloc(cap);
	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, mods[1],
						 lens[1], xz, &xzlen, cap), LZMA_OK);
	snprintf(path, sizeof(path), "%s/kernel/m-xz.ko.xz", dir);
	write_all(path, xz, xzlen, 0644);
	free(xz);

	cap = ZSTD_compressBound(lens[2]);
	uint8_t *zst = malloc(cap);
	size_t zlen = ZSTD_compress(zst, cap, mods[2], lens[2], 3);
	assert_false(ZSTD_isError(zlen));
	snprintf(path, sizeof(path), "%s/kernel/m_zst.ko.zst", dir);
	write_all(path, zst, zlen, 0644);
	free(zst);

	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	static const char dep[] =
		"kernel/m_plain.ko: kernel/m-xz.ko.xz kernel/m_zst.ko.zst\n"
		"kernel/m-xz.ko.xz: kernel/m_zst.ko.zst\n"
		"kernel/m_zst.ko.zst:\n";
	write_all(path, dep, strlen(dep), 0644);
}

static void check_initramfs(const uint8_t *buf, size_t len, size_t init_len,
			    uint8_t *mods[3], size_t lens[3],
			    const struct kd_config *cfg)
{
	struct entry e[32];
	size_t n = parse(buf, len, e, 32);
	static const char *const dirs[] = { "dev", "proc", "sys", "mnt", "tmp",
					    "etc", "lib", "lib/modules" };
	for (size_t i = 0; i < KD_ARRAY_SIZE(dirs); i++)
		assert_true(S_ISDIR(find(e, n, dirs[i])->mode));
	const struct entry *c = find(e, n, "dev/console");
	assert_int_equal(c->mode, S_IFCHR | 0600);
	assert_int_equal(c->rmajor, 5);
	assert_int_equal(c->rminor, 1);
	const struct entry *init = find(e, n, "init");
	assert_int_equal(init->mode, S_IFREG | 0755);
	assert_int_equal(init->size, init_len);
	assert_memory_equal(init->data, ELFMAG, SELFMAG);
	// The config in the archive parses back to the same config.
	const struct entry *conf = find(e, n, "etc/kexdump.conf");
	struct kd_config back;
	assert_null(kd_config_parse("kexdump.conf", (const char *)conf->data, conf->size,
				    &back));
	assert_string_equal(back.target, cfg->target);
	assert_string_equal(back.fstype, cfg->fstype);
	assert_string_equal(back.path, cfg->path);
	// Modules uncompressed, listed in load order.
	const struct entry *list = find(e, n, "etc/kexdump.modules");
	assert_int_equal(list->size, strlen("m_zst\nm_xz\nm_plain\n"));
	assert_memory_equal(list->data, "m_zst\nm_xz\nm_plain\n", list->size);
	static const char *const names[] = { "lib/modules/m_plain.ko",
					     "lib/modules/m_xz.ko",
					     "lib/modules/m_zst.ko" };
	for (int i = 0; i < 3; i++) {
		const struct entry *m = find(e, n, names[i]);
		assert_int_equal(m->size, lens[i]);
		assert_memory_equal(m->data, mods[i], lens[i]);
	}
}

static void test_initramfs(void **state)
{
	(void)state;
	char moddir[PATH_MAX], init[PATH_MAX], dyn[PATH_MAX], out[PATH_MAX];
	tmp_path(moddir, sizeof(moddir), "mods");
	tmp_path(init, sizeof(init), "init-static");
	tmp_path(dyn, sizeof(dyn), "init-dynamic");
	tmp_path(out, sizeof(out), "initrd.img");
	uint8_t *mods[3];
	size_t lens[3];
	make_moddir(moddir, mods, lens);
	make_elf(init, false, 100001);
	make_elf(dyn, true, 10);

	struct kd_modset *set;
	assert_null(kd_modset_open(moddir, &set));
	assert_null(kd_modset_add(set, "m_plain"));
	struct kd_config cfg;
	kd_config_default(&cfg);
	snprintf(cfg.target, sizeof(cfg.target), "UUID=0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9");
	snprintf(cfg.fstype, sizeof(cfg.fstype), "ext4");
	struct kd_initramfs_options opts = {
		.init = init, .config = &cfg, .modules = set, .compress = false,
	};
	struct kd_initramfs_report rep;
	for (int compress = 0; compress <= 1; compress++) {
		opts.compress = compress;
		memset(&rep, 0xff, sizeof(rep));
		struct kd_error *err = kd_initramfs_write(out, &opts, &rep);
		if (err)
			fail_msg("%s", kd_error_message(err));
		struct stat st;
		assert_int_equal(stat(out, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(rep.size, (uint64_t)st.st_size);
		assert_int_equal(rep.nmodules, 3);
		assert_int_equal(rep.modules_size, lens[0] + lens[1] + lens[2]);
		assert_int_equal(rep.init_size, sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr) + 100001);
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof(tmp), "%s.tmp", out);
		assert_int_equal(access(tmp, F_OK), -1);
		size_t len;
		uint8_t *buf = read_all(out, &len);
		if (compress) {
			assert_memory_equal(buf, "\x1f\x8b", 2);
			size_t inflen;
			uint8_t *inf = gunzip(buf, len, &inflen);
			check_initramfs(inf, inflen, rep.init_size, mods, lens, &cfg);
			free(inf);
		} else {
			check_initramfs(buf, len, rep.init_size, mods, lens, &cfg);
			// GNU cpio agrees on names, modes and device numbers.
			char *argv[] = { (char *)"cpio", (char *)"-itv", (char *)"--quiet", NULL };
			char *listing = synth_run_output(argv, out);
			if (listing) {
				assert_non_null(strstr(listing, "crw-------"));
				assert_non_null(strstr(listing, "5,   1"));
				assert_non_null(strstr(listing, "-rwxr-xr-x"));
				assert_non_null(strstr(listing, " init\n"));
				assert_non_null(strstr(listing, " lib/modules/m_xz.ko\n"));
				free(listing);
			}
		}
		free(buf);
	}

	// A dynamically linked /init is refused, saying what to do; the old
	// archive stays and no temporary file is left.
	opts.init = dyn;
	struct kd_error *err = kd_initramfs_write(out, &opts, &rep);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "dynamically linked"));
	assert_non_null(strstr(kd_error_message(err), "-Dstatic=true"));
	kd_error_destroy(err);
	assert_int_equal(access(out, F_OK), 0);
	// So is the test program itself (a dynamic executable), and a non-ELF.
	char self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(sl > 0);
	self[sl] = '\0';
	opts.init = self;
	err = kd_initramfs_write(out, &opts, &rep);
	assert_non_null(err);
	kd_error_destroy(err);
	opts.init = moddir;
	err = kd_initramfs_write(out, &opts, &rep);
	assert_non_null(err);
	kd_error_destroy(err);
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	assert_int_equal(access(tmp, F_OK), -1);

	// A corrupt .ko.xz is an error naming the file.
	char xz[PATH_MAX];
	snprintf(xz, sizeof(xz), "%s/kernel/m-xz.ko.xz", moddir);
	write_all(xz, "\xfd" "7zXZ\0garbage", 12, 0644);
	opts.init = init;
	err = kd_initramfs_write(out, &opts, &rep);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "m-xz.ko.xz"));
	kd_error_destroy(err);
	kd_modset_close(set);
	for (int i = 0; i < 3; i++)
		free(mods[i]);
}

// A real trixie module (.ko.xz) lands in the archive byte-identical to
// what xz(1) decompresses.
static void test_real_xz_module(void **state)
{
	(void)state;
	char ko[PATH_MAX * 2], init[PATH_MAX], out[PATH_MAX], moddir[PATH_MAX];
	// The first cached kernel (tests/vm/kernel.sh) that ships .ko.xz
	// modules: trixie's (bookworm's modules are not compressed).
	char rels[8][128], kdir[PATH_MAX];
	size_t nrel = kd_test_kernels(rels, 8), i;
	for (i = 0; i < nrel; i++) {
		kd_test_kernel_dir(kdir, sizeof(kdir), rels[i]);
		snprintf(ko, sizeof(ko), "%s/lib/modules/%s/kernel/drivers/block/virtio_blk.ko.xz",
			 kdir, rels[i]);
		if (!access(ko, R_OK))
			break;
	}
	if (i == nrel)
		kd_test_skip("no cached kernel with virtio_blk.ko.xz (tests/vm/kernel.sh trixie)");
	char *xzargv[] = { (char *)"xz", (char *)"-dc", ko, NULL };
	size_t wantlen;
	char plain[PATH_MAX];
	tmp_path(plain, sizeof(plain), "virtio_blk.ko");
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(plain, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		execvp(xzargv[0], xzargv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st))
		fail_msg("xz -dc %s died", ko);
	if (WEXITSTATUS(st) == 127)
		kd_test_skip("xz(1) could not be run (xz-utils)");
	if (WEXITSTATUS(st))
		fail_msg("xz -dc %s: exit %d", ko, WEXITSTATUS(st));
	uint8_t *ref = read_all(plain, &wantlen);

	tmp_path(moddir, sizeof(moddir), "real");
	mkdir(moddir, 0755);
	char link[PATH_MAX], dep[PATH_MAX];
	snprintf(link, sizeof(link), "%s/virtio_blk.ko.xz", moddir);
	assert_int_equal(symlink(ko, link), 0);
	snprintf(dep, sizeof(dep), "%s/modules.dep", moddir);
	write_all(dep, "virtio_blk.ko.xz:\n", 18, 0644);
	tmp_path(init, sizeof(init), "init-real");
	make_elf(init, false, 1);
	tmp_path(out, sizeof(out), "real.img");
	struct kd_modset *set;
	assert_null(kd_modset_open(moddir, &set));
	assert_null(kd_modset_add(set, "virtio-blk"));
	struct kd_config cfg;
	kd_config_default(&cfg);
	struct kd_initramfs_options opts = { .init = init, .config = &cfg,
					     .modules = set, .compress = true };
	struct kd_initramfs_report rep;
	assert_null(kd_initramfs_write(out, &opts, &rep));
	size_t len, inflen;
	uint8_t *buf = read_all(out, &len);
	uint8_t *inf = gunzip(buf, len, &inflen);
	struct entry e[16];
	size_t n = parse(inf, inflen, e, 16);
	const struct entry *m = find(e, n, "lib/modules/virtio_blk.ko");
	assert_int_equal(m->size, wantlen);
	assert_memory_equal(m->data, ref, wantlen);
	assert_int_equal(rep.modules_size, wantlen);
	kd_modset_close(set);
	free(inf);
	free(buf);
	free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpio),
		cmocka_unit_test(test_cpio_misuse),
		cmocka_unit_test(test_cpio_write_fails),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_initramfs),
		cmocka_unit_test(test_real_xz_module),
	};
	return kd_test_run(tests, setup, teardown);
}

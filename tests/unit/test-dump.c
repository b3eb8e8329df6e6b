// SPDX-License-Identifier: LGPL-2.1-or-later
// Dump files: the ELF core reader (ranges, holes, overlaps, notes, CPU
// states) and every kind of bad input a user can hand us.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "synth.h"

static uint8_t page_a[0x3000], page_b[0x2000];

static char *write_sample(void)
{
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0xffffffff81234567ULL, 0xffffc90000013b10ULL);
	synth_prstatus(s, 0, 0xffffffff81000abcULL, 0xffffc9000009bed8ULL);
	synth_note(s, "OTHER", 7, "xyz", 3);
	synth_vmcoreinfo(s, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n");
	// Low memory with the backup region's hole below 0x1000, a range
	// above 4 GiB, and the kernel text segment repeating RAM.
	for (size_t i = 0; i < sizeof(page_a); i++)
		page_a[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(page_b); i++)
		page_b[i] = (uint8_t)(i * 13 + 1);
	synth_load(s, 0x100000000ULL, 0xffff888100000000ULL, page_b, sizeof(page_b));
	synth_load(s, 0x1000, 0xffff888000001000ULL, page_a, sizeof(page_a));
	synth_load(s, 0x2000, 0xffffffff81000000ULL, page_a + 0x1000, 0x1000);
	char *path = synth_write(s);
	synth_free(s);
	return path;
}

static void test_ranges_and_reads(void **state)
{
	(void)state;
	char *path = write_sample();
	struct kd_dump *dump;
	assert_null(kd_dump_open(path, &dump));
	assert_string_equal(kd_dump_format_name(dump), "elf");
	assert_int_equal(kd_dump_machine(dump), EM_X86_64);
	// The text segment lies inside RAM: kept once.
	assert_int_equal(kd_dump_num_ranges(dump), 2);
	const struct kd_phys_range *r0 = kd_dump_range(dump, 0);
	assert_int_equal(r0->start, 0x1000);
	assert_int_equal(r0->size, 0x3000);
	const struct kd_phys_range *r1 = kd_dump_range(dump, 1);
	assert_int_equal(r1->start, 0x100000000ULL);
	assert_int_equal(r1->size, 0x2000);
	assert_null(kd_dump_range(dump, 2));

	uint8_t buf[0x3000];
	assert_null(kd_dump_read_phys(dump, 0x1000, buf, sizeof(page_a)));
	assert_memory_equal(buf, page_a, sizeof(page_a));
	assert_null(kd_dump_read_phys(dump, 0x100001fe0ULL, buf, 0x20));
	assert_memory_equal(buf, page_b + 0x1fe0, 0x20);

	// A hole is KD_ERROR_NODATA, whether wholly or partly outside.
	struct kd_error *err = kd_dump_read_phys(dump, 0x0, buf, 8);
	assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
	kd_error_destroy(err);
	err = kd_dump_read_phys(dump, 0x3ff8, buf, 16);
	assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
	assert_non_null(strstr(kd_error_message(err), "0x4000"));
	kd_error_destroy(err);
	err = kd_dump_read_phys(dump, 0x100002000ULL, buf, 1);
	assert_int_equal(kd_error_code(err), KD_ERROR_NODATA);
	kd_error_destroy(err);
	kd_dump_close(dump);
	unlink(path);
	free(path);
}

// kd_dump_map_phys(): never on a regular file (SIGBUS on a failing disk or
// a file truncated under the reader); where allowed (/proc/vmcore, here
// forced) the same bytes as a read, and NULL (so the caller reads and
// gets the error) for holes and ranges split across segments.
static void test_map_phys(void **state)
{
	(void)state;
	char *path = write_sample();
	struct kd_dump *dump;
	assert_null(kd_dump_open(path, &dump));
	struct kd_map m = { 0 };
	assert_false(dump->mappable);
	assert_null(kd_dump_map_phys(dump, &m, 0x1000, sizeof(page_a)));
	dump->mappable = true;
	const uint8_t *p = kd_dump_map_phys(dump, &m, 0x1000, sizeof(page_a));
	assert_non_null(p);
	assert_memory_equal(p, page_a, sizeof(page_a));
	p = kd_dump_map_phys(dump, &m, 0x100001000ULL, 0x1000);
	assert_non_null(p);
	assert_memory_equal(p, page_b + 0x1000, 0x1000);
	assert_null(kd_dump_map_phys(dump, &m, 0x0, 0x1000));
	assert_null(kd_dump_map_phys(dump, &m, 0x3000, 0x2000));
	kd_dump_unmap(&m);
	kd_dump_close(dump);

	unlink(path);
	free(path);
}

static void test_notes(void **state)
{
	(void)state;
	char *path = write_sample();
	struct kd_dump *dump;
	assert_null(kd_dump_open(path, &dump));
	assert_int_equal(kd_dump_num_cpus(dump), 2);
	struct kd_cpu_state st;
	assert_null(kd_dump_cpu_state(dump, 0, &st));
	assert_int_equal(st.pid, 1);
	assert_int_equal(st.ip, 0xffffffff81234567ULL);
	assert_int_equal(st.sp, 0xffffc90000013b10ULL);
	assert_int_equal(st.nregs, 27);
	assert_int_equal(st.regs[0], 0x1000); // r15 as synth fills it
	assert_null(kd_dump_cpu_state(dump, 1, &st));
	assert_int_equal(st.pid, 0);
	assert_int_equal(st.ip, 0xffffffff81000abcULL);
	struct kd_error *err = kd_dump_cpu_state(dump, 2, &st);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	size_t len;
	const char *vi = kd_dump_vmcoreinfo_raw(dump, &len);
	assert_non_null(vi);
	assert_int_equal(len, strlen("OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"));
	assert_memory_equal(vi, "OSRELEASE=6.1.0-test\n", 21);
	assert_int_equal(dump->nnotes, 4);
	assert_string_equal(dump->notes[2].name, "OTHER");
	assert_int_equal(dump->notes[2].type, 7);
	kd_dump_close(dump);
	unlink(path);
	free(path);
}

// A segment that ends inside the last note's desc padding (found by
// fuzz-dump): the note is kept and parsing stops at the segment's end
// instead of running past it.
static void test_note_padding_cut(void **state)
{
	(void)state;
	uint8_t *buf = calloc(1, 12 + 8 + 6);	// exact size: ASan sees overreads
	synth_put32(buf, 7);			// namesz "KEXDUMP\0" is 8 with NUL
	synth_put32(buf + 4, 5);		// descsz, padded to 8 in full
	synth_put32(buf + 8, 9);
	memcpy(buf + 12, "KEXDUMP", 8);
	memcpy(buf + 20, "abcde", 5);
	struct kd_dump d = { .path = (char *)"cut-notes" };
	// One of the desc's 3 padding bytes is in the segment.
	assert_null(kd_dump_parse_notes(&d, buf, 12 + 8 + 6));
	assert_int_equal(d.nnotes, 1);
	assert_int_equal(d.notes[0].descsz, 5);
	assert_memory_equal(d.notes[0].desc, "abcde", 5);
	free(d.notes[0].desc);
	free(d.notes);
	free(d.prstatus);
	free(buf);
}

static void expect_open_error(const char *path, enum kd_error_code code,
			      const char *needle)
{
	struct kd_dump *dump = NULL;
	struct kd_error *err = kd_dump_open(path, &dump);
	assert_non_null(err);
	assert_null(dump);
	if (kd_error_code(err) != code || !strstr(kd_error_message(err), needle))
		fail_msg("%s: got code %d \"%s\", want code %d containing \"%s\"",
			 path, kd_error_code(err), kd_error_message(err), code,
			 needle);
	// The message names the file.
	assert_non_null(strstr(kd_error_message(err), path));
	kd_error_destroy(err);
}

static void test_not_elf(void **state)
{
	(void)state;
	char *path = synth_write_bytes("hello world, not a dump", 23);
	expect_open_error(path, KD_ERROR_FORMAT, "not a kernel crash dump");
	unlink(path);
	free(path);
	path = synth_write_bytes("", 0);
	expect_open_error(path, KD_ERROR_FORMAT, "empty");
	unlink(path);
	free(path);
}

static char *rewrite(const char *orig, size_t truncate_to,
		     void (*patch)(uint8_t *buf, size_t len))
{
	int fd = open(orig, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len);
	assert_int_equal(read(fd, buf, len), (ssize_t)len);
	close(fd);
	if (patch)
		patch(buf, len);
	char *path = synth_write_bytes(buf, truncate_to ? truncate_to : len);
	free(buf);
	return path;
}

static void patch_exec(uint8_t *b, size_t len)
{
	(void)len;
	synth_put16(b + offsetof(Elf64_Ehdr, e_type), ET_EXEC);
}

static void patch_class32(uint8_t *b, size_t len)
{
	(void)len;
	b[EI_CLASS] = ELFCLASS32;
}

static void patch_phentsize(uint8_t *b, size_t len)
{
	(void)len;
	synth_put16(b + offsetof(Elf64_Ehdr, e_phentsize), 40);
}

static void patch_note_size(uint8_t *b, size_t len)
{
	(void)len;
	// First note's descsz, just after the headers (ehdr + 4 phdrs).
	synth_put32(b + sizeof(Elf64_Ehdr) + 4 * sizeof(Elf64_Phdr) + 4, 0x7fffffff);
}

static void patch_phnum(uint8_t *b, size_t len)
{
	(void)len;
	synth_put16(b + offsetof(Elf64_Ehdr, e_phnum), 0x7000);
}

static void test_bad_elf(void **state)
{
	(void)state;
	char *good = write_sample();
	struct {
		size_t truncate_to;
		void (*patch)(uint8_t *, size_t);
		enum kd_error_code code;
		const char *needle;
	} cases[] = {
		{ 0, patch_exec, KD_ERROR_FORMAT, "not a core dump" },
		{ 0, patch_class32, KD_ERROR_UNSUPPORTED, "32-bit" },
		{ 0, patch_phentsize, KD_ERROR_CORRUPT, "program header size" },
		{ 0, patch_note_size, KD_ERROR_CORRUPT, "runs past" },
		{ 0, patch_phnum, KD_ERROR_CORRUPT, "truncated" },
		{ 40, NULL, KD_ERROR_CORRUPT, "truncated" },
		{ 100, NULL, KD_ERROR_CORRUPT, "truncated" },
		{ 2000, NULL, KD_ERROR_CORRUPT, "truncated" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *bad = rewrite(good, cases[i].truncate_to, cases[i].patch);
		expect_open_error(bad, cases[i].code, cases[i].needle);
		unlink(bad);
		free(bad);
	}
	unlink(good);
	free(good);
}

// kd_dump_open() in a child running as nobody (kd_test_as_nobody()):
// needle NULL means the open must succeed.
struct open_probe {
	const char *path;
	enum kd_error_code code;
	const char *needle;
};

static int open_probe(void *arg)
{
	const struct open_probe *p = arg;
	struct kd_dump *dump = NULL;
	struct kd_error *err = kd_dump_open(p->path, &dump);
	if (!p->needle) {
		if (!err) {
			kd_dump_close(dump);
			return 0;
		}
		fprintf(stderr, "uid %u: %s\n", (unsigned)geteuid(), kd_error_message(err));
		kd_error_destroy(err);
		return 1;
	}
	if (!err) {
		fprintf(stderr, "uid %u opened %s\n", (unsigned)geteuid(), p->path);
		kd_dump_close(dump);
		return 2;
	}
	const char *msg = kd_error_message(err);
	bool ok = kd_error_code(err) == p->code && strstr(msg, p->needle) &&
		  strstr(msg, p->path);
	if (!ok)
		fprintf(stderr, "uid %u: code %d \"%s\", want %d with \"%s\"\n",
			(unsigned)geteuid(), kd_error_code(err), msg, p->code, p->needle);
	kd_error_destroy(err);
	return ok ? 0 : 3;
}

static void test_os_errors(void **state)
{
	(void)state;
	expect_open_error("/nonexistent/vmcore", KD_ERROR_OS, "No such file");
	expect_open_error("/tmp", KD_ERROR_FORMAT, "is a directory");
	// A dump its reader may not read. As root (CI) the check runs as
	// nobody, which file modes bind; the same file readable (0644) opens
	// for that user, so the refusal comes from the mode alone.
	char *path = write_sample();
	assert_int_equal(chmod(path, 0644), 0);
	struct open_probe readable = { .path = path };
	assert_int_equal(kd_test_as_nobody(open_probe, &readable), 0);
	assert_int_equal(chmod(path, 0), 0);
	struct open_probe denied = { path, KD_ERROR_OS, "Permission denied" };
	assert_int_equal(kd_test_as_nobody(open_probe, &denied), 0);
	unlink(path);
	free(path);
}

static void test_no_vmcoreinfo(void **state)
{
	(void)state;
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	synth_load(s, 0, 0, page_a, 0x1000);
	char *path = synth_write(s);
	synth_free(s);
	struct kd_dump *dump;
	assert_null(kd_dump_open(path, &dump));
	size_t len;
	assert_null(kd_dump_vmcoreinfo_raw(dump, &len));
	struct kd_kernel *kernel = NULL;
	struct kd_error *err = kd_kernel_open(dump, NULL, &kernel);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	assert_non_null(strstr(kd_error_message(err), "no VMCOREINFO"));
	assert_null(kernel);
	kd_error_destroy(err);
	kd_dump_close(dump);
	unlink(path);
	free(path);
}

static void patch_machine_arm(uint8_t *b, size_t len)
{
	(void)len;
	synth_put16(b + offsetof(Elf64_Ehdr, e_machine), EM_PPC64);
}

static void test_unsupported_arch(void **state)
{
	(void)state;
	char *good = write_sample();
	char *path = rewrite(good, 0, patch_machine_arm);
	struct kd_dump *dump;
	assert_null(kd_dump_open(path, &dump));
	struct kd_kernel *kernel = NULL;
	struct kd_error *err = kd_kernel_open(dump, NULL, &kernel);
	assert_int_equal(kd_error_code(err), KD_ERROR_UNSUPPORTED);
	assert_non_null(strstr(kd_error_message(err), "architecture not supported"));
	kd_error_destroy(err);
	struct kd_cpu_state st;
	err = kd_dump_cpu_state(dump, 0, &st);
	assert_int_equal(kd_error_code(err), KD_ERROR_UNSUPPORTED);
	kd_error_destroy(err);
	kd_dump_close(dump);
	unlink(path);
	free(path);
	unlink(good);
	free(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_and_reads),
		cmocka_unit_test(test_map_phys),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_note_padding_cut),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_bad_elf),
		cmocka_unit_test(test_os_errors),
		cmocka_unit_test(test_no_vmcoreinfo),
		cmocka_unit_test(test_unsupported_arch),
	};
	return kd_test_run(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// kexec: the capture kernel's command line, the kexec state read from a fake
// /proc and /sys, the errors a failed kexec_file_load(2) turns into, the
// reservation estimate, the load records, and the checks made before the
// system call (no kernel is ever loaded here).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kdtest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/service.h"

#define MIB (UINT64_C(1) << 20)
#define ADDED "nr_cpus=1 reset_devices irqpoll panic=10"

/* ------------------------------------------------------ command lines */

static void check_cmdline(const char *running, const char *append, const char *want)
{
	char *got = NULL;
	struct kd_error *err = kd_kexec_capture_cmdline(running, append, &got);
	assert_null(err);
	assert_string_equal(got, want);
	free(got);
}

static void test_cmdline_debian(void **state)
{
	(void)state;
	check_cmdline("BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=0b1c-77 ro quiet "
		      "crashkernel=384M-:256M\n", NULL,
		      "root=UUID=0b1c-77 ro " ADDED);
	check_cmdline("BOOT_IMAGE=/vmlinuz root=/dev/mapper/vg-root ro console=tty0 "
		      "console=ttyS0,115200n8 splash quiet", "",
		      "root=/dev/mapper/vg-root ro console=tty0 console=ttyS0,115200n8 " ADDED);
}

static void test_cmdline_empty(void **state)
{
	(void)state;
	check_cmdline("", "", ADDED);
	check_cmdline(NULL, NULL, ADDED);
	check_cmdline(" \t\n", "   ", ADDED);
	check_cmdline("quiet splash", NULL, ADDED);
}

static void test_cmdline_quotes(void **state)
{
	(void)state;
	// Quoted arguments stay whole, with their spaces and quotes.
	check_cmdline("root=/dev/sda1 \"foo=a b\" dyndbg=\"file x.c +p\" quiet", NULL,
		      "root=/dev/sda1 \"foo=a b\" dyndbg=\"file x.c +p\" " ADDED);
	// A quoted parameter is still recognised by its name...
	check_cmdline("\"crashkernel=256M\" console=ttyS0 \"quiet\"", NULL,
		      "console=ttyS0 " ADDED);
	// ...and a dropped word inside a quoted value is not a parameter.
	check_cmdline("foo=\"quiet splash crashkernel=1G\" bar", NULL,
		      "foo=\"quiet splash crashkernel=1G\" bar " ADDED);
	// A quote never closed would swallow what is added after it.
	check_cmdline("root=/dev/vda \"foo=bar baz", NULL, "root=/dev/vda " ADDED);
	// Quoted append kept as written.
	check_cmdline("root=/dev/vda", "acpi_osi=\"!Windows 2020\"",
		      "root=/dev/vda " ADDED " acpi_osi=\"!Windows 2020\"");
}

static void test_cmdline_duplicates(void **state)
{
	(void)state;
	// What kexdump adds appears once, whatever the running line held.
	check_cmdline("irqpoll reset_devices nr_cpus=4 maxcpus=2 irqpoll panic=0 "
		      "possible_cpus=8 root=/dev/vda reset_devices", NULL,
		      "root=/dev/vda " ADDED);
	// The kernel reads '-' and '_' alike in names (parameq()).
	check_cmdline("reset-devices nr-cpus=8 root=/dev/vda crash-kernel=1 crashkernel=1G",
		      NULL, "root=/dev/vda crash-kernel=1 " ADDED);
}

static void test_cmdline_dropped(void **state)
{
	(void)state;
	check_cmdline("hugepagesz=1G hugepages=4 default_hugepagesz=1G mem=4G "
		      "memmap=2G$4G cma=64M hugetlb_cma=1G resume=/dev/sda2 "
		      "resume_offset=123 initrd=/initrd.img init=/bin/sh rdinit=/init "
		      "elfcorehdr=0x1000 splash console=tty0", NULL,
		      "console=tty0 " ADDED);
	// Names are matched whole, not as prefixes.
	check_cmdline("memory_corruption_check=0 initcall_debug panic_on_warn=1 quietx "
		      "crashkernelx=1 mem_encrypt=on initrdmem=1 memmapx", NULL,
		      "memory_corruption_check=0 initcall_debug panic_on_warn=1 quietx "
		      "crashkernelx=1 mem_encrypt=on initrdmem=1 memmapx " ADDED);
}

static void test_cmdline_init_args(void **state)
{
	(void)state;
	// "--" ends the kernel's parameters: what follows was the running
	// init's, and kexdump's additions must not land behind it.
	check_cmdline("console=ttyS0 rdinit=/process_api -- --firecracker-init --addr 0.0.0.0",
		      "debug", "console=ttyS0 " ADDED " debug");
	// "--" as a value is not the separator; quoted it is (next_arg()
	// strips the quotes before parse_args() compares).
	check_cmdline("a=-- b \"--\" c", NULL, "a=-- b " ADDED);
}

static void test_cmdline_append(void **state)
{
	(void)state;
	// The append comes last; a parameter it sets replaces kexdump's.
	check_cmdline("root=/dev/vda quiet", "nr_cpus=2 debug",
		      "root=/dev/vda reset_devices irqpoll panic=10 nr_cpus=2 debug");
	check_cmdline("root=/dev/vda", "  panic=30\tloglevel=7  ",
		      "root=/dev/vda nr_cpus=1 reset_devices irqpoll panic=30 loglevel=7");
}

static void check_append(const char *cmdline, const char *append, const char *want)
{
	char *got = NULL;
	assert_null(kd_kexec_append_cmdline(cmdline, append, &got));
	assert_string_equal(got, want);
	free(got);
}

static void test_append_cmdline(void **state)
{
	(void)state;
	// The reboot slot keeps the running line and adds before init's part.
	check_append("root=/dev/vda quiet\n", "foo=1", "root=/dev/vda quiet foo=1");
	check_append("console=ttyS0 rdinit=/x -- --flag  a \n", " foo \"b=c d\" ",
		     "console=ttyS0 rdinit=/x foo \"b=c d\" -- --flag  a");
	check_append("\"--\" x", "y", "y \"--\" x");
	check_append("", "", "");
	check_append(NULL, "a", "a");
	check_append("a=\"x y\"", NULL, "a=\"x y\"");
}

/* ----------------------------------------------------------- the state */

static char *make_root(void)
{
	char *root = strdup("/tmp/test-kexec-XXXXXX");
	assert_non_null(mkdtemp(root));
	return root;
}

static const char iomem[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"00100000-bffdffff : System RAM\n"
	"  0f000000-1effffff : Crash kernel\n"
	"  3a000000-3b001fff : Kernel code\n"
	"fd000000-fdffffff : 0000:00:02.0\n";

static void test_state_armed(void **state)
{
	(void)state;
	char *root = make_root();
	kd_test_write_text(root, "/sys/kernel/kexec_crash_size", "268435456\n");
	kd_test_write_text(root, "/sys/kernel/kexec_crash_loaded", "1\n");
	kd_test_write_text(root, "/sys/kernel/kexec_loaded", "0\n");
	kd_test_write_text(root, "/proc/sys/kernel/kexec_load_disabled", "0\n");
	kd_test_write_text(root, "/sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	kd_test_write_text(root, "/proc/iomem", iomem);
	kd_test_write_text(root, "/proc/cmdline",
		 "BOOT_IMAGE=/vmlinuz root=/dev/vda crashkernel=384M-:256M quiet\n");
	struct kd_kexec_state st;
	memset(&st, 0xa5, sizeof(st));
	assert_null(kd_kexec_state(root, &st));
	assert_int_equal(st.crash_size, 256 * MIB);
	assert_int_equal(st.crash_start, 0x0f000000);
	assert_true(st.crash_loaded);
	assert_false(st.reboot_loaded);
	assert_false(st.load_disabled);
	assert_string_equal(st.lockdown, "integrity");
	assert_string_equal(st.crashkernel_arg, "crashkernel=384M-:256M");
	kd_test_rm_rf(root);
	free(root);
}

static void test_state_not_root(void **state)
{
	(void)state;
	char *root = make_root();
	// What a user sees: addresses hidden, a high and a low reservation,
	// kexec disabled, the reboot slot loaded, lockdown off.
	kd_test_write_text(root, "/sys/kernel/kexec_crash_size", "134217728");
	kd_test_write_text(root, "/sys/kernel/kexec_crash_loaded", "0");
	kd_test_write_text(root, "/sys/kernel/kexec_loaded", "1");
	kd_test_write_text(root, "/proc/sys/kernel/kexec_load_disabled", "1");
	kd_test_write_text(root, "/sys/kernel/security/lockdown", "[none] integrity confidentiality");
	kd_test_write_text(root, "/proc/iomem", "00000000-00000000 : System RAM\n"
				      "  00000000-00000000 : Crash kernel\n");
	kd_test_write_text(root, "/proc/cmdline", "crashkernel=512M,high \"crashkernel=128M,low\" "
					"-- crashkernel=1G");
	struct kd_kexec_state st;
	assert_null(kd_kexec_state(root, &st));
	assert_int_equal(st.crash_size, 128 * MIB);
	assert_int_equal(st.crash_start, 0);
	assert_false(st.crash_loaded);
	assert_true(st.reboot_loaded);
	assert_true(st.load_disabled);
	assert_string_equal(st.lockdown, "none");
	assert_string_equal(st.crashkernel_arg,
			    "crashkernel=512M,high \"crashkernel=128M,low\"");
	kd_test_rm_rf(root);
	free(root);
}

static void test_state_empty(void **state)
{
	(void)state;
	// A kernel without kexec, no securityfs, no reservation.
	char *root = make_root();
	kd_test_write_text(root, "/proc/cmdline", "root=/dev/vda quiet\n");
	struct kd_kexec_state st;
	memset(&st, 0xa5, sizeof(st));
	assert_null(kd_kexec_state(root, &st));
	assert_int_equal(st.crash_size, 0);
	assert_int_equal(st.crash_start, 0);
	assert_false(st.crash_loaded || st.reboot_loaded || st.load_disabled);
	assert_string_equal(st.lockdown, "");
	assert_string_equal(st.crashkernel_arg, "");
	kd_test_rm_rf(root);
	free(root);
}

static void test_state_corrupt(void **state)
{
	(void)state;
	char *root = make_root();
	kd_test_write_text(root, "/sys/kernel/kexec_crash_size", "lots\n");
	struct kd_kexec_state st;
	struct kd_error *err = kd_kexec_state(root, &st);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "kexec_crash_size: not a number: 'lots'"));
	kd_error_destroy(err);
	kd_test_rm_rf(root);
	free(root);
}

/* ------------------------------------------------------------- errors */

static const struct kd_kexec_failure base_failure = {
	.slot = KD_KEXEC_CRASH,
	.is_root = true,
	.kernel = "/boot/vmlinuz-6.1.0-56-amd64",
	.initrd = "/var/lib/kexdump/initramfs-6.1.0-56-amd64.img",
	.kernel_size = 8 * MIB,
	.initrd_size = 10 * MIB,
	.cmdline_len = 100,
};

static char *explain(int errnum, const struct kd_kexec_failure *base,
		     const struct kd_kexec_state *st)
{
	struct kd_kexec_failure f = *base;
	f.errnum = errnum;
	struct kd_error *err = kd_kexec_explain(&f, st);
	assert_non_null(err);
	char *msg = strdup(kd_error_message(err));
	// One line, naming both files.
	assert_null(strchr(msg, '\n'));
	assert_non_null(strstr(msg, base->kernel));
	if (base->initrd && errnum != ENOEXEC)
		assert_non_null(strstr(msg, base->initrd));
	kd_error_destroy(err);
	return msg;
}

static void assert_contains(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("'%s' does not contain '%s'", msg, want);
}

static void test_explain_permission(void **state)
{
	(void)state;
	struct kd_kexec_state st = { .crash_size = 256 * MIB };
	struct kd_kexec_failure f = base_failure;
	f.is_root = false;
	char *m = explain(EPERM, &f, &st);
	assert_contains(m, "must be root");
	free(m);

	st.load_disabled = true;
	m = explain(EPERM, &base_failure, &st);
	assert_contains(m, "kexec is disabled until reboot");
	assert_contains(m, "kernel.kexec_load_disabled");
	free(m);

	st.load_disabled = false;
	strcpy(st.lockdown, "integrity");
	m = explain(EPERM, &base_failure, &st);
	assert_true(!strncmp(m, "kernel lockdown/secure boot refused an unsigned kernel: ", 56));
	assert_contains(m, "integrity");
	free(m);

	// With signatures enforced the verifier's errno comes back as is.
	strcpy(st.lockdown, "none");
	static const int sig_errnos[] = { EKEYREJECTED, EBADMSG, ENODATA, ENOKEY, ENOPKG };
	for (size_t i = 0; i < KD_ARRAY_SIZE(sig_errnos); i++) {
		m = explain(sig_errnos[i], &base_failure, &st);
		assert_true(!strncmp(m, "kernel lockdown/secure boot refused an unsigned kernel: ", 56));
		assert_contains(m, strerror(sig_errnos[i]));
		free(m);
	}

	// Root, not disabled, no lockdown: a limit or a security module.
	m = explain(EPERM, &base_failure, &st);
	assert_contains(m, "kexec_load_limit_panic");
	free(m);
}

static void test_explain_reservation(void **state)
{
	(void)state;
	struct kd_kexec_state st = { 0 };
	// No reservation: whatever the kernel said about placing segments.
	static const int errnos[] = { EADDRNOTAVAIL, ENOMEM, EINVAL };
	for (size_t i = 0; i < KD_ARRAY_SIZE(errnos); i++) {
		char *m = explain(errnos[i], &base_failure, &st);
		assert_contains(m, "no crashkernel= reservation: add crashkernel=256M to the kernel "
				   "command line (kexdump setup --apply-bootloader does it) and reboot");
		free(m);
	}
	// Too small: sizes and the estimate.
	st.crash_size = 64 * MIB;
	uint64_t need = kd_kexec_needed_reservation(8 * MIB, 10 * MIB);
	char want[256];
	snprintf(want, sizeof(want),
		 "the reservation (64 MiB) is too small for kernel 8.0 MiB + initramfs 10.0 MiB; "
		 "need about %llu MiB (crashkernel=%lluM)",
		 (unsigned long long)(need / MIB), (unsigned long long)(need / MIB));
	for (size_t i = 0; i < KD_ARRAY_SIZE(errnos); i++) {
		char *m = explain(errnos[i], &base_failure, &st);
		assert_contains(m, want);
		free(m);
	}
	// A huge kernel: the suggested crashkernel= follows the estimate.
	struct kd_kexec_failure big = base_failure;
	big.kernel_size = 64 * MIB;
	st.crash_size = 0;
	char *m = explain(EADDRNOTAVAIL, &big, &st);
	snprintf(want, sizeof(want), "add crashkernel=%lluM",
		 (unsigned long long)(kd_kexec_needed_reservation(64 * MIB, 10 * MIB) / MIB));
	assert_contains(m, want);
	free(m);
}

static void test_explain_other(void **state)
{
	(void)state;
	struct kd_kexec_state st = { .crash_size = 256 * MIB };
	// A command line too long for x86's 2047 bytes with elfcorehdr=.
	struct kd_kexec_failure f = base_failure;
	f.cmdline_len = 2030;
	char *m = explain(EINVAL, &f, &st);
	assert_contains(m, "command line is too long (2030 bytes, at most 2016 fit");
	free(m);
	f.slot = KD_KEXEC_REBOOT;
	m = explain(EINVAL, &f, &st);
	assert_contains(m, "command line is too long (2030 bytes, at most 2016 fit");
	free(m);
	// 2016 bytes fit: EINVAL is then the reservation's.
	f.slot = KD_KEXEC_CRASH;
	f.cmdline_len = 2016;
	st.crash_size = 64 * MIB;
	m = explain(EINVAL, &f, &st);
	assert_contains(m, "the reservation (64 MiB) is too small");
	free(m);
	st.crash_size = 256 * MIB;
	// The reboot slot has no reservation to blame.
	f = base_failure;
	f.slot = KD_KEXEC_REBOOT;
	struct kd_kexec_state none = { 0 };
	f.errnum = ENOMEM;
	struct kd_error *err = kd_kexec_explain(&f, &none);
	assert_int_equal(kd_error_code(err), KD_ERROR_OS);
	assert_int_equal(kd_error_errno(err), ENOMEM);
	assert_null(strstr(kd_error_message(err), "crashkernel"));
	assert_contains(kd_error_message(err), strerror(ENOMEM));
	kd_error_destroy(err);
	m = explain(ENOEXEC, &base_failure, &st);
	assert_contains(m, "not a kernel image");
	free(m);
	m = explain(EBUSY, &base_failure, &st);
	assert_contains(m, "try again");
	free(m);
	// Without an initramfs only the kernel is named.
	f = base_failure;
	f.initrd = NULL;
	m = explain(EIO, &f, &st);
	assert_string_equal(m, "/boot/vmlinuz-6.1.0-56-amd64: kexec_file_load: Input/output error");
	free(m);
}

/* -------------------------------------------------------- reservation */

static void test_needed_reservation(void **state)
{
	(void)state;
	static const uint64_t sizes[] = { 0, 1, 4096, MIB - 1, MIB, 7 * MIB + 12345,
					  8 * MIB, 12 * MIB, 100 * MIB, UINT64_C(1) << 40,
					  UINT64_MAX / 4, UINT64_MAX };
	size_t n = KD_ARRAY_SIZE(sizes);
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < n; i++) {
			uint64_t r = kd_kexec_needed_reservation(sizes[k], sizes[i]);
			// Whole 16 MiB steps, never less than the files.
			assert_int_equal(r % (16 * MIB), 0);
			if (sizes[k] < UINT64_MAX / 4 && sizes[i] < UINT64_MAX / 4)
				assert_true(r >= sizes[k] + sizes[i] + 32 * MIB);
			// Never smaller when a file grows.
			if (k + 1 < n)
				assert_true(kd_kexec_needed_reservation(sizes[k + 1], sizes[i]) >= r);
			if (i + 1 < n)
				assert_true(kd_kexec_needed_reservation(sizes[k], sizes[i + 1]) >= r);
		}
	}
	// Debian's kernels with a small initramfs fit the 256M we suggest.
	assert_true(kd_kexec_needed_reservation(12171200, 4 * MIB) <= 256 * MIB);
	assert_true(kd_kexec_needed_reservation(8247232, 4 * MIB) <= 256 * MIB);
}

/* ------------------------------------------------- crashkernel= values */

static uint64_t ck(const char *value, uint64_t ram)
{
	uint64_t size = 12345;
	struct kd_error *err = kd_kexec_crashkernel_size(value, ram, &size);
	if (err) {
		kd_error_destroy(err);
		return UINT64_MAX;
	}
	return size;
}

static void test_crashkernel_size(void **state)
{
	(void)state;
	uint64_t gib = 1024 * MIB;
	// The simple form, with suffixes, an offset, ,high/,low.
	assert_int_equal(ck("256M", gib), 256 * MIB);
	assert_int_equal(ck("160m", gib), 160 * MIB);
	assert_int_equal(ck("1G", gib), gib);
	assert_int_equal(ck("65536K", gib), 64 * MIB);
	assert_int_equal(ck("0x10000000", gib), 256 * MIB);
	assert_int_equal(ck("128M@16M", gib), 128 * MIB);
	assert_int_equal(ck("512M,high", gib), 512 * MIB);
	assert_int_equal(ck("72M,low", gib), 72 * MIB);
	// Ranges: START <= ram < END, no END is no limit, none matching is 0.
	assert_int_equal(ck("384M-:256M", gib), 256 * MIB);
	assert_int_equal(ck("384M-:256M", 256 * MIB), 0);
	assert_int_equal(ck("512M-2G:64M,2G-:128M", gib), 64 * MIB);
	assert_int_equal(ck("512M-2G:64M,2G-:128M", 2 * gib), 128 * MIB);
	assert_int_equal(ck("512M-2G:64M,2G-:128M", 2 * gib - 1), 64 * MIB);
	assert_int_equal(ck("1G-4G:192M,4G-64G:256M@16M", 8 * gib), 256 * MIB);
	// Not a value the kernel takes.
	static const char *const bad[] = { "", "M", "256X", "256M@", "256M,mid", "2G-1G:64M",
					   "512M-:", "512M-2G", "512M-2G:64M,", "1E1E",
					   "99999999999999999999", "32TT" };
	for (size_t i = 0; i < KD_ARRAY_SIZE(bad); i++)
		assert_int_equal(ck(bad[i], gib), UINT64_MAX);
	assert_int_equal(ck("16E", gib), UINT64_MAX);
}

/* ------------------------------------------------------------ records */

static void test_record_roundtrip(void **state)
{
	(void)state;
	char *root = make_root();
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/run-kexdump", root);
	struct kd_kexec_record rec = { .loaded_at = 1764220800 }, back;
	strcpy(rec.kernel, "/boot/vmlinuz-6.12.117+deb13-amd64");
	strcpy(rec.initrd, "/var/lib/kexdump/initramfs-6.12.117+deb13-amd64.img");
	strcpy(rec.cmdline, "root=UUID=1 \"a=b c\" nr_cpus=1 reset_devices irqpoll panic=10");
	assert_null(kd_kexec_record_write(dir, KD_KEXEC_CRASH, &rec));
	assert_null(kd_kexec_record_read(dir, KD_KEXEC_CRASH, &back));
	assert_memory_equal(&rec, &back, sizeof(rec));
	// Private: folder 0700, file 0600, no temporary file left.
	struct stat sb;
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	char path[4300];
	snprintf(path, sizeof(path), "%s/crash.loaded", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	char cmd[4400];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) = 1", dir);
	assert_int_equal(system(cmd), 0);
	// The other slot is separate.
	struct kd_error *err = kd_kexec_record_read(dir, KD_KEXEC_REBOOT, &back);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	// Rewriting replaces; removing twice is fine; then nothing is there.
	rec.initrd[0] = '\0';
	rec.loaded_at = 5;
	assert_null(kd_kexec_record_write(dir, KD_KEXEC_CRASH, &rec));
	assert_null(kd_kexec_record_read(dir, KD_KEXEC_CRASH, &back));
	assert_string_equal(back.initrd, "");
	assert_int_equal(back.loaded_at, 5);
	assert_null(kd_kexec_record_remove(dir, KD_KEXEC_CRASH));
	assert_null(kd_kexec_record_remove(dir, KD_KEXEC_CRASH));
	err = kd_kexec_record_read(dir, KD_KEXEC_CRASH, &back);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	kd_test_rm_rf(root);
	free(root);
}

static void test_record_bad(void **state)
{
	(void)state;
	char *root = make_root();
	char dir[4200], path[4300];
	snprintf(dir, sizeof(dir), "%s/d", root);
	// An existing folder with loose permissions is made private.
	assert_int_equal(mkdir(dir, 0755), 0);
	struct kd_kexec_record rec = { 0 }, back;
	strcpy(rec.kernel, "/k");
	strcpy(rec.cmdline, "a\nb");
	struct kd_error *err = kd_kexec_record_write(dir, KD_KEXEC_REBOOT, &rec);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	assert_contains(kd_error_message(err), "reboot.loaded: a value holds a line break");
	kd_error_destroy(err);
	strcpy(rec.cmdline, "a b");
	assert_null(kd_kexec_record_write(dir, KD_KEXEC_REBOOT, &rec));
	struct stat sb;
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	// Keys a newer kexdump writes are ignored; lines without '=' are not.
	snprintf(path, sizeof(path), "%s/reboot.loaded", dir);
	kd_test_write_text("", path, "kernel=/k\nfuture=1\ncmdline=x\n");
	assert_null(kd_kexec_record_read(dir, KD_KEXEC_REBOOT, &back));
	assert_string_equal(back.kernel, "/k");
	assert_string_equal(back.cmdline, "x");
	kd_test_write_text("", path, "kernel=/k\ngarbage\n");
	err = kd_kexec_record_read(dir, KD_KEXEC_REBOOT, &back);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_contains(kd_error_message(err), "reboot.loaded:2: not key=value");
	kd_error_destroy(err);
	kd_test_write_text("", path, "cmdline=x\n");
	err = kd_kexec_record_read(dir, KD_KEXEC_REBOOT, &back);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	// A file where the folder should be.
	snprintf(path, sizeof(path), "%s/file", root);
	kd_test_write_text("", path, "");
	err = kd_kexec_record_write(path, KD_KEXEC_CRASH, &rec);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	assert_contains(kd_error_message(err), "not a folder");
	kd_error_destroy(err);
	kd_test_rm_rf(root);
	free(root);
}

/* ------------------------------------------- checks before the syscall */

static void test_load_bad_files(void **state)
{
	(void)state;
	// Each fails before kexec_file_load is called: safe on any host.
	char *root = make_root();
	char empty[4200], kernel[4200];
	snprintf(empty, sizeof(empty), "%s/empty", root);
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", root);
	kd_test_write_text("", empty, "");
	kd_test_write_text("", kernel, "MZ not really a kernel");
	struct kd_error *err = kd_kexec_load(KD_KEXEC_CRASH, "/nonexistent/vmlinuz", NULL, "");
	assert_int_equal(kd_error_errno(err), ENOENT);
	assert_string_equal(kd_error_message(err),
			    "/nonexistent/vmlinuz: cannot open the kernel: No such file or directory");
	kd_error_destroy(err);
	err = kd_kexec_load(KD_KEXEC_CRASH, empty, NULL, "");
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	assert_contains(kd_error_message(err), "/empty: the kernel is empty");
	kd_error_destroy(err);
	err = kd_kexec_load(KD_KEXEC_REBOOT, root, NULL, "");
	assert_contains(kd_error_message(err), ": the kernel is not a regular file");
	kd_error_destroy(err);
	err = kd_kexec_load(KD_KEXEC_CRASH, kernel, "/nonexistent/initrd.img", "");
	assert_string_equal(kd_error_message(err),
			    "/nonexistent/initrd.img: cannot open the initramfs: No such file or directory");
	kd_error_destroy(err);
	err = kd_kexec_load(KD_KEXEC_CRASH, kernel, empty, "");
	assert_contains(kd_error_message(err), "/empty: the initramfs is empty");
	kd_error_destroy(err);
	kd_test_rm_rf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_debian),
		cmocka_unit_test(test_cmdline_empty),
		cmocka_unit_test(test_cmdline_quotes),
		cmocka_unit_test(test_cmdline_duplicates),
		cmocka_unit_test(test_cmdline_dropped),
		cmocka_unit_test(test_cmdline_init_args),
		cmocka_unit_test(test_cmdline_append),
		cmocka_unit_test(test_append_cmdline),
		cmocka_unit_test(test_state_armed),
		cmocka_unit_test(test_state_not_root),
		cmocka_unit_test(test_state_empty),
		cmocka_unit_test(test_state_corrupt),
		cmocka_unit_test(test_explain_permission),
		cmocka_unit_test(test_explain_reservation),
		cmocka_unit_test(test_explain_other),
		cmocka_unit_test(test_needed_reservation),
		cmocka_unit_test(test_crashkernel_size),
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_bad),
		cmocka_unit_test(test_load_bad_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// Loading kernels with kexec_file_load(2): the capture kernel that runs on
// a panic and the kernel of a fast reboot, the crashkernel= reservation
// they need, the capture kernel's command line, and errors that say what
// to do. The system call and its errors follow the kernel's
// kernel/kexec_file.c (SYSCALL_DEFINE5(kexec_file_load) and
// kimage_file_prepare_segments()).
#include "service/service.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MIB (UINT64_C(1) << 20)

/* ------------------------------------------------------------ the state */

// Read a small text file under root into buf (NUL-terminated, trailing
// white space cut). A file that is absent or unreadable is "not there":
// /sys/kernel/kexec_* exist only with CONFIG_KEXEC_CORE, securityfs only
// when mounted, and none of it is worth failing a status report for.
static bool kexec_read_text(const char *root, const char *rel, char *buf, size_t size)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	while (len && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	return true;
}

static bool kexec_read_flag(const char *root, const char *rel)
{
	char buf[32];
	return kexec_read_text(root, rel, buf, sizeof(buf)) && strtoul(buf, NULL, 10) != 0;
}

// /proc/iomem nests the reservation under "System RAM":
// "  01000000-10ffffff : Crash kernel". Readers without CAP_SYS_ADMIN see
// every address as 0 (kernel/resource.c r_show()), which is what we report.
static bool kexec_iomem_crash_line(const char *line, uint64_t *start)
{
	static const char tag[] = " : Crash kernel";
	size_t len = strcspn(line, "\n"), tlen = sizeof(tag) - 1;
	if (len < tlen || memcmp(line + len - tlen, tag, tlen))
		return false;
	*start = strtoull(line + strspn(line, " "), NULL, 16);
	return true;
}

/* --------------------------------------------------- command-line parsing */

// One argument of a kernel command line, split the way the kernel's
// kexec_next_arg() (lib/cmdline.c) splits it: white space ends an argument
// unless it is inside double quotes; a quote opening the argument is not
// part of its name ("\"foo=a b\"" is parameter foo), and the name ends at
// the first '=' that is not the argument's first character.
struct arg {
	const char *text;	// the argument as written, quotes and all
	size_t len;
	char name[64];		// the parameter name, '-' read as '_'
	bool has_value;
	bool open_quote;	// a quote left open: it runs to the end of the line
	bool end;		// "--": the rest is for init (parse_args(),
				// kernel/params.c; quotes stripped first)
};

// Parse the argument at or after p; returns where the next one may start,
// or NULL when there are no more.
static const char *kexec_next_arg(const char *p, struct arg *a)
{
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	a->text = p;
	bool quoted = *p == '"', in_quote = quoted;
	const char *s = p + quoted;
	size_t i, equals = 0;
	for (i = 0; s[i]; i++) {
		if (isspace((unsigned char)s[i]) && !in_quote)
			break;
		if (equals == 0 && s[i] == '=')
			equals = i;
		if (s[i] == '"')
			in_quote = !in_quote;
	}
	size_t nlen = equals ? equals : i;
	if (!equals && quoted && i > 0 && s[i - 1] == '"')
		nlen = i - 1;
	// The kernel compares names with parameq(), where '-' equals '_'.
	size_t k;
	for (k = 0; k < nlen && k + 1 < sizeof(a->name); k++)
		a->name[k] = s[k] == '-' ? '_' : s[k];
	a->name[k] = '\0';
	if (nlen >= sizeof(a->name))
		a->name[0] = '\0';	// no parameter we know is that long
	a->has_value = equals != 0;
	a->open_quote = in_quote;
	a->end = !equals && nlen == 2 && s[0] == '-' && s[1] == '-';
	a->len = (size_t)(s + i - p);
	return s + i;
}

static bool kexec_name_is(const struct arg *a, const char *name)
{
	return !strcmp(a->name, name);
}

/*
 * What the running kernel's command line must not pass to the capture
 * kernel. The capture kernel boots in the crashkernel= reservation with
 * kexdump's initramfs; its init is kexdump, which reads the target from its
 * own config, so boot-loader and init settings of the running system mean
 * nothing there, and settings sized for the whole machine do not fit.
 */
static const char *const dropped[] = {
	// A capture kernel must not reserve memory for a capture kernel of
	// its own out of its small reservation.
	"crashkernel",
	// Progress and errors of the capture must reach the console.
	"quiet", "splash",
	// Boot-loader artefacts: BOOT_IMAGE= names the running kernel's file,
	// initrd= its initramfs (read by the EFI stub, which kexec bypasses).
	"BOOT_IMAGE", "initrd",
	// The initramfs's /init is kexdump; rdinit= or init= would run
	// something else (the kernel tries rdinit first, init/main.c).
	"rdinit", "init",
	// Resuming a hibernation image from the capture kernel would
	// overwrite the memory being dumped.
	"resume", "resume_offset",
	// Huge pages and CMA areas are sized for the whole machine; the
	// capture kernel would try to carve them out of its reservation and
	// run out of memory before /init.
	"hugepages", "hugepagesz", "default_hugepagesz", "hugetlb_cma", "cma",
	// kexec_file_load gives the capture kernel its memory map (the
	// reservation and the ELF core header, which it names with its own
	// elfcorehdr=); mem= would cut it, memmap= describe the old machine.
	"mem", "memmap", "elfcorehdr",
	// Replaced by the values below, once each.
	"nr_cpus", "maxcpus", "possible_cpus", "reset_devices", "irqpoll", "panic",
};

/*
 * What the capture kernel gets added. The kernel's
 * Documentation/admin-guide/kdump/kdump.rst ("Load the Dump-capture
 * Kernel") gives "1 irqpoll maxcpus=1 reset_devices" for x86_64 and says:
 *  - nr_cpus=1: "We generally don't have to bring up a SMP kernel just to
 *    capture the dump"; "you had better replace [maxcpus] with nr_cpus to
 *    save memory if supported by the current ARCH, such as x86": per-CPU
 *    areas are sized by nr_cpus. The other CPUs of the crashed kernel are
 *    stopped anyway. A larger value (for kexdump save -j) can be given in
 *    the append, which replaces this one.
 *  - reset_devices: drivers reset their devices during initialisation
 *    (Documentation/admin-guide/kernel-parameters.txt) rather than trust
 *    the state the crashed kernel left them in, mid-DMA.
 *  - irqpoll: "reduces driver initialization failures due to shared
 *    interrupts in the dump-capture kernel" (kdump.rst).
 *  - panic=10: a panic in the capture kernel reboots the machine after 10
 *    seconds instead of hanging it; the machine must come back.
 * Left out on purpose: "1" (single-user mode, a SysV init's argument that
 * kexdump's init ignores); udev.children-max= (there is no udev: kexdump's
 * init loads the modules itself); cgroup_disable=memory (kdump.rst gives
 * it for s390x; on x86_64 kernels since 5.x the memory controller costs
 * nothing per page); nousb (the dump target may be a USB disk, and only the
 * modules the target needs are in the initramfs anyway).
 */
static const char *const added[] = {
	"nr_cpus=1",
	"reset_devices",
	"irqpoll",
	"panic=10",
};

static bool kexec_in_list(const struct arg *a, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (kexec_name_is(a, list[i]))
			return true;
	return false;
}

static void kexec_put_arg(char *out, size_t *len, const char *text, size_t n)
{
	if (*len)
		out[(*len)++] = ' ';
	memcpy(out + *len, text, n);
	*len += n;
	out[*len] = '\0';
}

// Whether the command line @p text sets parameter @p name.
static bool kexec_sets(const char *text, const char *name)
{
	struct arg a;
	for (const char *p = text; (p = kexec_next_arg(p, &a));)
		if (kexec_name_is(&a, name))
			return true;
	return false;
}

KD_EXPORT struct kd_error *kd_kexec_capture_cmdline(const char *running,
						    const char *append,
						    char **ret)
{
	if (!running)
		running = "";
	if (!append)
		append = "";
	char *out = malloc(strlen(running) + strlen(append) + 128);
	if (!out)
		return &kd_enomem;
	size_t len = 0;
	out[0] = '\0';
	struct arg a;
	for (const char *p = running; (p = kexec_next_arg(p, &a));) {
		// "--" ends the kernel's parameters; what follows is for the
		// running system's init (parse_args() in kernel/params.c) and
		// our additions must come before it, so it is dropped.
		if (a.end)
			break;
		// An argument whose quote is never closed would swallow
		// everything added after it.
		if (!a.open_quote && !kexec_in_list(&a, dropped, KD_ARRAY_SIZE(dropped)))
			kexec_put_arg(out, &len, a.text, a.len);
	}
	for (size_t i = 0; i < KD_ARRAY_SIZE(added); i++) {
		struct arg add;
		kexec_next_arg(added[i], &add);
		// What the caller appends wins over kexdump's default.
		if (!kexec_sets(append, add.name))
			kexec_put_arg(out, &len, added[i], strlen(added[i]));
	}
	for (const char *p = append; (p = kexec_next_arg(p, &a));)
		kexec_put_arg(out, &len, a.text, a.len);
	*ret = out;
	return NULL;
}

KD_EXPORT struct kd_error *kd_kexec_append_cmdline(const char *cmdline,
						   const char *append, char **ret)
{
	if (!cmdline)
		cmdline = "";
	if (!append)
		append = "";
	char *out = malloc(strlen(cmdline) + strlen(append) + 2);
	if (!out)
		return &kd_enomem;
	size_t len = 0;
	out[0] = '\0';
	struct arg a;
	const char *rest = NULL;	// "--" and init's arguments
	for (const char *p = cmdline; (p = kexec_next_arg(p, &a));) {
		if (a.end) {
			rest = a.text;
			break;
		}
		kexec_put_arg(out, &len, a.text, a.len);
	}
	for (const char *p = append; (p = kexec_next_arg(p, &a));)
		kexec_put_arg(out, &len, a.text, a.len);
	if (rest) {
		size_t n = strlen(rest);
		while (n && isspace((unsigned char)rest[n - 1]))
			n--;
		kexec_put_arg(out, &len, rest, n);
	}
	*ret = out;
	return NULL;
}

KD_EXPORT struct kd_error *kd_kexec_state(const char *root,
					  struct kd_kexec_state *state)
{
	if (!root)
		root = "";
	struct kd_kexec_state st = { 0 };
	char buf[4096];
	if (kexec_read_text(root, "/sys/kernel/kexec_crash_size", buf, sizeof(buf)) && buf[0]) {
		char *end;
		errno = 0;
		st.crash_size = strtoull(buf, &end, 10);
		if (errno || *end)
			return kd_error_create(KD_ERROR_CORRUPT,
					       "%s/sys/kernel/kexec_crash_size: not a number: '%s'",
					       root, buf);
	}
	st.crash_loaded = kexec_read_flag(root, "/sys/kernel/kexec_crash_loaded");
	st.reboot_loaded = kexec_read_flag(root, "/sys/kernel/kexec_loaded");
	st.load_disabled = kexec_read_flag(root, "/proc/sys/kernel/kexec_load_disabled");
	// "none [integrity] confidentiality": the bracketed word is in force.
	if (kexec_read_text(root, "/sys/kernel/security/lockdown", buf, sizeof(buf))) {
		char *l = strchr(buf, '['), *r = l ? strchr(l, ']') : NULL;
		if (l && r && (size_t)(r - l - 1) < sizeof(st.lockdown)) {
			memcpy(st.lockdown, l + 1, (size_t)(r - l - 1));
			st.lockdown[r - l - 1] = '\0';
		}
	}
	// /proc/iomem is long; read it through stdio.
	char path[4096];
	snprintf(path, sizeof(path), "%s/proc/iomem", root);
	FILE *f = fopen(path, "re");
	if (f) {
		char line[256];
		while (fgets(line, sizeof(line), f))
			if (kexec_iomem_crash_line(line, &st.crash_start))
				break;
		fclose(f);
	}
	// Every crashkernel= (there may be a ",high" and a ",low" one).
	char *cmdline = malloc(65536);
	if (!cmdline)
		return &kd_enomem;
	if (kexec_read_text(root, "/proc/cmdline", cmdline, 65536)) {
		struct arg a;
		size_t len = 0;
		for (const char *p = cmdline; (p = kexec_next_arg(p, &a));) {
			if (a.end)
				break;
			if (kexec_name_is(&a, "crashkernel") &&
			    len + !!len + a.len < sizeof(st.crashkernel_arg))
				kexec_put_arg(st.crashkernel_arg, &len, a.text, a.len);
		}
	}
	free(cmdline);
	*state = st;
	return NULL;
}

/* ------------------------------------------------- how much to reserve */

/*
 * The reservation a capture kernel needs: an estimate, made of parts that
 * are easy to adjust (helper SERVICE measures the real minimum in the
 * end-to-end harness and docs/setup.md records it):
 *  - the kernel's decompressed footprint: x86's boot header field
 *    init_size (Documentation/arch/x86/boot.rst) is what the kernel needs
 *    to decompress and run; Debian's 6.1 bzImage (7.9 MiB) asks for 63 MiB
 *    and 6.12's (11.6 MiB) for 55 MiB: at most 8 times the file;
 *  - the initramfs three times: its image, its unpacked copy in the
 *    rootfs, and the modules loaded from it (they are most of its size);
 *  - kexdump save's working set: 32 MiB (page windows, bitmaps, the
 *    compression buffers);
 *  - the capture kernel's own memory with nr_cpus=1: struct pages, page
 *    tables, slab, per-CPU areas, the page cache of the target: 48 MiB;
 * rounded up to 16 MiB. Every part grows with its input, so the estimate
 * never shrinks when a file grows.
 */
static const uint64_t kernel_expansion = 8;
static const uint64_t initrd_copies = 3;
static const uint64_t save_working_set = 32 * MIB;
static const uint64_t kernel_base = 48 * MIB;
static const uint64_t reservation_step = 16 * MIB;

static uint64_t kexec_sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t kexec_sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

void kd_kexec_reservation_parts(uint64_t kernel_size, uint64_t initrd_size,
				struct kd_kexec_reservation *ret)
{
	struct kd_kexec_reservation r = {
		.kernel = kexec_sat_mul(kernel_size, kernel_expansion),
		.initrd = kexec_sat_mul(initrd_size, initrd_copies),
		.save = save_working_set,
		.base = kernel_base,
	};
	uint64_t n = kexec_sat_add(kexec_sat_add(r.kernel, r.initrd), kexec_sat_add(r.save, r.base));
	if (n > UINT64_MAX - reservation_step)
		r.total = UINT64_MAX / reservation_step * reservation_step;
	else
		r.total = (n + reservation_step - 1) / reservation_step * reservation_step;
	*ret = r;
}

KD_EXPORT uint64_t kd_kexec_needed_reservation(uint64_t kernel_size,
					       uint64_t initrd_size)
{
	struct kd_kexec_reservation r;
	kd_kexec_reservation_parts(kernel_size, initrd_size, &r);
	return r.total;
}

/* ---------------------------------------------- a crashkernel= value */

// memparse() (lib/cmdline.c): a number in C's bases (0x.., 0..) and an
// optional K, M, G, T, P or E suffix (either case). false on no digits or
// an overflow.
static bool kexec_memparse(const char *p, const char **end, uint64_t *ret)
{
	if (!isdigit((unsigned char)*p))
		return false;
	char *e;
	errno = 0;
	unsigned long long v = strtoull(p, &e, 0);
	if (errno || e == p)
		return false;
	static const char units[] = "KMGTPE";
	const char *u = *e ? strchr(units, toupper((unsigned char)*e)) : NULL;
	unsigned int shift = u ? 10u * (unsigned int)(u - units + 1) : 0;
	if (u)
		e++;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*ret = (uint64_t)v << shift;
	*end = e;
	return true;
}

// The kernel's two forms (kernel/crash_core.c parse_crashkernel(),
// Documentation/admin-guide/kdump/kdump.rst): "SIZE[@OFFSET]" and
// "SIZE,high|low" (the simple form), and "START-[END]:SIZE[,...][@OFFSET]"
// where the first range holding the machine's memory, START <= ram < END
// (no END: no limit), gives the size; none: nothing reserved (0).
KD_EXPORT struct kd_error *kd_kexec_crashkernel_size(const char *value, uint64_t ram,
						     uint64_t *size)
{
	const char *p = value, *e;
	uint64_t v;
	if (!kexec_memparse(p, &e, &v))
		goto bad;
	if (*e != '-') {
		uint64_t offset;
		if (*e == '@') {
			if (!kexec_memparse(e + 1, &e, &offset))
				goto bad;
		} else if (!strcmp(e, ",high") || !strcmp(e, ",low")) {
			e += strlen(e);
		}
		if (*e)
			goto bad;
		*size = v;
		return NULL;
	}
	uint64_t found = 0;
	bool matched = false;
	for (;;) {
		uint64_t start = v, end = UINT64_MAX, sz;
		p = e + 1;	// past '-'
		if (*p != ':') {
			if (!kexec_memparse(p, &e, &end) || end <= start)
				goto bad;
			p = e;
		}
		if (*p != ':' || !kexec_memparse(p + 1, &e, &sz))
			goto bad;
		if (!matched && ram >= start && ram < end) {
			found = sz;
			matched = true;
		}
		if (*e == ',') {
			if (!kexec_memparse(e + 1, &e, &v) || *e != '-')
				goto bad;
			continue;
		}
		uint64_t offset;
		if (*e == '@' && !kexec_memparse(e + 1, &e, &offset))
			goto bad;
		if (*e)
			goto bad;
		break;
	}
	*size = found;
	return NULL;
bad:
	return kd_error_create(KD_ERROR_INVALID, "crashkernel=%s: not a size or a list of "
			       "START-[END]:SIZE ranges", value);
}

/* ------------------------------------------------------------ the errors */

// The errors of a signature the kernel could not accept: verify_pefile_
// signature() and friends (crypto/asymmetric_keys) give EKEYREJECTED,
// EBADMSG, ENODATA (no signature), ENOKEY (unknown key), ENOPKG (no
// hash/crypto support).
static bool kexec_signature_errno(int e)
{
	return e == EKEYREJECTED || e == EBADMSG || e == ENODATA ||
	       e == ENOKEY || e == ENOPKG;
}

// x86's boot protocol allows 2048 bytes of command line with its NUL
// (cmdline_size in the bzImage header is 2047), and bzImage64_load()
// (arch/x86/kernel/kexec-bzimage64.c) keeps MAX_ELFCOREHDR_STR_LEN (30)
// of them for the "elfcorehdr=0x...K" a crash load adds, for either slot:
// cmdline_len + 30 > 2047 is EINVAL.
#define CMDLINE_MAX 2047
#define ELFCOREHDR_STR_LEN 30

static unsigned long long kexec_mib_up(uint64_t bytes)
{
	return (unsigned long long)((bytes + MIB - 1) / MIB);
}

struct kd_error *kd_kexec_explain(const struct kd_kexec_failure *f,
					    const struct kd_kexec_state *st)
{
	int e = f->errnum;
	bool crash = f->slot == KD_KEXEC_CRASH;
	char what[1200];
	if (f->initrd)
		snprintf(what, sizeof(what), "%s (initramfs %s)", f->kernel, f->initrd);
	else
		snprintf(what, sizeof(what), "%s", f->kernel);
	uint64_t need = kd_kexec_needed_reservation(f->kernel_size, f->initrd_size);
	bool lockdown = st->lockdown[0] && strcmp(st->lockdown, "none");

	// SYSCALL_DEFINE5(kexec_file_load): !capable(CAP_SYS_BOOT) or
	// kexec_load_disabled give EPERM before anything is read.
	if (e == EPERM && !f->is_root)
		return kd_error_create(KD_ERROR_OS,
				       "%s: must be root to load a kernel (kexec needs CAP_SYS_BOOT)",
				       what);
	if (e == EPERM && st->load_disabled)
		return kd_error_create(KD_ERROR_OS,
				       "%s: kexec is disabled until reboot (kernel.kexec_load_disabled=1 cannot be undone): "
				       "reboot without setting it, then load", what);
	// kimage_validate_signature(): an unverifiable image is EPERM under
	// lockdown, or the verifier's own errno when signatures are enforced.
	if ((e == EPERM && lockdown) || kexec_signature_errno(e))
		return kd_error_create(KD_ERROR_OS,
				       "kernel lockdown/secure boot refused an unsigned kernel: %s: %s (lockdown: %s); "
				       "load a kernel signed with a key the running kernel trusts (the distribution's signed vmlinuz) "
				       "or turn Secure Boot off",
				       what, strerror(e), st->lockdown[0] ? st->lockdown : "unknown");
	if (e == EPERM)
		return kd_error_create(KD_ERROR_OS,
				       "%s: the kernel refused the load (%s): check kernel.kexec_load_limit_%s "
				       "and the security modules (SELinux, AppArmor, IMA)",
				       what, strerror(e), crash ? "panic" : "reboot");
	if (e == ENOSYS)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "%s: this kernel has no kexec_file_load (CONFIG_KEXEC_FILE)", what);
	// arch_kexec_kernel_image_probe(): no loader knows the image.
	if (e == ENOEXEC)
		return kd_error_create(KD_ERROR_FORMAT,
				       "%s: not a kernel image this kernel can load (on x86_64 a bzImage such as /boot/vmlinuz-*)",
				       f->kernel);
	if (e == EBUSY)
		return kd_error_create(KD_ERROR_OS,
				       "%s: another kexec load or unload is running; try again", what);
	if (e == ETXTBSY)
		return kd_error_create(KD_ERROR_OS,
				       "%s: a file is open for writing (still being written?); try again when it is done",
				       what);
	if (crash && st->crash_size == 0) {
		uint64_t sugg = need < 256 * MIB ? 256 * MIB : need;
		return kd_error_create(KD_ERROR_OS,
				       "%s: no crashkernel= reservation: add crashkernel=%lluM to the kernel command line "
				       "(kexdump setup --apply-bootloader does it) and reboot",
				       what, kexec_mib_up(sugg));
	}
	size_t cmdline_max = CMDLINE_MAX - ELFCOREHDR_STR_LEN - 1;
	if (e == EINVAL && f->cmdline_len > cmdline_max)
		return kd_error_create(KD_ERROR_INVALID,
				       "%s: the command line is too long (%zu bytes, at most %zu fit: "
				       "the kernel keeps room for an elfcorehdr=)",
				       what, f->cmdline_len, cmdline_max);
	// kexec_locate_mem_hole() gives EADDRNOTAVAIL when a segment does not
	// fit the reservation; control pages that do not fit give ENOMEM.
	if (crash && (e == EADDRNOTAVAIL || e == ENOMEM || e == EINVAL))
		return kd_error_create(KD_ERROR_OS,
				       "%s: the reservation (%llu MiB) is too small for kernel %.1f MiB + initramfs %.1f MiB; "
				       "need about %llu MiB (crashkernel=%lluM)",
				       what, (unsigned long long)(st->crash_size / MIB),
				       (double)f->kernel_size / (double)MIB,
				       (double)f->initrd_size / (double)MIB, kexec_mib_up(need), kexec_mib_up(need));
	return kd_error_os(e, "%s: kexec_file_load", what);
}

/* ---------------------------------------------------- loading and exec */

// Open a file the kernel will read with kernel_read_file(), which wants a
// regular, non-empty file (EINVAL otherwise, fs/kernel_read_file.c): say so
// before the system call does it without a name.
static struct kd_error *kexec_open_image(const char *path, const char *what, int *fd_ret,
				   uint64_t *size_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot open the %s", path, what);
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		int e = errno;
		close(fd);
		return kd_error_os(e, "%s: cannot stat the %s", path, what);
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size == 0) {
		close(fd);
		return kd_error_create(KD_ERROR_INVALID, "%s: the %s is %s", path, what,
				       S_ISREG(sb.st_mode) ? "empty" : "not a regular file");
	}
	*fd_ret = fd;
	*size_ret = (uint64_t)sb.st_size;
	return NULL;
}

KD_EXPORT struct kd_error *kd_kexec_load(enum kd_kexec_slot slot, const char *kernel,
					 const char *initrd, const char *cmdline)
{
	if (!kernel)
		return kd_error_create(KD_ERROR_INVALID, "no kernel to load");
	if (!cmdline)
		cmdline = "";
	int kfd = -1, ifd = -1;
	uint64_t ksize = 0, isize = 0;
	struct kd_error *err = kexec_open_image(kernel, "kernel", &kfd, &ksize);
	if (err)
		return err;
	if (initrd) {
		err = kexec_open_image(initrd, "initramfs", &ifd, &isize);
		if (err) {
			close(kfd);
			return err;
		}
	}
	unsigned long flags = 0;
	if (slot == KD_KEXEC_CRASH)
		flags |= KEXEC_FILE_ON_CRASH;
	if (!initrd)
		flags |= KEXEC_FILE_NO_INITRAMFS;
	// cmdline_len counts the NUL: the kernel checks that the last byte
	// it copies is one (kimage_file_prepare_segments()).
	size_t cmdline_len = strlen(cmdline);
	long r = syscall(SYS_kexec_file_load, kfd, ifd, (unsigned long)cmdline_len + 1,
			 cmdline, flags);
	int e = errno;
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	if (r == 0)
		return NULL;
	struct kd_kexec_state st;
	err = kd_kexec_state(NULL, &st);
	if (err) {
		kd_error_destroy(err);
		memset(&st, 0, sizeof(st));
		st.crash_size = 1;	// unknown: do not claim there is none
	}
	struct kd_kexec_failure f = {
		.errnum = e,
		.slot = slot,
		.is_root = geteuid() == 0,
		.kernel = kernel,
		.initrd = initrd,
		.kernel_size = ksize,
		.initrd_size = isize,
		.cmdline_len = cmdline_len,
	};
	return kd_kexec_explain(&f, &st);
}

static const char *kexec_slot_name(enum kd_kexec_slot slot)
{
	return slot == KD_KEXEC_CRASH ? "crash" : "reboot";
}

KD_EXPORT struct kd_error *kd_kexec_unload(enum kd_kexec_slot slot)
{
	unsigned long flags = KEXEC_FILE_UNLOAD;
	if (slot == KD_KEXEC_CRASH)
		flags |= KEXEC_FILE_ON_CRASH;
	// With KEXEC_FILE_UNLOAD the kernel only swaps the slot's image for
	// none; the descriptors and command line are not looked at.
	long r = syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, flags);
	if (r < 0 && errno == ENOSYS)
		// kexec_load(2) with no segments unloads too (kernel/kexec.c).
		r = syscall(SYS_kexec_load, 0UL, 0UL, NULL,
			    slot == KD_KEXEC_CRASH ? (unsigned long)KEXEC_ON_CRASH : 0UL);
	if (r == 0)
		return NULL;
	int e = errno;
	if (e == EPERM && geteuid() != 0)
		return kd_error_create(KD_ERROR_OS,
				       "unloading the %s kernel: must be root (kexec needs CAP_SYS_BOOT)",
				       kexec_slot_name(slot));
	if (e == EPERM && kexec_read_flag("", "/proc/sys/kernel/kexec_load_disabled"))
		return kd_error_create(KD_ERROR_OS,
				       "unloading the %s kernel: kexec is disabled until reboot (kernel.kexec_load_disabled=1)",
				       kexec_slot_name(slot));
	if (e == ENOSYS)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "unloading the %s kernel: this kernel has no kexec (CONFIG_KEXEC_FILE, CONFIG_KEXEC)",
				       kexec_slot_name(slot));
	return kd_error_os(e, "unloading the %s kernel", kexec_slot_name(slot));
}

KD_EXPORT struct kd_error *kd_kexec_exec(void)
{
	if (!kexec_read_flag("", "/sys/kernel/kexec_loaded"))
		return kd_error_create(KD_ERROR_NOTFOUND,
				       "no kernel is loaded for reboot (kexdump load --reboot loads one)");
	// Like kexec -e: file systems are synced but services are not
	// stopped; the kernel shuts devices down (kernel_kexec() in
	// kernel/kexec_core.c) and jumps.
	sync();
	long r = syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
			 LINUX_REBOOT_CMD_KEXEC, NULL);
	int e = errno;
	if (r < 0 && e == EPERM)
		return kd_error_create(KD_ERROR_OS,
				       "rebooting into the loaded kernel: must be root (reboot needs CAP_SYS_BOOT)");
	if (r < 0 && e == EINVAL)
		return kd_error_create(KD_ERROR_NOTFOUND,
				       "no kernel is loaded for reboot (kexdump load --reboot loads one)");
	return kd_error_os(r < 0 ? e : EIO, "rebooting into the loaded kernel");
}

/* ------------------------------------------------------------ records */

static void kexec_record_path(const char *dir, enum kd_kexec_slot slot, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.loaded", dir ? dir : KD_KEXEC_RECORD_DIR,
		 kexec_slot_name(slot));
}

// The record's folder: ours, 0700, not a symbolic link someone else made.
static struct kd_error *kexec_record_dir(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return kd_error_os(errno, "%s: cannot create the folder", dir);
	struct stat sb;
	if (lstat(dir, &sb) < 0)
		return kd_error_os(errno, "%s: cannot stat the folder", dir);
	if (!S_ISDIR(sb.st_mode))
		return kd_error_create(KD_ERROR_INVALID, "%s: not a folder", dir);
	if (sb.st_uid != geteuid())
		return kd_error_create(KD_ERROR_INVALID,
				       "%s: owned by uid %u, not by us", dir, (unsigned)sb.st_uid);
	if ((sb.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0)
		return kd_error_os(errno, "%s: cannot make the folder private", dir);
	return NULL;
}

static bool kexec_one_line(const char *s)
{
	return !strchr(s, '\n');
}

KD_EXPORT struct kd_error *kd_kexec_record_write(const char *dir, enum kd_kexec_slot slot,
						 const struct kd_kexec_record *rec)
{
	if (!dir)
		dir = KD_KEXEC_RECORD_DIR;
	char path[4096], tmp[4096];
	kexec_record_path(dir, slot, path, sizeof(path));
	if (!kexec_one_line(rec->kernel) || !kexec_one_line(rec->initrd) || !kexec_one_line(rec->cmdline))
		return kd_error_create(KD_ERROR_INVALID, "%s: a value holds a line break", path);
	struct kd_error *err = kexec_record_dir(dir);
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s/.%s.loaded.XXXXXX", dir, kexec_slot_name(slot));
	int fd = mkostemp(tmp, O_CLOEXEC);	// mode 0600
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot create a temporary file", tmp);
	int n = dprintf(fd, "kernel=%s\ninitrd=%s\ncmdline=%s\nloaded_at=%" PRId64 "\n",
			rec->kernel, rec->initrd, rec->cmdline, rec->loaded_at);
	int e = errno;
	if (close(fd) < 0 && n >= 0) {
		n = -1;
		e = errno;
	}
	if (n < 0) {
		unlink(tmp);
		return kd_error_os(e, "%s: cannot write", tmp);
	}
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		return kd_error_os(e, "%s: cannot rename %s to it", path, tmp);
	}
	return NULL;
}

static bool kexec_set_field(char *field, size_t size, const char *value)
{
	size_t n = strlen(value);
	if (n >= size)
		return false;
	memcpy(field, value, n + 1);
	return true;
}

KD_EXPORT struct kd_error *kd_kexec_record_read(const char *dir, enum kd_kexec_slot slot,
						struct kd_kexec_record *rec)
{
	char path[4096];
	kexec_record_path(dir, slot, path, sizeof(path));
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return kd_error_create(KD_ERROR_NOTFOUND, "%s: nothing recorded", path);
		return kd_error_os(errno, "%s: cannot open", path);
	}
	struct kd_kexec_record r = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0;
	struct kd_error *err = NULL;
	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		char *eq = strchr(line, '=');
		if (!eq) {
			err = kd_error_create(KD_ERROR_CORRUPT, "%s:%u: not key=value", path, lineno);
			break;
		}
		*eq = '\0';
		const char *v = eq + 1;
		bool ok = true;
		if (!strcmp(line, "kernel"))
			ok = kexec_set_field(r.kernel, sizeof(r.kernel), v);
		else if (!strcmp(line, "initrd"))
			ok = kexec_set_field(r.initrd, sizeof(r.initrd), v);
		else if (!strcmp(line, "cmdline"))
			ok = kexec_set_field(r.cmdline, sizeof(r.cmdline), v);
		else if (!strcmp(line, "loaded_at"))
			r.loaded_at = strtoll(v, NULL, 10);
		// Other keys: written by a newer kexdump; ignored.
		if (!ok)
			err = kd_error_create(KD_ERROR_CORRUPT, "%s:%u: %s is too long",
					      path, lineno, line);
	}
	free(line);
	fclose(f);
	if (err)
		return err;
	if (!r.kernel[0])
		return kd_error_create(KD_ERROR_CORRUPT, "%s: no kernel= line", path);
	*rec = r;
	return NULL;
}

KD_EXPORT struct kd_error *kd_kexec_record_remove(const char *dir, enum kd_kexec_slot slot)
{
	char path[4096];
	kexec_record_path(dir, slot, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		return kd_error_os(errno, "%s: cannot remove", path);
	return NULL;
}

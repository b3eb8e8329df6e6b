// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump test: without --yes-crash-now a rehearsal that checks, on the
// running system, what a crash now would need -- the capture initramfs,
// the reservation, the loaded capture kernel, each target of the chain,
// room for the dump estimated from the live kernel, the target's speed --
// and says what would go wrong (exit 0 only when every check passes).
// With --yes-crash-now: setup's checks, then a real panic (sysrq-c).
#include "cli.h"
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MIB ((uint64_t)1024 * 1024)
// The bounded test write: 64 MiB or 2 s, whichever comes first, and at
// most half of the room left.
#define TEST_WRITE_BYTES (64 * MIB)
#define TEST_WRITE_MS 2000u
#define TEST_MAX_CHECKS (KD_CONFIG_MAX_TARGETS + 8)

struct test_check {
	const char *name;	// "initramfs", "reservation", ... "target"
	bool ok;
	char detail[1200];
};

// Everything the rehearsal found, for both outputs.
struct test_report {
	const char *config;
	char release[65];
	struct test_check checks[TEST_MAX_CHECKS];
	size_t n;
	char initrd[PATH_MAX];
	bool have_initramfs;
	struct kd_rehearse_initramfs ir;
	struct kd_kexec_state st;
	struct kd_kexec_reservation need;
	bool have_estimate;
	struct kd_rehearse_estimate est;
	unsigned int dump_level;
	int format;
	bool have_write;
	struct kd_rehearse_write w;
	uint64_t free_bytes;	// on the local target, when mounted here
	bool have_free;
	char where[KD_TARGET_PATH_MAX];	// the local dump folder here
	double dump_seconds;
};

static struct test_check *test_add(struct test_report *r, const char *name, bool ok,
				   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct test_check *test_add(struct test_report *r, const char *name, bool ok,
				   const char *fmt, ...)
{
	if (r->n == TEST_MAX_CHECKS)
		return &r->checks[r->n - 1];
	struct test_check *c = &r->checks[r->n++];
	c->name = name;
	c->ok = ok;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	return c;
}

static const char *test_size(uint64_t n, char *buf, size_t len)
{
	cli_human_size(n, buf, len);
	return buf;
}

static uint64_t test_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

// ------------------------------------------------------------ the checks

// Each link of the chain, as setup checks it (reachable, writable: a
// network link is mounted or logged in and a probe file written).
static bool test_targets(struct test_report *r, const struct setup_opts *o, struct kd_target *t,
			 struct kd_target_chain_state *chain_ret)
{
	struct kd_target_chain_state chain = { 0 };
	uint64_t free_bytes = 0;
	struct kd_error *err = setup_check_target(o, false, t, &free_bytes, &chain);
	*chain_ret = chain;
	if (err && chain.n == 0) {
		test_add(r, "target", false, "%s", kd_error_message(err));
		kd_error_destroy(err);
		return false;
	}
	kd_error_destroy(err);	// also in chain.links[]
	const struct kd_config_target *local = kd_config_local(&t->config);
	for (size_t i = 0; i < chain.n; i++) {
		const struct kd_target_check *c = &chain.links[i];
		bool is_local = local && (size_t)(local - t->config.chain) == i;
		if (!c->ok) {
			test_add(r, "target", false, "%zu. %s: %s", i + 1, c->name, c->error);
			continue;
		}
		if (is_local && t->config.target_kind == KD_TARGET_FS && t->local_path[0]) {
			char b[32];
			test_add(r, "target", true, "%zu. %s (/dev/%s, %s): %s reachable and writable, %s free",
				 i + 1, c->name, t->dev.name, t->config.fstype, t->local_path,
				 test_size(free_bytes, b, sizeof(b)));
			snprintf(r->where, sizeof(r->where), "%s", t->local_path);
			r->free_bytes = free_bytes;
			r->have_free = true;
		} else if (is_local && t->config.target_kind == KD_TARGET_RAW) {
			char b[32];
			test_add(r, "target", true, "%zu. %s (/dev/%s): stamped, %s", i + 1, c->name,
				 t->dev.name, test_size(t->dev.size, b, sizeof(b)));
			r->free_bytes = t->dev.size > KD_RAWDEV_STAMP_SIZE ?
					t->dev.size - KD_RAWDEV_STAMP_SIZE : 0;
			r->have_free = true;
		} else if (is_local) {
			test_add(r, "target", true, "%zu. %s (/dev/%s): found, not mounted here "
				 "(the capture mounts it; its room is not checked)", i + 1, c->name,
				 t->dev.name);
		} else {
			test_add(r, "target", true, "%zu. %s: reachable, probe file written and removed",
				 i + 1, c->name);
		}
	}
	return true;
}

// The capture initramfs: the one the crash slot's record names (setup's
// path for this kernel when there is none), against what setup would
// build now.
static void test_initramfs(struct test_report *r, const struct kd_target *t, bool target_ok,
			   const struct kd_target_chain_state *chain, const struct kd_kexec_record *rec)
{
	snprintf(r->initrd, sizeof(r->initrd), "%s/initramfs-%s.img", SETUP_INITRAMFS_DIR,
		 r->release);
	if (rec && rec->initrd[0])
		snprintf(r->initrd, sizeof(r->initrd), "%s", rec->initrd);
	if (access(r->initrd, F_OK)) {
		test_add(r, "initramfs", false, "%s: %s: run kexdump setup", r->initrd, strerror(errno));
		return;
	}
	char moddir[256], exe[PATH_MAX];
	snprintf(moddir, sizeof(moddir), "/lib/modules/%s", r->release);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = '\0';
	struct kd_modset *set = NULL;
	char *conf = NULL;
	size_t conflen = 0;
	struct kd_error *err = NULL;
	if (target_ok) {
		err = kd_modset_open(moddir, &set);
		if (!err)
			err = setup_add_modules(set, &t->config, chain);
		if (!err)
			err = setup_network_modules(set, &t->config);
		if (!err)
			err = kd_initramfs_config_text(&t->config, &conf, &conflen);
	}
	if (!err)
		err = kd_rehearse_initramfs(r->initrd, set, r->release, n > 0 ? exe : NULL, conf,
					    conflen, &r->ir);
	kd_modset_close(set);
	free(conf);
	if (err) {
		test_add(r, "initramfs", false, "%s", kd_error_message(err));
		kd_error_destroy(err);
		return;
	}
	r->have_initramfs = true;
	const struct kd_rehearse_initramfs *ir = &r->ir;
	char b[32], what[1024] = "";
	size_t len = 0;
#define WHAT(...) len += (size_t)snprintf(what + len, len < sizeof(what) ? sizeof(what) - len : 0, __VA_ARGS__)
	if (ir->nmissing)
		WHAT("%slacks %zu module%s the target's stack or network needs: %s", len ? "; " : "",
		     ir->nmissing, ir->nmissing == 1 ? "" : "s", ir->missing);
	if (ir->nforeign)
		WHAT("%s%zu module%s not built for %s: %s", len ? "; " : "", ir->nforeign,
		     ir->nforeign == 1 ? " is" : "s are", r->release, ir->foreign);
	if (!ir->has_init || !ir->init_current)
		WHAT("%s%s", len ? "; " : "", ir->has_init ? "stale: its /init is another kexdump than this one" :
		     "no /init");
	if (target_ok && !ir->config_current)
		WHAT("%s%s", len ? "; " : "", ir->has_config ?
		     "stale: its config is not what the config and the target give now" :
		     "no etc/kexdump.conf");
	if (!target_ok)
		WHAT("%smodules and config not compared (the target failed)", len ? "; " : "");
#undef WHAT
	if (len)
		test_add(r, "initramfs", false, "%s: %s: run kexdump setup", r->initrd, what);
	else
		test_add(r, "initramfs", true, "%s, %s, %zu modules, for %s, current (config, "
			 "kexdump, the target's and network's modules)", r->initrd,
			 test_size(ir->size, b, sizeof(b)), ir->nmodules, r->release);
}

// The reservation against kernel + initramfs + the capture's peak memory.
static void test_reservation(struct test_report *r)
{
	char kernel[256];
	snprintf(kernel, sizeof(kernel), "/boot/vmlinuz-%s", r->release);
	uint64_t ksize = test_file_size(kernel);
	uint64_t isize = r->have_initramfs ? r->ir.size : test_file_size(r->initrd);
	kd_kexec_reservation_parts(ksize, isize, &r->need);
	const struct kd_kexec_reservation *p = &r->need;
	char b[5][32], basis[400];
	snprintf(basis, sizeof(basis),
		 "kernel %s x8 = %s, initramfs %s x3 = %s, save %s, capture kernel %s",
		 test_size(ksize, b[0], sizeof(b[0])), test_size(p->kernel, b[1], sizeof(b[1])),
		 test_size(isize, b[2], sizeof(b[2])), test_size(p->initrd, b[3], sizeof(b[3])),
		 test_size(p->save, b[4], sizeof(b[4])), "48.0 MiB");
	if (!ksize)
		test_add(r, "reservation", false, "%s: cannot read it (the capture kernel is this kernel)",
			 kernel);
	else if (!r->st.crash_size)
		test_add(r, "reservation", false, "none: add crashkernel=%" PRIu64 "M to the kernel "
			 "command line and reboot (needed %s: %s)",
			 (p->total + 16 * MIB - 1) / (16 * MIB) * 16, test_size(p->total, b[0], sizeof(b[0])),
			 basis);
	else if (r->st.crash_size < p->total)
		test_add(r, "reservation", false, "%s reserved, too small: %s needed (%s): use "
			 "crashkernel=%" PRIu64 "M and reboot",
			 test_size(r->st.crash_size, b[0], sizeof(b[0])),
			 test_size(p->total, b[1], sizeof(b[1])), basis,
			 (p->total + 16 * MIB - 1) / (16 * MIB) * 16);
	else
		test_add(r, "reservation", true, "%s reserved, %s needed (%s)",
			 test_size(r->st.crash_size, b[0], sizeof(b[0])),
			 test_size(p->total, b[1], sizeof(b[1])), basis);
}

// The crash slot: loaded, with this kernel and this initramfs, not older
// than the file.
static void test_loaded(struct test_report *r, const struct kd_kexec_record *rec)
{
	char kernel[256];
	snprintf(kernel, sizeof(kernel), "/boot/vmlinuz-%s", r->release);
	struct stat st;
	if (!r->st.crash_loaded)
		test_add(r, "loaded", false, "no capture kernel is loaded "
			 "(/sys/kernel/kexec_crash_loaded is 0): run kexdump setup");
	else if (!rec)
		test_add(r, "loaded", true, "a capture kernel is loaded, not by kexdump (no record "
			 "in %s): its files are not known", KD_KEXEC_RECORD_DIR);
	else if (strcmp(rec->kernel, kernel))
		test_add(r, "loaded", false, "the loaded capture kernel is %s, not the running %s: "
			 "run kexdump setup", cli_sanitize(rec->kernel), kernel);
	else if (!stat(r->initrd, &st) && st.st_mtime > rec->loaded_at)
		test_add(r, "loaded", false, "%s changed after it was loaded: the loaded copy is "
			 "older: run kexdump setup", r->initrd);
	else
		test_add(r, "loaded", true, "%s with %s", rec->kernel,
			 rec->initrd[0] ? cli_sanitize(rec->initrd) : "no initramfs");
}

// The dump a crash now would write: the live kernel's page classes
// through /proc/kcore at the config's level, a sample compressed with
// its codec.
static void test_estimate(struct test_report *r, const struct kd_config *cfg)
{
	struct kd_dump *dump = NULL;
	struct kd_kernel *kernel = NULL;
	struct kd_error *err = kd_dump_open("/proc/kcore", &dump);
	struct kd_kernel_options ko = { 0 };
	if (!err)
		err = kd_kernel_open(dump, &ko, &kernel);
	struct kd_rehearse_options ro = {
		.dump_level = cfg->dump_level, .codec = cfg->codec, .level = cfg->level,
		.format = cfg->format,
		// Hidden from non-root only; the rehearsal runs as root.
		.skip_start = r->st.crash_start,
		.skip_size = r->st.crash_start ? r->st.crash_size : 0,
	};
	r->dump_level = cfg->dump_level;
	r->format = cfg->format;
	if (!err)
		err = kd_rehearse_estimate(kernel, &ro, &r->est);
	kd_kernel_close(kernel);
	kd_dump_close(dump);
	if (err) {
		test_add(r, "estimate", false, "the live kernel through /proc/kcore: %s",
			 kd_error_message(err));
		kd_error_destroy(err);
		return;
	}
	r->have_estimate = true;
	const struct kd_rehearse_estimate *e = &r->est;
	char b[4][32];
	double ratio = e->sample_in ? (double)e->sample_out / (double)e->sample_in : 1;
	test_add(r, "estimate", true, "-d %u keeps %" PRIu64 " of %" PRIu64 " pages (%s) now; "
		 "%s on a sample of %" PRIu64 " pages: %s -> %s (%.2f); dump about %s",
		 cfg->dump_level, e->kept, e->present,
		 test_size(e->kept * e->page_size, b[0], sizeof(b[0])),
		 cfg->format == KD_SAVE_ELF ? "ELF (uncompressed)" :
		 kd_save_codec_name((enum kd_save_codec)e->codec), e->sample_pages,
		 test_size(e->sample_in, b[1], sizeof(b[1])), test_size(e->sample_out, b[2], sizeof(b[2])),
		 ratio, test_size(e->size, b[3], sizeof(b[3])));
}

// Room on the local target for the estimated dump.
static void test_room(struct test_report *r, const struct kd_config *cfg)
{
	char b[2][32];
	if (!r->have_estimate)
		test_add(r, "room", false, "not checked: no estimate of the dump");
	else if (!r->have_free)
		test_add(r, "room", true, "not checked: %s",
			 kd_config_local(cfg) ? "the local target is not mounted here" :
			 "network targets only (their room is the server's)");
	else if (r->free_bytes < r->est.size)
		test_add(r, "room", false, "%s free on %s, the dump needs about %s: free some room "
			 "or choose another target", test_size(r->free_bytes, b[0], sizeof(b[0])),
			 cfg->target_kind == KD_TARGET_RAW ? "the raw device" : r->where,
			 test_size(r->est.size, b[1], sizeof(b[1])));
	else
		test_add(r, "room", true, "%s free, the dump needs about %s",
			 test_size(r->free_bytes, b[0], sizeof(b[0])),
			 test_size(r->est.size, b[1], sizeof(b[1])));
}

// The target's speed: a bounded test write in the dump folder.
static void test_write(struct test_report *r)
{
	char b[3][32];
	if (!r->where[0]) {
		test_add(r, "write", true, "not measured: no local target mounted here");
		return;
	}
	uint64_t max = TEST_WRITE_BYTES;
	if (r->free_bytes / 2 < max)
		max = r->free_bytes / 2 / MIB * MIB;
	if (max < MIB) {
		test_add(r, "write", false, "%s: no room for a test write (%s free)", r->where,
			 test_size(r->free_bytes, b[0], sizeof(b[0])));
		return;
	}
	struct kd_error *err = kd_rehearse_write_speed(r->where, max, TEST_WRITE_MS, &r->w);
	if (err) {
		test_add(r, "write", false, "%s", kd_error_message(err));
		kd_error_destroy(err);
		return;
	}
	r->have_write = true;
	double rate = r->w.seconds > 0 ? (double)r->w.bytes / r->w.seconds : 0;
	if (r->have_estimate)
		r->dump_seconds = kd_rehearse_dump_seconds(&r->est, &r->w);
	test_add(r, "write", true, "%s in %.2f s (%sfsync'ed, removed) = %s/s; time to dump about %.0f s",
		 test_size(r->w.bytes, b[0], sizeof(b[0])), r->w.seconds,
		 r->w.direct ? "O_DIRECT, " : "",
		 test_size((uint64_t)rate, b[1], sizeof(b[1])), r->dump_seconds);
}

// ------------------------------------------------------------- printing

static size_t test_failed(const struct test_report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += !r->checks[i].ok;
	return n;
}

static void test_print_text(const struct test_report *r)
{
	printf("kexdump test: rehearsal on %s, config %s (nothing is crashed)\n", r->release,
	       r->config);
	for (size_t i = 0; i < r->n; i++)
		printf("  %-7s %-12s %s\n", r->checks[i].ok ? "ok" : "FAILED", r->checks[i].name,
		       cli_sanitize(r->checks[i].detail));
	size_t nf = test_failed(r);
	char b[32];
	if (!nf && r->have_write)
		printf("kexdump test: all %zu checks pass: a crash now would write about %s to %s "
		       "in about %.0f s\n", r->n, test_size(r->est.size, b, sizeof(b)), r->where,
		       r->dump_seconds);
	else if (!nf)
		printf("kexdump test: all %zu checks pass: a crash now would write about %s\n", r->n,
		       r->have_estimate ? test_size(r->est.size, b, sizeof(b)) : "?");
	else
		printf("kexdump test: %zu of %zu checks FAILED: a crash now would not give a "
		       "complete dump (see the FAILED lines)\n", nf, r->n);
}

static void test_print_json(const struct test_report *r)
{
	struct json j = { .out = stdout };
	json_begin_object(&j, NULL);
	json_bool(&j, "ok", test_failed(r) == 0);
	json_string(&j, "release", r->release);
	json_string(&j, "config", r->config);
	json_begin_array(&j, "checks");
	for (size_t i = 0; i < r->n; i++) {
		json_begin_object(&j, NULL);
		json_string(&j, "name", r->checks[i].name);
		json_bool(&j, "ok", r->checks[i].ok);
		json_string(&j, "detail", r->checks[i].detail);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_begin_object(&j, "initramfs");
	json_string(&j, "path", r->initrd);
	if (r->have_initramfs) {
		json_u64(&j, "size", r->ir.size);
		json_u64(&j, "modules", r->ir.nmodules);
		json_string(&j, "missing", r->ir.missing);
		json_string(&j, "foreign", r->ir.foreign);
		json_bool(&j, "init_current", r->ir.init_current);
		json_bool(&j, "config_current", r->ir.config_current);
	}
	json_end_object(&j);
	json_begin_object(&j, "reservation");
	json_u64(&j, "size", r->st.crash_size);
	json_u64(&j, "needed", r->need.total);
	json_u64(&j, "kernel", r->need.kernel);
	json_u64(&j, "initramfs", r->need.initrd);
	json_u64(&j, "save", r->need.save);
	json_u64(&j, "capture_kernel", r->need.base);
	json_end_object(&j);
	json_bool(&j, "loaded", r->st.crash_loaded);
	if (r->have_estimate) {
		const struct kd_rehearse_estimate *e = &r->est;
		json_begin_object(&j, "estimate");
		json_u64(&j, "dump_level", r->dump_level);
		json_string(&j, "format", kd_save_format_name((enum kd_save_format)r->format));
		json_string(&j, "codec", kd_save_codec_name((enum kd_save_codec)e->codec));
		json_u64(&j, "page_size", e->page_size);
		json_u64(&j, "present_pages", e->present);
		json_u64(&j, "skipped_pages", e->skipped);
		json_begin_object(&j, "excluded");
		for (int i = 0; i < KD_PAGE_NCLASSES; i++)
			json_u64(&j, kd_page_class_name((enum kd_page_class)i), e->excluded[i]);
		json_end_object(&j);
		json_u64(&j, "kept_pages", e->kept);
		json_u64(&j, "unreadable_pages", e->unreadable);
		json_u64(&j, "sample_pages", e->sample_pages);
		json_u64(&j, "sample_bytes_in", e->sample_in);
		json_u64(&j, "sample_bytes_out", e->sample_out);
		json_f64(&j, "compress_seconds", e->compress_seconds);
		json_u64(&j, "data_bytes", e->data_bytes);
		json_u64(&j, "size", e->size);
		json_end_object(&j);
	} else {
		json_null(&j, "estimate");
	}
	if (r->have_free)
		json_u64(&j, "free_bytes", r->free_bytes);
	else
		json_null(&j, "free_bytes");
	if (r->have_write) {
		json_begin_object(&j, "write");
		json_string(&j, "folder", r->where);
		json_u64(&j, "bytes", r->w.bytes);
		json_f64(&j, "seconds", r->w.seconds);
		json_bool(&j, "direct", r->w.direct);
		json_end_object(&j);
		json_f64(&j, "dump_seconds", r->dump_seconds);
	} else {
		json_null(&j, "write");
		json_null(&j, "dump_seconds");
	}
	json_end_object(&j);
	fputc('\n', stdout);
}

// ------------------------------------------------------------ rehearsal

static int test_rehearse(const char *config, bool json)
{
	struct test_report *r = calloc(1, sizeof(*r));
	struct kd_target *t = calloc(1, sizeof(*t));
	if (!r || !t) {
		free(r);
		free(t);
		return cli_fail(kd_error_create(KD_ERROR_NOMEM, "out of memory"));
	}
	r->config = config ? config : KD_CONFIG_PATH;
	struct utsname u;
	uname(&u);
	snprintf(r->release, sizeof(r->release), "%s", u.release);
	struct kd_config cfg;
	struct kd_error *err = kd_config_load(r->config, !config, &cfg);
	if (!err)
		err = kd_kexec_state(NULL, &r->st);
	if (err) {
		free(r);
		free(t);
		return cli_fail(err);
	}
	struct kd_kexec_record rec;
	err = kd_kexec_record_read(NULL, KD_KEXEC_CRASH, &rec);
	bool have_rec = !err;
	kd_error_destroy(err);

	struct setup_opts o = { .config = config, .quiet = true };
	struct kd_target_chain_state chain = { 0 };
	bool target_ok = test_targets(r, &o, t, &chain);
	test_initramfs(r, t, target_ok, &chain, have_rec ? &rec : NULL);
	test_reservation(r);
	test_loaded(r, have_rec ? &rec : NULL);
	test_estimate(r, &cfg);
	test_room(r, &cfg);
	test_write(r);

	if (json)
		test_print_json(r);
	else
		test_print_text(r);
	int rc = test_failed(r) ? EXIT_BAD_INPUT : 0;
	free(r);
	free(t);
	if (fflush(stdout))
		return EXIT_BAD_INPUT;
	return rc;
}

// ------------------------------------------------------------ the crash

static int test_crash(const char *config)
{
	struct setup_opts o = { .config = config };
	struct kd_target t;
	struct kd_kexec_state st;
	struct kd_target_chain_state chain;
	struct kd_error *err = setup_load_and_check(&o, false, &t, NULL, &st, &chain);
	if (err)
		return cli_fail(err);
	if (!st.crash_loaded) {
		return cli_error("not armed: no capture kernel is loaded "
				 "(/sys/kernel/kexec_crash_loaded is 0): run kexdump setup first");
	}
	struct kd_kexec_record rec;
	err = kd_kexec_record_read(NULL, KD_KEXEC_CRASH, &rec);
	printf("kexdump test: the kernel panics now (sysrq-c).\n");
	if (!err) {
		printf("  capture kernel %s with %s boots,\n", rec.kernel,
		       rec.initrd[0] ? rec.initrd : "no initramfs");
	} else {
		kd_error_destroy(err);
		printf("  the loaded capture kernel boots (not loaded by kexdump: no record),\n");
	}
	printf("  writes the dump to %s on %s, then %s.\n", t.config.path, t.config.target,
	       kd_action_name(t.config.final_action));
	fflush(stdout);
	sync();
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(kd_error_os(errno, "/proc/sysrq-trigger"));
	if (write(fd, "c", 1) != 1) {
		int e = errno;
		close(fd);
		return cli_fail(kd_error_os(e, "writing c to /proc/sysrq-trigger"));
	}
	close(fd);
	sleep(5);
	return cli_error("still running 5 s after sysrq-c: the kernel did not panic");
}

int cmd_test(int argc, char **argv)
{
	static const char usage[] =
		"kexdump test [--json] [--config FILE] (a rehearsal), or "
		"kexdump test --yes-crash-now [--config FILE] (a real panic)";
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "yes-crash-now", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *config = NULL;
	bool yes = false, json = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'y':
			yes = true;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (optind != argc || (yes && json))
		return cli_usage("%s", usage);
	if (geteuid() != 0) {
		return cli_error(yes ? "test: needs root: run it with sudo" :
				 "test: needs root (it reads /proc/kcore, checks the targets and "
				 "writes a test file to the dump folder): run it with sudo");
	}
	return yes ? test_crash(config) : test_rehearse(config, json);
}

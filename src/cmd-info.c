// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump info: what a dump holds, for a human or (--json) a script.
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct info {
	const char *release, *build_id;
	uint64_t page_size, crash_time, kerneloffset;
	bool has_page_size, has_crash_time, has_kerneloffset;
	long panic_cpu;		/* -1: unknown */
	uint64_t total;
	char panic_msg[256];
	char *symbols_error;	/* why symbols failed to load, or NULL */
};

static const char *info_vi_str(const struct kd_vmcoreinfo *vi, const char *key)
{
	const char *s;
	struct kd_error *err = kd_vmcoreinfo_string(vi, key, &s);
	if (err) {
		kd_error_destroy(err);
		return NULL;
	}
	return s;
}

static bool info_vi_u64(const struct kd_vmcoreinfo *vi, const char *key, int base,
		   uint64_t *ret)
{
	struct kd_error *err = kd_vmcoreinfo_u64(vi, key, base, ret);
	kd_error_destroy(err);
	return !err;
}

// crash_kexec() and panic() store the panicking CPU in panic_cpu
// (kernel/panic.c) before the capture kernel starts.
static long info_read_panic_cpu(struct kd_kernel *kernel, size_t ncpus)
{
	uint64_t addr;
	uint32_t v;
	struct kd_error *err = kd_kernel_symbol(kernel, "panic_cpu", &addr);
	if (!err)
		err = kd_kernel_read_u32(kernel, addr, &v);
	if (err) {
		kd_error_destroy(err);
		return -1;
	}
	return v < ncpus ? (long)v : -1;
}

static void info_gather(struct kd_dump *dump, struct kd_kernel *kernel,
		   struct info *in)
{
	const struct kd_vmcoreinfo *vi = kd_kernel_vmcoreinfo(kernel);
	// A damaged symbol table must not hide the rest: report it, go on.
	struct kd_error *err = kd_kernel_load_symbols(kernel);
	if (err) {
		in->symbols_error = strdup(kd_error_message(err));
		kd_error_destroy(err);
	}
	in->release = info_vi_str(vi, "OSRELEASE");
	in->build_id = info_vi_str(vi, "BUILD-ID");
	in->has_page_size = info_vi_u64(vi, "PAGESIZE", 10, &in->page_size);
	in->has_crash_time = info_vi_u64(vi, "CRASHTIME", 10, &in->crash_time);
	in->has_kerneloffset = info_vi_u64(vi, "KERNELOFFSET", 16, &in->kerneloffset);
	in->panic_cpu = info_read_panic_cpu(kernel, kd_dump_num_cpus(dump));
	for (size_t i = 0; i < kd_dump_num_ranges(dump); i++)
		in->total += kd_dump_range(dump, i)->size;
	// The panic line is a convenience: a damaged log must not fail info.
	kd_error_destroy(kd_printk_find_panic(kernel, in->panic_msg, sizeof(in->panic_msg)));
}

// The strings come from the dump (VMCOREINFO, the log, the symbol table)
// or name it: written through cli_sanitize().
static void info_print_text(struct kd_dump *dump, struct kd_kernel *kernel,
		       const struct info *in)
{
	char buf[64];
	printf("dump:          %s (%s)\n", cli_sanitize(kd_dump_path(dump)),
	       kd_dump_format_name(dump));
	if (kd_dump_incomplete(dump))
		printf("incomplete:    yes (pages the writer did not reach are missing)\n");
	printf("kernel:        %s\n", in->release ? cli_sanitize(in->release) : "unknown");
	printf("build id:      %s\n", in->build_id ? cli_sanitize(in->build_id) : "unknown");
	printf("architecture:  %s\n", kd_kernel_arch_name(kernel));
	if (in->has_page_size)
		printf("page size:     %" PRIu64 "\n", in->page_size);
	printf("cpus:          %zu", kd_dump_num_cpus(dump));
	if (in->panic_cpu >= 0) {
		struct kd_cpu_state st;
		struct kd_error *err = kd_dump_cpu_state(dump, (size_t)in->panic_cpu, &st);
		printf(" (panic on cpu %ld", in->panic_cpu);
		if (!err)
			printf(", pid %u", st.pid);
		kd_error_destroy(err);
		printf(")");
	}
	printf("\n");
	if (in->has_crash_time) {
		cli_format_time((int64_t)in->crash_time, buf, sizeof(buf));
		printf("crash time:    %s\n", buf);
	}
	if (in->panic_msg[0])
		printf("panic:         %s\n", cli_sanitize(in->panic_msg));
	if (in->has_kerneloffset)
		printf("kaslr offset:  %#" PRIx64 "\n", in->kerneloffset);
	printf("paging:        %u-level\n", kd_kernel_paging_levels(kernel));
	printf("direct map:    %#" PRIx64 "\n", kd_kernel_direct_map_base(kernel));
	if (in->symbols_error)
		printf("symbols:       none (%s)\n", cli_sanitize(in->symbols_error));
	else
		printf("symbols:       %s (%zu)\n", kd_kernel_symbol_source(kernel),
		       kd_kernel_num_symbols(kernel));
	cli_human_size(in->total, buf, sizeof(buf));
	printf("memory:        %s in %zu ranges\n", buf, kd_dump_num_ranges(dump));
	for (size_t i = 0; i < kd_dump_num_ranges(dump); i++) {
		const struct kd_phys_range *r = kd_dump_range(dump, i);
		cli_human_size(r->size, buf, sizeof(buf));
		printf("  %#018" PRIx64 "-%#018" PRIx64 "  %s\n", r->start,
		       r->start + r->size - 1, buf);
	}
	for (size_t i = 0; i < kd_dump_num_cpus(dump); i++) {
		struct kd_cpu_state st;
		struct kd_error *err = kd_dump_cpu_state(dump, i, &st);
		if (err) {
			kd_error_destroy(err);
			continue;
		}
		const char *sym;
		uint64_t off;
		printf("cpu %zu:         pid %u ip %#" PRIx64, i, st.pid, st.ip);
		err = kd_kernel_symbolize(kernel, st.ip, &sym, &off);
		if (!err)
			printf(" <%s+%#" PRIx64 ">", cli_sanitize(sym), off);
		kd_error_destroy(err);
		printf(" sp %#" PRIx64 "\n", st.sp);
	}
}

static void info_print_json(struct kd_dump *dump, struct kd_kernel *kernel,
		       const struct info *in)
{
	struct json j = { .out = stdout };
	json_begin_object(&j, NULL);
	json_string(&j, "dump", kd_dump_path(dump));
	json_string(&j, "format", kd_dump_format_name(dump));
	json_bool(&j, "incomplete", kd_dump_incomplete(dump));
	if (in->release)
		json_string(&j, "release", in->release);
	else
		json_null(&j, "release");
	if (in->build_id)
		json_string(&j, "build_id", in->build_id);
	else
		json_null(&j, "build_id");
	json_string(&j, "arch", kd_kernel_arch_name(kernel));
	if (in->has_page_size)
		json_u64(&j, "page_size", in->page_size);
	json_u64(&j, "cpus", kd_dump_num_cpus(dump));
	if (in->panic_cpu >= 0)
		json_u64(&j, "panic_cpu", (unsigned long long)in->panic_cpu);
	else
		json_null(&j, "panic_cpu");
	if (in->has_crash_time)
		json_u64(&j, "crash_time", in->crash_time);
	if (in->panic_msg[0])
		json_string(&j, "panic", in->panic_msg);
	if (in->has_kerneloffset)
		json_hex(&j, "kaslr_offset", in->kerneloffset);
	json_u64(&j, "paging_levels", kd_kernel_paging_levels(kernel));
	json_hex(&j, "direct_map_base", kd_kernel_direct_map_base(kernel));
	json_string(&j, "symbols", kd_kernel_symbol_source(kernel));
	json_u64(&j, "num_symbols", kd_kernel_num_symbols(kernel));
	if (in->symbols_error)
		json_string(&j, "symbols_error", in->symbols_error);
	json_u64(&j, "memory_total", in->total);
	json_begin_array(&j, "memory");
	for (size_t i = 0; i < kd_dump_num_ranges(dump); i++) {
		const struct kd_phys_range *r = kd_dump_range(dump, i);
		json_begin_object(&j, NULL);
		json_hex(&j, "start", r->start);
		json_u64(&j, "size", r->size);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_begin_array(&j, "cpu_states");
	for (size_t i = 0; i < kd_dump_num_cpus(dump); i++) {
		struct kd_cpu_state st;
		struct kd_error *err = kd_dump_cpu_state(dump, i, &st);
		if (err) {
			kd_error_destroy(err);
			continue;
		}
		json_begin_object(&j, NULL);
		json_u64(&j, "cpu", i);
		json_u64(&j, "pid", st.pid);
		json_hex(&j, "ip", st.ip);
		json_hex(&j, "sp", st.sp);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
}

// The raw VMCOREINFO text, as makedumpfile -g writes it: needs only the
// dump's notes, so it works when the rest of the kernel cannot be read.
static int info_print_vmcoreinfo(const char *path)
{
	struct kd_dump *dump;
	struct kd_error *err = kd_dump_open(path, &dump);
	if (err)
		return cli_fail(err);
	size_t len;
	const char *text = kd_dump_vmcoreinfo_raw(dump, &len);
	if (!text) {
		err = kd_error_create(KD_ERROR_NOTFOUND, "%s: dump has no VMCOREINFO note", path);
		kd_dump_close(dump);
		return cli_fail(err);
	}
	const char *nul = memchr(text, '\0', len);
	fwrite(text, 1, nul ? (size_t)(nul - text) : len, stdout);
	kd_dump_close(dump);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "vmcoreinfo", no_argument, NULL, 'v' },
		{ "system-map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, vmcoreinfo = false;
	const char *system_map = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "jvm:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			vmcoreinfo = true;
			break;
		case 'm':
			system_map = optarg;
			break;
		default:
			return cli_usage("kexdump info DUMP [--json|--vmcoreinfo] [--system-map FILE]");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("kexdump info DUMP [--json|--vmcoreinfo] [--system-map FILE]");
	if (vmcoreinfo)
		return info_print_vmcoreinfo(argv[optind]);
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	int rc = cli_open(argv[optind], system_map, &dump, &kernel);
	if (rc)
		return rc;
	struct info in = { .panic_cpu = -1 };
	info_gather(dump, kernel, &in);
	if (json)
		info_print_json(dump, kernel, &in);
	else
		info_print_text(dump, kernel, &in);
	free(in.symbols_error);
	cli_close(dump, kernel);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump save: write a filtered, compressed dump (kdump-compressed, ELF or
// flattened) from /proc/vmcore or any dump kexdump reads; "-" as DEST
// streams the flattened format, "-" as SOURCE reassembles one.
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// Exit code when a dump was written but is incomplete (full disk, I/O
// error): the capture script keeps it and reports it, unlike a failure.
enum { EXIT_INCOMPLETE = 3 };

struct progress {
	bool tty;
	struct timespec start, last;
};

static double save_since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

// A live line on a terminal, at most five times a second.
static void save_show_progress(const struct kd_save_progress *p, void *arg)
{
	struct progress *pr = arg;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!pr->tty || (save_since(&pr->last, &now) < 0.2 && p->pages_done < p->pages_total))
		return;
	pr->last = now;
	double t = save_since(&pr->start, &now);
	double pct = p->pages_total ? 100.0 * (double)p->pages_done / (double)p->pages_total : 100.0;
	double rate = t > 0 ? (double)p->bytes_in / t / (1 << 20) : 0;
	double eta = p->pages_done && p->pages_total > p->pages_done ?
		     t * (double)(p->pages_total - p->pages_done) / (double)p->pages_done : 0;
	fprintf(stderr, "\r\033[Kkexdump: saving %5.1f%%  %7.1f MiB/s  %.1f MiB out  ETA %d:%02d",
		pct, rate, (double)p->bytes_out / (1 << 20), (int)eta / 60, (int)eta % 60);
}

// A library parse error as the command's usage error.
static int save_usage_error(struct kd_error *err)
{
	int rc = cli_usage("%s", kd_error_message(err));
	kd_error_destroy(err);
	return rc;
}

static void save_summary(FILE *f, bool json, const char *dest,
		    const struct kd_save_options *o,
		    const struct kd_save_stats *st, double secs)
{
	uint64_t excluded = 0;
	for (int c = 0; c < KD_PAGE_NCLASSES; c++)
		excluded += st->pages_excluded[c];
	if (json) {
		struct json j = { .out = f };
		json_begin_object(&j, NULL);
		json_string(&j, "dest", dest);
		json_string(&j, "format", kd_save_format_name(o->format));
		json_string(&j, "compress", kd_save_codec_name(st->codec));
		if (st->level)
			json_i64(&j, "level", st->level);
		json_u64(&j, "dump_level", o->dump_level);
		json_u64(&j, "threads", st->threads);
		json_bool(&j, "complete", !st->incomplete);
		json_u64(&j, "pages_present", st->pages_present);
		json_u64(&j, "pages_written", st->pages_written);
		json_u64(&j, "pages_unreadable", st->pages_unreadable);
		json_u64(&j, "pages_not_in_source", st->pages_not_stored);
		json_begin_object(&j, "pages_excluded");
		for (int c = 0; c < KD_PAGE_NCLASSES; c++)
			json_u64(&j, kd_page_class_name(c), st->pages_excluded[c]);
		json_end_object(&j);
		json_u64(&j, "bytes_in", st->bytes_in);
		json_u64(&j, "bytes_out", st->bytes_out);
		json_f64(&j, "seconds", secs);
		if (st->warning[0])
			json_string(&j, "warning", st->warning);
		const struct kd_save_auto_stats *as = &st->autosel;
		if (as->ncand) {
			json_begin_object(&j, "compress_auto");
			json_f64(&j, "link_bytes_per_s", as->link_rate);
			json_f64(&j, "link_cpu_share", as->link_cpu);
			json_u64(&j, "cpus", as->cpus);
			json_u64(&j, "workers", as->workers);
			json_u64(&j, "sample_pages", as->sample_pages);
			json_u64(&j, "decisions", as->decisions);
			json_u64(&j, "switches", as->switches);
			json_begin_array(&j, "candidates");
			for (unsigned int i = 0; i < as->ncand; i++) {
				const struct kd_save_auto_cand_stats *c = &as->cand[i];
				json_begin_object(&j, NULL);
				json_string(&j, "codec", kd_save_codec_name(c->codec));
				json_i64(&j, "level", c->level);
				json_f64(&j, "cpu_bytes_per_s", c->cpu_rate);
				json_f64(&j, "ratio", c->ratio);
				json_f64(&j, "seconds_per_mib", c->estimate);
				json_u64(&j, "pages", c->pages);
				json_bool(&j, "chosen_last", i == as->last);
				json_end_object(&j);
			}
			json_end_array(&j);
			json_end_object(&j);
		}
		json_end_object(&j);
		fputc('\n', f);
		return;
	}
	fprintf(f, "kexdump: %s %s: %llu of %llu pages written, %llu excluded (",
		st->incomplete ? "INCOMPLETE" : "saved", dest,
		(unsigned long long)st->pages_written,
		(unsigned long long)st->pages_present, (unsigned long long)excluded);
	const char *sep = "";
	for (int c = 0; c < KD_PAGE_NCLASSES; c++) {
		if (!st->pages_excluded[c])
			continue;
		fprintf(f, "%s%s %llu", sep, kd_page_class_name(c),
			(unsigned long long)st->pages_excluded[c]);
		sep = ", ";
	}
	char level[16] = "";
	if (st->level)
		snprintf(level, sizeof(level), ":%d", st->level);
	fprintf(f, "%s)", *sep ? "" : "none");
	if (st->pages_unreadable)
		fprintf(f, ", %llu unreadable (left out)",
			(unsigned long long)st->pages_unreadable);
	fprintf(f, ", %.1f MiB read, %.1f MiB written (%s%s), %.2f s\n", (double)st->bytes_in / (1 << 20),
		(double)st->bytes_out / (1 << 20), kd_save_codec_name(st->codec),
		level, secs);
	char why[1024];
	kd_save_auto_describe(st, why, sizeof(why));
	if (why[0])
		fprintf(f, "kexdump: compress auto: %s\n", why);
}

int cmd_save(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dump-level", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "compress", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 'j' },
		{ "mem-limit", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'F' },
		{ "buffered", no_argument, NULL, 'B' },
		{ "json", no_argument, NULL, 'J' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] =
		"kexdump save [-d LEVEL] [--format kdump|elf|flat] "
		"[--compress auto|zstd[:L]|lz4|zlib[:L]|lzo|snappy|none] [-j N] [--mem-limit MiB] "
		"[--buffered] [--force] [--json] SOURCE DEST|-";
	struct kd_save_options o = { .dump_level = 31, .codec = KD_SAVE_AUTO };
	bool force = false, json = false;
	int progress = -1, c;
	struct kd_error *err;
	char *end;
	while ((c = getopt_long(argc, argv, "d:f:c:j:m:Fh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			o.dump_level = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !*optarg || errno || o.dump_level > 31)
				return cli_usage("dump level must be 0-31, not '%s'", optarg);
			break;
		case 'f':
			if ((err = kd_save_parse_format(optarg, &o.format)))
				return save_usage_error(err);
			break;
		case 'c':
			if ((err = kd_save_parse_codec(optarg, &o.codec, &o.level)))
				return save_usage_error(err);
			break;
		case 'j':
			o.threads = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !*optarg || o.threads < 1 || o.threads > 256)
				return cli_usage("-j needs a thread count of 1-256, not '%s'", optarg);
			break;
		case 'm':
			o.mem_limit = (size_t)strtoul(optarg, &end, 10) << 20;
			if (*end || !*optarg || o.mem_limit < (4u << 20))
				return cli_usage("--mem-limit needs MiB >= 4, not '%s'", optarg);
			break;
		case 'F':
			force = true;
			break;
		case 'B':
			o.buffered = true;
			break;
		case 'J':
			json = true;
			break;
		case 'P':
			progress = 1;
			break;
		case 'N':
			progress = 0;
			break;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (optind + 2 != argc)
		return cli_usage("%s", usage);
	const char *src = argv[optind], *dest = argv[optind + 1];
	bool to_stdout = !strcmp(dest, "-");
	FILE *report = to_stdout ? stderr : stdout;

	if (!strcmp(src, "-")) {
		if (to_stdout)
			return cli_usage("reassembling needs a DEST file, not -");
		struct kd_save_stats rst;
		err = kd_save_file_reassemble(0, "standard input", dest, force, &rst);
		if (!err)
			return 0;
		cli_fail(err);
		// A stream cut short: DEST holds what arrived, marked incomplete.
		return rst.incomplete ? EXIT_INCOMPLETE : 1;
	}
	if (to_stdout) {
		if (o.format == KD_SAVE_ELF)
			return cli_usage("only the kdump format can be streamed to -");
		o.format = KD_SAVE_FLAT;
		if (isatty(1))
			return cli_usage("refusing to write a dump to a terminal; redirect standard output");
	}

	struct kd_dump *dump;
	struct kd_kernel *kernel;
	int rc = cli_open(src, NULL, &dump, &kernel);
	if (rc)
		return rc;
	struct progress pr = { .tty = progress == 1 || (progress == -1 && isatty(2)) };
	clock_gettime(CLOCK_MONOTONIC, &pr.start);
	o.progress = save_show_progress;
	o.progress_arg = &pr;
	struct kd_save_stats st;
	err = to_stdout ? kd_save_fd(kernel, 1, false, &o, &st)
					 : kd_save_file(kernel, dest, force, &o, &st);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (pr.tty)
		fputs("\r\033[K", stderr);
	cli_close(dump, kernel);
	if (err && !st.incomplete)
		return cli_fail(err);
	if (st.warning[0])
		cli_warn("%s", st.warning);
	// Unreadable source pages are left out, the rest saved: exit 0, the
	// dump reads them as missing.
	if (st.pages_unreadable)
		cli_warn("%s: %llu pages could not be read (I/O error); %s lacks them",
			 src, (unsigned long long)st.pages_unreadable, dest);
	save_summary(json ? report : stderr, json, dest, &o, &st, save_since(&pr.start, &now));
	if (err) {
		cli_fail(err);
		return EXIT_INCOMPLETE;
	}
	return st.incomplete ? EXIT_INCOMPLETE : 0;
}

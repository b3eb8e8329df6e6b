// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump pages: what a makedumpfile dump level (-d) leaves out of a dump,
// with the numbers of makedumpfile's report (makedumpfile.c print_report())
// and of its --mem-usage, which does not read vmcore files.
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

// Pfns classified at a time: 128 KiB per bitmap.
#define WINDOW_PFNS (1u << 20)
// Page data read at a time to find zero pages.
#define READ_PAGES 256u

struct report {
	uint32_t page_size;
	uint64_t total, present, kept;
	uint64_t excluded[KD_PAGE_NCLASSES];
};

static bool pages_is_zero(const uint8_t *p, size_t len)
{
	return p[0] == 0 && !memcmp(p, p + 1, len - 1);
}

// Count the all-zero pages among the kept ones of a window, reading runs
// of kept pages in large reads.
static struct kd_error *pages_count_zero(struct kd_dump *dump, uint32_t page_size,
				   uint64_t start, uint64_t npfns,
				   const uint8_t *keep, uint8_t *buf,
				   uint64_t *zero)
{
	uint64_t i = 0;
	while (i < npfns) {
		if (!(keep[i / 8] >> (i % 8) & 1)) {
			i += (i % 8 == 0 && keep[i / 8] == 0) ? 8 : 1;
			continue;
		}
		uint64_t n = 1;
		while (n < READ_PAGES && i + n < npfns &&
		       keep[(i + n) / 8] >> ((i + n) % 8) & 1)
			n++;
		struct kd_error *err = kd_dump_read_phys(dump, (start + i) * page_size,
							 buf, n * page_size);
		if (err)
			return err;
		for (uint64_t k = 0; k < n; k++)
			*zero += pages_is_zero(buf + k * page_size, page_size);
		i += n;
	}
	return NULL;
}

static uint64_t pages_popcount(const uint8_t *bm, size_t nbytes)
{
	uint64_t n = 0;
	for (size_t i = 0; i < nbytes; i++)
		n += (uint64_t)__builtin_popcount(bm[i]);
	return n;
}

// Classify one window and count what it holds.
static struct kd_error *pages_window(struct kd_dump *dump, struct kd_pagefilter *pf,
			       unsigned int level, uint64_t start,
			       struct report *r, uint8_t *present, uint8_t *keep,
			       uint8_t *buf)
{
	uint64_t n = r->total - start < WINDOW_PFNS ? r->total - start : WINDOW_PFNS;
	n = (n + 7) & ~7ull;
	struct kd_error *err = kd_pagefilter_window(pf, start, n, present, keep,
						    r->excluded);
	if (err)
		return err;
	r->present += pages_popcount(present, n / 8);
	r->kept += pages_popcount(keep, n / 8);
	if (level & KD_DL_ZERO) {
		uint64_t zero = 0;
		err = pages_count_zero(dump, r->page_size, start, n, keep, buf, &zero);
		if (err)
			return err;
		r->excluded[KD_PAGE_ZERO] += zero;
		r->kept -= zero;
	}
	return NULL;
}

static struct kd_error *pages_gather(struct kd_kernel *kernel, unsigned int level,
			       struct report *r)
{
	struct kd_dump *dump = kd_kernel_dump(kernel);
	struct kd_pagefilter *pf;
	struct kd_error *err = kd_pagefilter_open(kernel, level, &pf);
	if (err)
		return err;
	uint32_t ps = kd_pagefilter_page_size(pf);
	r->page_size = ps;
	r->total = kd_pagefilter_max_pfn(pf);
	uint8_t *present = malloc(WINDOW_PFNS / 8), *keep = malloc(WINDOW_PFNS / 8);
	uint8_t *buf = (level & KD_DL_ZERO) ? malloc((size_t)READ_PAGES * ps) : NULL;
	if (!present || !keep || ((level & KD_DL_ZERO) && !buf)) {
		err = kd_error_create(KD_ERROR_NOMEM, "out of memory");
		goto out;
	}
	// Only windows that hold memory: a dump's ranges may lie far apart.
	uint64_t next = 0;
	for (size_t i = 0; i < kd_dump_num_ranges(dump); i++) {
		const struct kd_phys_range *range = kd_dump_range(dump, i);
		uint64_t first = range->start / ps, end = (range->start + range->size + ps - 1) / ps;
		uint64_t start = first - first % WINDOW_PFNS;
		if (start < next)
			start = next;
		for (; start < end; start += WINDOW_PFNS) {
			next = start + WINDOW_PFNS;
			err = pages_window(dump, pf, level, start, r, present, keep, buf);
			if (err)
				goto out;
		}
	}
out:
	free(present);
	free(keep);
	free(buf);
	kd_pagefilter_close(pf);
	return err;
}

static const char *const labels[KD_PAGE_NCLASSES] = {
	[KD_PAGE_ZERO] = "    Pages filled with zero",
	[KD_PAGE_CACHE] = "    Non-private cache pages",
	[KD_PAGE_CACHE_PRIVATE] = "    Private cache pages",
	[KD_PAGE_USER] = "    User process data pages",
	[KD_PAGE_FREE] = "    Free pages",
	[KD_PAGE_HWPOISON] = "    Hwpoison pages",
	[KD_PAGE_OFFLINE] = "    Offline pages",
};

static void pages_row(const char *label, uint64_t pages, uint32_t ps)
{
	printf("%-32s %12" PRIu64 " %12.1f\n", label, pages,
	       (double)pages * ps / (1 << 20));
}

int cmd_pages(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dump-level", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] = "kexdump pages [-d LEVEL] [--json] DUMP";
	unsigned int level = 31;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		char *end;
		unsigned long v;
		switch (c) {
		case 'd':
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v > 31)
				return cli_usage("-d takes a dump level 0-31, not '%s'", optarg);
			level = (unsigned int)v;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (optind != argc - 1)
		return cli_usage("%s", usage);

	struct kd_dump *dump;
	struct kd_kernel *kernel;
	int rc = cli_open(argv[optind], NULL, &dump, &kernel);
	if (rc)
		return rc;
	struct report r = {0};
	struct kd_error *err = pages_gather(kernel, level, &r);
	if (err) {
		cli_close(dump, kernel);
		return cli_fail(err);
	}
	uint64_t excluded = 0;
	for (int i = 0; i < KD_PAGE_NCLASSES; i++)
		excluded += r.excluded[i];
	uint64_t not_stored = r.present - excluded - r.kept;
	uint64_t percent = r.present ? r.kept * 100 / r.present : 0;
	uint32_t ps = r.page_size;

	if (json) {
		struct json j = { .out = stdout };
		json_begin_object(&j, NULL);
		json_string(&j, "dump", kd_dump_path(dump));
		json_string(&j, "format", kd_dump_format_name(dump));
		json_u64(&j, "dump_level", level);
		json_u64(&j, "page_size", ps);
		json_u64(&j, "total_pages", r.total);
		json_u64(&j, "memory_hole_pages", r.total - r.present);
		json_u64(&j, "original_pages", r.present);
		json_u64(&j, "excluded_pages", excluded);
		json_begin_object(&j, "excluded");
		for (int i = 0; i < KD_PAGE_NCLASSES; i++)
			json_u64(&j, kd_page_class_name((enum kd_page_class)i),
				 r.excluded[i]);
		json_end_object(&j);
		json_u64(&j, "not_stored_pages", not_stored);
		json_u64(&j, "remaining_pages", r.kept);
		json_u64(&j, "reduced_to_percent", percent);
		json_end_object(&j);
	} else {
		printf("dump:       %s (%s)\n", kd_dump_path(dump),
		       kd_dump_format_name(dump));
		printf("dump level: %u\n\n", level);
		printf("%-32s %12s %12s\n", "", "pages", "MiB");
		pages_row("Original pages", r.present, ps);
		pages_row("  Excluded pages", excluded, ps);
		for (int i = 0; i < KD_PAGE_NCLASSES; i++)
			pages_row(labels[i], r.excluded[i], ps);
		if (not_stored)
			pages_row("  Not stored in the source", not_stored, ps);
		pages_row("  Remaining pages", r.kept, ps);
		printf("  (The number of pages is reduced to %" PRIu64 "%%.)\n", percent);
		pages_row("Memory hole", r.total - r.present, ps);
		pages_row("Total pages", r.total, ps);
	}
	cli_close(dump, kernel);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// cmp-pages SOURCE OUTPUT [--all] [--allow-missing]: compare, page by page,
// every page OUTPUT holds with the same page of SOURCE (the dump it was
// made from), through the public libkexdump API only.
//
// Prints one summary line
//   pages=N identical=N differ=N missing_in_source=N missing_in_output=N partial=N
// (with --all also "source_pages=N not_in_output=N partial_not_in_output=N",
// the last being pages SOURCE holds only part of, which kdump-compressed
// dumps leave out and which are not a difference), then the first
// differing or missing page frame numbers. "pages" are the pages OUTPUT's
// ranges cover; "missing_in_output" those it lists but cannot read (the
// unwritten tail of an incomplete dump); "partial" those compared over
// only part of the page because one side holds part of it (an ELF
// segment ending inside a page, e.g. 0x9fc00).
//
// Exit status: 0 same, 1 any difference (a differing page, a page OUTPUT
// has and SOURCE has not, an unreadable OUTPUT page unless
// --allow-missing, and with --all a SOURCE page OUTPUT does not hold),
// 2 usage or a read error other than "not in the dump".
//
// Reads in chunks of up to 4 MiB: a 4 GiB dump takes seconds.
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kexdump/kexdump.h>

#define CHUNK_PAGES 1024u
#define MAX_SHOWN 8

struct extent {
	uint64_t start, end;	// [start, end), bytes
};

struct extents {
	struct extent *v;
	size_t n;
};

struct pfn_list {
	uint64_t pfn[MAX_SHOWN];
	size_t n;
};

struct stats {
	uint64_t pages, identical, differ, missing_in_source,
		missing_in_output, partial;
	uint64_t source_pages, not_in_output, partial_not_in_output;
	struct pfn_list differ_pfns, missing_source_pfns, missing_output_pfns,
		not_in_output_pfns;
};

struct cmp {
	struct kd_dump *src, *out;
	struct extents src_ext, out_ext;
	uint64_t page_size;
	uint8_t *obuf, *sbuf;
	struct stats st;
};

static void note_pfn(struct pfn_list *l, uint64_t pfn)
{
	if (l->n < MAX_SHOWN)
		l->pfn[l->n++] = pfn;
}

static int fail(struct kd_error *err, const char *what)
{
	fprintf(stderr, "cmp-pages: %s: %s\n", what, kd_error_message(err));
	kd_error_destroy(err);
	return 2;
}

// Everything main() opened or allocated, on every way out (the fault
// tests run this under LeakSanitizer, error paths included).
static int finish(struct cmp *c, int rc)
{
	free(c->obuf);
	free(c->sbuf);
	free(c->src_ext.v);
	free(c->out_ext.v);
	if (c->out)
		kd_dump_close(c->out);
	if (c->src)
		kd_dump_close(c->src);
	return rc;
}

// The dump's ranges, sorted as the library keeps them, with touching ones
// merged so that a page split between two segments is visited once.
static int merge_ranges(struct kd_dump *dump, struct extents *ret)
{
	size_t n = kd_dump_num_ranges(dump);
	struct extent *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kd_phys_range *r = kd_dump_range(dump, i);
		if (!r->size)
			continue;
		if (m && v[m - 1].end == r->start) {
			v[m - 1].end += r->size;
			continue;
		}
		v[m].start = r->start;
		v[m].end = r->start + r->size;
		m++;
	}
	ret->v = v;
	ret->n = m;
	return 0;
}

// The dump's page size from VMCOREINFO's PAGESIZE, else 4 KiB.
static uint64_t page_size_of(struct kd_dump *dump)
{
	size_t len;
	const char *raw = kd_dump_vmcoreinfo_raw(dump, &len);
	uint64_t ps = 4096;
	struct kd_vmcoreinfo *vi;
	if (!raw)
		return ps;
	struct kd_error *err = kd_vmcoreinfo_parse(raw, len, &vi);
	if (err) {
		kd_error_destroy(err);
		return ps;
	}
	uint64_t v;
	err = kd_vmcoreinfo_u64(vi, "PAGESIZE", 10, &v);
	if (!err && v >= 512 && v <= (1u << 20) && !(v & (v - 1)))
		ps = v;
	kd_error_destroy(err);
	kd_vmcoreinfo_destroy(vi);
	return ps;
}

// Read [addr, addr + len); *missing is set when some of it is not in the
// dump (KD_ERROR_NODATA), any other error is returned.
static struct kd_error *read_span(struct kd_dump *dump, uint64_t addr,
				  void *buf, size_t len, bool *missing)
{
	struct kd_error *err = kd_dump_read_phys(dump, addr, buf, len);
	*missing = false;
	if (err && kd_error_code(err) == KD_ERROR_NODATA) {
		kd_error_destroy(err);
		*missing = true;
		return NULL;
	}
	return err;
}

// One page's span [a, b) of OUTPUT, when a chunk read hit a hole on
// either side: compare what both sides hold.
static struct kd_error *compare_page(struct cmp *c, uint64_t pfn, uint64_t a,
				     uint64_t b)
{
	struct stats *st = &c->st;
	bool missing;
	struct kd_error *err = read_span(c->out, a, c->obuf, b - a, &missing);
	if (err)
		return err;
	if (missing) {
		st->missing_in_output++;
		note_pfn(&st->missing_output_pfns, pfn);
		return NULL;
	}
	err = read_span(c->src, a, c->sbuf, b - a, &missing);
	if (err)
		return err;
	if (!missing) {
		if (memcmp(c->obuf, c->sbuf, b - a)) {
			st->differ++;
			note_pfn(&st->differ_pfns, pfn);
		} else {
			st->identical++;
			if (b - a != c->page_size)
				st->partial++;
		}
		return NULL;
	}
	// SOURCE holds part of the span at most: compare the parts it holds.
	bool any = false, same = true;
	for (size_t i = 0; i < c->src_ext.n; i++) {
		const struct extent *e = &c->src_ext.v[i];
		uint64_t x = e->start > a ? e->start : a;
		uint64_t y = e->end < b ? e->end : b;
		if (x >= y)
			continue;
		err = read_span(c->src, x, c->sbuf, y - x, &missing);
		if (err)
			return err;
		if (missing)
			continue;
		any = true;
		if (memcmp(c->obuf + (x - a), c->sbuf, y - x))
			same = false;
	}
	if (!any) {
		st->missing_in_source++;
		note_pfn(&st->missing_source_pfns, pfn);
	} else if (!same) {
		st->differ++;
		note_pfn(&st->differ_pfns, pfn);
	} else {
		st->identical++;
		st->partial++;
	}
	return NULL;
}

// Every page of OUTPUT's ranges against SOURCE, a chunk at a time; a
// chunk that either side does not fully hold is redone page by page.
static struct kd_error *compare_output(struct cmp *c)
{
	const uint64_t ps = c->page_size;
	struct stats *st = &c->st;
	uint64_t last_pfn = UINT64_MAX;
	for (size_t i = 0; i < c->out_ext.n; i++) {
		const struct extent *e = &c->out_ext.v[i];
		uint64_t addr = e->start;
		while (addr < e->end) {
			uint64_t first = addr / ps;
			uint64_t lim = (first + CHUNK_PAGES) * ps;
			uint64_t end = lim < e->end ? lim : e->end;
			// A page shared with the previous extent was done.
			if (first == last_pfn) {
				addr = (first + 1) * ps < end ? (first + 1) * ps : end;
				if (addr == end)
					continue;
				first++;
			}
			uint64_t npages = (end - 1) / ps - first + 1;
			st->pages += npages;
			last_pfn = (end - 1) / ps;
			bool omiss, smiss = false;
			struct kd_error *err = read_span(c->out, addr, c->obuf,
							 end - addr, &omiss);
			if (!err && !omiss)
				err = read_span(c->src, addr, c->sbuf,
						end - addr, &smiss);
			if (err)
				return err;
			bool whole = !(addr % ps) && !(end % ps);
			if (!omiss && !smiss && whole &&
			    !memcmp(c->obuf, c->sbuf, end - addr)) {
				st->identical += npages;
				addr = end;
				continue;
			}
			for (uint64_t pfn = first; pfn <= last_pfn; pfn++) {
				uint64_t a = pfn * ps > addr ? pfn * ps : addr;
				uint64_t b = (pfn + 1) * ps < end ? (pfn + 1) * ps : end;
				if (!omiss && !smiss) {
					size_t o = (size_t)(a - addr);
					if (memcmp(c->obuf + o, c->sbuf + o, b - a)) {
						st->differ++;
						note_pfn(&st->differ_pfns, pfn);
					} else {
						st->identical++;
						if (b - a != ps)
							st->partial++;
					}
					continue;
				}
				err = compare_page(c, pfn, a, b);
				if (err)
					return err;
			}
			addr = end;
		}
	}
	return NULL;
}

// --all: the pages SOURCE holds that OUTPUT's ranges do not cover
// entirely; pages SOURCE holds only part of are counted apart. Both extent
// lists are sorted and disjoint.
static void check_source_covered(struct cmp *c)
{
	const uint64_t ps = c->page_size;
	struct stats *st = &c->st;
	uint64_t last_counted = UINT64_MAX, last_seen = UINT64_MAX;
	size_t j = 0;
	for (size_t i = 0; i < c->src_ext.n; i++) {
		const struct extent *e = &c->src_ext.v[i];
		uint64_t first = e->start / ps, last = (e->end - 1) / ps;
		if (first == last_seen)
			first++;
		if (first <= last)
			st->source_pages += last - first + 1;
		last_seen = last;
		// Walk the gaps of OUTPUT inside [e->start, e->end).
		uint64_t pos = e->start;
		while (pos < e->end) {
			while (j < c->out_ext.n && c->out_ext.v[j].end <= pos)
				j++;
			uint64_t gap_end;
			if (j < c->out_ext.n && c->out_ext.v[j].start <= pos) {
				pos = c->out_ext.v[j].end;
				continue;
			}
			gap_end = j < c->out_ext.n && c->out_ext.v[j].start < e->end
				  ? c->out_ext.v[j].start : e->end;
			for (uint64_t pfn = pos / ps; pfn <= (gap_end - 1) / ps; pfn++) {
				if (pfn == last_counted && last_counted != UINT64_MAX)
					continue;
				last_counted = pfn;
				// A page SOURCE holds only part of (its RAM ends
				// inside the page) is not required: kdump-compressed
				// dumps store whole pages only.
				if (pfn * ps < e->start || (pfn + 1) * ps > e->end) {
					st->partial_not_in_output++;
					continue;
				}
				st->not_in_output++;
				note_pfn(&st->not_in_output_pfns, pfn);
			}
			pos = gap_end;
		}
	}
}

static void print_pfns(const char *what, const struct pfn_list *l,
		       uint64_t total)
{
	if (!total)
		return;
	printf("%s:", what);
	for (size_t i = 0; i < l->n; i++)
		printf(" %#" PRIx64, l->pfn[i]);
	if (total > l->n)
		printf(" ...");
	printf("\n");
}

static int usage(void)
{
	fprintf(stderr, "usage: cmp-pages SOURCE OUTPUT [--all] [--allow-missing]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *paths[2];
	size_t npaths = 0;
	bool all = false, allow_missing = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "--allow-missing"))
			allow_missing = true;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return usage();
		else if (npaths < 2)
			paths[npaths++] = argv[i];
		else
			return usage();
	}
	if (npaths != 2)
		return usage();

	struct cmp c = {0};
	struct kd_error *err = kd_dump_open(paths[0], &c.src);
	if (err)
		return fail(err, "SOURCE");
	err = kd_dump_open(paths[1], &c.out);
	if (err)
		return finish(&c, fail(err, "OUTPUT"));
	c.page_size = page_size_of(c.out);
	if (page_size_of(c.src) != c.page_size) {
		fprintf(stderr, "cmp-pages: page sizes differ\n");
		return finish(&c, 2);
	}
	c.obuf = malloc(CHUNK_PAGES * c.page_size);
	c.sbuf = malloc(CHUNK_PAGES * c.page_size);
	if (!c.obuf || !c.sbuf || merge_ranges(c.src, &c.src_ext) ||
	    merge_ranges(c.out, &c.out_ext)) {
		fprintf(stderr, "cmp-pages: out of memory\n");
		return finish(&c, 2);
	}
	err = compare_output(&c);
	if (err)
		return finish(&c, fail(err, "read"));
	if (all)
		check_source_covered(&c);

	const struct stats *st = &c.st;
	printf("pages=%" PRIu64 " identical=%" PRIu64 " differ=%" PRIu64
	       " missing_in_source=%" PRIu64 " missing_in_output=%" PRIu64
	       " partial=%" PRIu64,
	       st->pages, st->identical, st->differ, st->missing_in_source,
	       st->missing_in_output, st->partial);
	if (all)
		printf(" source_pages=%" PRIu64 " not_in_output=%" PRIu64
		       " partial_not_in_output=%" PRIu64,
		       st->source_pages, st->not_in_output,
		       st->partial_not_in_output);
	printf("\n");
	print_pfns("differing pfns", &st->differ_pfns, st->differ);
	print_pfns("pfns missing in source", &st->missing_source_pfns,
		   st->missing_in_source);
	print_pfns("pfns missing in output", &st->missing_output_pfns,
		   st->missing_in_output);
	if (all)
		print_pfns("source pfns not in output", &st->not_in_output_pfns,
			   st->not_in_output);

	bool bad = st->differ || st->missing_in_source ||
		   (st->missing_in_output && !allow_missing) ||
		   (all && st->not_in_output);
	return finish(&c, bad ? 1 : 0);
}

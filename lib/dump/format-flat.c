// SPDX-License-Identifier: LGPL-2.1-or-later
// makedumpfile's flattened format, what `makedumpfile -F` writes to a pipe
// (makedumpfile.h struct makedumpfile_header/makedumpfile_data_header;
// makedumpfile.c write_start_flat_header, write_buffer, rearrange_dumpdata):
// a 4096-byte header ("makedumpfile", type 1, version 1), then records of
// {int64 offset, int64 buf_size} followed by buf_size bytes to be written at
// offset of the kdump-compressed image, ended by {-1, -1}. All header
// integers are big-endian whatever the machine.
//
// Rather than rearrange into a temporary file (makedumpfile -R), the records
// are indexed at open and the kdump-compressed reader reads the image
// through that index.
#include "dump/dump.h"

_Static_assert(MDF_RECORD_SIZE == 2 * sizeof(int64_t),
	       "makedumpfile_data_header is two int64s");

// One record: buf_size bytes at logical offset off, stored at file offset
// foff. seq orders records that overlap: a later write wins, as it would
// in makedumpfile -R.
struct flat_rec {
	uint64_t off, size, foff;
	size_t seq;
};

struct flat {
	struct flat_rec *recs;	// sorted by off, non-overlapping
	size_t nrecs;
};

static bool flat_probe(const uint8_t *head, size_t len)
{
	return len >= sizeof(MDF_SIGNATURE) &&
	       !memcmp(head, MDF_SIGNATURE, sizeof(MDF_SIGNATURE));
}

static void flat_free(void *arg)
{
	struct flat *f = arg;
	if (f)
		free(f->recs);
	free(f);
}

static int flat_rec_cmp(const void *a, const void *b)
{
	const struct flat_rec *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

// Make the sorted records non-overlapping, the later write winning.
// makedumpfile writes each byte once, so overlaps are rare: they are
// resolved by trimming, and the one case that would need splitting a
// record in two (a later write inside an earlier one) by reading the
// earlier record's tail as a record of its own.
static struct kd_error *flat_resolve_overlaps(struct kd_dump *dump, struct flat *f)
{
	size_t out = 0;
	for (size_t i = 0; i < f->nrecs; i++) {
		struct flat_rec r = f->recs[i];
		while (out) {
			struct flat_rec *p = &f->recs[out - 1];
			uint64_t pend = p->off + p->size;
			if (pend <= r.off)
				break;
			if (r.seq > p->seq) {
				if (pend > r.off + r.size)
					return kd_error_create(KD_ERROR_UNSUPPORTED,
						"%s: flattened record at file offset %#llx rewrites the middle of an earlier one",
						dump->path, (unsigned long long)r.foff - MDF_RECORD_SIZE);
				p->size = r.off - p->off;
				if (!p->size)
					out--;
				else
					break;
			} else {
				// The earlier-sorted record is newer: keep
				// only r's part past it.
				uint64_t cut = pend - r.off;
				if (cut >= r.size) {
					r.size = 0;
					break;
				}
				r.off += cut;
				r.foff += cut;
				r.size -= cut;
				break;
			}
		}
		if (r.size)
			f->recs[out++] = r;
	}
	f->nrecs = out;
	return NULL;
}

static struct kd_error *flat_index_records(struct kd_dump *dump, struct flat *f,
					   uint64_t *size_ret)
{
	uint64_t pos = MDF_HEADER_SIZE, end = 0;
	size_t cap = 0;
	bool ended = false;
	while (dump->file_size - pos >= MDF_RECORD_SIZE) {
		uint8_t h[MDF_RECORD_SIZE];
		struct kd_error *err = kd_dump_pread(dump, h, sizeof(h), pos);
		if (err)
			return err;
		int64_t off = (int64_t)kd_be64(h), size = (int64_t)kd_be64(h + 8);
		if (off == -1 && size == -1) {
			ended = true;
			break;
		}
		if (off < 0 || size <= 0)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: bad flattened record at file offset %#llx (offset %lld, size %lld)",
				dump->path, (unsigned long long)pos,
				(long long)off, (long long)size);
		pos += MDF_RECORD_SIZE;
		if ((uint64_t)size > dump->file_size - pos) {
			// The writer stopped inside this record.
			break;
		}
		// Offsets are off_t: a record must end within INT64_MAX.
		if (off > INT64_MAX - size)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: flattened record at file offset %#llx ends past the largest file offset",
				dump->path, (unsigned long long)pos - MDF_RECORD_SIZE);
		if (f->nrecs == cap) {
			// Records carry data, so their count is bounded by
			// the file size over MDF_RECORD_SIZE + 1.
			size_t ncap = cap ? 2 * cap : 1024;
			struct flat_rec *n = realloc(f->recs, ncap * sizeof(*n));
			if (!n)
				return &kd_enomem;
			f->recs = n;
			cap = ncap;
		}
		f->recs[f->nrecs] = (struct flat_rec){
			.off = (uint64_t)off, .size = (uint64_t)size,
			.foff = pos, .seq = f->nrecs,
		};
		f->nrecs++;
		if ((uint64_t)off + (uint64_t)size > end)
			end = (uint64_t)off + (uint64_t)size;
		pos += (uint64_t)size;
	}
	// A pipe that broke or a disk that filled leaves no end marker: read
	// what arrived and treat the rest as never written.
	if (!ended)
		dump->incomplete = true;
	if (!f->nrecs)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: flattened dump has no data records", dump->path);
	qsort(f->recs, f->nrecs, sizeof(*f->recs), flat_rec_cmp);
	struct kd_error *err = flat_resolve_overlaps(dump, f);
	if (err)
		return err;
	*size_ret = end;
	return NULL;
}

// Read [off, off+len) of the image: bytes no record wrote read as zeros,
// as in the sparse file makedumpfile -R would produce.
static struct kd_error *flat_read(struct kd_dump *dump, void *arg, void *buf,
				  size_t len, uint64_t off)
{
	const struct flat *f = arg;
	uint8_t *p = buf;
	// The last record starting at or before off.
	size_t lo = 0, hi = f->nrecs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->recs[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t i = lo ? lo - 1 : 0;
	while (len) {
		while (i < f->nrecs && f->recs[i].off + f->recs[i].size <= off)
			i++;
		uint64_t n;
		if (i < f->nrecs && f->recs[i].off <= off) {
			const struct flat_rec *r = &f->recs[i];
			n = r->off + r->size - off;
			if (n > len)
				n = len;
			struct kd_error *err = kd_dump_pread(dump, p, (size_t)n,
							     r->foff + (off - r->off));
			if (err)
				return err;
		} else {
			n = i < f->nrecs ? f->recs[i].off - off : len;
			if (n > len)
				n = len;
			memset(p, 0, (size_t)n);
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return NULL;
}

static struct kd_error *flat_open(struct kd_dump *dump)
{
	uint8_t h[32];
	if (dump->file_size < MDF_HEADER_SIZE)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: file is truncated (%llu bytes, shorter than the flattened header)",
			dump->path, (unsigned long long)dump->file_size);
	struct kd_error *err = kd_dump_pread(dump, h, sizeof(h), 0);
	if (err)
		return err;
	uint64_t type = kd_be64(h + MDF_TYPE_OFF), version = kd_be64(h + MDF_VERSION_OFF);
	if (type != TYPE_FLAT_HEADER)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: flattened header type %llu is not the flattened format (1)",
			dump->path, (unsigned long long)type);
	if (version != VERSION_FLAT_HEADER)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: flattened format version %llu is not supported (only 1)",
			dump->path, (unsigned long long)version);
	struct flat *f = calloc(1, sizeof(*f));
	if (!f)
		return &kd_enomem;
	uint64_t size = 0;
	err = flat_index_records(dump, f, &size);
	if (err) {
		flat_free(f);
		return err;
	}
	uint8_t sig[8];
	err = flat_read(dump, f, sig, sizeof(sig), 0);
	if (!err && (size < sizeof(sig) || memcmp(sig, "KDUMP   ", 8)))
		err = kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: flattened dump does not hold a kdump-compressed image (only -F with -c/-l/-p/-z or no compression is supported)",
			dump->path);
	if (err) {
		flat_free(f);
		return err;
	}
	uint64_t stored = 0;
	for (size_t i = 0; i < f->nrecs; i++)
		stored += f->recs[i].size;
	struct kd_kdump_source src = {
		.read = flat_read,
		.free_arg = flat_free,
		.arg = f,
		.size = size,
		.stored = stored,
	};
	return kd_kdump_open_source(dump, &src);
}

const struct kd_format_ops kd_format_flat = {
	.name = "flattened",
	.probe = flat_probe,
	.open = flat_open,
	.read_phys = kd_kdump_read_phys,
	.close = kd_kdump_close,
	.page_stored = kd_kdump_page_stored,
};

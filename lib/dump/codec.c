// SPDX-License-Identifier: LGPL-2.1-or-later
// The one place that talks to compression libraries. makedumpfile compresses
// each page on its own: zlib's compress2() (a zlib stream), LZO1X-1,
// snappy's raw format, or a zstd frame (makedumpfile.c, write_kdump_pages*).
// LZ4 (a raw LZ4 block) is kexdump's addition: fastest to write, but only
// kexdump reads it back.
#include "dump/codec.h"
#include "dump/dump.h"
#include "dump/kdump-layout.h"

#include <limits.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

// In the order the command line lists them. Levels: zstd's negative ones
// are its "fast" levels (no Huffman literals), 0 would mean zstd's own
// default (3), so it is kept for "ours"; -1 is ours (see kd_codec_compress
// below). zlib's are deflate's; 1 is makedumpfile's Z_BEST_SPEED
// (makedumpfile.c write_kdump_pages_cyclic(): compress2(..., Z_BEST_SPEED)).
const struct kd_codec_info kd_codecs[] = {
	{ .name = "auto", .save = KD_SAVE_AUTO },
	{ .name = "zstd", .save = KD_SAVE_ZSTD, .compresses = true,
	  .codec = KD_CODEC_ZSTD, .flag = DUMP_DH_COMPRESSED_ZSTD,
	  .level_min = -7, .level_max = 19, .level_default = -1 },
	{ .name = "lz4", .save = KD_SAVE_LZ4, .compresses = true,
	  .codec = KD_CODEC_LZ4, .flag = KEXDUMP_DH_COMPRESSED_LZ4 },
	{ .name = "zlib", .save = KD_SAVE_ZLIB, .compresses = true,
	  .codec = KD_CODEC_ZLIB, .flag = DUMP_DH_COMPRESSED_ZLIB,
	  .level_min = 1, .level_max = 9, .level_default = 1 },
	{ .name = "lzo", .save = KD_SAVE_LZO, .compresses = true,
	  .codec = KD_CODEC_LZO, .flag = DUMP_DH_COMPRESSED_LZO },
	{ .name = "snappy", .save = KD_SAVE_SNAPPY, .compresses = true,
	  .codec = KD_CODEC_SNAPPY, .flag = DUMP_DH_COMPRESSED_SNAPPY },
	{ .name = "none", .save = KD_SAVE_NONE },
};
const size_t kd_ncodecs = KD_ARRAY_SIZE(kd_codecs);

const struct kd_codec_info *kd_codec_by_save(enum kd_save_codec save)
{
	for (size_t i = 0; i < kd_ncodecs; i++)
		if (kd_codecs[i].save == save)
			return &kd_codecs[i];
	return NULL;
}

const struct kd_codec_info *kd_codec_by_codec(enum kd_codec codec)
{
	for (size_t i = 0; i < kd_ncodecs; i++)
		if (kd_codecs[i].compresses && kd_codecs[i].codec == codec)
			return &kd_codecs[i];
	return NULL;
}

const struct kd_codec_info *kd_codec_by_name(const char *text, size_t len)
{
	for (size_t i = 0; i < kd_ncodecs; i++)
		if (strlen(kd_codecs[i].name) == len &&
		    !memcmp(kd_codecs[i].name, text, len))
			return &kd_codecs[i];
	return NULL;
}

const struct kd_codec_info *kd_codec_by_flags(uint32_t flags)
{
	const struct kd_codec_info *found = kd_codec_by_save(KD_SAVE_NONE);
	for (size_t i = 0; i < kd_ncodecs; i++) {
		if (!kd_codecs[i].flag || !(flags & kd_codecs[i].flag))
			continue;
		if (found->compresses)
			return NULL;
		found = &kd_codecs[i];
	}
	return found;
}

bool kd_codec_level_ok(const struct kd_codec_info *ci, int level)
{
	return !level || (level >= ci->level_min && level <= ci->level_max);
}

const char *kd_codec_name(enum kd_codec codec)
{
	const struct kd_codec_info *ci = kd_codec_by_codec(codec);
	return ci ? ci->name : "unknown";
}

// The level to compress with: the caller's, else the codec's default.
static int codec_level(const struct kd_codec_state *st, enum kd_codec codec)
{
	const struct kd_codec_info *ci = kd_codec_by_codec(codec);
	return st->level || !ci ? st->level : ci->level_default;
}

void kd_codec_deinit(struct kd_codec_state *st)
{
	ZSTD_freeDCtx(st->zstd_dctx);
	ZSTD_freeCCtx(st->zstd_cctx);
	if (st->zlib_stream) {
		deflateEnd(st->zlib_stream);
		free(st->zlib_stream);
	}
	free(st->lzo_wrkmem);
	memset(st, 0, sizeof(*st));
}

static struct kd_error *codec_bad(enum kd_codec codec, const char *why)
{
	return kd_error_create(KD_ERROR_CORRUPT, "bad %s data: %s",
			       kd_codec_name(codec), why);
}

static struct kd_error *codec_wrong_size(enum kd_codec codec, size_t got,
					 size_t want)
{
	return kd_error_create(KD_ERROR_CORRUPT,
		"bad %s data: decompresses to %zu bytes instead of %zu",
		kd_codec_name(codec), got, want);
}

static struct kd_error *codec_zlib_decompress(const void *in, size_t inlen,
					      void *out, size_t outlen)
{
	if (inlen > ULONG_MAX || outlen > ULONG_MAX)
		return codec_bad(KD_CODEC_ZLIB, "too large");
	uLongf n = (uLongf)outlen;
	int rc = uncompress(out, &n, in, (uLong)inlen);
	if (rc == Z_MEM_ERROR)
		return &kd_enomem;
	if (rc == Z_BUF_ERROR && n == outlen)
		return codec_bad(KD_CODEC_ZLIB, "output longer than a page, or truncated");
	if (rc != Z_OK)
		return codec_bad(KD_CODEC_ZLIB, zError(rc));
	return n == outlen ? NULL : codec_wrong_size(KD_CODEC_ZLIB, n, outlen);
}

static struct kd_error *codec_lzo_decompress(const void *in, size_t inlen,
					     void *out, size_t outlen)
{
	// lzo_init() only checks the library's build against this caller's
	// types; it keeps no state, so calling it each time is harmless.
	if (lzo_init() != LZO_E_OK)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "liblzo2 failed to initialise");
	lzo_uint n = outlen;
	int rc = lzo1x_decompress_safe(in, inlen, out, &n, NULL);
	if (rc == LZO_E_OUTPUT_OVERRUN)
		return codec_bad(KD_CODEC_LZO, "output longer than a page");
	if (rc != LZO_E_OK)
		return codec_bad(KD_CODEC_LZO, rc == LZO_E_INPUT_OVERRUN ?
				"input is truncated" : "malformed stream");
	return n == outlen ? NULL : codec_wrong_size(KD_CODEC_LZO, n, outlen);
}

static struct kd_error *codec_snappy_decompress(const void *in, size_t inlen,
						void *out, size_t outlen)
{
	size_t n;
	if (snappy_uncompressed_length(in, inlen, &n) != SNAPPY_OK)
		return codec_bad(KD_CODEC_SNAPPY, "malformed length header");
	if (n != outlen)
		return codec_wrong_size(KD_CODEC_SNAPPY, n, outlen);
	if (snappy_uncompress(in, inlen, out, &n) != SNAPPY_OK)
		return codec_bad(KD_CODEC_SNAPPY, "malformed stream");
	return n == outlen ? NULL : codec_wrong_size(KD_CODEC_SNAPPY, n, outlen);
}

static struct kd_error *codec_zstd_decompress(struct kd_codec_state *st,
					      const void *in, size_t inlen,
					      void *out, size_t outlen)
{
	if (!st->zstd_dctx) {
		st->zstd_dctx = ZSTD_createDCtx();
		if (!st->zstd_dctx)
			return &kd_enomem;
	}
	size_t n = ZSTD_decompressDCtx(st->zstd_dctx, out, outlen, in, inlen);
	if (ZSTD_isError(n))
		return codec_bad(KD_CODEC_ZSTD, ZSTD_getErrorName(n));
	return n == outlen ? NULL : codec_wrong_size(KD_CODEC_ZSTD, n, outlen);
}

static struct kd_error *codec_lz4_decompress(const void *in, size_t inlen,
					     void *out, size_t outlen)
{
	if (inlen > INT_MAX || outlen > INT_MAX)
		return codec_bad(KD_CODEC_LZ4, "too large");
	int n = LZ4_decompress_safe(in, out, (int)inlen, (int)outlen);
	if (n < 0)
		return codec_bad(KD_CODEC_LZ4, "malformed block or output longer than a page");
	return (size_t)n == outlen ? NULL : codec_wrong_size(KD_CODEC_LZ4, (size_t)n, outlen);
}

struct kd_error *kd_codec_decompress(struct kd_codec_state *st,
				     enum kd_codec codec, const void *in,
				     size_t inlen, void *out, size_t outlen)
{
	switch (codec) {
	case KD_CODEC_ZLIB:
		return codec_zlib_decompress(in, inlen, out, outlen);
	case KD_CODEC_LZO:
		return codec_lzo_decompress(in, inlen, out, outlen);
	case KD_CODEC_SNAPPY:
		return codec_snappy_decompress(in, inlen, out, outlen);
	case KD_CODEC_ZSTD:
		return codec_zstd_decompress(st, in, inlen, out, outlen);
	case KD_CODEC_LZ4:
		return codec_lz4_decompress(in, inlen, out, outlen);
	}
	return kd_error_create(KD_ERROR_UNSUPPORTED, "unknown codec %d",
			       (int)codec);
}

size_t kd_codec_bound(size_t inlen)
{
	size_t b = compressBound((uLong)inlen);
	size_t z = ZSTD_compressBound(inlen);
	size_t l = (size_t)LZ4_compressBound((int)inlen);
	size_t s = snappy_max_compressed_length(inlen);
	// lzo1x worst case (lzo's documentation): in + in/16 + 64 + 3.
	size_t lz = inlen + inlen / 16 + 64 + 3;
	size_t m = b > z ? b : z;
	m = m > l ? m : l;
	m = m > s ? m : s;
	return m > lz ? m : lz;
}

static struct kd_error *codec_comp_failed(enum kd_codec codec, const char *why)
{
	return kd_error_create(KD_ERROR_UNSUPPORTED, "%s compression failed: %s",
			       kd_codec_name(codec), why);
}

// zlib: makedumpfile's compress2(..., Z_BEST_SPEED), a zlib-wrapped deflate
// stream; one z_stream reset per page saves deflateInit's allocations.
static struct kd_error *codec_zlib_compress(struct kd_codec_state *st,
					    const void *in, size_t inlen, void *out,
					    size_t outcap, size_t *outlen)
{
	z_stream *zs = st->zlib_stream;
	if (!zs) {
		zs = calloc(1, sizeof(*zs));
		if (!zs)
			return &kd_enomem;
		if (deflateInit(zs, codec_level(st, KD_CODEC_ZLIB)) != Z_OK) {
			free(zs);
			return codec_comp_failed(KD_CODEC_ZLIB, "deflateInit");
		}
		st->zlib_stream = zs;
	} else if (deflateReset(zs) != Z_OK) {
		return codec_comp_failed(KD_CODEC_ZLIB, "deflateReset");
	}
	zs->next_in = (Bytef *)(uintptr_t)in;
	zs->avail_in = (uInt)inlen;
	zs->next_out = out;
	zs->avail_out = (uInt)outcap;
	int rc = deflate(zs, Z_FINISH);
	if (rc != Z_STREAM_END)
		return codec_comp_failed(KD_CODEC_ZLIB, zError(rc));
	*outlen = outcap - zs->avail_out;
	return NULL;
}

struct kd_error *kd_codec_compress(struct kd_codec_state *st,
				   enum kd_codec codec, const void *in,
				   size_t inlen, void *out, size_t outcap,
				   size_t *outlen)
{
	if (outcap < kd_codec_bound(inlen) || inlen > INT_MAX)
		return kd_error_create(KD_ERROR_INVALID,
				       "compression buffer too small");
	switch (codec) {
	case KD_CODEC_ZLIB:
		return codec_zlib_compress(st, in, inlen, out, outcap, outlen);
	case KD_CODEC_LZO: {
		if (!st->lzo_wrkmem) {
			if (lzo_init() != LZO_E_OK)
				return codec_comp_failed(codec, "lzo_init");
			st->lzo_wrkmem = malloc(LZO1X_1_MEM_COMPRESS);
			if (!st->lzo_wrkmem)
				return &kd_enomem;
		}
		lzo_uint n = outcap;
		if (lzo1x_1_compress(in, inlen, out, &n, st->lzo_wrkmem) != LZO_E_OK)
			return codec_comp_failed(codec, "lzo1x_1_compress");
		*outlen = n;
		return NULL;
	}
	case KD_CODEC_SNAPPY: {
		size_t n = outcap;
		if (snappy_compress(in, inlen, out, &n) != SNAPPY_OK)
			return codec_comp_failed(codec, "snappy_compress");
		*outlen = n;
		return NULL;
	}
	case KD_CODEC_ZSTD: {
		if (!st->zstd_cctx) {
			st->zstd_cctx = ZSTD_createCCtx();
			if (!st->zstd_cctx)
				return &kd_enomem;
		}
		// Level -1 by default: negative levels store literals raw (no
		// Huffman stage), which on 4 KiB frames is ~30% less CPU than
		// level 1 for 5% (kernel pages, -d 31) to 13% (page cache,
		// -d 1) more bytes, still fewer than makedumpfile's zlib. The
		// machine is down while the capture kernel compresses, so time
		// wins over the last bytes; zstd:1 and up are there for those
		// who want them. Levels below -1 gain no speed on kernel pages
		// (docs/benchmarks.md).
		size_t n = ZSTD_compressCCtx(st->zstd_cctx, out, outcap, in, inlen,
					     codec_level(st, codec));
		if (ZSTD_isError(n))
			return codec_comp_failed(codec, ZSTD_getErrorName(n));
		*outlen = n;
		return NULL;
	}
	case KD_CODEC_LZ4: {
		int n = LZ4_compress_default(in, out, (int)inlen, (int)outcap);
		if (n <= 0)
			return codec_comp_failed(codec, "LZ4_compress_default");
		*outlen = (size_t)n;
		return NULL;
	}
	}
	return kd_error_create(KD_ERROR_UNSUPPORTED, "unknown codec %d",
			       (int)codec);
}

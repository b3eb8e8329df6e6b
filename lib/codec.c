// SPDX-License-Identifier: LGPL-2.1-or-later
// The one place that talks to compression libraries. makedumpfile compresses
// each page on its own: zlib's compress2() (a zlib stream), LZO1X-1,
// snappy's raw format, or a zstd frame (makedumpfile.c, write_kdump_pages*).
#include "codec.h"
#include "internal.h"

#include <limits.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

const char *kd_codec_name(enum kd_codec codec)
{
	switch (codec) {
	case KD_CODEC_ZLIB:
		return "zlib";
	case KD_CODEC_LZO:
		return "lzo";
	case KD_CODEC_SNAPPY:
		return "snappy";
	case KD_CODEC_ZSTD:
		return "zstd";
	}
	return "unknown";
}

void kd_codec_deinit(struct kd_codec_state *st)
{
	ZSTD_freeDCtx(st->zstd_dctx);
	st->zstd_dctx = NULL;
}

static struct kd_error *bad(enum kd_codec codec, const char *why)
{
	return kd_error_create(KD_ERROR_CORRUPT, "bad %s data: %s",
			       kd_codec_name(codec), why);
}

static struct kd_error *wrong_size(enum kd_codec codec, size_t got,
				   size_t want)
{
	return kd_error_create(KD_ERROR_CORRUPT,
		"bad %s data: decompresses to %zu bytes instead of %zu",
		kd_codec_name(codec), got, want);
}

static struct kd_error *zlib_decompress(const void *in, size_t inlen,
					void *out, size_t outlen)
{
	if (inlen > ULONG_MAX || outlen > ULONG_MAX)
		return bad(KD_CODEC_ZLIB, "too large");
	uLongf n = (uLongf)outlen;
	int rc = uncompress(out, &n, in, (uLong)inlen);
	if (rc == Z_MEM_ERROR)
		return &kd_enomem;
	if (rc == Z_BUF_ERROR && n == outlen)
		return bad(KD_CODEC_ZLIB, "output longer than a page, or truncated");
	if (rc != Z_OK)
		return bad(KD_CODEC_ZLIB, zError(rc));
	return n == outlen ? NULL : wrong_size(KD_CODEC_ZLIB, n, outlen);
}

static struct kd_error *lzo_decompress(const void *in, size_t inlen,
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
		return bad(KD_CODEC_LZO, "output longer than a page");
	if (rc != LZO_E_OK)
		return bad(KD_CODEC_LZO, rc == LZO_E_INPUT_OVERRUN ?
				"input is truncated" : "malformed stream");
	return n == outlen ? NULL : wrong_size(KD_CODEC_LZO, n, outlen);
}

static struct kd_error *snappy_decompress(const void *in, size_t inlen,
					  void *out, size_t outlen)
{
	size_t n;
	if (snappy_uncompressed_length(in, inlen, &n) != SNAPPY_OK)
		return bad(KD_CODEC_SNAPPY, "malformed length header");
	if (n != outlen)
		return wrong_size(KD_CODEC_SNAPPY, n, outlen);
	if (snappy_uncompress(in, inlen, out, &n) != SNAPPY_OK)
		return bad(KD_CODEC_SNAPPY, "malformed stream");
	return n == outlen ? NULL : wrong_size(KD_CODEC_SNAPPY, n, outlen);
}

static struct kd_error *zstd_decompress(struct kd_codec_state *st,
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
		return bad(KD_CODEC_ZSTD, ZSTD_getErrorName(n));
	return n == outlen ? NULL : wrong_size(KD_CODEC_ZSTD, n, outlen);
}

struct kd_error *kd_codec_decompress(struct kd_codec_state *st,
				     enum kd_codec codec, const void *in,
				     size_t inlen, void *out, size_t outlen)
{
	switch (codec) {
	case KD_CODEC_ZLIB:
		return zlib_decompress(in, inlen, out, outlen);
	case KD_CODEC_LZO:
		return lzo_decompress(in, inlen, out, outlen);
	case KD_CODEC_SNAPPY:
		return snappy_decompress(in, inlen, out, outlen);
	case KD_CODEC_ZSTD:
		return zstd_decompress(st, in, inlen, out, outlen);
	}
	return kd_error_create(KD_ERROR_UNSUPPORTED, "unknown codec %d",
			       (int)codec);
}

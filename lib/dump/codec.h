/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Page compression for the kdump-compressed format, one library per codec
 * (zlib, liblzo2, libsnappy, libzstd, liblz4), all behind codec.c. */
#ifndef KEXDUMP_CODEC_H
#define KEXDUMP_CODEC_H

#include <kexdump/kexdump.h>

/* The codecs makedumpfile can write (diskdump_mod.h DUMP_DH_COMPRESSED_*). */
enum kd_codec {
	KD_CODEC_ZLIB,
	KD_CODEC_LZO,
	KD_CODEC_SNAPPY,
	KD_CODEC_ZSTD,
	KD_CODEC_LZ4,		/* kexdump's own: crash and makedumpfile lack it */
};

/* Reusable (de)compression state, one per thread; zero-initialise. */
struct kd_codec_state {
	void *zstd_dctx;
	void *zstd_cctx;
	void *zlib_stream;	/* a deflate z_stream, reset per page */
	void *lzo_wrkmem;
	int level;		/* zstd or zlib level; 0 = the codec's default here */
};

void kd_codec_deinit(struct kd_codec_state *st);
const char *kd_codec_name(enum kd_codec codec);

/*
 * Decompress @p in into exactly @p outlen bytes at @p out. Anything else
 * (bad data, a shorter or longer result) is a KD_ERROR_CORRUPT error whose
 * message names the codec; callers prefix where the data came from.
 */
struct kd_error *kd_codec_decompress(struct kd_codec_state *st,
				     enum kd_codec codec, const void *in,
				     size_t inlen, void *out, size_t outlen);

/* The most bytes compressing @p inlen bytes can produce with any codec. */
size_t kd_codec_bound(size_t inlen);

/*
 * Compress @p in (one page) into @p out of @p outcap >= kd_codec_bound()
 * bytes the way makedumpfile does for its format (zlib level 1 stream,
 * LZO1X-1, raw snappy, zstd frame level 1) or LZ4 block format. *outlen is
 * the result's size; callers store the page raw when it is not smaller.
 */
struct kd_error *kd_codec_compress(struct kd_codec_state *st,
				   enum kd_codec codec, const void *in,
				   size_t inlen, void *out, size_t outcap,
				   size_t *outlen);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Page decompression for the kdump-compressed format, one library per codec
 * (zlib, liblzo2, libsnappy, libzstd), all behind codec.c. */
#ifndef KEXDUMP_CODEC_H
#define KEXDUMP_CODEC_H

#include <kexdump/kexdump.h>

/* The codecs makedumpfile can write (diskdump_mod.h DUMP_DH_COMPRESSED_*). */
enum kd_codec {
	KD_CODEC_ZLIB,
	KD_CODEC_LZO,
	KD_CODEC_SNAPPY,
	KD_CODEC_ZSTD,
};

/* Reusable decompression state (the zstd context); zero-initialise. */
struct kd_codec_state {
	void *zstd_dctx;
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

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Page compression for the kdump-compressed format, one library per codec
 * (zlib, liblzo2, libsnappy, libzstd, liblz4), all behind codec.c. */
#ifndef KEXDUMP_CODEC_H
#define KEXDUMP_CODEC_H

#include <kexdump/dump.h>

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
/* The codec's name ("zstd"), or "unknown". */
const char *kd_codec_name(enum kd_codec codec);

/*
 * The one table of codecs (codec.c): one row per name kd_save_fd() takes,
 * tying together the public enum kd_save_codec, the codec that compresses
 * pages, the kdump-compressed flag that marks them (kdump-layout.h) and
 * the levels. "none" and "auto" have rows too, without a codec.
 */
struct kd_codec_info {
	const char *name;	/* as the command line, kexdump.conf and summaries spell it */
	enum kd_save_codec save;
	bool compresses;	/* false for "none" and "auto" */
	enum kd_codec codec;	/* when compresses */
	uint32_t flag;		/* DUMP_DH_COMPRESSED_* of its pages; 0 without a codec */
	int level_min, level_max;	/* CODEC:LEVEL range, 0 excluded; 0, 0: no levels */
	int level_default;	/* what level 0 ("ours") compresses with */
};

extern const struct kd_codec_info kd_codecs[];
extern const size_t kd_ncodecs;

/* The row of @p save, of @p codec, of the name text[0, len); NULL if none. */
const struct kd_codec_info *kd_codec_by_save(enum kd_save_codec save);
const struct kd_codec_info *kd_codec_by_codec(enum kd_codec codec);
const struct kd_codec_info *kd_codec_by_name(const char *text, size_t len);
/* The row of a page stored with page_desc.flags (or a header status)
 * @p flags: the codec whose bit is set, "none" when no codec bit is, NULL
 * when several are. Other bits (DUMP_DH_COMPRESSED_INCOMPLETE) are
 * ignored. */
const struct kd_codec_info *kd_codec_by_flags(uint32_t flags);
/* Whether @p level is one @p ci takes; 0 (its default) always is. */
bool kd_codec_level_ok(const struct kd_codec_info *ci, int level);

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
 * bytes the way makedumpfile does for its format (a zlib stream, LZO1X-1,
 * raw snappy, a zstd frame) or LZ4 block format, at @p st->level or, when
 * that is 0, the codec's level_default (zlib 1, as makedumpfile; zstd -1,
 * not makedumpfile's 1: see codec.c). *outlen is the result's size;
 * callers store the page raw when it is not smaller.
 */
struct kd_error *kd_codec_compress(struct kd_codec_state *st,
				   enum kd_codec codec, const void *in,
				   size_t inlen, void *out, size_t outcap,
				   size_t *outlen);

#endif

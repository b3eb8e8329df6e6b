// SPDX-License-Identifier: LGPL-2.1-or-later
// The names of kd_save_fd()'s formats and codecs, shared by the command
// line, /etc/kexdump.conf and the capture summary, and the one check of a
// codec level.
#include "save/save.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const codec_names[] = {
	[KD_SAVE_ZSTD] = "zstd", [KD_SAVE_LZ4] = "lz4", [KD_SAVE_ZLIB] = "zlib",
	[KD_SAVE_LZO] = "lzo", [KD_SAVE_SNAPPY] = "snappy", [KD_SAVE_NONE] = "none",
	[KD_SAVE_AUTO] = "auto",
};
static const char *const format_names[] = {
	[KD_SAVE_KDUMP] = "kdump", [KD_SAVE_ELF] = "elf", [KD_SAVE_FLAT] = "flat",
};

KD_EXPORT const char *kd_save_codec_name(enum kd_save_codec codec)
{
	return (unsigned int)codec < KD_ARRAY_SIZE(codec_names) ?
	       codec_names[codec] : NULL;
}

KD_EXPORT const char *kd_save_format_name(enum kd_save_format format)
{
	return (unsigned int)format < KD_ARRAY_SIZE(format_names) ?
	       format_names[format] : NULL;
}

KD_EXPORT struct kd_error *kd_save_check_level(enum kd_save_codec codec, int level)
{
	// zstd's negative levels are its "fast" ones (no Huffman literals);
	// 0 would mean zstd's own default (3), so it is kept for "ours".
	if (!level || (codec == KD_SAVE_ZSTD && level >= -7 && level <= 19) ||
	    (codec == KD_SAVE_ZLIB && level >= 1 && level <= 9))
		return NULL;
	return kd_error_create(KD_ERROR_INVALID,
		"compression level %d is not valid for %s (zstd: -7..-1 or 1..19, zlib: 1..9, others: none)",
		level, kd_save_codec_name(codec) ? kd_save_codec_name(codec) : "?");
}

KD_EXPORT struct kd_error *kd_save_parse_codec(const char *text,
					       enum kd_save_codec *codec,
					       int *level)
{
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	for (size_t i = 0; i < KD_ARRAY_SIZE(codec_names); i++) {
		if (strlen(codec_names[i]) != n || strncmp(codec_names[i], text, n))
			continue;
		int l = 0;
		if (colon) {
			char *end;
			errno = 0;
			long v = strtol(colon + 1, &end, 10);
			if (!colon[1] || *end || errno || v < -99 || v > 99 || !v)
				return kd_error_create(KD_ERROR_INVALID,
					"bad level in '%s' (zstd:-7..-1 or 1..19, zlib:1..9)", text);
			l = (int)v;
		}
		struct kd_error *err = kd_save_check_level((enum kd_save_codec)i, l);
		if (err)
			return kd_error_prefix(err, "'%s'", text);
		*codec = (enum kd_save_codec)i;
		*level = l;
		return NULL;
	}
	return kd_error_create(KD_ERROR_INVALID,
		"unknown compression '%s' (auto, zstd, lz4, zlib, lzo, snappy, none; zstd and zlib take :LEVEL)",
		text);
}

KD_EXPORT struct kd_error *kd_save_parse_format(const char *text,
						enum kd_save_format *format)
{
	for (size_t i = 0; i < KD_ARRAY_SIZE(format_names); i++)
		if (!strcmp(format_names[i], text)) {
			*format = (enum kd_save_format)i;
			return NULL;
		}
	return kd_error_create(KD_ERROR_INVALID,
			       "unknown format '%s' (kdump, elf, flat)", text);
}

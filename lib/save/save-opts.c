// SPDX-License-Identifier: LGPL-2.1-or-later
// The names of kd_save_fd()'s formats and codecs, shared by the command
// line, /etc/kexdump.conf and the capture summary, and the one check of a
// codec level. The codecs themselves are the table in dump/codec.c.
#include "save/save.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const save_opts_format_names[] = {
	[KD_SAVE_KDUMP] = "kdump", [KD_SAVE_ELF] = "elf", [KD_SAVE_FLAT] = "flat",
};

KD_EXPORT const char *kd_save_codec_name(enum kd_save_codec codec)
{
	const struct kd_codec_info *ci = kd_codec_by_save(codec);
	return ci ? ci->name : NULL;
}

KD_EXPORT const char *kd_save_format_name(enum kd_save_format format)
{
	return (unsigned int)format < KD_ARRAY_SIZE(save_opts_format_names) ?
	       save_opts_format_names[format] : NULL;
}

// printf to the end of the string in @p buf (of @p size), truncating.
__attribute__((format(printf, 3, 4)))
static void save_opts_append(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

// From the codec table, for messages: "zstd: -7..-1 or 1..19, zlib: 1..9".
static void save_opts_levels(char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < kd_ncodecs; i++) {
		const struct kd_codec_info *ci = &kd_codecs[i];
		if (!ci->level_max)
			continue;
		save_opts_append(buf, size, "%s%s: ", buf[0] ? ", " : "", ci->name);
		if (ci->level_min < 0)
			save_opts_append(buf, size, "%d..-1 or 1..%d",
					 ci->level_min, ci->level_max);
		else
			save_opts_append(buf, size, "%d..%d", ci->level_min,
					 ci->level_max);
	}
}

// "auto, zstd, lz4, zlib, lzo, snappy, none", or with @p leveled those
// that take a level: "zstd and zlib".
static void save_opts_names(char *buf, size_t size, bool leveled)
{
	size_t total = 0, seen = 0;
	for (size_t i = 0; i < kd_ncodecs; i++)
		total += !leveled || kd_codecs[i].level_max;
	buf[0] = '\0';
	for (size_t i = 0; i < kd_ncodecs; i++) {
		if (leveled && !kd_codecs[i].level_max)
			continue;
		seen++;
		save_opts_append(buf, size, "%s%s",
				 seen == 1 ? "" :
				 leveled && seen == total ? " and " : ", ",
				 kd_codecs[i].name);
	}
}

KD_EXPORT struct kd_error *kd_save_check_level(enum kd_save_codec codec, int level)
{
	const struct kd_codec_info *ci = kd_codec_by_save(codec);
	if (!ci)
		return kd_error_create(KD_ERROR_INVALID,
				       "unknown compression %d", (int)codec);
	if (kd_codec_level_ok(ci, level))
		return NULL;
	char levels[128];
	save_opts_levels(levels, sizeof(levels));
	return kd_error_create(KD_ERROR_INVALID,
		"compression level %d is not valid for %s (%s, others: none)",
		level, ci->name, levels);
}

KD_EXPORT struct kd_error *kd_save_parse_codec(const char *text,
					       enum kd_save_codec *codec,
					       int *level)
{
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	const struct kd_codec_info *ci = kd_codec_by_name(text, n);
	if (!ci) {
		char names[128], leveled[64];
		save_opts_names(names, sizeof(names), false);
		save_opts_names(leveled, sizeof(leveled), true);
		return kd_error_create(KD_ERROR_INVALID,
			"unknown compression '%s' (%s; %s take :LEVEL)", text,
			names, leveled);
	}
	int l = 0;
	if (colon) {
		char *end;
		errno = 0;
		long v = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || v < -99 || v > 99 || !v) {
			char levels[128];
			save_opts_levels(levels, sizeof(levels));
			return kd_error_create(KD_ERROR_INVALID,
				"bad level in '%s' (%s)", text, levels);
		}
		l = (int)v;
	}
	struct kd_error *err = kd_save_check_level(ci->save, l);
	if (err)
		return kd_error_prefix(err, "'%s'", text);
	*codec = ci->save;
	*level = l;
	return NULL;
}

KD_EXPORT struct kd_error *kd_save_parse_format(const char *text,
						enum kd_save_format *format)
{
	for (size_t i = 0; i < KD_ARRAY_SIZE(save_opts_format_names); i++)
		if (!strcmp(save_opts_format_names[i], text)) {
			*format = (enum kd_save_format)i;
			return NULL;
		}
	return kd_error_create(KD_ERROR_INVALID,
			       "unknown format '%s' (kdump, elf, flat)", text);
}

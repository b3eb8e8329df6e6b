// SPDX-License-Identifier: LGPL-2.1-or-later
// The codec table (lib/dump/codec.c): every codec round-trips through it,
// the kdump flags are makedumpfile's (diskdump_mod.h), the public names and
// levels come from it, and every codec compresses and decompresses a page.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dump/codec.h"
#include <kexdump/save.h>
#include "dump/kdump-layout.h"

// name -> row -> public enum -> row -> flag -> row -> codec -> row -> name,
// and the public API agrees at each step.
static void test_round_trip(void **state)
{
	(void)state;
	assert_int_equal(kd_ncodecs, KD_SAVE_AUTO + 1);
	for (size_t i = 0; i < kd_ncodecs; i++) {
		const struct kd_codec_info *ci = &kd_codecs[i];
		const struct kd_codec_info *by_name =
			kd_codec_by_name(ci->name, strlen(ci->name));
		assert_ptr_equal(by_name, ci);
		assert_ptr_equal(kd_codec_by_save(by_name->save), ci);
		assert_string_equal(kd_save_codec_name(ci->save), ci->name);
		enum kd_save_codec save = KD_SAVE_NONE;
		int level = 99;
		assert_null(kd_save_parse_codec(ci->name, &save, &level));
		assert_int_equal(save, ci->save);
		assert_int_equal(level, 0);
		if (!ci->compresses) {
			// "none" and "auto" mark no page: no flag.
			assert_int_equal(ci->flag, 0);
			continue;
		}
		assert_ptr_equal(kd_codec_by_flags(ci->flag), ci);
		// Other status bits do not change the codec.
		assert_ptr_equal(kd_codec_by_flags(ci->flag |
						   DUMP_DH_COMPRESSED_INCOMPLETE), ci);
		assert_ptr_equal(kd_codec_by_codec(ci->codec), ci);
		assert_string_equal(kd_codec_name(ci->codec), ci->name);
		// Names and flags are unique.
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(kd_codecs[j].name, ci->name);
			assert_int_not_equal(kd_codecs[j].flag, ci->flag);
		}
	}
	// Each public value has its row.
	for (int c = KD_SAVE_ZSTD; c <= KD_SAVE_AUTO; c++)
		assert_non_null(kd_codec_by_save((enum kd_save_codec)c));
	assert_null(kd_codec_by_save((enum kd_save_codec)(KD_SAVE_AUTO + 1)));
	assert_null(kd_save_codec_name((enum kd_save_codec)(KD_SAVE_AUTO + 1)));
	assert_null(kd_codec_by_name("zst", 3));
	assert_string_equal(kd_codec_name((enum kd_codec)99), "unknown");
}

// The flags are what makedumpfile and crash read (diskdump_mod.h), and LZ4
// keeps clear of makedumpfile's DUMP_DH_EXCLUDED_VMEMMAP (0x10).
static void test_flags(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum kd_codec codec;
		uint32_t flag;
	} want[] = {
		{ "zlib", KD_CODEC_ZLIB, 0x1 },
		{ "lzo", KD_CODEC_LZO, 0x2 },
		{ "snappy", KD_CODEC_SNAPPY, 0x4 },
		{ "zstd", KD_CODEC_ZSTD, 0x20 },
		{ "lz4", KD_CODEC_LZ4, 0x80 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct kd_codec_info *ci =
			kd_codec_by_name(want[i].name, strlen(want[i].name));
		assert_non_null(ci);
		assert_true(ci->compresses);
		assert_int_equal(ci->codec, want[i].codec);
		assert_int_equal(ci->flag, want[i].flag);
	}
	// No codec bit: stored raw ("none"); two: nothing.
	const struct kd_codec_info *none = kd_codec_by_flags(0);
	assert_non_null(none);
	assert_string_equal(none->name, "none");
	assert_ptr_equal(kd_codec_by_flags(DUMP_DH_COMPRESSED_INCOMPLETE | 0x10), none);
	assert_null(kd_codec_by_flags(DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_ZSTD));
	assert_null(kd_codec_by_flags(0xff));
}

// Levels: zstd -7..-1 and 1..19 (default -1), zlib 1..9 (default 1,
// makedumpfile's Z_BEST_SPEED), none for the others; 0 always means ours.
static void test_levels(void **state)
{
	(void)state;
	const struct kd_codec_info *zstd = kd_codec_by_save(KD_SAVE_ZSTD);
	const struct kd_codec_info *zlib = kd_codec_by_save(KD_SAVE_ZLIB);
	assert_int_equal(zstd->level_default, -1);
	assert_int_equal(zlib->level_default, 1);
	static const struct {
		enum kd_save_codec codec;
		int level;
		bool ok;
	} cases[] = {
		{ KD_SAVE_ZSTD, -8, false }, { KD_SAVE_ZSTD, -7, true },
		{ KD_SAVE_ZSTD, 0, true }, { KD_SAVE_ZSTD, 19, true },
		{ KD_SAVE_ZSTD, 20, false }, { KD_SAVE_ZLIB, -1, false },
		{ KD_SAVE_ZLIB, 1, true }, { KD_SAVE_ZLIB, 9, true },
		{ KD_SAVE_ZLIB, 10, false }, { KD_SAVE_LZO, 1, false },
		{ KD_SAVE_LZ4, 0, true }, { KD_SAVE_NONE, 3, false },
		{ KD_SAVE_AUTO, 0, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kd_error *err = kd_save_check_level(cases[i].codec,
							   cases[i].level);
		assert_int_equal(kd_codec_level_ok(kd_codec_by_save(cases[i].codec),
						   cases[i].level), cases[i].ok);
		if (cases[i].ok) {
			assert_null(err);
			continue;
		}
		assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
		assert_non_null(strstr(kd_error_message(err),
			"(zstd: -7..-1 or 1..19, zlib: 1..9, others: none)"));
		kd_error_destroy(err);
	}
	struct kd_error *err = kd_save_check_level((enum kd_save_codec)42, 0);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	enum kd_save_codec c;
	int l;
	assert_null(kd_save_parse_codec("zstd:-7", &c, &l));
	assert_int_equal(c, KD_SAVE_ZSTD);
	assert_int_equal(l, -7);
	err = kd_save_parse_codec("gzip", &c, &l);
	assert_string_equal(kd_error_message(err),
		"unknown compression 'gzip' (auto, zstd, lz4, zlib, lzo, snappy, none; zstd and zlib take :LEVEL)");
	kd_error_destroy(err);
	err = kd_save_parse_codec("zlib:x", &c, &l);
	assert_string_equal(kd_error_message(err),
		"bad level in 'zlib:x' (zstd: -7..-1 or 1..19, zlib: 1..9)");
	kd_error_destroy(err);
}

// Every codec, at its default and its extreme levels, gives back the page.
static void test_compress(void **state)
{
	(void)state;
	uint8_t page[4096], back[4096];
	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i % 251 < 100 ? 0 : i * 7);
	size_t cap = kd_codec_bound(sizeof(page));
	uint8_t *out = malloc(cap);
	assert_non_null(out);
	for (size_t i = 0; i < kd_ncodecs; i++) {
		const struct kd_codec_info *ci = &kd_codecs[i];
		if (!ci->compresses)
			continue;
		const int levels[] = { 0, ci->level_min, ci->level_max };
		for (size_t j = 0; j < 3; j++) {
			struct kd_codec_state st = { .level = levels[j] };
			size_t n = 0;
			assert_null(kd_codec_compress(&st, ci->codec, page,
						      sizeof(page), out, cap, &n));
			assert_true(n > 0 && n < sizeof(page));
			memset(back, 0xaa, sizeof(back));
			assert_null(kd_codec_decompress(&st, ci->codec, out, n,
							back, sizeof(back)));
			assert_memory_equal(back, page, sizeof(page));
			kd_codec_deinit(&st);
		}
	}
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_compress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// BTF look-ups (lib/kernel/btf.c) on a small blob written here with
// libbpf's BTF writer: nested and anonymous members, arrays, typedefs and
// modifiers, bitfields (refused), enums; the blob in a synthetic dump found
// through __start_BTF/__stop_BTF; damaged blobs (every truncation, every
// byte flipped, typedef cycles, self-nesting anonymous members) give
// errors, never a crash or a hang.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "synth.h"

/*
 * The types, as C:
 *   struct thread_struct { unsigned long sp; unsigned long fsbase; };
 *   typedef struct thread_struct thread_t;
 *   struct mod_layout { unsigned long base; unsigned int size; };   // 16
 *   struct task {
 *           int pid;                              // 0
 *           int flags : 3;                        // 32 bits
 *           union { int state; unsigned long pad; };   // 8
 *           char comm[16];                        // 16
 *           const thread_t thread;                // 32
 *           struct mod_layout mem[3];             // 48
 *           struct { struct { long deep; }; };    // 96
 *           void *stack;                          // 104
 *   };                                            // 112
 *   enum zone_stat_item { NR_FREE_PAGES, NR_ZONE_LRU_BASE };
 *   enum { ANON_X = 7 };
 *   enum big : u64 { BIG = 1ull << 40 };
 *   struct task runqueues;   (a per-CPU VAR)
 */
static uint8_t *blob;
static uint32_t blob_len;

static uint8_t *make_blob(uint32_t *len_ret)
{
	struct btf *b = btf__new_empty();
	assert_non_null(b);
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int u64 = btf__add_int(b, "unsigned long", 8, 0);
	int u32 = btf__add_int(b, "unsigned int", 4, 0);
	int ch = btf__add_int(b, "char", 1, BTF_INT_CHAR);
	int vptr = btf__add_ptr(b, 0);
	int comm = btf__add_array(b, i32, ch, 16);
	int ts = btf__add_struct(b, "thread_struct", 16);
	btf__add_field(b, "sp", u64, 0, 0);
	btf__add_field(b, "fsbase", u64, 64, 0);
	int td = btf__add_typedef(b, "thread_t", ts);
	int ctd = btf__add_const(b, td);
	int ml = btf__add_struct(b, "mod_layout", 16);
	btf__add_field(b, "base", u64, 0, 0);
	btf__add_field(b, "size", u32, 64, 0);
	int mem = btf__add_array(b, i32, ml, 3);
	int au = btf__add_union(b, NULL, 8);
	btf__add_field(b, "state", i32, 0, 0);
	btf__add_field(b, "pad", u64, 0, 0);
	int deep_in = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "deep", u64, 0, 0);
	int deep_out = btf__add_struct(b, NULL, 8);
	btf__add_field(b, NULL, deep_in, 0, 0);
	int task = btf__add_struct(b, "task", 112);
	btf__add_field(b, "pid", i32, 0, 0);
	btf__add_field(b, "flags", i32, 32, 3);
	btf__add_field(b, NULL, au, 64, 0);
	btf__add_field(b, "comm", comm, 128, 0);
	btf__add_field(b, "thread", ctd, 256, 0);
	btf__add_field(b, "mem", mem, 384, 0);
	btf__add_field(b, NULL, deep_out, 768, 0);
	btf__add_field(b, "stack", vptr, 832, 0);
	btf__add_enum(b, "zone_stat_item", 4);
	btf__add_enum_value(b, "NR_FREE_PAGES", 0);
	btf__add_enum_value(b, "NR_ZONE_LRU_BASE", 1);
	btf__add_enum(b, NULL, 4);
	btf__add_enum_value(b, "ANON_X", 7);
	btf__add_enum64(b, "big", 8, false);
	btf__add_enum64_value(b, "BIG", 1ull << 40);
	// A forward declaration of "task" after the real one: look-ups take
	// the one with members.
	btf__add_fwd(b, "task", BTF_FWD_STRUCT);
	int var = btf__add_var(b, "runqueues", BTF_VAR_GLOBAL_ALLOCATED, task);
	assert_true(var > 0);
	uint32_t len;
	const void *raw = btf__raw_data(b, &len);
	assert_non_null(raw);
	uint8_t *copy = malloc(len);
	memcpy(copy, raw, len);
	btf__free(b);
	*len_ret = len;
	return copy;
}

static int setup(void **state)
{
	(void)state;
	blob = make_blob(&blob_len);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(blob);
	return 0;
}

static struct kd_btf *parse_ok(void)
{
	struct kd_btf *kb = NULL;
	struct kd_error *err = kd_btf_parse(blob, blob_len, &kb);
	if (err)
		fail_msg("%s", kd_error_message(err));
	return kb;
}

static void check_field(const struct kd_btf *kb, const char *type, const char *path,
			uint64_t offset, uint64_t size, enum kd_btf_kind kind)
{
	struct kd_btf_field f;
	struct kd_error *err = kd_btf_lookup_field(kb, type, path, &f);
	if (err)
		fail_msg("%s.%s: %s", type, path, kd_error_message(err));
	assert_int_equal(f.offset, offset);
	assert_int_equal(f.size, size);
	assert_int_equal(f.kind, kind);
}

static void check_error(const struct kd_btf *kb, const char *type, const char *path,
			enum kd_error_code code, const char *needle)
{
	struct kd_btf_field f;
	struct kd_error *err = kd_btf_lookup_field(kb, type, path, &f);
	if (!err)
		fail_msg("%s.%s: found at %llu", type, path, (unsigned long long)f.offset);
	if (kd_error_code(err) != code || !strstr(kd_error_message(err), needle))
		fail_msg("%s.%s: code %d: %s", type, path, kd_error_code(err), kd_error_message(err));
	kd_error_destroy(err);
}

static void test_members(void **state)
{
	(void)state;
	struct kd_btf *kb = parse_ok();
	check_field(kb, "task", "pid", 0, 4, KD_BTF_INTEGER);
	check_field(kb, "struct task", "pid", 0, 4, KD_BTF_INTEGER);
	// Anonymous union, then an anonymous struct in an anonymous struct.
	check_field(kb, "task", "state", 8, 4, KD_BTF_INTEGER);
	check_field(kb, "task", "pad", 8, 8, KD_BTF_INTEGER);
	check_field(kb, "task", "deep", 96, 8, KD_BTF_INTEGER);
	check_field(kb, "task", "comm", 16, 16, KD_BTF_ARRAY);
	// Through const and a typedef.
	check_field(kb, "task", "thread", 32, 16, KD_BTF_COMPOSITE);
	check_field(kb, "task", "thread.sp", 32, 8, KD_BTF_INTEGER);
	check_field(kb, "task", "thread.fsbase", 40, 8, KD_BTF_INTEGER);
	check_field(kb, "thread_t", "fsbase", 8, 8, KD_BTF_INTEGER);
	// Arrays.
	check_field(kb, "task", "mem", 48, 48, KD_BTF_ARRAY);
	check_field(kb, "task", "mem[0].base", 48, 8, KD_BTF_INTEGER);
	check_field(kb, "task", "mem[2].size", 48 + 32 + 8, 4, KD_BTF_INTEGER);
	check_field(kb, "task", "comm[3]", 19, 1, KD_BTF_INTEGER);
	check_field(kb, "task", "stack", 104, 8, KD_BTF_POINTER);
	struct kd_btf_field f;
	assert_null(kd_btf_lookup_field(kb, "task", "mem", &f));
	assert_int_equal(f.count, 3);
	assert_null(kd_btf_lookup_field(kb, "task", "pid", &f));
	assert_true(f.is_signed);
	assert_null(kd_btf_lookup_field(kb, "task", "thread.sp", &f));
	assert_false(f.is_signed);

	uint64_t size;
	assert_null(kd_btf_lookup_size(kb, "task", &size));
	assert_int_equal(size, 112);
	assert_null(kd_btf_lookup_size(kb, "thread_t", &size));
	assert_int_equal(size, 16);
	assert_null(kd_btf_lookup_size(kb, "mod_layout", &size));
	assert_int_equal(size, 16);

	// Refusals, each with its code.
	check_error(kb, "task", "flags", KD_ERROR_UNSUPPORTED, "is a bitfield");
	check_error(kb, "task", "nope", KD_ERROR_NOTFOUND, "BTF has no member task.nope");
	check_error(kb, "task", "thread.nope", KD_ERROR_NOTFOUND, "task.thread.nope");
	check_error(kb, "nosuch", "pid", KD_ERROR_NOTFOUND, "BTF has no type nosuch");
	check_error(kb, "task", "pid.x", KD_ERROR_NOTFOUND, "is not in a struct");
	check_error(kb, "task", "mem[3].base", KD_ERROR_INVALID, "past the array's 3 elements");
	check_error(kb, "task", "mem[x]", KD_ERROR_INVALID, "bad index");
	check_error(kb, "task", "pid[0]", KD_ERROR_INVALID, "not an array");
	check_error(kb, "task", "thread..sp", KD_ERROR_NOTFOUND, "not in a struct");
	check_error(kb, "task", "thread]", KD_ERROR_INVALID, "bad member path");
	check_error(kb, "union task", "pid", KD_ERROR_NOTFOUND, "no type");
	kd_btf_destroy(kb);
}

static void test_enums(void **state)
{
	(void)state;
	struct kd_btf *kb = parse_ok();
	int64_t v = -1;
	assert_null(kd_btf_lookup_enum(kb, "zone_stat_item", "NR_FREE_PAGES", &v));
	assert_int_equal(v, 0);
	assert_null(kd_btf_lookup_enum(kb, "enum zone_stat_item", "NR_ZONE_LRU_BASE", &v));
	assert_int_equal(v, 1);
	assert_null(kd_btf_lookup_enum(kb, NULL, "ANON_X", &v));
	assert_int_equal(v, 7);
	assert_null(kd_btf_lookup_enum(kb, "big", "BIG", &v));
	assert_int_equal(v, 1ll << 40);
	struct kd_error *err = kd_btf_lookup_enum(kb, "zone_stat_item", "ANON_X", &v);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	err = kd_btf_lookup_enum(kb, "nosuch", "X", &v);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	err = kd_btf_lookup_enum(kb, NULL, "NOSUCH", &v);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	kd_btf_destroy(kb);
}

// The blob in a synthetic dump at physical 0x2000, named by a System.map.
static struct synth_fixture open_dump(const char *map_text, char **map_path)
{
	static uint8_t mem[0x10000];
	memset(mem, 0, sizeof(mem));
	assert_true(blob_len < 0x8000);
	memcpy(mem + 0x2000, blob, blob_len);
	// A "task" at 0x1000: pid -5, comm "init", thread.sp, mem[1].size.
	synth_put32(mem + 0x1000, (uint32_t)-5);
	memcpy(mem + 0x1000 + 16, "init", 5);
	synth_put64(mem + 0x1000 + 32, 0xffffc90000123f00ull);
	synth_put32(mem + 0x1000 + 48 + 16 + 8, 4096);
	struct synth *s = synth_new();
	synth_vmcoreinfo(s, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nNUMBER(phys_base)=0\n");
	synth_load(s, 0, 0, mem, sizeof(mem));
	struct synth_fixture f = { .path = synth_write(s) };
	synth_free(s);
	*map_path = synth_write_bytes(map_text, strlen(map_text));
	struct kd_kernel_options opts = { .system_map = *map_path };
	assert_null(kd_dump_open(f.path, &f.dump));
	assert_null(kd_kernel_open(f.dump, &opts, &f.kernel));
	return f;
}

static void test_from_dump(void **state)
{
	(void)state;
	char map[256], *map_path;
	snprintf(map, sizeof(map), "%llx R __start_BTF\n%llx R __stop_BTF\n%llx D init_task\n",
		 (unsigned long long)SYNTH_KVA(0x2000),
		 (unsigned long long)SYNTH_KVA(0x2000 + blob_len),
		 (unsigned long long)SYNTH_KVA(0x1000));
	struct synth_fixture f = open_dump(map, &map_path);
	assert_null(kd_btf_load(f.kernel));
	assert_int_equal(kd_btf_num_types(f.kernel), 20);
	uint64_t off, v;
	assert_null(kd_btf_member(f.kernel, "task", "thread.sp", &off));
	assert_int_equal(off, 32);
	assert_null(kd_btf_type_size(f.kernel, "task", &v));
	assert_int_equal(v, 112);
	int64_t e;
	assert_null(kd_btf_enum_value(f.kernel, "big", "BIG", &e));
	assert_int_equal(e, 1ll << 40);
	char type[32];
	assert_null(kd_btf_var_type(f.kernel, "runqueues", type, sizeof(type), &v));
	assert_string_equal(type, "struct task");
	assert_int_equal(v, 112);
	// Reads through the field: sign-extended int, u64, u32 in an array.
	assert_null(kd_btf_read(f.kernel, SYNTH_KVA(0x1000), "task", "pid", &v));
	assert_int_equal((int64_t)v, -5);
	assert_null(kd_btf_read(f.kernel, SYNTH_KVA(0x1000), "task", "thread.sp", &v));
	assert_int_equal(v, 0xffffc90000123f00ull);
	assert_null(kd_btf_read(f.kernel, SYNTH_KVA(0x1000), "task", "mem[1].size", &v));
	assert_int_equal(v, 4096);
	struct kd_error *err = kd_btf_read(f.kernel, SYNTH_KVA(0x1000), "task", "comm", &v);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
	// Errors name the dump.
	err = kd_btf_member(f.kernel, "task", "nope", &off);
	assert_non_null(strstr(kd_error_message(err), f.path));
	kd_error_destroy(err);
	err = kd_btf_var_type(f.kernel, "nope", NULL, 0, NULL);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	synth_fixture_close(&f);
	unlink(map_path);
	free(map_path);
}

static void expect_no_btf(const char *map, enum kd_error_code code, const char *why)
{
	char *map_path;
	struct synth_fixture f = open_dump(map, &map_path);
	// The same one-line error on every call, with its code.
	for (int i = 0; i < 2; i++) {
		uint64_t off = 0;
		struct kd_error *err = kd_btf_member(f.kernel, "task", "pid", &off);
		assert_non_null(err);
		const char *msg = kd_error_message(err);
		if (kd_error_code(err) != code || !strstr(msg, why) ||
		    !strstr(msg, f.path) || strchr(msg, '\n'))
			fail_msg("code %d: %s", kd_error_code(err), msg);
		kd_error_destroy(err);
	}
	assert_int_equal(kd_btf_num_types(f.kernel), 0);
	synth_fixture_close(&f);
	unlink(map_path);
	free(map_path);
}

static void test_no_btf(void **state)
{
	(void)state;
	char map[256];
	expect_no_btf("ffffffff80001000 D init_task\n", KD_ERROR_NOTFOUND,
		      "the dump has no BTF (no __start_BTF/__stop_BTF symbols");
	// Pages outside the dump.
	snprintf(map, sizeof(map), "%llx R __start_BTF\n%llx R __stop_BTF\n",
		 (unsigned long long)SYNTH_KVA(0x100000),
		 (unsigned long long)SYNTH_KVA(0x100000 + blob_len));
	expect_no_btf(map, KD_ERROR_NODATA, "the dump has no BTF (its pages at __start_BTF");
	// Reversed and huge ranges.
	snprintf(map, sizeof(map), "%llx R __start_BTF\n%llx R __stop_BTF\n",
		 (unsigned long long)SYNTH_KVA(0x3000), (unsigned long long)SYNTH_KVA(0x2000));
	expect_no_btf(map, KD_ERROR_CORRUPT, "is not a plausible range");
	snprintf(map, sizeof(map), "%llx R __start_BTF\n%llx R __stop_BTF\n",
		 (unsigned long long)SYNTH_KVA(0x2000), (unsigned long long)SYNTH_KVA(0x10000000));
	expect_no_btf(map, KD_ERROR_CORRUPT, "is not a plausible range");
	// Something else than BTF there.
	snprintf(map, sizeof(map), "%llx R __start_BTF\n%llx R __stop_BTF\n",
		 (unsigned long long)SYNTH_KVA(0x1000), (unsigned long long)SYNTH_KVA(0x1100));
	expect_no_btf(map, KD_ERROR_CORRUPT, "BTF at 0xffffffff80001000 is unusable: bad magic");
}

// Look up everything in a blob that parsed; results do not matter.
static void poke(const struct kd_btf *kb)
{
	static const char *const paths[] = { "pid", "thread.sp", "mem[2].size", "deep", "state", "comm[3]" };
	struct kd_btf_field f;
	uint64_t size;
	int64_t v;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		kd_error_destroy(kd_btf_lookup_field(kb, "task", paths[i], &f));
	kd_error_destroy(kd_btf_lookup_size(kb, "task", &size));
	kd_error_destroy(kd_btf_lookup_enum(kb, NULL, "BIG", &v));
	kd_error_destroy(kd_btf_lookup_enum(kb, "zone_stat_item", "NR_ZONE_LRU_BASE", &v));
}

static void test_damaged(void **state)
{
	(void)state;
	struct kd_btf *kb;
	// Every truncation is refused (the header's lengths overrun it).
	for (uint32_t len = 0; len < blob_len; len++) {
		struct kd_error *err = kd_btf_parse(blob, len, &kb);
		if (!err)
			fail_msg("%u of %u bytes accepted", len, blob_len);
		assert_int_not_equal(kd_error_code(err), KD_ERROR_NOMEM);
		kd_error_destroy(err);
	}
	// Every byte flipped: an error, or a blob whose look-ups all end.
	uint8_t *copy = malloc(blob_len);
	unsigned parsed = 0;
	for (uint32_t i = 0; i < blob_len; i++) {
		for (unsigned x = 1; x < 256; x <<= 1) {
			memcpy(copy, blob, blob_len);
			copy[i] ^= (uint8_t)x;
			struct kd_error *err = kd_btf_parse(copy, blob_len, &kb);
			if (err) {
				kd_error_destroy(err);
				continue;
			}
			parsed++;
			poke(kb);
			kd_btf_destroy(kb);
		}
	}
	assert_true(parsed > 0);
	free(copy);
	// Bad magic, version, and a too-large claim.
	uint8_t bad[64] = { 0 };
	memcpy(bad, blob, 24);
	bad[0] = 0;
	struct kd_error *err = kd_btf_parse(bad, sizeof(bad), &kb);
	assert_non_null(strstr(kd_error_message(err), "bad magic"));
	kd_error_destroy(err);
	memcpy(bad, blob, 24);
	bad[2] = 2;
	err = kd_btf_parse(bad, sizeof(bad), &kb);
	assert_int_equal(kd_error_code(err), KD_ERROR_UNSUPPORTED);
	kd_error_destroy(err);
	err = kd_btf_parse(blob, 65u << 20, &kb);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
}

// Loops a writer would not make: typedefs that name each other, and an
// anonymous struct member of its own type, twice (2^depth paths).
static void test_loops(void **state)
{
	(void)state;
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	// Typedef ids 2 and 3 name each other.
	int ta = btf__add_typedef(b, "ta", 3);
	int tb = btf__add_typedef(b, "tb", ta);
	assert_int_equal(tb, 3);
	int s = btf__add_struct(b, "s", 8);
	btf__add_field(b, "x", ta, 0, 0);
	btf__add_field(b, "y", i32, 32, 0);
	int self = btf__add_struct(b, "self", 8);
	btf__add_field(b, NULL, self, 0, 0);
	btf__add_field(b, NULL, self, 0, 0);
	btf__add_field(b, "z", i32, 0, 0);
	assert_true(s > 0 && self > 0);
	uint32_t len;
	const void *raw = btf__raw_data(b, &len);
	struct kd_btf *kb;
	assert_null(kd_btf_parse(raw, len, &kb));
	btf__free(b);
	struct kd_btf_field f;
	struct kd_error *err = kd_btf_lookup_field(kb, "s", "x", &f);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	kd_error_destroy(err);
	err = kd_btf_lookup_field(kb, "s", "x.a", &f);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	assert_null(kd_btf_lookup_field(kb, "s", "y", &f));
	assert_int_equal(f.offset, 4);
	err = kd_btf_lookup_field(kb, "ta", "x", &f);
	assert_int_equal(kd_error_code(err), KD_ERROR_NOTFOUND);
	kd_error_destroy(err);
	uint64_t size;
	err = kd_btf_lookup_size(kb, "ta", &size);
	assert_non_null(err);
	kd_error_destroy(err);
	// "z" is found before the recursion runs away only if it comes
	// first; here it is last, so the visit budget ends the search.
	err = kd_btf_lookup_field(kb, "self", "nope", &f);
	assert_int_equal(kd_error_code(err), KD_ERROR_CORRUPT);
	assert_non_null(strstr(kd_error_message(err), "nest in a loop"));
	kd_error_destroy(err);
	kd_btf_destroy(kb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_from_dump),
		cmocka_unit_test(test_no_btf),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_loops),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

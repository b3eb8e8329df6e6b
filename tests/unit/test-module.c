// SPDX-License-Identifier: LGPL-2.1-or-later
// Modules (lib/kernel/module.c) on a synthetic kernel: a BTF blob written
// here with libbpf's writer in the two layouts of struct module (before
// 6.4: core_layout/init_layout; 6.4+: mem[MOD_MEM_NUM_TYPES]), three
// modules on the `modules` list (one still unformed, which /proc/modules
// leaves out) and the kernel's taint_flags[] table. Each module must come
// out with /proc/modules' name, size, base and taint letters; a looping or
// broken list is an error, never a hang.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "synth.h"

#define MEM_SIZE 0x20000u
#define KVA(off) SYNTH_KVA(off)

enum {
	M_STATE = 0, M_LIST = 8, M_NAME = 24, M_MEM = 80, M_TAINTS = 200,
	M_SIZE = 256, MEM_TYPES = 7, MEM_STRIDE = 16,
	// before 6.4: struct module_layout { base; size; text_size; } at M_MEM
	// (core) and M_MEM + 16 (init)
};
#define MOD(i) (0x1000u + 0x200u * (i))
#define MODULES 0x8000u
#define TAINT_FLAGS 0x9000u
#define BTF_AT 0x10000u

static uint8_t *make_blob(bool v64, bool with_taint_flag, uint32_t *len_ret)
{
	struct btf *b = btf__new_empty();
	assert_non_null(b);
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int u32 = btf__add_int(b, "unsigned int", 4, 0);
	int u64 = btf__add_int(b, "unsigned long", 8, 0);
	int ch = btf__add_int(b, "char", 1, BTF_INT_CHAR);
	int bl = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	int vptr = btf__add_ptr(b, 0);
	int name = btf__add_array(b, i32, ch, 56);
	int lh = btf__add_struct(b, "list_head", 16);
	int lhp = btf__add_ptr(b, lh);
	btf__add_field(b, "next", lhp, 0, 0);
	btf__add_field(b, "prev", lhp, 64, 0);
	int st = btf__add_enum(b, "module_state", 4);
	btf__add_enum_value(b, "MODULE_STATE_LIVE", 0);
	btf__add_enum_value(b, "MODULE_STATE_COMING", 1);
	btf__add_enum_value(b, "MODULE_STATE_GOING", 2);
	btf__add_enum_value(b, "MODULE_STATE_UNFORMED", 3);
	int layout;
	if (v64) {
		btf__add_enum(b, "mod_mem_type", 4);
		btf__add_enum_value(b, "MOD_TEXT", 0);
		btf__add_enum_value(b, "MOD_DATA", 1);
		int mm = btf__add_struct(b, "module_memory", MEM_STRIDE);
		btf__add_field(b, "base", vptr, 0, 0);
		btf__add_field(b, "size", u32, 64, 0);
		layout = btf__add_array(b, i32, mm, MEM_TYPES);
	} else {
		layout = btf__add_struct(b, "module_layout", 16);
		btf__add_field(b, "base", vptr, 0, 0);
		btf__add_field(b, "size", u32, 64, 0);
		btf__add_field(b, "text_size", u32, 96, 0);
	}
	btf__add_struct(b, "module", M_SIZE);
	btf__add_field(b, "state", st, M_STATE * 8, 0);
	btf__add_field(b, "list", lh, M_LIST * 8, 0);
	btf__add_field(b, "name", name, M_NAME * 8, 0);
	if (v64) {
		btf__add_field(b, "mem", layout, M_MEM * 8, 0);
	} else {
		btf__add_field(b, "core_layout", layout, M_MEM * 8, 0);
		btf__add_field(b, "init_layout", layout, (M_MEM + 16) * 8, 0);
	}
	btf__add_field(b, "taints", u64, M_TAINTS * 8, 0);
	if (with_taint_flag) {
		btf__add_struct(b, "taint_flag", 3);
		btf__add_field(b, "c_true", ch, 0, 0);
		btf__add_field(b, "c_false", ch, 8, 0);
		btf__add_field(b, "module", bl, 16, 0);
	}
	uint32_t len;
	const void *raw = btf__raw_data(b, &len);
	assert_non_null(raw);
	uint8_t *copy = malloc(len);
	memcpy(copy, raw, len);
	btf__free(b);
	*len_ret = len;
	return copy;
}

struct fixture {
	uint8_t *mem;
	bool v64, taint_table;
	struct synth_fixture f;
	char *map;
};

static void link_list(uint8_t *mem, const uint32_t *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		synth_put64(mem + nodes[i], KVA(nodes[(i + 1) % n]));
		synth_put64(mem + nodes[i] + 8, KVA(nodes[(i + n - 1) % n]));
	}
}

// sizes: text, data, init (in mem[] types 0, 1, 4 on 6.4+; core = text +
// data and init on older kernels)
static void put_module(struct fixture *fx, int i, const char *name, int state,
		       uint64_t taints, uint64_t base, uint32_t text, uint32_t data,
		       uint32_t init)
{
	uint8_t *p = fx->mem + MOD(i);
	synth_put32(p + M_STATE, (uint32_t)state);
	memcpy(p + M_NAME, name, strlen(name) + 1);
	synth_put64(p + M_TAINTS, taints);
	if (fx->v64) {
		synth_put64(p + M_MEM, base);
		synth_put32(p + M_MEM + 8, text);
		synth_put64(p + M_MEM + MEM_STRIDE, base + 0x100000);
		synth_put32(p + M_MEM + MEM_STRIDE + 8, data);
		synth_put64(p + M_MEM + 4 * MEM_STRIDE, base + 0x200000);
		synth_put32(p + M_MEM + 4 * MEM_STRIDE + 8, init);
	} else {
		synth_put64(p + M_MEM, base);
		synth_put32(p + M_MEM + 8, text + data);
		synth_put32(p + M_MEM + 12, text);
		synth_put64(p + M_MEM + 16, base + 0x200000);
		synth_put32(p + M_MEM + 16 + 8, init);
	}
}

// The kernel's taint_flags[] (kernel/panic.c) with one more flag, bit 20
// 'Z' for modules, that only the dump's table knows.
static void put_taint_table(uint8_t *mem)
{
	static const struct { int bit; char c; bool module; } flags[] = {
		{ 0, 'P', true }, { 1, 'F', true }, { 2, 'S', false }, { 9, 'W', false },
		{ 10, 'C', true }, { 12, 'O', true }, { 13, 'E', true }, { 15, 'K', true },
		{ 20, 'Z', true },
	};
	for (int i = 0; i < 21; i++) {
		mem[TAINT_FLAGS + 3 * i] = (uint8_t)('a' + i);
		mem[TAINT_FLAGS + 3 * i + 1] = ' ';
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		mem[TAINT_FLAGS + 3 * flags[i].bit] = (uint8_t)flags[i].c;
		mem[TAINT_FLAGS + 3 * flags[i].bit + 2] = flags[i].module;
	}
}

// virtio_net (live), hello (coming, OE, with init memory), forming
// (unformed): newest first, as the kernel adds them at the head.
static void build(struct fixture *fx, bool v64, bool taint_table)
{
	*fx = (struct fixture){ .mem = calloc(1, MEM_SIZE), .v64 = v64,
				.taint_table = taint_table };
	put_module(fx, 0, "forming", 3, 0, 0xffffffffc0300000ull, 4096, 0, 4096);
	put_module(fx, 1, "hello", 1, (1u << 12) | (1u << 13), 0xffffffffc0200000ull,
		   8192, 4096, 4096);
	put_module(fx, 2, "virtio_net", 0, 0, 0xffffffffc0010000ull, 40960, 20480, 0);
	link_list(fx->mem, (const uint32_t[]){ MODULES, MOD(0) + M_LIST,
			MOD(1) + M_LIST, MOD(2) + M_LIST }, 4);
	if (taint_table)
		put_taint_table(fx->mem);
}

static void open_kernel(struct fixture *fx)
{
	uint32_t len;
	uint8_t *blob = make_blob(fx->v64, fx->taint_table, &len);
	assert_true(len < MEM_SIZE - BTF_AT);
	memcpy(fx->mem + BTF_AT, blob, len);
	free(blob);
	char map[512];
	int n = snprintf(map, sizeof(map),
		"%llx R __start_BTF\n%llx R __stop_BTF\n%llx D modules\n",
		(unsigned long long)KVA(BTF_AT), (unsigned long long)KVA(BTF_AT + len),
		(unsigned long long)KVA(MODULES));
	if (fx->taint_table)
		n += snprintf(map + n, sizeof(map) - (size_t)n, "%llx D taint_flags\n",
			      (unsigned long long)KVA(TAINT_FLAGS));
	fx->map = synth_write_bytes(map, (size_t)n);
	struct synth *s = synth_new();
	synth_vmcoreinfo(s, "OSRELEASE=%s\nPAGESIZE=4096\nNUMBER(phys_base)=0\n",
			 fx->v64 ? "6.12.0-test" : "6.1.0-test");
	synth_load(s, 0, 0, fx->mem, MEM_SIZE);
	fx->f.path = synth_write(s);
	synth_free(s);
	assert_null(kd_dump_open(fx->f.path, &fx->f.dump));
	struct kd_kernel_options opts = { .system_map = fx->map };
	assert_null(kd_kernel_open(fx->f.dump, &opts, &fx->f.kernel));
}

static void fixture_close(struct fixture *fx)
{
	synth_fixture_close(&fx->f);
	unlink(fx->map);
	free(fx->map);
	free(fx->mem);
}

static void check_modules(bool v64, bool taint_table)
{
	struct fixture fx;
	build(&fx, v64, taint_table);
	// Bit 20 only the dump's table names; bit 2 is not a module's.
	uint64_t hello_taints = (1u << 12) | (1u << 13) | (1u << 20) | (1u << 2);
	synth_put64(fx.mem + MOD(1) + M_TAINTS, hello_taints);
	open_kernel(&fx);
	struct kd_module *mods;
	size_t n;
	struct kd_error *err = kd_module_list(fx.f.kernel, &mods, &n);
	if (err)
		fail_msg("%s", kd_error_message(err));
	assert_int_equal(n, 2);
	assert_string_equal(mods[0].name, "hello");
	assert_int_equal(mods[0].addr, KVA(MOD(1)));
	assert_int_equal(mods[0].base, 0xffffffffc0200000ull);
	assert_int_equal(mods[0].size, 8192 + 4096 + 4096);
	assert_int_equal(mods[0].text_size, 8192);
	assert_int_equal(mods[0].state, 1);
	assert_int_equal(mods[0].taints, hello_taints);
	assert_string_equal(mods[0].taint, taint_table ? "OEZ" : "OE");
	assert_string_equal(mods[1].name, "virtio_net");
	assert_int_equal(mods[1].base, 0xffffffffc0010000ull);
	assert_int_equal(mods[1].size, 40960 + 20480);
	assert_int_equal(mods[1].text_size, 40960);
	assert_string_equal(mods[1].taint, "");
	free(mods);
	fixture_close(&fx);
}

static void test_layout_61(void **state)
{
	(void)state;
	check_modules(false, true);
	check_modules(false, false);
}

static void test_layout_64(void **state)
{
	(void)state;
	check_modules(true, true);
	check_modules(true, false);
}

static void test_empty(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, true, true);
	link_list(fx.mem, (const uint32_t[]){ MODULES }, 1);
	open_kernel(&fx);
	struct kd_module *mods;
	size_t n = 99;
	assert_null(kd_module_list(fx.f.kernel, &mods, &n));
	assert_int_equal(n, 0);
	free(mods);
	fixture_close(&fx);
}

static void expect_error(struct fixture *fx, enum kd_error_code code, const char *needle)
{
	open_kernel(fx);
	struct kd_module *mods = NULL;
	size_t n = 0;
	struct kd_error *err = kd_module_list(fx->f.kernel, &mods, &n);
	if (!err)
		fail_msg("listed %zu modules, expected: %s", n, needle);
	const char *msg = kd_error_message(err);
	if ((code && kd_error_code(err) != code) || !strstr(msg, needle) ||
	    !strstr(msg, fx->f.path) || strchr(msg, '\n'))
		fail_msg("code %d: %s (expected %s)", kd_error_code(err), msg, needle);
	kd_error_destroy(err);
	fixture_close(fx);
}

static void test_hostile(void **state)
{
	(void)state;
	struct fixture fx;
	build(&fx, true, true);
	synth_put64(fx.mem + MOD(2) + M_LIST, KVA(MOD(1) + M_LIST));
	expect_error(&fx, KD_ERROR_CORRUPT,
		     "the module list (modules): the list loops without coming back to its head");
	build(&fx, false, true);
	synth_put64(fx.mem + MOD(1) + M_LIST, 0);
	expect_error(&fx, KD_ERROR_CORRUPT, "a broken link (0) after 2 entries");
	build(&fx, false, true);
	synth_put64(fx.mem + MOD(1) + M_LIST, KVA(MEM_SIZE + 0x4000));
	expect_error(&fx, 0, "the module at");
	// A name without its NUL is cut, not overrun.
	build(&fx, true, true);
	memset(fx.mem + MOD(2) + M_NAME, 'x', 56);
	open_kernel(&fx);
	struct kd_module *mods;
	size_t n;
	assert_null(kd_module_list(fx.f.kernel, &mods, &n));
	assert_int_equal(n, 2);
	assert_int_equal(strlen(mods[1].name), 55);
	free(mods);
	fixture_close(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_61),
		cmocka_unit_test(test_layout_64),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

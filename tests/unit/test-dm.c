// SPDX-License-Identifier: LGPL-2.1-or-later
// Device-mapper stacks (lib/service/dm.c): the table text `dmsetup table`
// prints (drivers/md/dm-linear.c, dm-stripe.c status), its devices mapped
// to and from the names setup records, the DM ioctl buffers of
// include/uapi/linux/dm-ioctl.h as drivers/md/dm-ioctl.c reads and writes
// them, and the config's dm lines.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/dm-ioctl.h>

#include "service/service.h"

static void test_line_parse(void **state)
{
	(void)state;
	struct kd_config_dm l = { .name = "vg0-root" };
	assert_null(kd_dm_line_parse("0 409600 linear 8:2 2048", &l));
	assert_string_equal(l.name, "vg0-root");
	assert_true(l.start == 0 && l.length == 409600);
	assert_string_equal(l.type, "linear");
	assert_string_equal(l.params, "8:2 2048");
	assert_null(kd_dm_line_parse("409600 196608 striped 2 128 8:2 411648 8:18 2048", &l));
	assert_true(l.start == 409600 && l.length == 196608);
	assert_string_equal(l.type, "striped");
	assert_string_equal(l.params, "2 128 8:2 411648 8:18 2048");

	static const char *const bad[] = {
		"", "0", "0 100", "x 100 linear 8:2 0", "0 0 linear 8:2 0",
		"18446744073709551615 1 linear 8:2 0", "0 100 averyveryverylongtypename 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kd_config_dm keep = l;
		struct kd_error *err = kd_dm_line_parse(bad[i], &l);
		if (!err)
			fail_msg("'%s' parsed", bad[i]);
		assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
		kd_error_destroy(err);
		assert_memory_equal(&l, &keep, sizeof(l));
	}
	char longp[400];
	memset(longp, 'a', sizeof(longp));
	memcpy(longp, "0 8 linear ", 11);
	longp[sizeof(longp) - 1] = '\0';
	struct kd_error *err = kd_dm_line_parse(longp, &l);
	assert_non_null(err);
	assert_non_null(strstr(kd_error_message(err), "parameters longer than 255 bytes"));
	kd_error_destroy(err);
}

// live "MAJ:MIN" -> "UUID=pvN" and back, as setup and the capture do.
static struct kd_error *to_uuid(const char *dev, char *out, size_t outlen, void *arg)
{
	int *calls = arg;
	(*calls)++;
	if (!strcmp(dev, "8:2"))
		snprintf(out, outlen, "UUID=pv-a");
	else if (!strcmp(dev, "8:18"))
		snprintf(out, outlen, "UUID=pv-b");
	else if (!strcmp(dev, "254:0"))
		snprintf(out, outlen, "dm:vg0-lower");
	else
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: not there", dev);
	return NULL;
}

static struct kd_error *to_numbers(const char *dev, char *out, size_t outlen, void *arg)
{
	(void)arg;
	snprintf(out, outlen, "%s", !strcmp(dev, "UUID=pv-a") ? "253:1" : "259:7");
	return NULL;
}

static void map_ok(const char *type, const char *params, const char *want_rec,
		   const char *want_back, int want_calls)
{
	char rec[256], back[256];
	int calls = 0;
	struct kd_error *err = kd_dm_params_map(type, params, to_uuid, &calls, rec, sizeof(rec));
	if (err)
		fail_msg("%s %s: %s", type, params, kd_error_message(err));
	assert_string_equal(rec, want_rec);
	assert_int_equal(calls, want_calls);
	assert_null(kd_dm_params_map(type, rec, to_numbers, NULL, back, sizeof(back)));
	assert_string_equal(back, want_back);
}

static void map_bad(const char *type, const char *params, enum kd_error_code code,
		    const char *want)
{
	char out[256];
	int calls = 0;
	struct kd_error *err = kd_dm_params_map(type, params, to_uuid, &calls, out, sizeof(out));
	if (!err)
		fail_msg("%s '%s' mapped to '%s'", type, params, out);
	assert_int_equal(kd_error_code(err), code);
	if (!strstr(kd_error_message(err), want))
		fail_msg("%s '%s': '%s' lacks '%s'", type, params, kd_error_message(err), want);
	kd_error_destroy(err);
}

static void test_params_map(void **state)
{
	(void)state;
	map_ok("linear", "8:2 2048", "UUID=pv-a 2048", "253:1 2048", 1);
	map_ok("linear", "254:0 0", "dm:vg0-lower 0", "259:7 0", 1);
	map_ok("striped", "2 128 8:2 411648 8:18 2048", "2 128 UUID=pv-a 411648 UUID=pv-b 2048",
	       "2 128 253:1 411648 259:7 2048", 2);
	map_ok("striped", "1 8 8:18 0", "1 8 UUID=pv-b 0", "1 8 259:7 0", 1);
	// Extra spaces as a hand-written config may have.
	map_ok("linear", "  8:2   2048 ", "UUID=pv-a 2048", "253:1 2048", 1);

	map_bad("linear", "8:2", KD_ERROR_INVALID, "expected DEVICE OFFSET");
	map_bad("linear", "8:2 2048 7", KD_ERROR_INVALID, "expected DEVICE OFFSET");
	map_bad("linear", "8:2 x", KD_ERROR_INVALID, "expected DEVICE OFFSET");
	map_bad("linear", "", KD_ERROR_INVALID, "expected DEVICE OFFSET");
	map_bad("striped", "2 128 8:2 0", KD_ERROR_INVALID, "STRIPES CHUNK");
	map_bad("striped", "0 128", KD_ERROR_INVALID, "STRIPES CHUNK");
	map_bad("striped", "2 0 8:2 0 8:18 0", KD_ERROR_INVALID, "STRIPES CHUNK");
	map_bad("striped", "65 8", KD_ERROR_INVALID, "STRIPES CHUNK");
	// The mapper's own error comes through (a device not there yet).
	map_bad("linear", "9:9 0", KD_ERROR_NOTFOUND, "9:9: not there");
	// What the capture cannot re-create.
	map_bad("thin", "253:3 1", KD_ERROR_UNSUPPORTED,
		"a 'thin' target, which the capture kernel cannot re-create (kexdump re-creates linear and striped ones)");
	// dm-crypt: not re-created because the capture holds no key, and
	// the message says so and where the dumps go instead.
	map_bad("crypt", "aes-xts-plain64 :64:logon:k 0 8:3 32768", KD_ERROR_UNSUPPORTED,
		"a 'crypt' target, an encrypted device (dm-crypt, LUKS) the capture kernel cannot open: kexdump puts no key or passphrase in its initramfs; put the dumps on an unencrypted filesystem");
	map_bad("raid", "raid1 3 0 region_size 1024 2 - 8:2 - 8:18", KD_ERROR_UNSUPPORTED, "'raid'");
}

static void test_ioctl_header(void **state)
{
	(void)state;
	uint8_t buf[512];
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(kd_dm_ioctl_header(buf, sizeof(buf), "vg0-root", DM_STATUS_TABLE_FLAG), 312);
	struct dm_ioctl h;
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.version[0], 4);
	assert_int_equal(h.version[1], 0);
	assert_int_equal(h.data_size, 512);
	assert_int_equal(h.data_start, 312);
	assert_int_equal(h.flags, DM_STATUS_TABLE_FLAG);
	assert_int_equal(h.target_count, 0);
	assert_string_equal(h.name, "vg0-root");
	assert_string_equal(h.uuid, "");
	assert_int_equal(buf[511], 0);	// the rest zeroed
	// name must fit DM_NAME_LEN with its NUL; the header must fit.
	char name[200];
	memset(name, 'n', sizeof(name));
	name[128] = '\0';
	assert_int_equal(kd_dm_ioctl_header(buf, sizeof(buf), name, 0), 0);
	name[127] = '\0';
	assert_int_equal(kd_dm_ioctl_header(buf, sizeof(buf), name, 0), 312);
	assert_int_equal(kd_dm_ioctl_header(buf, 311, "x", 0), 0);
}

static void test_ioctl_load(void **state)
{
	(void)state;
	struct kd_config_dm l[2] = {
		{ "vg0-crash", 0, 131072, "linear", "253:1 2048" },
		{ "vg0-crash", 131072, 196608, "striped", "2 128 253:1 133120 259:7 2048" },
	};
	uint8_t buf[1024];
	size_t len;
	assert_null(kd_dm_ioctl_load(buf, sizeof(buf), "vg0-crash", l, 2, &len));
	struct dm_ioctl h;
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.target_count, 2);
	assert_int_equal(h.data_start, 312);
	assert_int_equal(h.data_size, len);
	assert_string_equal(h.name, "vg0-crash");
	// First spec right after the header; next counts from each spec,
	// 8-byte aligned: 40 + strlen("253:1 2048") + 1 = 51 -> 56.
	struct dm_target_spec s;
	memcpy(&s, buf + 312, sizeof(s));
	assert_true(s.sector_start == 0 && s.length == 131072);
	assert_string_equal(s.target_type, "linear");
	assert_int_equal(s.next, 56);
	assert_string_equal((char *)buf + 312 + 40, "253:1 2048");
	memcpy(&s, buf + 312 + 56, sizeof(s));
	assert_true(s.sector_start == 131072 && s.length == 196608);
	assert_string_equal(s.target_type, "striped");
	assert_string_equal((char *)buf + 312 + 56 + 40, "2 128 253:1 133120 259:7 2048");
	// 40 + 30 = 70 -> 72
	assert_int_equal(s.next, 72);
	assert_int_equal(len, 312 + 56 + 72);
	assert_int_equal(len % 8, 0);
	// No room: an error, not an overflow.
	struct kd_error *err = kd_dm_ioctl_load(buf, 400, "vg0-crash", l, 2, &len);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), KD_ERROR_INVALID);
	kd_error_destroy(err);
}

// A DM_TABLE_STATUS reply as retrieve_status() writes it: next counted
// from the start of the data, each spec 8-byte aligned.
static size_t make_reply(uint8_t *buf, size_t size, uint32_t flags)
{
	static const struct {
		uint64_t start, len;
		const char *type, *params;
	} t[] = {
		{ 0, 131072, "linear", "8:2 2048" },
		{ 131072, 196608, "striped", "2 128 8:2 133120 8:18 2048" },
	};
	memset(buf, 0, size);
	kd_dm_ioctl_header(buf, size, "vg0-crash", flags);
	size_t off = 0;
	uint8_t *data = buf + 312;
	for (size_t i = 0; i < 2; i++) {
		struct dm_target_spec s = { .sector_start = t[i].start, .length = t[i].len };
		strcpy(s.target_type, t[i].type);
		size_t p = off + sizeof(s);
		strcpy((char *)data + p, t[i].params);
		size_t end = p + strlen(t[i].params) + 1;
		s.next = (uint32_t)((end + 7) & ~(size_t)7);
		memcpy(data + off, &s, sizeof(s));
		off = s.next;
	}
	struct dm_ioctl h;
	memcpy(&h, buf, sizeof(h));
	h.target_count = 2;
	h.data_size = (uint32_t)(312 + off);
	memcpy(buf, &h, sizeof(h));
	return 312 + off;
}

static void table_bad(const uint8_t *buf, size_t len, size_t max, enum kd_error_code code,
		      const char *want)
{
	struct kd_config_dm out[4];
	size_t n = 99;
	struct kd_error *err = kd_dm_ioctl_table(buf, len, out, max, &n);
	assert_non_null(err);
	assert_int_equal(kd_error_code(err), code);
	if (!strstr(kd_error_message(err), want))
		fail_msg("'%s' lacks '%s'", kd_error_message(err), want);
	kd_error_destroy(err);
	assert_int_equal(n, 99);
}

static void test_ioctl_table(void **state)
{
	(void)state;
	uint8_t buf[2048];
	size_t used = make_reply(buf, sizeof(buf), DM_STATUS_TABLE_FLAG);
	struct kd_config_dm out[4];
	size_t n;
	assert_null(kd_dm_ioctl_table(buf, sizeof(buf), out, 4, &n));
	assert_int_equal(n, 2);
	assert_true(out[0].start == 0 && out[0].length == 131072);
	assert_string_equal(out[0].type, "linear");
	assert_string_equal(out[0].params, "8:2 2048");
	assert_true(out[1].start == 131072 && out[1].length == 196608);
	assert_string_equal(out[1].type, "striped");
	assert_string_equal(out[1].params, "2 128 8:2 133120 8:18 2048");
	// What the kernel wrote is all that is needed.
	assert_null(kd_dm_ioctl_table(buf, used, out, 4, &n));

	// The kernel says the buffer was too small: NOTFOUND (grow, ask again).
	struct dm_ioctl h;
	uint8_t bad[2048];
	memcpy(bad, buf, sizeof(bad));
	memcpy(&h, bad, sizeof(h));
	h.flags |= DM_BUFFER_FULL_FLAG;
	memcpy(bad, &h, sizeof(h));
	table_bad(bad, sizeof(bad), 4, KD_ERROR_NOTFOUND, "larger than");
	// More lines than the caller holds.
	table_bad(buf, sizeof(buf), 1, KD_ERROR_UNSUPPORTED, "2 lines (at most 1)");
	// A reply shorter than the header, or data past the buffer.
	table_bad(buf, 100, 4, KD_ERROR_CORRUPT, "reply of 100 bytes");
	table_bad(buf, used - 8, 4, KD_ERROR_CORRUPT, "outside");
	// target_count past the specs that are there.
	memcpy(bad, buf, sizeof(bad));
	memcpy(&h, bad, sizeof(h));
	h.target_count = 3;
	memcpy(bad, &h, sizeof(h));
	table_bad(bad, sizeof(bad), 4, KD_ERROR_CORRUPT, "line 3");
	// A next that goes backwards (a loop).
	memcpy(bad, buf, sizeof(bad));
	struct dm_target_spec s;
	memcpy(&s, bad + 312, sizeof(s));
	s.next = 8;
	memcpy(bad + 312, &s, sizeof(s));
	table_bad(bad, sizeof(bad), 4, KD_ERROR_CORRUPT, "backwards");
	// Parameters with no NUL before the end of the data.
	memcpy(bad, buf, sizeof(bad));
	memset(bad + 312 + 48 + 40, 'x', used - (312 + 48 + 40));
	table_bad(bad, used, 4, KD_ERROR_CORRUPT, "not terminated");
	// A target type with no NUL.
	memcpy(bad, buf, sizeof(bad));
	memset(bad + 312 + 24, 'y', 16);
	table_bad(bad, sizeof(bad), 4, KD_ERROR_CORRUPT, "not terminated");
}

static const char conf_ok[] =
	"target UUID=0b6d1c53-3c1e-4f8e-9a57-0a3c1d2e4f60\n"
	"path /\n"
	"dm kdvg-base 0 8192 linear UUID=AbCdEf-0123-4567-89ab-cdEF-0123-456789 2048\n"
	"dm kdvg-crash 0 131072 linear UUID=AbCdEf-0123-4567-89ab-cdEF-0123-456789 264192\n"
	"dm kdvg-crash 131072 196608 striped 2 128 UUID=AbCdEf-0123-4567-89ab-cdEF-0123-456789 395264 dm:kdvg-base 0\n";

static void conf_bad_code(const char *dm_lines, enum kd_error_code code, const char *want)
{
	char text[2048];
	snprintf(text, sizeof(text), "path /\n%s", dm_lines);
	struct kd_config cfg;
	struct kd_error *err = kd_config_parse("kexdump.conf", text, strlen(text), &cfg);
	if (!err)
		fail_msg("'%s' parsed", dm_lines);
	assert_int_equal(kd_error_code(err), code);
	if (!strstr(kd_error_message(err), want))
		fail_msg("'%s' lacks '%s'", kd_error_message(err), want);
	kd_error_destroy(err);
}

static void conf_bad(const char *dm_lines, const char *want)
{
	conf_bad_code(dm_lines, KD_ERROR_INVALID, want);
}

static void test_config(void **state)
{
	(void)state;
	struct kd_config *cfg = malloc(sizeof(*cfg)), *again = malloc(sizeof(*again));
	assert_non_null(cfg);
	assert_non_null(again);
	assert_null(kd_config_parse("kexdump.conf", conf_ok, strlen(conf_ok), cfg));
	assert_int_equal(cfg->ndm, 3);
	assert_string_equal(cfg->dm[0].name, "kdvg-base");
	assert_string_equal(cfg->dm[2].name, "kdvg-crash");
	assert_true(cfg->dm[2].start == 131072 && cfg->dm[2].length == 196608);
	assert_string_equal(cfg->dm[2].type, "striped");
	assert_string_equal(cfg->dm[2].params,
			    "2 128 UUID=AbCdEf-0123-4567-89ab-cdEF-0123-456789 395264 dm:kdvg-base 0");
	// Written back as the same lines, in order, and parsed the same.
	char *text;
	size_t len;
	assert_null(kd_initramfs_config_text(cfg, &text, &len));
	assert_non_null(strstr(text, "dm kdvg-base 0 8192 linear UUID=AbCdEf-0123-4567-89ab-cdEF-0123-456789 2048\n"
				     "dm kdvg-crash 0 131072 linear "));
	assert_null(kd_config_parse("again", text, len, again));
	assert_int_equal(again->ndm, 3);
	assert_memory_equal(again->dm, cfg->dm, sizeof(cfg->dm));
	free(text);
	free(cfg);
	free(again);

	conf_bad_code("dm kdvg-x 0 8 crypt aes 0 8:2 0\n", KD_ERROR_UNSUPPORTED,
		      "kexdump.conf:2: dm: a 'crypt' target");
	conf_bad("dm kdvg-x 0 8 linear 8:2 0\n", "device '8:2' is not UUID=... or dm:NAME");
	conf_bad("dm kdvg-x 0 8 linear dm:kdvg-x 0\n", "dm:NAME of an earlier dm line");
	conf_bad("dm kdvg-x 8 8 linear UUID=a 0\n", "from sector 0");
	conf_bad("dm kdvg-x 0 8 linear UUID=a 0\ndm kdvg-x 16 8 linear UUID=a 8\n", "from sector 0");
	conf_bad("dm kdvg-x 0 8 linear UUID=a 0\ndm kdvg-y 0 8 linear UUID=a 8\n"
		 "dm kdvg-x 8 8 linear UUID=a 8\n", "must be together");
	conf_bad("dm kd/vg 0 8 linear UUID=a 0\n", "bad device name");
	conf_bad("dm kdvg\n", "expected NAME START LENGTH TYPE PARAMS");
	conf_bad("dm kdvg-x 0 8 linear UUID=a\n", "expected DEVICE OFFSET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_parse),
		cmocka_unit_test(test_params_map),
		cmocka_unit_test(test_ioctl_header),
		cmocka_unit_test(test_ioctl_load),
		cmocka_unit_test(test_ioctl_table),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

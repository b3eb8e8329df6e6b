// SPDX-License-Identifier: LGPL-2.1-or-later
// The x86_64 ORC unwind tables (arch/x86/include/asm/orc_types.h,
// arch/x86/kernel/unwind_orc.c) as the dumped kernel holds them: for vmlinux
// __start_orc_unwind_ip[] (s32, each relative to its own address, sorted at
// build time since Linux 5.6) and __start_orc_unwind[] (6-byte entries), with
// the fast look-up orc_lookup[] (one u32 index per LOOKUP_BLOCK_SIZE bytes of
// text from _stext); for a module the same two tables at
// mod->arch.orc_unwind_ip / orc_unwind (num_orcs entries).
//
// The entry's 16-bit flags changed twice (drgn's libdrgn/orc.h names the
// versions the same way):
//   v1 (4.14 .. 6.2): sp_reg 0-3, bp_reg 4-7, type 8-9 (CALL 0, REGS 1,
//                     REGS_PARTIAL 2), end 10; REGS types imply "signal";
//   v2 (6.3):         the same with signal 10 and end 11;
//   v3 (6.4+):        sp_reg 0-3, bp_reg 4-7, type 8-10 (UNDEFINED 0,
//                     END_OF_STACK 1, CALL 2, REGS 3, REGS_PARTIAL 4),
//                     signal 11.
// Entries are decoded into the v3 meaning. In v1/v2 sp_reg UNDEFINED means
// UNDEFINED (a section terminator) without "end", END_OF_STACK with it.
#include "kernel/kernel.h"

#include <inttypes.h>
#include <stdio.h>

// The in-memory layout of one entry (struct orc_entry, __packed).
struct orc_raw_entry {
	uint8_t sp_offset[2];	/* s16 */
	uint8_t bp_offset[2];	/* s16 */
	uint8_t flags[2];	/* the bit fields */
};
_Static_assert(sizeof(struct orc_raw_entry) == KD_ORC_ENTRY_SIZE,
	       "struct orc_entry is 6 bytes");

enum {
	// arch/x86/include/asm/orc_lookup.h: LOOKUP_BLOCK_ORDER 8.
	ORC_LOOKUP_BLOCK_SIZE = 256,
	// Debian's 6.1 vmlinux has 386k entries, 6.12 447k; this only stops
	// runaway sizes from a damaged symbol table.
	ORC_MAX_ENTRIES = 16u << 20,
	// One u32 per 256 bytes of text: 1 GiB of text at most.
	ORC_MAX_BLOCKS = 4u << 20,
};

// The 20-byte hash of orc_types.h in .orc_header (__start_orc_header,
// Linux 6.4+ and 6.3.10+), as scripts/orc_hash.sh makes it.
static const uint8_t orc_hash_v3[20] = {
	0xfe, 0x5d, 0x32, 0xbf, 0x58, 0x1b, 0xd6, 0x3b, 0x2c, 0xa9,
	0xa5, 0xc6, 0x5b, 0xa5, 0xa6, 0x25, 0xea, 0xb3, 0xfe, 0x24,
};
static const uint8_t orc_hash_v2[20] = {
	0xdb, 0x84, 0xae, 0xd4, 0x10, 0x3b, 0x31, 0xdd, 0x51, 0xe0,
	0x17, 0xf8, 0xf7, 0x97, 0x83, 0xca, 0x98, 0x5c, 0x2c, 0x51,
};

int kd_orc_version_for_release(const char *release)
{
	unsigned int major = 0, minor = 0;
	if (!release || sscanf(release, "%u.%u", &major, &minor) < 1)
		return KD_ORC_V3;
	if (major > 6 || (major == 6 && minor >= 4))
		return KD_ORC_V3;
	if (major == 6 && minor == 3)
		return KD_ORC_V2;
	return KD_ORC_V1;
}

void kd_orc_decode(const uint8_t *raw, int version, struct kd_orc_entry *ret)
{
	uint16_t f = kd_le16(raw + 4);
	struct kd_orc_entry e = {
		.sp_offset = (int16_t)kd_le16(raw),
		.bp_offset = (int16_t)kd_le16(raw + 2),
		.sp_reg = f & 0xf,
		.bp_reg = (f >> 4) & 0xf,
	};
	if (version == KD_ORC_V3) {
		e.type = (f >> 8) & 7;
		e.signal = (f >> 11) & 1;
	} else {
		unsigned int old_type = (f >> 8) & 3;
		bool end = version == KD_ORC_V2 ? (f >> 11) & 1 : (f >> 10) & 1;
		if (e.sp_reg == KD_ORC_REG_UNDEFINED)
			e.type = end ? KD_ORC_TYPE_END_OF_STACK : KD_ORC_TYPE_UNDEFINED;
		else
			// CALL 0, REGS 1, REGS_PARTIAL 2 -> 2, 3, 4; 3 never
			// occurs and stays an unknown type (5).
			e.type = (uint8_t)(old_type + KD_ORC_TYPE_CALL);
		e.signal = version == KD_ORC_V2 ? (f >> 10) & 1 : old_type != 0;
	}
	*ret = e;
}

static uint64_t orc_ip_at(const struct kd_orc_table *t, size_t i)
{
	return t->ip_addr + 4 * (uint64_t)i + (uint64_t)(int64_t)(int32_t)kd_le32(t->ips + 4 * i);
}

// The kernel's __orc_find(): the rightmost entry in [lo, hi) whose ip is
// <= @p ip (section terminators sort first among equal ips, so a real
// entry wins); -1 when the range is empty or every ip is above.
static int64_t orc_search(const struct kd_orc_table *t, size_t lo, size_t hi,
			  uint64_t ip)
{
	int64_t found = -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (orc_ip_at(t, mid) <= ip) {
			found = (int64_t)mid;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return found;
}

bool kd_orc_find(const struct kd_orc_table *t, uint64_t ip,
		 struct kd_orc_entry *ret)
{
	if (!t || !t->num)
		return false;
	size_t lo = 0, hi = t->num;
	if (t->lookup && ip >= t->lookup_start && ip < t->lookup_stop) {
		// orc_find()'s fast path: block idx covers entries
		// orc_lookup[idx] .. orc_lookup[idx + 1] inclusive.
		uint64_t idx = (ip - t->lookup_start) / ORC_LOOKUP_BLOCK_SIZE;
		if (idx + 1 < t->nblocks) {
			uint32_t start = t->lookup[idx];
			uint64_t stop = (uint64_t)t->lookup[idx + 1] + 1;
			if (start < t->num && stop <= t->num && start < stop) {
				lo = start;
				hi = (size_t)stop;
			}
		}
	}
	int64_t i = orc_search(t, lo, hi, ip);
	if (i < 0 && lo > 0)
		// A damaged look-up table: the whole table still answers.
		i = orc_search(t, 0, t->num, ip);
	if (i < 0)
		return false;
	kd_orc_decode(t->entries + KD_ORC_ENTRY_SIZE * (size_t)i, t->version, ret);
	return true;
}

void kd_orc_table_deinit(struct kd_orc_table *t)
{
	if (!t)
		return;
	free(t->ips);
	free(t->entries);
	free(t->lookup);
	*t = (struct kd_orc_table){0};
}

// Read [addr, addr + len) page by page; pages the dump lacks (a hole, or
// left out as zero-filled by a filtered dump) read as zeros and count in
// *missing_ret, which the caller judges. Other errors are returned.
static struct kd_error *orc_read(struct kd_kernel *k, uint64_t addr,
				 uint8_t *buf, size_t len, size_t *missing_ret)
{
	size_t missing = 0;
	while (len) {
		size_t chunk = 4096 - (size_t)(addr & 4095);
		if (chunk > len)
			chunk = len;
		struct kd_error *err = kd_kernel_read_virt(k, addr, buf, chunk);
		if (err && kd_error_catch(&err, KD_ERROR_NODATA)) {
			memset(buf, 0, chunk);
			missing++;
		} else if (err) {
			return err;
		}
		buf += chunk;
		addr += chunk;
		len -= chunk;
	}
	*missing_ret = missing;
	return NULL;
}

struct kd_error *kd_orc_table_read(struct kd_kernel *k, uint64_t ip_addr,
				   uint64_t entries_addr, uint64_t num,
				   int version, struct kd_orc_table *ret)
{
	if (!num || num > ORC_MAX_ENTRIES)
		return kd_error_create(KD_ERROR_CORRUPT,
				       "ORC table at %#" PRIx64 " claims %" PRIu64 " entries",
				       ip_addr, num);
	struct kd_orc_table t = { .ip_addr = ip_addr, .num = (uint32_t)num,
				  .version = version };
	t.ips = malloc(4 * (size_t)num);
	t.entries = malloc(KD_ORC_ENTRY_SIZE * (size_t)num);
	if (!t.ips || !t.entries) {
		kd_orc_table_deinit(&t);
		return &kd_enomem;
	}
	size_t miss_ip = 0, miss_e = 0;
	struct kd_error *err = orc_read(k, ip_addr, t.ips, 4 * (size_t)num, &miss_ip);
	if (!err)
		err = orc_read(k, entries_addr, t.entries,
			       KD_ORC_ENTRY_SIZE * (size_t)num, &miss_e);
	if (!err && miss_ip)
		// An ip table cannot hold a page of zeros (each s32 would
		// point at itself): the dump lacks it.
		err = kd_error_create(KD_ERROR_NODATA,
				      "ORC ip table at %#" PRIx64 ": %zu pages missing from the dump",
				      ip_addr, miss_ip);
	if (err) {
		kd_orc_table_deinit(&t);
		return err;
	}
	*ret = t;
	return NULL;
}

// Which layout the dumped kernel's entries have: the .orc_header hash when
// the kernel has one, else its release.
static int orc_vmlinux_version(struct kd_kernel *k)
{
	uint64_t addr;
	uint8_t hash[20];
	struct kd_error *err = kd_kernel_symbol(k, "__start_orc_header", &addr);
	if (!err)
		err = kd_kernel_read_virt(k, addr, hash, sizeof(hash));
	if (!err) {
		if (!memcmp(hash, orc_hash_v3, sizeof(hash)))
			return KD_ORC_V3;
		if (!memcmp(hash, orc_hash_v2, sizeof(hash)))
			return KD_ORC_V2;
	}
	kd_error_destroy(err);
	const char *release = NULL;
	err = kd_vmcoreinfo_string(k->vi, "OSRELEASE", &release);
	kd_error_destroy(err);
	return kd_orc_version_for_release(release);
}

static struct kd_error *orc_need_symbol(struct kd_kernel *k, const char *name,
					uint64_t *ret)
{
	struct kd_error *err = kd_kernel_symbol(k, name, ret);
	if (err && kd_error_code(err) == KD_ERROR_NOTFOUND) {
		kd_error_destroy(err);
		return kd_error_create(KD_ERROR_NOTFOUND,
			"%s: no symbol %s: the kernel has no ORC unwind tables (CONFIG_UNWINDER_ORC)",
			k->dump->path, name);
	}
	return err;
}

// The vmlinux tables and the fast look-up table.
static struct kd_error *orc_load_vmlinux(struct kd_kernel *k,
					 struct kd_orc_table *ret)
{
	uint64_t start_ip, stop_ip, start_orc, stop_orc;
	struct kd_error *err = orc_need_symbol(k, "__start_orc_unwind_ip", &start_ip);
	if (!err)
		err = orc_need_symbol(k, "__stop_orc_unwind_ip", &stop_ip);
	if (!err)
		err = orc_need_symbol(k, "__start_orc_unwind", &start_orc);
	if (err)
		return err;
	if (stop_ip <= start_ip || (stop_ip - start_ip) % 4)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: ORC ip table %#" PRIx64 "..%#" PRIx64 " is not a whole number of entries",
			k->dump->path, start_ip, stop_ip);
	uint64_t num = (stop_ip - start_ip) / 4;
	// __stop_orc_unwind, when known, must agree (unwind_init() checks it).
	err = kd_kernel_symbol(k, "__stop_orc_unwind", &stop_orc);
	if (!err && (stop_orc < start_orc || stop_orc - start_orc != num * KD_ORC_ENTRY_SIZE))
		err = kd_error_create(KD_ERROR_CORRUPT,
			"%s: ORC tables disagree: %" PRIu64 " ips but %#" PRIx64 " bytes of entries",
			k->dump->path, num, stop_orc - start_orc);
	if (err && !kd_error_catch(&err, KD_ERROR_NOTFOUND))
		return err;
	struct kd_orc_table t;
	err = kd_orc_table_read(k, start_ip, start_orc, num, orc_vmlinux_version(k), &t);
	if (err)
		return kd_error_prefix(err, "%s: vmlinux ORC tables", k->dump->path);

	// The fast look-up is an optimisation the kernel built at boot
	// (unwind_init()); without it every look-up searches the whole table.
	uint64_t lookup, lookup_end, text, etext;
	uint32_t nblocks = 0;
	err = kd_kernel_symbol(k, "orc_lookup", &lookup);
	if (!err)
		err = kd_kernel_symbol(k, "_stext", &text);
	if (!err)
		err = kd_kernel_symbol(k, "_etext", &etext);
	if (!err) {
		err = kd_kernel_symbol(k, "lookup_num_blocks", &lookup_end);
		if (!err)
			err = kd_kernel_read_u32(k, lookup_end, &nblocks);
		if (err && kd_error_catch(&err, KD_ERROR_NOTFOUND)) {
			err = kd_kernel_symbol(k, "orc_lookup_end", &lookup_end);
			if (!err && lookup_end > lookup)
				nblocks = (uint32_t)((lookup_end - lookup) / 4);
		}
	}
	if (!err && nblocks >= 2 && nblocks <= ORC_MAX_BLOCKS && etext > text) {
		t.lookup = malloc(4 * (size_t)nblocks);
		if (!t.lookup) {
			kd_orc_table_deinit(&t);
			return &kd_enomem;
		}
		size_t missing = 0;
		err = orc_read(k, lookup, (uint8_t *)t.lookup, 4 * (size_t)nblocks, &missing);
		// Indices only grow; a page the dump lacks (read as zeros) or
		// a damaged table makes the look-up unusable, not the tables.
		bool sorted = !err && !missing;
		for (size_t i = 0; sorted && i < nblocks; i++) {
			t.lookup[i] = kd_le32((uint8_t *)&t.lookup[i]);
			sorted = i == 0 || t.lookup[i] >= t.lookup[i - 1];
		}
		if (sorted) {
			t.nblocks = nblocks;
			t.lookup_start = text;
			t.lookup_stop = etext;
		} else {
			free(t.lookup);
			t.lookup = NULL;
		}
	}
	// The look-up table is optional: any error reading it is dropped.
	kd_error_destroy(err);
	*ret = t;
	return NULL;
}

struct kd_error *kd_orc_vmlinux(struct kd_kernel *k,
				const struct kd_orc_table **ret)
{
	if (!k->orc_tried) {
		k->orc_tried = true;
		struct kd_error *err = orc_load_vmlinux(k, &k->orc);
		if (err) {
			k->orc_error = strdup(kd_error_message(err));
			enum kd_error_code code = kd_error_code(err);
			kd_error_destroy(err);
			if (!k->orc_error) {
				k->orc_tried = false;
				return &kd_enomem;
			}
			k->orc_error_code = code;
		}
	}
	if (k->orc_error)
		return kd_error_create(k->orc_error_code, "%s", k->orc_error);
	*ret = &k->orc;
	return NULL;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// A dump file independent of its format: opening and probing, physical reads
// across ranges, and the ELF notes every format carries (NT_PRSTATUS per CPU,
// VMCOREINFO).
#include "dump/dump.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

// statfs(2) f_type of procfs (linux/magic.h PROC_SUPER_MAGIC).
#define DUMP_PROC_MAGIC 0x9fa0

static const struct kd_format_ops *const dump_formats[] = {
	&kd_format_elf,
	&kd_format_kdump,
	&kd_format_flat,
};

struct kd_error *kd_dump_pread(struct kd_dump *dump, void *buf, size_t len,
			       uint64_t off)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t r = pread(dump->fd, p, len, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return kd_error_os(errno, "%s: read at offset %#llx",
					   dump->path, (unsigned long long)off);
		}
		if (r == 0)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: file is truncated (needs data at offset %#llx, file has %llu bytes)",
				dump->path, (unsigned long long)off,
				(unsigned long long)dump->file_size);
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return NULL;
}

// Whether fd is the running kernel's /proc/kcore (procfs, named kcore):
// /proc/vmcore lives on procfs too but is a real dump with a real size.
static bool dump_is_kcore(int fd, const char *path)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != DUMP_PROC_MAGIC)
		return false;
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	const char *name = path;
	if (n > 0) {
		target[n] = '\0';
		name = target;
	}
	const char *slash = strrchr(name, '/');
	return !strcmp(slash ? slash + 1 : name, "kcore");
}

KD_EXPORT struct kd_error *kd_dump_open(const char *path, struct kd_dump **ret)
{
	struct kd_error *err;
	struct kd_dump *dump = calloc(1, sizeof(*dump));
	if (!dump)
		return &kd_enomem;
	dump->fd = -1;
	dump->path = strdup(path);
	if (!dump->path) {
		err = &kd_enomem;
		goto fail;
	}
	dump->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (dump->fd < 0) {
		err = kd_error_os(errno, "%s: cannot open", path);
		goto fail;
	}
	struct stat st;
	if (fstat(dump->fd, &st) < 0) {
		err = kd_error_os(errno, "%s: cannot stat", path);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err = kd_error_create(KD_ERROR_FORMAT,
				      "%s: is a directory, not a dump file", path);
		goto fail;
	}
	// /proc/vmcore reports its real size; character devices and pipes
	// cannot be probed by size, so only regular files are checked here.
	dump->file_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX;
	bool live = dump_is_kcore(dump->fd, path);
	struct statfs sf;
	dump->mappable = !live && fstatfs(dump->fd, &sf) == 0 && sf.f_type == DUMP_PROC_MAGIC;
	// /proc/kcore's size is not the extent of its data (its segments
	// sit at vaddr - PAGE_OFFSET): nothing in it is past its end.
	if (live)
		dump->file_size = UINT64_MAX;

	uint8_t head[64] = {0};
	size_t headlen = dump->file_size < sizeof(head) ? (size_t)dump->file_size
							 : sizeof(head);
	if (headlen == 0) {
		err = kd_error_create(KD_ERROR_FORMAT, "%s: file is empty", path);
		goto fail;
	}
	err = kd_dump_pread(dump, head, headlen, 0);
	if (err)
		goto fail;
	for (size_t i = 0; i < KD_ARRAY_SIZE(dump_formats); i++) {
		if (dump_formats[i]->probe(head, headlen)) {
			dump->ops = dump_formats[i];
			break;
		}
	}
	if (live && dump->ops == &kd_format_elf)
		dump->ops = &kd_format_kcore;
	if (!dump->ops) {
		err = kd_error_create(KD_ERROR_FORMAT,
				      "%s: not a kernel crash dump (unknown format)",
				      path);
		goto fail;
	}
	err = dump->ops->open(dump);
	if (err)
		goto fail;
	// /proc/kcore's NT_PRSTATUS is all zeros: no CPU stopped anywhere.
	if (dump->ops == &kd_format_kcore)
		dump->ncpus = 0;
	*ret = dump;
	return NULL;
fail:
	kd_dump_close(dump);
	return err;
}

KD_EXPORT void kd_dump_close(struct kd_dump *dump)
{
	if (!dump)
		return;
	if (dump->ops && dump->ops->close)
		dump->ops->close(dump);
	for (size_t i = 0; i < dump->nnotes; i++)
		free(dump->notes[i].desc);
	free(dump->notes);
	free(dump->prstatus);
	free(dump->ranges);
	free(dump->range_offsets);
	if (dump->fd >= 0)
		close(dump->fd);
	free(dump->path);
	free(dump);
}

KD_EXPORT const char *kd_dump_path(const struct kd_dump *dump)
{
	return dump->path;
}

KD_EXPORT const char *kd_dump_format_name(const struct kd_dump *dump)
{
	return dump->ops->name;
}

KD_EXPORT uint16_t kd_dump_machine(const struct kd_dump *dump)
{
	return dump->machine;
}

KD_EXPORT bool kd_dump_live(const struct kd_dump *dump)
{
	return dump->ops == &kd_format_kcore;
}

KD_EXPORT bool kd_dump_incomplete(const struct kd_dump *dump)
{
	return dump->incomplete;
}

KD_EXPORT size_t kd_dump_num_ranges(const struct kd_dump *dump)
{
	return dump->nranges;
}

KD_EXPORT const struct kd_phys_range *kd_dump_range(const struct kd_dump *dump,
						    size_t i)
{
	return i < dump->nranges ? &dump->ranges[i] : NULL;
}

static int dump_range_cmp(const void *a, const void *b)
{
	const struct kd_phys_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

struct kd_error *kd_dump_finish_ranges(struct kd_dump *dump)
{
	// Sort ranges and their file offsets together through an index.
	size_t n = dump->nranges;
	struct {
		struct kd_phys_range r;
		uint64_t off;
	} *tmp = malloc(n ? n * sizeof(*tmp) : 1);
	if (!tmp)
		return &kd_enomem;
	for (size_t i = 0; i < n; i++) {
		tmp[i].r = dump->ranges[i];
		tmp[i].off = dump->range_offsets[i];
	}
	// dump_range_cmp compares the leading kd_phys_range member.
	qsort(tmp, n, sizeof(*tmp), dump_range_cmp);
	for (size_t i = 0; i < n; i++) {
		dump->ranges[i] = tmp[i].r;
		dump->range_offsets[i] = tmp[i].off;
	}
	free(tmp);
	// The kernel's ELF header describes the kernel image twice: in its own
	// PT_LOAD (text mapping) and inside the System RAM one (direct map).
	// Keep each physical byte once: drop contained ranges, trim overlaps.
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		struct kd_phys_range r = dump->ranges[i];
		uint64_t off = dump->range_offsets[i];
		if (out) {
			const struct kd_phys_range *p = &dump->ranges[out - 1];
			uint64_t pend = p->start + p->size;
			if (pend >= r.start + r.size)
				continue;
			if (pend > r.start) {
				uint64_t cut = pend - r.start;
				r.start += cut;
				r.size -= cut;
				if (r.vaddr)
					r.vaddr += cut;
				if (off != KD_RANGE_ZERO)
					off += cut;
			}
		}
		dump->ranges[out] = r;
		dump->range_offsets[out] = off;
		out++;
	}
	dump->nranges = out;
	return NULL;
}

// Index of the range containing paddr, or the count if none.
static size_t dump_find_range(const struct kd_dump *dump, uint64_t paddr)
{
	size_t lo = 0, hi = dump->nranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct kd_phys_range *r = &dump->ranges[mid];
		if (paddr < r->start)
			hi = mid;
		else if (paddr - r->start >= r->size)
			lo = mid + 1;
		else
			return mid;
	}
	return dump->nranges;
}

KD_EXPORT struct kd_error *kd_dump_read_phys(struct kd_dump *dump,
					     uint64_t paddr, void *buf,
					     size_t len)
{
	uint8_t *p = buf;
	while (len) {
		size_t i = dump_find_range(dump, paddr);
		if (i == dump->nranges)
			return kd_error_create(KD_ERROR_NODATA,
				"%s: physical address %#llx is not in the dump",
				dump->path, (unsigned long long)paddr);
		const struct kd_phys_range *r = &dump->ranges[i];
		uint64_t avail = r->start + r->size - paddr;
		size_t n = avail < len ? (size_t)avail : len;
		struct kd_error *err = dump->ops->read_phys(dump, i, paddr, p, n);
		if (err)
			return err;
		p += n;
		len -= n;
		paddr += n;
	}
	return NULL;
}

// Windows of 4 MiB: big enough that mmap()/munmap() calls are rare next
// to the pages compressed, small enough to keep the resident set (mapped
// file pages count in RSS) far below the save's memory budget.
#define MAP_WINDOW (4u << 20)

const uint8_t *kd_dump_map_phys(struct kd_dump *dump, struct kd_map *m,
				uint64_t paddr, size_t len)
{
	if (!dump->mappable || m->failed || dump->ops != &kd_format_elf ||
	    len > MAP_WINDOW / 2)
		return NULL;
	size_t i = dump_find_range(dump, paddr);
	if (i == dump->nranges || dump->range_offsets[i] == KD_RANGE_ZERO)
		return NULL;
	const struct kd_phys_range *r = &dump->ranges[i];
	if (r->start + r->size - paddr < len)
		return NULL;
	uint64_t off = dump->range_offsets[i] + (paddr - r->start);
	// Touching a mapped page past the end of the file raises SIGBUS: a
	// truncated dump must go through pread() and its error instead.
	if (off > dump->file_size || dump->file_size - off < len)
		return NULL;
	if (!m->base || off < m->off || off + len > m->off + m->len) {
		kd_dump_unmap(m);
		uint64_t start = off & ~(uint64_t)(MAP_WINDOW / 2 - 1);
		uint64_t end = start + MAP_WINDOW;
		if (end > dump->file_size)
			end = dump->file_size;
		void *p = mmap(NULL, end - start, PROT_READ, MAP_SHARED,
			       dump->fd, (off_t)start);
		if (p == MAP_FAILED) {
			m->failed = true;
			return NULL;
		}
		m->base = p;
		m->off = start;
		m->len = end - start;
	}
	return m->base + (off - m->off);
}

void kd_dump_unmap(struct kd_map *m)
{
	if (m->base)
		munmap(m->base, m->len);
	m->base = NULL;
	m->len = 0;
}

bool kd_dump_page_stored(struct kd_dump *dump, uint64_t paddr,
			 uint64_t page_size)
{
	// Ranges are sorted and disjoint; a page may straddle two adjacent
	// ones (ELF segments split at any byte).
	uint64_t end = paddr + page_size;
	if (end < paddr)
		return false;
	for (uint64_t a = paddr; a < end;) {
		size_t i = dump_find_range(dump, a);
		if (i == dump->nranges)
			return false;
		if (dump->ops->page_stored && !dump->ops->page_stored(dump, a))
			return false;
		const struct kd_phys_range *r = &dump->ranges[i];
		a = r->start + r->size;
	}
	return true;
}

/* ------------------------------------------------------------------ notes */

// Rebuild the pointers into dump->notes (after it moved).
static void dump_index_notes(struct kd_dump *dump)
{
	dump->vmcoreinfo = NULL;
	dump->ncpus = 0;
	for (size_t i = 0; i < dump->nnotes; i++) {
		const struct kd_note *m = &dump->notes[i];
		if (!strcmp(m->name, "CORE") && m->type == NT_PRSTATUS)
			dump->prstatus[dump->ncpus++] = m;
		else if (!strcmp(m->name, "VMCOREINFO") && !dump->vmcoreinfo)
			dump->vmcoreinfo = m;
	}
}

struct kd_error *kd_dump_add_note(struct kd_dump *dump, const char *name,
				  uint32_t type, const void *desc, size_t descsz)
{
	// Every note is copied: the copies of one dump share one budget, so
	// that PT_NOTE headers repeating the same bytes cannot multiply them.
	if (descsz > KD_MAX_NOTES_BYTES - dump->notes_bytes)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: ELF notes total more than %u bytes (note %zu, \"%s\" type %u, adds %zu bytes; repeated or overlapping PT_NOTE segments?)",
			dump->path, KD_MAX_NOTES_BYTES, dump->nnotes, name, type,
			descsz);
	if (dump->nnotes >= KD_MAX_NOTES)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: more than %u ELF notes (note \"%s\" type %u)",
			dump->path, KD_MAX_NOTES, name, type);
	if (dump->nnotes == dump->notes_cap) {
		// Grow geometrically: a note section of many tiny notes must
		// cost linear time, not a realloc and a rebuild per note.
		size_t ncap = dump->notes_cap ? 2 * dump->notes_cap : 16;
		struct kd_note *notes = realloc(dump->notes, ncap * sizeof(*notes));
		if (!notes)
			return &kd_enomem;
		dump->notes = notes;
		const struct kd_note **ps = realloc(dump->prstatus, ncap * sizeof(*ps));
		if (!ps)
			return &kd_enomem;
		dump->prstatus = ps;
		dump->notes_cap = ncap;
		// notes may have moved: rebuild the pointers into it.
		dump_index_notes(dump);
	}
	struct kd_note *n = &dump->notes[dump->nnotes];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->type = type;
	n->descsz = descsz;
	n->desc = malloc(descsz ? descsz : 1);
	if (!n->desc)
		return &kd_enomem;
	memcpy(n->desc, desc, descsz);
	dump->nnotes++;
	dump->notes_bytes += descsz;
	if (!strcmp(name, KD_NOTE_NAME) && type == KD_NOTE_STATUS && descsz >= 4 &&
	    kd_dump_u32(dump, desc) == KD_NOTE_INCOMPLETE)
		dump->incomplete = true;
	if (!strcmp(n->name, "CORE") && n->type == NT_PRSTATUS)
		dump->prstatus[dump->ncpus++] = n;
	else if (!strcmp(n->name, "VMCOREINFO") && !dump->vmcoreinfo)
		dump->vmcoreinfo = n;
	return NULL;
}

static size_t dump_align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

// ELF notes (System V ABI, "Note Section"): namesz, descsz, type, then name
// and desc each padded to 4 bytes.
struct kd_error *kd_dump_parse_notes(struct kd_dump *dump, const uint8_t *buf,
				     size_t len)
{
	size_t off = 0;
	while (len - off >= 12) {
		uint32_t namesz, descsz, type;
		namesz = kd_dump_u32(dump, buf + off);
		descsz = kd_dump_u32(dump, buf + off + 4);
		type = kd_dump_u32(dump, buf + off + 8);
		off += 12;
		// The kernel pads PT_NOTE with zeros after the last note.
		if (namesz == 0 && descsz == 0 && type == 0)
			break;
		if (namesz > len - off || dump_align4(namesz) > len - off ||
		    descsz > len - off - dump_align4(namesz))
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: ELF note at offset %zu runs past the end of its segment",
				dump->path, off - 12);
		char name[32] = "";
		size_t nl = namesz < sizeof(name) ? namesz : sizeof(name) - 1;
		memcpy(name, buf + off, nl);
		name[nl] = '\0';
		off += dump_align4(namesz);
		struct kd_error *err = kd_dump_add_note(dump, name, type,
							buf + off, descsz);
		if (err)
			return err;
		// The last note's desc padding may be cut by the segment end.
		off += dump_align4(descsz) < len - off ? dump_align4(descsz) : len - off;
	}
	return NULL;
}

KD_EXPORT size_t kd_dump_num_cpus(const struct kd_dump *dump)
{
	return dump->ncpus;
}

// Where pr_reg, pr_pid and the ip/sp registers sit in struct elf_prstatus,
// per architecture (include/uapi/linux/elfcore.h; user_regs_struct of the
// arch's asm/user.h, or user_pt_regs on arm64).
struct prstatus_layout {
	uint16_t machine;
	size_t pid_off, reg_off, nregs, ip_idx, sp_idx;
};

static const struct prstatus_layout prstatus_layouts[] = {
	// x86_64: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax
	// ip cs flags sp ss fs_base gs_base ds es fs gs
	{ EM_X86_64, 32, 112, 27, 16, 19 },
	// arm64: x0..x30, sp, pc, pstate
	{ EM_AARCH64, 32, 112, 34, 32, 31 },
};

KD_EXPORT struct kd_error *kd_dump_cpu_state(const struct kd_dump *dump,
					     size_t cpu,
					     struct kd_cpu_state *ret)
{
	if (cpu >= dump->ncpus)
		return kd_error_create(KD_ERROR_NOTFOUND,
				       "%s: no NT_PRSTATUS note for CPU %zu",
				       dump->path, cpu);
	const struct prstatus_layout *l = NULL;
	for (size_t i = 0; i < KD_ARRAY_SIZE(prstatus_layouts); i++)
		if (prstatus_layouts[i].machine == dump->machine)
			l = &prstatus_layouts[i];
	if (!l)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: CPU registers of ELF machine %u are not supported",
			dump->path, dump->machine);
	const struct kd_note *n = dump->prstatus[cpu];
	if (n->descsz < l->reg_off + 8 * l->nregs)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: NT_PRSTATUS note of CPU %zu is too short (%zu bytes)",
			dump->path, cpu, n->descsz);
	struct kd_cpu_state st = {0};
	st.pid = kd_dump_u32(dump, n->desc + l->pid_off);
	st.nregs = l->nregs;
	for (size_t i = 0; i < l->nregs; i++) {
		const uint8_t *p = n->desc + l->reg_off + 8 * i;
		st.regs[i] = kd_dump_u64(dump, p);
	}
	st.ip = st.regs[l->ip_idx];
	st.sp = st.regs[l->sp_idx];
	*ret = st;
	return NULL;
}

KD_EXPORT const char *kd_dump_vmcoreinfo_raw(const struct kd_dump *dump,
					     size_t *len_ret)
{
	if (!dump->vmcoreinfo)
		return NULL;
	*len_ret = dump->vmcoreinfo->descsz;
	return (const char *)dump->vmcoreinfo->desc;
}

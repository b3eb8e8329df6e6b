/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Synthetic ELF64 crash dumps for unit tests: a little-endian x86_64 core
 * with notes and PT_LOAD segments built in memory and written to a
 * temporary file. Kernel-level tests put data in one physical block at
 * physical 0 and address it through the x86_64 kernel text mapping
 * (SYNTH_KVA(paddr), phys_base 0), so no page tables are needed.
 */
#ifndef KEXDUMP_TESTS_SYNTH_H
#define KEXDUMP_TESTS_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#define SYNTH_TEXT_BASE 0xffffffff80000000ULL
#define SYNTH_KVA(paddr) (SYNTH_TEXT_BASE + (uint64_t)(paddr))

struct synth;

struct synth *synth_new(void);
void synth_free(struct synth *s);
/* Append a note (name, type, desc). */
void synth_note(struct synth *s, const char *name, uint32_t type,
		const void *desc, size_t descsz);
/* Append an x86_64 NT_PRSTATUS note. */
void synth_prstatus(struct synth *s, uint32_t pid, uint64_t ip, uint64_t sp);
/* Append VMCOREINFO text (a printf format). */
void synth_vmcoreinfo(struct synth *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append a PT_LOAD for [paddr, paddr+size) with the given contents. */
void synth_load(struct synth *s, uint64_t paddr, uint64_t vaddr,
		const void *data, size_t size);
/* Write the core to a new temporary file; returns its malloc'd path. */
char *synth_write(struct synth *s);
/* The core's bytes (malloc'd), *len_ret their count. */
/* An x86_64 ELF64 core header with @p phnum program headers right after
 * it, into the first 64 bytes of @p buf. */
void synth_ehdr(uint8_t *buf, size_t phnum);
uint8_t *synth_image(struct synth *s, size_t *len_ret);
/* Write arbitrary bytes to a new temporary file; returns its path. */
char *synth_write_bytes(const void *data, size_t len);

struct kd_dump;
struct kd_kernel;

/* A synthetic dump on disk, opened with its kernel. */
struct synth_fixture {
	char *path;
	struct kd_dump *dump;
	struct kd_kernel *kernel;
};
/* Write @s to a temporary file and open the dump and its kernel; on failure
 * print the library's message and abort the test. */
struct synth_fixture synth_open(struct synth *s);
/* Close what is open (either handle may be NULL) and remove the file. */
void synth_fixture_close(struct synth_fixture *f);

/* Run @p argv (searched in PATH) with stdin from @p in (NULL: /dev/null)
 * and stderr to /dev/null, its stdout into *out (malloc'ed, NUL-terminated)
 * unless @p out is NULL. Returns its exit status, or -1 when it could not
 * be started or did not exit normally. For tests that compare with the
 * real tools (mke2fs, blkid, cpio, modprobe). */
int synth_run(char *const argv[], const char *in, char **out);
/* synth_run()'s stdout when the program exits 0, else NULL. */
char *synth_run_output(char *const argv[], const char *in);

/* Little-endian stores into test buffers. */
void synth_put16(void *p, uint16_t v);
void synth_put32(void *p, uint32_t v);
void synth_put64(void *p, uint64_t v);

/* The VMCOREINFO lines of the lockless printk ring's layout that the
 * synthetic kernels use (kernel/printk/printk_ringbuffer.h, x86_64). */
#define SYNTH_PRINTK_LAYOUT \
	"OFFSET(printk_ringbuffer.desc_ring)=0\n" \
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n" \
	"OFFSET(prb_desc_ring.count_bits)=0\nOFFSET(prb_desc_ring.descs)=8\n" \
	"OFFSET(prb_desc_ring.infos)=16\nOFFSET(prb_desc_ring.head_id)=24\n" \
	"OFFSET(prb_desc_ring.tail_id)=32\n" \
	"SIZE(prb_desc)=24\nOFFSET(prb_desc.state_var)=0\n" \
	"OFFSET(prb_desc.text_blk_lpos)=8\n" \
	"OFFSET(prb_data_blk_lpos.begin)=0\nOFFSET(prb_data_blk_lpos.next)=8\n" \
	"SIZE(printk_info)=88\nOFFSET(printk_info.seq)=0\n" \
	"OFFSET(printk_info.ts_nsec)=8\nOFFSET(printk_info.text_len)=16\n" \
	"OFFSET(printk_info.caller_id)=20\n" \
	"OFFSET(prb_data_ring.size_bits)=0\nOFFSET(prb_data_ring.data)=8\n" \
	"OFFSET(atomic_long_t.counter)=0\n"

#endif

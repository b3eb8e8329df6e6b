// SPDX-License-Identifier: LGPL-2.1-or-later
// mksynth DIR: write the synthetic dumps that tests/cli/test-cli.sh drives
// the kexdump command with.
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/synth.h"

// log.core: a kernel log in the log_buf/printk_log format of Linux 3.5 to
// 5.9 (struct printk_log of v5.4 x86_64 with CONFIG_PRINTK_CALLER: 20
// bytes, ts_nsec at 0, len 8, text_len 10, dict_len 12, facility 14,
// flags/level 15, caller_id 16; records 4-byte aligned, as log_store()
// in kernel/printk/printk.c writes them).
#define LOG_PTR 0x1000u		// char *log_buf, u32 log_buf_len, u32 first/next idx
#define LOG_BANNER 0x2000u
#define LOG_BUF 0x4000u
#define LOG_BUF_LEN 0x2000u
#define LOG_MEM 0x8000u

static uint32_t put_record(uint8_t *mem, uint32_t idx, uint64_t ts, uint8_t level,
			   const char *text)
{
	size_t text_len = strlen(text);
	uint32_t len = (uint32_t)((20 + text_len + 3) & ~(size_t)3);
	uint8_t *h = mem + LOG_BUF + idx;
	synth_put64(h, ts);
	synth_put16(h + 8, (uint16_t)len);
	synth_put16(h + 10, (uint16_t)text_len);
	synth_put16(h + 12, 0);
	h[14] = 0;			// facility: kernel
	h[15] = (uint8_t)(level << 5 | 0x2);
	synth_put32(h + 16, 1);		// caller: task 1
	memcpy(h + 20, text, text_len);
	return idx + len;
}

// @p release and @p panic: VMCOREINFO's OSRELEASE and the panic record's
// text (hostile.core puts terminal escapes in both).
static struct synth *log_core(uint8_t *mem, const char *release, const char *panic)
{
	static const char banner[] = "Linux version 9.9.9-synthetic (test)";
	memcpy(mem + LOG_BANNER, banner, sizeof(banner));
	uint32_t next = 0;
	next = put_record(mem, next, 0, 5, banner);
	next = put_record(mem, next, 12345678901ull, 6, "sysrq: Trigger a crash");
	next = put_record(mem, next, 12345999000ull, 0, panic);
	synth_put64(mem + LOG_PTR, SYNTH_KVA(LOG_BUF));
	synth_put32(mem + LOG_PTR + 8, LOG_BUF_LEN);
	synth_put32(mem + LOG_PTR + 0x10, 0);
	synth_put32(mem + LOG_PTR + 0x18, next);
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0xffffffff81001234ULL, 0xffffc90000010000ULL);
	synth_vmcoreinfo(s,
		"OSRELEASE=%s\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
		"KERNELOFFSET=0\nCRASHTIME=1795755448\n"
		"SYMBOL(linux_banner)=%llx\nSYMBOL(log_buf)=%llx\n"
		"SYMBOL(log_buf_len)=%llx\nSYMBOL(log_first_idx)=%llx\n"
		"SYMBOL(log_next_idx)=%llx\nSIZE(printk_log)=20\n"
		"OFFSET(printk_log.ts_nsec)=0\nOFFSET(printk_log.len)=8\n"
		"OFFSET(printk_log.text_len)=10\nOFFSET(printk_log.dict_len)=12\n"
		"OFFSET(printk_log.caller_id)=16\n", release,
		(unsigned long long)SYNTH_KVA(LOG_BANNER), (unsigned long long)SYNTH_KVA(LOG_PTR),
		(unsigned long long)SYNTH_KVA(LOG_PTR + 8),
		(unsigned long long)SYNTH_KVA(LOG_PTR + 0x10),
		(unsigned long long)SYNTH_KVA(LOG_PTR + 0x18));
	synth_load(s, 0, 0xffff888000000000ULL, mem, LOG_MEM);
	return s;
}

static void save(const char *dir, const char *name, char *tmp)
{
	char dst[4096];
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if (rename(tmp, dst)) {
		perror(dst);
		exit(1);
	}
	free(tmp);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mksynth DIR\n");
		return 2;
	}
	static uint8_t mem[0x4000];
	memcpy(mem + 0x1000, "Linux version 9.9.9-synthetic (test)\n", 38);
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0xffffffff81001234ULL, 0xffffc90000010000ULL);
	synth_prstatus(s, 0, 0xffffffff81005678ULL, 0xffffc90000020000ULL);
	synth_vmcoreinfo(s,
		"OSRELEASE=9.9.9-synthetic\n"
		"BUILD-ID=0123456789abcdef0123456789abcdef01234567\n"
		"PAGESIZE=4096\n"
		"SYMBOL(linux_banner)=%llx\n"
		"NUMBER(phys_base)=0\n"
		"KERNELOFFSET=0\n"
		"CRASHTIME=1795755448\n",
		(unsigned long long)SYNTH_KVA(0x1000));
	synth_load(s, 0, 0xffff888000000000ULL, mem, sizeof(mem));
	synth_load(s, 0x100000000ULL, 0xffff888100000000ULL, mem, 0x1000);
	save(argv[1], "good.core", synth_write(s));
	synth_free(s);

	// Memory below 64 KiB only: kexdump save turns it into small
	// kdump-compressed and flattened files (fuzzing seeds).
	memset(mem + 0x2000, 0x5a, 0x800);
	s = synth_new();
	synth_prstatus(s, 1, 0xffffffff81001234ULL, 0xffffc90000010000ULL);
	synth_vmcoreinfo(s, "OSRELEASE=9.9.9-synthetic\nPAGESIZE=4096\n"
			 "SYMBOL(linux_banner)=%llx\nNUMBER(phys_base)=0\n",
			 (unsigned long long)SYNTH_KVA(0x1000));
	synth_load(s, 0, 0xffff888000000000ULL, mem, sizeof(mem));
	save(argv[1], "small.core", synth_write(s));
	synth_free(s);

	s = synth_new();
	synth_prstatus(s, 1, 0, 0);
	synth_load(s, 0, 0, mem, 0x1000);
	save(argv[1], "novmcoreinfo.core", synth_write(s));
	synth_free(s);

	static uint8_t logmem[LOG_MEM];
	s = log_core(logmem, "9.9.9-synthetic",
		     "Kernel panic - not syncing: sysrq triggered crash");
	save(argv[1], "log.core", synth_write(s));
	synth_free(s);
	// Terminal controls where a dump has strings: ESC sequences, BEL, C1
	// CSI as UTF-8 (U+009B) and as a raw byte, DEL.
	memset(logmem, 0, sizeof(logmem));
	s = log_core(logmem, "9.9\033[2J\007\302\233" "31m\233\177-evil",
		     "Kernel panic - not syncing: \033]0;owned\007\033[2J\302\233" "1m\233 x");
	save(argv[1], "hostile.core", synth_write(s));
	synth_free(s);
	return 0;
}

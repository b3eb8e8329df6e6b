// SPDX-License-Identifier: LGPL-2.1-or-later
// mksynth DIR: write the synthetic dumps that tests/cli/test-cli.sh drives
// the kexdump command with.
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/synth.h"

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
	return 0;
}

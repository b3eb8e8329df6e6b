// SPDX-License-Identifier: LGPL-2.1-or-later
// mkfaultdump FILE [PAGES [ZERO_EVERY]]: a synthetic ELF crash dump for the
// fault tests (tests/fault/test-faults.sh): PAGES pages (default 2048) at
// physical 0, every ZERO_EVERY-th (default 7; 2 alternates) all zeros, the
// others a pattern of their pfn. Prints the file offset of its PT_LOAD's
// data (the second program header's p_offset): page PFN lies at that
// offset + PFN * 4096.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/synth.h"

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: mkfaultdump FILE [PAGES [ZERO_EVERY]]\n");
		return 2;
	}
	size_t pages = argc > 2 ? strtoul(argv[2], NULL, 0) : 2048;
	unsigned long every = argc > 3 ? strtoul(argv[3], NULL, 0) : 7;
	if (!pages || every < 2)
		return 2;
	uint8_t *mem = calloc(pages, 4096);
	if (!mem)
		return 1;
	for (size_t pfn = 0; pfn < pages; pfn++) {
		if (pfn % every == 0)
			continue;
		for (size_t i = 0; i < 4096; i++)
			mem[pfn * 4096 + i] = (uint8_t)(i / 16 + pfn * 7 + (pfn >> 8));
	}
	struct synth *s = synth_new();
	synth_prstatus(s, 1, 0xffffffff81001234ULL, 0xffffc90000010000ULL);
	synth_vmcoreinfo(s, "OSRELEASE=9.9.9-faults\nPAGESIZE=4096\n"
			 "NUMBER(phys_base)=0\nCRASHTIME=1795755448\n");
	synth_load(s, 0, 0xffff888000000000ULL, mem, pages * 4096);
	char *tmp = synth_write(s);
	synth_free(s);
	free(mem);
	if (rename(tmp, argv[1])) {
		perror(argv[1]);
		return 1;
	}
	free(tmp);
	FILE *f = fopen(argv[1], "rb");
	unsigned char ph[8];
	// e_phoff 64, Elf64_Phdr 56 bytes, p_offset at 8 (elf(5)).
	if (!f || fseek(f, 64 + 56 + 8, SEEK_SET) || fread(ph, 1, 8, f) != 8) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);
	unsigned long long off = 0;
	for (int i = 7; i >= 0; i--)
		off = off << 8 | ph[i];
	printf("%llu\n", off);
	return 0;
}

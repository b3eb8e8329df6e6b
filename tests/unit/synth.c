// SPDX-License-Identifier: LGPL-2.1-or-later
// Builder of synthetic ELF64 x86_64 cores for the unit tests (see synth.h).
#include "synth.h"

#include <kexdump/kexdump.h>

#include <elf.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct load {
	uint64_t paddr, vaddr;
	uint8_t *data;
	size_t size;
};

struct synth {
	uint8_t *notes;
	size_t notes_len;
	struct load loads[16];
	size_t nloads;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void synth_put16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

void synth_put32(void *p, uint32_t v)
{
	synth_put16(p, (uint16_t)v);
	synth_put16((uint8_t *)p + 2, (uint16_t)(v >> 16));
}

void synth_put64(void *p, uint64_t v)
{
	synth_put32(p, (uint32_t)v);
	synth_put32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

struct synth *synth_new(void)
{
	struct synth *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	return s;
}

void synth_free(struct synth *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nloads; i++)
		free(s->loads[i].data);
	free(s->notes);
	free(s);
}

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

void synth_note(struct synth *s, const char *name, uint32_t type,
		const void *desc, size_t descsz)
{
	size_t namesz = strlen(name) + 1;
	size_t add = 12 + align4(namesz) + align4(descsz);
	s->notes = realloc(s->notes, s->notes_len + add);
	if (!s->notes)
		abort();
	uint8_t *p = s->notes + s->notes_len;
	memset(p, 0, add);
	synth_put32(p, (uint32_t)namesz);
	synth_put32(p + 4, (uint32_t)descsz);
	synth_put32(p + 8, type);
	memcpy(p + 12, name, namesz);
	memcpy(p + 12 + align4(namesz), desc, descsz);
	s->notes_len += add;
}

void synth_prstatus(struct synth *s, uint32_t pid, uint64_t ip, uint64_t sp)
{
	uint8_t d[336] = {0};
	synth_put32(d + 32, pid);
	for (int i = 0; i < 27; i++)
		synth_put64(d + 112 + 8 * i, 0x1000 + (uint64_t)i);
	synth_put64(d + 112 + 8 * 16, ip);
	synth_put64(d + 112 + 8 * 19, sp);
	synth_note(s, "CORE", NT_PRSTATUS, d, sizeof(d));
}

void synth_vmcoreinfo(struct synth *s, const char *fmt, ...)
{
	char *text;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	synth_note(s, "VMCOREINFO", 0, text, strlen(text));
	free(text);
}

void synth_load(struct synth *s, uint64_t paddr, uint64_t vaddr,
		const void *data, size_t size)
{
	if (s->nloads == sizeof(s->loads) / sizeof(s->loads[0]))
		abort();
	struct load *l = &s->loads[s->nloads++];
	l->paddr = paddr;
	l->vaddr = vaddr;
	l->size = size;
	l->data = xmalloc(size);
	memcpy(l->data, data, size);
}

static char *write_tmp(const void *data, size_t len)
{
	char *path = strdup("/tmp/kexdump-test-XXXXXX");
	if (!path)
		abort();
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	if (len && write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

char *synth_write_bytes(const void *data, size_t len)
{
	return write_tmp(data, len);
}

char *synth_write(struct synth *s)
{
	size_t total;
	uint8_t *buf = synth_image(s, &total);
	char *path = write_tmp(buf, total);
	free(buf);
	return path;
}

void synth_ehdr(uint8_t *buf, size_t phnum)
{
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)phnum;
	memcpy(buf, &eh, sizeof(eh)); // the test host is little-endian x86_64
}

uint8_t *synth_image(struct synth *s, size_t *len_ret)
{
	size_t nph = 1 + s->nloads;
	size_t off = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
	size_t total = off + s->notes_len;
	for (size_t i = 0; i < s->nloads; i++)
		total += s->loads[i].size;
	uint8_t *buf = calloc(1, total);
	if (!buf)
		abort();
	synth_ehdr(buf, nph);
	Elf64_Phdr ph = {0};
	ph.p_type = PT_NOTE;
	ph.p_offset = off;
	ph.p_filesz = s->notes_len;
	memcpy(buf + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
	memcpy(buf + off, s->notes, s->notes_len);
	off += s->notes_len;
	for (size_t i = 0; i < s->nloads; i++) {
		const struct load *l = &s->loads[i];
		memset(&ph, 0, sizeof(ph));
		ph.p_type = PT_LOAD;
		ph.p_offset = off;
		ph.p_vaddr = l->vaddr;
		ph.p_paddr = l->paddr;
		ph.p_filesz = ph.p_memsz = l->size;
		ph.p_flags = PF_R | PF_W | PF_X;
		memcpy(buf + sizeof(Elf64_Ehdr) + (i + 1) * sizeof(ph), &ph, sizeof(ph));
		memcpy(buf + off, l->data, l->size);
		off += l->size;
	}
	*len_ret = total;
	return buf;
}

struct synth_fixture synth_open(struct synth *s)
{
	struct synth_fixture f = { .path = synth_write(s) };
	struct kd_error *err = kd_dump_open(f.path, &f.dump);
	if (!err)
		err = kd_kernel_open(f.dump, NULL, &f.kernel);
	if (err) {
		fprintf(stderr, "synth_open: %s\n", kd_error_message(err));
		abort();
	}
	return f;
}

void synth_fixture_close(struct synth_fixture *f)
{
	kd_kernel_close(f->kernel);
	kd_dump_close(f->dump);
	unlink(f->path);
	free(f->path);
}

int synth_run(char *const argv[], const char *in, char **out)
{
	int pfd[2];
	if (out)
		*out = NULL;
	if (pipe(pfd) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addclose(&fa, pfd[1]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		return -1;
	}
	// Read to the end even when the caller wants nothing, so the
	// program never blocks on a full pipe.
	size_t len = 0, cap = 1u << 16;
	char *buf = malloc(cap);
	ssize_t n;
	while (buf && (n = read(pfd[0], buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	close(pfd[0]);
	int status;
	if (waitpid(pid, &status, 0) < 0 || !buf) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *synth_run_output(char *const argv[], const char *in)
{
	char *out;
	if (synth_run(argv, in, &out) == 0)
		return out;
	free(out);
	return NULL;
}

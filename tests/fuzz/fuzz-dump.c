// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: a whole dump file, through every reader a user's
// "kexdump info" and "kexdump dmesg" reach: format probe and ELF headers,
// notes, VMCOREINFO, address translation, kallsyms and the kernel log.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kexdump/kexdump.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kd_error *count(const struct kd_printk_record *rec, void *arg)
{
	char *line;
	size_t len;
	struct kd_error *err = kd_printk_format(rec, true, &line, &len);
	if (!err)
		free(line);
	++*(size_t *)arg;
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-dump", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct kd_dump *dump;
	struct kd_error *err = kd_dump_open(path, &dump);
	if (err) {
		kd_error_destroy(err);
		close(fd);
		return 0;
	}
	struct kd_cpu_state st;
	for (size_t i = 0; i < kd_dump_num_cpus(dump); i++)
		kd_error_destroy(kd_dump_cpu_state(dump, i, &st));
	struct kd_kernel *kernel;
	err = kd_kernel_open(dump, NULL, &kernel);
	if (!err) {
		size_t n = 0;
		kd_error_destroy(kd_printk_iterate(kernel, count, &n));
		uint64_t pa;
		kd_error_destroy(kd_kernel_vtop(kernel, 0xffffc90000001000ULL, &pa));
		kd_kernel_close(kernel);
	}
	kd_error_destroy(err);
	kd_dump_close(dump);
	close(fd);
	return 0;
}

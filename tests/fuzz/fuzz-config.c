// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: /etc/kexdump.conf text. A config that parses must
// write out (kd_config_write) as text that parses back to the same config.
#include <kexdump/service.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_config cfg, again;
	struct kd_error *err = kd_config_parse("fuzz.conf", (const char *)data, size, &cfg);
	if (err) {
		kd_error_destroy(err);
		return 0;
	}
	int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	err = kd_config_write(&cfg, fd);
	if (err)
		abort();
	off_t len = lseek(fd, 0, SEEK_CUR);
	char *text = malloc((size_t)len + 1);
	if (!text || pread(fd, text, (size_t)len, 0) != len)
		abort();
	close(fd);
	err = kd_config_parse("written.conf", text, (size_t)len, &again);
	free(text);
	// The written form must parse back to the same settings (the
	// targets' line numbers are the written file's).
	for (size_t i = 0; !err && i < KD_CONFIG_MAX_TARGETS; i++)
		cfg.chain[i].line = again.chain[i].line = 0;
	if (err || memcmp(&cfg, &again, sizeof(cfg)))
		abort();
	return 0;
}

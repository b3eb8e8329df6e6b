// SPDX-License-Identifier: LGPL-2.1-or-later
// sftp-client: drives lib/service/sftp.c for tests/e2e/check-sftp.sh and
// bench/sftp.sh, against a real sshd.
//
//   sftp-client keygen KEYFILE
//   sftp-client [OPTIONS] USER HOST PORT KEYFILE KNOWN_HOSTS probe FOLDER
//   sftp-client [OPTIONS] USER HOST PORT KEYFILE KNOWN_HOSTS save DUMP REMOTE
//
// OPTIONS: --pin (pin an unknown host key), --dump-level N, --codec C,
// --retries N, --retry-wait-ms N, --timeout S, --on-bytes N CMD (run the
// shell command CMD once the save has written N bytes: the test kills
// sshd there). Errors are one line "sftp-client: MESSAGE" on stderr, exit
// 1; save prints "status=complete|incomplete drops=N reconnects=N
// resumed_at=N server_size=N bytes_sent=N bytes_out=N seconds=S".
#include <kexdump/kexdump.h>
#include <kexdump/service.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hook {
	uint64_t at;
	const char *cmd;
	bool done;
};

static void progress(const struct kd_save_progress *p, void *arg)
{
	struct hook *h = arg;
	if (h->cmd && !h->done && p->bytes_out >= h->at) {
		h->done = true;
		if (system(h->cmd) != 0)
			fprintf(stderr, "sftp-client: hook failed: %s\n", h->cmd);
	}
}

static int fail(struct kd_error *err)
{
	fprintf(stderr, "sftp-client: %s\n", kd_error_message(err));
	kd_error_destroy(err);
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: sftp-client keygen KEYFILE | [OPTIONS] USER HOST PORT KEYFILE "
			"KNOWN_HOSTS probe FOLDER|save DUMP REMOTE\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "keygen")) {
		char line[512];
		bool created;
		struct kd_error *err = kd_sftp_keygen(argv[2], "kexdump-test", line, sizeof(line),
						      &created);
		if (err)
			return fail(err);
		printf("%s\n", line);
		return 0;
	}
	struct kd_sftp_target t = { 0 };
	struct kd_save_options o = { .format = KD_SAVE_KDUMP, .dump_level = 31 };
	struct hook h = { 0 };
	unsigned int flags = 0;
	int i = 1;
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--pin"))
			flags |= KD_SFTP_PIN;
		else if (i + 1 >= argc)
			return usage();
		else if (!strcmp(a, "--dump-level"))
			o.dump_level = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(a, "--codec")) {
			struct kd_error *err = kd_save_parse_codec(argv[++i], &o.codec, &o.level);
			if (err)
				return fail(err);
		} else if (!strcmp(a, "--retries"))
			t.retries = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(a, "--retry-wait-ms"))
			t.retry_wait_ms = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(a, "--timeout"))
			t.timeout = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(a, "--on-bytes") && i + 2 < argc) {
			h.at = strtoull(argv[++i], NULL, 0);
			h.cmd = argv[++i];
		} else
			return usage();
	}
	if (argc - i < 7)
		return usage();
	t.user = argv[i];
	t.host = argv[i + 1];
	t.port = (unsigned int)atoi(argv[i + 2]);
	t.key_file = argv[i + 3];
	t.known_hosts = argv[i + 4];
	const char *cmd = argv[i + 5];
	struct kd_sftp *s;
	struct kd_error *err = kd_sftp_open(&t, flags, &s);
	if (err)
		return fail(err);
	if (kd_sftp_pinned(s))
		printf("pinned %s\n", kd_sftp_fingerprint(s));
	if (!strcmp(cmd, "probe")) {
		err = kd_sftp_probe(s, argv[i + 6]);
		kd_sftp_close(s);
		return err ? fail(err) : 0;
	}
	if (strcmp(cmd, "save") || argc - i < 8) {
		kd_sftp_close(s);
		return usage();
	}
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	if ((err = kd_dump_open(argv[i + 6], &dump)) ||
	    (err = kd_kernel_open(dump, NULL, &kernel))) {
		kd_sftp_close(s);
		return fail(err);
	}
	o.progress = progress;
	o.progress_arg = &h;
	struct kd_save_stats st;
	struct kd_sftp_file_stats fs;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = kd_sftp_save(s, kernel, argv[i + 7], &o, &st, &fs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("status=%s drops=%u reconnects=%u resumed_at=%llu server_size=%llu "
	       "bytes_sent=%llu bytes_out=%llu seconds=%.2f\n",
	       err ? (st.incomplete ? "incomplete" : "failed") : "complete", fs.drops,
	       fs.reconnects, (unsigned long long)fs.resumed_at,
	       (unsigned long long)fs.server_size, (unsigned long long)fs.bytes_sent,
	       (unsigned long long)st.bytes_out,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	char why[1024];
	kd_save_auto_describe(&st, why, sizeof(why));
	printf("codec=%s%s%s\n", kd_save_codec_name(st.codec), why[0] ? " compress_auto=" : "", why);
	kd_kernel_close(kernel);
	kd_dump_close(dump);
	kd_sftp_close(s);
	return err ? fail(err) : 0;
}

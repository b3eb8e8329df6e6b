// SPDX-License-Identifier: LGPL-2.1-or-later
// --compress auto: the codec that gets the dump onto its target soonest.
//
// The machine is down until the capture is done, so auto weighs time, not
// bytes: a codec saves link time (fewer bytes out) for CPU time. What each
// costs is measured, not configured:
//  - each candidate codec compresses a sample of the dump's own kept pages
//    (KD_SAVE_AUTO_SAMPLE, spread over the memory being saved) on the
//    calling thread: CPU seconds per byte in, bytes out per byte in;
//  - the target's speed comes from the save's own writes (sink.c's meter):
//    wall seconds per byte written, less the time the writer waited for a
//    CPU (schedstat's run delay: on one CPU the worker holds it then), and
//    the writer's own CPU seconds per byte (SSH's ciphers, a file system).
// The pipeline (pipeline.c) overlaps them: workers compress while the
// calling thread writes. So per byte in, a candidate costs the longest of
//  - all its CPU work, compression and writing, over the CPUs the save
//    can use (min(online CPUs, workers + 1));
//  - its compression over the workers;
//  - its bytes out at the link's wall time per byte.
// With one CPU and a link bound by the writer's CPU (SSH under emulation)
// that is compression + writing, and `none` wins; with a link that waits
// (a slow network, a throttled proxy) it is the larger of the two, and
// the codec whose bytes out take the link no longer than its compression
// takes the CPU wins. The fastest estimate is chosen, ties to the lighter
// codec. Candidates: none, lzo, zstd:-1 and zstd:3 (zstd on 4 KiB pages
// gains a few % per level above 3 for twice the CPU, docs/benchmarks.md);
// never lz4, which crash 8.0.2 and makedumpfile cannot read.
//
// Auto decides again after every KD_SAVE_AUTO_STEP bytes written, from
// the link's speed over that step: socket buffers and TCP's slow start
// make the first megabytes unlike the rest. It changes codec only for an
// estimated gain of KD_SAVE_AUTO_MARGIN or more. Changing codec mid-dump is
// legitimate in the kdump-compressed format: every page descriptor
// carries its own DUMP_DH_COMPRESSED_* flag (makedumpfile.c
// write_kdump_pages_cyclic sets pd.flags per page; crash's diskdump.c
// cache_page() and makedumpfile's readpage_kdump_compressed() decompress
// by the page's flags, not the header's). The header's status names the
// codec that compressed most pages.
#include "save/save.h"

#include <stdio.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

// The candidates, lightest first (ties go to the lighter).
static const struct {
	enum kd_save_codec codec;
	int level;
} auto_cands[KD_SAVE_AUTO_CANDIDATES] = {
	{ KD_SAVE_NONE, 0 }, { KD_SAVE_LZO, 0 }, { KD_SAVE_ZSTD, -1 }, { KD_SAVE_ZSTD, 3 },
};

size_t kd_save_auto_pick(struct kd_save_auto_cand *c, size_t n,
			 const struct kd_save_auto_link *link, unsigned int workers,
			 unsigned int cpus, double in_left, double space_left)
{
	unsigned int w = workers ? workers : 1;
	unsigned int p = cpus < w + 1 ? cpus : w + 1;
	if (!p)
		p = 1;
	size_t best = SIZE_MAX, smallest = 0;
	for (size_t i = 0; i < n; i++) {
		double all = (c[i].cpu + c[i].ratio * link->cpu) / p;
		double comp = c[i].cpu / w;
		double out = c[i].ratio * link->wall;
		double e = all > comp ? all : comp;
		c[i].est = e > out ? e : out;
		if (c[i].ratio < c[smallest].ratio)
			smallest = i;
		// A target known to be too small for what is left at this
		// ratio: the codec is out (the next one may still fit).
		if (space_left >= 0 && in_left * c[i].ratio > space_left)
			continue;
		if (best == SIZE_MAX || c[i].est < c[best].est)
			best = i;
	}
	return best == SIZE_MAX ? smallest : best;
}

static double auto_cpu_clock(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t auto_index(enum kd_save_codec codec, int level)
{
	for (size_t i = 0; i < KD_SAVE_AUTO_CANDIDATES; i++)
		if (auto_cands[i].codec == codec && auto_cands[i].level == level)
			return i;
	return 0;
}

static void auto_set(struct kd_saver *s, struct kd_pipeline *pl, size_t i)
{
	const struct kd_codec_info *ci = kd_codec_by_save(auto_cands[i].codec);
	s->auto_cur = i;
	kd_pipeline_set_codec(pl, ci->compresses, ci->codec, ci->flag, auto_cands[i].level);
}

// The sample: up to KD_SAVE_AUTO_SAMPLE nonzero kept pages of the
// classification window at hand (the whole memory on machines under 8
// GiB), evenly spaced; compressed by each candidate on this thread.
static void auto_sample(struct kd_saver *s, struct kd_save_auto_stats *as)
{
	size_t w = s->cached_win;
	if (w == SIZE_MAX)
		return;
	uint64_t n = kd_saver_window_pfns(s, w);
	uint64_t kept = kd_saver_popcount(s->keep, (size_t)(n / 8));
	if (!kept)
		return;
	uint64_t stride = kept / KD_SAVE_AUTO_SAMPLE ? kept / KD_SAVE_AUTO_SAMPLE : 1;
	uint8_t *pages = malloc((size_t)KD_SAVE_AUTO_SAMPLE * s->ps);
	size_t bound = kd_codec_bound(s->ps);
	uint8_t *out = malloc(bound);
	size_t np = 0;
	if (!pages || !out)
		goto out;
	for (uint64_t i = 0, k = 0; i < n && np < KD_SAVE_AUTO_SAMPLE; i++) {
		if (!kd_saver_bit(s->keep, i) || k++ % stride)
			continue;
		uint8_t *p = pages + np * s->ps;
		struct kd_error *err = kd_dump_read_phys(s->dump, (w * s->window + i) * s->ps,
							 p, s->ps);
		if (err) {
			kd_error_destroy(err);
			continue;
		}
		if (p[0] || memcmp(p, p + 1, s->ps - 1))
			np++;	// zero pages cost the same whatever the codec
	}
	if (!np)
		goto out;
	double in = (double)np * s->ps;
	struct kd_codec_state cs = { 0 };
	for (size_t c = 0; c < KD_SAVE_AUTO_CANDIDATES; c++) {
		const struct kd_codec_info *ci = kd_codec_by_save(auto_cands[c].codec);
		struct kd_save_auto_cand_stats *cand = &as->cand[c];
		cand->codec = auto_cands[c].codec;
		cand->level = auto_cands[c].level;
		cand->ratio = 1;
		if (!ci->compresses)
			continue;
		cs.level = auto_cands[c].level;
		double bytes = 0, t0 = auto_cpu_clock();
		for (size_t i = 0; i < np; i++) {
			size_t len = s->ps;
			struct kd_error *err = kd_codec_compress(&cs, ci->codec, pages + i * s->ps,
								 s->ps, out, bound, &len);
			if (err) {
				kd_error_destroy(err);
				len = s->ps;
			}
			bytes += (double)(len < s->ps ? len : s->ps);	// else stored raw
		}
		double t = auto_cpu_clock() - t0;
		cand->cpu_rate = in / (t > 1e-6 ? t : 1e-6);
		cand->ratio = bytes / in;
	}
	kd_codec_deinit(&cs);
	as->sample_pages = (unsigned int)np;
	as->ncand = KD_SAVE_AUTO_CANDIDATES;
out:
	free(pages);
	free(out);
}

void kd_save_auto_begin(struct kd_saver *s, struct kd_pipeline *pl, unsigned int workers)
{
	struct kd_save_auto_stats *as = &s->stats->autosel;
	memset(as, 0, sizeof(*as));
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	as->cpus = online > 0 ? (unsigned int)online : 1;
	as->workers = workers;
	auto_sample(s, as);
	if (!as->ncand)
		return;	// nothing to measure with: the codec by dump level stays
	s->autosel = true;
	// Until the link is measured, the codec by dump level (save.c).
	as->first = as->last = (unsigned int)auto_index(s->codec, s->codec == KD_SAVE_ZSTD ? -1 : 0);
	auto_set(s, pl, as->last);
	// Free space, where the target is a local file: a codec whose
	// output would not fit is out (a dump that fits beats a faster one).
	struct statvfs sv;
	s->auto_space = -1;
	if (s->sink.fd >= 0 && !s->sink.flat && fstatvfs(s->sink.fd, &sv) == 0 && sv.f_frsize)
		s->auto_space = (double)sv.f_bavail * (double)sv.f_frsize;
	s->auto_space_at = s->sink.bytes;
	kd_sink_meter_start(&s->sink);
	s->auto_mark = s->sink.meter;
}

void kd_save_auto_step(struct kd_saver *s, struct kd_pipeline *pl, const struct kd_job *job)
{
	if (!s->autosel)
		return;
	struct kd_save_auto_stats *as = &s->stats->autosel;
	// The job's codec is the one when it was filled, maybe not auto_cur.
	const struct kd_codec_info *ci = job->compress ? kd_codec_by_codec(job->codec) : NULL;
	size_t jc = auto_index(ci ? ci->save : KD_SAVE_NONE, job->level);
	for (size_t i = 0; i < job->n; i++)
		if (!job->pages[i].zero && !job->pages[i].unreadable)
			as->cand[jc].pages++;
	const struct kd_sink_meter *m = &s->sink.meter;
	uint64_t bytes = m->bytes - s->auto_mark.bytes;
	if (bytes < (s->auto_step ? s->auto_step : KD_SAVE_AUTO_STEP))
		return;
	double wall = m->wall - s->auto_mark.wall, cpu = m->cpu - s->auto_mark.cpu;
	s->auto_mark = *m;
	if (wall <= 0)
		return;
	struct kd_save_auto_link link = {
		.wall = wall / (double)bytes, .cpu = (cpu < wall ? cpu : wall) / (double)bytes,
	};
	struct kd_save_auto_cand c[KD_SAVE_AUTO_CANDIDATES];
	for (size_t i = 0; i < KD_SAVE_AUTO_CANDIDATES; i++)
		c[i] = (struct kd_save_auto_cand){
			.cpu = as->cand[i].cpu_rate > 0 ? 1 / as->cand[i].cpu_rate : 0,
			.ratio = as->cand[i].ratio,
		};
	uint64_t left = s->prog.pages_total > s->prog.pages_done ?
			s->prog.pages_total - s->prog.pages_done : 0;
	double space = -1;
	if (s->auto_space >= 0) {
		space = s->auto_space - (double)(s->sink.bytes - s->auto_space_at);
		space = space > 0 ? space : 0;
	}
	size_t pick = kd_save_auto_pick(c, KD_SAVE_AUTO_CANDIDATES, &link, as->workers, as->cpus,
					 (double)left * s->ps, space);
	for (size_t i = 0; i < KD_SAVE_AUTO_CANDIDATES; i++)
		as->cand[i].estimate = c[i].est * (1 << 20);
	as->link_rate = 1 / link.wall;
	as->link_cpu = link.cpu / link.wall;
	as->decisions++;
	// A change only for a gain over the noise of one step's measure: a
	// dump switching to and fro between two codecs at par gains nothing.
	if (pick != s->auto_cur && c[pick].est >= c[s->auto_cur].est * (1 - KD_SAVE_AUTO_MARGIN))
		pick = s->auto_cur;
	if (pick != s->auto_cur) {
		as->switches++;
		auto_set(s, pl, pick);
	}
	as->last = (unsigned int)pick;
}

void kd_save_auto_end(struct kd_saver *s)
{
	kd_sink_meter_stop(&s->sink);
	if (!s->autosel)
		return;
	// The codec of most pages is the dump's codec (its header, the
	// summary's codec=).
	struct kd_save_auto_stats *as = &s->stats->autosel;
	size_t main = as->last;
	for (size_t i = 0; i < KD_SAVE_AUTO_CANDIDATES; i++)
		if (as->cand[i].pages > as->cand[main].pages)
			main = i;
	s->codec = auto_cands[main].codec;
	s->codec_flag = kd_codec_by_save(s->codec)->flag;
	s->stats->codec = s->codec;
	s->stats->level = auto_cands[main].level;
}

static const char *auto_name(const struct kd_save_auto_cand_stats *c, char *buf, size_t len)
{
	const char *name = kd_save_codec_name(c->codec);
	if (c->level)
		snprintf(buf, len, "%s:%d", name, c->level);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

KD_EXPORT void kd_save_auto_describe(const struct kd_save_stats *st, char *buf, size_t len)
{
	const struct kd_save_auto_stats *as = &st->autosel;
	if (!len)
		return;
	buf[0] = '\0';
	if (!as->ncand || as->last >= as->ncand || as->ncand > KD_SAVE_AUTO_CANDIDATES)
		return;
	char name[32];
	size_t n = 0;
#define PUT(...) do { \
		int r_ = snprintf(buf + n, len - n, __VA_ARGS__); \
		if (r_ < 0 || (size_t)r_ >= len - n) \
			return; \
		n += (size_t)r_; \
	} while (0)
	PUT("%s (last of %u decisions, %u switches): link %.3f MB/s, %.3f of it on a CPU; "
	    "%u CPUs, %u workers", auto_name(&as->cand[as->last], name, sizeof(name)),
	    as->decisions, as->switches, as->link_rate / 1e6, as->link_cpu, as->cpus, as->workers);
	for (unsigned int i = 0; i < as->ncand; i++) {
		const struct kd_save_auto_cand_stats *c = &as->cand[i];
		if (c->cpu_rate > 0)
			PUT("; %s %.2f MB/s", auto_name(c, name, sizeof(name)), c->cpu_rate / 1e6);
		else
			PUT("; %s inf MB/s", auto_name(c, name, sizeof(name)));
		PUT(" x%.3f = %.3f s/MiB, %llu pages", c->ratio, c->estimate,
		    (unsigned long long)c->pages);
	}
	PUT("; sample %u pages", as->sample_pages);
#undef PUT
}

// SPDX-License-Identifier: LGPL-2.1-or-later
// The read-compress pipeline of kd_save(): the main thread fills jobs (runs
// of pages in output order) into a fixed ring, worker threads read and
// compress them, and the main thread writes each finished job in ring
// order. Memory is the ring, whatever the size of the dump; the output does
// not depend on the number of workers.
#include "save/save.h"

#include <errno.h>

enum { JOB_FREE, JOB_READY, JOB_BUSY, JOB_DONE };

struct kd_pipeline {
	struct kd_pipeline_config cfg;
	kd_job_done_fn *done;
	void *done_arg;
	struct kd_job *jobs;
	uint64_t next_seq;	// seq of the next job handed out by get()
	uint64_t write_seq;	// seq of the next job to hand to done()
	pthread_mutex_t lock;
	pthread_cond_t work_cv, done_cv;
	pthread_mutex_t read_lock;	// sources whose reads share state
	bool serial_reads;
	bool stop;
	pthread_t *threads;
	unsigned int nthreads;
};

static bool pipeline_is_zero(const uint8_t *p, size_t n)
{
	// The first byte is zero and every byte equals the next one.
	return p[0] == 0 && !memcmp(p, p + 1, n - 1);
}

// Where the run of @p len bytes at @p paddr that starts job page @p i lies:
// straight in a mapped window of the dump when the pages are only
// compressed or tested for zeros (a RAW job is written after the window
// has moved on, so its pages are copied), else read into job->in. The
// pointer is valid until the next call: the window moves.
static struct kd_error *pipeline_read_run(struct kd_pipeline *pl, struct kd_map *map,
					  struct kd_job *job, size_t i, uint64_t paddr,
					  size_t len, const uint8_t **ret)
{
	const uint8_t *p = NULL;
	if (pl->cfg.mode != KD_JOB_RAW && !pl->serial_reads)
		p = kd_dump_map_phys(pl->cfg.dump, map, paddr, len);
	if (!p) {
		uint8_t *buf = job->in + i * pl->cfg.page_size;
		if (pl->serial_reads)
			pthread_mutex_lock(&pl->read_lock);
		struct kd_error *err = kd_dump_read_phys(pl->cfg.dump, paddr,
							 buf, len);
		if (pl->serial_reads)
			pthread_mutex_unlock(&pl->read_lock);
		if (err)
			return err;
		p = buf;
	}
	*ret = p;
	return NULL;
}

// A run that failed to read, page by page into job->in: a page the source
// cannot give (EIO from the disk under it; a damaged page of a compressed
// source) is marked unreadable, zeroed, and the others are kept. Anything
// else (no memory) fails the job.
static struct kd_error *pipeline_read_pages(struct kd_pipeline *pl, struct kd_job *job,
					    size_t i, size_t end)
{
	const uint32_t ps = pl->cfg.page_size;
	for (size_t k = i; k < end; k++) {
		uint8_t *buf = job->in + k * ps;
		if (pl->serial_reads)
			pthread_mutex_lock(&pl->read_lock);
		struct kd_error *err = kd_dump_read_phys(pl->cfg.dump,
							 job->pfns[k] * ps, buf, ps);
		if (pl->serial_reads)
			pthread_mutex_unlock(&pl->read_lock);
		job->pages[k].unreadable = err != NULL;
		if (err && !kd_error_catch(&err, KD_ERROR_OS) &&
		    !kd_error_catch(&err, KD_ERROR_CORRUPT))
			return err;
		if (job->pages[k].unreadable)
			memset(buf, 0, ps);
	}
	return NULL;
}

static struct kd_error *pipeline_process(struct kd_pipeline *pl, struct kd_map *map,
					 struct kd_codec_state *cs, struct kd_job *job)
{
	const struct kd_pipeline_config *c = &pl->cfg;
	const uint32_t ps = c->page_size;
	size_t bound = kd_codec_bound(ps);
	job->out_len = 0;
	const uint8_t *run = NULL;
	for (size_t i = 0, start = 0, end = 0; i < job->n; i++) {
		// Read or map each run of consecutive frames as one.
		if (i == end) {
			start = i;
			end = i + 1;
			while (end < job->n && job->pfns[end] == job->pfns[end - 1] + 1)
				end++;
			for (size_t k = i; k < end; k++)
				job->pages[k].unreadable = false;
			struct kd_error *err = pipeline_read_run(pl, map, job, i,
				job->pfns[i] * ps, (end - i) * ps, &run);
			if (err && kd_error_code(err) != KD_ERROR_NOMEM) {
				// One bad page must not cost the others.
				kd_error_destroy(err);
				err = pipeline_read_pages(pl, job, i, end);
				run = job->in + i * ps;
			}
			if (err)
				return err;
		}
		const uint8_t *p = run + (i - start) * ps;
		struct kd_job_page *pg = &job->pages[i];
		if (pg->unreadable) {
			*pg = (struct kd_job_page){ .unreadable = true };
			continue;
		}
		*pg = (struct kd_job_page){ .size = ps };
		if (c->find_zero && pipeline_is_zero(p, ps)) {
			*pg = (struct kd_job_page){ .zero = true };
			continue;
		}
		if (c->mode != KD_JOB_COMPRESS)
			continue;
		uint8_t *o = job->out + job->out_len;
		size_t n = 0;
		if (job->compress) {
			cs->level = job->level;
			struct kd_error *err = kd_codec_compress(cs, job->codec, p, ps,
								 o, bound, &n);
			if (err)
				return err;
		}
		if (job->compress && n < ps) {
			pg->size = (uint32_t)n;
			pg->flags = job->codec_flag;
		} else {
			memcpy(o, p, ps);
		}
		job->out_len += pg->size;
	}
	return NULL;
}

static void *pipeline_worker(void *arg)
{
	struct kd_pipeline *pl = arg;
	struct kd_codec_state cs = { 0 };	// its level is each job's
	struct kd_map map = { 0 };
	pthread_mutex_lock(&pl->lock);
	for (;;) {
		struct kd_job *job = NULL;
		for (size_t i = 0; i < pl->cfg.jobs; i++) {
			struct kd_job *j = &pl->jobs[i];
			if (j->state == JOB_READY && (!job || j->seq < job->seq))
				job = j;
		}
		if (!job) {
			if (pl->stop)
				break;
			pthread_cond_wait(&pl->work_cv, &pl->lock);
			continue;
		}
		job->state = JOB_BUSY;
		pthread_mutex_unlock(&pl->lock);
		struct kd_error *err = pipeline_process(pl, &map, &cs, job);
		pthread_mutex_lock(&pl->lock);
		job->err = err;
		job->state = JOB_DONE;
		pthread_cond_broadcast(&pl->done_cv);
	}
	pthread_mutex_unlock(&pl->lock);
	kd_dump_unmap(&map);
	kd_codec_deinit(&cs);
	return NULL;
}

static void pipeline_free_jobs(struct kd_pipeline *pl)
{
	if (!pl->jobs)
		return;
	for (size_t i = 0; i < pl->cfg.jobs; i++) {
		struct kd_job *j = &pl->jobs[i];
		free(j->pfns);
		free(j->ranks);
		free(j->pages);
		free(j->in);
		free(j->out);
		if (j->err && j->err != &kd_enomem)
			kd_error_destroy(j->err);
	}
	free(pl->jobs);
}

struct kd_error *kd_pipeline_create(const struct kd_pipeline_config *cfg,
				    kd_job_done_fn *done, void *arg,
				    struct kd_pipeline **ret)
{
	struct kd_pipeline *pl = calloc(1, sizeof(*pl));
	if (!pl)
		return &kd_enomem;
	pl->cfg = *cfg;
	pl->done = done;
	pl->done_arg = arg;
	pl->serial_reads = cfg->dump->ops != &kd_format_elf;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_mutex_init(&pl->read_lock, NULL);
	pthread_cond_init(&pl->work_cv, NULL);
	pthread_cond_init(&pl->done_cv, NULL);
	pl->jobs = calloc(cfg->jobs, sizeof(*pl->jobs));
	pl->threads = calloc(cfg->workers, sizeof(*pl->threads));
	if (!pl->jobs || !pl->threads)
		goto nomem;
	size_t out_cap = cfg->mode == KD_JOB_COMPRESS ?
			 cfg->batch * kd_codec_bound(cfg->page_size) : 0;
	for (size_t i = 0; i < cfg->jobs; i++) {
		struct kd_job *j = &pl->jobs[i];
		j->cap = cfg->batch;
		j->pfns = malloc(cfg->batch * sizeof(*j->pfns));
		j->ranks = malloc(cfg->batch * sizeof(*j->ranks));
		j->pages = malloc(cfg->batch * sizeof(*j->pages));
		j->in = malloc(cfg->batch * cfg->page_size);
		j->out = out_cap ? malloc(out_cap) : NULL;
		if (!j->pfns || !j->ranks || !j->pages || !j->in ||
		    (out_cap && !j->out))
			goto nomem;
	}
	for (; pl->nthreads < cfg->workers; pl->nthreads++) {
		int rc = pthread_create(&pl->threads[pl->nthreads], NULL,
					pipeline_worker, pl);
		if (rc) {
			struct kd_error *err = kd_error_os(rc,
				"cannot start worker thread %u", pl->nthreads);
			kd_pipeline_destroy(pl);
			return err;
		}
	}
	*ret = pl;
	return NULL;
nomem:
	kd_pipeline_destroy(pl);
	return &kd_enomem;
}

// Wait for the oldest job and hand it to done(). Called with lock held.
static struct kd_error *pipeline_finish_oldest(struct kd_pipeline *pl)
{
	struct kd_job *job = &pl->jobs[pl->write_seq % pl->cfg.jobs];
	while (job->state != JOB_DONE)
		pthread_cond_wait(&pl->done_cv, &pl->lock);
	pthread_mutex_unlock(&pl->lock);
	struct kd_error *err = job->err;
	job->err = NULL;
	if (!err)
		err = pl->done(job, pl->done_arg);
	pthread_mutex_lock(&pl->lock);
	job->state = JOB_FREE;
	pl->write_seq++;
	return err;
}

struct kd_error *kd_pipeline_get(struct kd_pipeline *pl, struct kd_job **ret)
{
	struct kd_error *err = NULL;
	pthread_mutex_lock(&pl->lock);
	while (!err && pl->next_seq - pl->write_seq >= pl->cfg.jobs)
		err = pipeline_finish_oldest(pl);
	pthread_mutex_unlock(&pl->lock);
	if (err)
		return err;
	struct kd_job *job = &pl->jobs[pl->next_seq % pl->cfg.jobs];
	job->n = 0;
	job->seq = pl->next_seq;
	job->compress = pl->cfg.compress;
	job->codec = pl->cfg.codec;
	job->codec_flag = pl->cfg.codec_flag;
	job->level = pl->cfg.level;
	*ret = job;
	return NULL;
}

void kd_pipeline_submit(struct kd_pipeline *pl, struct kd_job *job)
{
	pthread_mutex_lock(&pl->lock);
	job->state = JOB_READY;
	pl->next_seq++;
	pthread_cond_signal(&pl->work_cv);
	pthread_mutex_unlock(&pl->lock);
}

struct kd_error *kd_pipeline_add(struct kd_pipeline *pl, struct kd_job **job,
				 uint64_t pfn, uint64_t rank)
{
	struct kd_error *err;
	if (!*job && (err = kd_pipeline_get(pl, job)))
		return err;
	struct kd_job *j = *job;
	j->pfns[j->n] = pfn;
	j->ranks[j->n++] = rank;
	if (j->n == j->cap) {
		kd_pipeline_submit(pl, j);
		*job = NULL;
	}
	return NULL;
}

// Only the calling thread reads cfg's codec (kd_pipeline_get), so no lock.
void kd_pipeline_set_codec(struct kd_pipeline *pl, bool compress, enum kd_codec codec,
			   uint32_t codec_flag, int level)
{
	pl->cfg.compress = compress;
	pl->cfg.codec = codec;
	pl->cfg.codec_flag = codec_flag;
	pl->cfg.level = level;
}

struct kd_error *kd_pipeline_flush(struct kd_pipeline *pl, struct kd_job *job)
{
	if (job)
		kd_pipeline_submit(pl, job);
	return kd_pipeline_drain(pl);
}

struct kd_error *kd_pipeline_drain(struct kd_pipeline *pl)
{
	struct kd_error *err = NULL;
	pthread_mutex_lock(&pl->lock);
	while (!err && pl->write_seq < pl->next_seq)
		err = pipeline_finish_oldest(pl);
	pthread_mutex_unlock(&pl->lock);
	return err;
}

void kd_pipeline_destroy(struct kd_pipeline *pl)
{
	if (!pl)
		return;
	pthread_mutex_lock(&pl->lock);
	pl->stop = true;
	pthread_cond_broadcast(&pl->work_cv);
	pthread_mutex_unlock(&pl->lock);
	// Workers finish the jobs already taken, then see stop with no
	// READY job left... unless some are still READY: they process them
	// too, which is harmless (nobody writes them).
	for (unsigned int i = 0; i < pl->nthreads; i++)
		pthread_join(pl->threads[i], NULL);
	pipeline_free_jobs(pl);
	free(pl->threads);
	pthread_mutex_destroy(&pl->lock);
	pthread_mutex_destroy(&pl->read_lock);
	pthread_cond_destroy(&pl->work_cv);
	pthread_cond_destroy(&pl->done_cv);
	free(pl);
}

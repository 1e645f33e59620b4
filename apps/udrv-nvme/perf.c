/* SPDX-License-Identifier: MIT */
/*
 * udrv-nvme perf: a closed-loop I/O benchmark. One worker thread per core,
 * each with its own queue pair, keeps DEPTH requests in flight; latencies go
 * to a log-linear histogram (perf_stats.h).
 *
 * The timed phase of a worker makes no system call: submit, poll and one
 * clock read per completion (the TSC, which also stamps the resubmission).
 * It is marked by a gettid() call at its start and at its end, which
 * bench/nvme/strace-check.sh uses to find it.
 *
 * --timing prints how long each start-up and tear-down phase took
 * (bench/nvme/startup.sh); UDRV_LOG=debug adds the library's own phases.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nvme_app.h"
#include "udrv-nvme-help.h"
#include "perf_stats.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

enum wl { WL_READ, WL_WRITE, WL_RANDREAD, WL_RANDWRITE, WL_RANDRW };
static const char *const wl_names[] = { "read", "write", "randread", "randwrite", "randrw" };

struct perf;
struct worker;

struct slot {
	struct worker *w;
	uint8_t *buf;
	uint64_t t0;
};

struct worker {
	/* --- per I/O, in the order the I/O loop uses them --- */
	struct udrv_nvme_qpair *qp;
	struct perf *p;
	/* Cleared by the main thread when the run ends, or by this worker when
	 * a submission failed: the one flag the I/O loop and the callback read. */
	_Atomic bool running;
	enum wl wl;
	uint32_t nsid, blocks;
	unsigned read_pct;
	uint64_t rng, next_lba, lba_lo, lba_hi;
	uint64_t nslots;        /* random: I/O-sized slots in [lba_lo, lba_hi) */
	_Atomic uint64_t done;  /* completions (the status line reads it) */
	uint64_t errors, inflight;
	int fail;               /* -errno of a failed submission */
	_Atomic bool finished;  /* the worker left its timed phase (or never began it) */
	struct perf_hist h;     /* latency in ticks */
	/* --- set-up --- */
	pthread_t tid;
	int idx, cpu;
	struct slot *slots;
	uint8_t *mem;
};

struct perf {
	struct app a;
	enum wl wl;
	unsigned read_pct, depth, secs, ncores;
	int cpus[256];
	uint64_t io_size;
	uint32_t blocks;        /* per I/O */
	unsigned cmds_per_io;   /* commands an I/O is split into (MDTS) */
	bool json, timing;
	_Atomic unsigned ready;
	_Atomic bool go, run;
	struct worker *w;
};

static void help(FILE *f)
{
	fputs(help_perf, f);
}

/* The next pseudo-random number: a 64-bit LCG (Knuth's MMIX multiplier),
 * one multiply and an add. Its low bits are weak, so only its high bits are
 * used: below() takes the high half of a product. */
static inline uint64_t rng_next(uint64_t *s)
{
	return *s = *s * 6364136223846793005ull + 1442695040888963407ull;
}

/* A uniform index in [0, n): the high half of a 64x64-bit product (no division). */
static inline uint64_t below(uint64_t r, uint64_t n)
{
	__extension__ typedef unsigned __int128 u128;

	return (uint64_t)(((u128)r * n) >> 64);
}

static inline int submit(struct worker *w, struct slot *s, uint64_t now, enum wl wl);

/* One completion callback per workload (wl is a constant in each, so no
 * per-I/O test of the workload), one clock read per I/O: it ends this
 * request's latency and starts the next. */
static inline __attribute__((always_inline)) void io_done(void *arg,
							   const struct udrv_nvme_cpl *cpl,
							   enum wl wl)
{
	struct slot *s = arg;
	struct worker *w = s->w;
	uint64_t now = perf_ticks();
	int rc;

	perf_hist_add(&w->h, now - s->t0);
	if (unlikely(!UDRV_NVME_STATUS_OK(cpl->status)))
		w->errors++;
	atomic_store_explicit(&w->done, atomic_load_explicit(&w->done, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (likely(atomic_load_explicit(&w->running, memory_order_relaxed))) {
		rc = submit(w, s, now, wl);
		if (likely(rc == 0))
			return;
		w->fail = rc;
		atomic_store_explicit(&w->running, false, memory_order_relaxed);
	}
	w->inflight--;
}

#define IO_DONE(name, wl)                                                                   \
	static void io_done_##name(void *arg, const struct udrv_nvme_cpl *cpl)              \
	{                                                                                   \
		io_done(arg, cpl, wl);                                                      \
	}
IO_DONE(read, WL_READ)
IO_DONE(write, WL_WRITE)
IO_DONE(randread, WL_RANDREAD)
IO_DONE(randwrite, WL_RANDWRITE)
IO_DONE(randrw, WL_RANDRW)

/* Submit slot s, stamped with now (the completion that freed it, or the start). */
static inline __attribute__((always_inline)) int submit(struct worker *w, struct slot *s,
							uint64_t now, enum wl wl)
{
	udrv_nvme_cb cb;
	uint64_t lba;
	bool rd;

	if (wl == WL_READ || wl == WL_WRITE) {
		lba = w->next_lba;
		w->next_lba += w->blocks;
		if (w->next_lba + w->blocks > w->lba_hi)
			w->next_lba = w->lba_lo;
		rd = wl == WL_READ;
		cb = rd ? io_done_read : io_done_write;
	} else {
		/* Random workloads cover the whole namespace: lba_lo is 0. */
		lba = below(rng_next(&w->rng), w->nslots) * w->blocks;
		rd = wl == WL_RANDREAD ||
		     (wl == WL_RANDRW && below(rng_next(&w->rng), 100) < w->read_pct);
		cb = wl == WL_RANDREAD ? io_done_randread :
		     wl == WL_RANDWRITE ? io_done_randwrite : io_done_randrw;
	}
	s->t0 = now;
	if (rd)
		return udrv_nvme_read(w->qp, w->nsid, s->buf, lba, w->blocks, 0, cb, s);
	return udrv_nvme_write(w->qp, w->nsid, s->buf, lba, w->blocks, 0, cb, s);
}

/* The first submission of a slot, outside the completion path. */
static int submit_first(struct worker *w, struct slot *s, uint64_t now)
{
	switch (w->wl) {
	case WL_READ: return submit(w, s, now, WL_READ);
	case WL_WRITE: return submit(w, s, now, WL_WRITE);
	case WL_RANDREAD: return submit(w, s, now, WL_RANDREAD);
	case WL_RANDWRITE: return submit(w, s, now, WL_RANDWRITE);
	default: return submit(w, s, now, WL_RANDRW);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct perf *p = w->p;
	/* Every slot may hold an I/O split into cmds_per_io commands. */
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo),
					   .queue_size = p->depth * p->cmds_per_io + 1 };
	uint64_t span, now;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		w->fail = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (w->fail)
			fprintf(stderr, "udrv-nvme perf: core %d: cannot pin to CPU %d: %s\n", w->idx,
				w->cpu, strerror(-w->fail));
	}
	if (w->fail == 0)
		w->fail = udrv_nvme_qpair_create(p->a.ctrl, &qo, &w->qp);
	if (w->fail == 0 && udrv_nvme_qpair_depth(w->qp) < p->depth * p->cmds_per_io) {
		fprintf(stderr, "udrv-nvme perf: -q %u needs %u queue entries but the queue pair "
			"holds %u\n", p->depth, p->depth * p->cmds_per_io,
			udrv_nvme_qpair_depth(w->qp));
		w->fail = -EINVAL;
	}
	/* Zeroed DMA memory; reads overwrite it and writes need no pattern. */
	if (w->fail == 0)
		w->fail = udrv_dma_alloc(p->depth * p->io_size, 4096, (void **)&w->mem, NULL);
	w->slots = calloc(p->depth, sizeof(*w->slots));
	if (!w->slots && !w->fail)
		w->fail = -ENOMEM;
	if (!w->fail)
		for (unsigned i = 0; i < p->depth; i++)
			w->slots[i] = (struct slot){ .w = w, .buf = w->mem + i * p->io_size };
	w->wl = p->wl;
	w->nsid = p->a.ns.nsid;
	w->blocks = p->blocks;
	w->read_pct = p->read_pct;
	/* Sequential workers each get their own stretch; random ones the whole namespace. */
	span = p->a.ns.blocks;
	if (p->wl == WL_READ || p->wl == WL_WRITE)
		span = p->a.ns.blocks / p->ncores;
	w->lba_lo = (p->wl == WL_READ || p->wl == WL_WRITE) ? span * (uint64_t)w->idx : 0;
	w->lba_hi = w->lba_lo + span;
	w->nslots = span / p->blocks;
	w->next_lba = w->lba_lo;
	w->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(w->idx + 1);
	perf_hist_init(&w->h);
	atomic_fetch_add(&p->ready, 1);
	while (!atomic_load(&p->go))
		sched_yield();
	if (w->fail || !atomic_load(&p->run)) {
		atomic_store(&w->finished, true);
		return NULL;
	}

	syscall(SYS_gettid); /* marker: timed phase starts (strace check) */
	now = perf_ticks();
	for (unsigned i = 0; i < p->depth && !w->fail; i++) {
		int rc = submit_first(w, &w->slots[i], now);

		if (rc < 0)
			w->fail = rc;
		else
			w->inflight++;
	}
	if (w->fail)
		atomic_store(&w->running, false);
	while (atomic_load_explicit(&w->running, memory_order_relaxed)) {
		if (unlikely(udrv_nvme_qpair_poll(w->qp, 0) < 0)) {
			w->fail = -ENODEV;
			break;
		}
	}
	syscall(SYS_gettid); /* marker: timed phase ends */
	atomic_store(&w->finished, true);
	while (w->inflight && udrv_nvme_qpair_poll(w->qp, 0) >= 0)
		;
	return NULL;
}

/* Latency figures in us from a histogram in ticks. */
struct lat {
	double avg, min, max, p50, p99, p999;
};

static struct lat lat_us(const struct perf_hist *h, uint64_t n, double ns_per_tick)
{
	double k = ns_per_tick / 1000.0;

	if (!n)
		return (struct lat){ 0 };
	return (struct lat){
		.avg = (double)h->sum / (double)n * k,
		.min = (double)h->min * k,
		.max = (double)h->max * k,
		.p50 = perf_hist_pct(h, 50) * k,
		.p99 = perf_hist_pct(h, 99) * k,
		.p999 = perf_hist_pct(h, 99.9) * k,
	};
}

static void print_lat_json(const struct perf_hist *h, uint64_t n, double ns_per_tick)
{
	struct lat l = lat_us(h, n, ns_per_tick);

	printf("{\"avg\": %.2f, \"min\": %.2f, \"max\": %.2f, \"p50\": %.2f, \"p99\": %.2f, "
	       "\"p999\": %.2f}", l.avg, l.min, l.max, l.p50, l.p99, l.p999);
}

static void print_row(const char *name, const struct perf_hist *h, uint64_t n, double secs,
		      uint64_t io_size, double ns_per_tick)
{
	double iops = (double)n / secs;
	struct lat l = lat_us(h, n, ns_per_tick);

	printf("%-6s %12.0f %10.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", name, iops,
	       iops * (double)io_size / (1 << 20), l.avg, l.min, l.max, l.p50, l.p99, l.p999);
}

/* --timing: one line per phase on stderr, as the library's UDRV_LOG=debug lines. */
static void phase(const struct perf *p, const char *what, uint64_t *t)
{
	uint64_t now = perf_mono_ns();

	if (p->timing)
		fprintf(stderr, "udrv-nvme perf: timing: %s %.3f ms\n", what,
			(double)(now - *t) / 1e6);
	*t = now;
}

/* -c N (N workers, pinned to CPUs 0..N-1 when N > 1) or a CPU list. */
static int parse_cores(struct perf *p, const char *s)
{
	uint64_t n;

	if (strchr(s, ',') || strchr(s, '-'))
		return opt_cpu_list("-c", s, p->cpus, 256, &p->ncores);
	if (opt_uint("-c", "a core count", s, 1, 256, &n))
		return -1;
	p->ncores = (unsigned)n;
	for (unsigned i = 0; i < p->ncores; i++) {
		p->cpus[i] = p->ncores > 1 ? (int)i : -1;
		if (p->cpus[i] >= 0 && opt_cpu_check("-c", p->cpus[i]))
			return -1;
	}
	return 0;
}

/*
 * -o against this controller and namespace, before anything starts: a
 * multiple of the LBA size, inside the namespace, and at most what the
 * driver can split into commands of the controller's transfer limit (MDTS);
 * -q times the commands per I/O must fit the controller's queues.
 */
static int check_io_shape(struct perf *p, const char *dev)
{
	struct udrv_nvme_ctrl_info in;
	uint64_t xfer, max_io, qmax = 1;
	unsigned need;

	udrv_nvme_ctrl_info(p->a.ctrl, &in);
	if (p->io_size % p->a.ns.lba_size)
		return opt_usage_error("-o %llu: not a multiple of the LBA size of namespace %u "
				       "(%u bytes)", (unsigned long long)p->io_size, p->a.ns.nsid,
				       p->a.ns.lba_size);
	if (p->io_size * p->ncores > p->a.ns.capacity_bytes)
		return opt_usage_error("-o %llu: %u core%s of it do not fit namespace %u (%llu bytes)",
				       (unsigned long long)p->io_size, p->ncores,
				       p->ncores > 1 ? "s" : "", p->a.ns.nsid,
				       (unsigned long long)p->a.ns.capacity_bytes);
	/* Whole blocks per command, as the driver cuts them. */
	xfer = in.max_xfer_bytes / p->a.ns.lba_size * p->a.ns.lba_size;
	if (xfer > 65536ull * p->a.ns.lba_size)
		xfer = 65536ull * p->a.ns.lba_size;
	max_io = xfer * UDRV_NVME_MAX_SPLIT;
	if (xfer == 0 || p->io_size > max_io)
		return opt_usage_error("-o %llu: %s takes at most %llu bytes per command (%s) and "
				       "udrv splits an I/O into at most %u commands: the largest -o "
				       "is %llu (%lluk)", (unsigned long long)p->io_size, dev,
				       (unsigned long long)xfer,
				       in.mdts_bytes && in.mdts_bytes <= in.max_xfer_bytes ?
					       "its MDTS" : "udrv's per-command limit",
				       UDRV_NVME_MAX_SPLIT, (unsigned long long)max_io,
				       (unsigned long long)(max_io >> 10));
	p->cmds_per_io = (unsigned)((p->io_size + xfer - 1) / xfer);
	/* The driver rounds a queue size down to a power of two within
	 * min(CAP.MQES + 1, 4096); the queue holds one entry less. */
	while (qmax * 2 <= in.max_queue_entries && qmax * 2 <= 4096)
		qmax *= 2;
	need = p->depth * p->cmds_per_io;
	if (need > qmax - 1) {
		if (p->cmds_per_io > 1)
			return opt_usage_error("-q %u -o %llu: each I/O is %u commands of at most %llu "
					       "bytes (the controller's MDTS), %u in flight need %u "
					       "queue entries and %s's queues hold %llu: use -q %llu "
					       "or less, or -o %llu or less", p->depth,
					       (unsigned long long)p->io_size, p->cmds_per_io,
					       (unsigned long long)xfer, p->depth, need, dev,
					       (unsigned long long)(qmax - 1),
					       (unsigned long long)((qmax - 1) / p->cmds_per_io),
					       (unsigned long long)xfer);
		return opt_usage_error("-q %u is deeper than %s's queues allow (%llu requests, "
				       "CAP.MQES %u): use -q %llu or less", p->depth, dev,
				       (unsigned long long)(qmax - 1), in.max_queue_entries - 1,
				       (unsigned long long)(qmax - 1));
	}
	return 0;
}

int cmd_perf(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },	     { "timing", no_argument, NULL, 'T' },
		{ 0 },
	};
	struct perf *p = calloc(1, sizeof(*p));
	const char *dev = NULL, *wl = NULL;
	uint64_t v, nsid = 0, t0, t_end, last = 0, tp = perf_mono_ns(), n_total = 0;
	struct perf_hist total;
	struct perf_clock clk;
	double secs;
	bool removed = false;
	unsigned started = 0;
	int c, ret = APP_EXIT_USAGE;

	if (!p)
		return APP_EXIT_FAIL;
	opt_set_prog("udrv-nvme perf", NULL);
	opterr = 0;
	p->read_pct = 50;
	p->ncores = 1;
	p->cpus[0] = -1;
	while ((c = getopt_long(argc, argv, ":d:n:w:M:o:q:t:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'n': if (app_parse_nsid(optarg, &nsid)) goto out; break;
		case 'w': wl = optarg; break;
		case 'M':
			if (opt_uint("-M", "the read percentage", optarg, 0, 100, &v))
				goto out;
			p->read_pct = (unsigned)v;
			break;
		case 'o':
			if (opt_size("-o", "the I/O size", optarg, 1, 1ull << 30, &p->io_size))
				goto out;
			break;
		case 'q':
			if (opt_uint("-q", "the queue depth", optarg, 1, 4095, &v))
				goto out;
			p->depth = (unsigned)v;
			break;
		case 't':
			if (opt_uint("-t", "the duration in seconds", optarg, 1, 86400, &v))
				goto out;
			p->secs = (unsigned)v;
			break;
		case 'c': if (parse_cores(p, optarg) < 0) goto out; break;
		case 'j': p->json = true; break;
		case 'T': p->timing = true; break;
		case 'h': help(stdout); ret = APP_EXIT_OK; goto out;
		default: ret = opt_getopt_error(c, argv); goto out;
		}
	}
	if (optind != argc) {
		opt_usage_error("unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!wl || !p->io_size || !p->depth || !p->secs) {
		opt_usage_error("-w, -o, -q and -t are required");
		goto out;
	}
	for (v = 0; v < 5 && strcmp(wl, wl_names[v]); v++)
		;
	if (v == 5) {
		opt_usage_error("-w %s: use read, write, randread, randwrite or randrw", wl);
		goto out;
	}
	p->wl = (enum wl)v;
	phase(p, "options", &tp);
	ret = app_open(&p->a, dev, (uint32_t)nsid, true);
	if (ret)
		goto out;
	phase(p, "device open and controller bring-up", &tp);
	ret = check_io_shape(p, dev);
	if (ret)
		goto close;
	ret = APP_EXIT_FAIL;
	p->blocks = (uint32_t)(p->io_size / p->a.ns.lba_size);
	p->w = calloc(p->ncores, sizeof(*p->w));
	if (!p->w)
		goto close;
	atomic_store(&p->run, true);
	for (unsigned i = 0; i < p->ncores; i++) {
		p->w[i].p = p;
		p->w[i].idx = (int)i;
		p->w[i].cpu = p->cpus[i];
		atomic_store(&p->w[i].running, true);
		p->w[i].fail = -pthread_create(&p->w[i].tid, NULL, worker_main, &p->w[i]);
		if (p->w[i].fail)
			break;
		started++;
	}
	while (atomic_load(&p->ready) < started)
		usleep(200);
	phase(p, "workers: qpair and buffers", &tp);
	/* A worker that could not set up (queue pair, DMA memory, CPU) stops
	 * the run before its timed phase: 0 IOPS for -t seconds helps nobody. */
	for (unsigned i = 0; i < p->ncores; i++) {
		if (!p->w[i].fail)
			continue;
		fprintf(stderr, "udrv-nvme perf: core %u: set-up failed (%s): stopping before the "
			"timed phase\n", i, strerror(-p->w[i].fail));
		atomic_store(&p->run, false);
	}
	if (!atomic_load(&p->run)) {
		atomic_store(&p->go, true);
		for (unsigned i = 0; i < started; i++)
			pthread_join(p->w[i].tid, NULL);
		goto free_workers;
	}
	fprintf(stderr, "udrv-nvme perf: %s nsid %u, %s, %llu B, QD %u, %u core%s, %u s\n", dev,
		p->a.ns.nsid, wl_names[p->wl], (unsigned long long)p->io_size, p->depth, p->ncores,
		p->ncores > 1 ? "s" : "", p->secs);
	perf_clock_start(&clk);
	t0 = clk.ns0;
	atomic_store(&p->go, true);
	for (unsigned s = 1; s <= p->secs && !removed; s++) {
		uint64_t sum = 0, until = t0 + s * 1000000000ull, now;
		unsigned finished = 0;

		/* Wake at the second exactly (naps of at most 20 ms, relative:
		 * valgrind mishandles absolute sleeps); a removed device ends the
		 * run at once: the kernel waits for it. */
		while ((now = perf_mono_ns()) < until && !(removed = app_removed(&p->a)) &&
		       finished < p->ncores) {
			uint64_t nap = until - now < 20000000ull ? until - now : 20000000ull;
			struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)nap };

			nanosleep(&ts, NULL);
			finished = 0;
			for (unsigned i = 0; i < p->ncores; i++)
				finished += atomic_load(&p->w[i].finished);
		}
		if (removed || finished == p->ncores)
			break; /* every worker failed: say why now, not after -t */
		for (unsigned i = 0; i < p->ncores; i++)
			sum += atomic_load_explicit(&p->w[i].done, memory_order_relaxed);
		fprintf(stderr, "[%4us] %10llu IOPS %9.1f MiB/s\n", s, (unsigned long long)(sum - last),
			(double)(sum - last) * (double)p->io_size / (1 << 20));
		last = sum;
	}
	atomic_store(&p->run, false);
	for (unsigned i = 0; i < p->ncores; i++)
		atomic_store(&p->w[i].running, false);
	perf_clock_stop(&clk);
	t_end = perf_mono_ns();
	tp = t_end;
	for (unsigned i = 0; i < p->ncores; i++)
		pthread_join(p->w[i].tid, NULL);
	phase(p, "drain and join", &tp);
	secs = (double)(t_end - t0) / 1e9;
	perf_hist_init(&total);
	ret = APP_EXIT_OK;
	if (removed) {
		fprintf(stderr, "udrv-nvme perf: %s was removed (hot-unplug) %.1f s into the run: "
			"stopped; the results cover the time before\n", dev, secs);
		ret = APP_EXIT_FAIL;
	}
	for (unsigned i = 0; i < p->ncores; i++) {
		perf_hist_merge(&total, &p->w[i].h);
		n_total += p->w[i].done;
		if (p->w[i].fail) {
			fprintf(stderr, "udrv-nvme perf: core %u: I/O failed: %s\n", i,
				strerror(-p->w[i].fail));
			ret = APP_EXIT_FAIL;
		}
		if (p->w[i].errors) {
			fprintf(stderr, "udrv-nvme perf: core %u: %llu I/O completed with an error status\n",
				i, (unsigned long long)p->w[i].errors);
			ret = APP_EXIT_FAIL;
		}
	}
	if (p->json) {
		uint64_t errors = 0;
		unsigned failed = 0;

		printf("{\"workload\": \"%s\", \"io_size\": %llu, \"queue_depth\": %u, \"seconds\": %.3f, "
		       "\"iops\": %.0f, \"mibps\": %.2f, \"latency_us\": ", wl_names[p->wl],
		       (unsigned long long)p->io_size, p->depth, secs, (double)n_total / secs,
		       (double)n_total / secs * (double)p->io_size / (1 << 20));
		print_lat_json(&total, n_total, clk.ns_per_tick);
		printf(", \"cores\": [");
		for (unsigned i = 0; i < p->ncores; i++) {
			uint64_t n = p->w[i].done;
			struct udrv_nvme_qpair_stats st = { 0 };

			if (p->w[i].qp)
				udrv_nvme_qpair_stats(p->w[i].qp, &st);
			errors += p->w[i].errors;
			failed += p->w[i].fail != 0;
			printf("%s{\"core\": %u, \"cpu\": %d, \"iops\": %.0f, \"mibps\": %.2f, "
			       "\"latency_us\": ", i ? ", " : "", i, p->w[i].cpu, (double)n / secs,
			       (double)n / secs * (double)p->io_size / (1 << 20));
			print_lat_json(&p->w[i].h, n, clk.ns_per_tick);
			/* Whole run, warm-up and drain included: MMIO SQ doorbell
			 * writes per command show what shadow doorbells saved. */
			printf(", \"commands\": %llu, \"sq_doorbells\": %llu, \"cq_doorbells\": %llu, "
			       "\"errors\": %llu, \"failure\": ", (unsigned long long)st.submitted,
			       (unsigned long long)st.doorbells, (unsigned long long)st.cq_doorbells,
			       (unsigned long long)p->w[i].errors);
			if (p->w[i].fail)
				json_str(stdout, strerror(-p->w[i].fail));
			else
				printf("null");
			printf("}");
		}
		printf("], \"errors\": %llu, \"failed_cores\": %u}\n", (unsigned long long)errors,
		       failed);
	} else {
		printf("%-6s %12s %10s %9s %9s %9s %9s %9s %9s\n", "core", "IOPS", "MiB/s", "avg_us",
		       "min_us", "max_us", "p50_us", "p99_us", "p99.9_us");
		if (p->ncores > 1) {
			for (unsigned i = 0; i < p->ncores; i++) {
				char name[16];

				snprintf(name, sizeof(name), "%u", i);
				print_row(name, &p->w[i].h, p->w[i].done, secs, p->io_size,
					  clk.ns_per_tick);
			}
		}
		print_row("total", &total, n_total, secs, p->io_size, clk.ns_per_tick);
	}
	fflush(stdout);
	phase(p, "report", &tp);
free_workers:
	for (unsigned i = 0; i < p->ncores; i++) {
		udrv_nvme_qpair_destroy(p->w[i].qp);
		udrv_dma_free(p->w[i].mem);
		free(p->w[i].slots);
	}
	phase(p, "qpair destroy", &tp);
	app_close(&p->a);
	phase(p, "controller shutdown and device close", &tp);
	goto out;
close:
	app_close(&p->a);
out:
	free(p->w);
	free(p);
	return ret;
}

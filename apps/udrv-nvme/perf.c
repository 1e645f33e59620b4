/* SPDX-License-Identifier: MIT */
/*
 * udrv-nvme perf: a closed-loop I/O benchmark. One worker thread per core,
 * each with its own queue pair, keeps DEPTH requests in flight; latencies go
 * to a log-linear histogram (16 sub-buckets per power of two of ns).
 *
 * The timed phase of a worker makes no system call: submit, poll and
 * clock_gettime (vDSO) only. It is marked by a gettid() call at its start
 * and at its end, which bench/nvme/strace-check.sh uses to find it.
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

#define HB 640 /* histogram buckets: 16 direct + 16 per power of two up to 2^40 ns */

enum wl { WL_READ, WL_WRITE, WL_RANDREAD, WL_RANDWRITE, WL_RANDRW };
static const char *const wl_names[] = { "read", "write", "randread", "randwrite", "randrw" };

struct hist {
	uint64_t b[HB];
	uint64_t n, sum, min, max;
};

struct perf;
struct worker;

struct slot {
	struct worker *w;
	uint8_t *buf;
	uint64_t t0;
};

struct worker {
	struct perf *p;
	pthread_t tid;
	int idx, cpu;
	struct udrv_nvme_qpair *qp;
	struct slot *slots;
	uint8_t *mem;
	uint64_t rng, next_lba, lba_lo, lba_hi;
	_Atomic uint64_t done;  /* completions in the timed phase */
	uint64_t errors, inflight;
	int fail;               /* -errno of a failed submission */
	_Atomic bool finished;  /* the worker left its timed phase (or never began it) */
	struct hist h;
};

struct perf {
	struct app a;
	enum wl wl;
	unsigned read_pct, depth, secs, ncores;
	int cpus[256];
	uint64_t io_size;
	uint32_t blocks;        /* per I/O */
	unsigned cmds_per_io;   /* commands an I/O is split into (MDTS) */
	bool json;
	_Atomic unsigned ready;
	_Atomic bool go, run;
	struct worker *w;
};

static void help(FILE *f)
{
	fputs(help_perf, f);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline unsigned hidx(uint64_t v)
{
	unsigned msb;

	if (v < 16)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	if (msb > 40)
		return HB - 1;
	return (msb - 3u) * 16u + (unsigned)((v >> (msb - 4u)) & 15u);
}

/* Lower bound of bucket i in ns. */
static uint64_t hval(unsigned i)
{
	unsigned msb;

	if (i < 16)
		return i;
	msb = i / 16u + 3u;
	return (16ull + (i % 16u)) << (msb - 4u);
}

static inline void hadd(struct hist *h, uint64_t v)
{
	h->b[hidx(v)]++;
	h->n++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

static void hmerge(struct hist *d, const struct hist *s)
{
	for (unsigned i = 0; i < HB; i++)
		d->b[i] += s->b[i];
	d->n += s->n;
	d->sum += s->sum;
	d->min = s->min < d->min ? s->min : d->min;
	d->max = s->max > d->max ? s->max : d->max;
}

static double hpct(const struct hist *h, double pct)
{
	uint64_t want = (uint64_t)((double)h->n * pct / 100.0 + 0.5), acc = 0;

	if (!h->n)
		return 0;
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < HB; i++) {
		acc += h->b[i];
		if (acc >= want)
			return (double)hval(i) / 1000.0;
	}
	return (double)h->max / 1000.0;
}

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void io_done(void *arg, const struct udrv_nvme_cpl *cpl);

static inline int submit(struct worker *w, struct slot *s)
{
	struct perf *p = w->p;
	uint64_t lba;
	bool rd;

	switch (p->wl) {
	case WL_READ:
	case WL_WRITE:
		lba = w->next_lba;
		w->next_lba += p->blocks;
		if (w->next_lba + p->blocks > w->lba_hi)
			w->next_lba = w->lba_lo;
		rd = p->wl == WL_READ;
		break;
	default:
		lba = w->lba_lo + xorshift(&w->rng) % ((w->lba_hi - w->lba_lo) / p->blocks) * p->blocks;
		rd = p->wl == WL_RANDREAD ||
		     (p->wl == WL_RANDRW && xorshift(&w->rng) % 100 < p->read_pct);
		break;
	}
	s->t0 = now_ns();
	if (rd)
		return udrv_nvme_read(w->qp, p->a.ns.nsid, s->buf, lba, p->blocks, 0, io_done, s);
	return udrv_nvme_write(w->qp, p->a.ns.nsid, s->buf, lba, p->blocks, 0, io_done, s);
}

static void io_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct slot *s = arg;
	struct worker *w = s->w;
	int rc;

	hadd(&w->h, now_ns() - s->t0);
	if (!UDRV_NVME_STATUS_OK(cpl->status))
		w->errors++;
	atomic_store_explicit(&w->done, atomic_load_explicit(&w->done, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (atomic_load_explicit(&w->p->run, memory_order_relaxed)) {
		rc = submit(w, s);
		if (rc == 0)
			return;
		w->fail = rc;
	}
	w->inflight--;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct perf *p = w->p;
	/* Every slot may hold an I/O split into cmds_per_io commands. */
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo),
					   .queue_size = p->depth * p->cmds_per_io + 1 };
	uint64_t span;

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
	if (w->fail == 0)
		w->fail = udrv_dma_alloc(p->depth * p->io_size, 4096, (void **)&w->mem, NULL);
	w->slots = calloc(p->depth, sizeof(*w->slots));
	if (!w->slots && !w->fail)
		w->fail = -ENOMEM;
	if (!w->fail) {
		memset(w->mem, 0xa5, p->depth * p->io_size);
		for (unsigned i = 0; i < p->depth; i++)
			w->slots[i] = (struct slot){ .w = w, .buf = w->mem + i * p->io_size };
	}
	/* Sequential workers each get their own stretch; random ones the whole namespace. */
	span = p->a.ns.blocks;
	if (p->wl == WL_READ || p->wl == WL_WRITE)
		span = p->a.ns.blocks / p->ncores;
	w->lba_lo = (p->wl == WL_READ || p->wl == WL_WRITE) ? span * (uint64_t)w->idx : 0;
	w->lba_hi = w->lba_lo + span;
	w->next_lba = w->lba_lo;
	w->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(w->idx + 1);
	w->h.min = UINT64_MAX;
	atomic_fetch_add(&p->ready, 1);
	while (!atomic_load(&p->go))
		sched_yield();
	if (w->fail || !atomic_load(&p->run)) {
		atomic_store(&w->finished, true);
		return NULL;
	}

	syscall(SYS_gettid); /* marker: timed phase starts (strace check) */
	for (unsigned i = 0; i < p->depth && !w->fail; i++) {
		int rc = submit(w, &w->slots[i]);

		if (rc < 0)
			w->fail = rc;
		else
			w->inflight++;
	}
	while (atomic_load_explicit(&p->run, memory_order_relaxed) && !w->fail) {
		if (udrv_nvme_qpair_poll(w->qp, 0) < 0)
			w->fail = -ENODEV;
	}
	syscall(SYS_gettid); /* marker: timed phase ends */
	atomic_store(&w->finished, true);
	while (w->inflight && udrv_nvme_qpair_poll(w->qp, 0) >= 0)
		;
	return NULL;
}

static void print_lat_json(const struct hist *h)
{
	printf("{\"avg\": %.2f, \"min\": %.2f, \"max\": %.2f, \"p50\": %.2f, \"p99\": %.2f, "
	       "\"p999\": %.2f}", h->n ? (double)h->sum / (double)h->n / 1000.0 : 0.0,
	       h->n ? (double)h->min / 1000.0 : 0.0, (double)h->max / 1000.0, hpct(h, 50),
	       hpct(h, 99), hpct(h, 99.9));
}

static void print_row(const char *name, const struct hist *h, double secs, uint64_t io_size)
{
	double iops = (double)h->n / secs;

	printf("%-6s %12.0f %10.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", name, iops,
	       iops * (double)io_size / (1 << 20),
	       h->n ? (double)h->sum / (double)h->n / 1000.0 : 0.0,
	       h->n ? (double)h->min / 1000.0 : 0.0, (double)h->max / 1000.0, hpct(h, 50),
	       hpct(h, 99), hpct(h, 99.9));
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
		{ "help", no_argument, NULL, 'h' },	     { 0 },
	};
	struct perf *p = calloc(1, sizeof(*p));
	const char *dev = NULL, *wl = NULL;
	uint64_t v, nsid = 0, t0, t_end, last = 0;
	struct hist total;
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
	ret = app_open(&p->a, dev, (uint32_t)nsid, true);
	if (ret)
		goto out;
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
		p->w[i].fail = -pthread_create(&p->w[i].tid, NULL, worker_main, &p->w[i]);
		if (p->w[i].fail)
			break;
		started++;
	}
	while (atomic_load(&p->ready) < started)
		usleep(1000);
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
	t0 = now_ns();
	atomic_store(&p->go, true);
	for (unsigned s = 1; s <= p->secs && !removed; s++) {
		uint64_t sum = 0;
		unsigned finished = 0;

		/* A removed device ends the run at once: the kernel waits for it. */
		while (now_ns() < t0 + s * 1000000000ull && !(removed = app_removed(&p->a)) &&
		       finished < p->ncores) {
			usleep(20000);
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
	t_end = now_ns();
	for (unsigned i = 0; i < p->ncores; i++)
		pthread_join(p->w[i].tid, NULL);
	secs = (double)(t_end - t0) / 1e9;
	memset(&total, 0, sizeof(total));
	total.min = UINT64_MAX;
	ret = APP_EXIT_OK;
	if (removed) {
		fprintf(stderr, "udrv-nvme perf: %s was removed (hot-unplug) %.1f s into the run: "
			"stopped; the results cover the time before\n", dev, secs);
		ret = APP_EXIT_FAIL;
	}
	for (unsigned i = 0; i < p->ncores; i++) {
		hmerge(&total, &p->w[i].h);
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
		       (unsigned long long)p->io_size, p->depth, secs, (double)total.n / secs,
		       (double)total.n / secs * (double)p->io_size / (1 << 20));
		print_lat_json(&total);
		printf(", \"cores\": [");
		for (unsigned i = 0; i < p->ncores; i++) {
			const struct hist *h = &p->w[i].h;
			struct udrv_nvme_qpair_stats st = { 0 };

			if (p->w[i].qp)
				udrv_nvme_qpair_stats(p->w[i].qp, &st);
			errors += p->w[i].errors;
			failed += p->w[i].fail != 0;
			printf("%s{\"core\": %u, \"cpu\": %d, \"iops\": %.0f, \"mibps\": %.2f, "
			       "\"latency_us\": ", i ? ", " : "", i, p->w[i].cpu, (double)h->n / secs,
			       (double)h->n / secs * (double)p->io_size / (1 << 20));
			print_lat_json(h);
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
				print_row(name, &p->w[i].h, secs, p->io_size);
			}
		}
		print_row("total", &total, secs, p->io_size);
	}
free_workers:
	for (unsigned i = 0; i < p->ncores; i++) {
		udrv_nvme_qpair_destroy(p->w[i].qp);
		udrv_dma_free(p->w[i].mem);
		free(p->w[i].slots);
	}
close:
	app_close(&p->a);
out:
	free(p->w);
	free(p);
	return ret;
}

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
	enum wl wl;
	uint32_t nsid, blocks;
	unsigned read_pct;
	uint64_t rng, next_lba, lba_lo, lba_hi;
	uint64_t nslots;        /* random: I/O-sized slots in [lba_lo, lba_hi) */
	_Atomic uint64_t done;  /* completions (the status line reads it) */
	uint64_t errors, inflight;
	int fail;               /* -errno of a failed submission */
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
	bool json, timing;
	_Atomic unsigned ready;
	_Atomic bool go, run;
	struct worker *w;
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: udrv-nvme perf -d DEVICE [-n NSID] -w PATTERN [-M READ_PCT] -o IO_SIZE\n"
		"                      -q DEPTH -t SECONDS [-c CORES] [--json] [--timing]\n"
		"\n"
		"  -d DEVICE   PCI address bound to vfio-pci, or model[:opts] (model:null moves no data)\n"
		"  -n NSID     namespace (default: the first active one)\n"
		"  -w PATTERN  read, write, randread, randwrite or randrw\n"
		"  -M PCT      reads in percent for randrw (default 50)\n"
		"  -o SIZE     bytes per I/O, a multiple of the LBA size (512, 4k, 128k)\n"
		"  -q DEPTH    requests in flight per core (1..4095)\n"
		"  -t SECONDS  duration of the timed phase\n"
		"  -c CORES    a number of cores (1 worker thread and queue pair per core, pinned\n"
		"              to CPUs 0..N-1 when N > 1), or a CPU list with a comma: 2,3 or 1,\n"
		"              (default 1, unpinned)\n"
		"  --json      results as JSON: iops, mibps, latency_us {avg min max p50 p99 p999},\n"
		"              cores [...], errors\n"
		"  --timing    print how long each start-up and tear-down phase took (stderr;\n"
		"              UDRV_LOG=debug adds the library's phases)\n"
		"\n"
		"A status line is printed to stderr every second; results go to stdout.\n"
		"\n"
		"Example: udrv-nvme perf -d 0000:01:00.0 -w randread -o 4k -q 32 -t 10 -c 2\n"
		"         UDRV_MEM=anon udrv-nvme perf -d model:null -w randread -o 4k -q 32 -t 5\n");
}

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* A uniform index in [0, n): the high half of a 64x64-bit product (no division). */
static inline uint64_t below(uint64_t r, uint64_t n)
{
	__extension__ typedef unsigned __int128 u128;

	return (uint64_t)(((u128)r * n) >> 64);
}

static void io_done(void *arg, const struct udrv_nvme_cpl *cpl);

/* Submit slot s, stamped with now (the completion that freed it, or the start). */
static inline int submit(struct worker *w, struct slot *s, uint64_t now)
{
	uint64_t lba;
	bool rd;

	if (w->wl == WL_READ || w->wl == WL_WRITE) {
		lba = w->next_lba;
		w->next_lba += w->blocks;
		if (w->next_lba + w->blocks > w->lba_hi)
			w->next_lba = w->lba_lo;
		rd = w->wl == WL_READ;
	} else {
		lba = w->lba_lo + below(xorshift(&w->rng), w->nslots) * w->blocks;
		rd = w->wl == WL_RANDREAD ||
		     (w->wl == WL_RANDRW && below(xorshift(&w->rng), 100) < w->read_pct);
	}
	s->t0 = now;
	if (rd)
		return udrv_nvme_read(w->qp, w->nsid, s->buf, lba, w->blocks, 0, io_done, s);
	return udrv_nvme_write(w->qp, w->nsid, s->buf, lba, w->blocks, 0, io_done, s);
}

/* One clock read per I/O: it ends this request's latency and starts the next. */
static void io_done(void *arg, const struct udrv_nvme_cpl *cpl)
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
	if (likely(atomic_load_explicit(&w->p->run, memory_order_relaxed))) {
		rc = submit(w, s, now);
		if (likely(rc == 0))
			return;
		w->fail = rc;
	}
	w->inflight--;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct perf *p = w->p;
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .queue_size = p->depth + 1 };
	uint64_t span, now;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	w->fail = udrv_nvme_qpair_create(p->a.ctrl, &qo, &w->qp);
	if (w->fail == 0 && udrv_nvme_qpair_depth(w->qp) < p->depth) {
		fprintf(stderr, "udrv-nvme perf: -q %u is deeper than the controller's queues allow "
			"(%u): use -q %u or less\n", p->depth, udrv_nvme_qpair_depth(w->qp),
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
	if (w->fail)
		return NULL;

	syscall(SYS_gettid); /* marker: timed phase starts (strace check) */
	now = perf_ticks();
	for (unsigned i = 0; i < p->depth && !w->fail; i++) {
		int rc = submit(w, &w->slots[i], now);

		if (rc < 0)
			w->fail = rc;
		else
			w->inflight++;
	}
	while (atomic_load_explicit(&p->run, memory_order_relaxed) && !w->fail) {
		if (unlikely(udrv_nvme_qpair_poll(w->qp, 0) < 0))
			w->fail = -ENODEV;
	}
	syscall(SYS_gettid); /* marker: timed phase ends */
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

static int parse_cores(struct perf *p, const char *s)
{
	uint64_t n;

	if (strchr(s, ',')) {
		char buf[512], *tok, *save = NULL;

		snprintf(buf, sizeof(buf), "%s", s);
		p->ncores = 0;
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (parse_u64("-c CPU", tok, &n) < 0 || n > 4095 || p->ncores >= 256)
				return -1;
			p->cpus[p->ncores++] = (int)n;
		}
		return p->ncores ? 0 : -1;
	}
	if (parse_u64("-c", s, &n) < 0 || n == 0 || n > 256) {
		fprintf(stderr, "udrv-nvme perf: -c wants a core count 1..256 or a CPU list (2,3)\n");
		return -1;
	}
	p->ncores = (unsigned)n;
	for (unsigned i = 0; i < p->ncores; i++)
		p->cpus[i] = p->ncores > 1 ? (int)i : -1;
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
	int c, ret = 1;

	if (!p)
		return 1;
	p->read_pct = 50;
	p->ncores = 1;
	p->cpus[0] = -1;
	while ((c = getopt_long(argc, argv, "d:n:w:M:o:q:t:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'n': if (parse_u64("-n", optarg, &nsid) < 0) goto out; break;
		case 'w': wl = optarg; break;
		case 'M':
			if (parse_u64("-M", optarg, &v) < 0 || v > 100) {
				fprintf(stderr, "udrv-nvme perf: -M wants a percentage 0..100\n");
				goto out;
			}
			p->read_pct = (unsigned)v;
			break;
		case 'o': if (parse_size("-o", optarg, &p->io_size) < 0) goto out; break;
		case 'q':
			if (parse_u64("-q", optarg, &v) < 0 || v == 0 || v > 4095) {
				fprintf(stderr, "udrv-nvme perf: -q wants a depth 1..4095\n");
				goto out;
			}
			p->depth = (unsigned)v;
			break;
		case 't':
			if (parse_u64("-t", optarg, &v) < 0 || v == 0 || v > 86400) {
				fprintf(stderr, "udrv-nvme perf: -t wants seconds 1..86400\n");
				goto out;
			}
			p->secs = (unsigned)v;
			break;
		case 'c': if (parse_cores(p, optarg) < 0) goto out; break;
		case 'j': p->json = true; break;
		case 'T': p->timing = true; break;
		case 'h': help(stdout); ret = 0; goto out;
		default: help(stderr); ret = 2; goto out;
		}
	}
	if (optind != argc || !wl || !p->io_size || !p->depth || !p->secs) {
		fprintf(stderr, "udrv-nvme perf: %s%s\n\n",
			optind != argc ? "unexpected argument " : "-w, -o, -q and -t are required",
			optind != argc ? argv[optind] : "");
		help(stderr);
		ret = 2;
		goto out;
	}
	for (v = 0; v < 5 && strcmp(wl, wl_names[v]); v++)
		;
	if (v == 5) {
		fprintf(stderr, "udrv-nvme perf: -w %s: use read, write, randread, randwrite or randrw\n", wl);
		ret = 2;
		goto out;
	}
	p->wl = (enum wl)v;
	phase(p, "options", &tp);
	if (app_open(&p->a, dev, (uint32_t)nsid, true) < 0)
		goto out;
	phase(p, "device open and controller bring-up", &tp);
	if (p->io_size % p->a.ns.lba_size || p->io_size / p->a.ns.lba_size > 65536 ||
	    p->io_size * p->ncores > p->a.ns.capacity_bytes) {
		fprintf(stderr, "udrv-nvme perf: -o %llu must be a multiple of the LBA size (%u) and "
			"fit the namespace\n", (unsigned long long)p->io_size, p->a.ns.lba_size);
		goto close;
	}
	p->blocks = (uint32_t)(p->io_size / p->a.ns.lba_size);
	p->w = calloc(p->ncores, sizeof(*p->w));
	if (!p->w)
		goto close;
	atomic_store(&p->run, true);
	for (unsigned i = 0; i < p->ncores; i++) {
		p->w[i].p = p;
		p->w[i].idx = (int)i;
		p->w[i].cpu = p->cpus[i];
		pthread_create(&p->w[i].tid, NULL, worker_main, &p->w[i]);
	}
	while (atomic_load(&p->ready) < p->ncores)
		usleep(200);
	phase(p, "workers: qpair and buffers", &tp);
	fprintf(stderr, "udrv-nvme perf: %s nsid %u, %s, %llu B, QD %u, %u core%s, %u s\n", dev,
		p->a.ns.nsid, wl_names[p->wl], (unsigned long long)p->io_size, p->depth, p->ncores,
		p->ncores > 1 ? "s" : "", p->secs);
	perf_clock_start(&clk);
	t0 = clk.ns0;
	atomic_store(&p->go, true);
	for (unsigned s = 1; s <= p->secs && !removed; s++) {
		uint64_t sum = 0, until = t0 + s * 1000000000ull, now;

		/* Wake at the second exactly (naps of at most 20 ms, relative:
		 * valgrind mishandles absolute sleeps); a removed device ends the
		 * run at once: the kernel waits for it. */
		while ((now = perf_mono_ns()) < until && !(removed = app_removed(&p->a))) {
			uint64_t nap = until - now < 20000000ull ? until - now : 20000000ull;
			struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)nap };

			nanosleep(&ts, NULL);
		}
		if (removed)
			break;
		for (unsigned i = 0; i < p->ncores; i++)
			sum += atomic_load_explicit(&p->w[i].done, memory_order_relaxed);
		fprintf(stderr, "[%4us] %10llu IOPS %9.1f MiB/s\n", s, (unsigned long long)(sum - last),
			(double)(sum - last) * (double)p->io_size / (1 << 20));
		last = sum;
	}
	atomic_store(&p->run, false);
	perf_clock_stop(&clk);
	t_end = perf_mono_ns();
	tp = t_end;
	for (unsigned i = 0; i < p->ncores; i++)
		pthread_join(p->w[i].tid, NULL);
	phase(p, "drain and join", &tp);
	secs = (double)(t_end - t0) / 1e9;
	perf_hist_init(&total);
	ret = 0;
	if (removed) {
		fprintf(stderr, "udrv-nvme perf: %s was removed (hot-unplug) %.1f s into the run: "
			"stopped; the results cover the time before\n", dev, secs);
		ret = 1;
	}
	for (unsigned i = 0; i < p->ncores; i++) {
		perf_hist_merge(&total, &p->w[i].h);
		n_total += p->w[i].done;
		if (p->w[i].fail) {
			fprintf(stderr, "udrv-nvme perf: core %u: I/O failed: %s\n", i,
				strerror(-p->w[i].fail));
			ret = 1;
		}
		if (p->w[i].errors) {
			fprintf(stderr, "udrv-nvme perf: core %u: %llu I/O completed with an error status\n",
				i, (unsigned long long)p->w[i].errors);
			ret = 1;
		}
	}
	if (p->json) {
		uint64_t errors = 0;

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
			printf("%s{\"core\": %u, \"cpu\": %d, \"iops\": %.0f, \"mibps\": %.2f, "
			       "\"latency_us\": ", i ? ", " : "", i, p->w[i].cpu, (double)n / secs,
			       (double)n / secs * (double)p->io_size / (1 << 20));
			print_lat_json(&p->w[i].h, n, clk.ns_per_tick);
			/* Whole run, warm-up and drain included: MMIO SQ doorbell
			 * writes per command show what shadow doorbells saved. */
			printf(", \"commands\": %llu, \"sq_doorbells\": %llu, \"cq_doorbells\": %llu}",
			       (unsigned long long)st.submitted, (unsigned long long)st.doorbells,
			       (unsigned long long)st.cq_doorbells);
		}
		printf("], \"errors\": %llu}\n", (unsigned long long)errors);
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

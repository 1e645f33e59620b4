/* SPDX-License-Identifier: MIT */
/*
 * udrv-nvme perf: the per-I/O clock and the latency histogram, kept as cheap
 * as the driver's own path (a completion costs one clock read and a bucket
 * increment) and exact where it matters: sum, min and max are exact,
 * percentiles are within half a bucket (1/32 of the value).
 *
 * Clock: raw ticks (the TSC on x86-64: one instruction, no vDSO call), turned
 * into nanoseconds at report time with the rate measured against
 * CLOCK_MONOTONIC over the whole run; CLOCK_MONOTONIC in ns elsewhere.
 *
 * Histogram: log-linear over ticks, 32 exact buckets below 32, then 16
 * sub-buckets per power of two, over the whole 64-bit range (a conversion to
 * ns scales every bucket alike, so the relative precision is the same in
 * ns). The bucket of v is 16 s + (v >> s) with s = msb(v | 31) - 4: one bit
 * scan, two shifts and an add, no branch.
 *
 * Thread safety: a histogram belongs to one thread while it is filled;
 * merge and read it once that thread is done.
 */
#ifndef UDRV_NVME_PERF_STATS_H
#define UDRV_NVME_PERF_STATS_H

#include <stdint.h>
#include <time.h>

#define PERF_HB 976 /* 32 direct + 16 per power of two from 2^5 to 2^63 */

struct perf_hist {
	uint64_t b[PERF_HB];
	uint64_t sum, min, max; /* in ticks */
};

static inline uint64_t perf_ticks(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

static inline uint64_t perf_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline unsigned perf_hidx(uint64_t v)
{
	unsigned s = 59u - (unsigned)__builtin_clzll(v | 31u); /* msb(v | 31) - 4 */

	return 16u * s + (unsigned)(v >> s);
}

static inline void perf_hist_add(struct perf_hist *h, uint64_t v)
{
	h->b[perf_hidx(v)]++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void perf_hist_init(struct perf_hist *h);
void perf_hist_merge(struct perf_hist *d, const struct perf_hist *s);
uint64_t perf_hist_count(const struct perf_hist *h);
/* The pct-th percentile (0 < pct <= 100) in ticks: the middle of the bucket
 * holding it, clamped to [min, max]; 0 for an empty histogram. */
double perf_hist_pct(const struct perf_hist *h, double pct);

/* Ticks to ns over an interval measured with both clocks. */
struct perf_clock {
	uint64_t ns0, tk0;
	double ns_per_tick;
};
void perf_clock_start(struct perf_clock *c);
void perf_clock_stop(struct perf_clock *c);

#endif

/* SPDX-License-Identifier: MIT */
/* udrv-nvme perf: latency histogram and tick clock (see perf_stats.h). */
#include <string.h>

#include "perf_stats.h"

void perf_hist_init(struct perf_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void perf_hist_merge(struct perf_hist *d, const struct perf_hist *s)
{
	for (unsigned i = 0; i < PERF_HB; i++)
		d->b[i] += s->b[i];
	d->sum += s->sum;
	d->min = s->min < d->min ? s->min : d->min;
	d->max = s->max > d->max ? s->max : d->max;
}

uint64_t perf_hist_count(const struct perf_hist *h)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < PERF_HB; i++)
		n += h->b[i];
	return n;
}

/* Bucket i holds [lo, lo + width): the inverse of perf_hidx. Below 32,
 * i = v; above, i = 16 s + m with m = v >> s in [16, 32). */
static void bucket(unsigned i, double *lo, double *width)
{
	unsigned s;

	if (i < 32) {
		*lo = i;
		*width = 1;
		return;
	}
	s = i / 16u - 1u;
	*lo = (double)((uint64_t)(i - 16u * s) << s);
	*width = (double)(1ull << s);
}

double perf_hist_pct(const struct perf_hist *h, double pct)
{
	uint64_t n = perf_hist_count(h), want, acc = 0;
	double lo, width, v;

	if (!n)
		return 0;
	/* The smallest value with at least pct% of the samples at or below it. */
	want = (uint64_t)((double)n * pct / 100.0 + 0.999999);
	if (want == 0)
		want = 1;
	if (want > n)
		want = n;
	for (unsigned i = 0; i < PERF_HB; i++) {
		acc += h->b[i];
		if (acc < want)
			continue;
		bucket(i, &lo, &width);
		/* Exact buckets (width 1) hold one value; wider ones report their middle. */
		v = width > 1 ? lo + (width - 1) / 2 : lo;
		if (v < (double)h->min)
			v = (double)h->min;
		if (v > (double)h->max)
			v = (double)h->max;
		return v;
	}
	return (double)h->max;
}

void perf_clock_start(struct perf_clock *c)
{
	c->ns0 = perf_mono_ns();
	c->tk0 = perf_ticks();
	c->ns_per_tick = 1.0;
}

void perf_clock_stop(struct perf_clock *c)
{
	uint64_t ns = perf_mono_ns() - c->ns0, tk = perf_ticks() - c->tk0;

	c->ns_per_tick = tk ? (double)ns / (double)tk : 1.0;
}

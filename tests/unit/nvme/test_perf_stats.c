/* SPDX-License-Identifier: MIT */
/*
 * udrv-nvme perf's latency histogram (apps/udrv-nvme/perf_stats.c):
 * percentiles against distributions whose exact percentiles are known, to
 * within half a bucket (1/32 of the value); sum, min, max and counts exact.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "perf_stats.h"

/* Nearest-rank percentile of sorted v[0..n): the smallest value with at
 * least pct% of the samples at or below it. */
static double exact_pct(const uint64_t *v, size_t n, double pct)
{
	size_t rank = (size_t)ceil((double)n * pct / 100.0);

	if (rank < 1)
		rank = 1;
	return (double)v[rank - 1];
}

static void assert_close(double got, double want)
{
	double tol = want / 32.0 + 0.5;

	if (fabs(got - want) > tol)
		fail_msg("percentile %.1f, exact %.1f: off by more than half a bucket (%.1f)", got,
			 want, tol);
}

static void check_pcts(const uint64_t *v, size_t n)
{
	struct perf_hist *h = malloc(sizeof(*h));
	uint64_t sum = 0;

	assert_non_null(h);
	perf_hist_init(h);
	for (size_t i = 0; i < n; i++) {
		perf_hist_add(h, v[i]);
		sum += v[i];
	}
	assert_int_equal(perf_hist_count(h), n);
	assert_int_equal(h->sum, sum);
	assert_int_equal(h->min, v[0]);
	assert_int_equal(h->max, v[n - 1]);
	assert_close(perf_hist_pct(h, 50), exact_pct(v, n, 50));
	assert_close(perf_hist_pct(h, 99), exact_pct(v, n, 99));
	assert_close(perf_hist_pct(h, 99.9), exact_pct(v, n, 99.9));
	assert_true(perf_hist_pct(h, 100) == (double)v[n - 1] ||
		    fabs(perf_hist_pct(h, 100) - (double)v[n - 1]) <= (double)v[n - 1] / 32.0);
	free(h);
}

static void hist__uniform__percentiles_within_half_a_bucket(void **state)
{
	size_t n = 1000000;
	uint64_t *v = malloc(n * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = 1000 + i;
	check_pcts(v, n);
	free(v);
}

/* Exponential (a latency-like long tail), mean 20000 ticks: v_i is the
 * quantile function at (i + 0.5) / n, so v is sorted. */
static void hist__exponential__percentiles_within_half_a_bucket(void **state)
{
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = (uint64_t)(-20000.0 * log(1.0 - ((double)i + 0.5) / (double)n));
	check_pcts(v, n);
	free(v);
}

/* 99% at 10 us, 0.9% at 200 us, 0.1% at 5 ms (ticks = ns here): p99 is the
 * last sample of the first mode, p99.9 the last of the second. */
static void hist__three_modes__each_percentile_in_its_mode(void **state)
{
	size_t n = 100000;
	uint64_t *v = malloc(n * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = i < 99000 ? 10000 : i < 99900 ? 200000 : 5000000;
	check_pcts(v, n);
	free(v);
}

static void hist__small_values__exact(void **state)
{
	uint64_t v[16];
	struct perf_hist h;

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		v[i] = i;
	perf_hist_init(&h);
	for (unsigned i = 0; i < 16; i++)
		perf_hist_add(&h, v[i]);
	assert_true(perf_hist_pct(&h, 50) == 7.0);
	assert_true(perf_hist_pct(&h, 100) == 15.0);
	assert_true(perf_hist_pct(&h, 1) == 0.0);
}

static void hist__merge__equals_one_histogram_of_all(void **state)
{
	struct perf_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *all = malloc(sizeof(*all));

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(all);
	perf_hist_init(a);
	perf_hist_init(b);
	perf_hist_init(all);
	for (uint64_t i = 1; i <= 50000; i++) {
		uint64_t x = i * 37 % 100003 + 5;

		perf_hist_add(i & 1 ? a : b, x);
		perf_hist_add(all, x);
	}
	perf_hist_merge(a, b);
	assert_memory_equal(a, all, sizeof(*a));
	free(a);
	free(b);
	free(all);
}

static void hist__empty__zero(void **state)
{
	struct perf_hist h;

	(void)state;
	perf_hist_init(&h);
	assert_int_equal(perf_hist_count(&h), 0);
	assert_true(perf_hist_pct(&h, 50) == 0.0);
}

/* Every 64-bit value has its bucket, the largest the last one; a huge one is
 * reported within half a bucket, at most max. */
static void hist__huge_value__within_half_a_bucket(void **state)
{
	struct perf_hist h;

	(void)state;
	assert_int_equal(perf_hidx(UINT64_MAX), PERF_HB - 1);
	assert_int_equal(perf_hidx(31), 31);
	assert_int_equal(perf_hidx(32), 32);
	perf_hist_init(&h);
	perf_hist_add(&h, (1ull << 50) + 12345);
	assert_close(perf_hist_pct(&h, 50), (double)((1ull << 50) + 12345));
	assert_true(perf_hist_pct(&h, 50) <= (double)((1ull << 50) + 12345));
}

/* Adjacent values land in the same or the next bucket, never an earlier one. */
static void hist__bucket_index__monotonic(void **state)
{
	unsigned last = 0;

	(void)state;
	for (uint64_t v = 0; v < 100000; v++) {
		unsigned i = perf_hidx(v);

		assert_true(i == last || i == last + 1);
		last = i;
	}
	for (unsigned b = 5; b < 64; b++) {
		assert_int_equal(perf_hidx((1ull << b) - 1) + 1, perf_hidx(1ull << b));
		assert_true(perf_hidx(1ull << b) < PERF_HB);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hist__uniform__percentiles_within_half_a_bucket),
		cmocka_unit_test(hist__exponential__percentiles_within_half_a_bucket),
		cmocka_unit_test(hist__three_modes__each_percentile_in_its_mode),
		cmocka_unit_test(hist__small_values__exact),
		cmocka_unit_test(hist__merge__equals_one_histogram_of_all),
		cmocka_unit_test(hist__empty__zero),
		cmocka_unit_test(hist__huge_value__within_half_a_bucket),
		cmocka_unit_test(hist__bucket_index__monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

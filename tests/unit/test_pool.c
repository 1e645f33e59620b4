/* SPDX-License-Identifier: MIT */
/* Buffer pools (lib/pool.c): elements, IOVAs, per-thread caches, exhaustion,
 * bad options, and a multi-threaded stress. Runs on UDRV_MEM=anon memory. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <udrv/log.h>
#include <udrv/mem.h>
#include <udrv/pool.h>
#include <udrv/runtime.h>

/* --- log capture ---------------------------------------------------------- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned log_errors;
static char log_last[512];

static void capture(enum udrv_log_level level, const char *line, void *arg)
{
	(void)arg;
	if (level != UDRV_LOG_ERROR)
		return;
	pthread_mutex_lock(&log_mu);
	log_errors++;
	snprintf(log_last, sizeof(log_last), "%s", line);
	pthread_mutex_unlock(&log_mu);
}

static void log_reset(void)
{
	pthread_mutex_lock(&log_mu);
	log_errors = 0;
	log_last[0] = '\0';
	pthread_mutex_unlock(&log_mu);
}

/* One more error was logged and it mentions every given word. */
static void expect_logged(unsigned before, const char *w1, const char *w2)
{
	pthread_mutex_lock(&log_mu);
	if (log_errors != before + 1 || !strstr(log_last, w1) || (w2 && !strstr(log_last, w2)))
		fail_msg("expected one error mentioning '%s' '%s'; got %u: %s", w1, w2 ? w2 : "",
			 log_errors - before, log_last);
	pthread_mutex_unlock(&log_mu);
}

static int group_setup(void **state)
{
	(void)state;
	udrv_log_set_handler(capture, NULL);
	udrv_log_set_level(UDRV_LOG_ERROR);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	udrv_log_set_handler(NULL, NULL);
	udrv_fini();
	return 0;
}

/* --- helpers -------------------------------------------------------------- */

static struct udrv_pool *make_pool(const char *name, size_t elem_size, uint32_t count,
				   size_t align, uint32_t cache_size)
{
	struct udrv_pool_opts o = {
		.size = sizeof(o), .name = name, .elem_size = elem_size, .count = count,
		.align = align, .cache_size = cache_size,
	};
	struct udrv_pool *p = NULL;

	assert_int_equal(udrv_pool_create(&o, &p), 0);
	assert_non_null(p);
	assert_int_equal(udrv_pool_available(p), count);
	return p;
}

/* Take every element on this thread; checks they are count distinct ones. */
static void **take_all(struct udrv_pool *p, uint32_t count)
{
	void **objs = calloc(count, sizeof(*objs));
	bool *seen = calloc(count, sizeof(*seen));

	assert_non_null(objs);
	assert_non_null(seen);
	for (uint32_t i = 0; i < count; i++) {
		long idx;

		objs[i] = udrv_pool_get(p);
		assert_non_null(objs[i]);
		idx = udrv_pool_index(p, objs[i]);
		assert_true(idx >= 0 && idx < (long)count);
		assert_false(seen[idx]);
		seen[idx] = true;
	}
	assert_null(udrv_pool_get(p));
	assert_int_equal(udrv_pool_available(p), 0);
	free(seen);
	return objs;
}

static void put_all(struct udrv_pool *p, void **objs, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		udrv_pool_put(p, objs[i]);
	free(objs);
	assert_int_equal(udrv_pool_available(p), count);
}

/* --- single thread -------------------------------------------------------- */

static void pool_get_put__round_trip(void **state)
{
	struct udrv_pool *p = make_pool("rt", 2048, 64, 0, 0);
	void *a, *b;

	(void)state;
	a = udrv_pool_get(p);
	assert_non_null(a);
	assert_int_equal(udrv_pool_available(p), 63);
	memset(a, 0xab, 2048); /* the whole element is ours */
	udrv_pool_put(p, a);
	assert_int_equal(udrv_pool_available(p), 64);
	b = udrv_pool_get(p);
	assert_ptr_equal(a, b); /* LIFO cache: the hot one comes back */
	udrv_pool_put(p, b);
	udrv_pool_destroy(p);
}

static void pool_elements__distinct_aligned_indexed(void **state)
{
	const size_t aligns[] = { 0, 64, 256, 4096 };

	(void)state;
	for (unsigned k = 0; k < sizeof(aligns) / sizeof(aligns[0]); k++) {
		size_t align = aligns[k] ? aligns[k] : 64;
		struct udrv_pool *p = make_pool("elems", 100, 300, aligns[k], 16);
		size_t stride = udrv_pool_elem_size(p);
		void **objs;

		assert_true(stride >= 100 && stride % align == 0 && stride < 100 + align);
		objs = take_all(p, 300);
		for (uint32_t i = 0; i < 300; i++) {
			long idx = udrv_pool_index(p, objs[i]);

			assert_true((uintptr_t)objs[i] % align == 0);
			assert_ptr_equal(udrv_pool_elem(p, (uint32_t)idx), objs[i]);
		}
		assert_ptr_equal((char *)udrv_pool_elem(p, 1) - (char *)udrv_pool_elem(p, 0), stride);
		assert_null(udrv_pool_elem(p, 300));
		/* Not elements: inside one, before the first, past the last. */
		assert_int_equal(udrv_pool_index(p, (char *)objs[0] + 1), -1);
		assert_int_equal(udrv_pool_index(p, (char *)udrv_pool_elem(p, 0) - stride), -1);
		assert_int_equal(udrv_pool_index(p, (char *)udrv_pool_elem(p, 299) + stride), -1);
		assert_int_equal(udrv_pool_index(p, NULL), -1);
		put_all(p, objs, 300);
		udrv_pool_destroy(p);
	}
}

/* The membership test multiplies by the inverse of the stride's odd part
 * instead of dividing: every byte offset across a few elements, for strides
 * with odd parts 1, 3, 35 (a packet buffer's 2240 = 35 * 64), 4095 and
 * 1000001, must give exactly the division's answer. */
static void pool_index__every_offset_matches_division(void **state)
{
	const struct { size_t elem, align; } shapes[] = {
		{ 64, 64 }, { 192, 64 }, { 2240, 64 }, { 3, 1 }, { 4095, 1 }, { 1000001, 1 },
		{ 100, 4 }, { 2176, 128 },
	};

	(void)state;
	for (unsigned k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		const uint32_t count = 5;
		struct udrv_pool *p = make_pool("div", shapes[k].elem, count, shapes[k].align, 1);
		const size_t stride = udrv_pool_elem_size(p);
		const char *base = udrv_pool_elem(p, 0);
		/* Well past the end and (a few strides) before the start. */
		const size_t span = stride * (count + 2);
		size_t step = stride > 5000 ? 7 : 1;

		for (size_t off = 0; off < span; off += step) {
			long want = off % stride || off / stride >= count ? -1 : (long)(off / stride);

			if (udrv_pool_index(p, base + off) != want)
				fail_msg("stride %zu offset %zu: index %ld, expected %ld", stride, off,
					 udrv_pool_index(p, base + off), want);
		}
		/* Every element itself, when the walk above strides over it. */
		for (uint32_t i = 0; i < count; i++)
			assert_int_equal(udrv_pool_index(p, base + i * stride), i);
		for (size_t back = 1; back <= 3 * stride; back += step)
			assert_int_equal(udrv_pool_index(p, base - back), -1);
		udrv_pool_destroy(p);
	}
}

/* The bulk put checks a whole burst with one branch; a bad pointer anywhere
 * in it (first, middle, last) is still refused and logged, and every good
 * one goes in, with the cache and without it (a burst larger than it). */
static void pool_put_bulk__bad_element_anywhere_refused(void **state)
{
	const uint32_t cache_sizes[] = { 64, 4 };

	(void)state;
	for (unsigned c = 0; c < 2; c++) {
		struct udrv_pool *p = make_pool("bulkbad", 2240, 64, 64, cache_sizes[c]);
		const size_t stride = udrv_pool_elem_size(p);

		log_reset();
		for (unsigned where = 0; where < 3; where++) {
			const void *bads[] = { (char *)udrv_pool_elem(p, 0) + stride / 2,
					       (char *)udrv_pool_elem(p, 0) - stride,
					       (char *)udrv_pool_elem(p, 63) + stride };
			for (unsigned b = 0; b < 3; b++) {
				void *burst[9];
				unsigned pos = where == 0 ? 0 : where == 1 ? 4 : 8, before;

				assert_int_equal(udrv_pool_get_bulk(p, burst, 8), 8);
				memmove(burst + pos + 1, burst + pos, (8 - pos) * sizeof(burst[0]));
				burst[pos] = (void *)bads[b];
				before = log_errors;
				udrv_pool_put_bulk(p, burst, 9);
				expect_logged(before, "bulkbad", "not an element");
				assert_int_equal(udrv_pool_available(p), 64);
			}
		}
		/* The pool is intact: exactly its own 64 elements come out. */
		put_all(p, take_all(p, 64), 64);
		udrv_pool_destroy(p);
	}
}

/* Internal (lib/pool.c, for drivers/net): all or nothing, never logged. */
unsigned udrvi_pool_put_bulk_all(struct udrv_pool *pool, void *const *objs, unsigned n);

static void pool_put_bulk_all__foreign_element_puts_none_silently(void **state)
{
	struct udrv_pool *p = make_pool("all", 2240, 64, 64, 16);
	struct udrv_pool *q = make_pool("allq", 2240, 64, 64, 16);
	void *burst[40];
	unsigned before;

	(void)state;
	log_reset();
	for (unsigned n = 8; n <= 40; n += 32) { /* through the cache, then past it */
		assert_int_equal(udrv_pool_get_bulk(p, burst, n - 1), n - 1);
		burst[n - 1] = udrv_pool_get(q); /* the last one is foreign */
		before = log_errors;
		assert_int_equal(udrvi_pool_put_bulk_all(p, burst, n), 0);
		assert_int_equal(log_errors, before);
		assert_int_equal(udrv_pool_available(p), 64 - (n - 1));
		udrv_pool_put(q, burst[n - 1]);
		burst[n - 1] = udrv_pool_get(p);
		assert_int_equal(udrvi_pool_put_bulk_all(p, burst, n), n);
		assert_int_equal(udrv_pool_available(p), 64);
	}
	put_all(p, take_all(p, 64), 64);
	udrv_pool_destroy(q);
	udrv_pool_destroy(p);
}

static void pool_elements__have_valid_distinct_iovas(void **state)
{
	struct udrv_pool *p = make_pool("iova", 1500, 512, 0, 0);
	size_t stride = udrv_pool_elem_size(p);
	uint64_t prev = 0;

	(void)state;
	for (uint32_t i = 0; i < 512; i++) {
		char *va = udrv_pool_elem(p, i);
		uint64_t iova = udrv_virt_to_iova(va);

		assert_true(iova != UDRV_IOVA_INVALID);
		assert_true(iova != (uint64_t)(uintptr_t)va);
		/* Each element is one contiguous piece of IOVA space... */
		assert_true(udrv_virt_to_iova(va + stride - 1) == iova + stride - 1);
		/* ...and they do not overlap. */
		if (i > 0)
			assert_true(iova >= prev + stride);
		prev = iova;
	}
	udrv_pool_destroy(p);
}

static void pool_get__exhaustion_returns_null(void **state)
{
	const uint32_t caches[] = { 0, 1, 8, 32 };

	(void)state;
	for (unsigned k = 0; k < 4; k++) {
		struct udrv_pool *p = make_pool("exhaust", 64, 32, 0, caches[k]);
		void **objs = take_all(p, 32);

		assert_null(udrv_pool_get(p));
		put_all(p, objs, 32);
		objs = take_all(p, 32); /* again, now with the cache warm */
		put_all(p, objs, 32);
		udrv_pool_destroy(p);
	}
}

static void pool_get_bulk__all_or_nothing(void **state)
{
	struct udrv_pool *p = make_pool("bulk", 64, 32, 0, 4);
	void *a[32], *b[32], *c[32];

	(void)state;
	assert_int_equal(udrv_pool_get_bulk(p, a, 3), 3);   /* fits the cache */
	assert_int_equal(udrv_pool_get_bulk(p, b, 20), 20); /* larger than the cache */
	assert_int_equal(udrv_pool_available(p), 9);
	assert_int_equal(udrv_pool_get_bulk(p, c, 10), 0);
	assert_int_equal(udrv_pool_available(p), 9);
	assert_int_equal(udrv_pool_get_bulk(p, c, 4), 4);
	assert_int_equal(udrv_pool_get_bulk(p, c + 4, 6), 0);
	assert_int_equal(udrv_pool_available(p), 5);
	assert_int_equal(udrv_pool_get_bulk(p, c + 4, 5), 5);
	assert_int_equal(udrv_pool_get_bulk(p, c + 9, 1), 0);
	assert_null(udrv_pool_get(p));
	assert_int_equal(udrv_pool_get_bulk(p, c + 9, 0), 0);

	/* 32 distinct elements went out. */
	for (int i = 0; i < 3; i++)
		c[9 + i] = a[i];
	for (int i = 0; i < 20; i++)
		c[12 + i] = b[i];
	for (int i = 0; i < 32; i++)
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(c[i], c[j]);

	udrv_pool_put_bulk(p, c, 3);   /* fits the cache */
	udrv_pool_put_bulk(p, c + 3, 29); /* larger than the cache */
	assert_int_equal(udrv_pool_available(p), 32);
	assert_int_equal(udrv_pool_get_bulk(p, c, 32), 32);
	udrv_pool_put_bulk(p, c, 32);
	udrv_pool_destroy(p);
}

static void pool_put__not_an_element_is_logged_and_ignored(void **state)
{
	struct udrv_pool *p = make_pool("foreign", 256, 16, 0, 2);
	struct udrv_pool *q = make_pool("other", 256, 16, 0, 2);
	char local[256];
	void *e, *bad[2];
	unsigned before;
	void **objs;

	(void)state;
	log_reset();
	e = udrv_pool_get(p);
	before = log_errors;
	udrv_pool_put(p, NULL);
	expect_logged(before, "foreign", "not an element");
	before = log_errors;
	udrv_pool_put(p, local);
	expect_logged(before, "foreign", "not an element");
	before = log_errors;
	udrv_pool_put(p, (char *)e + 8); /* inside an element */
	expect_logged(before, "foreign", "not an element");
	before = log_errors;
	udrv_pool_put(p, udrv_pool_elem(q, 3)); /* another pool's */
	expect_logged(before, "foreign", "not an element");
	before = log_errors;
	bad[0] = e;
	bad[1] = local;
	udrv_pool_put_bulk(p, bad, 2); /* the good one goes in, the bad one is refused */
	expect_logged(before, "foreign", "not an element");
	assert_int_equal(udrv_pool_available(p), 16);
	assert_int_equal(udrv_pool_available(q), 16);

	/* The pool is intact: exactly its own 16 elements come out. */
	objs = take_all(p, 16);
	put_all(p, objs, 16);
	udrv_pool_destroy(q);
	udrv_pool_destroy(p);
}

static void pool_create__rejects_bad_opts(void **state)
{
	struct udrv_pool_opts good = {
		.size = sizeof(good), .name = "opts", .elem_size = 64, .count = 64,
	};
	struct {
		struct udrv_pool_opts o;
		uint8_t tail[16];
	} big;
	struct udrv_pool_opts o;
	struct udrv_pool *p = (struct udrv_pool *)&o;
	unsigned before;

	(void)state;
	log_reset();
#define REJECT(field_change, w1, w2)                                      \
	do {                                                              \
		o = good;                                                 \
		field_change;                                             \
		before = log_errors;                                      \
		assert_int_equal(udrv_pool_create(&o, &p), -EINVAL);      \
		assert_null(p);                                           \
		expect_logged(before, w1, w2);                            \
	} while (0)

	REJECT(o.size = 0, "opts.size", "sizeof");
	REJECT(o.size = sizeof(o) - 1, "opts.size", "sizeof");
	REJECT(o.size = 1u << 20, "opts.size", "sizeof");
	REJECT(o.elem_size = 0, "elem_size", "at least 1");
	REJECT(o.count = 0, "count", "between 1 and");
	REJECT(o.count = UINT32_MAX, "count", "between 1 and");
	REJECT(o.align = 48, "align is 48", "power of two");
	REJECT(o.cache_size = 1025, "cache_size is 1025", "at most 1024");
	REJECT(o.cache_size = 65, "cache_size is 65", "count");
	REJECT(o.elem_size = SIZE_MAX / 2, "elem_size", "does not fit");
#undef REJECT
	before = log_errors;
	assert_int_equal(udrv_pool_create(NULL, &p), -EINVAL);
	expect_logged(before, "opts", NULL);
	before = log_errors;
	assert_int_equal(udrv_pool_create(&good, NULL), -EINVAL);
	expect_logged(before, "out", NULL);

	/* A larger struct from a newer caller: fine while the extra bytes are zero. */
	memset(&big, 0, sizeof(big));
	big.o = good;
	big.o.size = sizeof(big);
	assert_int_equal(udrv_pool_create(&big.o, &p), 0);
	udrv_pool_destroy(p);
	big.tail[5] = 1;
	before = log_errors;
	assert_int_equal(udrv_pool_create(&big.o, &p), -EINVAL);
	expect_logged(before, "opts.size", "does not know");
}

static void pool_create__ids_reused_after_destroy(void **state)
{
	struct udrv_pool *pools[UDRV_POOL_MAX], *extra = NULL, *b;
	struct udrv_pool_opts o = { .size = sizeof(o), .name = "many", .elem_size = 64, .count = 8 };
	unsigned before;
	void *e;

	(void)state;
	log_reset();
	for (int i = 0; i < UDRV_POOL_MAX; i++)
		assert_int_equal(udrv_pool_create(&o, &pools[i]), 0);
	before = log_errors;
	assert_int_equal(udrv_pool_create(&o, &extra), -ENOSPC);
	assert_null(extra);
	expect_logged(before, "64 pools", "destroy one");
	udrv_pool_destroy(pools[17]);
	assert_int_equal(udrv_pool_create(&o, &pools[17]), 0);
	for (int i = 0; i < UDRV_POOL_MAX; i++)
		udrv_pool_destroy(pools[i]);

	/* Same on this thread: its cache of the old pool is not used. */
	o.count = 64;
	o.cache_size = 16;
	assert_int_equal(udrv_pool_create(&o, &pools[0]), 0);
	e = udrv_pool_get(pools[0]);
	udrv_pool_put(pools[0], e);
	udrv_pool_destroy(pools[0]);
	b = make_pool("reuse", 128, 64, 0, 16);
	put_all(b, take_all(b, 64), 64);
	udrv_pool_destroy(b);
}

struct reuse {
	struct udrv_pool *pool;
	sem_t go, done;
	bool ok;
};

static void *thread_reuse(void *arg)
{
	struct reuse *r = arg;
	void *objs[64];
	bool ok = true;

	/* Make a cache for the first pool and leave elements in it. */
	for (int i = 0; i < 10; i++)
		objs[i] = udrv_pool_get(r->pool);
	for (int i = 0; i < 10; i++)
		udrv_pool_put(r->pool, objs[i]);
	sem_post(&r->done);
	sem_wait(&r->go);
	/* r->pool is now a new pool with the same id: every element must be
	 * its own, and all of them must be there. */
	for (int i = 0; i < 64; i++) {
		objs[i] = udrv_pool_get(r->pool);
		ok &= objs[i] != NULL && udrv_pool_index(r->pool, objs[i]) >= 0;
	}
	ok &= udrv_pool_get(r->pool) == NULL;
	for (int i = 0; i < 64; i++)
		if (objs[i])
			udrv_pool_put(r->pool, objs[i]);
	r->ok = ok;
	return NULL;
}

/* A thread keeps a cache of a pool that is destroyed, and its id goes to a
 * new pool: the thread must neither use nor flush the freed cache (ASan
 * checks the "use" part), and must get a fresh one for the new pool. */
static void pool_caches__stale_cache_of_reused_id_not_used(void **state)
{
	struct reuse r;
	pthread_t t;

	(void)state;
	assert_int_equal(sem_init(&r.go, 0, 0), 0);
	assert_int_equal(sem_init(&r.done, 0, 0), 0);
	r.pool = make_pool("old", 128, 64, 0, 16);
	r.ok = false;
	assert_int_equal(pthread_create(&t, NULL, thread_reuse, &r), 0);
	sem_wait(&r.done);
	assert_int_equal(udrv_pool_available(r.pool), 64);
	udrv_pool_destroy(r.pool);
	r.pool = make_pool("new", 128, 64, 0, 16);
	sem_post(&r.go);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(r.ok);
	assert_int_equal(udrv_pool_available(r.pool), 64);
	put_all(r.pool, take_all(r.pool, 64), 64);
	udrv_pool_destroy(r.pool);
	sem_destroy(&r.go);
	sem_destroy(&r.done);
}

/* --- threads -------------------------------------------------------------- */

struct xfer {
	struct udrv_pool *pool;
	void **objs;
	unsigned n;
};

static void *thread_get(void *arg)
{
	struct xfer *x = arg;

	for (unsigned i = 0; i < x->n; i++)
		x->objs[i] = udrv_pool_get(x->pool);
	return NULL;
}

static void *thread_put(void *arg)
{
	struct xfer *x = arg;

	for (unsigned i = 0; i < x->n; i++)
		udrv_pool_put(x->pool, x->objs[i]);
	return NULL;
}

static void run_thread(void *(*fn)(void *), struct xfer *x)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, x), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/* Taken on one thread, freed on another; caches of exited threads go back. */
static void pool_caches__freed_on_other_thread_come_back(void **state)
{
	struct udrv_pool *p = make_pool("xthread", 512, 256, 0, 32);
	void *objs[100];
	struct xfer x = { p, objs, 100 };
	void **all;

	(void)state;
	run_thread(thread_get, &x); /* its cache kept up to 31 more; it exits */
	for (int i = 0; i < 100; i++)
		assert_non_null(objs[i]);
	assert_int_equal(udrv_pool_available(p), 156);

	for (int i = 0; i < 50; i++) /* half come back through this thread's cache */
		udrv_pool_put(p, objs[i]);
	assert_int_equal(udrv_pool_available(p), 206);
	x.objs = objs + 50;
	x.n = 50;
	run_thread(thread_put, &x); /* half through a thread that then exits */
	assert_int_equal(udrv_pool_available(p), 256);

	/* Everything is reachable from this thread again: no element is stuck
	 * in an exited thread's cache. */
	all = take_all(p, 256);
	put_all(p, all, 256);
	udrv_pool_destroy(p);
}

struct churn {
	struct udrv_pool *pool;
	unsigned seed;
};

static void *thread_churn(void *arg)
{
	struct churn *c = arg;
	void *held[40];
	unsigned n = 0, r = c->seed;

	for (int i = 0; i < 5000; i++) {
		r = r * 1103515245u + 12345u;
		if (n < 40 && (r >> 16) % 3 != 0) {
			void *e = udrv_pool_get(c->pool);

			if (e)
				held[n++] = e;
		} else if (n > 0) {
			udrv_pool_put(c->pool, held[--n]);
		}
	}
	while (n > 0)
		udrv_pool_put(c->pool, held[--n]);
	return NULL;
}

static void pool_available__exact_after_threads_exit(void **state)
{
	struct udrv_pool *p = make_pool("exact", 64, 200, 0, 24);
	struct churn c[3] = { { p, 1 }, { p, 2 }, { p, 3 } };
	pthread_t t[3];
	void *mine = udrv_pool_get(p);

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_churn, &c[i]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(udrv_pool_available(p), 199);
	udrv_pool_put(p, mine);
	assert_int_equal(udrv_pool_available(p), 200);
	put_all(p, take_all(p, 200), 200);
	udrv_pool_destroy(p);
}

/* Four threads, 200k operations each, elements stamped with their holder:
 * no element is ever handed to two threads at once. */
enum { STRESS_THREADS = 4, STRESS_OPS = 200000, STRESS_HELD = 96 };

struct stress {
	struct udrv_pool *pool;
	uint32_t tid;
	atomic_uint *errors;
	unsigned long gets;
};

static bool stamp_take(void *e, uint32_t tid)
{
	return atomic_exchange((atomic_uint *)e, tid) == 0;
}

static bool stamp_release(void *e, uint32_t tid)
{
	return atomic_exchange((atomic_uint *)e, 0) == tid;
}

static void *thread_stress(void *arg)
{
	struct stress *s = arg;
	void *held[STRESS_HELD];
	unsigned n = 0, r = s->tid * 2654435761u;

	for (int i = 0; i < STRESS_OPS; i++) {
		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		if ((r & 7) == 0 && n + 8 <= STRESS_HELD) {
			if (udrv_pool_get_bulk(s->pool, held + n, 8) == 8) {
				for (int k = 0; k < 8; k++)
					if (!stamp_take(held[n + k], s->tid))
						atomic_fetch_add(s->errors, 1);
				n += 8;
				s->gets += 8;
			}
		} else if ((r & 7) == 1 && n >= 8) {
			n -= 8;
			for (int k = 0; k < 8; k++)
				if (!stamp_release(held[n + k], s->tid))
					atomic_fetch_add(s->errors, 1);
			udrv_pool_put_bulk(s->pool, held + n, 8);
		} else if (n < STRESS_HELD && ((r >> 8) & 1)) {
			void *e = udrv_pool_get(s->pool);

			if (e) {
				if (!stamp_take(e, s->tid))
					atomic_fetch_add(s->errors, 1);
				held[n++] = e;
				s->gets++;
			}
		} else if (n > 0) {
			/* Put back a random one, not only the newest. */
			unsigned k = (r >> 9) % n;
			void *e = held[k];

			held[k] = held[--n];
			if (!stamp_release(e, s->tid))
				atomic_fetch_add(s->errors, 1);
			udrv_pool_put(s->pool, e);
		}
	}
	while (n > 0) {
		if (!stamp_release(held[--n], s->tid))
			atomic_fetch_add(s->errors, 1);
		udrv_pool_put(s->pool, held[n]);
	}
	return NULL;
}

static void pool_stress__threads_never_share_an_element(void **state)
{
	/* Fewer elements than the threads could hold: they run dry and contend. */
	struct udrv_pool *p = make_pool("stress", 64, 256, 0, 16);
	struct stress s[STRESS_THREADS];
	pthread_t t[STRESS_THREADS];
	atomic_uint errors = 0;
	unsigned long gets = 0;

	(void)state;
	log_reset();
	for (uint32_t i = 0; i < STRESS_THREADS; i++) {
		s[i] = (struct stress){ .pool = p, .tid = i + 1, .errors = &errors };
		assert_int_equal(pthread_create(&t[i], NULL, thread_stress, &s[i]), 0);
	}
	for (int i = 0; i < STRESS_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		gets += s[i].gets;
	}
	assert_int_equal(atomic_load(&errors), 0);
	assert_int_equal(log_errors, 0); /* nothing was refused or dropped */
	assert_true(gets > STRESS_THREADS * (unsigned long)STRESS_OPS / 4);
	assert_int_equal(udrv_pool_available(p), 256);
	put_all(p, take_all(p, 256), 256);
	udrv_pool_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_get_put__round_trip),
		cmocka_unit_test(pool_elements__distinct_aligned_indexed),
		cmocka_unit_test(pool_elements__have_valid_distinct_iovas),
		cmocka_unit_test(pool_index__every_offset_matches_division),
		cmocka_unit_test(pool_put_bulk__bad_element_anywhere_refused),
		cmocka_unit_test(pool_put_bulk_all__foreign_element_puts_none_silently),
		cmocka_unit_test(pool_get__exhaustion_returns_null),
		cmocka_unit_test(pool_get_bulk__all_or_nothing),
		cmocka_unit_test(pool_put__not_an_element_is_logged_and_ignored),
		cmocka_unit_test(pool_create__rejects_bad_opts),
		cmocka_unit_test(pool_create__ids_reused_after_destroy),
		cmocka_unit_test(pool_caches__freed_on_other_thread_come_back),
		cmocka_unit_test(pool_caches__stale_cache_of_reused_id_not_used),
		cmocka_unit_test(pool_available__exact_after_threads_exit),
		cmocka_unit_test(pool_stress__threads_never_share_an_element),
	};

	/* Ordinary memory: no hugepages needed (the build sets this too). */
	setenv("UDRV_MEM", "anon", 0);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* SPDX-License-Identifier: MIT */
/*
 * Fixed-size DMA buffer pools with per-thread caches.
 *
 * Elements are carved out of ONE udrv_dma_alloc allocation, so each has an
 * IOVA (udrv_virt_to_iova) and an element is recognised by address
 * arithmetic alone.
 *
 * Free elements live in a thread's cache (a LIFO stack of pointers private to
 * the thread, hot in its CPU cache) or in the pool's shared ring, a bounded
 * MPMC queue after Dmitry Vyukov's design: every cell carries a sequence
 * number that says whether it is ready for the producer or for the consumer
 * of a given lap, so producers and consumers only contend on their own
 * position counter (one CAS per burst, see ring_enqueue/ring_dequeue). The
 * ring holds at least count cells, so it can take every element.
 *
 * Per-thread caches: a _Thread_local table indexed by pool id (0 ..
 * UDRV_POOL_MAX - 1) holds a cache pointer and the generation of the pool it
 * was made for. Generations are never reused, so a pool id recycled after
 * udrv_pool_destroy never picks up a stale cache, and a stale pointer is
 * never even dereferenced. Caches are made on first use, registered with
 * their pool (udrv_pool_available counts them, udrv_pool_destroy frees them),
 * and flushed back to the ring by a pthread key destructor when their thread
 * exits. Cache creation, thread exit, create/destroy and available() take
 * pool_lock; get/put never do.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/log.h>
#include <udrv/mem.h>
#include <udrv/pool.h>

#include "pool_internal.h"

#define CACHE_LINE 64
#define DEFAULT_ALIGN 64
#define DEFAULT_CACHE_MAX 256
#define CACHE_MAX 1024
#define COUNT_MAX (1u << 30)
#define OPTS_GROWTH_MAX 256 /* a larger opts.size is garbage, not a newer ABI */

struct ring_cell {
	atomic_size_t seq;
	void *obj;
};

struct pool_cache {
	struct pool_cache *next; /* in the pool's list, under pool_lock */
	/* Written only by the owning thread; read by udrv_pool_available. */
	atomic_uint len;
	void *objs[];
};

struct udrv_pool {
	/* Read-mostly, used by every get/put. */
	uint8_t *base;
	size_t stride;      /* elem_size rounded up to the alignment */
	size_t bytes;       /* count * stride */
	/* stride = odd << shift: the membership test (elem_index) without a division. */
	unsigned shift;
	uint64_t odd_inv;   /* odd^-1 modulo 2^64 */
	uint32_t count;
	uint32_t cache_size; /* 0: no per-thread caches */
	uint32_t burst;      /* elements moved between cache and ring at once */
	unsigned id;
	uint64_t gen;
	struct ring_cell *cells;
	size_t mask;        /* ring capacity - 1 */
	char name[32];
	struct pool_cache *caches; /* under pool_lock */

	alignas(CACHE_LINE) atomic_size_t enq_pos;
	alignas(CACHE_LINE) atomic_size_t deq_pos;
};

/* Registry: pool ids, generations and the caches lists. Never on the data path. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct udrv_pool *pools[UDRV_POOL_MAX];
static uint64_t pool_gen_next = 1; /* 0 marks an empty thread-local slot */
static pthread_key_t pool_key;
static pthread_once_t pool_key_once = PTHREAD_ONCE_INIT;
static bool pool_key_ok;

struct tls_slot {
	struct pool_cache *cache;
	uint64_t gen;
};
static _Thread_local struct tls_slot tls_caches[UDRV_POOL_MAX];
static _Thread_local bool tls_key_set;

static const char *pool_name(const struct udrv_pool *pool)
{
	return pool ? pool->name : "(null)";
}

/* --- the shared ring ------------------------------------------------------ */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

/* A thread preempted between claiming a cell and publishing it holds up the
 * next lap on that cell; this only happens when the ring is near full or near
 * empty. Spin a little, then give the CPU away so that thread can finish. */
static void ring_backoff(unsigned *spins)
{
	if (++*spins < 128)
		cpu_relax();
	else
		sched_yield();
}

/* Enqueue n objects. Claims the longest run of consecutive cells that are
 * free for this lap with one CAS. A cell seen free for position p stays free
 * until a producer claims p, which needs enq_pos to move first, so a
 * successful CAS proves the whole run is ours. Returns how many went in:
 * fewer than n only when the ring is really full (more puts than gets). */
static unsigned ring_enqueue(struct udrv_pool *pool, void *const *objs, unsigned n)
{
	unsigned done = 0, spins = 0;

	while (done < n) {
		size_t pos = atomic_load_explicit(&pool->enq_pos, memory_order_relaxed);
		unsigned k = 0;

		while (done + k < n) {
			struct ring_cell *c = &pool->cells[(pos + k) & pool->mask];
			size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);

			if (seq != pos + k)
				break;
			k++;
		}
		if (k == 0) {
			struct ring_cell *c = &pool->cells[pos & pool->mask];
			intptr_t dif = (intptr_t)(atomic_load_explicit(&c->seq, memory_order_acquire) - pos);
			size_t deq;

			if (dif > 0)
				continue; /* another producer moved on: reload enq_pos */
			deq = atomic_load_explicit(&pool->deq_pos, memory_order_acquire);
			/* Signed: if we were preempted, consumers may have passed
			 * pos since, and pos - deq is then negative, not huge. */
			if ((intptr_t)(pos - deq) > (intptr_t)pool->mask &&
			    atomic_load_explicit(&pool->enq_pos, memory_order_relaxed) == pos)
				return done; /* really full */
			ring_backoff(&spins); /* a consumer is still reading the cell */
			continue;
		}
		if (!atomic_compare_exchange_weak_explicit(&pool->enq_pos, &pos, pos + k,
							   memory_order_relaxed, memory_order_relaxed))
			continue;
		for (unsigned i = 0; i < k; i++) {
			struct ring_cell *c = &pool->cells[(pos + i) & pool->mask];

			c->obj = objs[done + i];
			/* The object must be visible before the cell is marked full. */
			atomic_store_explicit(&c->seq, pos + i + 1, memory_order_release);
		}
		done += k;
	}
	return done;
}

/* Dequeue up to n objects; the mirror image of ring_enqueue. Returns fewer
 * than n only when the ring is really empty. */
static unsigned ring_dequeue(struct udrv_pool *pool, void **objs, unsigned n)
{
	unsigned done = 0, spins = 0;

	while (done < n) {
		size_t pos = atomic_load_explicit(&pool->deq_pos, memory_order_relaxed);
		unsigned k = 0;

		while (done + k < n) {
			struct ring_cell *c = &pool->cells[(pos + k) & pool->mask];
			size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);

			if (seq != pos + k + 1)
				break;
			k++;
		}
		if (k == 0) {
			struct ring_cell *c = &pool->cells[pos & pool->mask];
			intptr_t dif = (intptr_t)(atomic_load_explicit(&c->seq, memory_order_acquire) -
						  (pos + 1));
			size_t enq;

			if (dif > 0)
				continue; /* another consumer moved on */
			enq = atomic_load_explicit(&pool->enq_pos, memory_order_acquire);
			if (enq == pos)
				return done; /* really empty */
			ring_backoff(&spins); /* a producer is still writing the cell */
			continue;
		}
		if (!atomic_compare_exchange_weak_explicit(&pool->deq_pos, &pos, pos + k,
							   memory_order_relaxed, memory_order_relaxed))
			continue;
		for (unsigned i = 0; i < k; i++) {
			struct ring_cell *c = &pool->cells[(pos + i) & pool->mask];

			objs[done + i] = c->obj;
			/* Reading the object must finish before the cell is handed to
			 * the producer of the next lap. */
			atomic_store_explicit(&c->seq, pos + i + pool->mask + 1, memory_order_release);
		}
		done += k;
	}
	return done;
}

static uint32_t ring_count(const struct udrv_pool *pool)
{
	/* deq first: it only grows, so enq - deq never goes negative. */
	size_t deq = atomic_load_explicit(&((struct udrv_pool *)pool)->deq_pos, memory_order_acquire);
	size_t enq = atomic_load_explicit(&((struct udrv_pool *)pool)->enq_pos, memory_order_acquire);
	size_t n = enq - deq;

	return n > pool->count ? pool->count : (uint32_t)n;
}

/* Puts that the ring cannot take: more elements returned than exist. */
static void ring_overflow(struct udrv_pool *pool, unsigned lost)
{
	udrv_log(UDRV_LOG_ERROR, NULL,
		 "pool %s: %u element(s) returned that the pool has no room for: an element was "
		 "put twice; they are dropped", pool_name(pool), lost);
}

static void ring_put(struct udrv_pool *pool, void *const *objs, unsigned n)
{
	unsigned done = ring_enqueue(pool, objs, n);

	if (done < n)
		ring_overflow(pool, n - done);
}

/* --- per-thread caches ---------------------------------------------------- */

static void cache_flush_all(struct udrv_pool *pool, struct pool_cache *c)
{
	unsigned len = atomic_load_explicit(&c->len, memory_order_relaxed);

	ring_put(pool, c->objs, len);
	atomic_store_explicit(&c->len, 0, memory_order_relaxed);
}

/* pthread key destructor: the thread is exiting, hand its caches back. */
static void pool_thread_exit(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool_lock);
	for (unsigned id = 0; id < UDRV_POOL_MAX; id++) {
		struct tls_slot *t = &tls_caches[id];
		struct udrv_pool *pool = pools[id];

		/* A cache of a pool destroyed since was freed with it. */
		if (t->cache && pool && pool->gen == t->gen) {
			struct pool_cache **pp = &pool->caches;

			cache_flush_all(pool, t->cache);
			while (*pp && *pp != t->cache)
				pp = &(*pp)->next;
			if (*pp)
				*pp = t->cache->next;
			free(t->cache);
		}
		t->cache = NULL;
		t->gen = 0;
	}
	/* Another key's destructor may still use a pool: set the key again then. */
	tls_key_set = false;
	pthread_mutex_unlock(&pool_lock);
}

static void pool_key_init(void)
{
	pool_key_ok = pthread_key_create(&pool_key, pool_thread_exit) == 0;
}

/* First use of pool by this thread: make and register its cache. NULL when
 * that fails; the caller then works on the ring directly. */
static struct pool_cache *cache_create(struct udrv_pool *pool)
{
	struct tls_slot *t = &tls_caches[pool->id];
	struct pool_cache *c;
	size_t sz;

	pthread_once(&pool_key_once, pool_key_init);
	if (!pool_key_ok)
		return NULL;
	/* The destructor only runs for a thread whose key value is not NULL. */
	if (!tls_key_set) {
		if (pthread_setspecific(pool_key, tls_caches) != 0)
			return NULL;
		tls_key_set = true;
	}
	/* Its own cache lines: len is written on every get/put by this thread. */
	sz = (sizeof(*c) + pool->cache_size * sizeof(c->objs[0]) + CACHE_LINE - 1) &
	     ~(size_t)(CACHE_LINE - 1);
	c = aligned_alloc(CACHE_LINE, sz);
	if (!c)
		return NULL;
	memset(c, 0, sz);
	pthread_mutex_lock(&pool_lock);
	c->next = pool->caches;
	pool->caches = c;
	pthread_mutex_unlock(&pool_lock);
	t->cache = c;
	t->gen = pool->gen;
	return c;
}

static inline struct pool_cache *cache_get(struct udrv_pool *pool)
{
	struct tls_slot *t = &tls_caches[pool->id];

	if (pool->cache_size == 0)
		return NULL;
	if (__builtin_expect(t->gen == pool->gen, 1))
		return t->cache;
	return cache_create(pool);
}

/* --- elements ------------------------------------------------------------- */

/*
 * Which element obj is, or -1: the safety check of every put, so it must be
 * cheap. With stride = odd * 2^shift and inv = odd^-1 modulo 2^64, the
 * offset is a multiple of the stride iff rotr(off * inv, shift) <=
 * UINT64_MAX / stride, and that value is then the quotient (Hacker's Delight,
 * 2nd ed., 10-17, "test for zero remainder", the test compilers emit for
 * x % C == 0). Since count * stride fits in 64 bits, "below count" covers
 * both "a multiple" and "inside the pool": a subtraction, a multiply, a
 * rotate and one compare, no division. A power-of-two stride is odd = 1.
 */
static inline uint64_t rotr64(uint64_t x, unsigned k)
{
	return (x >> k) | (x << ((64 - k) & 63));
}

static inline uint64_t elem_index_raw(const struct udrv_pool *pool, const void *obj)
{
	return rotr64(((uint64_t)(uintptr_t)obj - (uintptr_t)pool->base) * pool->odd_inv,
		      pool->shift);
}

static inline long elem_index(const struct udrv_pool *pool, const void *obj)
{
	uint64_t q = elem_index_raw(pool, obj);

	return __builtin_expect(q < pool->count, 1) ? (long)q : -1;
}

long udrv_pool_index(const struct udrv_pool *pool, const void *obj)
{
	if (!pool)
		return -1;
	return elem_index(pool, obj);
}

void *udrv_pool_elem(const struct udrv_pool *pool, uint32_t index)
{
	if (!pool || index >= pool->count)
		return NULL;
	return pool->base + (size_t)index * pool->stride;
}

size_t udrv_pool_elem_size(const struct udrv_pool *pool)
{
	return pool ? pool->stride : 0;
}

static void bad_elem(const struct udrv_pool *pool, const void *obj)
{
	udrv_log(UDRV_LOG_ERROR, NULL,
		 "pool %s: put of %p, which is not an element of this pool (elements are "
		 "%p + k * %zu, k < %u); ignored", pool_name(pool), obj, (void *)pool->base,
		 pool->stride, pool->count);
}

static inline bool check_elem(struct udrv_pool *pool, const void *obj)
{
	if (__builtin_expect(pool != NULL && elem_index(pool, obj) >= 0, 1))
		return true;
	if (pool)
		bad_elem(pool, obj);
	return false;
}

/* Whether every one of objs is an element: the bulk put's fast path checks
 * them all with one branch (a bad one is rare and then found one by one). */
static inline bool all_elems(const struct udrv_pool *pool, void *const *objs, unsigned n)
{
	const uint64_t base = (uintptr_t)pool->base, inv = pool->odd_inv;
	const unsigned shift = pool->shift;
	uint64_t max0 = 0, max1 = 0;
	unsigned i;

	/* The largest index must be below count; two chains run in parallel. */
	for (i = 0; i + 1 < n; i += 2) {
		uint64_t q0 = rotr64(((uint64_t)(uintptr_t)objs[i] - base) * inv, shift);
		uint64_t q1 = rotr64(((uint64_t)(uintptr_t)objs[i + 1] - base) * inv, shift);

		max0 = q0 > max0 ? q0 : max0;
		max1 = q1 > max1 ? q1 : max1;
	}
	if (i < n) {
		uint64_t q0 = rotr64(((uint64_t)(uintptr_t)objs[i] - base) * inv, shift);

		max0 = q0 > max0 ? q0 : max0;
	}
	return (max0 > max1 ? max0 : max1) < pool->count;
}

/* --- get / put ------------------------------------------------------------ */

void *udrv_pool_get(struct udrv_pool *pool)
{
	struct pool_cache *c;
	void *obj = NULL;
	unsigned len;

	if (!pool)
		return NULL;
	c = cache_get(pool);
	if (!c) {
		ring_dequeue(pool, &obj, 1);
		return obj;
	}
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	if (len == 0) {
		len = ring_dequeue(pool, c->objs, pool->burst);
		if (len == 0)
			return NULL;
	}
	len--;
	obj = c->objs[len];
	atomic_store_explicit(&c->len, len, memory_order_relaxed);
	return obj;
}

/* Room for at least need more in a full cache: the oldest (coldest)
 * elements go to the ring and the most recently freed stay. */
static unsigned cache_make_room(struct udrv_pool *pool, struct pool_cache *c, unsigned len,
				unsigned need)
{
	unsigned out = pool->burst;

	if (len + need <= pool->cache_size)
		return len;
	if (out < len + need - pool->cache_size)
		out = len + need - pool->cache_size;
	if (out > len)
		out = len;
	ring_put(pool, c->objs, out);
	memmove(c->objs, c->objs + out, (len - out) * sizeof(c->objs[0]));
	return len - out;
}

void udrv_pool_put(struct udrv_pool *pool, void *obj)
{
	struct pool_cache *c;
	unsigned len;

	if (!check_elem(pool, obj))
		return;
	c = cache_get(pool);
	if (!c) {
		ring_put(pool, &obj, 1);
		return;
	}
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	len = cache_make_room(pool, c, len, 1);
	c->objs[len++] = obj;
	atomic_store_explicit(&c->len, len, memory_order_relaxed);
}

unsigned udrv_pool_get_bulk(struct udrv_pool *pool, void **objs, unsigned n)
{
	struct pool_cache *c;
	unsigned len, got;

	if (n == 0 || !pool)
		return 0;
	if (!objs) {
		udrv_log(UDRV_LOG_ERROR, NULL, "pool %s: udrv_pool_get_bulk with objs NULL",
			 pool_name(pool));
		return 0;
	}
	c = cache_get(pool);
	if (c && n <= pool->cache_size) {
		len = atomic_load_explicit(&c->len, memory_order_relaxed);
		if (len < n) {
			/* Refill enough for this request and a burst beyond it. */
			unsigned want = n - len + pool->burst;

			if (want > pool->cache_size - len)
				want = pool->cache_size - len;
			len += ring_dequeue(pool, c->objs + len, want);
			atomic_store_explicit(&c->len, len, memory_order_relaxed);
			if (len < n)
				return 0; /* all or nothing: they wait in the cache */
		}
		len -= n;
		memcpy(objs, c->objs + len, n * sizeof(objs[0]));
		atomic_store_explicit(&c->len, len, memory_order_relaxed);
		return n;
	}

	/* Larger than the cache, or no cache: the cache first, then the ring. */
	got = 0;
	if (c) {
		len = atomic_load_explicit(&c->len, memory_order_relaxed);
		got = len < n ? len : n;
		memcpy(objs, c->objs + len - got, got * sizeof(objs[0]));
		atomic_store_explicit(&c->len, len - got, memory_order_relaxed);
	}
	got += ring_dequeue(pool, objs + got, n - got);
	if (got == n)
		return n;
	/* Not enough: give back everything taken. */
	if (c) {
		unsigned back = got < pool->cache_size ? got : pool->cache_size;

		memcpy(c->objs, objs + got - back, back * sizeof(objs[0]));
		atomic_store_explicit(&c->len, back, memory_order_relaxed);
		got -= back;
	}
	ring_put(pool, objs, got);
	return 0;
}

void udrv_pool_put_bulk(struct udrv_pool *pool, void *const *objs, unsigned n)
{
	struct pool_cache *c;
	unsigned len, i;

	if (n == 0 || !pool)
		return;
	if (!objs) {
		udrv_log(UDRV_LOG_ERROR, NULL, "pool %s: udrv_pool_put_bulk with objs NULL",
			 pool_name(pool));
		return;
	}
	c = cache_get(pool);
	if (!c || n > pool->cache_size) {
		/* Straight to the ring, in runs of valid elements. */
		unsigned run = 0;

		for (i = 0; i < n; i++) {
			if (check_elem(pool, objs[i])) {
				run++;
				continue;
			}
			ring_put(pool, objs + i - run, run);
			run = 0;
		}
		ring_put(pool, objs + n - run, run);
		return;
	}
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	len = cache_make_room(pool, c, len, n);
	if (__builtin_expect(all_elems(pool, objs, n), 1)) {
		memcpy(c->objs + len, objs, n * sizeof(objs[0]));
		len += n;
	} else {
		for (i = 0; i < n; i++)
			if (check_elem(pool, objs[i]))
				c->objs[len++] = objs[i];
	}
	atomic_store_explicit(&c->len, len, memory_order_relaxed);
}

/*
 * Internal, for drivers (declared in drivers/net/port.h, not exported): put
 * all n elements if every one belongs to pool, else put none and return 0,
 * silently. A driver returning buffers it has tracked itself uses this to
 * learn "all from this pool" from the membership check put does anyway,
 * instead of comparing each buffer's pool first.
 */
unsigned udrvi_pool_put_bulk_all(struct udrv_pool *pool, void *const *objs, unsigned n)
{
	struct pool_cache *c;
	unsigned len;

	if (n == 0 || !pool || !objs || !all_elems(pool, objs, n))
		return 0;
	c = cache_get(pool);
	if (!c || n > pool->cache_size) {
		ring_put(pool, objs, n);
		return n;
	}
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	len = cache_make_room(pool, c, len, n);
	memcpy(c->objs + len, objs, n * sizeof(objs[0]));
	atomic_store_explicit(&c->len, len + n, memory_order_relaxed);
	return n;
}

uint32_t udrv_pool_available(const struct udrv_pool *pool)
{
	uint64_t n;

	if (!pool)
		return 0;
	pthread_mutex_lock(&pool_lock);
	n = ring_count(pool);
	for (const struct pool_cache *c = pool->caches; c; c = c->next)
		n += atomic_load_explicit(&((struct pool_cache *)c)->len, memory_order_relaxed);
	pthread_mutex_unlock(&pool_lock);
	return n > pool->count ? pool->count : (uint32_t)n;
}

/* --- create / destroy ----------------------------------------------------- */

/* d^-1 modulo 2^64 for odd d, by Newton's iteration x <- x (2 - d x): d is
 * its own inverse modulo 2^3, and each step doubles the correct low bits
 * (3, 6, 12, 24, 48, 96). */
static uint64_t odd_inverse(uint64_t d)
{
	uint64_t x = d;

	for (int i = 0; i < 5; i++)
		x *= 2 - d * x;
	return x;
}

static int bad_opt(const char *name, const char *fmt, size_t v)
{
	char what[160];

	snprintf(what, sizeof(what), fmt, v);
	udrv_log(UDRV_LOG_ERROR, NULL, "udrv_pool_create(%s): %s", name ? name : "unnamed", what);
	return -EINVAL;
}

static int check_opts(const struct udrv_pool_opts *in, struct udrv_pool_opts *o)
{
	const char *name;

	if (!in) {
		udrv_log(UDRV_LOG_ERROR, NULL, "udrv_pool_create: opts is NULL");
		return -EINVAL;
	}
	name = in->size >= offsetof(struct udrv_pool_opts, name) + sizeof(in->name) ? in->name : NULL;
	if (in->size < sizeof(*o))
		return bad_opt(name, "opts.size is %zu: set it to sizeof(struct udrv_pool_opts)",
			       in->size);
	if (in->size > sizeof(*o) + OPTS_GROWTH_MAX)
		return bad_opt(name, "opts.size is %zu, far beyond any version of struct "
			       "udrv_pool_opts: set it to sizeof(struct udrv_pool_opts)", in->size);
	/* A newer caller's fields we do not know must be left zero. */
	for (size_t i = sizeof(*o); i < in->size; i++)
		if (((const uint8_t *)in)[i] != 0)
			return bad_opt(name, "opts.size is %zu and sets options this library does "
				       "not know; upgrade libudrv", in->size);
	memcpy(o, in, sizeof(*o));

	if (o->elem_size == 0)
		return bad_opt(name, "elem_size is %zu: it must be at least 1", o->elem_size);
	if (o->count == 0 || o->count > COUNT_MAX)
		return bad_opt(name, "count is %zu: it must be between 1 and 1073741824",
			       o->count);
	if (o->align == 0)
		o->align = DEFAULT_ALIGN;
	if (o->align & (o->align - 1))
		return bad_opt(name, "align is %zu: it must be a power of two (or 0 for 64)",
			       o->align);
	if (o->cache_size > CACHE_MAX)
		return bad_opt(name, "cache_size is %zu: at most 1024 (0 picks min(256, count/8))",
			       o->cache_size);
	if (o->cache_size > o->count)
		return bad_opt(name, "cache_size is %zu: it must not exceed count, or one thread's "
			       "cache could hold the whole pool", o->cache_size);
	if (o->cache_size == 0)
		o->cache_size = o->count / 8 < DEFAULT_CACHE_MAX ? o->count / 8 : DEFAULT_CACHE_MAX;
	if (o->elem_size > SIZE_MAX - o->align ||
	    (o->elem_size + o->align - 1) / o->align * o->align > SIZE_MAX / o->count)
		return bad_opt(name, "elem_size %zu times count does not fit in memory",
			       o->elem_size);
	return 0;
}

int udrv_pool_create(const struct udrv_pool_opts *opts, struct udrv_pool **out)
{
	struct udrv_pool_opts o;
	struct udrv_pool *pool;
	size_t cap;
	void *va;
	int ret;

	if (!out) {
		udrv_log(UDRV_LOG_ERROR, NULL, "udrv_pool_create: out is NULL");
		return -EINVAL;
	}
	*out = NULL;
	ret = check_opts(opts, &o);
	if (ret)
		return ret;

	pool = aligned_alloc(CACHE_LINE, (sizeof(*pool) + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1));
	if (!pool)
		return -ENOMEM;
	memset(pool, 0, sizeof(*pool));
	snprintf(pool->name, sizeof(pool->name), "%s", o.name ? o.name : "unnamed");
	pool->count = o.count;
	pool->stride = (o.elem_size + o.align - 1) & ~(o.align - 1);
	pool->shift = (unsigned)__builtin_ctzll(pool->stride);
	pool->odd_inv = odd_inverse(pool->stride >> pool->shift);
	pool->bytes = pool->stride * o.count;
	pool->cache_size = o.cache_size;
	pool->burst = o.cache_size / 2 ? o.cache_size / 2 : 1;

	for (cap = 1; cap < o.count; cap <<= 1)
		;
	pool->mask = cap - 1;
	pool->cells = aligned_alloc(CACHE_LINE, cap * sizeof(pool->cells[0]) < CACHE_LINE ?
						CACHE_LINE : cap * sizeof(pool->cells[0]));
	if (!pool->cells) {
		ret = -ENOMEM;
		goto free_pool;
	}
	for (size_t i = 0; i < cap; i++)
		atomic_init(&pool->cells[i].seq, i);
	atomic_init(&pool->enq_pos, 0);
	atomic_init(&pool->deq_pos, 0);

	ret = udrv_dma_alloc(pool->bytes, o.align, &va, NULL);
	if (ret) {
		udrv_log(UDRV_LOG_ERROR, NULL, "udrv_pool_create(%s): cannot allocate %u x %zu bytes "
			 "of DMA memory (%s)", pool->name, o.count, pool->stride, strerror(-ret));
		goto free_cells;
	}
	pool->base = va;
	/* Element 0 first out: fill the ring in index order. */
	for (uint32_t i = 0; i < o.count; i++) {
		void *e = pool->base + (size_t)i * pool->stride;

		ring_enqueue(pool, &e, 1);
	}

	pthread_mutex_lock(&pool_lock);
	for (pool->id = 0; pool->id < UDRV_POOL_MAX && pools[pool->id]; pool->id++)
		;
	if (pool->id == UDRV_POOL_MAX) {
		pthread_mutex_unlock(&pool_lock);
		udrv_log(UDRV_LOG_ERROR, NULL, "udrv_pool_create(%s): %d pools exist already, the "
			 "most a process may have; destroy one first", pool->name, UDRV_POOL_MAX);
		ret = -ENOSPC;
		goto free_dma;
	}
	pool->gen = pool_gen_next++;
	pools[pool->id] = pool;
	pthread_mutex_unlock(&pool_lock);
	*out = pool;
	return 0;

free_dma:
	udrv_dma_free(pool->base);
free_cells:
	free(pool->cells);
free_pool:
	free(pool);
	return ret;
}

void udrv_pool_destroy(struct udrv_pool *pool)
{
	struct pool_cache *c, *next;
	uint32_t avail;

	if (!pool)
		return;
	avail = udrv_pool_available(pool);
	if (avail != pool->count)
		udrv_log(UDRV_LOG_ERROR, NULL, "pool %s: destroyed with %u of %u elements still in "
			 "use; their memory is freed now", pool->name, pool->count - avail,
			 pool->count);
	pthread_mutex_lock(&pool_lock);
	if (pools[pool->id] == pool)
		pools[pool->id] = NULL;
	for (c = pool->caches; c; c = next) {
		next = c->next;
		free(c);
	}
	pool->caches = NULL;
	pthread_mutex_unlock(&pool_lock);
	/* This thread's slot would otherwise wait for the generation check. */
	if (tls_caches[pool->id].gen == pool->gen) {
		tls_caches[pool->id].cache = NULL;
		tls_caches[pool->id].gen = 0;
	}
	udrv_dma_free(pool->base);
	free(pool->cells);
	free(pool);
}

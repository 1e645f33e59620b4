/* SPDX-License-Identifier: MIT */
/*
 * udrv buffer pools: fixed-size DMA buffers with per-thread caches.
 *
 * A pool carves count elements of elem_size bytes (rounded up to align) out
 * of DMA memory. Each thread that uses a pool gets a private cache of up to
 * cache_size elements; get/put touch only that cache, and move elements to or
 * from the pool's shared lock-free ring in bulk when the cache runs empty or
 * full. A buffer may be freed on another thread than the one that took it.
 *
 * Thread safety: get/put/bulk calls are thread safe and lock free.
 * udrv_pool_create/udrv_pool_destroy must not race with use of the pool;
 * destroy requires every element to have been returned.
 */
#ifndef UDRV_POOL_H
#define UDRV_POOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_pool;

struct udrv_pool_opts {
	size_t size;         /* sizeof(struct udrv_pool_opts) */
	const char *name;    /* for log messages */
	size_t elem_size;    /* bytes per element, > 0 */
	uint32_t count;      /* elements, > 0 */
	size_t align;        /* element alignment, power of two; 0 means 64 */
	uint32_t cache_size; /* per-thread cache; 0 means min(256, count/8); at most 1024 */
};

#define UDRV_POOL_MAX 64 /* pools alive at once in a process */

/* udrv_pool_create - a pool of opts->count DMA buffers.
 * @opts: sizes and names (required)
 * @out:  receives the pool
 * Returns 0; -EINVAL (a bad option); -ENOSPC (UDRV_POOL_MAX pools alive);
 * -ENOMEM (DMA memory, see udrv_dma_alloc).
 * Context: any thread, not racing with udrv_pool_destroy. Ownership: the
 * caller's until udrv_pool_destroy(). */
int udrv_pool_create(const struct udrv_pool_opts *opts, struct udrv_pool **out);
/* udrv_pool_destroy - free the pool and its memory, also elements still out
 * (logged as an error). NULL is ignored.
 * Context: any thread, after every user of the pool has stopped. */
void udrv_pool_destroy(struct udrv_pool *pool);

/* udrv_pool_get - one element (contents undefined), or NULL when none is
 * left in this thread's cache and the shared ring. Other threads' caches may
 * still hold up to cache_size elements each, so NULL can come while
 * udrv_pool_available() > 0: size pools for count >= needed + threads *
 * cache_size. Context: any thread, lock free. Ownership: the caller's until
 * it is put back (on any thread). */
void *udrv_pool_get(struct udrv_pool *pool);
/* udrv_pool_put - return @obj, an element taken from this @pool.
 * Context: any thread, lock free. */
void udrv_pool_put(struct udrv_pool *pool, void *obj);

/* udrv_pool_get_bulk - take exactly @n elements into @objs, or none.
 * Returns @n or 0. Context: any thread, lock free. */
unsigned udrv_pool_get_bulk(struct udrv_pool *pool, void **objs, unsigned n);
/* udrv_pool_put_bulk - return @n elements of this @pool.
 * Context: any thread, lock free. */
void udrv_pool_put_bulk(struct udrv_pool *pool, void *const *objs, unsigned n);

/* udrv_pool_available - elements not handed out (shared ring plus every
 * thread's cache); a snapshot while other threads run. Context: any thread. */
uint32_t udrv_pool_available(const struct udrv_pool *pool);
/* udrv_pool_elem_size - bytes per element (elem_size rounded up to align).
 * Context: any thread. */
size_t udrv_pool_elem_size(const struct udrv_pool *pool);
/* udrv_pool_index - index of an element (0..count-1), or -1 if @obj is not
 * an element of @pool. Context: any thread. */
long udrv_pool_index(const struct udrv_pool *pool, const void *obj);
/* udrv_pool_elem - element number @index (< count), without taking it.
 * Context: any thread. */
void *udrv_pool_elem(const struct udrv_pool *pool, uint32_t index);

#ifdef __cplusplus
}
#endif
#endif

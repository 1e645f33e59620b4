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

/* Returns 0, -EINVAL (bad option, logged), -ENOSPC (too many pools) or -ENOMEM. */
int udrv_pool_create(const struct udrv_pool_opts *opts, struct udrv_pool **out);
void udrv_pool_destroy(struct udrv_pool *pool);

/* One element, or NULL when none is left in this thread's cache and the
 * shared ring. Other threads' caches may still hold up to cache_size
 * elements each, so NULL can come while udrv_pool_available() > 0: size
 * pools for count >= needed + threads * cache_size. */
void *udrv_pool_get(struct udrv_pool *pool);
void udrv_pool_put(struct udrv_pool *pool, void *obj);

/* Take exactly n elements into objs, or none: returns n or 0. */
unsigned udrv_pool_get_bulk(struct udrv_pool *pool, void **objs, unsigned n);
void udrv_pool_put_bulk(struct udrv_pool *pool, void *const *objs, unsigned n);

/* Elements not handed out (shared ring plus every thread's cache). */
uint32_t udrv_pool_available(const struct udrv_pool *pool);
size_t udrv_pool_elem_size(const struct udrv_pool *pool);
/* Index of an element (0..count-1), or -1 if obj is not an element of pool. */
long udrv_pool_index(const struct udrv_pool *pool, const void *obj);
void *udrv_pool_elem(const struct udrv_pool *pool, uint32_t index);

#ifdef __cplusplus
}
#endif
#endif

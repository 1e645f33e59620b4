/* SPDX-License-Identifier: MIT */
/* Buffer-pool calls for drivers inside libudrv, not exported. */
#ifndef UDRVI_POOL_INTERNAL_H
#define UDRVI_POOL_INTERNAL_H

#include <udrv/pool.h>

/* Put all n if every one is an element of pool, else none (returns 0,
 * nothing logged). For a driver's reclaim fast path, where a burst usually
 * comes from one pool and a mixed burst falls back to udrv_pool_put_bulk. */
unsigned udrvi_pool_put_bulk_all(struct udrv_pool *pool, void *const *objs, unsigned n);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * udrv runtime: process-wide state (the VFIO container, DMA memory, the event
 * thread). Calling udrv_init() is optional: the first device open or DMA
 * allocation initialises the runtime with defaults and the environment:
 *
 *   UDRV_LOG       error|warn|info|debug         (default warn)
 *   UDRV_MEM       huge|anon                     (anon: ordinary 4 KiB pages, for
 *                                                 tests and the device model; VFIO
 *                                                 maps them too, at the cost of
 *                                                 IOTLB misses: use hugepages there)
 *   UDRV_HUGEPAGE  2M|1G                         (default: 2M, or 1G if only 1G is reserved)
 *   UDRV_CHUNK_MB  size of a DMA chunk in MiB    (default: the first chunk is one
 *                                                 hugepage, each next one twice the
 *                                                 last, up to 64 MiB; rounded to the
 *                                                 page size)
 *   UDRV_REMOVE_GRACE_MS  how long a device the kernel asks for back (hot-unplug)
 *                  stays with the application before the runtime releases it
 *                  (1..60000, default 500; see <udrv/dev.h>, "Hot-remove")
 *
 * Thread safety: udrv_init/udrv_fini must not race with any other udrv call.
 */
#ifndef UDRV_RUNTIME_H
#define UDRV_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum udrv_mem_mode {
	UDRV_MEM_DEFAULT = 0, /* UDRV_MEM from the environment, else hugepages */
	UDRV_MEM_HUGE = 1,    /* hugetlbfs pages (required for real devices) */
	UDRV_MEM_ANON = 2,    /* anonymous 4 KiB pages: tests and models; works with VFIO
	                       * (type1 pins them) but costs IOTLB misses */
};

struct udrv_opts {
	size_t size;            /* sizeof(struct udrv_opts): lets the struct grow */
	enum udrv_mem_mode mem;
	size_t page_size;       /* 0: default; else 2 MiB or 1 GiB */
	size_t chunk_size;      /* 0: default (one page, doubling up to 64 MiB) */
	size_t va_window;       /* 0: default (64 GiB) virtual window for DMA memory */
	uint32_t remove_grace_ms; /* 0: default (UDRV_REMOVE_GRACE_MS, else 500); at most
				   * 60000. The kernel waits for the device meanwhile. */
};

/* udrv_init - set the runtime up with @opts (NULL: defaults and the
 * environment above). Optional: the first device open or DMA allocation does
 * it with defaults.
 * Returns 0; -EALREADY (already initialised: udrv_fini() first); -EINVAL (a
 * bad option or environment value, logged).
 * Context: must not race with any other udrv call. */
int udrv_init(const struct udrv_opts *opts);

/* udrv_fini - revoke drivers still open (their requests complete as
 * aborted, their handles then return -ENODEV and close safely), close every
 * device, unmap and free all DMA memory (every pointer from udrv_dma_alloc and
 * every pool becomes invalid). The runtime can be initialised again afterwards.
 * Context: must not race with any other udrv call. */
void udrv_fini(void);

#ifdef __cplusplus
}
#endif
#endif

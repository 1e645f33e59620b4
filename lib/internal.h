/* SPDX-License-Identifier: MIT */
/* Runtime internals shared by the files in lib/: the device object, backends, the lock. */
#ifndef UDRVI_INTERNAL_H
#define UDRVI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <udrv/dev.h>
#include <udrv/log.h>
#include <udrv/runtime.h>

#define UDRVI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UDRVI_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define UDRVI_IS_POW2(x) ((x) != 0 && ((x) & ((x) - 1)) == 0)
#define UDRVI_MIB (1024ul * 1024)
#define UDRVI_GIB (1024ul * 1024 * 1024)
#define UDRVI_DEFAULT_GRACE_MS 500u /* hot-remove: the kernel's request to release */
#define UDRVI_MAX_GRACE_MS 60000u

#define udrvi_err(prefix, ...) udrv_log(UDRV_LOG_ERROR, prefix, __VA_ARGS__)
#define udrvi_warn(prefix, ...) udrv_log(UDRV_LOG_WARN, prefix, __VA_ARGS__)
#define udrvi_info(prefix, ...) udrv_log(UDRV_LOG_INFO, prefix, __VA_ARGS__)
#define udrvi_dbg(prefix, ...) \
	do { \
		if (udrv_log_get_level() >= UDRV_LOG_DEBUG) \
			udrv_log(UDRV_LOG_DEBUG, prefix, __VA_ARGS__); \
	} while (0)

/* Start-up and tear-down timing: UDRV_LOG=debug logs "timing: PHASE N.NNN ms"
 * for each slow phase (bench/nvme/startup.sh collects them). */
static inline uint64_t udrvi_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#define udrvi_timing(prefix, what, t0) \
	udrvi_dbg(prefix, "timing: %s %.3f ms", what, (double)(udrvi_now_ns() - (t0)) / 1e6)

/* One backend's implementation of the device handle. */
struct udrvi_dev_ops {
	int (*cfg_rw)(struct udrv_dev *dev, uint32_t off, void *buf, size_t len, bool write);
	int (*bar_rw)(struct udrv_dev *dev, unsigned bar, uint64_t off, void *buf, size_t len,
		      bool write);
	int (*reset)(struct udrv_dev *dev);
	int (*region_info)(struct udrv_dev *dev, unsigned index, struct udrv_region *info);
	int (*map_bar)(struct udrv_dev *dev, unsigned bar, void **addr, size_t *len);
	/* Give the device back to the kernel, keeping the handle (see
	 * docs/design.md, "Hot-remove"); NULL when the backend cannot. */
	int (*release)(struct udrv_dev *dev);
	void (*close)(struct udrv_dev *dev);
};

struct udrv_dev {
	const struct udrvi_dev_ops *ops;
	char name[64];
	bool is_model;
	uint32_t events; /* UDRV_DEV_EV_* bits, atomic */
	bool released;   /* given back to the kernel: every call returns -ENODEV */
	int event_fd;    /* eventfd for udrv_dev_event_fd(), -1 until asked for */
	udrv_dev_event_cb event_cb;
	void *event_arg;
	void *priv;
	const char *owner;       /* udrv_dev_claim: the driver object driving it */
	void (*revoke)(void *arg);
	void *revoke_arg;
	struct udrv_dev *next; /* runtime's list of open devices */
};

/* The runtime lock (recursive) guards every control-plane structure. */
void udrvi_lock(void);
void udrvi_unlock(void);
/* Take the lock, unless *stop becomes non-zero while waiting (false then):
 * for the event thread, which udrv_fini joins while holding the lock. */
bool udrvi_lock_unless(const int *stop);
/* Initialise with defaults if nobody called udrv_init. 0 or -errno. */
int udrvi_ensure_init(void);
const struct udrv_opts *udrvi_opts(void);
/* true when chunk_size is the default: chunks then grow from one page. */
bool udrvi_chunk_grows(void);
void udrvi_dev_register(struct udrv_dev *dev);
void udrvi_dev_unregister(struct udrv_dev *dev);
/* Under the runtime lock, for udrv_fini: run the owner's revoke, drop the claim. */
void udrvi_dev_revoke(struct udrv_dev *dev);
bool udrvi_dev_bdf_open(const char *name);
/* Under the runtime lock: publish kernel events (bits), wake the event fd and
 * run the application's callback. */
void udrvi_dev_notify(struct udrv_dev *dev, uint32_t bits);
/* Under the runtime lock: the backend's release, then UDRV_DEV_EV_RELEASED. */
int udrvi_dev_release(struct udrv_dev *dev);

/* DMA memory (mem.c) hooks for the VFIO container. */
struct udrvi_iova_range;
/* The container came up: restrict IOVAs to its ranges and map every chunk. */
int udrvi_mem_container_attach(const struct udrvi_iova_range *ranges, unsigned n,
			       uint32_t dma_avail);
/* The container goes away: unmap every chunk from it. */
void udrvi_mem_container_detach(void);
/* Virtual address of [iova, iova+len) if it lies in one chunk, else NULL. */
void *udrvi_mem_iova_to_va(uint64_t iova, size_t len);
void udrvi_mem_fini(void);

/* Hugepages (hugepage.c). */
size_t udrvi_hugepage_default_size(void);
/* Free pages of that size, or -errno. */
long udrvi_hugepage_free(size_t page_size);
/* How to reserve more pages of this size, for messages: "`udrv-setup
 * hugepages N --size 1G` (or echo N > /sys/.../nr_hugepages)" with N the
 * pages reserved now plus more. */
const char *udrvi_hugepage_reserve_hint(size_t page_size, size_t more, char *buf, size_t len);
/* Map len bytes of hugepages at addr (MAP_FIXED inside the DMA window). */
int udrvi_hugepage_map(void *addr, size_t len, size_t page_size);
const char *udrvi_size_str(size_t bytes, char *buf, size_t len);
/* "" or, when UDRV_CHUNK_MB is set, "; DMA chunks are UDRV_CHUNK_MB=N MiB:
 * ..." for messages about a failure a smaller chunk could avoid. */
const char *udrvi_chunk_note(void);

/* VFIO container (vfio.c). */
struct udrvi_vfio_group;
int udrvi_vfio_group_get(int group, const char *devname, struct udrvi_vfio_group **out);
void udrvi_vfio_group_put(struct udrvi_vfio_group *g);
/* Close a device fd and drop its group reference, in the order the kernel
 * needs (docs/design.md): DMA unmapped first when this was the container's
 * last device, then the device fd, then the group, then the container. */
void udrvi_vfio_device_close(struct udrvi_vfio_group *g, int devfd);
int udrvi_vfio_group_fd(const struct udrvi_vfio_group *g);
bool udrvi_vfio_container_active(void);
int udrvi_vfio_dma_map(void *va, uint64_t iova, size_t len);
int udrvi_vfio_dma_unmap(uint64_t iova, size_t len);

/* Event thread (events.c): watch fd; when readable set bits in dev->events.
 * A watch with UDRV_DEV_EV_REMOVE also starts the device's grace period,
 * after which the event thread releases it. */
int udrvi_events_watch(int fd, struct udrv_dev *dev, uint32_t bits, const char *what);
void udrvi_events_unwatch(int fd);
void udrvi_events_fini(void);

#endif

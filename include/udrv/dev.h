/* SPDX-License-Identifier: MIT */
/*
 * udrv device handle: a PCI function reached through VFIO, or an in-process
 * device model, behind one interface.
 *
 * Thread safety: open/close, release and the configuration calls take the
 * runtime lock and may be called from any thread. udrv_dev_events() is a lock-free atomic
 * read meant for the data path. A BAR mapping is plain memory: access it with
 * the accessors in <udrv/mmio.h>.
 */
#ifndef UDRV_DEV_H
#define UDRV_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_dev;

/* A PCI address: domain:bus:device.function. */
struct udrv_bdf {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
};
#define UDRV_BDF_STRLEN 13 /* "dddd:bb:dd.f" + NUL */

/* Parse "0000:01:00.0" or "01:00.0" (domain 0). Hex digits, either case.
 * Returns 0 or -EINVAL (logged: what is wrong and the expected form). */
int udrv_bdf_parse(const char *s, struct udrv_bdf *out);
/* Format as "dddd:bb:dd.f" into buf (UDRV_BDF_STRLEN bytes). Returns buf. */
char *udrv_bdf_format(const struct udrv_bdf *bdf, char *buf);

/* Open a PCI device bound to vfio-pci. Errors (all logged with the fix):
 * -EINVAL malformed BDF; -ENODEV no such device or /dev/vfio/vfio missing;
 * -EBUSY group not viable, or the group is open in another process;
 * -EACCES permission denied on /dev/vfio/N; -ENXIO not bound to vfio-pci. */
int udrv_dev_open(const char *bdf, struct udrv_dev **out);

/* Close a device: its BAR mappings, its fds, and its group and the container
 * when it was their last user. Other open devices are not disturbed. Also
 * frees a released device's handle. Returns 0, or -EBUSY (logged, handle
 * still open) while a driver owns the device (udrv_dev_claim): close the
 * driver's object first (udrv_nvme_ctrl_close, udrv_net_close). NULL: 0. */
int udrv_dev_close(struct udrv_dev *dev);

/* The device's name: its BDF, or the model's name. Used as the log prefix. */
const char *udrv_dev_name(const struct udrv_dev *dev);

/* true for the in-process device model backend. */
bool udrv_dev_is_model(const struct udrv_dev *dev);

/* PCI configuration space. */
int udrv_dev_cfg_read(struct udrv_dev *dev, uint32_t off, void *buf, size_t len);
int udrv_dev_cfg_write(struct udrv_dev *dev, uint32_t off, const void *buf, size_t len);
int udrv_dev_ids(struct udrv_dev *dev, uint16_t *vendor, uint16_t *device);
int udrv_dev_set_bus_master(struct udrv_dev *dev, bool enable);

/* Function-level reset (VFIO_DEVICE_RESET); -ENOTTY if the device has none. */
int udrv_dev_reset(struct udrv_dev *dev);

struct udrv_region {
	uint64_t size;
	bool readable, writable, mmappable;
	unsigned sparse_areas; /* 0: the whole region mmaps if mmappable */
};
/* Region index: 0..5 are BARs, 7 is config space (VFIO_PCI_CONFIG_REGION_INDEX). */
int udrv_dev_region_info(struct udrv_dev *dev, unsigned index, struct udrv_region *info);

/* Map BAR bar (0..5) into the process. Honours sparse-mmap areas: the parts
 * the kernel does not allow to be mapped are left inaccessible. The mapping
 * lives until the device is closed; mapping twice returns the same address. */
int udrv_dev_map_bar(struct udrv_dev *dev, unsigned bar, void **addr, size_t *len);

/* Read or write a BAR through the device fd (for areas that do not mmap). */
int udrv_dev_bar_read(struct udrv_dev *dev, unsigned bar, uint64_t off, void *buf, size_t len);
int udrv_dev_bar_write(struct udrv_dev *dev, unsigned bar, uint64_t off, const void *buf, size_t len);

/* Slow events, noticed by the runtime's event thread and published as bits. */
enum udrv_dev_event {
	UDRV_DEV_EV_REMOVE = 1u << 0, /* the kernel asks us to release the device (hot-unplug) */
	UDRV_DEV_EV_ERROR = 1u << 1,  /* PCI error (AER) reported */
	UDRV_DEV_EV_FAILED = 1u << 2, /* a driver declared the device failed */
	UDRV_DEV_EV_RELEASED = 1u << 3, /* given back to the kernel: the handle only says -ENODEV */
};
/* Pointer to the device's event bits; read it with an atomic load on the data
 * path (no system call). Valid until udrv_dev_close. */
const volatile uint32_t *udrv_dev_events(const struct udrv_dev *dev);
/* Set event bits (a driver marks a device failed; models raise events). */
void udrv_dev_raise_event(struct udrv_dev *dev, uint32_t events);
/* Clear event bits, e.g. UDRV_DEV_EV_FAILED once a driver re-initialised the
 * device successfully. */
void udrv_dev_clear_event(struct udrv_dev *dev, uint32_t events);

/*
 * Hot-remove. When the kernel asks for the device back (VFIO request IRQ:
 * hot-unplug, unbind), the runtime sets UDRV_DEV_EV_REMOVE and, unless the
 * application closes the device first, releases it itself once the grace
 * period has passed (udrv_opts.remove_grace_ms, UDRV_REMOVE_GRACE_MS; default
 * 500 ms): the BAR mappings become inert memory at the same addresses (loads
 * read all ones, stores are dropped, never SIGBUS), the device fd is closed,
 * then its group and the container when nothing else uses them. The handle
 * and the BAR addresses stay valid until udrv_dev_close; every call on the
 * handle returns -ENODEV, and UDRV_DEV_EV_RELEASED is set. Drivers complete
 * their outstanding requests as aborted at their owner's next poll.
 */

/* Called on the runtime's event thread, with the runtime lock held, for
 * events the kernel sends (REMOVE, ERROR) and for RELEASED; events holds the
 * bits just raised. Keep it short (set a flag, wake a thread); it may call
 * udrv_dev_release but must not close the device or call udrv_fini, and must
 * not wait for a lock a thread holds while calling udrv. */
typedef void (*udrv_dev_event_cb)(struct udrv_dev *dev, uint32_t events, void *arg);
/* Set (or with cb NULL, clear) the device's event callback. 0 or -EINVAL. */
int udrv_dev_set_event_cb(struct udrv_dev *dev, udrv_dev_event_cb cb, void *arg);
/* An eventfd (non-blocking) that becomes readable when the kernel sends an
 * event or the runtime releases the device: for poll/epoll loops. Read it to
 * re-arm, then look at udrv_dev_events(). Owned by the handle (closed by
 * udrv_dev_close); -errno if it cannot be created. */
int udrv_dev_event_fd(struct udrv_dev *dev);
/* Release the device now, as the runtime does when the grace period ends:
 * for an application that is done with it but still has handles around.
 * 0 (also if already released), -EOPNOTSUPP for a device model. */
int udrv_dev_release(struct udrv_dev *dev);

/* Ownership: one driver drives a device at a time. A driver claims the
 * device when its object (controller, port) is opened on it and unclaims it
 * when that object is closed. While claimed, udrv_dev_close refuses
 * (-EBUSY) and udrv_fini revokes the claim before closing the device: it
 * calls revoke(arg) (if not NULL) with the runtime lock held, which must make
 * the driver's handles fail cleanly (-ENODEV) and complete its requests in
 * flight as aborted, and must leave them never touching the device, its
 * handle or DMA memory again; the application's handles stay valid until it
 * closes them. owner says what holds the device and how to let it go, for
 * messages ("an NVMe controller: close it with udrv_nvme_ctrl_close first");
 * it must outlive the claim. Returns 0, or -EBUSY (logged, naming the
 * current owner) when the device is already claimed, -EINVAL. */
int udrv_dev_claim(struct udrv_dev *dev, const char *owner, void (*revoke)(void *arg), void *arg);
/* Give up a claim. No-op if dev is NULL or not claimed. */
void udrv_dev_unclaim(struct udrv_dev *dev);

/* Per-device driver-private pointer (one driver owns a device at a time). */
void udrv_dev_set_priv(struct udrv_dev *dev, void *priv);
void *udrv_dev_get_priv(const struct udrv_dev *dev);

#ifdef __cplusplus
}
#endif
#endif

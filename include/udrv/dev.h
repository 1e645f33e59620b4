/* SPDX-License-Identifier: MIT */
/*
 * udrv device handle: a PCI function reached through VFIO, or an in-process
 * device model, behind one interface.
 *
 * Thread safety: open/close, release, claims, the event callback and fd, BAR
 * mapping and the VFIO configuration and BAR accesses take the runtime lock
 * and may be called from any thread. udrv_dev_events() is a lock-free atomic
 * read meant for the data path. A BAR mapping is plain memory: access it with
 * the accessors in <udrv/mmio.h>. After the runtime released a device
 * (hot-remove, below) every call that reaches the device returns -ENODEV.
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

/* udrv_bdf_parse - parse a PCI address.
 * @s:   "0000:01:00.0", or "01:00.0" (domain 0); hex digits, either case
 * @out: receives the address
 * Returns 0; -EINVAL (NULL, malformed, device above 1f or function above 7;
 * logged with the expected form).
 * Context: any thread. */
int udrv_bdf_parse(const char *s, struct udrv_bdf *out);
/* udrv_bdf_format - write @bdf as "dddd:bb:dd.f" into @buf.
 * @buf: at least UDRV_BDF_STRLEN bytes, the caller's
 * Returns @buf. Context: any thread. */
char *udrv_bdf_format(const struct udrv_bdf *bdf, char *buf);

/* udrv_dev_open - open a PCI device bound to vfio-pci (the kernel resets
 * the function on open).
 * @bdf: its PCI address (udrv_bdf_parse's forms)
 * @out: receives the handle; set to NULL on failure
 * Returns 0; -EINVAL (@out NULL, malformed @bdf); -ENODEV (no such device,
 * no IOMMU group, /dev/vfio/vfio missing, VFIO does not see a PCI device);
 * -ENXIO (not bound to vfio-pci); -EBUSY (already open in this process, group
 * not viable or held by another process); -EACCES (permission on
 * /dev/vfio/N); -ENOMEM; -EIO. Each is logged with its fix. Initialises the
 * runtime with defaults if needed.
 * Context: any thread. Ownership: the caller's until udrv_dev_close(), or
 * udrv_fini(), which closes every device. */
int udrv_dev_open(const char *bdf, struct udrv_dev **out);

/* udrv_dev_close - close a device: its BAR mappings (every address from
 * udrv_dev_map_bar becomes invalid), its fds, its event fd, and its group and
 * the container when it was their last user; other open devices are not
 * disturbed. Also frees a released device's handle.
 * @dev: the handle, or NULL (returns 0)
 * Returns 0; -EBUSY (logged, handle still open) while a driver owns the
 * device (udrv_dev_claim): close the driver's object first
 * (udrv_nvme_ctrl_close, udrv_net_close).
 * Context: any thread, not racing with other calls on @dev; not from its
 * event callback. */
int udrv_dev_close(struct udrv_dev *dev);

/* udrv_dev_name - the device's name: its BDF ("0000:01:00.0"), or the
 * model's name; the log prefix. Valid until udrv_dev_close.
 * Context: any thread. */
const char *udrv_dev_name(const struct udrv_dev *dev);

/* udrv_dev_is_model - true for the in-process device model backend
 * (<udrv/model.h>), false for a VFIO device. Context: any thread. */
bool udrv_dev_is_model(const struct udrv_dev *dev);

/* udrv_dev_cfg_read - read @len bytes of PCI configuration space at @off
 * into @buf (the caller's).
 * Returns 0; -EINVAL (NULL argument); -ERANGE (beyond config space);
 * -ENODEV (released); -EIO (the read failed, logged).
 * Context: any thread (VFIO: under the runtime lock). */
int udrv_dev_cfg_read(struct udrv_dev *dev, uint32_t off, void *buf, size_t len);
/* udrv_dev_cfg_write - write @len bytes of @buf to configuration space at
 * @off. A model ignores writes to its ids and class code.
 * Returns and Context as udrv_dev_cfg_read. */
int udrv_dev_cfg_write(struct udrv_dev *dev, uint32_t off, const void *buf, size_t len);
/* udrv_dev_ids - the PCI vendor and device ids from configuration space.
 * @vendor, @device: receive them (either may be NULL)
 * Returns and Context as udrv_dev_cfg_read. */
int udrv_dev_ids(struct udrv_dev *dev, uint16_t *vendor, uint16_t *device);
/* udrv_dev_set_bus_master - turn bus mastering (PCI Command bit 2: the
 * device may DMA) on or off; drivers do it at bring-up.
 * Returns as udrv_dev_cfg_read; -ENODEV also when the Command register reads
 * all ones (the device is gone, logged). Context: any thread. */
int udrv_dev_set_bus_master(struct udrv_dev *dev, bool enable);

/* udrv_dev_reset - function-level reset (VFIO_DEVICE_RESET; a model's
 * reset callback, which also clears bus mastering).
 * Returns 0; -EINVAL (@dev NULL); -ENOTTY (the device has no reset VFIO can
 * use, logged); -ENODEV (released); another -errno of the ioctl (logged).
 * Context: any thread, while no driver uses the device. */
int udrv_dev_reset(struct udrv_dev *dev);

struct udrv_region {
	uint64_t size;
	bool readable, writable, mmappable;
	unsigned sparse_areas; /* 0: the whole region mmaps if mmappable */
};
/* udrv_dev_region_info - size and access flags of a VFIO region.
 * @index: 0..5 are the BARs, 7 is config space (VFIO_PCI_CONFIG_REGION_INDEX)
 * @info:  receives them (size 0: the BAR is not implemented)
 * Returns 0; -EINVAL (NULL argument, no such region); -ENODEV (released);
 * -errno of the VFIO ioctl. Context: any thread. */
int udrv_dev_region_info(struct udrv_dev *dev, unsigned index, struct udrv_region *info);

/* udrv_dev_map_bar - map BAR @bar into the process. Honours sparse-mmap
 * areas: the parts the kernel does not allow to be mapped (an MSI-X table)
 * are left inaccessible.
 * @bar:  0..5
 * @addr: receives the address; @len: receives the BAR's size (may be NULL)
 * Returns 0; -EINVAL (NULL argument, @bar above 5); -ENOENT (BAR not
 * implemented); -ENOTSUP (not mmappable: an I/O-port BAR, use
 * udrv_dev_bar_read); -ENODEV (released); -ENOMEM (no address space for
 * the BAR); -EIO or the mmap's -errno. Logged: a bad @bar, -ENOENT,
 * -ENOTSUP, -EIO and a failed mmap.
 * Context: any thread. Ownership: the mapping belongs to the handle: it lives
 * until udrv_dev_close (after a release it reads all ones and drops stores);
 * mapping twice returns the same address. */
int udrv_dev_map_bar(struct udrv_dev *dev, unsigned bar, void **addr, size_t *len);

/* udrv_dev_bar_read - read @len bytes at @off of BAR @bar through the
 * device fd (for areas that do not mmap), into @buf (the caller's).
 * Returns 0; -EINVAL (NULL argument, @bar above 5); -ERANGE (beyond the BAR
 * or BAR absent); -ENODEV (released); -EIO (the access failed).
 * Context: any thread (VFIO: under the runtime lock: not for the data path). */
int udrv_dev_bar_read(struct udrv_dev *dev, unsigned bar, uint64_t off, void *buf, size_t len);
/* udrv_dev_bar_write - write @len bytes of @buf at @off of BAR @bar through
 * the device fd. Returns and Context as udrv_dev_bar_read. */
int udrv_dev_bar_write(struct udrv_dev *dev, unsigned bar, uint64_t off, const void *buf, size_t len);

/* Slow events, noticed by the runtime's event thread and published as bits. */
enum udrv_dev_event {
	UDRV_DEV_EV_REMOVE = 1u << 0, /* the kernel asks us to release the device (hot-unplug) */
	UDRV_DEV_EV_ERROR = 1u << 1,  /* PCI error (AER) reported */
	UDRV_DEV_EV_FAILED = 1u << 2, /* a driver declared the device failed */
	UDRV_DEV_EV_RELEASED = 1u << 3, /* given back to the kernel: the handle only says -ENODEV */
};
/* udrv_dev_events - pointer to the device's enum udrv_dev_event bits; read
 * it with an atomic load on the data path (no system call, no lock).
 * Context: any thread. Ownership: the handle's; valid until udrv_dev_close. */
const volatile uint32_t *udrv_dev_events(const struct udrv_dev *dev);
/* udrv_dev_raise_event - set event bits atomically (a driver marks a device
 * failed; models raise events). Neither the event fd nor the callback is
 * signalled (they are for what the kernel sends).
 * Context: any thread, lock free, also from a completion callback. */
void udrv_dev_raise_event(struct udrv_dev *dev, uint32_t events);
/* udrv_dev_clear_event - clear event bits atomically, e.g.
 * UDRV_DEV_EV_FAILED once a driver re-initialised the device successfully.
 * Context: any thread, lock free. */
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
/* udrv_dev_set_event_cb - set the device's event callback @cb(dev, events,
 * @arg), or with @cb NULL clear it; replaces the previous one.
 * Returns 0; -EINVAL (@dev NULL).
 * Context: any thread. Ownership: @arg stays the caller's and must outlive
 * the callback's registration (clear it, or close the device). */
int udrv_dev_set_event_cb(struct udrv_dev *dev, udrv_dev_event_cb cb, void *arg);
/* udrv_dev_event_fd - an eventfd (non-blocking, close-on-exec) that becomes
 * readable when the kernel sends an event or the runtime releases the
 * device: for poll/epoll loops. It starts readable if such an event came
 * before. Read it to re-arm, then look at udrv_dev_events(). The same fd on
 * every call.
 * Returns the fd; -EINVAL (@dev NULL); -errno of eventfd() (logged).
 * Context: any thread. Ownership: the handle's: do not close it;
 * udrv_dev_close does. */
int udrv_dev_event_fd(struct udrv_dev *dev);
/* udrv_dev_release - release the device now, as the runtime does when the
 * grace period ends (see above): for an application that is done with it but
 * still has handles around. The handle stays valid (calls return -ENODEV)
 * until udrv_dev_close.
 * Returns 0 (also if already released); -EINVAL (@dev NULL); -EOPNOTSUPP (a
 * device model); -EBUSY (a BAR could not be made inert: nothing released).
 * Context: any thread, and from the device's event callback. */
int udrv_dev_release(struct udrv_dev *dev);

/* udrv_dev_claim - for drivers: one driver drives a device at a time. A driver
 * claims the device when its object (controller, port) is opened on it and
 * unclaims it when that object is closed. While claimed, udrv_dev_close refuses
 * (-EBUSY) and udrv_fini revokes the claim before closing the device: it calls
 * revoke(arg) (if not NULL) with the runtime lock held, which must make the
 * driver's handles fail cleanly (-ENODEV) and complete its requests in flight
 * as aborted, and must leave them never touching the device, its handle or DMA
 * memory again; the application's handles stay valid until it closes them.
 * owner says what holds the device and how to let it go, for messages ("an NVMe
 * controller: close it with udrv_nvme_ctrl_close first"); it must outlive the
 * claim. Returns 0, or -EBUSY (logged, naming the current owner) when the
 * device is already claimed; -EINVAL (@dev or @owner NULL). Context: any thread
 * (takes the runtime lock). */
int udrv_dev_claim(struct udrv_dev *dev, const char *owner, void (*revoke)(void *arg), void *arg);
/* udrv_dev_unclaim - give up a claim. No-op if @dev is NULL or not claimed.
 * Context: any thread (takes the runtime lock). */
void udrv_dev_unclaim(struct udrv_dev *dev);

/* udrv_dev_set_priv / udrv_dev_get_priv - the device's driver-private
 * pointer (NULL until set; one driver owns a device at a time). udrv never
 * dereferences or frees it. Context: the claiming driver's; a plain
 * (non-atomic) field. */
void udrv_dev_set_priv(struct udrv_dev *dev, void *priv);
void *udrv_dev_get_priv(const struct udrv_dev *dev);

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: MIT */
/* The device handle's public calls, dispatched to the VFIO or model backend. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MASTER 0x4

int udrv_dev_close(struct udrv_dev *dev)
{
	if (!dev)
		return 0;
	udrvi_lock();
	if (dev->owner) {
		udrvi_err(dev->name, "udrv_dev_close refused: the device is still driven by %s",
			  dev->owner);
		udrvi_unlock();
		return -EBUSY;
	}
	udrvi_dev_unregister(dev);
	if (dev->event_fd >= 0)
		close(dev->event_fd);
	dev->ops->close(dev);
	udrvi_unlock();
	return 0;
}

int udrv_dev_claim(struct udrv_dev *dev, const char *owner, void (*revoke)(void *arg), void *arg)
{
	if (!dev || !owner)
		return -EINVAL;
	udrvi_lock();
	if (dev->owner) {
		udrvi_err(dev->name, "the device is already driven by %s (one driver owns a device "
			  "at a time)", dev->owner);
		udrvi_unlock();
		return -EBUSY;
	}
	dev->owner = owner;
	dev->revoke = revoke;
	dev->revoke_arg = arg;
	udrvi_unlock();
	return 0;
}

void udrv_dev_unclaim(struct udrv_dev *dev)
{
	if (!dev)
		return;
	udrvi_lock();
	dev->owner = NULL;
	dev->revoke = NULL;
	dev->revoke_arg = NULL;
	udrvi_unlock();
}

void udrvi_dev_revoke(struct udrv_dev *dev)
{
	void (*revoke)(void *arg) = dev->revoke;

	if (!dev->owner)
		return;
	udrvi_warn(dev->name, "still driven by %s at udrv_fini: failing it; its requests in "
		   "flight complete as aborted", dev->owner);
	if (revoke)
		revoke(dev->revoke_arg);
	udrv_dev_unclaim(dev);
}

int udrvi_dev_release(struct udrv_dev *dev)
{
	int ret;

	if (dev->released)
		return 0;
	if (!dev->ops->release)
		return -EOPNOTSUPP;
	ret = dev->ops->release(dev);
	if (ret)
		return ret;
	dev->released = true;
	udrvi_dev_notify(dev, UDRV_DEV_EV_RELEASED);
	return 0;
}

int udrv_dev_release(struct udrv_dev *dev)
{
	int ret;

	if (!dev)
		return -EINVAL;
	udrvi_lock();
	ret = udrvi_dev_release(dev);
	udrvi_unlock();
	return ret;
}

void udrvi_dev_notify(struct udrv_dev *dev, uint32_t bits)
{
	uint64_t one = 1;

	udrv_dev_raise_event(dev, bits);
	if (dev->event_fd >= 0 && write(dev->event_fd, &one, sizeof(one)) != sizeof(one))
		udrvi_dbg(dev->name, "event fd not signalled (counter full)");
	if (dev->event_cb)
		dev->event_cb(dev, bits, dev->event_arg);
}

int udrv_dev_set_event_cb(struct udrv_dev *dev, udrv_dev_event_cb cb, void *arg)
{
	if (!dev)
		return -EINVAL;
	udrvi_lock();
	dev->event_cb = cb;
	dev->event_arg = arg;
	udrvi_unlock();
	return 0;
}

int udrv_dev_event_fd(struct udrv_dev *dev)
{
	int fd;

	if (!dev)
		return -EINVAL;
	udrvi_lock();
	if (dev->event_fd < 0) {
		dev->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->event_fd < 0) {
			fd = -errno;
			udrvi_err(dev->name, "cannot create the event fd: %s", strerror(-fd));
			udrvi_unlock();
			return fd;
		}
		/* Events that came before the fd: it starts readable. */
		if (__atomic_load_n(&dev->events, __ATOMIC_ACQUIRE) & (UDRV_DEV_EV_REMOVE | UDRV_DEV_EV_ERROR |
									UDRV_DEV_EV_RELEASED)) {
			uint64_t one = 1;

			if (write(dev->event_fd, &one, sizeof(one)) != sizeof(one))
				udrvi_dbg(dev->name, "event fd not signalled");
		}
	}
	fd = dev->event_fd;
	udrvi_unlock();
	return fd;
}

const char *udrv_dev_name(const struct udrv_dev *dev)
{
	return dev->name;
}

bool udrv_dev_is_model(const struct udrv_dev *dev)
{
	return dev->is_model;
}

int udrv_dev_cfg_read(struct udrv_dev *dev, uint32_t off, void *buf, size_t len)
{
	if (!dev || !buf)
		return -EINVAL;
	return dev->ops->cfg_rw(dev, off, buf, len, false);
}

int udrv_dev_cfg_write(struct udrv_dev *dev, uint32_t off, const void *buf, size_t len)
{
	if (!dev || !buf)
		return -EINVAL;
	return dev->ops->cfg_rw(dev, off, (void *)buf, len, true);
}

int udrv_dev_ids(struct udrv_dev *dev, uint16_t *vendor, uint16_t *device)
{
	uint16_t ids[2];
	int ret = udrv_dev_cfg_read(dev, 0, ids, sizeof(ids));

	if (ret)
		return ret;
	if (vendor)
		*vendor = ids[0];
	if (device)
		*device = ids[1];
	return 0;
}

int udrv_dev_set_bus_master(struct udrv_dev *dev, bool enable)
{
	uint16_t cmd;
	int ret = udrv_dev_cfg_read(dev, PCI_COMMAND, &cmd, sizeof(cmd));

	if (ret)
		return ret;
	if (cmd == 0xffff) {
		udrvi_err(dev->name, "config space reads as all ones: the device is gone");
		return -ENODEV;
	}
	cmd = enable ? (uint16_t)(cmd | PCI_COMMAND_MASTER) : (uint16_t)(cmd & ~PCI_COMMAND_MASTER);
	return udrv_dev_cfg_write(dev, PCI_COMMAND, &cmd, sizeof(cmd));
}

int udrv_dev_reset(struct udrv_dev *dev)
{
	if (!dev)
		return -EINVAL;
	return dev->ops->reset(dev);
}

int udrv_dev_region_info(struct udrv_dev *dev, unsigned index, struct udrv_region *info)
{
	if (!dev || !info)
		return -EINVAL;
	return dev->ops->region_info(dev, index, info);
}

int udrv_dev_map_bar(struct udrv_dev *dev, unsigned bar, void **addr, size_t *len)
{
	size_t l;
	int ret;

	if (!dev || !addr || bar > 5) {
		if (dev)
			udrvi_err(dev->name, "BAR%u does not exist: PCI BARs are 0 to 5", bar);
		return -EINVAL;
	}
	udrvi_lock();
	ret = dev->ops->map_bar(dev, bar, addr, &l);
	udrvi_unlock();
	if (!ret && len)
		*len = l;
	return ret;
}

int udrv_dev_bar_read(struct udrv_dev *dev, unsigned bar, uint64_t off, void *buf, size_t len)
{
	if (!dev || !buf || bar > 5)
		return -EINVAL;
	return dev->ops->bar_rw(dev, bar, off, buf, len, false);
}

int udrv_dev_bar_write(struct udrv_dev *dev, unsigned bar, uint64_t off, const void *buf, size_t len)
{
	if (!dev || !buf || bar > 5)
		return -EINVAL;
	return dev->ops->bar_rw(dev, bar, off, (void *)buf, len, true);
}

const volatile uint32_t *udrv_dev_events(const struct udrv_dev *dev)
{
	return &dev->events;
}

void udrv_dev_raise_event(struct udrv_dev *dev, uint32_t events)
{
	__atomic_fetch_or(&dev->events, events, __ATOMIC_RELEASE);
}

void udrv_dev_clear_event(struct udrv_dev *dev, uint32_t events)
{
	__atomic_fetch_and(&dev->events, ~events, __ATOMIC_RELEASE);
}

void udrv_dev_set_priv(struct udrv_dev *dev, void *priv)
{
	dev->priv = priv;
}

void *udrv_dev_get_priv(const struct udrv_dev *dev)
{
	return dev->priv;
}

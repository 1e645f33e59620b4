/* SPDX-License-Identifier: MIT */
/* The VFIO backend of the device handle: a PCI function bound to vfio-pci. */
#include <errno.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "sys.h"
#include "sysfs.h"

#define NBARS 6

struct vdev {
	struct udrv_dev dev;
	int fd;
	struct udrvi_vfio_group *group;
	uint32_t flags;
	uint32_t num_regions;
	uint64_t cfg_off, cfg_size;
	struct {
		uint8_t *addr;
		size_t len;
	} bars[NBARS];
	int irq_efd[2]; /* request, error */
};

#define to_vdev(d) ((struct vdev *)((char *)(d) - offsetof(struct vdev, dev)))

/* VFIO_DEVICE_GET_REGION_INFO with its capability chain; free() the result. */
static struct vfio_region_info *region_info_get(struct vdev *vd, unsigned index)
{
	struct vfio_region_info *ri = calloc(1, sizeof(*ri));
	uint32_t argsz;

	if (!ri)
		return NULL;
	ri->argsz = sizeof(*ri);
	ri->index = index;
	if (udrvi_sys->ioctl(vd->fd, VFIO_DEVICE_GET_REGION_INFO, ri))
		goto fail;
	argsz = ri->argsz;
	if (argsz > sizeof(*ri) && argsz < 65536) {
		struct vfio_region_info *big = realloc(ri, argsz);

		if (!big)
			goto fail;
		ri = big;
		memset(ri, 0, argsz);
		ri->argsz = argsz;
		ri->index = index;
		if (udrvi_sys->ioctl(vd->fd, VFIO_DEVICE_GET_REGION_INFO, ri))
			goto fail;
	}
	if (ri->argsz > argsz && argsz > sizeof(*ri))
		ri->argsz = argsz;
	return ri;
fail:
	free(ri);
	return NULL;
}

/* The sparse-mmap capability, bounds-checked; NULL if there is none. */
static struct vfio_region_info_cap_sparse_mmap *sparse_cap(struct vfio_region_info *ri)
{
	uint32_t off;
	int guard = 0;

	if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS) || ri->argsz <= sizeof(*ri))
		return NULL;
	for (off = ri->cap_offset; off && guard++ < 64;) {
		struct vfio_info_cap_header *h;

		if (off < sizeof(*ri) || off > ri->argsz - sizeof(*h))
			return NULL;
		h = (void *)((uint8_t *)ri + off);
		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP &&
		    off + sizeof(struct vfio_region_info_cap_sparse_mmap) <= ri->argsz) {
			struct vfio_region_info_cap_sparse_mmap *s = (void *)h;

			if (off + sizeof(*s) + (uint64_t)s->nr_areas * sizeof(s->areas[0]) > ri->argsz)
				return NULL;
			return s;
		}
		off = h->next;
	}
	return NULL;
}

static int vfio_region_info(struct udrv_dev *dev, unsigned index, struct udrv_region *info)
{
	struct vdev *vd = to_vdev(dev);
	struct vfio_region_info *ri;
	struct vfio_region_info_cap_sparse_mmap *sp;

	if (index >= vd->num_regions)
		return -EINVAL;
	udrvi_lock();
	ri = dev->released ? NULL : region_info_get(vd, index);
	udrvi_unlock();
	if (dev->released)
		return -ENODEV;
	if (!ri)
		return -errno ? -errno : -EIO;
	memset(info, 0, sizeof(*info));
	info->size = ri->size;
	info->readable = ri->flags & VFIO_REGION_INFO_FLAG_READ;
	info->writable = ri->flags & VFIO_REGION_INFO_FLAG_WRITE;
	info->mmappable = ri->flags & VFIO_REGION_INFO_FLAG_MMAP;
	sp = sparse_cap(ri);
	info->sparse_areas = sp ? sp->nr_areas : 0;
	free(ri);
	return 0;
}

static int vfio_map_bar(struct udrv_dev *dev, unsigned bar, void **addr, size_t *len)
{
	struct vdev *vd = to_vdev(dev);
	struct vfio_region_info *ri;
	struct vfio_region_info_cap_sparse_mmap *sp;
	uint8_t *base;
	int ret = 0;

	if (dev->released)
		return -ENODEV;
	if (vd->bars[bar].addr) {
		*addr = vd->bars[bar].addr;
		*len = vd->bars[bar].len;
		return 0;
	}
	ri = region_info_get(vd, bar);
	if (!ri) {
		udrvi_err(dev->name, "cannot read the region info of BAR%u: %s", bar, strerror(errno));
		return -EIO;
	}
	if (!ri->size) {
		udrvi_err(dev->name, "BAR%u is not implemented by this device", bar);
		ret = -ENOENT;
		goto out;
	}
	if (!(ri->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		udrvi_err(dev->name, "BAR%u cannot be mmapped (an I/O-port BAR?); use udrv_dev_bar_read/write", bar);
		ret = -ENOTSUP;
		goto out;
	}
	/* Reserve the whole BAR, then map the parts VFIO allows over it; the
	 * rest (e.g. an MSI-X table) stays inaccessible. */
	base = udrvi_sys->mmap(NULL, ri->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		ret = -ENOMEM;
		goto out;
	}
	sp = sparse_cap(ri);
	if (sp) {
		for (uint32_t i = 0; i < sp->nr_areas; i++) {
			uint64_t o = sp->areas[i].offset, s = sp->areas[i].size;

			if (!s)
				continue;
			if (o > ri->size || s > ri->size - o) {
				udrvi_err(dev->name, "BAR%u sparse area %u (0x%llx+0x%llx) is outside the BAR", bar, i,
					  (unsigned long long)o, (unsigned long long)s);
				ret = -EIO;
				break;
			}
			if (udrvi_sys->mmap(base + o, s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, vd->fd,
					    (off_t)(ri->offset + o)) == MAP_FAILED) {
				ret = -errno;
				break;
			}
		}
	} else if (udrvi_sys->mmap(base, ri->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, vd->fd,
				   (off_t)ri->offset) == MAP_FAILED) {
		ret = -errno;
	}
	if (ret) {
		udrvi_err(dev->name, "cannot mmap BAR%u: %s", bar, strerror(-ret));
		udrvi_sys->munmap(base, ri->size);
		goto out;
	}
	vd->bars[bar].addr = base;
	vd->bars[bar].len = ri->size;
	*addr = base;
	*len = ri->size;
out:
	free(ri);
	return ret;
}

static int vfio_bar_rw(struct udrv_dev *dev, unsigned bar, uint64_t off, void *buf, size_t len, bool write)
{
	struct vdev *vd = to_vdev(dev);
	struct vfio_region_info *ri;
	ssize_t n;
	uint64_t base, size;
	int ret;

	/* The lock keeps a release from closing (and the fd number from being
	 * reused) under the access. */
	udrvi_lock();
	if (dev->released) {
		ret = -ENODEV;
		goto out;
	}
	ri = region_info_get(vd, bar);
	if (!ri) {
		ret = -EIO;
		goto out;
	}
	base = ri->offset;
	size = ri->size;
	free(ri);
	if (off > size || len > size - off) {
		ret = -ERANGE;
		goto out;
	}
	n = write ? udrvi_sys->pwrite(vd->fd, buf, len, (off_t)(base + off))
		  : udrvi_sys->pread(vd->fd, buf, len, (off_t)(base + off));
	ret = n == (ssize_t)len ? 0 : -EIO;
out:
	udrvi_unlock();
	return ret;
}

static int vfio_cfg_rw(struct udrv_dev *dev, uint32_t off, void *buf, size_t len, bool write)
{
	struct vdev *vd = to_vdev(dev);
	ssize_t n;

	if (off > vd->cfg_size || len > vd->cfg_size - off)
		return -ERANGE;
	udrvi_lock();
	n = dev->released ? -2
		: write ? udrvi_sys->pwrite(vd->fd, buf, len, (off_t)(vd->cfg_off + off))
			: udrvi_sys->pread(vd->fd, buf, len, (off_t)(vd->cfg_off + off));
	udrvi_unlock();
	if (n == -2)
		return -ENODEV;
	if (n != (ssize_t)len) {
		udrvi_err(dev->name, "config space %s at 0x%x failed", write ? "write" : "read", off);
		return -EIO;
	}
	return 0;
}

static int vfio_reset(struct udrv_dev *dev)
{
	struct vdev *vd = to_vdev(dev);

	int ret = 0;

	if (!(vd->flags & VFIO_DEVICE_FLAGS_RESET)) {
		udrvi_err(dev->name, "the device offers no reset VFIO can use (no FLR, PM or bus reset)");
		return -ENOTTY;
	}
	udrvi_lock();
	if (dev->released)
		ret = -ENODEV;
	else if (udrvi_sys->ioctl(vd->fd, VFIO_DEVICE_RESET, NULL))
		ret = -errno;
	udrvi_unlock();
	if (ret && ret != -ENODEV)
		udrvi_err(dev->name, "VFIO_DEVICE_RESET failed: %s", strerror(-ret));
	return ret;
}

static int irq_set(struct vdev *vd, unsigned index, int efd)
{
	/* struct vfio_irq_set ends in a flexible array: one eventfd follows it. */
	uint8_t buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)] __attribute__((aligned(8))) = { 0 };
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = sizeof(*s);
	s->index = index;
	s->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	if (efd >= 0) {
		s->argsz = sizeof(buf);
		s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		s->count = 1;
		memcpy(s->data, &efd, sizeof(efd));
	}
	return udrvi_sys->ioctl(vd->fd, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

/* The request IRQ (hot-unplug) and the error IRQ (AER), each an eventfd the
 * event thread watches. A device without them still works. */
static void irqs_setup(struct vdev *vd)
{
	static const unsigned idx[2] = { VFIO_PCI_REQ_IRQ_INDEX, VFIO_PCI_ERR_IRQ_INDEX };
	static const uint32_t bits[2] = { UDRV_DEV_EV_REMOVE, UDRV_DEV_EV_ERROR };
	static const char *const what[2] = { "removal request", "PCI error" };

	for (int i = 0; i < 2; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = idx[i] };
		int efd;

		vd->irq_efd[i] = -1;
		if (udrvi_sys->ioctl(vd->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) || ii.count < 1)
			continue;
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd < 0)
			continue;
		if (irq_set(vd, idx[i], efd) || udrvi_events_watch(efd, &vd->dev, bits[i], what[i])) {
			udrvi_warn(vd->dev.name, "cannot watch the %s IRQ; the device works but %s go unnoticed",
				   what[i], what[i]);
			close(efd);
			continue;
		}
		vd->irq_efd[i] = efd;
	}
}

static void irqs_teardown(struct vdev *vd)
{
	static const unsigned idx[2] = { VFIO_PCI_REQ_IRQ_INDEX, VFIO_PCI_ERR_IRQ_INDEX };

	for (int i = 0; i < 2; i++) {
		if (vd->irq_efd[i] < 0)
			continue;
		udrvi_events_unwatch(vd->irq_efd[i]);
		irq_set(vd, idx[i], -1);
		close(vd->irq_efd[i]);
		vd->irq_efd[i] = -1;
	}
}

/*
 * Replace a BAR mapping in place with private memory full of ones. Threads
 * that still touch the BAR (a doorbell write, a status read on the data path)
 * then see what a PCI read of a removed device returns, and never a SIGBUS or
 * SIGSEGV: MAP_FIXED swaps the pages under mmap_lock, so an access sees either
 * the device or the new memory. Dropping the VFIO mapping also drops the
 * reference it held on the device file, which the kernel waits for.
 */
static int bar_make_inert(struct vdev *vd, unsigned b)
{
	void *p = udrvi_sys->mmap(vd->bars[b].addr, vd->bars[b].len, PROT_READ | PROT_WRITE,
				  MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		int err = errno;

		udrvi_err(vd->dev.name, "cannot replace the BAR%u mapping: %s", b, strerror(err));
		return -err;
	}
	memset(p, 0xff, vd->bars[b].len);
	return 0;
}

/* Under the runtime lock (udrvi_dev_release). Order: BARs inert (they pin the
 * device fd), IRQs off, then the device fd, its group, the container. */
static int vfio_release(struct udrv_dev *dev)
{
	struct vdev *vd = to_vdev(dev);

	for (unsigned b = 0; b < NBARS; b++) {
		if (!vd->bars[b].addr)
			continue;
		if (bar_make_inert(vd, b)) {
			/* Without inert memory there, the mapping cannot go while
			 * the application may touch it: do not close the fd. */
			return -EBUSY;
		}
	}
	irqs_teardown(vd);
	udrvi_vfio_device_close(vd->group, vd->fd);
	vd->fd = -1;
	vd->group = NULL;
	udrvi_info(dev->name, "released to the kernel: BARs inert, device fd and group closed");
	return 0;
}

static void vfio_close(struct udrv_dev *dev)
{
	struct vdev *vd = to_vdev(dev);

	irqs_teardown(vd);
	for (unsigned b = 0; b < NBARS; b++)
		if (vd->bars[b].addr)
			udrvi_sys->munmap(vd->bars[b].addr, vd->bars[b].len);
	if (!dev->released)
		udrvi_vfio_device_close(vd->group, vd->fd);
	free(vd);
}

static const struct udrvi_dev_ops vfio_ops = {
	.cfg_rw = vfio_cfg_rw,
	.bar_rw = vfio_bar_rw,
	.reset = vfio_reset,
	.region_info = vfio_region_info,
	.map_bar = vfio_map_bar,
	.release = vfio_release,
	.close = vfio_close,
};

static int check_binding(const char *name, const struct udrv_bdf *bdf, struct udrvi_pci_info *pi)
{
	if (udrvi_sysfs_pci_info(bdf, pi)) {
		udrvi_err(name, "there is no PCI device %s: `udrv-setup status` lists the NVMe and "
			  "Ethernet devices", name);
		return -ENODEV;
	}
	if (strcmp(pi->driver, "vfio-pci")) {
		if (pi->driver[0])
			udrvi_err(name, "the device is bound to the kernel driver %s, not vfio-pci: hand "
				  "it to udrv with `udrv-setup bind %s` (as root)", pi->driver, name);
		else
			udrvi_err(name, "the device is bound to no driver, not vfio-pci: hand it to udrv "
				  "with `udrv-setup bind %s` (as root)", name);
		return -ENXIO;
	}
	if (pi->iommu_group < 0) {
		udrvi_err(name, "the device has no IOMMU group: the IOMMU is off; enable VT-d/AMD-Vi in "
			  "the firmware and boot with intel_iommu=on (or amd_iommu=on)");
		return -ENODEV;
	}
	return 0;
}

int udrv_dev_open(const char *bdfstr, struct udrv_dev **out)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info *cfg;
	struct udrvi_pci_info pi;
	struct udrv_bdf bdf;
	struct vdev *vd;
	char name[UDRV_BDF_STRLEN];
	uint64_t t0;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = udrvi_ensure_init();
	if (ret)
		return ret;
	ret = udrv_bdf_parse(bdfstr, &bdf);
	if (ret)
		return ret;
	udrv_bdf_format(&bdf, name);
	udrvi_lock();
	if (udrvi_dev_bdf_open(name)) {
		udrvi_err(name, "the device is already open in this process; close it first");
		ret = -EBUSY;
		goto unlock;
	}
	ret = check_binding(name, &bdf, &pi);
	if (ret)
		goto unlock;
	vd = calloc(1, sizeof(*vd));
	if (!vd) {
		ret = -ENOMEM;
		goto unlock;
	}
	snprintf(vd->dev.name, sizeof(vd->dev.name), "%s", name);
	vd->dev.ops = &vfio_ops;
	vd->dev.event_fd = -1;
	vd->irq_efd[0] = vd->irq_efd[1] = -1;
	t0 = udrvi_now_ns();
	ret = udrvi_vfio_group_get(pi.iommu_group, name, &vd->group);
	if (ret)
		goto free_vd;
	udrvi_timing(name, "vfio container and group", t0);
	/* vfio-pci resets the function here (FLR: 100 ms of the kernel's wait). */
	t0 = udrvi_now_ns();
	vd->fd = udrvi_sys->ioctl(udrvi_vfio_group_fd(vd->group), VFIO_GROUP_GET_DEVICE_FD, name);
	udrvi_timing(name, "vfio device fd (kernel resets the function)", t0);
	if (vd->fd < 0) {
		ret = -errno;
		/* vfio-pci answers EAGAIN when it cannot take the device's lock
		 * to reset it: the PCI core holds it while it removes, unbinds
		 * or resets the device. */
		udrvi_err(name, "cannot get the device from VFIO: %s%s", strerror(-ret),
			  ret == -EBUSY ? " (another process or driver holds it)" :
			  ret == -EAGAIN ? ": the kernel holds the device; it is being removed "
			  "(hot-unplug), unbound or reset: try again once it is back" : "");
		goto put_group;
	}
	if (udrvi_sys->ioctl(vd->fd, VFIO_DEVICE_GET_INFO, &di) || !(di.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		udrvi_err(name, "VFIO does not describe this as a PCI device");
		ret = -ENODEV;
		goto close_fd;
	}
	vd->flags = di.flags;
	vd->num_regions = di.num_regions;
	cfg = region_info_get(vd, VFIO_PCI_CONFIG_REGION_INDEX);
	if (!cfg) {
		udrvi_err(name, "cannot find the config space region");
		ret = -EIO;
		goto close_fd;
	}
	vd->cfg_off = cfg->offset;
	vd->cfg_size = cfg->size;
	free(cfg);
	t0 = udrvi_now_ns();
	irqs_setup(vd);
	udrvi_timing(name, "vfio request and error IRQs, event thread", t0);
	udrvi_dev_register(&vd->dev);
	udrvi_info(name, "opened through VFIO (IOMMU group %d, driver vfio-pci)", pi.iommu_group);
	*out = &vd->dev;
	udrvi_unlock();
	return 0;

close_fd:
	udrvi_sys->close(vd->fd);
put_group:
	udrvi_vfio_group_put(vd->group);
free_vd:
	free(vd);
unlock:
	udrvi_unlock();
	return ret;
}

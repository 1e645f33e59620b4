/* SPDX-License-Identifier: MIT */
/*
 * The process's VFIO container and its groups. One container, created with
 * the first group and closed with the last; groups are reference counted so
 * devices come and go without disturbing each other. Close order: device fds
 * (vfio_dev.c), then groups, then the container.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "iova.h"
#include "sys.h"
#include "sysfs.h"

struct udrvi_vfio_group {
	int num;
	int fd;
	int refs;
	struct udrvi_vfio_group *next;
};

static struct {
	int fd; /* container, -1 when none */
	struct udrvi_vfio_group *groups;
} ct = { .fd = -1 };

bool udrvi_vfio_container_active(void)
{
	return ct.fd >= 0;
}

int udrvi_vfio_group_fd(const struct udrvi_vfio_group *g)
{
	return g->fd;
}

static int container_open(const char *devname)
{
	char path[300];
	int fd, err;

	snprintf(path, sizeof(path), "%s/vfio/vfio", udrvi_dev_root);
	fd = udrvi_sys->open(path, O_RDWR);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT) {
			udrvi_err(devname, "%s does not exist: the vfio-pci module is not loaded; load it "
				  "with `modprobe vfio-pci` (udrv-setup bind does it for you)", path);
			return -ENODEV;
		}
		udrvi_err(devname, "cannot open %s: %s%s", path, strerror(err),
			  err == EACCES ? "; run as root or give your user access to /dev/vfio" : "");
		return -err;
	}
	if (udrvi_sys->ioctl(fd, VFIO_GET_API_VERSION, NULL) != VFIO_API_VERSION) {
		udrvi_err(devname, "%s speaks an unknown VFIO API version", path);
		goto fail;
	}
	if (udrvi_sys->ioctl(fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) <= 0) {
		udrvi_err(devname, "the kernel offers no VFIO type1v2 IOMMU: enable the IOMMU "
			  "(intel_iommu=on or amd_iommu=on on the kernel command line)");
		goto fail;
	}
	return fd;
fail:
	udrvi_sys->close(fd);
	return -ENODEV;
}

/* Walk VFIO_IOMMU_GET_INFO's capability chain for the IOVA ranges and the
 * DMA-mapping limit. Every offset the kernel gives is checked against argsz. */
static int iommu_info(const char *devname, struct udrvi_iova_range *ranges, unsigned *nranges,
		      uint32_t *dma_avail)
{
	struct vfio_iommu_type1_info *info;
	uint32_t argsz = sizeof(*info), off;
	int ret = 0, guard = 0;

	*nranges = 0;
	*dma_avail = 0;
	info = calloc(1, argsz);
	if (!info)
		return -ENOMEM;
	info->argsz = argsz;
	if (udrvi_sys->ioctl(ct.fd, VFIO_IOMMU_GET_INFO, info))
		goto fail;
	if (info->argsz > argsz && info->argsz < 65536) {
		argsz = info->argsz;
		free(info);
		info = calloc(1, argsz);
		if (!info)
			return -ENOMEM;
		info->argsz = argsz;
		if (udrvi_sys->ioctl(ct.fd, VFIO_IOMMU_GET_INFO, info))
			goto fail;
	}
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS))
		goto out;
	for (off = info->cap_offset; off && guard++ < 64;) {
		struct vfio_info_cap_header *h;

		if (off < sizeof(*info) || off > argsz - sizeof(*h))
			break;
		h = (void *)((uint8_t *)info + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    off + sizeof(struct vfio_iommu_type1_info_cap_iova_range) <= argsz) {
			struct vfio_iommu_type1_info_cap_iova_range *r = (void *)h;
			size_t room = (argsz - off - sizeof(*r)) / sizeof(r->iova_ranges[0]);

			for (uint32_t i = 0; i < r->nr_iovas && i < room && *nranges < UDRVI_IOVA_MAX_RANGES; i++) {
				ranges[*nranges].start = r->iova_ranges[i].start;
				ranges[*nranges].last = r->iova_ranges[i].end;
				(*nranges)++;
			}
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL &&
			   off + sizeof(struct vfio_iommu_type1_info_dma_avail) <= argsz) {
			*dma_avail = ((struct vfio_iommu_type1_info_dma_avail *)h)->avail;
		}
		off = h->next;
	}
	for (unsigned i = 0; i < *nranges; i++)
		udrvi_info(devname, "IOVA range 0x%llx-0x%llx", (unsigned long long)ranges[i].start,
			   (unsigned long long)ranges[i].last);
	if (*dma_avail)
		udrvi_info(devname, "DMA mappings available: %u", *dma_avail);
	goto out;
fail:
	ret = -errno;
	udrvi_err(devname, "VFIO_IOMMU_GET_INFO failed: %s", strerror(errno));
out:
	free(info);
	return ret;
}

static int iommu_setup(const char *devname)
{
	struct udrvi_iova_range ranges[UDRVI_IOVA_MAX_RANGES];
	unsigned n;
	uint32_t avail;
	int ret;

	if (udrvi_sys->ioctl(ct.fd, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU)) {
		ret = -errno;
		udrvi_err(devname, "VFIO_SET_IOMMU(type1v2) failed: %s%s", strerror(-ret),
			  ret == -EPERM ? "; the IOMMU lacks interrupt remapping: enable it (on QEMU: "
					  "-device intel-iommu,intremap=on) or allow_unsafe_interrupts" : "");
		return ret;
	}
	ret = iommu_info(devname, ranges, &n, &avail);
	if (ret)
		return ret;
	return udrvi_mem_container_attach(ranges, n, avail);
}

/* "0000:00:1f.2 (ahci), 0000:00:1f.3 (snd_hda_intel)" -> "0000:00:1f.2 0000:00:1f.3" */
static void bdfs_of(const char *list, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (const char *p = list; *p && n + UDRV_BDF_STRLEN + 1 < len;) {
		const char *end = strstr(p, " (");

		if (!end)
			break;
		n += (size_t)snprintf(out + n, len - n, "%s%.*s", n ? " " : "", (int)(end - p), p);
		p = strstr(end, "), ");
		if (!p)
			break;
		p += 3;
	}
}

static int group_open(int num, const char *devname, int *fdp)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[300], list[512], bdfs[512];
	int fd, err;

	snprintf(path, sizeof(path), "%s/vfio/%d", udrvi_dev_root, num);
	fd = udrvi_sys->open(path, O_RDWR);
	if (fd < 0) {
		err = errno;
		switch (err) {
		case EACCES:
		case EPERM:
			udrvi_err(devname, "permission denied on %s: run as root, or give your user the "
				  "group: chown $USER %s (see the README, running as a non-root user)", path, path);
			return -EACCES;
		case EBUSY:
			udrvi_err(devname, "IOMMU group %d is in use by another process (`fuser -v %s` "
				  "shows which); a VFIO group can be open in one process at a time", num, path);
			return -EBUSY;
		case ENOENT:
			udrvi_err(devname, "%s does not exist: bind the device to vfio-pci with "
				  "`udrv-setup bind %s`", path, devname);
			return -ENODEV;
		default:
			udrvi_err(devname, "cannot open %s: %s", path, strerror(err));
			return -err;
		}
	}
	if (udrvi_sys->ioctl(fd, VFIO_GROUP_GET_STATUS, &st)) {
		err = errno;
		udrvi_err(devname, "VFIO_GROUP_GET_STATUS on %s failed: %s", path, strerror(err));
		udrvi_sys->close(fd);
		return -err;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		if (udrvi_sysfs_group_viable(num, list, sizeof(list)) == -EBUSY) {
			bdfs_of(list, bdfs, sizeof(bdfs));
			udrvi_err(devname, "IOMMU group %d is not viable: every device in it must be bound to "
				  "vfio-pci or to no driver, and these are not: %s. Bind them too with "
				  "`udrv-setup bind %s`, or move the device to a slot with its own group",
				  num, list, bdfs);
		} else {
			udrvi_err(devname, "IOMMU group %d is not viable: some device in it is bound to a "
				  "kernel driver; `udrv-setup status` shows the group's devices", num);
		}
		udrvi_sys->close(fd);
		return -EBUSY;
	}
	*fdp = fd;
	return 0;
}

int udrvi_vfio_group_get(int num, const char *devname, struct udrvi_vfio_group **out)
{
	struct udrvi_vfio_group *g;
	bool new_container = false;
	int ret, fd;

	udrvi_lock();
	for (g = ct.groups; g; g = g->next)
		if (g->num == num) {
			g->refs++;
			*out = g;
			udrvi_unlock();
			return 0;
		}
	if (ct.fd < 0) {
		ret = container_open(devname);
		if (ret < 0)
			goto out;
		ct.fd = ret;
		new_container = true;
	}
	ret = group_open(num, devname, &fd);
	if (ret)
		goto close_container;
	if (udrvi_sys->ioctl(fd, VFIO_GROUP_SET_CONTAINER, &ct.fd)) {
		ret = -errno;
		udrvi_err(devname, "cannot add IOMMU group %d to the VFIO container: %s", num, strerror(-ret));
		goto close_group;
	}
	if (new_container) {
		ret = iommu_setup(devname);
		if (ret)
			goto unset_container;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		ret = -ENOMEM;
		goto detach_mem;
	}
	g->num = num;
	g->fd = fd;
	g->refs = 1;
	g->next = ct.groups;
	ct.groups = g;
	*out = g;
	udrvi_unlock();
	return 0;

detach_mem:
	if (new_container)
		udrvi_mem_container_detach();
unset_container:
	udrvi_sys->ioctl(fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
close_group:
	udrvi_sys->close(fd);
close_container:
	if (new_container) {
		udrvi_sys->close(ct.fd);
		ct.fd = -1;
	}
out:
	udrvi_unlock();
	return ret;
}

void udrvi_vfio_group_put(struct udrvi_vfio_group *g)
{
	udrvi_lock();
	if (--g->refs > 0)
		goto out;
	for (struct udrvi_vfio_group **p = &ct.groups; *p; p = &(*p)->next)
		if (*p == g) {
			*p = g->next;
			break;
		}
	/* The last group takes the IOMMU with it: unmap exactly what we mapped first. */
	if (!ct.groups)
		udrvi_mem_container_detach();
	udrvi_sys->ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
	udrvi_sys->close(g->fd);
	free(g);
	if (!ct.groups) {
		udrvi_sys->close(ct.fd);
		ct.fd = -1;
	}
out:
	udrvi_unlock();
}

/*
 * When the kernel removes a device (hot-unplug), it waits for the device fd
 * to close and then, if that was its group's last device, detaches the group
 * from the container itself; type1 drops the container's IOMMU with its last
 * group, and every later VFIO_IOMMU_UNMAP_DMA fails with EINVAL. So the
 * container's last device unmaps the DMA chunks while its fd still holds the
 * group in place, then closes the fd; a group the kernel already detached
 * makes VFIO_GROUP_UNSET_CONTAINER fail, which is expected then.
 */
void udrvi_vfio_device_close(struct udrvi_vfio_group *g, int devfd)
{
	uint64_t t0;

	udrvi_lock();
	if (g->refs == 1 && ct.groups == g && !g->next)
		udrvi_mem_container_detach();
	/* vfio-pci resets the function again when the last fd closes. */
	t0 = udrvi_now_ns();
	udrvi_sys->close(devfd);
	udrvi_timing(NULL, "vfio device close (kernel resets the function)", t0);
	t0 = udrvi_now_ns();
	udrvi_vfio_group_put(g);
	udrvi_timing(NULL, "vfio group and container close", t0);
	udrvi_unlock();
}

int udrvi_vfio_dma_map(void *va, uint64_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uint64_t)(uintptr_t)va,
		.iova = iova,
		.size = len,
	};
	int err;

	if (!udrvi_sys->ioctl(ct.fd, VFIO_IOMMU_MAP_DMA, &map))
		return 0;
	err = errno;
	if (err == ENOSPC)
		udrvi_err(NULL, "VFIO_IOMMU_MAP_DMA: the DMA-mapping limit is reached: raise the "
			  "vfio_iommu_type1 module parameter dma_entry_limit or use bigger chunks (UDRV_CHUNK_MB)");
	else if (err == ENOMEM)
		udrvi_err(NULL, "VFIO_IOMMU_MAP_DMA of %zu MiB failed: cannot pin the memory; raise "
			  "RLIMIT_MEMLOCK (ulimit -l) or run as root", len >> 20);
	else
		udrvi_err(NULL, "VFIO_IOMMU_MAP_DMA(iova 0x%llx, %zu MiB) failed: %s",
			  (unsigned long long)iova, len >> 20, strerror(err));
	return -err;
}

int udrvi_vfio_dma_unmap(uint64_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = len,
	};

	if (ct.fd < 0)
		return 0;
	if (udrvi_sys->ioctl(ct.fd, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
		udrvi_warn(NULL, "VFIO_IOMMU_UNMAP_DMA(iova 0x%llx) failed: %s", (unsigned long long)iova,
			   strerror(errno));
		return -errno;
	}
	return 0;
}

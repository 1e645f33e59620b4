/* SPDX-License-Identifier: MIT */
/* The fake VFIO kernel interface (see fake_vfio.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "sys.h"

enum kind { K_NONE, K_CONTAINER, K_GROUP, K_DEVICE };
#define MAX_FDS 1024
#define REGION_OFF(i) ((uint64_t)(i) << 40)
#define BAR0_SIZE 0x4000

static struct fake_vfio fv;
static enum kind kinds[MAX_FDS];
static int dev_group[MAX_FDS];      /* device fd -> the group fd it came from */
static bool group_attached[MAX_FDS]; /* group fd -> set to the container */
static int attached_groups;
static int bar_memfd = -1;

static void record(enum fake_vfio_op op)
{
	if (fv.norder < FAKE_MAX_ORDER)
		fv.order[fv.norder++] = op;
}

int fake_vfio_first(const struct fake_vfio *f, enum fake_vfio_op op)
{
	for (unsigned i = 0; i < f->norder; i++)
		if (f->order[i] == op)
			return (int)i;
	return -1;
}

int fake_vfio_last(const struct fake_vfio *f, enum fake_vfio_op op)
{
	for (unsigned i = f->norder; i-- > 0;)
		if (f->order[i] == op)
			return (int)i;
	return -1;
}

static void group_detach(int g)
{
	if (g >= 0 && g < MAX_FDS && group_attached[g]) {
		group_attached[g] = false;
		attached_groups--;
	}
}

static int fake_open(const char *path, int flags)
{
	const char *v = strstr(path, "/vfio/");
	int fd;

	(void)flags;
	if (!v)
		return udrvi_sys_real.open(path, flags);
	if (access(path, F_OK)) {
		errno = ENOENT;
		return -1;
	}
	if (strcmp(v, "/vfio/vfio") && fv.group_open_errno) {
		errno = fv.group_open_errno;
		return -1;
	}
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || fd >= MAX_FDS)
		return -1;
	if (!strcmp(v, "/vfio/vfio")) {
		kinds[fd] = K_CONTAINER;
		fv.container_opens++;
	} else {
		kinds[fd] = K_GROUP;
		fv.group_opens++;
	}
	fv.open_fds++;
	return fd;
}

static bool other_devices_of(int group, int except)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (i != except && kinds[i] == K_DEVICE && dev_group[i] == group)
			return true;
	return false;
}

static int fake_close(int fd)
{
	if (fd >= 0 && fd < MAX_FDS && kinds[fd] != K_NONE) {
		switch (kinds[fd]) {
		case K_DEVICE:
			fv.device_closes++;
			record(FAKE_OP_DEVICE_CLOSE);
			/* The kernel's vfio_device_remove_group: with the group's
			 * last device, the group leaves the container. */
			if (fv.unplug_on_close && !other_devices_of(dev_group[fd], fd))
				group_detach(dev_group[fd]);
			break;
		case K_GROUP:
			fv.group_closes++;
			record(FAKE_OP_GROUP_CLOSE);
			group_detach(fd);
			break;
		default:
			fv.container_closes++;
			record(FAKE_OP_CONTAINER_CLOSE);
			break;
		}
		kinds[fd] = K_NONE;
		fv.open_fds--;
	}
	return close(fd);
}

static void put_iommu_info(struct vfio_iommu_type1_info *info)
{
	size_t need = sizeof(*info) + sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
		      fv.nranges * sizeof(struct vfio_iova_range) +
		      sizeof(struct vfio_iommu_type1_info_dma_avail);
	uint32_t argsz = info->argsz;
	struct vfio_iommu_type1_info_cap_iova_range *r;
	struct vfio_iommu_type1_info_dma_avail *a;

	info->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info->iova_pgsizes = 0x40201000;
	info->argsz = (uint32_t)need;
	if (argsz < need) {
		info->cap_offset = 0;
		return;
	}
	info->cap_offset = sizeof(*info);
	r = (void *)((uint8_t *)info + info->cap_offset);
	r->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	r->header.version = 1;
	r->nr_iovas = fv.nranges;
	for (unsigned i = 0; i < fv.nranges; i++) {
		r->iova_ranges[i].start = fv.range_start[i];
		r->iova_ranges[i].end = fv.range_last[i];
	}
	a = (void *)&r->iova_ranges[fv.nranges];
	r->header.next = fv.dma_avail ? (uint32_t)((uint8_t *)a - (uint8_t *)info) : 0;
	a->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	a->header.version = 1;
	a->avail = fv.dma_avail;
}

static int region_info(struct vfio_region_info *ri)
{
	ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	ri->offset = REGION_OFF(ri->index);
	ri->cap_offset = 0;
	if (ri->index == VFIO_PCI_BAR0_REGION_INDEX) {
		ri->size = BAR0_SIZE;
		ri->flags |= VFIO_REGION_INFO_FLAG_MMAP;
	} else if (ri->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		ri->size = sizeof(fv.config);
	} else {
		ri->size = 0;
		ri->flags = 0;
	}
	return 0;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	enum kind k = fd >= 0 && fd < MAX_FDS ? kinds[fd] : K_NONE;

	if (k == K_NONE)
		return udrvi_sys_real.ioctl(fd, req, arg);
	switch (req) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return (uintptr_t)arg == VFIO_TYPE1v2_IOMMU;
	case VFIO_GROUP_GET_STATUS:
		((struct vfio_group_status *)arg)->flags = fv.group_not_viable ? 0 : VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	case VFIO_GROUP_SET_CONTAINER:
		if (!group_attached[fd]) {
			group_attached[fd] = true;
			attached_groups++;
		}
		return 0;
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!group_attached[fd]) {
			errno = EINVAL;
			return -1;
		}
		group_detach(fd);
		return 0;
	case VFIO_SET_IOMMU:
		if (fv.set_iommu_errno) {
			errno = fv.set_iommu_errno;
			return -1;
		}
		return 0;
	case VFIO_IOMMU_GET_INFO:
		put_iommu_info(arg);
		return 0;
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map *m = arg;

		if (fv.nmaps == FAKE_MAX_MAPS || (fv.dma_avail && fv.nmaps >= fv.dma_avail)) {
			errno = ENOSPC;
			return -1;
		}
		fv.maps[fv.nmaps++] = (struct fake_vfio_map){ m->iova, m->size, m->vaddr, false };
		return 0;
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap *u = arg;

		if (!attached_groups) { /* type1 went with the last group */
			fv.bad_unmaps++;
			errno = EINVAL;
			return -1;
		}
		for (unsigned i = 0; i < fv.nmaps; i++)
			if (!fv.maps[i].unmapped && fv.maps[i].iova == u->iova && fv.maps[i].size == u->size) {
				fv.maps[i].unmapped = true;
				record(FAKE_OP_UNMAP);
				return 0;
			}
		fv.bad_unmaps++;
		errno = EINVAL;
		return -1;
	}
	case VFIO_GROUP_GET_DEVICE_FD: {
		int dfd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (dfd >= 0 && dfd < MAX_FDS) {
			kinds[dfd] = K_DEVICE;
			dev_group[dfd] = fd;
			fv.open_fds++;
		}
		return dfd;
	}
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *di = arg;

		di->flags = VFIO_DEVICE_FLAGS_PCI | (fv.no_reset ? 0 : VFIO_DEVICE_FLAGS_RESET);
		di->num_regions = VFIO_PCI_NUM_REGIONS;
		di->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		((struct vfio_irq_info *)arg)->count = 1;
		return 0;
	case VFIO_DEVICE_SET_IRQS: {
		struct vfio_irq_set *is = arg;
		int32_t efd = -1;

		if (is->index >= VFIO_PCI_NUM_IRQS_FAKE) {
			errno = EINVAL;
			return -1;
		}
		if ((is->flags & VFIO_IRQ_SET_DATA_EVENTFD) && is->count == 1)
			memcpy(&efd, is->data, sizeof(efd));
		fv.irq_efd[is->index] = efd;
		return 0;
	}
	case VFIO_DEVICE_RESET:
		fv.resets++;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static void *fake_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fd >= 0 && fd < MAX_FDS && kinds[fd] == K_DEVICE) {
		void *p;

		if ((uint64_t)off != REGION_OFF(0) || len > BAR0_SIZE) {
			errno = EINVAL;
			return MAP_FAILED;
		}
		/* BAR0 is shared memory: the fake keeps the device's view of it. */
		if (bar_memfd < 0) {
			bar_memfd = memfd_create("fake-bar0", MFD_CLOEXEC);
			if (bar_memfd < 0 || ftruncate(bar_memfd, BAR0_SIZE))
				return MAP_FAILED;
			p = mmap(NULL, BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, bar_memfd, 0);
			if (p == MAP_FAILED)
				return MAP_FAILED;
			fv.bar0_device = p;
		}
		return mmap(addr, len, prot, (flags & MAP_FIXED) | MAP_SHARED, bar_memfd, 0);
	}
	return mmap(addr, len, prot, flags, fd, off);
}

static ssize_t cfg_rw(int fd, void *buf, size_t n, off_t off, bool write)
{
	uint64_t o = (uint64_t)off - REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX);

	(void)fd;
	if ((uint64_t)off < REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) || o + n > sizeof(fv.config)) {
		errno = EINVAL;
		return -1;
	}
	if (write)
		memcpy(fv.config + o, buf, n);
	else
		memcpy(buf, fv.config + o, n);
	return (ssize_t)n;
}

static ssize_t fake_pread(int fd, void *buf, size_t n, off_t off)
{
	if (fd >= 0 && fd < MAX_FDS && kinds[fd] == K_DEVICE)
		return cfg_rw(fd, buf, n, off, false);
	return pread(fd, buf, n, off);
}

static ssize_t fake_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (fd >= 0 && fd < MAX_FDS && kinds[fd] == K_DEVICE)
		return cfg_rw(fd, (void *)buf, n, off, true);
	return pwrite(fd, buf, n, off);
}

static const struct udrvi_sys_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.ioctl = fake_ioctl,
	.mmap = fake_mmap,
	.munmap = munmap,
	.pread = fake_pread,
	.pwrite = fake_pwrite,
};

struct fake_vfio *fake_vfio_install(void)
{
	if (fv.bar0_device)
		munmap((void *)fv.bar0_device, BAR0_SIZE);
	if (bar_memfd >= 0)
		close(bar_memfd);
	bar_memfd = -1;
	memset(&fv, 0, sizeof(fv));
	memset(kinds, 0, sizeof(kinds));
	memset(group_attached, 0, sizeof(group_attached));
	attached_groups = 0;
	fv.nranges = 2;
	fv.range_start[0] = 0;
	fv.range_last[0] = 0xfedfffff;
	fv.range_start[1] = 0xfef00000;
	fv.range_last[1] = (1ull << 39) - 1;
	fv.dma_avail = 65535;
	for (int i = 0; i < VFIO_PCI_NUM_IRQS_FAKE; i++)
		fv.irq_efd[i] = -1;
	fv.config[0] = 0x36; /* 1b36:0010 QEMU NVMe */
	fv.config[1] = 0x1b;
	fv.config[2] = 0x10;
	fv.config[3] = 0x00;
	udrvi_sys_set(&fake_ops);
	return &fv;
}

void fake_vfio_uninstall(void)
{
	udrvi_sys_set(NULL);
}

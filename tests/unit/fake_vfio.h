/* SPDX-License-Identifier: MIT */
/*
 * A fake VFIO kernel interface behind udrvi_sys: the container, groups and
 * devices answer ioctls from a script a test sets up, DMA maps are recorded,
 * BARs are anonymous memory and config space is an array. Used with
 * fake_sysfs (tests/unit/fake_sysfs.h) for the runtime's VFIO paths.
 */
#ifndef FAKE_VFIO_H
#define FAKE_VFIO_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_MAX_MAPS 64
#define VFIO_PCI_NUM_IRQS_FAKE 8

struct fake_vfio_map {
	uint64_t iova, size, vaddr;
	bool unmapped; /* by one unmap call with exactly this iova and size */
};

/* What the fake saw, in order (fake_vfio.order). */
enum fake_vfio_op {
	FAKE_OP_UNMAP = 1,       /* VFIO_IOMMU_UNMAP_DMA that succeeded */
	FAKE_OP_DEVICE_CLOSE,
	FAKE_OP_GROUP_CLOSE,
	FAKE_OP_CONTAINER_CLOSE,
};
#define FAKE_MAX_ORDER 64

struct fake_vfio {
	/* script */
	/* The kernel removes devices (hot-unplug): a device fd's close detaches
	 * its group from the container, and with the container's last group its
	 * IOMMU goes, after which unmaps fail with EINVAL (as in type1). */
	bool unplug_on_close;
	int group_open_errno;        /* errno for opening /dev/vfio/N, 0 = ok */
	bool group_not_viable;
	int set_iommu_errno;
	unsigned nranges;
	uint64_t range_start[4], range_last[4];
	uint32_t dma_avail;          /* 0: no DMA_AVAIL capability */
	bool no_reset;
	/* observed */
	int group_opens;
	int container_opens;
	int open_fds;                /* fds the fake handed out and not closed */
	unsigned nmaps;
	struct fake_vfio_map maps[FAKE_MAX_MAPS];
	int bad_unmaps;              /* unmaps that matched no map exactly */
	int resets;
	int irq_efd[VFIO_PCI_NUM_IRQS_FAKE]; /* eventfd set per IRQ index, -1 none */
	uint8_t config[256];
	int device_closes, group_closes, container_closes;
	unsigned norder;
	enum fake_vfio_op order[FAKE_MAX_ORDER];
	/* The device side of BAR0: what the device sees of the last BAR0 mmap
	 * (shared memory behind the process's mapping), NULL before one. */
	volatile uint8_t *bar0_device;
};

/* Index of the first op of that kind in order[], or -1. */
int fake_vfio_first(const struct fake_vfio *f, enum fake_vfio_op op);
/* Index of the last op of that kind, or -1. */
int fake_vfio_last(const struct fake_vfio *f, enum fake_vfio_op op);

/* Install the fake (resets it to defaults: one 39-bit range with the MSI
 * hole, DMA_AVAIL 65535, a QEMU NVMe config space). */
struct fake_vfio *fake_vfio_install(void);
void fake_vfio_uninstall(void);

#endif

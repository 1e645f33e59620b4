/* SPDX-License-Identifier: MIT */
/*
 * PCI devices, drivers and IOMMU groups as sysfs shows them, read under
 * udrvi_sysfs_root so tests can use a fake tree. Internal.
 */
#ifndef UDRVI_SYSFS_H
#define UDRVI_SYSFS_H

#include <stddef.h>
#include <stdint.h>

#include <udrv/dev.h>

struct udrvi_pci_info {
	struct udrv_bdf bdf;
	char name[UDRV_BDF_STRLEN];
	uint16_t vendor, device;
	uint32_t class_code; /* 24 bits */
	char driver[64];     /* bound driver, "" when none */
	int iommu_group;     /* -1 when the device has no IOMMU group */
	int numa_node;       /* -1 when unknown */
};

/* Read a sysfs attribute (path relative to the sysfs root, e.g.
 * "bus/pci/devices/0000:01:00.0/vendor") into buf, trailing newline removed.
 * Returns the length or -errno. */
int udrvi_sysfs_read(const char *relpath, char *buf, size_t len);
/* Write val to a sysfs attribute. Returns 0 or -errno. */
int udrvi_sysfs_write(const char *relpath, const char *val);

/* Returns 0, or -ENODEV when the device does not exist. */
int udrvi_sysfs_pci_info(const struct udrv_bdf *bdf, struct udrvi_pci_info *info);

/* The devices of IOMMU group `group`: fills up to max entries of out and
 * returns how many there are (which may be more than max), or -errno. */
int udrvi_sysfs_group_devices(int group, struct udrv_bdf *out, int max);

/* Call fn for every PCI device, in BDF order; stops early and returns fn's
 * value if it is non-zero. Returns 0 or -errno. */
int udrvi_sysfs_pci_foreach(int (*fn)(const struct udrvi_pci_info *info, void *arg), void *arg);

/* A group is viable when every device in it is bound to vfio-pci, or to no
 * driver, or is a PCI bridge bound to pcieport. When it is not, fills msg
 * with the list "0000:00:1f.2 (ahci), ..." of the devices in the way and
 * returns -EBUSY; returns 0 when viable, -errno on read errors. */
int udrvi_sysfs_group_viable(int group, char *msg, size_t msglen);

/* The rule udrvi_sysfs_group_viable applies to each device: non-zero when
 * info's binding lets the other devices of its group be used through VFIO
 * (no driver, vfio-pci, pci-stub, or a bridge on pcieport). */
int udrvi_sysfs_driver_allows_vfio(const struct udrvi_pci_info *info);

#endif

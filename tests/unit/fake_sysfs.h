/* SPDX-License-Identifier: MIT */
/*
 * A fake /sys, /dev and /proc in a temporary directory, for tests of the code
 * that reads sysfs (lib/sysfs.c, the VFIO open path, udrv-setup).
 *
 *   struct fake_sysfs *fs = fake_sysfs_create();      // roots now point at it
 *   fake_sysfs_add_pci(fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 5);
 *   fake_sysfs_add_pci(fs, "0000:00:1c.0", 0x8086, 0x7a38, 0x060400, "pcieport", 5);
 *   fake_sysfs_add_hugepages(fs, 2048, 512, 500);
 *   fake_sysfs_add_vfio(fs, 5);                          // /dev/vfio/vfio and /dev/vfio/5
 *   ... code under test ...
 *   fake_sysfs_destroy(fs);                              // removes it, roots back to /sys, /dev
 *
 * Layout made (paths relative to fs->sys, i.e. udrvi_sysfs_root):
 *   bus/pci/devices/BDF/{vendor,device,class,numa_node,driver_override,remove}
 *   bus/pci/devices/BDF/driver      -> ../../drivers/NAME        (when bound)
 *   bus/pci/devices/BDF/iommu_group -> ../../../../kernel/iommu_groups/N
 *   bus/pci/drivers/NAME/{bind,unbind,new_id}
 *   bus/pci/{drivers_probe,rescan}
 *   kernel/iommu_groups/N/devices/BDF -> ../../../../bus/pci/devices/BDF
 *   kernel/mm/hugepages/hugepages-SIZEkB/{nr_hugepages,free_hugepages,...}
 *   class/iommu/NAME
 * Devices are plain directories and attributes plain files: writing an
 * attribute changes nothing else (fake_sysfs_set_driver() plays the kernel).
 *
 * Every function returns 0 or a negative errno, and fails only on a real
 * file system error. Not thread safe; one fake tree at a time.
 */
#ifndef FAKE_SYSFS_H
#define FAKE_SYSFS_H

#include <stddef.h>
#include <stdint.h>

struct fake_sysfs {
	char root[128]; /* the temporary directory */
	char sys[160];  /* root/sys:  udrvi_sysfs_root while the tree exists */
	char dev[160];  /* root/dev:  udrvi_dev_root */
	char proc[160]; /* root/proc: for code that reads /proc (mounts, swaps) */
};

/* Make an empty tree (bus/pci/{devices,drivers}, kernel/iommu_groups,
 * kernel/mm/hugepages, class/iommu, dev/, proc/mounts and proc/swaps empty)
 * and point udrvi_set_roots() at it. NULL on failure. */
struct fake_sysfs *fake_sysfs_create(void);

/* Remove the tree and restore the roots to "/sys" and "/dev". NULL is ok. */
void fake_sysfs_destroy(struct fake_sysfs *fs);

/* Add a PCI function. driver: NULL or "" for none (the driver directory is
 * made on first use). group: IOMMU group number, -1 for none (the group
 * directory is made on first use). numa_node is written as -1. */
int fake_sysfs_add_pci(struct fake_sysfs *fs, const char *bdf, uint16_t vendor, uint16_t device,
		       uint32_t class_code, const char *driver, int group);

/* Remove a PCI function: its directory and its entry in its group. */
int fake_sysfs_remove_pci(struct fake_sysfs *fs, const char *bdf);

/* Bind (driver) or unbind (NULL or "") a device, as the kernel would after a
 * probe: only moves the driver symlink. */
int fake_sysfs_set_driver(struct fake_sysfs *fs, const char *bdf, const char *driver);

/* Make bus/pci/drivers/NAME with its bind/unbind/new_id files. */
int fake_sysfs_add_driver(struct fake_sysfs *fs, const char *name);

/* Make kernel/mm/hugepages/hugepages-<size_kb>kB with nr_hugepages = nr,
 * free_hugepages = free, resv/surplus 0. */
int fake_sysfs_add_hugepages(struct fake_sysfs *fs, unsigned long size_kb, unsigned long nr,
			     unsigned long free);

/* Make class/iommu/NAME (e.g. "dmar0"): the IOMMU is on. */
int fake_sysfs_add_iommu(struct fake_sysfs *fs, const char *name);

/* Make dev/vfio/vfio and, for group >= 0, dev/vfio/<group> (plain files). */
int fake_sysfs_add_vfio(struct fake_sysfs *fs, int group);

/* NVMe namespaces as the nvme driver shows them:
 * bus/pci/devices/BDF/nvme/<ctrl>/<ns> (e.g. "nvme0", "nvme0n1") and
 * class/block/<ns>/holders. */
int fake_sysfs_add_nvme_ns(struct fake_sysfs *fs, const char *bdf, const char *ctrl,
			   const char *ns);

/* A network interface: bus/pci/devices/BDF/net/<ifname>. */
int fake_sysfs_add_net(struct fake_sysfs *fs, const char *bdf, const char *ifname);

/* Write (replace) or append to a file at relpath under fs->root, making its
 * parent directories: "sys/...", "dev/...", "proc/mounts". */
int fake_sysfs_write(struct fake_sysfs *fs, const char *relpath, const char *content);
int fake_sysfs_append(struct fake_sysfs *fs, const char *relpath, const char *content);

/* Read the file at relpath under fs->root into buf (NUL-terminated, trailing
 * newline kept). Returns the length or -errno. */
int fake_sysfs_read(struct fake_sysfs *fs, const char *relpath, char *buf, size_t len);

/* Make a symlink at relpath under fs->root pointing at target (as given). */
int fake_sysfs_symlink(struct fake_sysfs *fs, const char *relpath, const char *target);

/* Make a directory (and its parents) at relpath under fs->root. */
int fake_sysfs_mkdir(struct fake_sysfs *fs, const char *relpath);

/* Remove the file or (recursively) directory at relpath under fs->root. */
int fake_sysfs_remove(struct fake_sysfs *fs, const char *relpath);

#endif

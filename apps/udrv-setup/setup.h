/* SPDX-License-Identifier: MIT */
/*
 * udrv-setup internals: the commands as functions, so tests
 * (tests/unit/test_setup.c) run them against a fake sysfs tree.
 *
 * Everything the commands change or ask of the system goes through
 * setup_hooks (sysfs writes, modprobe, mount, interface addresses, euid), and
 * every file read is under udrvi_sysfs_root, udrvi_dev_root or
 * setup_proc_root, so a test can stand in for the kernel.
 */
#ifndef UDRV_SETUP_H
#define UDRV_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sysfs.h"

enum {
	SETUP_EXIT_OK = 0,
	SETUP_EXIT_ERROR = 1,
	SETUP_EXIT_USAGE = 2,
};

/* "/proc" unless a test points it at a fake tree. */
extern char setup_proc_root[256];

struct setup_hooks {
	/* Write a sysfs attribute (relative to udrvi_sysfs_root). 0 or -errno. */
	int (*sysfs_write)(const char *relpath, const char *val);
	/* Load a kernel module. 0, or non-zero on failure. */
	int (*modprobe)(const char *module);
	bool (*is_root)(void);
	/* Make the directory path and mount hugetlbfs there. 0 or -errno. */
	int (*mount_hugetlbfs)(const char *path, const char *pagesize);
	/* The addresses that mark interface ifname as in use (IPv4, IPv6 other
	 * than link-local), ", "-separated into buf. Returns how many, or -errno. */
	int (*iface_addrs)(const char *ifname, char *buf, size_t len);
	void (*sleep_ms)(unsigned ms);
};
extern struct setup_hooks setup_hooks;
extern const struct setup_hooks setup_hooks_real;

/* The whole command line (argv[0] is the program): returns the exit code. */
int setup_main(int argc, char **argv, FILE *out, FILE *err);

/* Commands. Each returns an exit code (SETUP_EXIT_*). */
int setup_status(bool json, FILE *out, FILE *err);
int setup_bind(const struct udrv_bdf *bdfs, int n, bool force, FILE *out, FILE *err);
int setup_unbind(const struct udrv_bdf *bdfs, int n, bool force, FILE *out, FILE *err);
/* Refuses (exit 1, nothing written) a reservation that would leave the system
 * less than an eighth of its memory (256 MiB..4 GiB) unless force; rolls a
 * partial reservation back. */
int setup_hugepages(unsigned long count, unsigned long size_kb, bool force, FILE *out, FILE *err);

/* names.c: device kinds and names. */
enum setup_kind {
	SETUP_KIND_OTHER,
	SETUP_KIND_NVME, /* class 01 08 xx: non-volatile memory controller */
	SETUP_KIND_NET,  /* class 02 00 xx: Ethernet controller */
};
enum setup_kind setup_kind_of(uint32_t class_code);
/* A human name: from the built-in table, else from the class. */
const char *setup_device_name(uint16_t vendor, uint16_t device, uint32_t class_code);

/* inuse.c */
/* The kernel's names for the device: NVMe block devices ("nvme0n1") or
 * network interfaces ("eth0"), ", "-separated. Returns how many. */
int setup_kernel_names(const struct udrvi_pci_info *info, char *buf, size_t len);
/* 1 when taking the device from its kernel driver would pull the rug from
 * under a user (a mounted filesystem, swap, a holder such as LVM or md, an
 * interface with an address), with the reason in why; 0 when not; -errno. */
int setup_device_in_use(const struct udrvi_pci_info *info, char *why, size_t len);
/* The processes holding /dev/vfio/<group> open ("1234 (udrv-nvme)"),
 * ", "-separated. Returns how many. */
int setup_group_users(int group, char *buf, size_t len);

/* hugepages.c */
struct setup_hp_size {
	unsigned long size_kb, nr, free;
};
/* The hugepage sizes the kernel offers, ascending. Returns how many or -errno. */
int setup_hp_sizes(struct setup_hp_size *out, int max);
struct setup_mount {
	char path[256];
	unsigned long pagesize_kb;
};
/* hugetlbfs mounts from <proc>/mounts. Returns how many or -errno. */
int setup_hugetlbfs_mounts(struct setup_mount *out, int max);
/* "2M", "1G", "2048kB" -> size in kB; 0 when not a size. */
unsigned long setup_parse_size(const char *s);
/* 2048 -> "2M", 1048576 -> "1G". */
const char *setup_size_name(unsigned long size_kb, char *buf, size_t len);

/* util.c */
/* Read a whole file under setup_proc_root (relpath "mounts"), malloc'ed and
 * NUL-terminated. 0 or -errno. */
int setup_proc_read(const char *relpath, char **content);
/* Append to a ", "-separated list in buf. */
void setup_list_add(char *buf, size_t len, const char *item);
/* Decode the octal escapes /proc/mounts uses for spaces and the like. */
void setup_unescape_mount(char *s);
/* How to turn the IOMMU on, for this CPU vendor or virtual machine
 * (from <proc>/cpuinfo). */
const char *setup_iommu_hint(void);
/* Human size: 65536 kB -> "64 MiB". */
const char *setup_human_bytes(unsigned long long bytes, char *buf, size_t len);

#endif

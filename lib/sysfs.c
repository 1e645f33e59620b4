/* SPDX-License-Identifier: MIT */
/*
 * PCI devices, drivers and IOMMU groups read from sysfs.
 *
 * Every path is relative to udrvi_sysfs_root ("/sys" unless a test points it
 * at a fake tree), so this file never names "/sys" itself. Layout used
 * (Documentation/ABI/testing/sysfs-bus-pci, sysfs-kernel-iommu_groups):
 *
 *   bus/pci/devices/BDF/{vendor,device,class,numa_node}
 *   bus/pci/devices/BDF/driver        -> .../bus/pci/drivers/NAME
 *   bus/pci/devices/BDF/iommu_group   -> .../kernel/iommu_groups/N
 *   kernel/iommu_groups/N/devices/BDF
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys.h"
#include "sysfs.h"

/* PCI class codes (PCI Code and ID Assignment spec 1.x, base class 06h). */
#define PCI_BASE_CLASS_BRIDGE 0x06

static int sysfs_path(char *buf, size_t len, const char *relpath)
{
	int n = snprintf(buf, len, "%s/%s", udrvi_sysfs_root, relpath);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int udrvi_sysfs_read(const char *relpath, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	size_t got = 0;
	int fd, ret;

	if (!relpath || !buf || len == 0)
		return -EINVAL;
	ret = sysfs_path(path, sizeof(path), relpath);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* sysfs attributes are at most a page and come in one read; loop anyway
	 * so a plain file in a fake tree behaves the same. */
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			close(fd);
			return ret;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	buf[got] = '\0';
	return (int)got;
}

int udrvi_sysfs_write(const char *relpath, const char *val)
{
	char path[PATH_MAX];
	size_t len;
	ssize_t n;
	int fd, ret;

	if (!relpath || !val)
		return -EINVAL;
	ret = sysfs_path(path, sizeof(path), relpath);
	if (ret)
		return ret;
	/* No O_CREAT: an attribute that does not exist is an error, in a fake
	 * tree as in sysfs. O_TRUNC keeps a fake tree's file equal to the last
	 * value written; sysfs ignores it. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A sysfs store sees exactly one write(): never split the value. */
	len = strlen(val);
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (close(fd) < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Parse the BDFs sysfs prints ("dddd:bb:dd.f", lower case); quiet, unlike
 * udrv_bdf_parse, because directory entries that are not BDFs are skipped. */
static int parse_bdf_quiet(const char *s, struct udrv_bdf *out)
{
	unsigned dom, bus, dev, fn;
	char tail;

	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4)
		return -EINVAL;
	if (strlen(s) != UDRV_BDF_STRLEN - 1 || dev > 0x1f || fn > 7)
		return -EINVAL;
	memset(out, 0, sizeof(*out)); /* padding too: callers may memcmp */
	out->domain = dom;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->fn = (uint8_t)fn;
	return 0;
}

static void format_bdf(const struct udrv_bdf *bdf, char *buf)
{
	snprintf(buf, UDRV_BDF_STRLEN, "%04x:%02x:%02x.%1x", (unsigned)(bdf->domain & 0xffff),
		 bdf->bus, bdf->dev, bdf->fn & 7);
}

static int bdf_cmp(const void *a, const void *b)
{
	const struct udrv_bdf *x = a, *y = b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->bus != y->bus)
		return x->bus < y->bus ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->fn != y->fn)
		return x->fn < y->fn ? -1 : 1;
	return 0;
}

/* Every BDF-named entry of directory relpath, sorted; *out is malloc'ed. */
static int list_bdfs(const char *relpath, struct udrv_bdf **out)
{
	char path[PATH_MAX];
	struct udrv_bdf *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret;

	ret = sysfs_path(path, sizeof(path), relpath);
	if (ret)
		return ret;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct udrv_bdf b;

		if (parse_bdf_quiet(de->d_name, &b))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = b;
	}
	closedir(d);
	if (n > INT_MAX) {
		free(v);
		return -EOVERFLOW;
	}
	if (n)
		qsort(v, n, sizeof(*v), bdf_cmp);
	*out = v;
	return (int)n;
}

static int read_hex(const char *relpath, unsigned long *val)
{
	char buf[32], *end;
	int ret = udrvi_sysfs_read(relpath, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtoul(buf, &end, 16);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

/* The last component of the symlink relpath, or -errno. */
static int link_basename(const char *relpath, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int ret;

	ret = sysfs_path(path, sizeof(path), relpath);
	if (ret)
		return ret;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int udrvi_sysfs_pci_info(const struct udrv_bdf *bdf, struct udrvi_pci_info *info)
{
	char dir[64], rel[128], buf[64], *end;
	unsigned long v;
	struct stat st;
	long l;
	int ret;

	if (!bdf || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->bdf = *bdf;
	format_bdf(bdf, info->name);
	snprintf(dir, sizeof(dir), "bus/pci/devices/%s", info->name);

	ret = sysfs_path(rel, sizeof(rel), dir);
	if (ret)
		return ret;
	if (stat(rel, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENODEV : -errno;

	snprintf(rel, sizeof(rel), "%s/vendor", dir);
	ret = read_hex(rel, &v);
	if (ret)
		return ret;
	info->vendor = (uint16_t)v;
	snprintf(rel, sizeof(rel), "%s/device", dir);
	ret = read_hex(rel, &v);
	if (ret)
		return ret;
	info->device = (uint16_t)v;
	snprintf(rel, sizeof(rel), "%s/class", dir);
	ret = read_hex(rel, &v);
	if (ret)
		return ret;
	info->class_code = (uint32_t)(v & 0xffffff);

	snprintf(rel, sizeof(rel), "%s/driver", dir);
	ret = link_basename(rel, info->driver, sizeof(info->driver));
	if (ret == -ENOENT)
		info->driver[0] = '\0';
	else if (ret)
		return ret;

	info->iommu_group = -1;
	snprintf(rel, sizeof(rel), "%s/iommu_group", dir);
	ret = link_basename(rel, buf, sizeof(buf));
	if (ret == 0) {
		errno = 0;
		l = strtol(buf, &end, 10);
		if (errno || end == buf || *end || l < 0 || l > INT_MAX)
			return -EINVAL;
		info->iommu_group = (int)l;
	} else if (ret != -ENOENT) {
		return ret;
	}

	/* numa_node is -1 on machines without NUMA, absent on some arches. */
	info->numa_node = -1;
	snprintf(rel, sizeof(rel), "%s/numa_node", dir);
	if (udrvi_sysfs_read(rel, buf, sizeof(buf)) > 0) {
		errno = 0;
		l = strtol(buf, &end, 10);
		if (!errno && end != buf && !*end && l >= -1 && l <= INT_MAX)
			info->numa_node = (int)l;
	}
	return 0;
}

int udrvi_sysfs_group_devices(int group, struct udrv_bdf *out, int max)
{
	struct udrv_bdf *v = NULL;
	char rel[64];
	int n;

	if (group < 0 || max < 0 || (max > 0 && !out))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", group);
	n = list_bdfs(rel, &v);
	if (n < 0)
		return n;
	if (n > 0 && max > 0)
		memcpy(out, v, sizeof(*v) * (size_t)(n < max ? n : max));
	free(v);
	return n;
}

int udrvi_sysfs_pci_foreach(int (*fn)(const struct udrvi_pci_info *info, void *arg), void *arg)
{
	struct udrvi_pci_info info;
	struct udrv_bdf *v = NULL;
	int n, i, ret = 0;

	if (!fn)
		return -EINVAL;
	n = list_bdfs("bus/pci/devices", &v);
	if (n < 0)
		return n;
	for (i = 0; i < n && ret == 0; i++) {
		int r = udrvi_sysfs_pci_info(&v[i], &info);

		/* A device removed while we walk the list is not an error. */
		if (r == -ENODEV)
			continue;
		if (r) {
			ret = r;
			break;
		}
		ret = fn(&info, arg);
	}
	free(v);
	return ret;
}

/*
 * Drivers the kernel lets share a group with a vfio-pci user: those that set
 * driver_managed_dma (vfio-pci, pci-stub, pcieport; see iommu_device_use_
 * default_domain() in drivers/iommu/iommu.c), or no driver at all. pcieport
 * only ever binds bridges and similar port services.
 */
int udrvi_sysfs_driver_allows_vfio(const struct udrvi_pci_info *info)
{
	if (!info->driver[0] || !strcmp(info->driver, "vfio-pci") ||
	    !strcmp(info->driver, "pci-stub"))
		return 1;
	if (!strcmp(info->driver, "pcieport"))
		return (info->class_code >> 16) == PCI_BASE_CLASS_BRIDGE ||
		       (info->class_code >> 8) == 0x0807; /* root complex event collector */
	return 0;
}

static void msg_append(char *msg, size_t msglen, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (!msg || msglen == 0 || *pos >= msglen - 1)
		return;
	if (n > msglen - 1 - *pos)
		n = msglen - 1 - *pos;
	memcpy(msg + *pos, s, n);
	*pos += n;
	msg[*pos] = '\0';
}

int udrvi_sysfs_group_viable(int group, char *msg, size_t msglen)
{
	struct udrvi_pci_info info;
	struct udrv_bdf *v = NULL;
	char rel[64], item[UDRV_BDF_STRLEN + sizeof(info.driver) + 8];
	size_t pos = 0;
	int n, i, bad = 0, ret = 0;

	if (msg && msglen)
		msg[0] = '\0';
	if (group < 0)
		return -EINVAL;
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", group);
	n = list_bdfs(rel, &v);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		ret = udrvi_sysfs_pci_info(&v[i], &info);
		if (ret == -ENODEV) {
			ret = 0;
			continue;
		}
		if (ret)
			break;
		if (udrvi_sysfs_driver_allows_vfio(&info))
			continue;
		snprintf(item, sizeof(item), "%s%s (%s)", bad ? ", " : "", info.name, info.driver);
		msg_append(msg, msglen, &pos, item);
		bad++;
	}
	free(v);
	if (ret)
		return ret;
	return bad ? -EBUSY : 0;
}

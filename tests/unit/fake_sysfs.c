/* SPDX-License-Identifier: MIT */
/* A fake sysfs/dev/proc tree in a temporary directory: see fake_sysfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_sysfs.h"
#include "sys.h"

static int fs_path(const struct fake_sysfs *fs, char *buf, size_t len, const char *relpath)
{
	int n = snprintf(buf, len, "%s/%s", fs->root, relpath);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p of an absolute path. */
static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX], *p;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int mkdir_parent(const char *path)
{
	char tmp[PATH_MAX], *slash;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	slash = strrchr(tmp, '/');
	if (!slash || slash == tmp)
		return 0;
	*slash = '\0';
	return mkdir_p(tmp);
}

static int put_file(struct fake_sysfs *fs, const char *relpath, const char *content, int append)
{
	char path[PATH_MAX];
	size_t len = strlen(content);
	int fd, ret;

	ret = fs_path(fs, path, sizeof(path), relpath);
	if (ret)
		return ret;
	ret = mkdir_parent(path);
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
	if (fd < 0)
		return -errno;
	if (len && write(fd, content, len) != (ssize_t)len) {
		ret = errno ? -errno : -EIO;
		close(fd);
		return ret;
	}
	close(fd);
	return 0;
}

int fake_sysfs_write(struct fake_sysfs *fs, const char *relpath, const char *content)
{
	return put_file(fs, relpath, content, 0);
}

int fake_sysfs_append(struct fake_sysfs *fs, const char *relpath, const char *content)
{
	return put_file(fs, relpath, content, 1);
}

int fake_sysfs_read(struct fake_sysfs *fs, const char *relpath, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, ret;

	if (len == 0)
		return -EINVAL;
	ret = fs_path(fs, path, sizeof(path), relpath);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	ret = n < 0 ? -errno : (int)n;
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return ret;
}

int fake_sysfs_mkdir(struct fake_sysfs *fs, const char *relpath)
{
	char path[PATH_MAX];
	int ret = fs_path(fs, path, sizeof(path), relpath);

	return ret ? ret : mkdir_p(path);
}

int fake_sysfs_symlink(struct fake_sysfs *fs, const char *relpath, const char *target)
{
	char path[PATH_MAX];
	int ret = fs_path(fs, path, sizeof(path), relpath);

	if (ret)
		return ret;
	ret = mkdir_parent(path);
	if (ret)
		return ret;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return symlink(target, path) < 0 ? -errno : 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static int rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) ? -errno : 0;
}

int fake_sysfs_remove(struct fake_sysfs *fs, const char *relpath)
{
	char path[PATH_MAX];
	int ret = fs_path(fs, path, sizeof(path), relpath);

	return ret ? ret : rm_rf(path);
}

struct fake_sysfs *fake_sysfs_create(void)
{
	static const char *const dirs[] = {
		"sys/bus/pci/devices", "sys/bus/pci/drivers", "sys/kernel/iommu_groups",
		"sys/kernel/mm/hugepages", "sys/class/iommu", "sys/class/block", "sys/module",
		"dev", "proc",
	};
	struct fake_sysfs *fs = calloc(1, sizeof(*fs));
	const char *tmp = getenv("TMPDIR");
	size_t i;

	if (!fs)
		return NULL;
	if (!tmp || !*tmp || strlen(tmp) > 64)
		tmp = "/tmp";
	snprintf(fs->root, sizeof(fs->root), "%s/udrv-fake-XXXXXX", tmp);
	if (!mkdtemp(fs->root)) {
		free(fs);
		return NULL;
	}
	snprintf(fs->sys, sizeof(fs->sys), "%s/sys", fs->root);
	snprintf(fs->dev, sizeof(fs->dev), "%s/dev", fs->root);
	snprintf(fs->proc, sizeof(fs->proc), "%s/proc", fs->root);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (fake_sysfs_mkdir(fs, dirs[i]))
			goto fail;
	if (fake_sysfs_write(fs, "sys/bus/pci/drivers_probe", "") ||
	    fake_sysfs_write(fs, "sys/bus/pci/rescan", "") ||
	    fake_sysfs_write(fs, "proc/mounts", "") ||
	    fake_sysfs_write(fs, "proc/swaps",
			     "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"))
		goto fail;
	udrvi_set_roots(fs->sys, fs->dev);
	return fs;
fail:
	rm_rf(fs->root);
	free(fs);
	return NULL;
}

void fake_sysfs_destroy(struct fake_sysfs *fs)
{
	if (!fs)
		return;
	udrvi_set_roots(NULL, NULL);
	rm_rf(fs->root);
	free(fs);
}

int fake_sysfs_add_driver(struct fake_sysfs *fs, const char *name)
{
	static const char *const files[] = { "bind", "unbind", "new_id", "remove_id" };
	char rel[PATH_MAX];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/%s", name, files[i]);
		ret = fake_sysfs_write(fs, rel, "");
		if (ret)
			return ret;
	}
	return 0;
}

int fake_sysfs_set_driver(struct fake_sysfs *fs, const char *bdf, const char *driver)
{
	char rel[PATH_MAX], target[PATH_MAX];
	int ret;

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver", bdf);
	if (!driver || !*driver)
		return fake_sysfs_remove(fs, rel);
	ret = fake_sysfs_add_driver(fs, driver);
	if (ret)
		return ret;
	snprintf(target, sizeof(target), "../../drivers/%s", driver);
	return fake_sysfs_symlink(fs, rel, target);
}

int fake_sysfs_add_pci(struct fake_sysfs *fs, const char *bdf, uint16_t vendor, uint16_t device,
		       uint32_t class_code, const char *driver, int group)
{
	char rel[PATH_MAX], val[64];
	int ret;

#define PUT(attr, fmt, v)                                                          \
	do {                                                                       \
		snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/" attr, bdf);   \
		snprintf(val, sizeof(val), fmt, v);                                \
		ret = fake_sysfs_write(fs, rel, val);                              \
		if (ret)                                                           \
			return ret;                                                \
	} while (0)
	PUT("vendor", "0x%04x\n", (unsigned)vendor);
	PUT("device", "0x%04x\n", (unsigned)device);
	PUT("class", "0x%06x\n", (unsigned)class_code);
	PUT("numa_node", "%d\n", -1);
	PUT("driver_override", "%s\n", "(null)");
	PUT("remove", "%s", "");
#undef PUT
	ret = fake_sysfs_set_driver(fs, bdf, driver);
	if (ret)
		return ret;
	if (group < 0)
		return 0;
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/iommu_group", bdf);
	snprintf(val, sizeof(val), "../../../../kernel/iommu_groups/%d", group);
	ret = fake_sysfs_symlink(fs, rel, val);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", group, bdf);
	snprintf(val, sizeof(val), "../../../../bus/pci/devices/%s", bdf);
	ret = fake_sysfs_symlink(fs, rel, val);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/type", group);
	return fake_sysfs_write(fs, rel, "DMA\n");
}

int fake_sysfs_remove_pci(struct fake_sysfs *fs, const char *bdf)
{
	char rel[PATH_MAX], path[PATH_MAX], target[256];
	ssize_t n;
	int ret;

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/iommu_group", bdf);
	ret = fs_path(fs, path, sizeof(path), rel);
	if (ret)
		return ret;
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		const char *g;

		target[n] = '\0';
		g = strrchr(target, '/');
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%.32s/devices/%.32s",
			 g ? g + 1 : target, bdf);
		ret = fake_sysfs_remove(fs, rel);
		if (ret)
			return ret;
	}
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", bdf);
	return fake_sysfs_remove(fs, rel);
}

int fake_sysfs_add_hugepages(struct fake_sysfs *fs, unsigned long size_kb, unsigned long nr,
			     unsigned long free)
{
	char rel[PATH_MAX], val[32];
	int ret;

#define PUT(attr, v)                                                                    \
	do {                                                                            \
		snprintf(rel, sizeof(rel), "sys/kernel/mm/hugepages/hugepages-%lukB/" attr, \
			 size_kb);                                                      \
		snprintf(val, sizeof(val), "%lu\n", (unsigned long)(v));                \
		ret = fake_sysfs_write(fs, rel, val);                                   \
		if (ret)                                                                \
			return ret;                                                     \
	} while (0)
	PUT("nr_hugepages", nr);
	PUT("free_hugepages", free);
	PUT("resv_hugepages", 0);
	PUT("surplus_hugepages", 0);
	PUT("nr_overcommit_hugepages", 0);
#undef PUT
	return 0;
}

int fake_sysfs_add_iommu(struct fake_sysfs *fs, const char *name)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/class/iommu/%s", name);
	return fake_sysfs_mkdir(fs, rel);
}

int fake_sysfs_add_vfio(struct fake_sysfs *fs, int group)
{
	char rel[64];
	int ret = fake_sysfs_write(fs, "dev/vfio/vfio", "");

	if (ret || group < 0)
		return ret;
	snprintf(rel, sizeof(rel), "dev/vfio/%d", group);
	return fake_sysfs_write(fs, rel, "");
}

int fake_sysfs_add_nvme_ns(struct fake_sysfs *fs, const char *bdf, const char *ctrl,
			   const char *ns)
{
	char rel[PATH_MAX];
	int ret;

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/nvme/%s/%s", bdf, ctrl, ns);
	ret = fake_sysfs_mkdir(fs, rel);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/class/block/%s/holders", ns);
	return fake_sysfs_mkdir(fs, rel);
}

int fake_sysfs_add_net(struct fake_sysfs *fs, const char *bdf, const char *ifname)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/net/%s", bdf, ifname);
	return fake_sysfs_mkdir(fs, rel);
}

/* SPDX-License-Identifier: MIT */
/* The real system calls behind udrvi_sys, and the filesystem roots. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sys.h"

static int real_open(const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC);
}

static int real_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

const struct udrvi_sys_ops udrvi_sys_real = {
	.open = real_open,
	.close = close,
	.ioctl = real_ioctl,
	.mmap = mmap,
	.munmap = munmap,
	.pread = pread,
	.pwrite = pwrite,
};

const struct udrvi_sys_ops *udrvi_sys = &udrvi_sys_real;

char udrvi_sysfs_root[256] = "/sys";
char udrvi_dev_root[256] = "/dev";

void udrvi_sys_set(const struct udrvi_sys_ops *ops)
{
	udrvi_sys = ops ? ops : &udrvi_sys_real;
}

void udrvi_set_roots(const char *sysfs_root, const char *dev_root)
{
	snprintf(udrvi_sysfs_root, sizeof(udrvi_sysfs_root), "%s", sysfs_root ? sysfs_root : "/sys");
	snprintf(udrvi_dev_root, sizeof(udrvi_dev_root), "%s", dev_root ? dev_root : "/dev");
}

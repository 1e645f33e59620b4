/* SPDX-License-Identifier: MIT */
/*
 * The system calls the VFIO layer makes, behind a table tests can replace
 * (tests/unit fake VFIO with it), and the filesystem roots tests can move to
 * a fake tree. Internal: not part of the public API.
 */
#ifndef UDRVI_SYS_H
#define UDRVI_SYS_H

#include <stddef.h>
#include <sys/types.h>

struct udrvi_sys_ops {
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long req, void *arg);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
	int (*munmap)(void *addr, size_t len);
	ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
};

extern const struct udrvi_sys_ops *udrvi_sys;
extern const struct udrvi_sys_ops udrvi_sys_real;
/* Replace the table (NULL restores the real system calls). */
void udrvi_sys_set(const struct udrvi_sys_ops *ops);

/* "/sys" and "/dev" unless a test points them at a fake tree. */
extern char udrvi_sysfs_root[256];
extern char udrvi_dev_root[256];
void udrvi_set_roots(const char *sysfs_root, const char *dev_root);

#endif

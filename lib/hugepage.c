/* SPDX-License-Identifier: MIT */
/*
 * Hugepages: which size to use, how many are free, and mapping them. The
 * backing file comes from a hugetlbfs mount found by libhugetlbfs; with no
 * mount, from memfd_create(MFD_HUGETLB), which needs no mount at all.
 */
#include <errno.h>
#include <stddef.h>
#include <hugetlbfs.h> /* needs size_t first */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "sysfs.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

static long read_count(size_t page_size, const char *attr)
{
	char path[128], buf[32];
	char *end;
	long v;

	snprintf(path, sizeof(path), "kernel/mm/hugepages/hugepages-%zukB/%s", page_size / 1024, attr);
	if (udrvi_sysfs_read(path, buf, sizeof(buf)) < 0)
		return -ENOENT;
	v = strtol(buf, &end, 10);
	return (*end || v < 0) ? -EINVAL : v;
}

long udrvi_hugepage_free(size_t page_size)
{
	return read_count(page_size, "free_hugepages");
}

const char *udrvi_hugepage_reserve_hint(size_t page_size, size_t more, char *buf, size_t len)
{
	long nr = read_count(page_size, "nr_hugepages");
	size_t total = (nr > 0 ? (size_t)nr : 0) + more;

	snprintf(buf, len, "`udrv-setup hugepages %zu%s` (or echo %zu > "
		 "/sys/kernel/mm/hugepages/hugepages-%zukB/nr_hugepages)", total,
		 page_size >= UDRVI_GIB ? " --size 1G" : "", total, page_size / 1024);
	return buf;
}

size_t udrvi_hugepage_default_size(void)
{
	size_t ps = udrvi_opts()->page_size;

	if (ps)
		return ps;
	/* 2 MiB unless only 1 GiB pages are reserved. */
	if (read_count(2 * UDRVI_MIB, "free_hugepages") <= 0 && read_count(UDRVI_GIB, "free_hugepages") > 0)
		return UDRVI_GIB;
	return 2 * UDRVI_MIB;
}

static int hugepage_fd(size_t page_size)
{
	const char *path = hugetlbfs_find_path_for_size((long)page_size);
	unsigned shift = page_size >= UDRVI_GIB ? 30 : 21;
	int fd;

	if (path) {
		fd = hugetlbfs_unlinked_fd_for_size((long)page_size);
		if (fd >= 0)
			return fd;
	}
	fd = memfd_create("udrv-dma", MFD_CLOEXEC | MFD_HUGETLB | (shift << MFD_HUGE_SHIFT));
	return fd < 0 ? -errno : fd;
}

int udrvi_hugepage_map(void *addr, size_t len, size_t page_size)
{
	char ps[32], ls[32];
	int fd = hugepage_fd(page_size), err;
	void *p;

	if (fd < 0) {
		udrvi_err(NULL, "cannot create a file of %s hugepages (%s): mount hugetlbfs "
			  "(udrv-setup hugepages COUNT does it) or check the kernel has HUGETLBFS",
			  udrvi_size_str(page_size, ps, sizeof(ps)), strerror(-fd));
		return fd;
	}
	if (ftruncate(fd, (off_t)len)) {
		err = -errno;
		close(fd);
		udrvi_err(NULL, "cannot size a hugepage file to %s: %s", udrvi_size_str(len, ls, sizeof(ls)),
			  strerror(-err));
		return err;
	}
	/* hugetlbfs reserves the pages at mmap time, so a shortage fails here and
	 * not later with SIGBUS. */
	p = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0);
	err = p == MAP_FAILED ? -errno : 0;
	close(fd);
	if (err) {
		char hint[192];

		udrvi_err(NULL, "cannot map %s of %s hugepages: %s; reserve more with %s (free now: "
			  "%ld)%s", udrvi_size_str(len, ls, sizeof(ls)),
			  udrvi_size_str(page_size, ps, sizeof(ps)), strerror(-err),
			  udrvi_hugepage_reserve_hint(page_size, len / page_size, hint, sizeof(hint)),
			  udrvi_hugepage_free(page_size), udrvi_chunk_note());
		return err;
	}
	return 0;
}

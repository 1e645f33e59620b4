/* SPDX-License-Identifier: MIT */
/*
 * Hugepage reservations (Documentation/admin-guide/mm/hugetlbpage.rst):
 * kernel/mm/hugepages/hugepages-<size>kB/{nr,free}_hugepages, and the
 * hugetlbfs mounts DMA memory is taken from.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "setup.h"
#include "sys.h"

#define SETUP_MAX_SIZES 8
#define SETUP_MAX_MOUNTS 16

unsigned long setup_parse_size(const char *s)
{
	unsigned long v, mult;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v == 0)
		return 0;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		mult = 1;
		break;
	case 'm':
		mult = 1024;
		break;
	case 'g':
		mult = 1024 * 1024;
		break;
	default:
		return 0;
	}
	end++;
	if (tolower((unsigned char)*end) == 'b')
		end++;
	if (*end || v > ULONG_MAX / mult)
		return 0;
	return v * mult;
}

const char *setup_size_name(unsigned long size_kb, char *buf, size_t len)
{
	if (size_kb % (1024 * 1024) == 0)
		snprintf(buf, len, "%luG", size_kb / (1024 * 1024));
	else if (size_kb % 1024 == 0)
		snprintf(buf, len, "%luM", size_kb / 1024);
	else
		snprintf(buf, len, "%lukB", size_kb);
	return buf;
}

static int read_ulong(const char *rel, unsigned long *v)
{
	char buf[32], *end;
	int ret = udrvi_sysfs_read(rel, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	errno = 0;
	*v = strtoul(buf, &end, 10);
	return errno || end == buf || *end ? -EINVAL : 0;
}

static int read_hp(unsigned long size_kb, struct setup_hp_size *hp)
{
	char rel[96];
	int ret;

	hp->size_kb = size_kb;
	snprintf(rel, sizeof(rel), "kernel/mm/hugepages/hugepages-%lukB/nr_hugepages", size_kb);
	ret = read_ulong(rel, &hp->nr);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "kernel/mm/hugepages/hugepages-%lukB/free_hugepages", size_kb);
	return read_ulong(rel, &hp->free);
}

static int hp_cmp(const void *a, const void *b)
{
	const struct setup_hp_size *x = a, *y = b;

	return x->size_kb < y->size_kb ? -1 : x->size_kb > y->size_kb;
}

int setup_hp_sizes(struct setup_hp_size *out, int max)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned long kb;
	int n = 0;
	char tail;
	DIR *d;

	snprintf(path, sizeof(path), "%s/kernel/mm/hugepages", udrvi_sysfs_root);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		if (sscanf(de->d_name, "hugepages-%lukB%c", &kb, &tail) != 1)
			continue;
		if (read_hp(kb, &out[n]) == 0)
			n++;
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(*out), hp_cmp);
	return n;
}

/* The default hugepage size (what a hugetlbfs mount without pagesize= uses). */
static unsigned long default_hp_kb(void)
{
	unsigned long kb = 2048;
	char *meminfo, *p;

	if (setup_proc_read("meminfo", &meminfo))
		return kb;
	p = strstr(meminfo, "Hugepagesize:");
	if (p)
		sscanf(p, "Hugepagesize: %lu kB", &kb);
	free(meminfo);
	return kb;
}

int setup_hugetlbfs_mounts(struct setup_mount *out, int max)
{
	char *mounts, *line, *save = NULL;
	int n = 0, ret;

	ret = setup_proc_read("mounts", &mounts);
	if (ret)
		return ret;
	for (line = strtok_r(mounts, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char src[256], path[256], type[64], opts[512], *o, *osave = NULL;
		unsigned long kb = 0;

		if (sscanf(line, "%255s %255s %63s %511s", src, path, type, opts) != 4 ||
		    strcmp(type, "hugetlbfs"))
			continue;
		for (o = strtok_r(opts, ",", &osave); o; o = strtok_r(NULL, ",", &osave))
			if (!strncmp(o, "pagesize=", 9))
				kb = setup_parse_size(o + 9);
		setup_unescape_mount(path);
		snprintf(out[n].path, sizeof(out[n].path), "%s", path);
		out[n].pagesize_kb = kb ? kb : default_hp_kb();
		n++;
	}
	free(mounts);
	return n;
}

static bool path_is_mounted(const char *path)
{
	char *mounts, *line, *save = NULL;
	bool found = false;

	if (setup_proc_read("mounts", &mounts))
		return false;
	for (line = strtok_r(mounts, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char src[256], mnt[256];

		if (sscanf(line, "%255s %255s", src, mnt) != 2)
			continue;
		setup_unescape_mount(mnt);
		found = !strcmp(mnt, path);
	}
	free(mounts);
	return found;
}

static void list_sizes(char *buf, size_t len)
{
	struct setup_hp_size hp[SETUP_MAX_SIZES];
	char name[32];
	int i, n = setup_hp_sizes(hp, SETUP_MAX_SIZES);

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		setup_list_add(buf, len, setup_size_name(hp[i].size_kb, name, sizeof(name)));
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* Make sure a hugetlbfs of this page size is mounted; mount one if not. */
static int ensure_mount(unsigned long size_kb, FILE *out, FILE *err)
{
	struct setup_mount m[SETUP_MAX_MOUNTS];
	char path[PATH_MAX], name[32], opt[48];
	int i, n, ret;

	n = setup_hugetlbfs_mounts(m, SETUP_MAX_MOUNTS);
	for (i = 0; i < n; i++) {
		if (m[i].pagesize_kb == size_kb) {
			fprintf(out, "hugetlbfs for %s pages is mounted at %s\n",
				setup_size_name(size_kb, name, sizeof(name)), m[i].path);
			return 0;
		}
	}
	setup_size_name(size_kb, name, sizeof(name));
	/* /dev/hugepages is where systemd and DPDK look; other sizes get their own. */
	snprintf(path, sizeof(path), "%s/hugepages", udrvi_dev_root);
	if (size_kb != 2048 || path_is_mounted(path))
		snprintf(path, sizeof(path), "%s/hugepages-%s", udrvi_dev_root, name);
	snprintf(opt, sizeof(opt), "pagesize=%s", name);
	ret = setup_hooks.mount_hugetlbfs(path, opt);
	if (ret) {
		fprintf(err,
			"udrv-setup: could not mount hugetlbfs at %s: %s\n"
			"  mount it yourself: mkdir -p %s && mount -t hugetlbfs -o %s nodev %s\n",
			path, strerror(-ret), path, opt, path);
		return ret;
	}
	fprintf(out, "mounted hugetlbfs (%s) at %s\n", opt, path);
	return 0;
}

/* A value from <proc>/meminfo in kB ("MemAvailable"); -1 if absent. */
static long long meminfo_kb(const char *meminfo, const char *key)
{
	char pat[64];
	const char *p;
	long long v;

	snprintf(pat, sizeof(pat), "\n%s:", key);
	p = strstr(meminfo, pat);
	if (!p && !strncmp(meminfo, pat + 1, strlen(pat + 1)))
		p = meminfo - 1;
	if (!p || sscanf(p + strlen(pat), " %lld kB", &v) != 1)
		return -1;
	return v;
}

/*
 * What the system keeps for the kernel and programs: an eighth of its
 * memory, at least 256 MiB and at most 4 GiB. Hugepages are taken from
 * MemAvailable; a reservation that leaves less gets processes OOM-killed
 * (1,380 MiB reserved in a 1.5 GiB guest did).
 */
static unsigned long long keep_free_kb(unsigned long long total_kb)
{
	unsigned long long keep = total_kb / 8;

	if (keep < 256 * 1024)
		keep = 256 * 1024;
	if (keep > 4 * 1024 * 1024)
		keep = 4 * 1024 * 1024;
	return keep;
}

/* Refuse a reservation memory cannot hold, naming the largest that fits.
 * 0 when it fits (or meminfo cannot be read: the kernel then decides). */
static int check_memory(unsigned long count, const struct setup_hp_size *hp, FILE *err)
{
	unsigned long long avail, total, keep, grow_max, max_count;
	char name[32];
	char *meminfo;
	long long a, t;

	if (count <= hp->nr || setup_proc_read("meminfo", &meminfo))
		return 0;
	a = meminfo_kb(meminfo, "MemAvailable");
	t = meminfo_kb(meminfo, "MemTotal");
	free(meminfo);
	if (a < 0 || t <= 0)
		return 0;
	avail = (unsigned long long)a;
	total = (unsigned long long)t;
	keep = keep_free_kb(total);
	grow_max = avail > keep ? (avail - keep) / hp->size_kb : 0;
	if (count - hp->nr <= grow_max)
		return 0;
	max_count = hp->nr + grow_max;
	setup_size_name(hp->size_kb, name, sizeof(name));
	fprintf(err,
		"udrv-setup: %lu %s hugepages (%llu MiB) do not fit: %llu MiB of memory is available\n"
		"  (MemAvailable, %lu of these pages reserved now) and the system keeps %llu MiB for\n"
		"  the kernel and programs (an eighth of its %llu MiB, 256 MiB to 4 GiB).\n"
		"  The most that fits is %llu: udrv-setup hugepages %llu --size %s\n"
		"  Free memory first, or give --force to reserve anyway (the OOM killer may then\n"
		"  end programs). Nothing was changed.\n",
		count, name, (unsigned long long)count * hp->size_kb / 1024, avail / 1024, hp->nr,
		keep / 1024, total / 1024, max_count, max_count, name);
	return -ENOMEM;
}

int setup_hugepages(unsigned long count, unsigned long size_kb, bool force, FILE *out, FILE *err)
{
	struct setup_hp_size hp;
	char rel[96], val[32], name[32], sizes[128], human[32];
	unsigned long before;
	int ret;

	setup_size_name(size_kb, name, sizeof(name));
	if (read_hp(size_kb, &hp)) {
		list_sizes(sizes, sizeof(sizes));
		fprintf(err,
			"udrv-setup: this kernel offers no %s hugepages (no %s/kernel/mm/hugepages/hugepages-%lukB)\n"
			"  sizes available: %s. 1G pages need CPU support (pdpe1gb) and, to reserve\n"
			"  many, the kernel command line: default_hugepagesz=1G hugepagesz=1G hugepages=N\n",
			name, udrvi_sysfs_root, size_kb, sizes);
		return SETUP_EXIT_ERROR;
	}
	if (!setup_hooks.is_root()) {
		fprintf(err,
			"udrv-setup: reserving hugepages writes %s/kernel/mm/hugepages and needs root:\n"
			"  sudo udrv-setup hugepages %lu --size %s\n",
			udrvi_sysfs_root, count, name);
		return SETUP_EXIT_ERROR;
	}
	if (!force && check_memory(count, &hp, err))
		return SETUP_EXIT_ERROR;
	before = hp.nr;
	snprintf(rel, sizeof(rel), "kernel/mm/hugepages/hugepages-%lukB/nr_hugepages", size_kb);
	snprintf(val, sizeof(val), "%lu", count);
	ret = setup_hooks.sysfs_write(rel, val);
	if (ret) {
		fprintf(err, "udrv-setup: writing %lu to %s/%s failed: %s\n", count, udrvi_sysfs_root,
			rel, strerror(-ret));
		return SETUP_EXIT_ERROR;
	}
	ret = read_hp(size_kb, &hp);
	if (ret) {
		fprintf(err, "udrv-setup: reading back %s/%s failed: %s\n", udrvi_sysfs_root, rel,
			strerror(-ret));
		return SETUP_EXIT_ERROR;
	}
	if (hp.nr < count) {
		/* All or nothing: a partial reservation holds memory nobody
		 * asked for. Give it back. */
		unsigned long got = hp.nr;

		fprintf(err,
			"udrv-setup: the kernel reserved only %lu of the %lu %s pages asked for: there is\n"
			"  not enough free contiguous memory. Free some (stop programs, or\n"
			"  echo 3 > /proc/sys/vm/drop_caches; echo 1 > /proc/sys/vm/compact_memory) and\n"
			"  retry, ask for fewer (udrv-setup hugepages %lu --size %s), or reserve at\n"
			"  boot: hugepagesz=%s hugepages=%lu on the kernel command line.\n",
			got, count, name, got, name, name, count);
		snprintf(val, sizeof(val), "%lu", before);
		ret = setup_hooks.sysfs_write(rel, val);
		if (ret == 0)
			ret = read_hp(size_kb, &hp);
		if (ret == 0 && hp.nr == before)
			fprintf(err, "  The partial reservation was rolled back: %lu %s pages reserved, "
				"as before.\n", before, name);
		else
			fprintf(err, "  Rolling the reservation back to %lu failed (%s): %s/%s holds "
				"%lu.\n", before, ret ? strerror(-ret) : "the kernel kept more",
				udrvi_sysfs_root, rel, hp.nr);
		return SETUP_EXIT_ERROR;
	}
	fprintf(out, "%s hugepages: %lu reserved (%s), %lu free\n", name, hp.nr,
		setup_human_bytes((unsigned long long)hp.nr * size_kb * 1024, human, sizeof(human)),
		hp.free);
	if (hp.nr > 0 && ensure_mount(size_kb, out, err))
		ret = SETUP_EXIT_ERROR;
	return ret ? SETUP_EXIT_ERROR : SETUP_EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
/*
 * Is a device in use by the kernel side? Taking an NVMe controller with a
 * mounted filesystem, or the NIC a machine is reached through, away from its
 * kernel driver loses data or the connection, so bind refuses unless --force.
 *
 * NVMe: bus/pci/devices/BDF/nvme/nvmeX/ lists the namespaces, as nvmeXnY or,
 * with native multipath, as nvmeAcBnC whose block device is nvmeAnC.
 * Net: bus/pci/devices/BDF/net/IF, or BDF/virtioN/net/IF for virtio-net.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "setup.h"
#include "sys.h"

typedef int (*name_fn)(const char *name, void *arg);

static DIR *open_sys_dir(const char *fmt, const char *a, const char *b)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/", udrvi_sysfs_root);

	snprintf(path + n, sizeof(path) - (size_t)n, fmt, a, b);
	return opendir(path);
}

/* The block devices of an NVMe controller's namespaces. */
static int foreach_nvme_block(const struct udrvi_pci_info *info, name_fn fn, void *arg)
{
	struct dirent *ce, *ne;
	DIR *cd, *nd;
	int ret = 0;

	cd = open_sys_dir("bus/pci/devices/%s/nvme%s", info->name, "");
	if (!cd)
		return 0;
	while (!ret && (ce = readdir(cd))) {
		if (strncmp(ce->d_name, "nvme", 4))
			continue;
		nd = open_sys_dir("bus/pci/devices/%s/nvme/%s", info->name, ce->d_name);
		if (!nd)
			continue;
		while (!ret && (ne = readdir(nd))) {
			char blk[64];
			int a, c, ns;
			char tail;

			if (sscanf(ne->d_name, "nvme%dc%dn%d%c", &a, &c, &ns, &tail) == 3)
				snprintf(blk, sizeof(blk), "nvme%dn%d", a, ns);
			else if (sscanf(ne->d_name, "nvme%dn%d%c", &a, &ns, &tail) == 2)
				snprintf(blk, sizeof(blk), "nvme%dn%d", a, ns);
			else
				continue;
			ret = fn(blk, arg);
		}
		closedir(nd);
	}
	closedir(cd);
	return ret;
}

static int foreach_iface_in(const char *rel, const struct udrvi_pci_info *info, name_fn fn,
			    void *arg)
{
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = open_sys_dir("bus/pci/devices/%s/%s", info->name, rel);
	if (!d)
		return 0;
	while (!ret && (de = readdir(d)))
		if (de->d_name[0] != '.')
			ret = fn(de->d_name, arg);
	closedir(d);
	return ret;
}

/* The network interfaces of a NIC, including those behind a virtio device. */
static int foreach_iface(const struct udrvi_pci_info *info, name_fn fn, void *arg)
{
	char rel[300];
	struct dirent *de;
	int ret;
	DIR *d;

	ret = foreach_iface_in("net", info, fn, arg);
	if (ret)
		return ret;
	d = open_sys_dir("bus/pci/devices/%s%s", info->name, "");
	if (!d)
		return 0;
	while (!ret && (de = readdir(d))) {
		if (strncmp(de->d_name, "virtio", 6) || !isdigit((unsigned char)de->d_name[6]))
			continue;
		snprintf(rel, sizeof(rel), "%s/net", de->d_name);
		ret = foreach_iface_in(rel, info, fn, arg);
	}
	closedir(d);
	return ret;
}

struct names {
	char *buf;
	size_t len;
	int n;
};

static int add_name(const char *name, void *arg)
{
	struct names *nm = arg;

	setup_list_add(nm->buf, nm->len, name);
	nm->n++;
	return 0;
}

int setup_kernel_names(const struct udrvi_pci_info *info, char *buf, size_t len)
{
	struct names nm = { buf, len, 0 };

	buf[0] = '\0';
	switch (setup_kind_of(info->class_code)) {
	case SETUP_KIND_NVME:
		foreach_nvme_block(info, add_name, &nm);
		break;
	case SETUP_KIND_NET:
		foreach_iface(info, add_name, &nm);
		break;
	default:
		break;
	}
	return nm.n;
}

/* "/dev/nvme0n1" or "/dev/nvme0n1pN" */
static bool is_blk_or_part(const char *dev, const char *blk)
{
	size_t n = strlen(blk);
	const char *p;

	if (strncmp(dev, "/dev/", 5) || strncmp(dev + 5, blk, n))
		return false;
	p = dev + 5 + n;
	if (!*p)
		return true;
	if (*p++ != 'p' || !*p)
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	return !*p;
}

struct why {
	char *buf;
	size_t len;
	int n;
};

static void why_add(struct why *w, const char *item)
{
	setup_list_add(w->buf, w->len, item);
	w->n++;
}

static void check_mounts(const char *blk, struct why *w)
{
	char *txt, *line, *save = NULL, item[600];

	if (setup_proc_read("mounts", &txt) == 0) {
		for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char src[256], mnt[256];

			if (sscanf(line, "%255s %255s", src, mnt) != 2 || !is_blk_or_part(src, blk))
				continue;
			setup_unescape_mount(mnt);
			snprintf(item, sizeof(item), "%s is mounted on %s", src, mnt);
			why_add(w, item);
		}
		free(txt);
	}
	if (setup_proc_read("swaps", &txt) == 0) {
		for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char src[256];

			if (sscanf(line, "%255s", src) != 1 || !is_blk_or_part(src, blk))
				continue;
			snprintf(item, sizeof(item), "%s is used as swap", src);
			why_add(w, item);
		}
		free(txt);
	}
}

/* class/block/<blk>[/<part>]/holders: device-mapper (LVM, dm-crypt) or md
 * on top of the namespace or one of its partitions. */
static void check_holders_of(const char *blk, const char *part, struct why *w)
{
	char item[600];
	struct dirent *de;
	DIR *d;

	d = open_sys_dir(part[0] ? "class/block/%s/%s/holders" : "class/block/%s%s/holders", blk,
			 part);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(item, sizeof(item), "%s is held by %s (LVM, dm-crypt or md)",
			 part[0] ? part : blk, de->d_name);
		why_add(w, item);
	}
	closedir(d);
}

static int check_block(const char *blk, void *arg)
{
	struct why *w = arg;
	size_t n = strlen(blk);
	struct dirent *de;
	DIR *d;

	check_mounts(blk, w);
	check_holders_of(blk, "", w);
	d = open_sys_dir("class/block/%s%s", blk, "");
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, blk, n) && de->d_name[n] == 'p')
			check_holders_of(blk, de->d_name, w);
	closedir(d);
	return 0;
}

static int check_iface(const char *ifname, void *arg)
{
	struct why *w = arg;
	char addrs[256], item[400];
	int n = setup_hooks.iface_addrs(ifname, addrs, sizeof(addrs));

	if (n > 0) {
		snprintf(item, sizeof(item), "interface %s has address%s %s", ifname,
			 n > 1 ? "es" : "", addrs);
		why_add(w, item);
	}
	return 0;
}

int setup_device_in_use(const struct udrvi_pci_info *info, char *why, size_t len)
{
	struct why w = { why, len, 0 };

	why[0] = '\0';
	switch (setup_kind_of(info->class_code)) {
	case SETUP_KIND_NVME:
		foreach_nvme_block(info, check_block, &w);
		break;
	case SETUP_KIND_NET:
		foreach_iface(info, check_iface, &w);
		break;
	default:
		break;
	}
	return w.n > 0;
}

int setup_group_users(int group, char *buf, size_t len)
{
	char want[PATH_MAX], dir[1024], link[PATH_MAX], target[PATH_MAX], item[320];
	struct dirent *pe, *fe;
	DIR *pd, *fd;
	int n = 0;

	buf[0] = '\0';
	snprintf(want, sizeof(want), "%s/vfio/%d", udrvi_dev_root, group);
	pd = opendir(setup_proc_root);
	if (!pd)
		return 0;
	while ((pe = readdir(pd))) {
		char *comm = NULL, *nl, rel[300];
		bool holds = false;

		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/fd", setup_proc_root, pe->d_name);
		fd = opendir(dir);
		if (!fd)
			continue; /* gone, or not ours to look at */
		while (!holds && (fe = readdir(fd))) {
			ssize_t l;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, fe->d_name);
			l = readlink(link, target, sizeof(target) - 1);
			if (l <= 0)
				continue;
			target[l] = '\0';
			holds = !strcmp(target, want);
		}
		closedir(fd);
		if (!holds)
			continue;
		snprintf(rel, sizeof(rel), "%s/comm", pe->d_name);
		if (setup_proc_read(rel, &comm) == 0 && (nl = strchr(comm, '\n')))
			*nl = '\0';
		snprintf(item, sizeof(item), "%s (%.32s)", pe->d_name, comm ? comm : "?");
		free(comm);
		setup_list_add(buf, len, item);
		n++;
	}
	closedir(pd);
	return n;
}

/* SPDX-License-Identifier: MIT */
/*
 * udrv-setup status: what stands between this machine and udrv, as text or
 * JSON. Gathered first into plain structs, then printed.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "setup.h"
#include "sys.h"

#define MAX_SIZES 8
#define MAX_MOUNTS 16
#define MAX_BLOCKERS 16

struct blocker {
	char bdf[UDRV_BDF_STRLEN];
	char driver[64];
};

struct dev_status {
	struct udrvi_pci_info info;
	enum setup_kind kind;
	const char *name;
	char kernel_names[256];
	int viable; /* -1 no group; 0 no; 1 yes */
	struct blocker blockers[MAX_BLOCKERS];
	int nblockers;
	bool in_use;
	char in_use_why[512];
};

struct status {
	struct dev_status *devs;
	int ndevs, cap;
	struct setup_hp_size hp[MAX_SIZES];
	int nhp;
	struct setup_mount mounts[MAX_MOUNTS];
	int nmounts;
	int iommus, groups;
	bool iommu_on;
	const char *iommu_hint;
	bool dev_vfio, vfio_pci;
	struct rlimit memlock;
};

/* The group is viable for this device when every OTHER member allows VFIO:
 * the device itself is about to be bound. */
static void group_state(struct dev_status *d)
{
	struct udrv_bdf members[64];
	struct udrvi_pci_info m;
	int i, n;

	d->viable = -1;
	if (d->info.iommu_group < 0)
		return;
	n = udrvi_sysfs_group_devices(d->info.iommu_group, members, 64);
	if (n < 0)
		return;
	d->viable = 1;
	for (i = 0; i < n && i < 64; i++) {
		if (members[i].domain == d->info.bdf.domain && members[i].bus == d->info.bdf.bus &&
		    members[i].dev == d->info.bdf.dev && members[i].fn == d->info.bdf.fn)
			continue;
		if (udrvi_sysfs_pci_info(&members[i], &m) || udrvi_sysfs_driver_allows_vfio(&m))
			continue;
		d->viable = 0;
		if (d->nblockers < MAX_BLOCKERS) {
			struct blocker *b = &d->blockers[d->nblockers++];

			memcpy(b->bdf, m.name, sizeof(b->bdf));
			snprintf(b->driver, sizeof(b->driver), "%s", m.driver);
		}
	}
}

static int collect_dev(const struct udrvi_pci_info *info, void *arg)
{
	struct status *st = arg;
	enum setup_kind kind = setup_kind_of(info->class_code);
	struct dev_status *d;

	if (kind == SETUP_KIND_OTHER)
		return 0;
	if (st->ndevs == st->cap) {
		/* Grows: a NIC with SR-IOV can bring hundreds of functions. */
		int cap = st->cap ? st->cap * 2 : 16;
		struct dev_status *nd = realloc(st->devs, sizeof(*nd) * (size_t)cap);

		if (!nd)
			return -ENOMEM;
		st->devs = nd;
		st->cap = cap;
	}
	d = &st->devs[st->ndevs++];
	memset(d, 0, sizeof(*d));
	d->info = *info;
	d->kind = kind;
	d->name = setup_device_name(info->vendor, info->device, info->class_code);
	setup_kernel_names(info, d->kernel_names, sizeof(d->kernel_names));
	group_state(d);
	if (info->driver[0] && strcmp(info->driver, "vfio-pci"))
		d->in_use = setup_device_in_use(info, d->in_use_why, sizeof(d->in_use_why)) > 0;
	return 0;
}

static int count_entries(const char *rel)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", udrvi_sysfs_root, rel);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

static bool exists(const char *root, const char *rel)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &sb) == 0;
}

static int gather(struct status *st, FILE *err)
{
	int ret;

	ret = udrvi_sysfs_pci_foreach(collect_dev, st);
	if (ret) {
		fprintf(err, "udrv-setup: reading %s/bus/pci/devices failed: %s\n", udrvi_sysfs_root,
			strerror(-ret));
		return ret;
	}
	st->nhp = setup_hp_sizes(st->hp, MAX_SIZES);
	if (st->nhp < 0)
		st->nhp = 0;
	st->nmounts = setup_hugetlbfs_mounts(st->mounts, MAX_MOUNTS);
	if (st->nmounts < 0)
		st->nmounts = 0;
	st->iommus = count_entries("class/iommu");
	st->groups = count_entries("kernel/iommu_groups");
	st->iommu_on = st->iommus > 0 || st->groups > 0;
	st->iommu_hint = st->iommu_on ? NULL : setup_iommu_hint();
	st->dev_vfio = exists(udrvi_dev_root, "vfio/vfio");
	st->vfio_pci = exists(udrvi_sysfs_root, "bus/pci/drivers/vfio-pci") ||
		       exists(udrvi_sysfs_root, "module/vfio_pci");
	if (getrlimit(RLIMIT_MEMLOCK, &st->memlock) < 0)
		st->memlock.rlim_cur = st->memlock.rlim_max = 0;
	return 0;
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_str_or_null(FILE *f, const char *s)
{
	if (s && *s)
		json_str(f, s);
	else
		fputs("null", f);
}

static void json_limit(FILE *f, rlim_t v)
{
	if (v == RLIM_INFINITY)
		fputs("null", f);
	else
		fprintf(f, "%llu", (unsigned long long)v);
}

static void json_names(FILE *f, const char *list)
{
	char copy[256], *tok, *save = NULL;
	bool first = true;

	snprintf(copy, sizeof(copy), "%s", list);
	fputc('[', f);
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		fputs(first ? "" : ", ", f);
		json_str(f, tok);
		first = false;
	}
	fputc(']', f);
}

static void print_json(const struct status *st, FILE *out)
{
	char size[32];
	int i, j;

	fputs("{\n  \"devices\": [", out);
	for (i = 0; i < st->ndevs; i++) {
		const struct dev_status *d = &st->devs[i];

		fprintf(out, "%s\n    {\"bdf\": \"%s\", \"type\": \"%s\", \"vendor\": \"%04x\", "
			"\"device\": \"%04x\", \"class\": \"%06x\", \"name\": ",
			i ? "," : "", d->info.name, d->kind == SETUP_KIND_NVME ? "nvme" : "net",
			d->info.vendor, d->info.device, d->info.class_code);
		json_str(out, d->name);
		fputs(", \"driver\": ", out);
		json_str_or_null(out, d->info.driver);
		if (d->info.iommu_group >= 0)
			fprintf(out, ", \"iommu_group\": %d", d->info.iommu_group);
		else
			fputs(", \"iommu_group\": null", out);
		fprintf(out, ", \"group_viable\": %s, \"group_blockers\": [",
			d->viable < 0 ? "null" : d->viable ? "true" : "false");
		for (j = 0; j < d->nblockers; j++) {
			fprintf(out, "%s{\"bdf\": \"%s\", \"driver\": ", j ? ", " : "",
				d->blockers[j].bdf);
			json_str(out, d->blockers[j].driver);
			fputc('}', out);
		}
		fprintf(out, "], \"numa_node\": %d, \"kernel_names\": ", d->info.numa_node);
		json_names(out, d->kernel_names);
		fprintf(out, ", \"in_use\": %s, \"in_use_reason\": ", d->in_use ? "true" : "false");
		json_str_or_null(out, d->in_use ? d->in_use_why : NULL);
		fputc('}', out);
	}
	fputs(st->ndevs ? "\n  ],\n" : "],\n", out);

	fputs("  \"hugepages\": [", out);
	for (i = 0; i < st->nhp; i++)
		fprintf(out, "%s\n    {\"size\": \"%s\", \"size_kb\": %lu, \"nr\": %lu, \"free\": %lu}",
			i ? "," : "", setup_size_name(st->hp[i].size_kb, size, sizeof(size)),
			st->hp[i].size_kb, st->hp[i].nr, st->hp[i].free);
	fputs(st->nhp ? "\n  ],\n" : "],\n", out);

	fputs("  \"hugetlbfs_mounts\": [", out);
	for (i = 0; i < st->nmounts; i++) {
		fprintf(out, "%s\n    {\"path\": ", i ? "," : "");
		json_str(out, st->mounts[i].path);
		fprintf(out, ", \"pagesize_kb\": %lu}", st->mounts[i].pagesize_kb);
	}
	fputs(st->nmounts ? "\n  ],\n" : "],\n", out);

	fprintf(out, "  \"iommu\": {\"enabled\": %s, \"iommus\": %d, \"groups\": %d, \"hint\": ",
		st->iommu_on ? "true" : "false", st->iommus, st->groups);
	json_str_or_null(out, st->iommu_hint);
	fprintf(out, "},\n  \"vfio\": {\"dev_vfio_vfio\": %s, \"vfio_pci_loaded\": %s},\n",
		st->dev_vfio ? "true" : "false", st->vfio_pci ? "true" : "false");
	fputs("  \"memlock\": {\"soft\": ", out);
	json_limit(out, st->memlock.rlim_cur);
	fputs(", \"hard\": ", out);
	json_limit(out, st->memlock.rlim_max);
	fputs("}\n}\n", out);
}

/* ---- text ---- */

static void print_limit(FILE *out, rlim_t v)
{
	char buf[32];

	if (v == RLIM_INFINITY)
		fputs("unlimited", out);
	else
		fputs(setup_human_bytes((unsigned long long)v, buf, sizeof(buf)), out);
}

static void print_devs(const struct status *st, enum setup_kind kind, const char *title,
		       FILE *out)
{
	char id[16], group[16], viable[600];
	int i, j, n = 0;

	fprintf(out, "%s:\n", title);
	for (i = 0; i < st->ndevs; i++) {
		const struct dev_status *d = &st->devs[i];

		if (d->kind != kind)
			continue;
		if (n++ == 0)
			fprintf(out, "  %-12s  %-9s  %-30s  %-12s  %-5s  %s\n", "BDF", "ID", "NAME",
				"DRIVER", "GROUP", "VIABLE");
		snprintf(id, sizeof(id), "%04x:%04x", d->info.vendor, d->info.device);
		if (d->info.iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", d->info.iommu_group);
		else
			snprintf(group, sizeof(group), "-");
		if (d->viable < 0) {
			snprintf(viable, sizeof(viable), "no IOMMU group");
		} else if (d->viable) {
			snprintf(viable, sizeof(viable), "yes");
		} else {
			snprintf(viable, sizeof(viable), "no: also ");
			for (j = 0; j < d->nblockers; j++) {
				char item[96];

				snprintf(item, sizeof(item), "%s%s (%s)", j ? ", " : "",
					 d->blockers[j].bdf, d->blockers[j].driver);
				strncat(viable, item, sizeof(viable) - strlen(viable) - 1);
			}
		}
		fprintf(out, "  %-12s  %-9s  %-30s  %-12s  %-5s  %s\n", d->info.name, id, d->name,
			d->info.driver[0] ? d->info.driver : "-", group, viable);
		if (d->kernel_names[0])
			fprintf(out, "  %-12s  %s%s%s\n", "", d->kernel_names, d->in_use ? ": in use, " : "",
				d->in_use ? d->in_use_why : "");
	}
	if (n == 0)
		fprintf(out, "  none\n");
}

static void print_text(const struct status *st, FILE *out)
{
	char size[32], human[32];
	int i;

	print_devs(st, SETUP_KIND_NVME, "NVMe controllers", out);
	print_devs(st, SETUP_KIND_NET, "Ethernet controllers", out);

	fprintf(out, "\nHugepages:\n");
	if (st->nhp == 0)
		fprintf(out, "  this kernel offers none (no %s/kernel/mm/hugepages)\n", udrvi_sysfs_root);
	for (i = 0; i < st->nhp; i++)
		fprintf(out, "  %-4s  %lu reserved (%s), %lu free\n",
			setup_size_name(st->hp[i].size_kb, size, sizeof(size)), st->hp[i].nr,
			setup_human_bytes((unsigned long long)st->hp[i].nr * st->hp[i].size_kb * 1024,
					  human, sizeof(human)),
			st->hp[i].free);
	if (st->nmounts == 0)
		fprintf(out, "  hugetlbfs: not mounted (udrv-setup hugepages COUNT mounts it)\n");
	for (i = 0; i < st->nmounts; i++)
		fprintf(out, "  hugetlbfs: %s (%s pages)\n", st->mounts[i].path,
			setup_size_name(st->mounts[i].pagesize_kb, size, sizeof(size)));

	fprintf(out, "\nIOMMU: ");
	if (st->iommu_on)
		fprintf(out, "on (%d IOMMU%s, %d groups)\n", st->iommus, st->iommus == 1 ? "" : "s",
			st->groups);
	else
		fprintf(out, "off: no IOMMU groups, so no device can be used through VFIO.\n"
			     "  To turn it on: %s.\n", st->iommu_hint);
	fprintf(out, "VFIO: %s/vfio/vfio %s; vfio-pci %s\n", udrvi_dev_root,
		st->dev_vfio ? "present" : "missing", st->vfio_pci ? "loaded" : "not loaded");
	if (!st->vfio_pci || !st->dev_vfio)
		fprintf(out, "  load it with: modprobe vfio-pci (udrv-setup bind does it)%s\n",
			st->iommu_on ? "" : "; it needs the IOMMU on");
	fprintf(out, "RLIMIT_MEMLOCK: ");
	print_limit(out, st->memlock.rlim_cur);
	fprintf(out, " (hard ");
	print_limit(out, st->memlock.rlim_max);
	fprintf(out, ")");
	if (st->memlock.rlim_cur != RLIM_INFINITY && st->memlock.rlim_cur < 1024ull * 1024 * 1024) {
		if (setup_hooks.is_root())
			fprintf(out, ": root is not limited (CAP_IPC_LOCK)");
		else
			fprintf(out, ": VFIO pins all DMA memory; raise it to at least the DMA\n"
				     "  memory size with ulimit -l or /etc/security/limits.conf");
	}
	fprintf(out, "\n");
}

int setup_status(bool json, FILE *out, FILE *err)
{
	struct status st;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = gather(&st, err);
	if (ret == 0) {
		if (json)
			print_json(&st, out);
		else
			print_text(&st, out);
	}
	free(st.devs);
	return ret ? SETUP_EXIT_ERROR : SETUP_EXIT_OK;
}

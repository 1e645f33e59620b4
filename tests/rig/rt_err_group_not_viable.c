/* SPDX-License-Identifier: MIT */
/*
 * dev_open__group_not_viable_names_the_other_devices: a device on vfio-pci
 * whose IOMMU group also holds a device on another kernel driver
 * (UDRV_TEST_NONVIABLE; the rig's --nonviable-group puts an NVMe controller
 * and a virtio-net port behind one PCIe-to-PCI bridge) fails to open with
 * -EBUSY, and the error names every such device and its driver.
 */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>

#include "rigtest.h"

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN], dir[PATH_MAX], link[PATH_MAX], path[PATH_MAX * 2];
	struct udrv_dev *dev = NULL;
	struct dirent *de;
	int rc, others = 0;
	DIR *d;

	rt_bdfs("UDRV_TEST_NONVIABLE", bdfs, 1);
	rc = udrv_dev_open(bdfs[0], &dev);
	printf("udrv_dev_open(%s) = %d; last error: %s\n", bdfs[0], rc, udrv_last_error());
	RT_CHECK(rc == -EBUSY, "expected -EBUSY, got %d", rc);
	RT_CHECK(dev == NULL, "*out must be NULL on failure");

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/iommu_group/devices", bdfs[0]);
	d = opendir(dir);
	RT_CHECK(d, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, bdfs[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s/driver", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue; /* no driver (a bridge): does not spoil viability */
		link[n] = 0;
		if (!strcmp(basename(link), "vfio-pci"))
			continue;
		printf("  %s in the same group is bound to %s\n", de->d_name, basename(link));
		RT_CHECK(rt_error_mentions(de->d_name), "the error must name %s", de->d_name);
		RT_CHECK(rt_error_mentions(basename(link)), "the error must name its driver %s",
			 basename(link));
		others++;
	}
	closedir(d);
	RT_CHECK(others > 0, "%s's group is viable: nothing to test", bdfs[0]);
	udrv_fini();
	return 0;
}

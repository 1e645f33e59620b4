/* SPDX-License-Identifier: MIT */
/*
 * dev_open__opens_and_closes_each_nvme: every NVMe controller named in
 * UDRV_TEST_NVME opens through VFIO (container, group, device fd), reports
 * its name and PCI class, and closes; then all of them are open at once and
 * closed in reverse order, and the first opens again after the container was
 * released.
 */
#include "rigtest.h"

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	struct udrv_dev *dev[RT_MAX_BDFS];
	int n = rt_bdfs("UDRV_TEST_NVME", bdfs, 1);

	for (int i = 0; i < n; i++) {
		uint8_t class[3];
		uint16_t vendor, device;

		RT_OK(udrv_dev_open(bdfs[i], &dev[i]));
		RT_CHECK(!strcmp(udrv_dev_name(dev[i]), bdfs[i]), "name %s", udrv_dev_name(dev[i]));
		RT_CHECK(!udrv_dev_is_model(dev[i]), "a VFIO device is not a model");
		RT_OK(udrv_dev_ids(dev[i], &vendor, &device));
		RT_OK(udrv_dev_cfg_read(dev[i], 0x09, class, sizeof(class)));
		/* Class 01h (mass storage), subclass 08h (NVM), prog-if 02h (NVMe). */
		RT_CHECK(class[2] == 0x01 && class[1] == 0x08 && class[0] == 0x02,
			 "%s class %02x%02x%02x is not NVMe", bdfs[i], class[2], class[1], class[0]);
		printf("%s: %04x:%04x NVMe controller opened\n", bdfs[i], vendor, device);
		udrv_dev_close(dev[i]);
	}
	for (int i = 0; i < n; i++)
		RT_OK(udrv_dev_open(bdfs[i], &dev[i]));
	for (int i = n - 1; i >= 0; i--)
		udrv_dev_close(dev[i]);
	RT_OK(udrv_dev_open(bdfs[0], &dev[0]));
	udrv_dev_close(dev[0]);
	udrv_fini();
	printf("opened and closed %d controller(s)\n", n);
	return 0;
}

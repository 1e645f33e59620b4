/* SPDX-License-Identifier: MIT */
/*
 * cfg__reads_ids_and_toggles_bus_master: config space reads agree with
 * udrv_dev_ids, and udrv_dev_set_bus_master sets and clears bit 2 of the
 * command register.
 */
#include "rigtest.h"

static uint16_t command(struct udrv_dev *dev)
{
	uint16_t cmd;

	RT_OK(udrv_dev_cfg_read(dev, 0x04, &cmd, sizeof(cmd)));
	return cmd;
}

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	uint16_t ids[2], vendor, device, saved;
	struct udrv_dev *dev;

	rt_bdfs("UDRV_TEST_NVME", bdfs, 1);
	RT_OK(udrv_dev_open(bdfs[0], &dev));
	RT_OK(udrv_dev_cfg_read(dev, 0x00, ids, sizeof(ids)));
	RT_OK(udrv_dev_ids(dev, &vendor, &device));
	RT_CHECK(ids[0] == vendor && ids[1] == device, "cfg %04x:%04x ids %04x:%04x", ids[0], ids[1],
		 vendor, device);
	RT_CHECK(vendor != 0xffff, "vendor reads all ones");
	saved = command(dev);
	printf("%s: %04x:%04x command %#06x\n", bdfs[0], vendor, device, saved);

	RT_OK(udrv_dev_set_bus_master(dev, true));
	RT_CHECK(command(dev) & 0x4, "bus master bit not set: %#x", command(dev));
	RT_CHECK(command(dev) & 0x2, "memory space enable lost: %#x", command(dev));
	RT_OK(udrv_dev_set_bus_master(dev, false));
	RT_CHECK(!(command(dev) & 0x4), "bus master bit not cleared: %#x", command(dev));
	RT_OK(udrv_dev_set_bus_master(dev, true));
	RT_CHECK(command(dev) & 0x4, "bus master bit not set again");
	udrv_dev_close(dev);
	udrv_fini();
	return 0;
}

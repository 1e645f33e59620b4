/* SPDX-License-Identifier: MIT */
/*
 * dev_open__device_not_bound_to_vfio_fails_with_fix: opening a device that a
 * kernel driver owns (UDRV_TEST_NONVFIO; in the rig a peer NIC) fails with
 * -ENXIO or -ENODEV and the error tells the user to run udrv-setup bind.
 */
#include "rigtest.h"

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	struct udrv_dev *dev = (struct udrv_dev *)1;
	int rc;

	rt_bdfs("UDRV_TEST_NONVFIO", bdfs, 1);
	rc = udrv_dev_open(bdfs[0], &dev);
	printf("udrv_dev_open(%s) = %d; last error: %s\n", bdfs[0], rc, udrv_last_error());
	RT_CHECK(rc == -ENXIO || rc == -ENODEV, "expected -ENXIO or -ENODEV, got %d", rc);
	RT_CHECK(dev == NULL, "*out must be NULL on failure");
	RT_CHECK(rt_error_mentions("udrv-setup bind"), "the error must say how to bind");
	RT_CHECK(rt_error_mentions(bdfs[0]), "the error must name the device");
	udrv_fini();
	return 0;
}

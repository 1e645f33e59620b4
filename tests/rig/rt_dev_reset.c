/* SPDX-License-Identifier: MIT */
/*
 * dev_reset__disables_controller_and_device_works_after: an enabled NVMe
 * controller (admin queue set up, CC.EN=1, CSTS.RDY=1) is disabled by
 * udrv_dev_reset (CC and CSTS.RDY read 0), CAP and VS are unchanged, and the
 * controller comes up again and answers Identify through DMA. Skips when the
 * device has no reset method.
 */
#include "rigtest.h"
#include "rig_nvme.h"

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN], path[256], method[64] = "?";
	uint64_t cap, sq_iova, cq_iova;
	void *bar, *sq, *cq;
	struct udrv_dev *dev;
	uint8_t id[4096];
	uint32_t vs;
	size_t len;
	FILE *f;
	int rc;

	rt_bdfs("UDRV_TEST_NVME", bdfs, 1);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method", bdfs[0]);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(method, sizeof(method), f))
			snprintf(method, sizeof(method), "?");
		method[strcspn(method, "\n")] = 0;
		fclose(f);
	}
	RT_OK(udrv_dev_open(bdfs[0], &dev));
	RT_OK(udrv_dev_map_bar(dev, 0, &bar, &len));
	cap = udrv_mmio_read64(bar, RN_CAP);
	vs = udrv_mmio_read32(bar, RN_VS);

	/* Enable the controller with an (idle) admin queue pair. */
	RT_OK(udrv_dev_set_bus_master(dev, true));
	RT_OK(udrv_dma_alloc(4096, 4096, &sq, &sq_iova));
	RT_OK(udrv_dma_alloc(4096, 4096, &cq, &cq_iova));
	RT_OK(rn_disable(bar));
	udrv_mmio_write32(bar, RN_AQA, 1u << 16 | 1u);
	udrv_mmio_write64(bar, RN_ASQ, sq_iova);
	udrv_mmio_write64(bar, RN_ACQ, cq_iova);
	udrv_mmio_write32(bar, RN_CC, 6u << 16 | 4u << 20 | 1u);
	for (int i = 0; i < 10000000 && !(udrv_mmio_read32(bar, RN_CSTS) & 1); i++)
		;
	RT_CHECK(udrv_mmio_read32(bar, RN_CSTS) & 1, "controller did not become ready");

	rc = udrv_dev_reset(dev);
	if (rc == -ENOTTY) {
		udrv_dev_close(dev);
		rt_skip("the device has no reset method");
	}
	RT_OK(rc);
	RT_CHECK(udrv_mmio_read32(bar, RN_CC) == 0, "CC %#x after reset", udrv_mmio_read32(bar, RN_CC));
	RT_CHECK((udrv_mmio_read32(bar, RN_CSTS) & 1) == 0, "CSTS.RDY still set after reset");
	RT_CHECK(udrv_mmio_read64(bar, RN_CAP) == cap, "CAP changed across reset");
	RT_CHECK(udrv_mmio_read32(bar, RN_VS) == vs, "VS changed across reset");
	RT_OK(rn_identify(dev, bar, id));
	printf("%s: reset (kernel reset_method: %s) disabled the controller; Identify works after it\n",
	       bdfs[0], method);
	udrv_dma_free(sq);
	udrv_dma_free(cq);
	udrv_dev_close(dev);
	udrv_fini();
	return 0;
}

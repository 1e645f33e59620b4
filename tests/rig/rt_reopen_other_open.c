/* SPDX-License-Identifier: MIT */
/*
 * dev_close__other_device_undisturbed: with two controllers open, closing and
 * re-opening one leaves the other's BAR mapping, its DMA memory and its DMA
 * (a real Identify command) working, and the re-opened one works again.
 */
#include "rigtest.h"
#include "rig_nvme.h"

static void identify(struct udrv_dev *dev, void *bar, const char *what)
{
	uint8_t id[4096];
	uint16_t vendor, device;

	RT_OK(udrv_dev_ids(dev, &vendor, &device));
	RT_OK(rn_identify(dev, bar, id));
	RT_CHECK(id[0] == (vendor & 0xff) && id[1] == vendor >> 8, "%s: Identify VID", what);
	printf("%s: %s Identify OK, serial '%.20s'\n", udrv_dev_name(dev), what, (char *)id + 4);
}

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	struct udrv_dev *a, *b;
	void *bar_a, *bar_b, *buf;
	uint64_t cap_b, iova;
	size_t len;

	rt_bdfs("UDRV_TEST_NVME", bdfs, 2);
	RT_OK(udrv_dev_open(bdfs[0], &a));
	RT_OK(udrv_dev_open(bdfs[1], &b));
	RT_OK(udrv_dev_map_bar(a, 0, &bar_a, &len));
	RT_OK(udrv_dev_map_bar(b, 0, &bar_b, &len));
	RT_OK(udrv_dma_alloc(4096, 4096, &buf, &iova));
	cap_b = udrv_mmio_read64(bar_b, RN_CAP);
	identify(a, bar_a, "both open");
	identify(b, bar_b, "both open");

	udrv_dev_close(a);
	RT_CHECK(udrv_mmio_read64(bar_b, RN_CAP) == cap_b, "B's BAR0 changed after closing A");
	RT_CHECK(udrv_virt_to_iova(buf) == iova, "DMA memory lost its IOVA after closing A");
	identify(b, bar_b, "after closing the other");

	RT_OK(udrv_dev_open(bdfs[0], &a));
	RT_OK(udrv_dev_map_bar(a, 0, &bar_a, &len));
	identify(a, bar_a, "re-opened");
	identify(b, bar_b, "while the other was re-opened");
	RT_CHECK(udrv_virt_to_iova(buf) == iova, "DMA memory lost its IOVA");

	udrv_dev_close(b);
	udrv_dev_close(a);
	udrv_dma_free(buf);
	udrv_fini();
	return 0;
}

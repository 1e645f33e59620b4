/* SPDX-License-Identifier: MIT */
/*
 * dev_regions__nic_bars_map_and_read: each NIC in UDRV_TEST_NET (virtio-net,
 * e1000e) opens as an Ethernet controller; every memory BAR that VFIO says is
 * mmappable maps, and a register read through the mapping equals the read
 * through the device fd. Also walks the config space capability list (bounded:
 * the device writes it), finding the virtio vendor capabilities on virtio-net.
 */
#include "rigtest.h"

/* Capability list walk; returns how many vendor-specific (09h) caps and
 * sets the BARs holding the MSI-X table and PBA in *msix_bars (a bit mask):
 * VFIO virtualises those, so reads through the fd do not match the mapping. */
static int walk_caps(struct udrv_dev *dev, const char *bdf, unsigned *msix_bars)
{
	uint8_t ptr, id_next[2];
	uint16_t status;
	int vendor_caps = 0, n = 0;

	RT_OK(udrv_dev_cfg_read(dev, 0x06, &status, sizeof(status)));
	if (!(status & 0x10))
		return 0;
	RT_OK(udrv_dev_cfg_read(dev, 0x34, &ptr, 1));
	while (ptr) {
		RT_CHECK(ptr >= 0x40 && !(ptr & 3) && n < 48, "%s: bad capability pointer %#x", bdf, ptr);
		RT_OK(udrv_dev_cfg_read(dev, ptr, id_next, 2));
		printf("%s: capability %#04x at %#04x\n", bdf, id_next[0], ptr);
		vendor_caps += id_next[0] == 0x09;
		if (id_next[0] == 0x11) {
			uint32_t table, pba;

			RT_OK(udrv_dev_cfg_read(dev, ptr + 4u, &table, 4));
			RT_OK(udrv_dev_cfg_read(dev, ptr + 8u, &pba, 4));
			*msix_bars |= 1u << (table & 7) | 1u << (pba & 7);
		}
		ptr = id_next[1];
		n++;
	}
	return vendor_caps;
}

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	int n = rt_bdfs("UDRV_TEST_NET", bdfs, 1);

	for (int i = 0; i < n; i++) {
		uint16_t vendor, device;
		struct udrv_dev *dev;
		uint8_t class[3];
		unsigned msix_bars = 0;
		int mapped = 0, vendor_caps;

		RT_OK(udrv_dev_open(bdfs[i], &dev));
		RT_OK(udrv_dev_ids(dev, &vendor, &device));
		RT_OK(udrv_dev_cfg_read(dev, 0x09, class, sizeof(class)));
		RT_CHECK(class[2] == 0x02 && class[1] == 0x00, "%s: class %02x%02x is not Ethernet",
			 bdfs[i], class[2], class[1]);
		vendor_caps = walk_caps(dev, bdfs[i], &msix_bars);
		if (vendor == 0x1af4)
			RT_CHECK(vendor_caps >= 4,
				 "%s: a modern virtio device has common/notify/isr/device config caps", bdfs[i]);
		for (unsigned bar = 0; bar < 6; bar++) {
			struct udrv_region ri;
			uint32_t via_map, via_fd;
			size_t len;
			void *p;

			if (udrv_dev_region_info(dev, bar, &ri) || !ri.size)
				continue;
			printf("%s: %04x:%04x BAR%u %#llx bytes%s%s sparse areas %u\n", bdfs[i], vendor,
			       device, bar, (unsigned long long)ri.size, ri.readable ? " r" : "",
			       ri.mmappable ? " mmap" : "", ri.sparse_areas);
			if (!ri.mmappable)
				continue;
			RT_OK(udrv_dev_map_bar(dev, bar, &p, &len));
			mapped++;
			if (msix_bars & (1u << bar))
				continue;
			/* Offset 8: e1000e STATUS; in a virtio BAR, some config field. */
			RT_OK(udrv_dev_bar_read(dev, bar, 8, &via_fd, sizeof(via_fd)));
			via_map = udrv_mmio_read32(p, 8);
			RT_CHECK(via_map == via_fd, "%s BAR%u: %#x mapped vs %#x through the fd", bdfs[i], bar,
				 via_map, via_fd);
		}
		RT_CHECK(mapped >= 1, "%s: no BAR could be mapped", bdfs[i]);
		udrv_dev_close(dev);
	}
	udrv_fini();
	return 0;
}

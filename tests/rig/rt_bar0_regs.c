/* SPDX-License-Identifier: MIT */
/*
 * bar0__maps_and_reads_nvme_cap_and_vs: BAR0 of each NVMe controller maps
 * with mmap, and CAP (offset 0, 64 bits) and VS (offset 8) read sane values
 * that agree with reads through the device fd.
 */
#include "rigtest.h"
#include "rig_nvme.h"

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	int n = rt_bdfs("UDRV_TEST_NVME", bdfs, 1);

	for (int i = 0; i < n; i++) {
		struct udrv_region ri;
		struct udrv_dev *dev;
		uint64_t cap, cap_fd;
		uint32_t vs, vs_fd;
		size_t len, len2;
		void *bar, *bar2;

		RT_OK(udrv_dev_open(bdfs[i], &dev));
		RT_OK(udrv_dev_region_info(dev, 0, &ri));
		RT_CHECK(ri.size >= 0x2000 && ri.readable && ri.writable && ri.mmappable,
			 "BAR0 size %#llx r%d w%d mmap%d", (unsigned long long)ri.size, ri.readable,
			 ri.writable, ri.mmappable);
		RT_OK(udrv_dev_map_bar(dev, 0, &bar, &len));
		RT_CHECK(bar && len >= 0x2000, "BAR0 mapped at %p, %zu bytes", bar, len);
		RT_OK(udrv_dev_map_bar(dev, 0, &bar2, &len2));
		RT_CHECK(bar2 == bar && len2 == len, "mapping twice gives the same address");

		cap = udrv_mmio_read64(bar, RN_CAP);
		vs = udrv_mmio_read32(bar, RN_VS);
		printf("%s: CAP %#018llx (MQES %u TO %u DSTRD %u CSS %#x MPSMIN %u) VS %u.%u.%u\n",
		       bdfs[i], (unsigned long long)cap, RN_CAP_MQES(cap), RN_CAP_TO(cap),
		       RN_CAP_DSTRD(cap), RN_CAP_CSS(cap), RN_CAP_MPSMIN(cap), vs >> 16,
		       (vs >> 8) & 0xff, vs & 0xff);
		RT_CHECK(cap != UINT64_MAX, "CAP reads all ones: the device is gone or BAR0 is not mapped");
		RT_CHECK(RN_CAP_MQES(cap) >= 1, "MQES 0 is invalid (NVMe 3.1.4.1)");
		RT_CHECK(RN_CAP_TO(cap) >= 1, "CAP.TO is 0");
		RT_CHECK(RN_CAP_CSS(cap) & 1, "CAP.CSS does not include the NVM command set");
		RT_CHECK(vs >> 16 >= 1 && vs != UINT32_MAX, "VS %#x", vs);

		RT_OK(udrv_dev_bar_read(dev, 0, RN_CAP, &cap_fd, sizeof(cap_fd)));
		RT_OK(udrv_dev_bar_read(dev, 0, RN_VS, &vs_fd, sizeof(vs_fd)));
		RT_CHECK(cap_fd == cap && vs_fd == vs, "read through the fd: CAP %#llx VS %#x",
			 (unsigned long long)cap_fd, vs_fd);
		udrv_dev_close(dev);
	}
	udrv_fini();
	return 0;
}

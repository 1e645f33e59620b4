/* SPDX-License-Identifier: MIT */
/*
 * dma__iova_inside_reported_ranges_and_reaches_device: hugepage DMA memory
 * gets IOVAs that are aligned, below the IOMMU's address width (39 bits for
 * QEMU 7.2's intel-iommu), outside the group's reserved regions, translated
 * consistently by udrv_virt_to_iova, and a real controller writes an Identify
 * page to the IOVA the runtime reported.
 */
#include <glob.h>
#include <inttypes.h>
#include <limits.h>

#include "rigtest.h"
#include "rig_nvme.h"

/* Guest address width of the Intel IOMMU (CAP.MGAW + 1), 0 if unknown. */
static unsigned iommu_aw_bits(void)
{
	glob_t g;
	unsigned long long cap = 0;
	unsigned bits = 0;

	if (glob("/sys/class/iommu/*/intel-iommu/cap", 0, NULL, &g) == 0) {
		FILE *f = fopen(g.gl_pathv[0], "r");

		if (f && fscanf(f, "%llx", &cap) == 1)
			bits = (unsigned)((cap >> 16) & 0x3f) + 1;
		if (f)
			fclose(f);
		globfree(&g);
	}
	return bits;
}

/* Fail if [iova, iova+len) overlaps a reserved region of the device's group. */
static void check_reserved(const char *bdf, uint64_t iova, size_t len)
{
	char path[PATH_MAX], type[64];
	unsigned long long lo, hi;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/reserved_regions", bdf);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%llx %llx %63s", &lo, &hi, type) == 3)
		RT_CHECK(iova + len - 1 < lo || iova > hi,
			 "IOVA %#" PRIx64 "+%zu overlaps reserved region %#llx-%#llx (%s)", iova, len, lo,
			 hi, type);
	fclose(f);
}

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	static const size_t sizes[] = { 64, 4096, 1 << 20, 2 << 20, 5 << 20 };
	static const size_t aligns[] = { 0, 4096, 4096, 2 << 20, 4096 };
	struct udrv_mem_stats st;
	struct udrv_dev *dev;
	uint8_t id[4096];
	unsigned aw = iommu_aw_bits();
	uint16_t vendor, device;
	void *bar;
	size_t len;

	rt_bdfs("UDRV_TEST_NVME", bdfs, 1);
	RT_OK(udrv_dev_open(bdfs[0], &dev));
	printf("IOMMU address width: %u bits\n", aw);

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t a = aligns[i] ? aligns[i] : 64;
		uint64_t iova;
		uint8_t *va;

		RT_OK(udrv_dma_alloc(sizes[i], aligns[i], (void **)&va, &iova));
		printf("alloc %zu align %zu: va %p iova %#" PRIx64 "\n", sizes[i], a, (void *)va, iova);
		RT_CHECK(iova != UDRV_IOVA_INVALID, "no IOVA");
		RT_CHECK(iova % a == 0 && (uintptr_t)va % a == 0, "alignment %zu", a);
		if (aw)
			RT_CHECK(iova + sizes[i] <= (1ull << aw), "IOVA %#" PRIx64 " beyond %u bits", iova, aw);
		check_reserved(bdfs[0], iova, sizes[i]);
		for (size_t off = 0; off < sizes[i]; off += 4093)
			RT_CHECK(udrv_virt_to_iova(va + off) == iova + off, "translation at +%zu", off);
		RT_CHECK(udrv_virt_to_iova(va + sizes[i] - 1) == iova + sizes[i] - 1, "last byte");
		for (size_t off = 0; off < sizes[i]; off++)
			RT_CHECK(va[off] == 0, "not zeroed at +%zu", off);
		memset(va, 0x5a, sizes[i]);
		/* leak on purpose: the runtime frees everything at udrv_fini */
	}
	udrv_mem_stats(&st);
	printf("chunks %zu mapped %zu used %zu page %zu\n", st.chunks, st.mapped_bytes, st.used_bytes,
	       st.page_size);
	RT_CHECK(st.chunks >= 1 && st.page_size >= (2u << 20), "hugepage chunks expected");
	RT_CHECK(st.mapped_bytes % st.page_size == 0, "chunks are whole pages");
	RT_CHECK(udrv_virt_to_iova(&st) == UDRV_IOVA_INVALID, "a stack address has no IOVA");

	/* The device itself writes through the IOMMU to the reported IOVA. */
	RT_OK(udrv_dev_ids(dev, &vendor, &device));
	RT_OK(udrv_dev_map_bar(dev, 0, &bar, &len));
	RT_OK(rn_identify(dev, bar, id));
	RT_CHECK(id[0] == (vendor & 0xff) && id[1] == vendor >> 8,
		 "Identify VID %02x%02x differs from the PCI vendor %04x", id[1], id[0], vendor);
	printf("Identify via DMA: VID %04x serial '%.20s' model '%.40s'\n", vendor, (char *)id + 4,
	       (char *)id + 24);
	udrv_dev_close(dev);
	udrv_fini();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * dma_alloc__no_hugepages_fails_with_fix: with nr_hugepages set to 0,
 * udrv_dma_alloc fails with -ENOMEM and the error says how to reserve
 * hugepages. Restores nr_hugepages. Destructive: rig or UDRV_TEST_DESTRUCTIVE=1.
 */
#include "rigtest.h"

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

static long saved = -1;

static void restore(void)
{
	if (saved >= 0)
		rt_write_long(NR_HUGEPAGES, saved);
}

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	struct udrv_dev *dev;
	uint64_t iova;
	void *va;
	long now;
	int rc;

	rt_bdfs("UDRV_TEST_NVME", bdfs, 1);
	rt_need_destructive();
	RT_OK(rt_read_long(NR_HUGEPAGES, &saved));
	atexit(restore);
	RT_OK(rt_write_long(NR_HUGEPAGES, 0));
	RT_OK(rt_read_long(NR_HUGEPAGES, &now));
	RT_CHECK(now == 0, "nr_hugepages is %ld after writing 0 (pages in use?)", now);

	RT_OK(udrv_dev_open(bdfs[0], &dev));
	rc = udrv_dma_alloc(4096, 0, &va, &iova);
	printf("udrv_dma_alloc with 0 hugepages = %d; last error: %s\n", rc, udrv_last_error());
	RT_CHECK(rc == -ENOMEM, "expected -ENOMEM, got %d", rc);
	RT_CHECK(rt_error_mentions("hugepages"), "the error must say how to reserve hugepages");
	RT_CHECK(rt_error_mentions("udrv-setup hugepages") || rt_error_mentions("nr_hugepages"),
		 "the error must give a command");

	/* With pages back, the same process allocates. */
	restore();
	RT_OK(udrv_dma_alloc(4096, 0, &va, &iova));
	RT_CHECK(udrv_virt_to_iova(va) == iova, "translation after recovery");
	udrv_dma_free(va);
	udrv_dev_close(dev);
	udrv_fini();
	return 0;
}

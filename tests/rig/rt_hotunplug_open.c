/* SPDX-License-Identifier: MIT */
/*
 * dev_events__hot_unplug_released_with_or_without_the_application: this
 * process holds three NVMe controllers (BAR0 mapped, DMA memory allocated)
 * while the host unplugs two of them, one after the other (QMP device_del
 * from tests/rig/hook-unplug.sh, which times DEVICE_DELETED on the host):
 *
 *  - the first: the application reacts to UDRV_DEV_EV_REMOVE and closes it;
 *  - the second: the application never reacts. The runtime releases it after
 *    its grace period (UDRV_DEV_EV_RELEASED): the BAR, still mapped at the
 *    same address, reads all ones, the handle says -ENODEV, and the kernel
 *    gets the device back.
 *
 * Both leave the bus, and the third controller keeps working (Identify into
 * the DMA memory allocated before the unplugs). Rig only: it needs the hook.
 */
#include <limits.h>
#include <time.h>

#include "rigtest.h"
#include "rig_nvme.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void signal_host(const char *run, const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", run, name);
	f = fopen(path, "w");
	RT_CHECK(f && fclose(f) == 0, "cannot create %s", path);
}

static double wait_event(struct udrv_dev *dev, uint32_t bit, double limit)
{
	double t0 = now_s();

	while (!(__atomic_load_n(udrv_dev_events(dev), __ATOMIC_ACQUIRE) & bit)) {
		RT_CHECK(now_s() - t0 < limit, "%s: event 0x%x not within %.0f s", udrv_dev_name(dev),
			 bit, limit);
		usleep(1000);
	}
	return now_s() - t0;
}

static void wait_gone(const char *bdf, double limit)
{
	char path[PATH_MAX];
	double t0 = now_s();

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	while (access(path, F_OK) == 0) {
		RT_CHECK(now_s() - t0 < limit, "%s still present %.0f s later", bdf, limit);
		usleep(20000);
	}
	printf("%s: left the bus %.2f s later\n", bdf, now_s() - t0);
}

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	const char *run = getenv("UDRV_RIG_RUN");
	struct udrv_dev *closed, *ignored, *other;
	volatile uint32_t *ibar;
	uint8_t id[4096];
	void *bar, *obar, *dma;
	uint32_t word;
	double t;
	size_t len;

	if (!run)
		rt_skip("needs the rig: a host hook unplugs the device (UDRV_RIG_RUN unset)");
	rt_bdfs("UDRV_TEST_NVME", bdfs, 3);
	RT_OK(udrv_dev_open(bdfs[0], &closed));
	RT_OK(udrv_dev_open(bdfs[1], &ignored));
	RT_OK(udrv_dev_open(bdfs[2], &other));
	RT_OK(udrv_dev_map_bar(closed, 0, &bar, &len));
	RT_OK(udrv_dev_map_bar(ignored, 0, &bar, &len));
	ibar = bar;
	RT_OK(udrv_dev_map_bar(other, 0, &obar, &len));
	RT_OK(udrv_dma_alloc(1 << 20, 4096, &dma, NULL));
	RT_CHECK(ibar[0] != 0xffffffffu, "CAP reads all ones before the unplug");

	/* 1. The application reacts: it closes the device on REMOVE. */
	signal_host(run, "unplug-now");
	t = wait_event(closed, UDRV_DEV_EV_REMOVE, 60);
	printf("%s: UDRV_DEV_EV_REMOVE %.2f s after asking for the unplug\n", bdfs[0], t);
	udrv_dev_close(closed);
	wait_gone(bdfs[0], 30);

	/* 2. The application never reacts: the runtime releases the device. */
	signal_host(run, "unplug-next");
	t = wait_event(ignored, UDRV_DEV_EV_REMOVE, 60);
	printf("%s: UDRV_DEV_EV_REMOVE %.2f s after asking for the unplug\n", bdfs[1], t);
	t = wait_event(ignored, UDRV_DEV_EV_RELEASED, 2);
	printf("%s: released by the runtime %.2f s after the request\n", bdfs[1], t);
	for (size_t off = 0; off < len / 4; off += 61)
		RT_CHECK(ibar[off] == 0xffffffffu, "BAR0 word %zu reads 0x%x after the release", off,
			 ibar[off]);
	ibar[0x1000 / 4] = 1; /* a doorbell write: dropped, no SIGBUS */
	RT_CHECK(udrv_dev_cfg_read(ignored, 0, &word, 4) == -ENODEV, "config read after release");
	RT_CHECK(udrv_dev_reset(ignored) == -ENODEV, "reset after release");
	wait_gone(bdfs[1], 30);

	/* 3. The third controller and the DMA memory are unaffected. */
	RT_CHECK(!(__atomic_load_n(udrv_dev_events(other), __ATOMIC_ACQUIRE) & UDRV_DEV_EV_REMOVE),
		 "the other device got a remove request");
	RT_OK(rn_identify(other, obar, id));
	printf("%s: still works (Identify)\n", bdfs[2]);
	memset(dma, 0x5a, 1 << 20);
	udrv_dev_close(ignored); /* the stale handle: frees it, touches nothing else */
	RT_OK(rn_identify(other, obar, id));
	udrv_dev_close(other);
	udrv_dma_free(dma);
	udrv_fini();
	return 0;
}

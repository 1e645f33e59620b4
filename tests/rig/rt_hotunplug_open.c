/* SPDX-License-Identifier: MIT */
/*
 * dev_events__hot_unplug_request_reaches_open_device: while this process
 * holds an NVMe controller, the host unplugs it (QMP device_del from the
 * rig's host hook, tests/rig/hook-unplug.sh). The kernel's request reaches
 * the runtime as UDRV_DEV_EV_REMOVE; closing the device lets the removal
 * finish, and the other controller stays usable. Rig only: it needs the hook.
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

int main(void)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN], path[PATH_MAX];
	const char *run = getenv("UDRV_RIG_RUN");
	const volatile uint32_t *ev;
	struct udrv_dev *dev, *other;
	uint8_t id[4096];
	void *bar, *obar;
	double t0;
	size_t len;
	FILE *f;

	if (!run)
		rt_skip("needs the rig: a host hook unplugs the device (UDRV_RIG_RUN unset)");
	rt_bdfs("UDRV_TEST_NVME", bdfs, 2);
	RT_OK(udrv_dev_open(bdfs[0], &dev));
	RT_OK(udrv_dev_open(bdfs[1], &other));
	RT_OK(udrv_dev_map_bar(dev, 0, &bar, &len));
	RT_OK(udrv_dev_map_bar(other, 0, &obar, &len));
	ev = udrv_dev_events(dev);
	RT_CHECK(ev && (__atomic_load_n(ev, __ATOMIC_ACQUIRE) & UDRV_DEV_EV_REMOVE) == 0,
		 "remove requested before the unplug");

	/* Tell the host hook the device is held: it sends device_del now. */
	snprintf(path, sizeof(path), "%s/unplug-now", run);
	f = fopen(path, "w");
	RT_CHECK(f && fclose(f) == 0, "cannot create %s", path);
	t0 = now_s();
	while (!(__atomic_load_n(ev, __ATOMIC_ACQUIRE) & UDRV_DEV_EV_REMOVE))
		RT_CHECK(now_s() - t0 < 60, "no UDRV_DEV_EV_REMOVE within 60 s of the unplug");
	printf("%s: UDRV_DEV_EV_REMOVE after %.1f s\n", bdfs[0], now_s() - t0);

	udrv_dev_close(dev);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdfs[0]);
	t0 = now_s();
	while (access(path, F_OK) == 0) {
		RT_CHECK(now_s() - t0 < 30, "%s still present 30 s after close", bdfs[0]);
		usleep(100000);
	}
	printf("%s: removed %.1f s after close\n", bdfs[0], now_s() - t0);

	RT_CHECK(!(__atomic_load_n(udrv_dev_events(other), __ATOMIC_ACQUIRE) & UDRV_DEV_EV_REMOVE),
		 "the other device got a remove request");
	RT_OK(rn_identify(other, obar, id));
	printf("%s: still works (Identify)\n", bdfs[1]);
	udrv_dev_close(other);
	udrv_fini();
	return 0;
}

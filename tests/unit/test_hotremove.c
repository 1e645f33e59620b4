/* SPDX-License-Identifier: MIT */
/*
 * Hot-remove against the fake VFIO kernel: the kernel's request (the request
 * IRQ's eventfd) makes the runtime release a device the application does not
 * close, within the grace period; the release order, the inert BARs, the
 * handle that stays valid and says -ENODEV, the other devices untouched, and
 * no unmap error when the kernel already took the container's IOMMU away.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/vfio.h>
#include <udrv/udrv.h>

#include "fake_sysfs.h"
#include "fake_vfio.h"

#define NVME "0000:01:00.0"
#define NVME2 "0000:02:00.0"
#define NVME_SAME_GROUP "0000:01:00.1"
#define GRACE_MS 50

static struct fake_sysfs *fs;
static struct fake_vfio *fv;

static int setup_grace(uint32_t grace_ms)
{
	struct udrv_opts o = { .size = sizeof(o), .mem = UDRV_MEM_ANON, .chunk_size = 2u << 20,
			       .remove_grace_ms = grace_ms };

	fs = fake_sysfs_create();
	assert_non_null(fs);
	fv = fake_vfio_install();
	fake_sysfs_add_pci(fs, NVME, 0x1b36, 0x0010, 0x010802, "vfio-pci", 5);
	fake_sysfs_add_pci(fs, NVME_SAME_GROUP, 0x1b36, 0x0010, 0x010802, "vfio-pci", 5);
	fake_sysfs_add_pci(fs, NVME2, 0x1b36, 0x0010, 0x010802, "vfio-pci", 6);
	fake_sysfs_add_vfio(fs, 5);
	fake_sysfs_add_vfio(fs, 6);
	assert_int_equal(udrv_init(&o), 0);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_grace(GRACE_MS);
}

static int teardown(void **state)
{
	(void)state;
	udrv_fini();
	fake_vfio_uninstall();
	fake_sysfs_destroy(fs);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* What the kernel does on hot-unplug: signal the device's request eventfd. */
static void kernel_requests(void)
{
	uint64_t one = 1;
	int efd = fv->irq_efd[VFIO_PCI_REQ_IRQ_INDEX];

	assert_true(efd >= 0);
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
}

static bool wait_bits(struct udrv_dev *d, uint32_t bits, double ms)
{
	double t0 = now_ms();

	while (now_ms() - t0 < ms) {
		if ((__atomic_load_n(udrv_dev_events(d), __ATOMIC_ACQUIRE) & bits) == bits)
			return true;
		usleep(1000);
	}
	return false;
}

struct cb_log {
	pthread_mutex_t lock;
	uint32_t seen[4];
	unsigned n;
	pthread_t thread;
};

static void on_event(struct udrv_dev *dev, uint32_t events, void *arg)
{
	struct cb_log *l = arg;

	(void)dev;
	pthread_mutex_lock(&l->lock);
	if (l->n < 4)
		l->seen[l->n++] = events;
	l->thread = pthread_self();
	pthread_mutex_unlock(&l->lock);
}

static void release__unclosed_device_released_after_grace_in_order(void **state)
{
	struct cb_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct udrv_dev *d;
	volatile uint32_t *bar;
	void *p;
	size_t len;
	double t0, took;

	(void)state;
	fv->unplug_on_close = true;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_int_equal(udrv_dma_alloc(4096, 0, &p, NULL), 0);
	assert_int_equal(udrv_dev_map_bar(d, 0, (void **)&bar, &len), 0);
	assert_int_equal(udrv_dev_set_event_cb(d, on_event, &log), 0);
	bar[0] = 0x12345678;
	assert_int_equal(*(volatile uint32_t *)fv->bar0_device, 0x12345678);

	t0 = now_ms();
	kernel_requests();
	assert_true(wait_bits(d, UDRV_DEV_EV_REMOVE | UDRV_DEV_EV_RELEASED, 2000));
	took = now_ms() - t0;
	assert_true(took >= GRACE_MS - 1);

	/* Everything is closed: device, then group, then container, with the
	 * chunk unmapped before the device fd went (the kernel detaches the
	 * group on that close), and no unmap failed. */
	assert_int_equal(fv->open_fds, 0);
	assert_int_equal(fv->bad_unmaps, 0);
	assert_true(fv->maps[0].unmapped);
	assert_true(fake_vfio_last(fv, FAKE_OP_UNMAP) < fake_vfio_first(fv, FAKE_OP_DEVICE_CLOSE));
	assert_true(fake_vfio_first(fv, FAKE_OP_DEVICE_CLOSE) < fake_vfio_first(fv, FAKE_OP_GROUP_CLOSE));
	assert_true(fake_vfio_first(fv, FAKE_OP_GROUP_CLOSE) < fake_vfio_first(fv, FAKE_OP_CONTAINER_CLOSE));
	assert_int_equal(fv->irq_efd[VFIO_PCI_REQ_IRQ_INDEX], -1);

	/* The callback ran on the event thread: REMOVE, then RELEASED. */
	pthread_mutex_lock(&log.lock);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.seen[0], UDRV_DEV_EV_REMOVE);
	assert_int_equal(log.seen[1], UDRV_DEV_EV_RELEASED);
	assert_false(pthread_equal(log.thread, pthread_self()));
	pthread_mutex_unlock(&log.lock);

	udrv_dma_free(p);
	udrv_dev_close(d);
	assert_int_equal(fv->bad_unmaps, 0);
}

static void release__bar_stays_mapped_reads_all_ones_stores_dropped(void **state)
{
	struct udrv_dev *d;
	volatile uint32_t *bar;
	size_t len;

	(void)state;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_int_equal(udrv_dev_map_bar(d, 0, (void **)&bar, &len), 0);
	bar[1] = 0xabcd;
	assert_int_equal(udrv_dev_release(d), 0);
	/* Same addresses, the whole BAR: loads read as from a removed device. */
	for (size_t off = 0; off < len / 4; off += 97)
		assert_int_equal(bar[off], 0xffffffffu);
	assert_int_equal(bar[len / 4 - 1], 0xffffffffu);
	/* A store (a doorbell) lands in the process's memory, not the device. */
	bar[1] = 7;
	assert_int_equal(((volatile uint32_t *)fv->bar0_device)[1], 0xabcd);
	assert_int_equal(fv->open_fds, 0);
	udrv_dev_close(d);
}

static void release__handle_valid_every_call_enodev(void **state)
{
	struct udrv_region r;
	struct udrv_dev *d;
	uint16_t vendor;
	uint32_t word;
	void *bar;
	size_t len;

	(void)state;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_int_equal(udrv_dev_release(d), 0);
	assert_int_equal(udrv_dev_release(d), 0); /* twice: nothing more to do */
	assert_string_equal(udrv_dev_name(d), NVME);
	assert_true(*udrv_dev_events(d) & UDRV_DEV_EV_RELEASED);
	assert_int_equal(udrv_dev_cfg_read(d, 0, &word, 4), -ENODEV);
	assert_int_equal(udrv_dev_cfg_write(d, 4, &word, 2), -ENODEV);
	assert_int_equal(udrv_dev_ids(d, &vendor, NULL), -ENODEV);
	assert_int_equal(udrv_dev_set_bus_master(d, true), -ENODEV);
	assert_int_equal(udrv_dev_reset(d), -ENODEV);
	assert_int_equal(udrv_dev_region_info(d, 0, &r), -ENODEV);
	assert_int_equal(udrv_dev_map_bar(d, 0, &bar, &len), -ENODEV);
	assert_int_equal(udrv_dev_bar_read(d, 0, 0, &word, 4), -ENODEV);
	assert_int_equal(udrv_dev_bar_write(d, 0, 0, &word, 4), -ENODEV);
	assert_int_equal(fv->resets, 0);
	udrv_dev_close(d);
	assert_int_equal(fv->open_fds, 0);
}

static void release__event_fd_readable_on_request_and_release(void **state)
{
	struct udrv_dev *d;
	struct pollfd pfd;
	uint64_t cnt;

	(void)state;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	pfd = (struct pollfd){ .fd = udrv_dev_event_fd(d), .events = POLLIN };
	assert_true(pfd.fd >= 0);
	assert_int_equal(udrv_dev_event_fd(d), pfd.fd); /* one fd per handle */
	assert_int_equal(poll(&pfd, 1, 0), 0);
	kernel_requests();
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(read(pfd.fd, &cnt, sizeof(cnt)), sizeof(cnt));
	assert_true(*udrv_dev_events(d) & UDRV_DEV_EV_REMOVE);
	/* The release wakes it again. */
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_true(wait_bits(d, UDRV_DEV_EV_RELEASED, 2000));
	udrv_dev_close(d);
}

static void release__other_devices_keep_group_and_container(void **state)
{
	struct udrv_dev *gone, *same_group, *other;
	volatile uint32_t *bar;
	uint16_t vendor;
	size_t len;
	void *p;

	(void)state;
	fv->unplug_on_close = true;
	assert_int_equal(udrv_dev_open(NVME, &gone), 0);
	assert_int_equal(udrv_dev_open(NVME_SAME_GROUP, &same_group), 0);
	assert_int_equal(udrv_dev_open(NVME2, &other), 0);
	assert_int_equal(udrv_dma_alloc(4096, 0, &p, NULL), 0);
	assert_int_equal(udrv_dev_map_bar(other, 0, (void **)&bar, &len), 0);
	kernel_requests(); /* the fake's request eventfd is the last opened device's */
	assert_true(wait_bits(other, UDRV_DEV_EV_RELEASED, 2000));
	assert_false(*udrv_dev_events(gone) & UDRV_DEV_EV_REMOVE);
	/* Its group (6) is closed; group 5 and the container stay, mapped. */
	assert_int_equal(fv->device_closes, 1);
	assert_int_equal(fv->group_closes, 1);
	assert_int_equal(fv->container_closes, 0);
	assert_int_equal(fake_vfio_first(fv, FAKE_OP_UNMAP), -1);
	assert_int_equal(udrv_dev_ids(gone, &vendor, NULL), 0);
	assert_int_equal(udrv_dev_ids(same_group, &vendor, NULL), 0);
	assert_int_equal(vendor, 0x1b36);
	/* Release one of group 5's two devices: the group fd stays open. */
	assert_int_equal(udrv_dev_release(gone), 0);
	assert_int_equal(fv->group_closes, 1);
	assert_int_equal(udrv_dev_ids(same_group, &vendor, NULL), 0);
	udrv_dev_close(other);
	udrv_dev_close(gone);
	udrv_dev_close(same_group);
	udrv_dma_free(p);
	assert_int_equal(fv->open_fds, 0);
	assert_int_equal(fv->bad_unmaps, 0);
}

/* Before the fix, the last device's close unmapped after the device fd was
 * closed, when the kernel had taken the IOMMU away with the removed group:
 * "VFIO_IOMMU_UNMAP_DMA(...) failed: Invalid argument". */
static void close__app_closes_removed_last_device_no_unmap_error(void **state)
{
	struct udrv_dev *d;
	void *p;

	(void)state;
	fv->unplug_on_close = true;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_int_equal(udrv_dma_alloc(4096, 0, &p, NULL), 0);
	kernel_requests();
	assert_true(wait_bits(d, UDRV_DEV_EV_REMOVE, 2000));
	udrv_dev_close(d); /* the application reacts within the grace period */
	assert_int_equal(fv->bad_unmaps, 0);
	assert_true(fv->maps[0].unmapped);
	assert_true(strstr(udrv_last_error(), "UNMAP") == NULL);
	assert_int_equal(fv->open_fds, 0);
	udrv_dma_free(p);
}

static void close__within_grace_no_release_later(void **state)
{
	struct udrv_dev *d, *other;

	(void)state;
	assert_int_equal(udrv_dev_open(NVME2, &other), 0);
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	kernel_requests();
	assert_true(wait_bits(d, UDRV_DEV_EV_REMOVE, 2000));
	udrv_dev_close(d);
	usleep(3 * GRACE_MS * 1000);
	/* The pending release went with the device: nothing else was touched. */
	assert_int_equal(fv->device_closes, 1);
	assert_false(*udrv_dev_events(other) & UDRV_DEV_EV_RELEASED);
	udrv_dev_close(other);
}

/* The device comes back at the same address (hot-add) while the application
 * still holds the released handle: it opens again, in a new container with
 * the DMA memory mapped at the same IOVAs. */
static void reopen__same_bdf_while_released_handle_held(void **state)
{
	struct udrv_dev *old, *again;
	uint64_t iova, iova2;
	void *p;

	(void)state;
	assert_int_equal(udrv_dev_open(NVME, &old), 0);
	assert_int_equal(udrv_dma_alloc(4096, 0, &p, &iova), 0);
	assert_int_equal(udrv_dev_release(old), 0);
	assert_int_equal(fv->container_closes, 1);
	assert_int_equal(udrv_dev_open(NVME, &again), 0);
	assert_int_equal(fv->container_opens, 2);
	assert_int_equal(fv->nmaps, 2);
	assert_int_equal(fv->maps[1].iova, fv->maps[0].iova);
	iova2 = udrv_virt_to_iova(p);
	assert_true(iova2 == iova);
	udrv_dev_close(old); /* closing the stale handle leaves the new one alone */
	assert_int_equal(fv->device_closes, 1);
	udrv_dev_close(again);
	udrv_dma_free(p);
	assert_int_equal(fv->open_fds, 0);
	assert_int_equal(fv->bad_unmaps, 0);
}

static void grace__env_rejects_garbage_and_sets_period(void **state)
{
	struct udrv_dev *d;
	double t0;

	(void)state;
	udrv_fini();
	setenv("UDRV_REMOVE_GRACE_MS", "soon", 1);
	assert_int_equal(udrv_init(NULL), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "UDRV_REMOVE_GRACE_MS=soon"));
	setenv("UDRV_REMOVE_GRACE_MS", "300", 1);
	assert_int_equal(udrv_init(&(struct udrv_opts){ .size = sizeof(struct udrv_opts),
							 .mem = UDRV_MEM_ANON }), 0);
	unsetenv("UDRV_REMOVE_GRACE_MS");
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	t0 = now_ms();
	kernel_requests();
	assert_true(wait_bits(d, UDRV_DEV_EV_RELEASED, 3000));
	assert_true(now_ms() - t0 >= 299);
	udrv_dev_close(d);
	udrv_fini();
	assert_int_equal(udrv_init(&(struct udrv_opts){ .size = sizeof(struct udrv_opts),
							 .mem = UDRV_MEM_ANON, .remove_grace_ms = 60001 }),
			 -EINVAL);
	assert_int_equal(udrv_init(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(release__unclosed_device_released_after_grace_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(release__bar_stays_mapped_reads_all_ones_stores_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(release__handle_valid_every_call_enodev, setup, teardown),
		cmocka_unit_test_setup_teardown(release__event_fd_readable_on_request_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(release__other_devices_keep_group_and_container, setup, teardown),
		cmocka_unit_test_setup_teardown(close__app_closes_removed_last_device_no_unmap_error, setup, teardown),
		cmocka_unit_test_setup_teardown(close__within_grace_no_release_later, setup, teardown),
		cmocka_unit_test_setup_teardown(reopen__same_bdf_while_released_handle_held, setup, teardown),
		cmocka_unit_test_setup_teardown(grace__env_rejects_garbage_and_sets_period, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

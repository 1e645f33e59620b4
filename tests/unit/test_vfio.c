/* SPDX-License-Identifier: MIT */
/* The VFIO open path and its errors, against fake sysfs and a fake VFIO kernel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/vfio.h>
#include <udrv/udrv.h>

#include "fake_sysfs.h"
#include "fake_vfio.h"

#define NVME "0000:01:00.0"
#define NVME2 "0000:02:00.0"

static struct fake_sysfs *fs;
static struct fake_vfio *fv;

static int setup(void **state)
{
	struct udrv_opts o = { .size = sizeof(o), .mem = UDRV_MEM_ANON, .chunk_size = 2u << 20 };

	(void)state;
	fs = fake_sysfs_create();
	assert_non_null(fs);
	fv = fake_vfio_install();
	fake_sysfs_add_pci(fs, NVME, 0x1b36, 0x0010, 0x010802, "vfio-pci", 5);
	fake_sysfs_add_pci(fs, NVME2, 0x1b36, 0x0010, 0x010802, "vfio-pci", 6);
	fake_sysfs_add_vfio(fs, 5);
	fake_sysfs_add_vfio(fs, 6);
	assert_int_equal(udrv_init(&o), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	udrv_fini();
	fake_vfio_uninstall();
	fake_sysfs_destroy(fs);
	return 0;
}

static void assert_error_says(const char *needle)
{
	if (!strstr(udrv_last_error(), needle))
		fail_msg("error \"%s\" does not say \"%s\"", udrv_last_error(), needle);
}

static void open__malformed_bdf__einval_names_form(void **state)
{
	struct udrv_dev *d;

	(void)state;
	assert_int_equal(udrv_dev_open("01:00", &d), -EINVAL);
	assert_null(d);
	assert_error_says("0000:01:00.0");
}

static void open__no_such_device__enodev_suggests_status(void **state)
{
	struct udrv_dev *d;

	(void)state;
	assert_int_equal(udrv_dev_open("0000:09:00.0", &d), -ENODEV);
	assert_error_says("udrv-setup status");
}

static void open__bound_to_kernel_driver__enxio_names_driver_and_bind(void **state)
{
	struct udrv_dev *d;

	(void)state;
	fake_sysfs_set_driver(fs, NVME, "nvme");
	assert_int_equal(udrv_dev_open(NVME, &d), -ENXIO);
	assert_error_says("nvme");
	assert_error_says("udrv-setup bind " NVME);
}

static void open__vfio_module_missing__enodev_says_modprobe(void **state)
{
	struct udrv_dev *d;

	(void)state;
	fake_sysfs_remove(fs, "dev/vfio/vfio");
	assert_int_equal(udrv_dev_open(NVME, &d), -ENODEV);
	assert_error_says("modprobe vfio-pci");
	assert_int_equal(fv->open_fds, 0);
}

static void open__group_not_viable__names_every_other_device(void **state)
{
	struct udrv_dev *d;

	(void)state;
	fake_sysfs_add_pci(fs, "0000:01:00.1", 0x8086, 0x1234, 0x040300, "snd_hda_intel", 5);
	fake_sysfs_add_pci(fs, "0000:01:00.2", 0x8086, 0x1235, 0x0c0330, "xhci_hcd", 5);
	fv->group_not_viable = true;
	assert_int_equal(udrv_dev_open(NVME, &d), -EBUSY);
	assert_error_says("not viable");
	assert_error_says("0000:01:00.1 (snd_hda_intel)");
	assert_error_says("0000:01:00.2 (xhci_hcd)");
	assert_error_says("udrv-setup bind 0000:01:00.1 0000:01:00.2");
	assert_int_equal(fv->open_fds, 0);
}

static void open__group_busy__ebusy_says_other_process(void **state)
{
	struct udrv_dev *d;

	(void)state;
	fv->group_open_errno = EBUSY;
	assert_int_equal(udrv_dev_open(NVME, &d), -EBUSY);
	assert_error_says("another process");
	assert_error_says("/vfio/5");
	assert_int_equal(fv->open_fds, 0);
}

static void open__permission_denied__eacces_says_chown(void **state)
{
	struct udrv_dev *d;

	(void)state;
	fv->group_open_errno = EACCES;
	assert_int_equal(udrv_dev_open(NVME, &d), -EACCES);
	assert_error_says("permission denied");
	assert_error_says("chown");
}

static void open__no_iommu_group__says_intel_iommu_on(void **state)
{
	struct udrv_dev *d;

	(void)state;
	fake_sysfs_add_pci(fs, "0000:03:00.0", 0x1b36, 0x0010, 0x010802, "vfio-pci", -1);
	assert_int_equal(udrv_dev_open("0000:03:00.0", &d), -ENODEV);
	assert_error_says("intel_iommu=on");
}

static void open__set_iommu_eperm__says_interrupt_remapping(void **state)
{
	struct udrv_dev *d;

	(void)state;
	fv->set_iommu_errno = EPERM;
	assert_int_equal(udrv_dev_open(NVME, &d), -EPERM);
	assert_error_says("intremap=on");
	assert_int_equal(fv->open_fds, 0);
}

static void open__twice_in_process__ebusy(void **state)
{
	struct udrv_dev *d, *d2;

	(void)state;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_int_equal(udrv_dev_open(NVME, &d2), -EBUSY);
	assert_error_says("already open");
	udrv_dev_close(d);
}

static void open__maps_chunks_inside_reported_ranges_and_unmaps_exactly(void **state)
{
	struct udrv_dev *d;
	void *before, *after;
	uint64_t iova;

	(void)state;
	/* A chunk allocated before the container exists is mapped when it comes up. */
	assert_int_equal(udrv_dma_alloc(4096, 0, &before, &iova), 0);
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_int_equal(fv->nmaps, 1);
	assert_int_equal(udrv_dma_alloc(3u << 20, 0, &after, &iova), 0);
	assert_int_equal(fv->nmaps, 2);
	for (unsigned i = 0; i < fv->nmaps; i++) {
		const struct fake_vfio_map *m = &fv->maps[i];

		assert_true(m->iova + m->size - 1 <= (1ull << 39) - 1);
		assert_false(m->iova <= 0xfeefffff && m->iova + m->size > 0xfee00000);
		assert_int_equal(m->iova % (2u << 20), 0);
		assert_true(udrv_virt_to_iova((void *)(uintptr_t)m->vaddr) == m->iova);
	}
	udrv_dev_close(d);
	for (unsigned i = 0; i < fv->nmaps; i++)
		assert_true(fv->maps[i].unmapped);
	assert_int_equal(fv->bad_unmaps, 0);
	assert_int_equal(fv->open_fds, 0); /* device, group and container closed */
	udrv_dma_free(before);
	udrv_dma_free(after);
}

static void dev__bar_config_bus_master_reset(void **state)
{
	struct udrv_dev *d;
	struct udrv_region r;
	uint16_t vendor, device;
	void *bar;
	size_t len;

	(void)state;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_string_equal(udrv_dev_name(d), NVME);
	assert_int_equal(udrv_dev_ids(d, &vendor, &device), 0);
	assert_int_equal(vendor, 0x1b36);
	assert_int_equal(device, 0x0010);
	assert_int_equal(udrv_dev_set_bus_master(d, true), 0);
	assert_true(fv->config[4] & 0x4);
	assert_int_equal(udrv_dev_region_info(d, 0, &r), 0);
	assert_true(r.mmappable);
	assert_int_equal(r.size, 0x4000);
	assert_int_equal(udrv_dev_map_bar(d, 0, &bar, &len), 0);
	assert_int_equal(len, 0x4000);
	*(volatile uint32_t *)bar = 1;
	assert_int_equal(udrv_dev_map_bar(d, 2, &bar, &len), -ENOENT);
	assert_int_equal(udrv_dev_reset(d), 0);
	assert_int_equal(fv->resets, 1);
	udrv_dev_close(d);
}

static void dev__reset_unsupported__enotty(void **state)
{
	struct udrv_dev *d;

	(void)state;
	fv->no_reset = true;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_int_equal(udrv_dev_reset(d), -ENOTTY);
	udrv_dev_close(d);
}

static void groups__shared_group_opened_once_devices_detach_independently(void **state)
{
	struct udrv_dev *a, *b, *c;
	void *bar;
	size_t len;

	(void)state;
	fake_sysfs_add_pci(fs, "0000:01:00.1", 0x1b36, 0x0010, 0x010802, "vfio-pci", 5);
	assert_int_equal(udrv_dev_open(NVME, &a), 0);
	assert_int_equal(udrv_dev_open("0000:01:00.1", &b), 0);
	assert_int_equal(udrv_dev_open(NVME2, &c), 0);
	assert_int_equal(fv->group_opens, 2);
	assert_int_equal(fv->container_opens, 1);
	/* Detach one device of group 5 and the only one of group 6; the rest lives on. */
	udrv_dev_close(a);
	udrv_dev_close(c);
	assert_int_equal(udrv_dev_map_bar(b, 0, &bar, &len), 0);
	/* Re-attach while b stays open: no new container, group 6 opened again. */
	assert_int_equal(udrv_dev_open(NVME2, &c), 0);
	assert_int_equal(fv->container_opens, 1);
	assert_int_equal(fv->group_opens, 3);
	udrv_dev_close(b);
	udrv_dev_close(c);
	assert_int_equal(fv->open_fds, 0);
}

static void dma__mapping_limit_exhausted__says_dma_entry_limit(void **state)
{
	struct udrv_dev *d;
	void *a, *b;

	(void)state;
	fv->dma_avail = 1;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_int_equal(udrv_dma_alloc(1u << 20, 0, &a, NULL), 0);
	assert_int_equal(udrv_dma_alloc(2u << 20, 0, &b, NULL), -ENOMEM);
	assert_error_says("dma_entry_limit");
	udrv_dma_free(a);
	udrv_dev_close(d);
}

static void dma__iova_space_exhausted__says_so(void **state)
{
	struct udrv_dev *d;
	void *a, *b;

	(void)state;
	fv->nranges = 1;
	fv->range_start[0] = 4ull << 30;
	fv->range_last[0] = (4ull << 30) + (4u << 20) - 1;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	assert_int_equal(udrv_dma_alloc(4u << 20, 0, &a, NULL), 0);
	assert_int_equal(udrv_dma_alloc(4096, 0, &b, NULL), -ENOMEM);
	assert_error_says("IOVA space exhausted");
	udrv_dma_free(a);
	udrv_dev_close(d);
}

static void events__request_irq_sets_remove_flag_without_syscall_on_data_path(void **state)
{
	const volatile uint32_t *ev;
	struct udrv_dev *d;
	uint64_t one = 1;
	int efd;

	(void)state;
	assert_int_equal(udrv_dev_open(NVME, &d), 0);
	ev = udrv_dev_events(d);
	assert_int_equal(*ev, 0);
	efd = fv->irq_efd[VFIO_PCI_REQ_IRQ_INDEX];
	assert_true(efd >= 0);
	/* The kernel signals the request eventfd (hot-unplug); the event thread flags it. */
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	for (int i = 0; i < 5000 && !(__atomic_load_n(ev, __ATOMIC_ACQUIRE) & UDRV_DEV_EV_REMOVE); i++)
		usleep(1000);
	assert_int_equal(__atomic_load_n(ev, __ATOMIC_ACQUIRE), UDRV_DEV_EV_REMOVE);
	efd = fv->irq_efd[VFIO_PCI_ERR_IRQ_INDEX];
	assert_true(efd >= 0);
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	for (int i = 0; i < 5000 && !(__atomic_load_n(ev, __ATOMIC_ACQUIRE) & UDRV_DEV_EV_ERROR); i++)
		usleep(1000);
	assert_true(__atomic_load_n(ev, __ATOMIC_ACQUIRE) & UDRV_DEV_EV_ERROR);
	udrv_dev_close(d);
	/* Closing the device disabled its IRQs. */
	assert_int_equal(fv->irq_efd[VFIO_PCI_REQ_IRQ_INDEX], -1);
	assert_int_equal(fv->irq_efd[VFIO_PCI_ERR_IRQ_INDEX], -1);
}

/* RLIMIT_MEMLOCK is checked for users without CAP_IPC_LOCK: run as nobody. */
static void dma__memlock_too_low_for_non_root__says_ulimit(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0)
		skip();
	chmod(fs->root, 0755);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 64 * 1024, 64 * 1024 };
		struct udrv_dev *d;
		void *p;
		int ok;

		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
			_exit(2);
		ok = udrv_dev_open(NVME, &d) == 0 && udrv_dma_alloc(4096, 0, &p, NULL) == -ENOMEM &&
		     strstr(udrv_last_error(), "RLIMIT_MEMLOCK is 64 KiB") &&
		     strstr(udrv_last_error(), "ulimit -l");
		if (!ok)
			fprintf(stderr, "last error: %s\n", udrv_last_error());
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open__malformed_bdf__einval_names_form, setup, teardown),
		cmocka_unit_test_setup_teardown(open__no_such_device__enodev_suggests_status, setup, teardown),
		cmocka_unit_test_setup_teardown(open__bound_to_kernel_driver__enxio_names_driver_and_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(open__vfio_module_missing__enodev_says_modprobe, setup, teardown),
		cmocka_unit_test_setup_teardown(open__group_not_viable__names_every_other_device, setup, teardown),
		cmocka_unit_test_setup_teardown(open__group_busy__ebusy_says_other_process, setup, teardown),
		cmocka_unit_test_setup_teardown(open__permission_denied__eacces_says_chown, setup, teardown),
		cmocka_unit_test_setup_teardown(open__no_iommu_group__says_intel_iommu_on, setup, teardown),
		cmocka_unit_test_setup_teardown(open__set_iommu_eperm__says_interrupt_remapping, setup, teardown),
		cmocka_unit_test_setup_teardown(open__twice_in_process__ebusy, setup, teardown),
		cmocka_unit_test_setup_teardown(open__maps_chunks_inside_reported_ranges_and_unmaps_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(dev__bar_config_bus_master_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(dev__reset_unsupported__enotty, setup, teardown),
		cmocka_unit_test_setup_teardown(groups__shared_group_opened_once_devices_detach_independently, setup, teardown),
		cmocka_unit_test_setup_teardown(dma__mapping_limit_exhausted__says_dma_entry_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(dma__iova_space_exhausted__says_so, setup, teardown),
		cmocka_unit_test_setup_teardown(events__request_irq_sets_remove_flag_without_syscall_on_data_path, setup, teardown),
		cmocka_unit_test_setup_teardown(dma__memlock_too_low_for_non_root__says_ulimit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

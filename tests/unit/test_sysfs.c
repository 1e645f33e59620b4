/* SPDX-License-Identifier: MIT */
/* lib/sysfs.c against a fake sysfs tree (tests/unit/fake_sysfs.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "sys.h"
#include "sysfs.h"

static int fs_setup(void **state)
{
	struct fake_sysfs *fs = fake_sysfs_create();

	if (!fs)
		return -1;
	*state = fs;
	return 0;
}

static int fs_teardown(void **state)
{
	fake_sysfs_destroy(*state);
	return 0;
}

static struct udrv_bdf bdf_of(const char *s)
{
	struct udrv_bdf b;

	assert_int_equal(udrv_bdf_parse(s, &b), 0);
	return b;
}

static void fake_sysfs__points_roots_at_tree_and_restores(void **state)
{
	struct fake_sysfs *fs = fake_sysfs_create();

	(void)state;
	assert_non_null(fs);
	assert_string_equal(udrvi_sysfs_root, fs->sys);
	assert_string_equal(udrvi_dev_root, fs->dev);
	fake_sysfs_destroy(fs);
	assert_string_equal(udrvi_sysfs_root, "/sys");
	assert_string_equal(udrvi_dev_root, "/dev");
}

static void sysfs_read__strips_newline_and_reports_length(void **state)
{
	struct fake_sysfs *fs = *state;
	char buf[16];

	assert_int_equal(fake_sysfs_write(fs, "sys/attr", "hello\n"), 0);
	assert_int_equal(udrvi_sysfs_read("attr", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	/* Truncated to the buffer, always NUL-terminated. */
	assert_int_equal(udrvi_sysfs_read("attr", buf, 3), 2);
	assert_string_equal(buf, "he");
	assert_int_equal(udrvi_sysfs_read("missing", buf, sizeof(buf)), -ENOENT);
}

static void sysfs_write__replaces_value_and_needs_existing_file(void **state)
{
	struct fake_sysfs *fs = *state;
	char buf[32];

	assert_int_equal(fake_sysfs_write(fs, "sys/attr", "a long old value\n"), 0);
	assert_int_equal(udrvi_sysfs_write("attr", "new"), 0);
	assert_int_equal(fake_sysfs_read(fs, "sys/attr", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "new");
	/* sysfs does not create attributes: neither does the write. */
	assert_int_equal(udrvi_sysfs_write("no_such_attr", "1"), -ENOENT);
}

static void pci_info__reads_ids_class_driver_group(void **state)
{
	struct fake_sysfs *fs = *state;
	struct udrv_bdf b = bdf_of("0000:01:00.0");
	struct udrvi_pci_info info;

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 5), 0);
	assert_int_equal(udrvi_sysfs_pci_info(&b, &info), 0);
	assert_string_equal(info.name, "0000:01:00.0");
	assert_int_equal(info.bdf.domain, 0);
	assert_int_equal(info.bdf.bus, 1);
	assert_int_equal(info.bdf.dev, 0);
	assert_int_equal(info.bdf.fn, 0);
	assert_int_equal(info.vendor, 0x1b36);
	assert_int_equal(info.device, 0x0010);
	assert_int_equal(info.class_code, 0x010802);
	assert_string_equal(info.driver, "nvme");
	assert_int_equal(info.iommu_group, 5);
	assert_int_equal(info.numa_node, -1);
}

static void pci_info__numa_node(void **state)
{
	struct fake_sysfs *fs = *state;
	struct udrv_bdf b = bdf_of("0000:81:00.0");
	struct udrvi_pci_info info;

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:81:00.0", 0x8086, 0x10d3, 0x020000, "e1000e", 40), 0);
	assert_int_equal(fake_sysfs_write(fs, "sys/bus/pci/devices/0000:81:00.0/numa_node", "1\n"), 0);
	assert_int_equal(udrvi_sysfs_pci_info(&b, &info), 0);
	assert_int_equal(info.numa_node, 1);
	/* A kernel without numa_node: unknown, not an error. */
	assert_int_equal(fake_sysfs_remove(fs, "sys/bus/pci/devices/0000:81:00.0/numa_node"), 0);
	assert_int_equal(udrvi_sysfs_pci_info(&b, &info), 0);
	assert_int_equal(info.numa_node, -1);
}

static void pci_info__missing_device_is_enodev(void **state)
{
	struct fake_sysfs *fs = *state;
	struct udrv_bdf b = bdf_of("0000:02:00.0");
	struct udrvi_pci_info info;

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 5), 0);
	assert_int_equal(udrvi_sysfs_pci_info(&b, &info), -ENODEV);
}

static void pci_info__no_driver_no_group(void **state)
{
	struct fake_sysfs *fs = *state;
	struct udrv_bdf b = bdf_of("0000:00:03.0");
	struct udrvi_pci_info info;

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:03.0", 0x1af4, 0x1041, 0x020000, NULL, -1), 0);
	assert_int_equal(udrvi_sysfs_pci_info(&b, &info), 0);
	assert_string_equal(info.driver, "");
	assert_int_equal(info.iommu_group, -1);
	assert_int_equal(info.vendor, 0x1af4);
}

static void pci_info__garbage_attribute_is_einval(void **state)
{
	struct fake_sysfs *fs = *state;
	struct udrv_bdf b = bdf_of("0000:01:00.0");
	struct udrvi_pci_info info;

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 5), 0);
	assert_int_equal(fake_sysfs_write(fs, "sys/bus/pci/devices/0000:01:00.0/vendor", "zz\n"), 0);
	assert_int_equal(udrvi_sysfs_pci_info(&b, &info), -EINVAL);
}

static void pci_info__driver_change_is_seen(void **state)
{
	struct fake_sysfs *fs = *state;
	struct udrv_bdf b = bdf_of("0000:01:00.0");
	struct udrvi_pci_info info;

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 5), 0);
	assert_int_equal(fake_sysfs_set_driver(fs, "0000:01:00.0", "vfio-pci"), 0);
	assert_int_equal(udrvi_sysfs_pci_info(&b, &info), 0);
	assert_string_equal(info.driver, "vfio-pci");
	assert_int_equal(fake_sysfs_set_driver(fs, "0000:01:00.0", NULL), 0);
	assert_int_equal(udrvi_sysfs_pci_info(&b, &info), 0);
	assert_string_equal(info.driver, "");
}

static void group_devices__lists_in_bdf_order(void **state)
{
	struct fake_sysfs *fs = *state;
	struct udrv_bdf out[8];
	char name[UDRV_BDF_STRLEN];

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.3", 0x8086, 0xa348, 0x040300, "snd_hda_intel", 9), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.0", 0x8086, 0xa306, 0x060100, NULL, 9), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.2", 0x8086, 0xa352, 0x010601, "ahci", 9), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 5), 0);

	assert_int_equal(udrvi_sysfs_group_devices(9, out, 8), 3);
	assert_string_equal(udrv_bdf_format(&out[0], name), "0000:00:1f.0");
	assert_string_equal(udrv_bdf_format(&out[1], name), "0000:00:1f.2");
	assert_string_equal(udrv_bdf_format(&out[2], name), "0000:00:1f.3");
	assert_int_equal(udrvi_sysfs_group_devices(5, out, 8), 1);
	assert_string_equal(udrv_bdf_format(&out[0], name), "0000:01:00.0");
}

static void group_devices__count_beyond_max(void **state)
{
	struct fake_sysfs *fs = *state;
	struct udrv_bdf out[2];
	char name[UDRV_BDF_STRLEN];

	memset(out, 0, sizeof(out));
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:02:00.2", 0x1af4, 0x1041, 0x020000, NULL, 3), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:02:00.1", 0x1af4, 0x1041, 0x020000, NULL, 3), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:02:00.0", 0x1af4, 0x1041, 0x020000, NULL, 3), 0);
	assert_int_equal(udrvi_sysfs_group_devices(3, out, 1), 3);
	assert_string_equal(udrv_bdf_format(&out[0], name), "0000:02:00.0");
	/* Nothing written past max. */
	assert_int_equal(out[1].bus, 0);
	assert_int_equal(udrvi_sysfs_group_devices(3, NULL, 0), 3);
}

static void group_devices__missing_group_is_error(void **state)
{
	struct udrv_bdf out[2];

	(void)state;
	assert_int_equal(udrvi_sysfs_group_devices(42, out, 2), -ENOENT);
	assert_int_equal(udrvi_sysfs_group_devices(-1, out, 2), -EINVAL);
}

struct walk {
	char names[8][UDRV_BDF_STRLEN];
	uint32_t classes[8];
	int n;
	int stop_at;
};

static int walk_fn(const struct udrvi_pci_info *info, void *arg)
{
	struct walk *w = arg;

	if (w->n < 8) {
		memcpy(w->names[w->n], info->name, UDRV_BDF_STRLEN);
		w->classes[w->n] = info->class_code;
	}
	w->n++;
	return w->n == w->stop_at ? 77 : 0;
}

static void pci_foreach__visits_every_device_in_order(void **state)
{
	struct fake_sysfs *fs = *state;
	struct walk w = { .stop_at = -1 };

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:03:00.0", 0x8086, 0x10d3, 0x020000, "e1000e", 7), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:02.0", 0x1234, 0x1111, 0x030000, "bochs-drm", 1), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0001:00:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 8), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 5), 0);
	/* Not a device: ignored. */
	assert_int_equal(fake_sysfs_mkdir(fs, "sys/bus/pci/devices/not-a-bdf"), 0);

	assert_int_equal(udrvi_sysfs_pci_foreach(walk_fn, &w), 0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.names[0], "0000:00:02.0");
	assert_string_equal(w.names[1], "0000:01:00.0");
	assert_string_equal(w.names[2], "0000:03:00.0");
	assert_string_equal(w.names[3], "0001:00:00.0");
	assert_int_equal(w.classes[2], 0x020000);
}

static void pci_foreach__stops_on_nonzero(void **state)
{
	struct fake_sysfs *fs = *state;
	struct walk w = { .stop_at = 2 };

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 5), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:02:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 6), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:03:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 7), 0);
	assert_int_equal(udrvi_sysfs_pci_foreach(walk_fn, &w), 77);
	assert_int_equal(w.n, 2);
}

static void pci_foreach__empty_bus(void **state)
{
	struct walk w = { .stop_at = -1 };

	(void)state;
	assert_int_equal(udrvi_sysfs_pci_foreach(walk_fn, &w), 0);
	assert_int_equal(w.n, 0);
}

static void group_viable__all_vfio_or_unbound(void **state)
{
	struct fake_sysfs *fs = *state;
	char msg[256] = "junk";

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "vfio-pci", 5), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:01:00.1", 0x1b36, 0x0010, 0x010802, NULL, 5), 0);
	assert_int_equal(udrvi_sysfs_group_viable(5, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
}

static void group_viable__names_every_other_device_and_driver(void **state)
{
	struct fake_sysfs *fs = *state;
	char msg[256];

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.0", 0x8086, 0xa306, 0x060100, "lpc_ich", 9), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.2", 0x8086, 0xa352, 0x010601, "ahci", 9), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.3", 0x8086, 0xa348, 0x040300, "snd_hda_intel", 9), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.4", 0x8086, 0xa323, 0x0c0500, "vfio-pci", 9), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.5", 0x8086, 0xa324, 0x0c8000, NULL, 9), 0);
	assert_int_equal(udrvi_sysfs_group_viable(9, msg, sizeof(msg)), -EBUSY);
	assert_string_equal(msg, "0000:00:1f.0 (lpc_ich), 0000:00:1f.2 (ahci), 0000:00:1f.3 (snd_hda_intel)");
}

static void group_viable__bridge_on_pcieport_ok(void **state)
{
	struct fake_sysfs *fs = *state;
	char msg[128];

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1c.0", 0x8086, 0x7a38, 0x060400, "pcieport", 4), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:02:00.0", 0x8086, 0x10d3, 0x020000, "vfio-pci", 4), 0);
	assert_int_equal(udrvi_sysfs_group_viable(4, msg, sizeof(msg)), 0);
	/* pci-stub claims no DMA either (driver_managed_dma). */
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:02:00.1", 0x8086, 0x10d3, 0x020000, "pci-stub", 4), 0);
	assert_int_equal(udrvi_sysfs_group_viable(4, msg, sizeof(msg)), 0);
}

static void group_viable__non_bridge_on_pcieport_is_not(void **state)
{
	struct fake_sysfs *fs = *state;
	char msg[128];

	/* Only a bridge may stay on pcieport; anything else "on pcieport" is odd enough to refuse. */
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:02:00.0", 0x8086, 0x10d3, 0x020000, "pcieport", 4), 0);
	assert_int_equal(udrvi_sysfs_group_viable(4, msg, sizeof(msg)), -EBUSY);
	assert_string_equal(msg, "0000:02:00.0 (pcieport)");
}

static void group_viable__bridge_on_other_driver_is_not(void **state)
{
	struct fake_sysfs *fs = *state;
	char msg[128];

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1c.0", 0x8086, 0x7a38, 0x060400, "shpchp", 4), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:02:00.0", 0x8086, 0x10d3, 0x020000, "vfio-pci", 4), 0);
	assert_int_equal(udrvi_sysfs_group_viable(4, msg, sizeof(msg)), -EBUSY);
	assert_string_equal(msg, "0000:00:1c.0 (shpchp)");
}

static void group_viable__short_message_truncated_safely(void **state)
{
	struct fake_sysfs *fs = *state;
	char msg[12];

	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.2", 0x8086, 0xa352, 0x010601, "ahci", 9), 0);
	assert_int_equal(fake_sysfs_add_pci(fs, "0000:00:1f.3", 0x8086, 0xa348, 0x040300, "snd_hda_intel", 9), 0);
	assert_int_equal(udrvi_sysfs_group_viable(9, msg, sizeof(msg)), -EBUSY);
	assert_int_equal(strlen(msg), sizeof(msg) - 1);
	assert_memory_equal(msg, "0000:00:1f.", 11);
	assert_int_equal(udrvi_sysfs_group_viable(9, NULL, 0), -EBUSY);
}

static void group_viable__missing_group_is_error(void **state)
{
	char msg[64];

	(void)state;
	assert_int_equal(udrvi_sysfs_group_viable(17, msg, sizeof(msg)), -ENOENT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fs_setup, fs_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fake_sysfs__points_roots_at_tree_and_restores),
		T(sysfs_read__strips_newline_and_reports_length),
		T(sysfs_write__replaces_value_and_needs_existing_file),
		T(pci_info__reads_ids_class_driver_group),
		T(pci_info__numa_node),
		T(pci_info__missing_device_is_enodev),
		T(pci_info__no_driver_no_group),
		T(pci_info__garbage_attribute_is_einval),
		T(pci_info__driver_change_is_seen),
		T(group_devices__lists_in_bdf_order),
		T(group_devices__count_beyond_max),
		T(group_devices__missing_group_is_error),
		T(pci_foreach__visits_every_device_in_order),
		T(pci_foreach__stops_on_nonzero),
		T(pci_foreach__empty_bus),
		T(group_viable__all_vfio_or_unbound),
		T(group_viable__names_every_other_device_and_driver),
		T(group_viable__bridge_on_pcieport_ok),
		T(group_viable__non_bridge_on_pcieport_is_not),
		T(group_viable__bridge_on_other_driver_is_not),
		T(group_viable__short_message_truncated_safely),
		T(group_viable__missing_group_is_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

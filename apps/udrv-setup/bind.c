/* SPDX-License-Identifier: MIT */
/*
 * bind / unbind: move a device between its kernel driver and vfio-pci.
 *
 * Uses driver_override (Documentation/ABI/testing/sysfs-bus-pci): set it to
 * "vfio-pci", unbind the current driver, then write the BDF to
 * bus/pci/drivers_probe so the kernel probes again and only vfio-pci may
 * take it. Unlike new_id this touches no other device with the same IDs.
 * Unbind clears the override and probes again, so the kernel driver that
 * matches the device takes it back.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "setup.h"
#include "sys.h"

#define VFIO_PCI "vfio-pci"
#define PCI_BASE_CLASS_BRIDGE 0x06

/* How long a probe may take to show in sysfs (probing is synchronous for
 * vfio-pci; some kernel drivers probe asynchronously). */
#define PROBE_WAIT_STEPS 40
#define PROBE_WAIT_MS 50

static const char *drv_name(const char *driver)
{
	return *driver ? driver : "no driver";
}

static int dev_write(const struct udrvi_pci_info *info, const char *attr, const char *val,
		     FILE *err)
{
	char rel[128];
	int ret;

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", info->name, attr);
	ret = setup_hooks.sysfs_write(rel, val);
	if (ret)
		fprintf(err, "udrv-setup: %s: writing %s/%s failed: %s%s\n", info->name,
			udrvi_sysfs_root, rel, strerror(-ret),
			ret == -EACCES || ret == -EPERM ? " (run as root)" : "");
	return ret;
}

static int probe(const struct udrvi_pci_info *info, FILE *err)
{
	int ret = setup_hooks.sysfs_write("bus/pci/drivers_probe", info->name);

	if (ret)
		fprintf(err, "udrv-setup: %s: writing %s/bus/pci/drivers_probe failed: %s\n",
			info->name, udrvi_sysfs_root, strerror(-ret));
	return ret;
}

/* Wait until the device is bound to want (NULL: to any driver). */
static int wait_driver(const struct udrv_bdf *bdf, struct udrvi_pci_info *info, const char *want)
{
	int i, ret;

	for (i = 0;; i++) {
		ret = udrvi_sysfs_pci_info(bdf, info);
		if (ret)
			return ret;
		if (want ? !strcmp(info->driver, want) : info->driver[0] != '\0')
			return 0;
		if (i == PROBE_WAIT_STEPS)
			return -ETIMEDOUT;
		setup_hooks.sleep_ms(PROBE_WAIT_MS);
	}
}

static bool have_vfio_pci(void)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/" VFIO_PCI, udrvi_sysfs_root);
	return stat(path, &st) == 0;
}

static int ensure_vfio_pci(FILE *out, FILE *err)
{
	int ret;

	if (have_vfio_pci())
		return 0;
	fprintf(out, "vfio-pci is not loaded: running modprobe vfio-pci\n");
	ret = setup_hooks.modprobe(VFIO_PCI);
	if (have_vfio_pci())
		return 0;
	fprintf(err,
		"udrv-setup: the vfio-pci driver is not available (modprobe vfio-pci %s).\n"
		"  It needs a kernel with CONFIG_VFIO_PCI and an IOMMU: enable VT-d (Intel) or\n"
		"  AMD-Vi (AMD) in the firmware, boot with intel_iommu=on (Intel) or amd_iommu=on\n"
		"  (AMD), and check with `udrv-setup status` that the IOMMU is on.\n",
		ret ? "failed" : "succeeded but the driver did not appear");
	return -ENOENT;
}

static int get_info(const struct udrv_bdf *bdf, struct udrvi_pci_info *info, FILE *err)
{
	char name[UDRV_BDF_STRLEN];
	int ret = udrvi_sysfs_pci_info(bdf, info);

	udrv_bdf_format(bdf, name);
	if (ret == -ENODEV)
		fprintf(err,
			"udrv-setup: there is no PCI device %s: `udrv-setup status` lists the NVMe\n"
			"  and network devices (lspci -D lists all of them)\n",
			name);
	else if (ret)
		fprintf(err, "udrv-setup: reading %s/bus/pci/devices/%s failed: %s\n",
			udrvi_sysfs_root, name, strerror(-ret));
	return ret;
}

static void report_group(const struct udrvi_pci_info *info, FILE *out, FILE *err)
{
	char msg[1024];
	int ret = udrvi_sysfs_group_viable(info->iommu_group, msg, sizeof(msg));

	if (ret == -EBUSY)
		fprintf(err,
			"udrv-setup: warning: IOMMU group %d is not viable: %s share it and are on\n"
			"  other drivers. udrv cannot open %s until they are bound to vfio-pci too\n"
			"  (udrv-setup bind them) or have no driver.\n",
			info->iommu_group, msg, info->name);
	else if (ret == 0)
		fprintf(out, "  IOMMU group %d is viable: open it through %s/vfio/%d\n",
			info->iommu_group, udrvi_dev_root, info->iommu_group);
}

static int bind_one(const struct udrv_bdf *bdf, bool force, FILE *out, FILE *err)
{
	struct udrvi_pci_info info;
	char old[sizeof(info.driver)], why[1024];
	const char *name;
	int ret;

	ret = get_info(bdf, &info, err);
	if (ret)
		return ret;
	name = setup_device_name(info.vendor, info.device, info.class_code);
	if (!strcmp(info.driver, VFIO_PCI)) {
		fprintf(out, "%s (%s) is already bound to vfio-pci\n", info.name, name);
		report_group(&info, out, err);
		return 0;
	}
	if ((info.class_code >> 16) == PCI_BASE_CLASS_BRIDGE) {
		fprintf(err, "udrv-setup: %s is a bridge (class %06x): vfio-pci does not drive bridges\n",
			info.name, info.class_code);
		return -EINVAL;
	}
	if (info.iommu_group < 0) {
		fprintf(err,
			"udrv-setup: %s has no IOMMU group, so vfio-pci cannot use it: the IOMMU is off.\n"
			"  To turn it on: %s.\n",
			info.name, setup_iommu_hint());
		return -ENODEV;
	}
	if (info.driver[0] && setup_device_in_use(&info, why, sizeof(why)) > 0) {
		if (!force) {
			fprintf(err,
				"udrv-setup: refusing to take %s (%s) from its driver %s: it is in use:\n"
				"  %s.\n"
				"  Stop using it first (umount, swapoff, ip addr flush / ip link set down),\n"
				"  or add --force to take it anyway.\n",
				info.name, name, info.driver, why);
			return -EBUSY;
		}
		fprintf(err, "udrv-setup: warning: %s is in use (%s); --force: binding anyway\n",
			info.name, why);
	}
	ret = ensure_vfio_pci(out, err);
	if (ret)
		return ret;

	snprintf(old, sizeof(old), "%s", info.driver);
	ret = dev_write(&info, "driver_override", VFIO_PCI, err);
	if (ret)
		return ret;
	if (old[0]) {
		ret = dev_write(&info, "driver/unbind", info.name, err);
		if (ret)
			goto restore_override;
	}
	ret = probe(&info, err);
	if (ret)
		goto restore_override;
	ret = wait_driver(bdf, &info, VFIO_PCI);
	if (ret) {
		fprintf(err,
			"udrv-setup: %s did not bind to vfio-pci (it has %s); the kernel log says\n"
			"  why: dmesg | tail\n",
			info.name, drv_name(info.driver));
		goto restore_override;
	}
	fprintf(out, "%s (%s): %s -> vfio-pci, IOMMU group %d\n", info.name, name, drv_name(old),
		info.iommu_group);
	report_group(&info, out, err);
	return 0;

restore_override:
	/* Give the device back to the driver it had, as if we had not been here. */
	if (dev_write(&info, "driver_override", "\n", err) == 0 && old[0] && !info.driver[0] &&
	    probe(&info, err) == 0 && wait_driver(bdf, &info, old) == 0)
		fprintf(err, "udrv-setup: %s is back on %s\n", info.name, old);
	return ret ? ret : -EIO;
}

static int unbind_one(const struct udrv_bdf *bdf, bool force, FILE *out, FILE *err)
{
	struct udrvi_pci_info info;
	char override[64] = "", rel[128], users[512], was[sizeof(info.driver)];
	const char *name;
	int ret;

	ret = get_info(bdf, &info, err);
	if (ret)
		return ret;
	name = setup_device_name(info.vendor, info.device, info.class_code);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override", info.name);
	udrvi_sysfs_read(rel, override, sizeof(override));

	if (info.driver[0] && strcmp(info.driver, VFIO_PCI)) {
		/* unbind only hands vfio-pci devices back; it never takes a device
		 * from a kernel driver (that would be the danger bind guards against). */
		fprintf(out, "%s (%s) is on %s, not vfio-pci: nothing to do\n", info.name, name,
			info.driver);
		return 0;
	}
	if (!info.driver[0] && strcmp(override, VFIO_PCI))
		fprintf(out, "%s (%s) has no driver; asking the kernel to probe it\n", info.name, name);
	snprintf(was, sizeof(was), "%s", drv_name(info.driver));
	if (info.driver[0] && info.iommu_group >= 0 &&
	    setup_group_users(info.iommu_group, users, sizeof(users)) > 0) {
		if (!force) {
			fprintf(err,
				"udrv-setup: refusing to unbind %s: its IOMMU group %d (%s/vfio/%d) is open\n"
				"  in process %s. Stop it first, or add --force: the kernel then asks the\n"
				"  process to release the device and the unbind waits until it does.\n",
				info.name, info.iommu_group, udrvi_dev_root, info.iommu_group, users);
			return -EBUSY;
		}
		fprintf(err, "udrv-setup: warning: %s is open in %s; --force: unbinding anyway\n",
			info.name, users);
	}
	if (override[0] && strcmp(override, "(null)")) {
		ret = dev_write(&info, "driver_override", "\n", err);
		if (ret)
			return ret;
	}
	if (info.driver[0]) {
		ret = dev_write(&info, "driver/unbind", info.name, err);
		if (ret)
			return ret;
	}
	ret = probe(&info, err);
	if (ret)
		return ret;
	if (wait_driver(bdf, &info, NULL) == 0 && !strcmp(info.driver, VFIO_PCI)) {
		/* Someone bound it with new_id: vfio-pci matches the IDs themselves. */
		fprintf(err,
			"udrv-setup: %s: vfio-pci took it again because its IDs were added with new_id.\n"
			"  Remove them and retry: echo '%04x %04x' > /sys/bus/pci/drivers/vfio-pci/remove_id\n",
			info.name, info.vendor, info.device);
		return -EBUSY;
	}
	if (info.driver[0])
		fprintf(out, "%s (%s): %s -> %s\n", info.name, name, was, info.driver);
	else
		fprintf(out,
			"%s (%s): released from %s; no kernel driver took it (load one, e.g.\n"
			"  modprobe nvme, then: echo %s > /sys/bus/pci/drivers_probe)\n",
			info.name, name, was, info.name);
	return 0;
}

static bool need_root(const char *cmd, const struct udrv_bdf *bdfs, int n, FILE *err)
{
	char name[UDRV_BDF_STRLEN];
	int i;

	if (setup_hooks.is_root())
		return false;
	fprintf(err, "udrv-setup: %s must run as root: it writes to /sys/bus/pci. Run:\n  sudo udrv-setup %s",
		cmd, cmd);
	for (i = 0; i < n; i++)
		fprintf(err, " %s", udrv_bdf_format(&bdfs[i], name));
	fprintf(err, "\n");
	return true;
}

typedef int (*per_device_fn)(const struct udrv_bdf *bdf, bool force, FILE *out, FILE *err);

/* Runs one step on every device, after the root check; fails if any did. */
static int for_each_device(const char *cmd, per_device_fn one, const struct udrv_bdf *bdfs, int n,
			   bool force, FILE *out, FILE *err)
{
	int i, failed = 0;

	if (need_root(cmd, bdfs, n, err))
		return SETUP_EXIT_ERROR;
	for (i = 0; i < n; i++)
		failed += one(&bdfs[i], force, out, err) != 0;
	return failed ? SETUP_EXIT_ERROR : SETUP_EXIT_OK;
}

int setup_bind(const struct udrv_bdf *bdfs, int n, bool force, FILE *out, FILE *err)
{
	return for_each_device("bind", bind_one, bdfs, n, force, out, err);
}

int setup_unbind(const struct udrv_bdf *bdfs, int n, bool force, FILE *out, FILE *err)
{
	return for_each_device("unbind", unbind_one, bdfs, n, force, out, err);
}

/* SPDX-License-Identifier: MIT */
/*
 * udrv-setup against a fake sysfs tree. setup_hooks are replaced by a small
 * fake kernel: sysfs writes land in the tree's plain files (and in a log the
 * tests compare), and when emulation is on, writes to driver/unbind and
 * drivers_probe move the driver symlink the way the kernel would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "setup.h"
#include "sys.h"

#define NVME "0000:01:00.0"
#define NET "0000:00:03.0"

static struct fake_kernel {
	struct fake_sysfs *fs;
	char log[4096];       /* "relpath=value\n" per sysfs write */
	bool emulate;         /* play the kernel on unbind / drivers_probe */
	bool vfio_refuses;    /* vfio-pci probe fails (device stays unbound) */
	struct {
		char bdf[UDRV_BDF_STRLEN];
		char driver[32];
	} native[8];          /* the kernel driver that takes a device on probe */
	int nnative;
	int modprobe_calls;
	bool modprobe_works;
	bool root;
	char mounted[512];    /* "path opts\n" per mount */
	int mount_ret;
	const char *addr_if, *addr; /* the interface with an address */
	unsigned long hp_max; /* pages the kernel can reserve */
	char *out, *err;
} K;

static void set_native(const char *bdf, const char *driver)
{
	snprintf(K.native[K.nnative].bdf, UDRV_BDF_STRLEN, "%s", bdf);
	snprintf(K.native[K.nnative].driver, 32, "%s", driver);
	K.nnative++;
}

static const char *native_of(const char *bdf)
{
	int i;

	for (i = 0; i < K.nnative; i++)
		if (!strcmp(K.native[i].bdf, bdf))
			return K.native[i].driver;
	return NULL;
}

static bool tree_has(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", K.fs->root, rel);
	return access(path, F_OK) == 0;
}

static void kernel_probe(const char *bdf)
{
	char rel[128], ovr[64] = "";
	const char *drv;

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver", bdf);
	if (tree_has(rel))
		return; /* bound devices are not probed */
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver_override", bdf);
	fake_sysfs_read(K.fs, rel, ovr, sizeof(ovr));
	ovr[strcspn(ovr, "\n")] = '\0';
	if (ovr[0] && strcmp(ovr, "(null)")) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", ovr);
		if (tree_has(rel) && !(K.vfio_refuses && !strcmp(ovr, "vfio-pci")))
			fake_sysfs_set_driver(K.fs, bdf, ovr);
		return; /* an override admits no other driver */
	}
	drv = native_of(bdf);
	if (drv)
		fake_sysfs_set_driver(K.fs, bdf, drv);
}

static int fake_write(const char *rel, const char *val)
{
	char bdf[UDRV_BDF_STRLEN + 1], tail;
	unsigned long kb, n;
	int ret = udrvi_sysfs_write(rel, val);
	size_t used = strlen(K.log);

	snprintf(K.log + used, sizeof(K.log) - used, "%s=%s%s", rel, val,
		 val[0] && val[strlen(val) - 1] == '\n' ? "" : "\n");
	if (ret || !K.emulate)
		return ret;
	if (sscanf(rel, "bus/pci/devices/%12[0-9a-f:.]/driver/unbin%c", bdf, &tail) == 2 &&
	    tail == 'd')
		fake_sysfs_set_driver(K.fs, val, NULL);
	else if (!strcmp(rel, "bus/pci/drivers_probe"))
		kernel_probe(val);
	else if (sscanf(rel, "kernel/mm/hugepages/hugepages-%lukB/nr_hugepage%c", &kb, &tail) == 2) {
		char r[128], v[32];

		n = strtoul(val, NULL, 10);
		if (n > K.hp_max)
			n = K.hp_max;
		snprintf(v, sizeof(v), "%lu\n", n);
		snprintf(r, sizeof(r), "sys/%s", rel);
		fake_sysfs_write(K.fs, r, v);
		snprintf(r, sizeof(r), "sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", kb);
		fake_sysfs_write(K.fs, r, v);
	}
	return 0;
}

static int fake_modprobe(const char *module)
{
	K.modprobe_calls++;
	assert_string_equal(module, "vfio-pci");
	if (!K.modprobe_works)
		return -ENOENT;
	return fake_sysfs_add_driver(K.fs, "vfio-pci");
}

static bool fake_is_root(void)
{
	return K.root;
}

static int fake_mount(const char *path, const char *opts)
{
	size_t used = strlen(K.mounted);

	snprintf(K.mounted + used, sizeof(K.mounted) - used, "%s %s\n", path, opts);
	return K.mount_ret;
}

static int fake_iface_addrs(const char *ifname, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!K.addr_if || strcmp(ifname, K.addr_if))
		return 0;
	snprintf(buf, len, "%s", K.addr);
	return 1;
}

static void fake_sleep(unsigned ms)
{
	(void)ms;
}

static const struct setup_hooks fake_hooks = {
	.sysfs_write = fake_write,
	.modprobe = fake_modprobe,
	.is_root = fake_is_root,
	.mount_hugetlbfs = fake_mount,
	.iface_addrs = fake_iface_addrs,
	.sleep_ms = fake_sleep,
};

static int setup_fake(void **state)
{
	(void)state;
	memset(&K, 0, sizeof(K));
	K.fs = fake_sysfs_create();
	if (!K.fs)
		return -1;
	snprintf(setup_proc_root, sizeof(setup_proc_root), "%s", K.fs->proc);
	setup_hooks = fake_hooks;
	K.emulate = true;
	K.root = true;
	K.modprobe_works = true;
	K.hp_max = 100000;
	if (fake_sysfs_add_driver(K.fs, "vfio-pci") || fake_sysfs_add_iommu(K.fs, "dmar0") ||
	    fake_sysfs_add_hugepages(K.fs, 2048, 0, 0))
		return -1;
	return 0;
}

static int teardown_fake(void **state)
{
	(void)state;
	setup_hooks = setup_hooks_real;
	snprintf(setup_proc_root, sizeof(setup_proc_root), "/proc");
	fake_sysfs_destroy(K.fs);
	free(K.out);
	free(K.err);
	return 0;
}

/* Run "udrv-setup <args>" (space-separated); output in K.out / K.err. */
static int run(const char *args)
{
	char copy[512], *argv[32], *tok, *save = NULL;
	size_t olen, elen;
	FILE *out, *err;
	int argc = 0, rc;

	free(K.out);
	free(K.err);
	K.out = K.err = NULL;
	snprintf(copy, sizeof(copy), "%s", args);
	argv[argc++] = "udrv-setup";
	for (tok = strtok_r(copy, " ", &save); tok && argc < 31; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	out = open_memstream(&K.out, &olen);
	err = open_memstream(&K.err, &elen);
	assert_non_null(out);
	assert_non_null(err);
	rc = setup_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return rc;
}

#define assert_has(s, sub)                                                              \
	do {                                                                            \
		if (!strstr((s), (sub)))                                                \
			fail_msg("expected \"%s\" in:\n%s", (sub), (s));                \
	} while (0)
#define assert_lacks(s, sub)                                                            \
	do {                                                                            \
		if (strstr((s), (sub)))                                                 \
			fail_msg("did not expect \"%s\" in:\n%s", (sub), (s));          \
	} while (0)

static void driver_is(const char *bdf, const char *want)
{
	struct udrvi_pci_info info;
	struct udrv_bdf b;

	assert_int_equal(udrv_bdf_parse(bdf, &b), 0);
	assert_int_equal(udrvi_sysfs_pci_info(&b, &info), 0);
	assert_string_equal(info.driver, want);
}

static void add_nvme(const char *driver, int group)
{
	assert_int_equal(fake_sysfs_add_pci(K.fs, NVME, 0x1b36, 0x0010, 0x010802, driver, group), 0);
	assert_int_equal(fake_sysfs_add_nvme_ns(K.fs, NVME, "nvme0", "nvme0n1"), 0);
	set_native(NVME, "nvme");
}

static void add_net(const char *driver, int group)
{
	assert_int_equal(fake_sysfs_add_pci(K.fs, NET, 0x1af4, 0x1041, 0x020000, driver, group), 0);
	/* virtio-net hangs its interface off the virtio device, not the PCI one. */
	assert_int_equal(fake_sysfs_mkdir(K.fs, "sys/bus/pci/devices/" NET "/virtio0/net/eth1"), 0);
	set_native(NET, "virtio-pci");
}

/* ---- status ---- */

static void add_machine(void)
{
	add_nvme("nvme", 5);
	add_net("virtio-pci", 3);
	assert_int_equal(fake_sysfs_add_pci(K.fs, "0000:00:1f.6", 0x8086, 0x10d3, 0x020000, "e1000e", 9), 0);
	assert_int_equal(fake_sysfs_add_pci(K.fs, "0000:00:1f.2", 0x8086, 0xa352, 0x010601, "ahci", 9), 0);
	assert_int_equal(fake_sysfs_add_pci(K.fs, "0000:00:02.0", 0x1234, 0x1111, 0x030000, "bochs-drm", 1), 0);
	assert_int_equal(fake_sysfs_add_pci(K.fs, "0000:02:00.0", 0x144d, 0xa808, 0x010802, "vfio-pci", 6), 0);
	assert_int_equal(fake_sysfs_add_hugepages(K.fs, 2048, 512, 500), 0);
	assert_int_equal(fake_sysfs_add_hugepages(K.fs, 1048576, 0, 0), 0);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/mounts",
					  "sysfs /sys sysfs rw 0 0\n"
					  "hugetlbfs /dev/huge\\040pages hugetlbfs rw,relatime,pagesize=2M 0 0\n"),
			 0);
	assert_int_equal(fake_sysfs_add_vfio(K.fs, 6), 0);
}

static void status__lists_nvme_and_net_only(void **state)
{
	(void)state;
	add_machine();
	assert_int_equal(run("status"), SETUP_EXIT_OK);
	assert_has(K.out, "NVMe controllers:");
	assert_has(K.out, NVME "  1b36:0010  QEMU NVM Express controller");
	assert_has(K.out, "0000:02:00.0  144d:a808  NVMe controller");
	assert_has(K.out, NET "  1af4:1041  virtio-net (modern)");
	assert_has(K.out, "0000:00:1f.6  8086:10d3  Intel 82574L");
	assert_lacks(K.out, "0000:00:02.0"); /* a display controller */
	assert_lacks(K.out, "0000:00:1f.2  "); /* SATA is only named as a blocker */
	assert_has(K.out, "nvme0n1");
	assert_has(K.out, "eth1");
	assert_string_equal(K.err, "");
}

static void status__group_viability(void **state)
{
	(void)state;
	add_machine();
	assert_int_equal(run("status"), SETUP_EXIT_OK);
	/* The device itself does not count: it is the one to bind. */
	assert_has(K.out, "nvme          5      yes");
	assert_has(K.out, "e1000e        9      no: also 0000:00:1f.2 (ahci)");
}

static void status__hugepages_mounts_iommu_vfio(void **state)
{
	(void)state;
	add_machine();
	assert_int_equal(run("status"), SETUP_EXIT_OK);
	assert_has(K.out, "2M    512 reserved (1 GiB), 500 free");
	assert_has(K.out, "1G    0 reserved");
	assert_has(K.out, "hugetlbfs: /dev/huge pages (2M pages)");
	assert_has(K.out, "IOMMU: on (1 IOMMU, 5 groups)");
	assert_has(K.out, "/vfio/vfio present; vfio-pci loaded");
	assert_has(K.out, "RLIMIT_MEMLOCK: ");
}

static void status__iommu_off_says_how_to_turn_it_on(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_remove(K.fs, "sys/class/iommu/dmar0"), 0);
	assert_int_equal(fake_sysfs_remove(K.fs, "sys/bus/pci/drivers/vfio-pci"), 0);
	assert_int_equal(fake_sysfs_add_pci(K.fs, NET, 0x8086, 0x100e, 0x020000, "e1000", -1), 0);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: fpu vme\n"), 0);
	assert_int_equal(run("status"), SETUP_EXIT_OK);
	assert_has(K.out, "Intel 82540EM");
	assert_has(K.out, "no IOMMU group");
	assert_has(K.out, "IOMMU: off");
	assert_has(K.out, "intel_iommu=on");
	assert_has(K.out, "/vfio/vfio missing; vfio-pci not loaded");
	assert_has(K.out, "modprobe vfio-pci");
	assert_has(K.out, "hugetlbfs: not mounted");
}

static void status__iommu_off_in_a_vm_suggests_viommu(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_remove(K.fs, "sys/class/iommu/dmar0"), 0);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/cpuinfo",
					  "vendor_id\t: AuthenticAMD\nflags\t\t: fpu hypervisor\n"), 0);
	assert_int_equal(run("status"), SETUP_EXIT_OK);
	assert_has(K.out, "virtual machine");
	assert_has(K.out, "intel-iommu");
}

/* Validate with python3's json module when there is one (meson needs it). */
static void assert_valid_json(const char *text, const char *check)
{
	char cmd[1024];
	FILE *p;
	int st;

	if (system("python3 -c 'pass' >/dev/null 2>&1") != 0)
		return;
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(sys.stdin); %s' >/dev/null", check);
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(text, p);
	st = pclose(p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("invalid JSON or failed check (%s):\n%s", check, text);
}

static void status__json_is_valid(void **state)
{
	(void)state;
	add_machine();
	assert_int_equal(run("status --json"), SETUP_EXIT_OK);
	assert_string_equal(K.err, "");
	assert_valid_json(K.out,
			  "v=d[\"devices\"]; assert len(v)==4; "
			  "n=[x for x in v if x[\"bdf\"]==\"" NVME "\"][0]; "
			  "assert n[\"type\"]==\"nvme\" and n[\"vendor\"]==\"1b36\" and n[\"iommu_group\"]==5; "
			  "assert n[\"group_viable\"] is True and n[\"kernel_names\"]==[\"nvme0n1\"]; "
			  "e=[x for x in v if x[\"bdf\"]==\"0000:00:1f.6\"][0]; "
			  "assert e[\"group_viable\"] is False; "
			  "assert e[\"group_blockers\"]==[{\"bdf\":\"0000:00:1f.2\",\"driver\":\"ahci\"}]; "
			  "assert d[\"hugepages\"][0]==dict(size=\"2M\",size_kb=2048,nr=512,free=500); "
			  "assert d[\"hugetlbfs_mounts\"][0][\"path\"]==\"/dev/huge pages\"; "
			  "assert d[\"iommu\"][\"enabled\"] is True and d[\"vfio\"][\"dev_vfio_vfio\"] is True");
}

static void status__many_functions(void **state)
{
	char bdf[UDRV_BDF_STRLEN];
	int i;

	(void)state;
	/* SR-IOV virtual functions: more than any fixed table would hold. */
	for (i = 0; i < 40; i++) {
		snprintf(bdf, sizeof(bdf), "0000:%02x:%02x.%x", 0x10 + i / 32, (i / 8) % 4, i % 8);
		assert_int_equal(fake_sysfs_add_pci(K.fs, bdf, 0x8086, 0x154c, 0x020000, "iavf", 20 + i), 0);
	}
	assert_int_equal(run("status"), SETUP_EXIT_OK);
	assert_has(K.out, "0000:10:00.0  8086:154c  Ethernet controller");
	assert_has(K.out, "0000:11:00.7");
	assert_int_equal(run("status --json"), SETUP_EXIT_OK);
	assert_valid_json(K.out, "assert len(d[\"devices\"])==40");
}

static void status__json_empty_machine_is_valid(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_remove(K.fs, "sys/class/iommu/dmar0"), 0);
	assert_int_equal(fake_sysfs_remove(K.fs, "sys/kernel/mm/hugepages/hugepages-2048kB"), 0);
	assert_int_equal(run("status --json"), SETUP_EXIT_OK);
	assert_valid_json(K.out, "assert d[\"devices\"]==[] and d[\"hugepages\"]==[]; "
				 "assert d[\"iommu\"][\"enabled\"] is False and d[\"iommu\"][\"hint\"]");
}

/* ---- bind ---- */

static void bind__nvme_via_driver_override(void **state)
{
	char buf[64];

	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(run("bind 01:00.0"), SETUP_EXIT_OK);
	assert_string_equal(K.log, "bus/pci/devices/" NVME "/driver_override=vfio-pci\n"
				   "bus/pci/devices/" NVME "/driver/unbind=" NVME "\n"
				   "bus/pci/drivers_probe=" NVME "\n");
	/* The files the kernel would have seen. */
	fake_sysfs_read(K.fs, "sys/bus/pci/devices/" NVME "/driver_override", buf, sizeof(buf));
	assert_string_equal(buf, "vfio-pci");
	fake_sysfs_read(K.fs, "sys/bus/pci/drivers/nvme/unbind", buf, sizeof(buf));
	assert_string_equal(buf, NVME);
	fake_sysfs_read(K.fs, "sys/bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, NVME);
	driver_is(NVME, "vfio-pci");
	assert_has(K.out, NVME " (QEMU NVM Express controller): nvme -> vfio-pci, IOMMU group 5");
	assert_has(K.out, "IOMMU group 5 is viable");
	assert_int_equal(K.modprobe_calls, 0);
}

static void bind__unbound_device_skips_unbind(void **state)
{
	(void)state;
	add_nvme(NULL, 5);
	assert_int_equal(run("bind " NVME), SETUP_EXIT_OK);
	assert_string_equal(K.log, "bus/pci/devices/" NVME "/driver_override=vfio-pci\n"
				   "bus/pci/drivers_probe=" NVME "\n");
	driver_is(NVME, "vfio-pci");
}

static void bind__several_devices(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	add_net("virtio-pci", 3);
	assert_int_equal(run("bind " NVME " " NET), SETUP_EXIT_OK);
	driver_is(NVME, "vfio-pci");
	driver_is(NET, "vfio-pci");
}

static void bind__loads_vfio_pci(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(fake_sysfs_remove(K.fs, "sys/bus/pci/drivers/vfio-pci"), 0);
	assert_int_equal(run("bind " NVME), SETUP_EXIT_OK);
	assert_int_equal(K.modprobe_calls, 1);
	driver_is(NVME, "vfio-pci");
}

static void bind__vfio_pci_unavailable_explains(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(fake_sysfs_remove(K.fs, "sys/bus/pci/drivers/vfio-pci"), 0);
	K.modprobe_works = false;
	assert_int_equal(run("bind " NVME), SETUP_EXIT_ERROR);
	assert_has(K.err, "vfio-pci driver is not available (modprobe vfio-pci failed)");
	assert_has(K.err, "intel_iommu=on");
	assert_has(K.err, "CONFIG_VFIO_PCI");
	assert_string_equal(K.log, "");
	driver_is(NVME, "nvme");
}

static void bind__refuses_nvme_with_mounted_fs(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/mounts",
					  "/dev/sda1 / ext4 rw 0 0\n"
					  "/dev/nvme0n10 /other ext4 rw 0 0\n"
					  "/dev/nvme0n1p2 /data ext4 rw 0 0\n"), 0);
	assert_int_equal(run("bind " NVME), SETUP_EXIT_ERROR);
	assert_has(K.err, "refusing to take " NVME " (QEMU NVM Express controller) from its driver nvme");
	assert_has(K.err, "/dev/nvme0n1p2 is mounted on /data");
	assert_lacks(K.err, "nvme0n10"); /* another namespace's device */
	assert_has(K.err, "--force");
	assert_string_equal(K.log, "");
	driver_is(NVME, "nvme");
}

static void bind__refuses_nvme_used_as_swap(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(fake_sysfs_append(K.fs, "proc/swaps",
					   "/dev/nvme0n1p3                          partition\t8388604\t\t0\t\t-2\n"),
			 0);
	assert_int_equal(run("bind " NVME), SETUP_EXIT_ERROR);
	assert_has(K.err, "/dev/nvme0n1p3 is used as swap");
	assert_string_equal(K.log, "");
}

static void bind__refuses_nvme_held_by_lvm(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(fake_sysfs_mkdir(K.fs, "sys/class/block/nvme0n1/nvme0n1p1/holders/dm-0"), 0);
	assert_int_equal(run("bind " NVME), SETUP_EXIT_ERROR);
	assert_has(K.err, "nvme0n1p1 is held by dm-0");
	driver_is(NVME, "nvme");
}

static void bind__refuses_multipath_namespace_mounted(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_add_pci(K.fs, NVME, 0x1b36, 0x0010, 0x010802, "nvme", 5), 0);
	/* Native multipath: the controller lists nvme<subsys>c<ctrl>n<ns>. */
	assert_int_equal(fake_sysfs_mkdir(K.fs, "sys/bus/pci/devices/" NVME "/nvme/nvme1/nvme2c1n1"), 0);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/mounts", "/dev/nvme2n1 /mnt xfs rw 0 0\n"), 0);
	assert_int_equal(run("bind " NVME), SETUP_EXIT_ERROR);
	assert_has(K.err, "/dev/nvme2n1 is mounted on /mnt");
}

static void bind__force_overrides_refusal(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/mounts", "/dev/nvme0n1 /data ext4 rw 0 0\n"), 0);
	assert_int_equal(run("bind --force " NVME), SETUP_EXIT_OK);
	assert_has(K.err, "warning");
	driver_is(NVME, "vfio-pci");
}

static void bind__refuses_net_iface_with_address(void **state)
{
	(void)state;
	add_net("virtio-pci", 3);
	K.addr_if = "eth1";
	K.addr = "10.0.2.15";
	assert_int_equal(run("bind " NET), SETUP_EXIT_ERROR);
	assert_has(K.err, "refusing to take " NET " (virtio-net (modern)) from its driver virtio-pci");
	assert_has(K.err, "interface eth1 has address 10.0.2.15");
	assert_string_equal(K.log, "");
	driver_is(NET, "virtio-pci");
	assert_int_equal(run("bind " NET " --force"), SETUP_EXIT_OK);
	driver_is(NET, "vfio-pci");
}

static void bind__net_iface_without_address_binds(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_add_pci(K.fs, NET, 0x8086, 0x10d3, 0x020000, "e1000e", 3), 0);
	assert_int_equal(fake_sysfs_add_net(K.fs, NET, "enp0s3"), 0);
	K.addr_if = "eth9";
	K.addr = "10.0.2.15";
	assert_int_equal(run("bind " NET), SETUP_EXIT_OK);
	driver_is(NET, "vfio-pci");
}

static void bind__malformed_bdf_binds_nothing(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(run("bind " NVME " nvme0"), SETUP_EXIT_USAGE);
	assert_has(K.err, "'nvme0' is not a PCI address");
	assert_has(K.err, "0000:01:00.0");
	assert_string_equal(K.log, "");
	driver_is(NVME, "nvme");
	assert_int_equal(run("bind 0000:00:20.0"), SETUP_EXIT_USAGE);
	assert_has(K.err, "device 00-1f, function 0-7");
	assert_int_equal(run("bind"), SETUP_EXIT_USAGE);
	assert_has(K.err, "needs at least one PCI address");
}

static void bind__no_such_device_suggests_status(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(run("bind 0000:09:00.0"), SETUP_EXIT_ERROR);
	assert_has(K.err, "there is no PCI device 0000:09:00.0");
	assert_has(K.err, "udrv-setup status");
	assert_string_equal(K.log, "");
}

static void bind__needs_root(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	K.root = false;
	assert_int_equal(run("bind 01:00.0"), SETUP_EXIT_ERROR);
	assert_has(K.err, "bind must run as root");
	assert_has(K.err, "sudo udrv-setup bind " NVME);
	assert_string_equal(K.log, "");
	assert_int_equal(run("unbind 01:00.0"), SETUP_EXIT_ERROR);
	assert_has(K.err, "unbind must run as root");
}

static void bind__no_iommu_group_explains(void **state)
{
	(void)state;
	add_nvme("nvme", -1);
	assert_int_equal(run("bind " NVME), SETUP_EXIT_ERROR);
	assert_has(K.err, "has no IOMMU group");
	assert_has(K.err, "intel_iommu=on");
	assert_string_equal(K.log, "");
}

static void bind__refuses_bridge(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_add_pci(K.fs, "0000:00:1c.0", 0x8086, 0x7a38, 0x060400, "pcieport", 2), 0);
	assert_int_equal(run("bind 00:1c.0"), SETUP_EXIT_ERROR);
	assert_has(K.err, "is a bridge");
	assert_string_equal(K.log, "");
}

static void bind__already_bound_writes_nothing(void **state)
{
	(void)state;
	add_nvme("vfio-pci", 5);
	assert_int_equal(run("bind " NVME), SETUP_EXIT_OK);
	assert_has(K.out, "already bound to vfio-pci");
	assert_string_equal(K.log, "");
}

static void bind__probe_failure_reported_and_restored(void **state)
{
	char buf[64];

	(void)state;
	add_nvme("nvme", 5);
	K.vfio_refuses = true;
	assert_int_equal(run("bind " NVME), SETUP_EXIT_ERROR);
	assert_has(K.err, NVME " did not bind to vfio-pci (it has no driver)");
	assert_has(K.err, "dmesg");
	assert_has(K.err, "back on nvme");
	driver_is(NVME, "nvme");
	fake_sysfs_read(K.fs, "sys/bus/pci/devices/" NVME "/driver_override", buf, sizeof(buf));
	assert_string_equal(buf, "\n");
}

static void bind__warns_when_group_not_viable(void **state)
{
	(void)state;
	add_nvme("nvme", 9);
	assert_int_equal(fake_sysfs_add_pci(K.fs, "0000:00:1f.2", 0x8086, 0xa352, 0x010601, "ahci", 9), 0);
	assert_int_equal(run("bind " NVME), SETUP_EXIT_OK);
	driver_is(NVME, "vfio-pci");
	assert_has(K.err, "IOMMU group 9 is not viable: 0000:00:1f.2 (ahci)");
}

static void bind__one_bad_device_others_still_bound(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(run("bind 0000:09:00.0 " NVME), SETUP_EXIT_ERROR);
	driver_is(NVME, "vfio-pci");
}

/* ---- unbind ---- */

static void unbind__gives_device_back_to_kernel_driver(void **state)
{
	(void)state;
	add_nvme("vfio-pci", 5);
	assert_int_equal(fake_sysfs_write(K.fs, "sys/bus/pci/devices/" NVME "/driver_override", "vfio-pci\n"), 0);
	assert_int_equal(run("unbind " NVME), SETUP_EXIT_OK);
	assert_string_equal(K.log, "bus/pci/devices/" NVME "/driver_override=\n"
				   "bus/pci/devices/" NVME "/driver/unbind=" NVME "\n"
				   "bus/pci/drivers_probe=" NVME "\n");
	driver_is(NVME, "nvme");
	assert_has(K.out, NVME " (QEMU NVM Express controller): vfio-pci -> nvme");
}

static void unbind__round_trip_with_bind(void **state)
{
	(void)state;
	add_net("virtio-pci", 3);
	assert_int_equal(run("bind " NET), SETUP_EXIT_OK);
	driver_is(NET, "vfio-pci");
	assert_int_equal(run("unbind " NET), SETUP_EXIT_OK);
	driver_is(NET, "virtio-pci");
}

static void unbind__leaves_kernel_driver_alone(void **state)
{
	(void)state;
	add_nvme("nvme", 5);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/mounts", "/dev/nvme0n1 /data ext4 rw 0 0\n"), 0);
	assert_int_equal(run("unbind " NVME), SETUP_EXIT_OK);
	assert_has(K.out, "is on nvme, not vfio-pci: nothing to do");
	assert_string_equal(K.log, "");
	driver_is(NVME, "nvme");
	assert_int_equal(run("unbind --force " NVME), SETUP_EXIT_OK);
	assert_string_equal(K.log, "");
}

static void unbind__refuses_while_group_open(void **state)
{
	char target[300];

	(void)state;
	add_nvme("vfio-pci", 5);
	assert_int_equal(fake_sysfs_add_vfio(K.fs, 5), 0);
	snprintf(target, sizeof(target), "%s/vfio/5", K.fs->dev);
	assert_int_equal(fake_sysfs_symlink(K.fs, "proc/1234/fd/7", target), 0);
	assert_int_equal(fake_sysfs_symlink(K.fs, "proc/1234/fd/0", "/dev/null"), 0);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/1234/comm", "udrv-nvme\n"), 0);
	assert_int_equal(fake_sysfs_symlink(K.fs, "proc/99/fd/3", "/dev/null"), 0);
	assert_int_equal(run("unbind " NVME), SETUP_EXIT_ERROR);
	assert_has(K.err, "refusing to unbind " NVME);
	assert_has(K.err, "/vfio/5) is open");
	assert_has(K.err, "1234 (udrv-nvme)");
	assert_lacks(K.err, "99 (");
	assert_string_equal(K.log, "");
	driver_is(NVME, "vfio-pci");
	assert_int_equal(run("unbind --force " NVME), SETUP_EXIT_OK);
	driver_is(NVME, "nvme");
}

static void unbind__no_kernel_driver_says_so(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_add_pci(K.fs, NVME, 0x1b36, 0x0010, 0x010802, "vfio-pci", 5), 0);
	assert_int_equal(run("unbind " NVME), SETUP_EXIT_OK);
	assert_has(K.out, "no kernel driver took it");
	driver_is(NVME, "");
}

static void unbind__new_id_binding_explained(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_add_pci(K.fs, NVME, 0x1b36, 0x0010, 0x010802, "vfio-pci", 5), 0);
	set_native(NVME, "vfio-pci"); /* vfio-pci matches by ID after new_id */
	assert_int_equal(run("unbind " NVME), SETUP_EXIT_ERROR);
	assert_has(K.err, "echo '1b36 0010' > /sys/bus/pci/drivers/vfio-pci/remove_id");
}

static void unbind__no_such_device(void **state)
{
	(void)state;
	assert_int_equal(run("unbind 0000:05:00.0"), SETUP_EXIT_ERROR);
	assert_has(K.err, "there is no PCI device 0000:05:00.0");
}

/* ---- hugepages ---- */

static void hugepages__reserves_and_mounts(void **state)
{
	char buf[32], want[300];

	(void)state;
	assert_int_equal(run("hugepages 512"), SETUP_EXIT_OK);
	fake_sysfs_read(K.fs, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", buf, sizeof(buf));
	assert_string_equal(buf, "512\n");
	assert_has(K.out, "2M hugepages: 512 reserved (1 GiB), 512 free");
	snprintf(want, sizeof(want), "%s/hugepages pagesize=2M\n", K.fs->dev);
	assert_string_equal(K.mounted, want);
}

static void hugepages__fewer_than_asked_is_rolled_back(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(fake_sysfs_add_hugepages(K.fs, 2048, 10, 10), 0);
	K.hp_max = 100;
	assert_int_equal(run("hugepages 512 --size 2M"), SETUP_EXIT_ERROR);
	assert_has(K.err, "reserved only 100 of the 512 2M pages");
	assert_has(K.err, "hugepages=512");
	assert_has(K.err, "udrv-setup hugepages 100 --size 2M");
	assert_has(K.err, "rolled back: 10 2M pages reserved, as before");
	/* 512 asked, 100 granted, 10 written back: nothing left over. */
	assert_string_equal(K.log, "kernel/mm/hugepages/hugepages-2048kB/nr_hugepages=512\n"
				   "kernel/mm/hugepages/hugepages-2048kB/nr_hugepages=10\n");
	fake_sysfs_read(K.fs, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", buf, sizeof(buf));
	assert_string_equal(buf, "10\n");
	assert_string_equal(K.mounted, "");
}

/* A 1.5 GiB guest: 1,380 MiB of hugepages once left it to the OOM killer. */
#define MEMINFO_1_5G "MemTotal:        1528000 kB\nMemFree:         1400000 kB\n" \
		     "MemAvailable:    1410000 kB\nBuffers:            1000 kB\n"

static void hugepages__beyond_memory_refused_with_the_most_that_fits(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_write(K.fs, "proc/meminfo", MEMINFO_1_5G), 0);
	assert_int_equal(run("hugepages 690"), SETUP_EXIT_ERROR);
	/* (1410000 - 262144 kept) / 2048 = 560 */
	assert_has(K.err, "690 2M hugepages (1380 MiB) do not fit: 1376 MiB of memory is available");
	assert_has(K.err, "The most that fits is 560: udrv-setup hugepages 560 --size 2M");
	assert_has(K.err, "Nothing was changed");
	assert_string_equal(K.log, "");
	assert_int_equal(run("hugepages 560"), SETUP_EXIT_OK);
	assert_has(K.out, "560 reserved");
}

static void hugepages__memory_check_counts_pages_already_reserved(void **state)
{
	(void)state;
	/* 200 pages (400 MiB) reserved are not in MemAvailable: growing to
	 * 700 needs 500 more, 1000 MiB; 1376 - 256 MiB kept leaves room. */
	assert_int_equal(fake_sysfs_add_hugepages(K.fs, 2048, 200, 200), 0);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/meminfo", MEMINFO_1_5G), 0);
	assert_int_equal(run("hugepages 700"), SETUP_EXIT_OK);
	/* The kernel took 500 pages (1,024,000 kB) out of MemAvailable. */
	assert_int_equal(fake_sysfs_write(K.fs, "proc/meminfo", "MemTotal: 1528000 kB\n"
					  "MemAvailable: 386000 kB\n"), 0);
	assert_int_equal(run("hugepages 800"), SETUP_EXIT_ERROR);
	assert_has(K.err, "The most that fits is 760");
	/* Shrinking never needs memory. */
	assert_int_equal(run("hugepages 100"), SETUP_EXIT_OK);
}

static void hugepages__force_skips_memory_check(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_write(K.fs, "proc/meminfo", MEMINFO_1_5G), 0);
	assert_int_equal(run("hugepages 690 --force"), SETUP_EXIT_OK);
	assert_has(K.out, "690 reserved");
}

static void hugepages__1g_beyond_memory_names_1g(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_add_hugepages(K.fs, 1048576, 0, 0), 0);
	assert_int_equal(fake_sysfs_write(K.fs, "proc/meminfo", MEMINFO_1_5G), 0);
	assert_int_equal(run("hugepages 2 --size 1G"), SETUP_EXIT_ERROR);
	assert_has(K.err, "The most that fits is 1: udrv-setup hugepages 1 --size 1G");
}

static void hugepages__1g_gets_its_own_mount(void **state)
{
	char want[300];

	(void)state;
	assert_int_equal(fake_sysfs_add_hugepages(K.fs, 1048576, 0, 0), 0);
	assert_int_equal(run("hugepages 4 --size=1G"), SETUP_EXIT_OK);
	assert_has(K.out, "1G hugepages: 4 reserved (4 GiB)");
	snprintf(want, sizeof(want), "%s/hugepages-1G pagesize=1G\n", K.fs->dev);
	assert_string_equal(K.mounted, want);
}

static void hugepages__existing_mount_is_used(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_write(K.fs, "proc/mounts",
					  "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n"), 0);
	assert_int_equal(run("hugepages 16"), SETUP_EXIT_OK);
	assert_has(K.out, "hugetlbfs for 2M pages is mounted at /dev/hugepages");
	assert_string_equal(K.mounted, "");
}

static void hugepages__mount_failure_explains(void **state)
{
	(void)state;
	K.mount_ret = -EPERM;
	assert_int_equal(run("hugepages 16"), SETUP_EXIT_ERROR);
	assert_has(K.err, "could not mount hugetlbfs");
	assert_has(K.err, "mount -t hugetlbfs -o pagesize=2M nodev");
}

static void hugepages__zero_releases_without_mount(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_add_hugepages(K.fs, 2048, 64, 64), 0);
	assert_int_equal(run("hugepages 0"), SETUP_EXIT_OK);
	assert_has(K.out, "0 reserved");
	assert_string_equal(K.mounted, "");
}

static void hugepages__size_not_offered(void **state)
{
	(void)state;
	assert_int_equal(run("hugepages 2 --size 1G"), SETUP_EXIT_ERROR);
	assert_has(K.err, "offers no 1G hugepages");
	assert_has(K.err, "sizes available: 2M");
	assert_string_equal(K.log, "");
}

static void hugepages__bad_input_is_usage_error(void **state)
{
	(void)state;
	assert_int_equal(run("hugepages"), SETUP_EXIT_USAGE);
	assert_has(K.err, "hugepages takes one COUNT");
	assert_int_equal(run("hugepages lots"), SETUP_EXIT_USAGE);
	assert_has(K.err, "'lots' is not a page count");
	assert_int_equal(run("hugepages -5"), SETUP_EXIT_USAGE);
	assert_int_equal(run("hugepages 12x"), SETUP_EXIT_USAGE);
	assert_int_equal(run("hugepages 5 --size 3M"), SETUP_EXIT_USAGE);
	assert_has(K.err, "use 2M or 1G");
	assert_int_equal(run("hugepages 5 --size"), SETUP_EXIT_USAGE);
	assert_string_equal(K.log, "");
}

static void hugepages__needs_root(void **state)
{
	(void)state;
	K.root = false;
	assert_int_equal(run("hugepages 8"), SETUP_EXIT_ERROR);
	assert_has(K.err, "needs root");
	assert_has(K.err, "sudo udrv-setup hugepages 8 --size 2M");
	assert_string_equal(K.log, "");
}

/* ---- command line ---- */

static void cli__help_shows_examples(void **state)
{
	(void)state;
	assert_int_equal(run("--help"), SETUP_EXIT_OK);
	assert_has(K.out, "udrv-setup bind 0000:01:00.0");
	assert_has(K.out, "udrv-setup hugepages 512");
	assert_has(K.out, "status --json");
	assert_int_equal(run("help"), SETUP_EXIT_OK);
	assert_int_equal(run("bind -h"), SETUP_EXIT_OK);
}

static void cli__version(void **state)
{
	(void)state;
	assert_int_equal(run("--version"), SETUP_EXIT_OK);
	assert_has(K.out, "udrv-setup (udrv) ");
}

static void cli__usage_errors_exit_2(void **state)
{
	(void)state;
	assert_int_equal(run(""), SETUP_EXIT_USAGE);
	assert_has(K.err, "no command given");
	assert_has(K.err, "usage:");
	assert_int_equal(run("frobnicate"), SETUP_EXIT_USAGE);
	assert_has(K.err, "unknown command 'frobnicate'");
	assert_int_equal(run("status --verbose"), SETUP_EXIT_USAGE);
	assert_has(K.err, "unknown option '--verbose'");
	assert_int_equal(run("status 0000:01:00.0"), SETUP_EXIT_USAGE);
	assert_int_equal(run("bind --json 01:00.0"), SETUP_EXIT_USAGE);
	assert_int_equal(run("status --force"), SETUP_EXIT_USAGE);
	assert_string_equal(K.log, "");
}

static void names__table_and_fallbacks(void **state)
{
	(void)state;
	assert_string_equal(setup_device_name(0x1b36, 0x0010, 0x010802), "QEMU NVM Express controller");
	assert_string_equal(setup_device_name(0x1af4, 0x1000, 0x020000), "virtio-net (transitional)");
	assert_string_equal(setup_device_name(0x1af4, 0x1041, 0x020000), "virtio-net (modern)");
	assert_string_equal(setup_device_name(0x8086, 0x10d3, 0x020000), "Intel 82574L Gigabit (e1000e)");
	assert_string_equal(setup_device_name(0x8086, 0x100e, 0x020000), "Intel 82540EM Gigabit (e1000)");
	assert_string_equal(setup_device_name(0x144d, 0xa808, 0x010802), "NVMe controller");
	assert_string_equal(setup_device_name(0x15b3, 0x1017, 0x020000), "Ethernet controller");
	assert_int_equal(setup_kind_of(0x010802), SETUP_KIND_NVME);
	assert_int_equal(setup_kind_of(0x020000), SETUP_KIND_NET);
	assert_int_equal(setup_kind_of(0x028000), SETUP_KIND_OTHER); /* other network */
	assert_int_equal(setup_kind_of(0x010601), SETUP_KIND_OTHER);
	assert_int_equal(setup_parse_size("2M"), 2048);
	assert_int_equal(setup_parse_size("2mb"), 2048);
	assert_int_equal(setup_parse_size("1G"), 1048576);
	assert_int_equal(setup_parse_size("2048kB"), 2048);
	assert_int_equal(setup_parse_size("2"), 0);
	assert_int_equal(setup_parse_size("M"), 0);
	assert_int_equal(setup_parse_size("2MX"), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_fake, teardown_fake)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(status__lists_nvme_and_net_only),
		T(status__group_viability),
		T(status__hugepages_mounts_iommu_vfio),
		T(status__iommu_off_says_how_to_turn_it_on),
		T(status__iommu_off_in_a_vm_suggests_viommu),
		T(status__json_is_valid),
		T(status__many_functions),
		T(status__json_empty_machine_is_valid),
		T(bind__nvme_via_driver_override),
		T(bind__unbound_device_skips_unbind),
		T(bind__several_devices),
		T(bind__loads_vfio_pci),
		T(bind__vfio_pci_unavailable_explains),
		T(bind__refuses_nvme_with_mounted_fs),
		T(bind__refuses_nvme_used_as_swap),
		T(bind__refuses_nvme_held_by_lvm),
		T(bind__refuses_multipath_namespace_mounted),
		T(bind__force_overrides_refusal),
		T(bind__refuses_net_iface_with_address),
		T(bind__net_iface_without_address_binds),
		T(bind__malformed_bdf_binds_nothing),
		T(bind__no_such_device_suggests_status),
		T(bind__needs_root),
		T(bind__no_iommu_group_explains),
		T(bind__refuses_bridge),
		T(bind__already_bound_writes_nothing),
		T(bind__probe_failure_reported_and_restored),
		T(bind__warns_when_group_not_viable),
		T(bind__one_bad_device_others_still_bound),
		T(unbind__gives_device_back_to_kernel_driver),
		T(unbind__round_trip_with_bind),
		T(unbind__leaves_kernel_driver_alone),
		T(unbind__refuses_while_group_open),
		T(unbind__no_kernel_driver_says_so),
		T(unbind__new_id_binding_explained),
		T(unbind__no_such_device),
		T(hugepages__reserves_and_mounts),
		T(hugepages__fewer_than_asked_is_rolled_back),
		T(hugepages__beyond_memory_refused_with_the_most_that_fits),
		T(hugepages__memory_check_counts_pages_already_reserved),
		T(hugepages__force_skips_memory_check),
		T(hugepages__1g_beyond_memory_names_1g),
		T(cli__version),
		T(hugepages__1g_gets_its_own_mount),
		T(hugepages__existing_mount_is_used),
		T(hugepages__mount_failure_explains),
		T(hugepages__zero_releases_without_mount),
		T(hugepages__size_not_offered),
		T(hugepages__bad_input_is_usage_error),
		T(hugepages__needs_root),
		T(cli__help_shows_examples),
		T(cli__usage_errors_exit_2),
		T(names__table_and_fallbacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

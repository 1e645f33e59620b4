/* SPDX-License-Identifier: MIT */
/* Device kinds and human names for udrv-setup status. */
#include <stddef.h>

#include "setup.h"

/* PCI Code and ID Assignment spec: base class, subclass. */
#define PCI_CLASS_NVME 0x0108     /* mass storage, non-volatile memory */
#define PCI_CLASS_ETHERNET 0x0200 /* network, Ethernet */

enum setup_kind setup_kind_of(uint32_t class_code)
{
	switch (class_code >> 8) {
	case PCI_CLASS_NVME:
		return SETUP_KIND_NVME;
	case PCI_CLASS_ETHERNET:
		return SETUP_KIND_NET;
	default:
		return SETUP_KIND_OTHER;
	}
}

static const struct {
	uint16_t vendor, device;
	const char *name;
} known[] = {
	{ 0x1b36, 0x0010, "QEMU NVM Express controller" },
	{ 0x1af4, 0x1000, "virtio-net (transitional)" },
	{ 0x1af4, 0x1041, "virtio-net (modern)" },
	{ 0x8086, 0x10d3, "Intel 82574L Gigabit (e1000e)" },
	{ 0x8086, 0x100e, "Intel 82540EM Gigabit (e1000)" },
};

const char *setup_device_name(uint16_t vendor, uint16_t device, uint32_t class_code)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].vendor == vendor && known[i].device == device)
			return known[i].name;
	switch (setup_kind_of(class_code)) {
	case SETUP_KIND_NVME:
		return "NVMe controller";
	case SETUP_KIND_NET:
		return "Ethernet controller";
	default:
		return "PCI device";
	}
}

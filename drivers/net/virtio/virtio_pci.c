/* SPDX-License-Identifier: MIT */
/* The virtio 1.x modern PCI transport: capabilities, status, features, queues. */
#include <endian.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include <udrv/log.h>
#include <udrv/mmio.h>
#include <udrv/net_model.h>

#include "virtio_pci.h"

#define vp_err(name, ...) udrv_log(UDRV_LOG_ERROR, name, __VA_ARGS__)

static const char *const cap_names[] = { "?", "common", "notify", "ISR", "device" };

/* 4.1.4: a virtio structure lies inside its BAR, without wrapping. */
static int check_region(const char *name, unsigned type, const struct udrvi_vpci_region *r,
			const uint64_t bar_size[6])
{
	if (r->bar > 5 || bar_size[r->bar] == 0) {
		vp_err(name, "virtio %s capability names BAR %u, which the device does not have",
		       cap_names[type], r->bar);
		return -EPROTO;
	}
	if (r->len == 0 || r->off > bar_size[r->bar] || r->len > bar_size[r->bar] - r->off) {
		vp_err(name, "virtio %s capability: offset 0x%llx length 0x%llx is outside BAR %u "
		       "(0x%llx bytes): the device is broken", cap_names[type],
		       (unsigned long long)r->off, (unsigned long long)r->len, r->bar,
		       (unsigned long long)bar_size[r->bar]);
		return -EPROTO;
	}
	return 0;
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

int udrvi_vpci_parse_caps(const uint8_t cfg[PCI_CFG_SIZE], const uint64_t bar_size[6],
			  struct udrvi_vpci_caps *caps, const char *name)
{
	unsigned ptr, hops = 0;
	int rc;

	memset(caps, 0, sizeof(*caps));
	if (!(cfg[PCI_CFG_STATUS] & PCI_STATUS_CAP_LIST)) {
		vp_err(name, "no PCI capability list: not a virtio 1.x modern device");
		return -EPROTO;
	}
	ptr = cfg[PCI_CFG_CAP_PTR] & 0xfc;
	while (ptr) {
		const uint8_t *c;
		unsigned type, len;
		struct udrvi_vpci_region r, *slot = NULL;

		/* A standard header is 64 bytes; 48 capabilities fill the rest, so
		 * more hops than that is a loop. */
		if (ptr < 0x40 || ptr > PCI_CFG_SIZE - 4 || ++hops > 48) {
			vp_err(name, "PCI capability list is malformed (pointer 0x%x after %u "
			       "capabilities)", ptr, hops);
			return -EPROTO;
		}
		c = cfg + ptr;
		if (c[0] == PCI_CAP_ID_VNDR) {
			len = c[VPCI_CAP_LEN];
			if (len < VPCI_CAP_SIZE || ptr + len > PCI_CFG_SIZE) {
				vp_err(name, "virtio capability at 0x%x has length %u, outside the "
				       "config space or shorter than %d", ptr, len, VPCI_CAP_SIZE);
				return -EPROTO;
			}
			type = c[VPCI_CAP_CFG_TYPE];
			r.present = true;
			r.bar = c[VPCI_CAP_BAR];
			r.off = get_le32(c + VPCI_CAP_OFFSET);
			r.len = get_le32(c + VPCI_CAP_LENGTH);
			switch (type) {
			case VIRTIO_PCI_CAP_COMMON_CFG: slot = &caps->common; break;
			case VIRTIO_PCI_CAP_NOTIFY_CFG: slot = &caps->notify; break;
			case VIRTIO_PCI_CAP_ISR_CFG: slot = &caps->isr; break;
			case VIRTIO_PCI_CAP_DEVICE_CFG: slot = &caps->device; break;
			default: break; /* PCI cfg access, shared memory: unused */
			}
			/* 4.1.4.1: use the first capability of each type we can use. A
			 * BAR number above 5 is reserved: skip that capability. */
			if (slot && !slot->present && r.bar <= 5) {
				rc = check_region(name, type, &r, bar_size);
				if (rc)
					return rc;
				if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
					if (len < VPCI_NOTIFY_CAP_SIZE) {
						vp_err(name, "virtio notify capability is %u bytes, "
						       "needs %d", len, VPCI_NOTIFY_CAP_SIZE);
						return -EPROTO;
					}
					caps->notify_mult = get_le32(c + VPCI_NOTIFY_MULT);
				}
				*slot = r;
			}
		}
		ptr = c[1] & 0xfc;
	}
	if (!caps->common.present || !caps->notify.present || !caps->device.present) {
		vp_err(name, "virtio capabilities missing:%s%s%s (a modern virtio device has them; "
		       "for QEMU use disable-legacy=on)", caps->common.present ? "" : " common",
		       caps->notify.present ? "" : " notify", caps->device.present ? "" : " device");
		return -EPROTO;
	}
	if (caps->common.len < VCOM_SIZE) {
		vp_err(name, "virtio common config is %llu bytes, needs %d",
		       (unsigned long long)caps->common.len, VCOM_SIZE);
		return -EPROTO;
	}
	if (caps->notify.len < 2) {
		vp_err(name, "virtio notify structure is shorter than one 16-bit notify register");
		return -EPROTO;
	}
	return 0;
}

int udrvi_vpci_init(struct udrvi_vpci *vp, struct udrv_dev *dev)
{
	uint8_t cfg[PCI_CFG_SIZE];
	uint64_t bar_size[6] = { 0 };
	void *map[6] = { 0 };
	const struct udrvi_vpci_region *regs[3];
	int rc;

	memset(vp, 0, sizeof(*vp));
	vp->dev = dev;
	vp->name = udrv_dev_name(dev);
	rc = udrv_dev_cfg_read(dev, 0, cfg, sizeof(cfg));
	if (rc) {
		vp_err(vp->name, "cannot read PCI config space: %s", strerror(-rc));
		return rc;
	}
	for (unsigned i = 0; i < 6; i++) {
		struct udrv_region ri;

		if (udrv_dev_region_info(dev, i, &ri) == 0)
			bar_size[i] = ri.size;
	}
	rc = udrvi_vpci_parse_caps(cfg, bar_size, &vp->caps, vp->name);
	if (rc)
		return rc;
	regs[0] = &vp->caps.common;
	regs[1] = &vp->caps.notify;
	regs[2] = &vp->caps.device;
	for (unsigned i = 0; i < 3; i++) {
		const struct udrvi_vpci_region *r = regs[i];
		size_t len;

		if (!map[r->bar]) {
			rc = udrv_dev_map_bar(dev, r->bar, &map[r->bar], &len);
			if (rc) {
				vp_err(vp->name, "cannot map BAR %u: %s", r->bar, strerror(-rc));
				return rc;
			}
			/* The mapping may be smaller than the region (sparse mmap). */
			if (len < bar_size[r->bar])
				bar_size[r->bar] = len;
		}
		if (r->off + r->len > bar_size[r->bar]) {
			vp_err(vp->name, "virtio structure at BAR %u offset 0x%llx is not in the "
			       "mappable part of the BAR", r->bar, (unsigned long long)r->off);
			return -EPROTO;
		}
	}
	vp->common = (volatile uint8_t *)map[vp->caps.common.bar] + vp->caps.common.off;
	vp->notify = (volatile uint8_t *)map[vp->caps.notify.bar] + vp->caps.notify.off;
	vp->device = (volatile uint8_t *)map[vp->caps.device.bar] + vp->caps.device.off;
	if (udrv_dev_is_model(dev)) {
		void *bar0;
		size_t len;

		if (udrv_dev_map_bar(dev, 0, &bar0, &len) == 0 &&
		    len >= UDRV_NET_MODEL_SYNC_OFF + 4)
			vp->model_sync = (const volatile uint32_t *)((uint8_t *)bar0 +
								     UDRV_NET_MODEL_SYNC_OFF);
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void udrvi_vpci_settle(struct udrvi_vpci *vp)
{
	uint32_t start;
	uint64_t deadline;

	if (!vp->model_sync)
		return;
	/* Two completed polls after our writes: the model has acted on them.
	 * Our register stores must be visible before we sample the counter
	 * (x86 lets a load pass earlier stores). */
	udrv_mb();
	start = __atomic_load_n(vp->model_sync, __ATOMIC_ACQUIRE);
	deadline = now_ns() + 5000000000ull;
	/* Yield while waiting: on a loaded machine the model thread needs the CPU. */
	while ((uint32_t)(__atomic_load_n(vp->model_sync, __ATOMIC_ACQUIRE) - start) < 2) {
		if (now_ns() > deadline) {
			vp_err(vp->name, "the device model did not poll for 5 s");
			break;
		}
		if (!udrvi_model_waiting(vp->dev))
			sched_yield();
	}
}

uint8_t udrvi_vpci_status(struct udrvi_vpci *vp)
{
	return udrv_mmio_read8(vp->common, VCOM_STATUS);
}

void udrvi_vpci_set_status(struct udrvi_vpci *vp, uint8_t status)
{
	udrv_mmio_write8(vp->common, VCOM_STATUS, status);
	udrvi_vpci_settle(vp);
}

int udrvi_vpci_reset(struct udrvi_vpci *vp)
{
	uint64_t deadline = now_ns() + 5000000000ull;

	udrvi_vpci_set_status(vp, 0);
	/* 4.1.4.3.2: the reset is complete when device_status reads back 0. */
	while (udrvi_vpci_status(vp) != 0) {
		if (now_ns() > deadline) {
			vp_err(vp->name, "virtio device did not complete its reset in 5 s "
			       "(device_status 0x%02x)", udrvi_vpci_status(vp));
			return -ETIMEDOUT;
		}
		if (!udrvi_model_waiting(vp->dev))
			sched_yield();
		/* A status bit the device raised as we wrote 0 (NEEDS_RESET) must not
		 * hide our reset: write it again. */
		udrvi_vpci_set_status(vp, 0);
	}
	return 0;
}

uint64_t udrvi_vpci_device_features(struct udrvi_vpci *vp)
{
	uint64_t f;

	udrv_mmio_write32(vp->common, VCOM_DFSELECT, 0);
	udrvi_vpci_settle(vp);
	f = le32toh(udrv_mmio_read32(vp->common, VCOM_DF));
	udrv_mmio_write32(vp->common, VCOM_DFSELECT, htole32(1));
	udrvi_vpci_settle(vp);
	f |= (uint64_t)le32toh(udrv_mmio_read32(vp->common, VCOM_DF)) << 32;
	return f;
}

void udrvi_vpci_set_driver_features(struct udrvi_vpci *vp, uint64_t features)
{
	udrv_mmio_write32(vp->common, VCOM_GFSELECT, 0);
	udrv_mmio_write32(vp->common, VCOM_GF, htole32((uint32_t)features));
	udrvi_vpci_settle(vp);
	udrv_mmio_write32(vp->common, VCOM_GFSELECT, htole32(1));
	udrv_mmio_write32(vp->common, VCOM_GF, htole32((uint32_t)(features >> 32)));
	udrvi_vpci_settle(vp);
}

uint16_t udrvi_vpci_num_queues(struct udrvi_vpci *vp)
{
	return le16toh(udrv_mmio_read16(vp->common, VCOM_NUMQ));
}

uint16_t udrvi_vpci_queue_max(struct udrvi_vpci *vp, uint16_t qidx)
{
	udrv_mmio_write16(vp->common, VCOM_Q_SELECT, htole16(qidx));
	udrvi_vpci_settle(vp);
	return le16toh(udrv_mmio_read16(vp->common, VCOM_Q_SIZE));
}

int udrvi_vpci_queue_enable(struct udrvi_vpci *vp, uint16_t qidx, uint16_t size, uint64_t desc,
			    uint64_t avail, uint64_t used, volatile uint16_t **notify)
{
	uint64_t noff;

	udrv_mmio_write16(vp->common, VCOM_Q_SELECT, htole16(qidx));
	udrvi_vpci_settle(vp);
	/* 4.1.4.4: the notify address is cap.offset + queue_notify_off * multiplier;
	 * both come from the device, so the product is checked against the
	 * notify structure's length (64-bit arithmetic cannot overflow here). */
	noff = (uint64_t)le16toh(udrv_mmio_read16(vp->common, VCOM_Q_NOFF)) * vp->caps.notify_mult;
	if (noff + 2 > vp->caps.notify.len) {
		vp_err(vp->name, "virtio queue %u: notify offset 0x%llx is outside the notify "
		       "structure (0x%llx bytes): the device is broken", qidx,
		       (unsigned long long)noff, (unsigned long long)vp->caps.notify.len);
		return -EPROTO;
	}
	udrv_mmio_write16(vp->common, VCOM_Q_SIZE, htole16(size));
	udrv_mmio_write16(vp->common, VCOM_Q_MSIX, htole16(VIRTIO_MSI_NO_VECTOR));
	udrv_mmio_write64(vp->common, VCOM_Q_DESCLO, htole64(desc));
	udrv_mmio_write64(vp->common, VCOM_Q_AVAILLO, htole64(avail));
	udrv_mmio_write64(vp->common, VCOM_Q_USEDLO, htole64(used));
	udrv_mmio_write16(vp->common, VCOM_Q_ENABLE, htole16(1));
	udrvi_vpci_settle(vp);
	*notify = (volatile uint16_t *)(vp->notify + noff);
	return 0;
}

int udrvi_vpci_device_read(struct udrvi_vpci *vp, uint32_t off, void *buf, uint32_t len)
{
	uint8_t gen;
	unsigned tries = 0;

	if ((uint64_t)off + len > vp->caps.device.len) {
		vp_err(vp->name, "virtio device config is %llu bytes; field at %u+%u is beyond it",
		       (unsigned long long)vp->caps.device.len, off, len);
		return -EPROTO;
	}
	/* 4.1.4.3.1 / 2.5.1: re-read until config_generation is stable. */
	do {
		gen = udrv_mmio_read8(vp->common, VCOM_CFGGEN);
		for (uint32_t i = 0; i < len; i++)
			((uint8_t *)buf)[i] = udrv_mmio_read8(vp->device, off + i);
	} while (gen != udrv_mmio_read8(vp->common, VCOM_CFGGEN) && ++tries < 100);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Private: the virtio 1.x modern PCI transport (virtio spec 4.1). */
#ifndef UDRVI_VIRTIO_PCI_H
#define UDRVI_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include <udrv/dev.h>

#include "virtio_regs.h"
#include "model_hook.h" /* udrvi_model_waiting */

/* One structure the device points at with a vendor capability. */
struct udrvi_vpci_region {
	bool present;
	uint8_t bar;
	uint64_t off;
	uint64_t len;
};

struct udrvi_vpci_caps {
	struct udrvi_vpci_region common, notify, isr, device;
	uint32_t notify_mult;
};

/* Parse the vendor capabilities of a 256-byte config space. Every
 * capability's position and length is checked against the config space, and
 * every structure's offset and length against bar_size[bar] (0: BAR absent).
 * Common, notify and device config are required (the ISR is optional: udrv
 * polls). Returns 0 or -EPROTO (logged with name as prefix). Pure logic. */
int udrvi_vpci_parse_caps(const uint8_t cfg[PCI_CFG_SIZE], const uint64_t bar_size[6],
			  struct udrvi_vpci_caps *caps, const char *name);

struct udrvi_vpci {
	struct udrv_dev *dev;
	const char *name;
	struct udrvi_vpci_caps caps;
	volatile uint8_t *common;
	volatile uint8_t *notify;
	volatile uint8_t *device;
	const volatile uint32_t *model_sync; /* model only: its poll counter */
};

/* Read config space, parse the capabilities, map the BARs they use. */
int udrvi_vpci_init(struct udrvi_vpci *vp, struct udrv_dev *dev);

/* Wait until the device has seen earlier register writes (a no-op on real
 * hardware, where an MMIO write takes effect before the next MMIO read; the
 * in-process model reacts only when its thread polls). */
void udrvi_vpci_settle(struct udrvi_vpci *vp);

uint8_t udrvi_vpci_status(struct udrvi_vpci *vp);
void udrvi_vpci_set_status(struct udrvi_vpci *vp, uint8_t status);
/* Write 0 and wait for the device to read back 0 (4.1.4.3.2). 0 or -ETIMEDOUT. */
int udrvi_vpci_reset(struct udrvi_vpci *vp);
uint64_t udrvi_vpci_device_features(struct udrvi_vpci *vp);
void udrvi_vpci_set_driver_features(struct udrvi_vpci *vp, uint64_t features);
uint16_t udrvi_vpci_num_queues(struct udrvi_vpci *vp);
/* Size the device offers for queue qidx (0: queue absent). */
uint16_t udrvi_vpci_queue_max(struct udrvi_vpci *vp, uint16_t qidx);
/* Program and enable queue qidx; returns its notify address in *notify.
 * -EPROTO if the device's notify offset falls outside the notify structure. */
int udrvi_vpci_queue_enable(struct udrvi_vpci *vp, uint16_t qidx, uint16_t size, uint64_t desc,
			    uint64_t avail, uint64_t used, volatile uint16_t **notify);
/* Read len bytes of device config at off, consistently (config_generation).
 * -EPROTO if [off, off+len) is beyond the device config structure. */
int udrvi_vpci_device_read(struct udrvi_vpci *vp, uint32_t off, void *buf, uint32_t len);

#endif

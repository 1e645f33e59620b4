/* SPDX-License-Identifier: MIT */
/*
 * Private: virtio 1.x PCI transport, split virtqueue and virtio-net layouts
 * (virtio spec v1.2: 4.1 PCI, 2.7 split virtqueues, 5.1 network device).
 * Shared by the driver and the device model. All fields little-endian.
 */
#ifndef UDRVI_VIRTIO_REGS_H
#define UDRVI_VIRTIO_REGS_H

#include <stdint.h>

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_NET 0x1041 /* 0x1040 + device id 1 (4.1.2.1) */

/* PCI config space (PCI 3.0) */
#define PCI_CFG_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CFG_SIZE 256

/* struct virtio_pci_cap (4.1.4) */
enum virtio_pci_cap_off {
	VPCI_CAP_VNDR = 0,
	VPCI_CAP_NEXT = 1,
	VPCI_CAP_LEN = 2,
	VPCI_CAP_CFG_TYPE = 3,
	VPCI_CAP_BAR = 4,
	VPCI_CAP_ID = 5,
	VPCI_CAP_OFFSET = 8,
	VPCI_CAP_LENGTH = 12,
	VPCI_CAP_SIZE = 16,
	VPCI_NOTIFY_MULT = 16, /* virtio_pci_notify_cap.notify_off_multiplier */
	VPCI_NOTIFY_CAP_SIZE = 20,
};

enum virtio_pci_cap_type {
	VIRTIO_PCI_CAP_COMMON_CFG = 1,
	VIRTIO_PCI_CAP_NOTIFY_CFG = 2,
	VIRTIO_PCI_CAP_ISR_CFG = 3,
	VIRTIO_PCI_CAP_DEVICE_CFG = 4,
	VIRTIO_PCI_CAP_PCI_CFG = 5,
};

/* struct virtio_pci_common_cfg (4.1.4.3) */
enum virtio_common_off {
	VCOM_DFSELECT = 0x00,  /* le32 device_feature_select */
	VCOM_DF = 0x04,        /* le32 device_feature */
	VCOM_GFSELECT = 0x08,  /* le32 driver_feature_select */
	VCOM_GF = 0x0c,        /* le32 driver_feature */
	VCOM_MSIX = 0x10,      /* le16 config_msix_vector */
	VCOM_NUMQ = 0x12,      /* le16 num_queues */
	VCOM_STATUS = 0x14,    /* u8 device_status */
	VCOM_CFGGEN = 0x15,    /* u8 config_generation */
	VCOM_Q_SELECT = 0x16,  /* le16 */
	VCOM_Q_SIZE = 0x18,    /* le16 */
	VCOM_Q_MSIX = 0x1a,    /* le16 */
	VCOM_Q_ENABLE = 0x1c,  /* le16 */
	VCOM_Q_NOFF = 0x1e,    /* le16 queue_notify_off */
	VCOM_Q_DESCLO = 0x20,  /* le64 queue_desc */
	VCOM_Q_DESCHI = 0x24,
	VCOM_Q_AVAILLO = 0x28, /* le64 queue_driver */
	VCOM_Q_AVAILHI = 0x2c,
	VCOM_Q_USEDLO = 0x30,  /* le64 queue_device */
	VCOM_Q_USEDHI = 0x34,
	VCOM_SIZE = 0x38,      /* the 1.0 layout; later fields are optional */
};
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* device_status (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Feature bits (5.1.3, 6) */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VBIT(b) (1ull << (b))

/* struct virtio_net_config (5.1.4) */
enum virtio_net_cfg_off {
	VNET_CFG_MAC = 0,       /* u8[6] */
	VNET_CFG_STATUS = 6,    /* le16 */
	VNET_CFG_MAX_PAIRS = 8, /* le16 max_virtqueue_pairs */
	VNET_CFG_MTU = 10,      /* le16 */
	VNET_CFG_SPEED = 12,    /* le32 */
	VNET_CFG_DUPLEX = 16,   /* u8 */
	VNET_CFG_SIZE = 17,
};
#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr with VERSION_1 (5.1.6): 12 bytes */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr is 12 bytes");
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0

/* Control virtqueue (5.1.6.5) */
struct virtio_net_ctrl_hdr {
	uint8_t class_;
	uint8_t cmd;
};
#define VIRTIO_NET_CTRL_RX 0
#define VIRTIO_NET_CTRL_RX_PROMISC 0
#define VIRTIO_NET_CTRL_MAC 1
#define VIRTIO_NET_CTRL_MAC_ADDR_SET 1
#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1

/* Split virtqueue (2.7) */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
_Static_assert(sizeof(struct vring_desc) == 16, "vring_desc is 16 bytes");
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then le16 used_event */
};
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};
_Static_assert(sizeof(struct vring_used_elem) == 8, "vring_used_elem is 8 bytes");

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* then le16 avail_event */
};
#define VRING_USED_F_NO_NOTIFY 1

#define VRING_MAX_SIZE 32768

/* Byte sizes of the three parts for a queue of n entries (2.7, with the
 * event-index words). */
static inline uint64_t vring_desc_bytes(unsigned n) { return 16ull * n; }
static inline uint64_t vring_avail_bytes(unsigned n) { return 6ull + 2ull * n; }
static inline uint64_t vring_used_bytes(unsigned n) { return 6ull + 8ull * n; }

/* 2.7.10: should the other side be told, given it asked to hear at event? */
static inline int vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif

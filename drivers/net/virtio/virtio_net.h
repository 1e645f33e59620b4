/* SPDX-License-Identifier: MIT */
/* Private: the virtio-net driver's structs, shared by bring-up and the data path. */
#ifndef UDRVI_VIRTIO_NET_H
#define UDRVI_VIRTIO_NET_H

#include "../port.h"
#include "virtio_pci.h"
#include "virtqueue.h"

#define VNET_HDR_LEN ((uint16_t)sizeof(struct virtio_net_hdr))

struct vnet_port;

struct vnet_rxq {
	struct udrv_net_rxq base;
	struct udrvi_vq vq;
	struct vnet_port *vp;
	struct udrv_pool *pool;
	uint32_t buf_cap;   /* bytes each rx descriptor offers: header + frame */
	uint16_t refill_min; /* refill once this many ids are free */
	bool csum;          /* GUEST_CSUM negotiated */
};

struct vnet_txq {
	struct udrv_net_txq base;
	struct udrvi_vq vq;
	struct vnet_port *vp;
	uint16_t free_thresh; /* reclaim when fewer descriptors are free */
	bool csum;            /* CSUM negotiated */
};

struct vnet_port {
	struct udrv_net_port port;
	struct udrvi_vpci pci;
	uint64_t features;     /* negotiated */
	uint64_t dev_features; /* offered */
	uint64_t features_off; /* offered, refused by UDRV_VIRTIO_NET_FEATURES_OFF */
	char features_off_note[128]; /* "" or what failure messages add about it */
	uint16_t max_pairs;
	uint16_t pairs;        /* queue pairs in use */
	bool has_ctrl;
	struct udrvi_vq ctrl;
	uint8_t *ctrl_buf;     /* DMA: command header, data, ack */
	uint64_t ctrl_iova;
	bool promisc;
	struct udrvi_net_cfg cfg;
	struct vnet_rxq *rxq[UDRVI_NET_MAX_QUEUES];
	struct vnet_txq *txq[UDRVI_NET_MAX_QUEUES];
};

static inline struct vnet_port *to_vnet(struct udrv_net_port *p)
{
	return container_of(p, struct vnet_port, port);
}

uint16_t udrvi_vnet_rx_burst(struct udrv_net_rxq *q, struct udrv_pkt **pkts, uint16_t n);
uint16_t udrvi_vnet_tx_burst(struct udrv_net_txq *q, struct udrv_pkt **pkts, uint16_t n);
unsigned udrvi_vnet_tx_reclaim(struct udrv_net_txq *q);
/* Post rx buffers into every free descriptor (bring-up). 0 or -ENOMEM. */
int udrvi_vnet_rx_fill(struct vnet_rxq *q);
/* Device misbehaved on virtqueue vq: log why, stop the port. */
void udrvi_vnet_fail(struct vnet_port *vp, const struct udrvi_vq *vq, const char *what,
		     uint32_t id, uint32_t len);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * virtio-net bring-up and control (virtio spec 3.1 device initialisation,
 * 5.1 network device): feature negotiation, virtqueues, the control queue
 * for multiqueue, promiscuous mode and MAC, DEVICE_NEEDS_RESET.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <udrv/mem.h>

#include "virtio_net.h"

/* Features we can use; VERSION_1 is required, the rest are taken if offered. */
#define VNET_WANTED (VBIT(VIRTIO_F_VERSION_1) | VBIT(VIRTIO_F_ACCESS_PLATFORM) | \
		     VBIT(VIRTIO_NET_F_MAC) | VBIT(VIRTIO_NET_F_STATUS) | \
		     VBIT(VIRTIO_NET_F_CTRL_VQ) | VBIT(VIRTIO_NET_F_CTRL_RX) | \
		     VBIT(VIRTIO_NET_F_MQ) | VBIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | \
		     VBIT(VIRTIO_F_RING_EVENT_IDX))

static const struct udrvi_net_ops vnet_ops;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool has(const struct vnet_port *vp, unsigned bit)
{
	return vp->features & VBIT(bit);
}

/* 5.1.6.5: one command on the control queue, waited for (control path). */
static int ctrl_cmd(struct vnet_port *vp, uint8_t cls, uint8_t cmd, const void *data,
		    uint32_t len)
{
	struct udrvi_vq *vq = &vp->ctrl;
	uint8_t *ack = vp->ctrl_buf + 64;
	uint64_t deadline;
	uint16_t old = vq->avail_idx;
	int pending;

	if (!vp->has_ctrl)
		return -ENOTSUP;
	if (len > 56 || vq->inflight)
		return -EINVAL;
	vp->ctrl_buf[0] = cls;
	vp->ctrl_buf[1] = cmd;
	memcpy(vp->ctrl_buf + 8, data, len);
	*ack = 0xff;
	vq->desc[0] = (struct vring_desc){ htole64(vp->ctrl_iova), htole32(2),
					   htole16(VRING_DESC_F_NEXT), htole16(1) };
	vq->desc[1] = (struct vring_desc){ htole64(vp->ctrl_iova + 8), htole32(len),
					   htole16(VRING_DESC_F_NEXT), htole16(2) };
	vq->desc[2] = (struct vring_desc){ htole64(vp->ctrl_iova + 64), htole32(1),
					   htole16(VRING_DESC_F_WRITE), 0 };
	vq->avail->ring[vq->avail_idx++ & vq->mask] = 0;
	vq->inflight = 1;
	udrvi_vq_publish(vq, old);
	deadline = now_ns() + 5000000000ull;
	while ((pending = udrvi_vq_used_pending(vq)) == 0) {
		if (now_ns() > deadline) {
			net_err(&vp->port, "control command %u.%u not answered in 5 s", cls, cmd);
			return -ETIMEDOUT;
		}
		if (!udrvi_model_waiting(vp->port.dev))
			sched_yield();
	}
	if (pending < 0 || le32toh(vq->used->ring[vq->last_used & vq->mask].id) != 0) {
		udrvi_vnet_fail(vp, vq, "a bad control queue completion",
				le32toh(vq->used->ring[vq->last_used & vq->mask].id), 0);
		return -EIO;
	}
	vq->last_used++;
	vq->inflight = 0;
	if (*(volatile uint8_t *)ack != VIRTIO_NET_OK) {
		net_err(&vp->port, "control command %u.%u refused by the device (ack %u)", cls, cmd,
			*(volatile uint8_t *)ack);
		return -EIO;
	}
	return 0;
}

/*
 * Debugging interoperability: UDRV_VIRTIO_NET_FEATURES_OFF=0xMASK refuses
 * feature bits the device offers (e.g. 0x20000000: no EVENT_IDX). A failure
 * it causes names it (features_off_note), or nobody would think of it.
 */
static int features_off_from_env(struct vnet_port *vp, uint64_t *want)
{
	const char *env = getenv("UDRV_VIRTIO_NET_FEATURES_OFF");
	uint64_t off;
	char *end;

	vp->features_off = 0;
	vp->features_off_note[0] = '\0';
	if (!env || !*env)
		return 0;
	errno = 0;
	off = strtoull(env, &end, 0);
	if (errno || *end || *env == '-') {
		net_err(&vp->port, "UDRV_VIRTIO_NET_FEATURES_OFF=%s is not a feature bit mask (e.g. "
			"0x20000000 for no EVENT_IDX): fix or unset it", env);
		return -EINVAL;
	}
	off &= ~VBIT(VIRTIO_F_VERSION_1);
	vp->features_off = vp->dev_features & *want & off;
	*want &= ~off;
	if (vp->features_off) {
		snprintf(vp->features_off_note, sizeof(vp->features_off_note),
			 " (UDRV_VIRTIO_NET_FEATURES_OFF=%s turned off offered features 0x%llx: unset "
			 "it to use them)", env, (unsigned long long)vp->features_off);
		net_warn(&vp->port, "UDRV_VIRTIO_NET_FEATURES_OFF=%s: not negotiating offered "
			 "features 0x%llx", env, (unsigned long long)vp->features_off);
	}
	return 0;
}

static int negotiate(struct vnet_port *vp)
{
	struct udrvi_vpci *pci = &vp->pci;
	uint64_t dev_f, want = VNET_WANTED;
	int rc;

	/* 3.1.1 steps 1-3: reset, ACKNOWLEDGE, DRIVER. */
	rc = udrvi_vpci_reset(pci);
	if (rc)
		return rc;
	udrvi_vpci_set_status(pci, VIRTIO_STATUS_ACKNOWLEDGE);
	udrvi_vpci_set_status(pci, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	dev_f = udrvi_vpci_device_features(pci);
	vp->dev_features = dev_f;
	if (!(dev_f & VBIT(VIRTIO_F_VERSION_1))) {
		net_err(&vp->port, "the device does not offer VIRTIO_F_VERSION_1: udrv needs a "
			"virtio 1.x device (QEMU: disable-legacy=on)");
		return -EPROTO;
	}
	if (!(dev_f & VBIT(VIRTIO_F_ACCESS_PLATFORM)) && !udrv_dev_is_model(vp->port.dev)) {
		/* Without it the device bypasses the IOMMU and our IOVAs are wrong. */
		net_err(&vp->port, "the device does not offer VIRTIO_F_ACCESS_PLATFORM, so its DMA "
			"bypasses the IOMMU: start QEMU with iommu_platform=on");
		return -EPROTO;
	}
	if (vp->cfg.offloads & UDRV_NET_OFF_RX_CSUM)
		want |= VBIT(VIRTIO_NET_F_GUEST_CSUM);
	if (vp->cfg.offloads & UDRV_NET_OFF_TX_CSUM)
		want |= VBIT(VIRTIO_NET_F_CSUM);
	rc = features_off_from_env(vp, &want);
	if (rc)
		return rc;
	vp->features = dev_f & want;
	/* 5.1.3.1: CTRL_RX, MQ and CTRL_MAC_ADDR need the control queue. */
	if (!has(vp, VIRTIO_NET_F_CTRL_VQ))
		vp->features &= ~(VBIT(VIRTIO_NET_F_CTRL_RX) | VBIT(VIRTIO_NET_F_MQ) |
				  VBIT(VIRTIO_NET_F_CTRL_MAC_ADDR));
	udrvi_vpci_set_driver_features(pci, vp->features);
	udrvi_vpci_set_status(pci, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			      VIRTIO_STATUS_FEATURES_OK);
	/* 3.1.1 step 6: the device clears FEATURES_OK if it refuses the subset. */
	if (!(udrvi_vpci_status(pci) & VIRTIO_STATUS_FEATURES_OK)) {
		net_err(&vp->port, "the device refused features 0x%llx%s",
			(unsigned long long)vp->features, vp->features_off_note);
		return -EPROTO;
	}
	vp->has_ctrl = has(vp, VIRTIO_NET_F_CTRL_VQ);
	vp->max_pairs = 1;
	if (has(vp, VIRTIO_NET_F_MQ)) {
		uint16_t mp;

		rc = udrvi_vpci_device_read(pci, VNET_CFG_MAX_PAIRS, &mp, 2);
		if (rc)
			return rc;
		mp = le16toh(mp);
		/* 5.1.4: 1..0x8000; we use at most UDRVI_NET_MAX_QUEUES. */
		if (mp < 1 || mp > 0x8000) {
			net_err(&vp->port, "device reports max_virtqueue_pairs %u (valid: 1-32768)", mp);
			return -EPROTO;
		}
		vp->max_pairs = mp;
	}
	return 0;
}

static void free_queues(struct vnet_port *vp)
{
	for (unsigned i = 0; i < UDRVI_NET_MAX_QUEUES; i++) {
		if (vp->rxq[i]) {
			udrvi_vq_free(&vp->rxq[i]->vq);
			free(vp->rxq[i]);
			vp->rxq[i] = NULL;
		}
		if (vp->txq[i]) {
			udrvi_vq_free(&vp->txq[i]->vq);
			free(vp->txq[i]);
			vp->txq[i] = NULL;
		}
	}
	if (vp->ctrl.mem)
		udrvi_vq_free(&vp->ctrl);
	udrv_dma_free(vp->ctrl_buf);
	vp->ctrl_buf = NULL;
}

static uint16_t qidx_ctrl(const struct vnet_port *vp)
{
	return has(vp, VIRTIO_NET_F_MQ) ? (uint16_t)(2 * vp->max_pairs) : 2;
}

/* Size every queue against what the device offers, allocate the rings. */
static int alloc_queues(struct vnet_port *vp)
{
	struct udrvi_vpci *pci = &vp->pci;
	uint16_t numq = udrvi_vpci_num_queues(pci);
	int rc;

	if ((uint32_t)2 * vp->pairs + vp->has_ctrl > numq) {
		net_err(&vp->port, "the device has %u virtqueues, %u are needed", numq,
			2 * vp->pairs + vp->has_ctrl);
		return -EPROTO;
	}
	for (uint16_t i = 0; i < vp->pairs; i++) {
		for (unsigned dir = 0; dir < 2; dir++) {
			uint16_t qidx = (uint16_t)(2 * i + dir);
			uint16_t max = udrvi_vpci_queue_max(pci, qidx);
			uint16_t want = dir ? vp->cfg.tx_ring_size : vp->cfg.rx_ring_size;
			struct udrvi_vq *vq;

			if ((dir == 0 && i >= vp->cfg.nb_rxq) || (dir == 1 && i >= vp->cfg.nb_txq))
				continue;
			/* 2.7: split ring sizes are powers of two up to 32768. */
			if (max == 0 || (max & (max - 1))) {
				net_err(&vp->port, "virtqueue %u: device offers size %u (not a power "
					"of two)", qidx, max);
				return -EPROTO;
			}
			if (want > max)
				want = max;
			if (dir == 0) {
				vp->rxq[i] = calloc(1, sizeof(*vp->rxq[i]));
				if (!vp->rxq[i])
					return -ENOMEM;
				vq = &vp->rxq[i]->vq;
			} else {
				vp->txq[i] = calloc(1, sizeof(*vp->txq[i]));
				if (!vp->txq[i])
					return -ENOMEM;
				vq = &vp->txq[i]->vq;
			}
			rc = udrvi_vq_alloc(vq, qidx, want);
			if (rc)
				return rc;
		}
	}
	if (vp->has_ctrl) {
		uint16_t max = udrvi_vpci_queue_max(pci, qidx_ctrl(vp));

		if (max < 4 || (max & (max - 1))) {
			net_err(&vp->port, "control virtqueue: device offers size %u", max);
			return -EPROTO;
		}
		rc = udrvi_vq_alloc(&vp->ctrl, qidx_ctrl(vp), 4);
		if (rc)
			return rc;
		rc = udrv_dma_alloc(128, 64, (void **)&vp->ctrl_buf, &vp->ctrl_iova);
		if (rc)
			return rc;
	}
	return 0;
}

static int enable_vq(struct vnet_port *vp, struct udrvi_vq *vq)
{
	udrvi_vq_reinit(vq, has(vp, VIRTIO_F_RING_EVENT_IDX));
	return udrvi_vpci_queue_enable(&vp->pci, vq->qidx, vq->size, vq->desc_iova,
				       vq->avail_iova, vq->used_iova, &vq->notify);
}

/* Queues enabled, rx filled, DRIVER_OK, then the control commands (3.1.1 step 7-8). */
static int start(struct vnet_port *vp)
{
	struct udrv_net_port *port = &vp->port;
	int rc;

	for (uint16_t i = 0; i < vp->pairs; i++) {
		if (vp->rxq[i] && (rc = enable_vq(vp, &vp->rxq[i]->vq)))
			return rc;
		if (vp->txq[i] && (rc = enable_vq(vp, &vp->txq[i]->vq)))
			return rc;
	}
	if (vp->has_ctrl && (rc = enable_vq(vp, &vp->ctrl)))
		return rc;
	rc = udrv_dev_set_bus_master(port->dev, true);
	if (rc) {
		net_err(port, "cannot enable bus mastering: %s", strerror(-rc));
		return rc;
	}
	for (uint16_t i = 0; i < port->info.nb_rxq; i++) {
		struct vnet_rxq *q = vp->rxq[i];

		rc = udrvi_vnet_rx_fill(q);
		if (rc) {
			net_err(port, "not enough packet buffers to fill rx queue %u (%u "
				"descriptors): make the pool larger", i, q->vq.size);
			return rc;
		}
	}
	udrvi_vpci_set_status(&vp->pci, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	if (udrvi_vpci_status(&vp->pci) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)) {
		net_err(port, "the device failed during bring-up (device_status 0x%02x)",
			udrvi_vpci_status(&vp->pci));
		return -EIO;
	}
	if (has(vp, VIRTIO_NET_F_MQ)) {
		uint16_t pairs = htole16(vp->pairs);

		/* 5.1.6.5.5: the device uses only the first pair until told. */
		rc = ctrl_cmd(vp, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2);
		if (rc)
			return rc;
	}
	if (vp->promisc && has(vp, VIRTIO_NET_F_CTRL_RX)) {
		uint8_t on = 1;

		rc = ctrl_cmd(vp, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* Reset the device (it stops touching our memory), take back every buffer.
 * Every posted buffer is one segment (rx buffers come straight from the
 * pool, tx chains are copied into one buffer), and its next field is not
 * ours to follow: an rx buffer's is whatever its last user left (the head of
 * a chain tx_linearize freed still names its old second segment). So each
 * goes back to its pool alone, never through udrv_pkt_free. */
static void stop(struct vnet_port *vp)
{
	udrvi_vpci_reset(&vp->pci);
	for (unsigned i = 0; i < UDRVI_NET_MAX_QUEUES; i++) {
		struct udrvi_vq *vqs[2] = { vp->rxq[i] ? &vp->rxq[i]->vq : NULL,
					    vp->txq[i] ? &vp->txq[i]->vq : NULL };

		for (unsigned d = 0; d < 2; d++) {
			struct udrvi_vq *vq = vqs[d];

			if (!vq)
				continue;
			for (uint16_t id = 0; id < vq->size; id++) {
				if (vq->bufs[id]) {
					udrv_pool_put(vq->bufs[id]->pool, vq->bufs[id]);
					vq->bufs[id] = NULL;
				}
			}
		}
	}
}

static void vnet_close(struct udrv_net_port *port)
{
	struct vnet_port *vp = to_vnet(port);

	stop(vp);
	udrv_dev_set_bus_master(port->dev, false);
	free_queues(vp);
	udrv_dev_set_priv(port->dev, NULL);
	udrvi_net_port_fini(port);
	free(vp);
}

static int vnet_reset(struct udrv_net_port *port)
{
	struct vnet_port *vp = to_vnet(port);
	uint64_t before = vp->features;
	int rc;

	stop(vp);
	rc = negotiate(vp);
	if (!rc && vp->features != before) {
		net_err(port, "after reset the device offers different features");
		rc = -EPROTO;
	}
	if (!rc)
		rc = start(vp);
	if (rc) {
		udrvi_vpci_set_status(&vp->pci, VIRTIO_STATUS_FAILED);
		return rc;
	}
	for (unsigned i = 0; i < port->info.nb_rxq; i++)
		port->rxq[i]->stopped = false;
	for (unsigned i = 0; i < port->info.nb_txq; i++)
		port->txq[i]->stopped = false;
	net_info(port, "virtio-net port reset");
	return 0;
}

static int vnet_status(struct udrv_net_port *port)
{
	struct vnet_port *vp = to_vnet(port);
	uint8_t s = udrvi_vpci_status(&vp->pci);

	if (s == 0xff) {
		net_err(port, "device_status reads all ones: the device is gone");
		udrvi_net_port_fail(port);
		return -ENODEV;
	}
	/* 2.1.1: DEVICE_NEEDS_RESET: the device cannot go on until reset. */
	if (s & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)) {
		if (!port->failed)
			net_err(port, "the device set %s: queues stopped; call udrv_net_reset()",
				s & VIRTIO_STATUS_NEEDS_RESET ? "DEVICE_NEEDS_RESET" : "FAILED");
		udrvi_net_port_fail(port);
		return -EIO;
	}
	return 0;
}

static int vnet_mac_set(struct udrv_net_port *port, const uint8_t mac[6])
{
	struct vnet_port *vp = to_vnet(port);

	if (!has(vp, VIRTIO_NET_F_CTRL_MAC_ADDR)) {
		net_err(port, "the device cannot change its MAC (no VIRTIO_NET_F_CTRL_MAC_ADDR)");
		return -ENOTSUP;
	}
	return ctrl_cmd(vp, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6);
}

static int vnet_promisc_set(struct udrv_net_port *port, bool on)
{
	struct vnet_port *vp = to_vnet(port);
	uint8_t v = on;
	int rc;

	if (!has(vp, VIRTIO_NET_F_CTRL_RX))
		return -ENOTSUP;
	rc = ctrl_cmd(vp, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &v, 1);
	if (!rc)
		vp->promisc = on;
	return rc;
}

static int vnet_link_get(struct udrv_net_port *port, struct udrv_net_link *link)
{
	struct vnet_port *vp = to_vnet(port);
	uint16_t st;
	int rc;

	link->full_duplex = true;
	if (!has(vp, VIRTIO_NET_F_STATUS)) {
		link->up = true; /* 5.1.4.2: no STATUS: assume the link is up */
		return 0;
	}
	rc = udrvi_vpci_device_read(&vp->pci, VNET_CFG_STATUS, &st, 2);
	if (rc)
		return rc;
	link->up = le16toh(st) & VIRTIO_NET_S_LINK_UP;
	return 0;
}

static const struct udrvi_net_ops vnet_ops = {
	.driver = "virtio-net",
	.close = vnet_close,
	.reset = vnet_reset,
	.status = vnet_status,
	.mac_set = vnet_mac_set,
	.promisc_set = vnet_promisc_set,
	.link_get = vnet_link_get,
};

static void setup_queue_bases(struct vnet_port *vp)
{
	struct udrv_net_port *port = &vp->port;

	for (uint16_t i = 0; i < port->info.nb_rxq; i++) {
		struct vnet_rxq *q = vp->rxq[i];

		q->base.burst = udrvi_vnet_rx_burst;
		q->base.port = port;
		q->base.qid = i;
		q->vp = vp;
		q->pool = port->pool;
		q->buf_cap = (uint32_t)(udrv_pool_elem_size(port->pool) - sizeof(struct udrv_pkt) -
					UDRV_PKT_HEADROOM + VNET_HDR_LEN);
		if (q->buf_cap > UINT16_MAX - UDRV_PKT_HEADROOM)
			q->buf_cap = UINT16_MAX - UDRV_PKT_HEADROOM;
		q->refill_min = q->vq.size / 8 ? q->vq.size / 8 : 1;
		if (q->refill_min > 32)
			q->refill_min = 32;
		q->csum = has(vp, VIRTIO_NET_F_GUEST_CSUM);
		port->rxq[i] = &q->base;
	}
	for (uint16_t i = 0; i < port->info.nb_txq; i++) {
		struct vnet_txq *q = vp->txq[i];

		q->base.burst = udrvi_vnet_tx_burst;
		q->base.reclaim = udrvi_vnet_tx_reclaim;
		q->base.port = port;
		q->base.qid = i;
		q->vp = vp;
		q->free_thresh = q->vq.size / 2;
		q->csum = has(vp, VIRTIO_NET_F_CSUM);
		port->txq[i] = &q->base;
	}
	port->info.rx_ring_size = vp->rxq[0]->vq.size;
	port->info.tx_ring_size = vp->txq[0]->vq.size;
}

int udrvi_virtio_net_open(struct udrv_dev *dev, const struct udrvi_net_cfg *cfg,
			  struct udrv_net_port **out)
{
	struct vnet_port *vp = calloc(1, sizeof(*vp));
	struct udrv_net_port *port;
	uint32_t ring_bufs = 0;
	int rc;

	if (!vp)
		return -ENOMEM;
	port = &vp->port;
	udrvi_net_port_init(port, &vnet_ops, dev, cfg);
	vp->cfg = *cfg;
	vp->promisc = cfg->promisc;
	rc = udrvi_vpci_init(&vp->pci, dev);
	if (rc)
		goto free_port;
	rc = negotiate(vp);
	if (rc)
		goto fail_device;
	vp->pairs = cfg->nb_rxq > cfg->nb_txq ? cfg->nb_rxq : cfg->nb_txq;
	if (vp->pairs > vp->max_pairs) {
		net_err(port, "%u queue pairs asked for, the device offers %u%s", vp->pairs,
			vp->max_pairs, has(vp, VIRTIO_NET_F_MQ) ? "" :
			vp->features_off & VBIT(VIRTIO_NET_F_MQ) ? vp->features_off_note :
			" (no VIRTIO_NET_F_MQ; QEMU: virtio-net-pci,mq=on with a multiqueue netdev)");
		rc = -EINVAL;
		goto fail_device;
	}
	rc = alloc_queues(vp);
	if (rc)
		goto free_queues;
	for (uint16_t i = 0; i < cfg->nb_rxq; i++)
		ring_bufs += vp->rxq[i]->vq.size;
	for (uint16_t i = 0; i < cfg->nb_txq; i++)
		ring_bufs += vp->txq[i]->vq.size;
	rc = udrvi_net_port_pool_setup(port, cfg, ring_bufs);
	if (rc)
		goto free_queues;
	setup_queue_bases(vp);
	if (has(vp, VIRTIO_NET_F_MAC)) {
		rc = udrvi_vpci_device_read(&vp->pci, VNET_CFG_MAC, port->mac, 6);
		if (rc)
			goto free_queues;
	} else {
		/* 5.1.5: no MAC from the device: a random locally administered one. */
		uint64_t r = now_ns() * 0x9e3779b97f4a7c15ull;

		memcpy(port->mac, &r, 6);
		port->mac[0] = (uint8_t)((port->mac[0] & 0xfe) | 0x02);
	}
	port->info.max_rxq = port->info.max_txq =
		vp->max_pairs < UDRVI_NET_MAX_QUEUES ? vp->max_pairs : UDRVI_NET_MAX_QUEUES;
	port->info.mtu = 1500;
	port->info.max_frame = (uint16_t)(vp->rxq[0]->buf_cap - VNET_HDR_LEN);
	if (vp->dev_features & VBIT(VIRTIO_NET_F_GUEST_CSUM))
		port->info.offload_capa |= UDRV_NET_OFF_RX_CSUM;
	if (vp->dev_features & VBIT(VIRTIO_NET_F_CSUM))
		port->info.offload_capa |= UDRV_NET_OFF_TX_CSUM;
	if (vp->features & VBIT(VIRTIO_NET_F_GUEST_CSUM))
		port->info.offloads |= UDRV_NET_OFF_RX_CSUM;
	if (vp->features & VBIT(VIRTIO_NET_F_CSUM))
		port->info.offloads |= UDRV_NET_OFF_TX_CSUM;
	rc = start(vp);
	if (rc)
		goto stop_device;
	udrv_dev_set_priv(dev, vp);
	net_info(port, "virtio-net: features 0x%llx, %u queue pair(s), rings rx %u tx %u",
		 (unsigned long long)vp->features, vp->pairs, port->info.rx_ring_size,
		 port->info.tx_ring_size);
	*out = port;
	return 0;

stop_device:
	stop(vp);
	udrv_dev_set_bus_master(dev, false);
free_queues:
	free_queues(vp);
fail_device:
	/* 3.1.1: tell the device we gave up. */
	udrvi_vpci_set_status(&vp->pci, VIRTIO_STATUS_FAILED);
free_port:
	udrvi_net_port_fini(port);
	free(vp);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * The virtio-net device model: the device side of virtio 1.x over modern PCI
 * (spec 4.1) with split virtqueues (2.7), for tests and benchmarks. Every
 * frame sent on tx queue N comes back on rx queue N. The rings and buffers are
 * reached only through udrv_model_dma(), by IOVA.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/log.h>
#include <udrv/mmio.h>
#include <udrv/model.h>
#include <udrv/net_model.h>

#include "model_hook.h"
#include "virtio_regs.h"

#define MODEL_BAR_SIZE 4096
#define OFF_COMMON 0x000
#define OFF_ISR 0x100
#define OFF_DEVICE 0x200
#define OFF_NOTIFY 0x300
#define NOTIFY_MULT 4
#define MAX_PAIRS 8
#define MAX_VQS (2 * MAX_PAIRS + 1)
#define CTRL_QSIZE 64
#define FRAME_MAX 65536
#define BUDGET 256 /* chains per queue per poll */

struct mvq {
	bool enabled, mapped;
	uint16_t size, max;
	uint64_t desc_iova, avail_iova, used_iova;
	const struct vring_desc *desc;
	const volatile struct vring_avail *avail;
	volatile struct vring_used *used;
	uint16_t last_avail;
	uint16_t used_idx;
	uint32_t last_id;
	int fault; /* enum udrv_net_model_fault, set from any thread */
};

struct vmodel {
	struct udrv_dev *dev;
	struct udrv_net_model_opts opts;
	char name[32];
	volatile uint8_t *bar;
	uint16_t nvq;
	uint64_t offered;
	uint32_t gf[2];
	uint32_t dfsel_seen;
	uint16_t qsel_seen;
	uint8_t status_seen;
	bool broken;        /* NEEDS_RESET set; waits for a reset */
	int want_reset;     /* from udrv_net_model_needs_reset */
	struct mvq vq[MAX_VQS];
	struct udrv_net_model_stats st;
	pthread_mutex_t st_lock;
	uint8_t frame[FRAME_MAX + 64];
};

static void put_le16(volatile uint8_t *p, uint16_t v)
{
	udrv_mmio_write16(p, 0, htole16(v));
}

static void put_le32(volatile uint8_t *p, uint32_t v)
{
	udrv_mmio_write32(p, 0, htole32(v));
}

static volatile uint8_t *common(struct vmodel *m)
{
	return m->bar + OFF_COMMON;
}

static void add_cap(uint8_t *cfg, unsigned at, unsigned next, unsigned len, uint8_t type,
		    uint8_t bar, uint32_t off, uint32_t length)
{
	uint8_t *c = cfg + at;

	c[VPCI_CAP_VNDR] = PCI_CAP_ID_VNDR;
	c[VPCI_CAP_NEXT] = (uint8_t)next;
	c[VPCI_CAP_LEN] = (uint8_t)len;
	c[VPCI_CAP_CFG_TYPE] = type;
	c[VPCI_CAP_BAR] = bar;
	off = htole32(off);
	length = htole32(length);
	memcpy(c + VPCI_CAP_OFFSET, &off, 4);
	memcpy(c + VPCI_CAP_LENGTH, &length, 4);
}

/* 4.1.4: four vendor capabilities at 0x40, 0x50, 0x64, 0x74. */
static void layout_caps(struct vmodel *m)
{
	uint8_t *cfg = udrv_model_config(m->dev);
	uint32_t mult = htole32(NOTIFY_MULT);
	enum udrv_net_model_cap_fault f = m->opts.cap_fault;

	cfg[0x08] = 1; /* revision: 1 or more for a modern-only device (4.1.2.1) */
	cfg[PCI_CFG_STATUS] |= PCI_STATUS_CAP_LIST;
	cfg[PCI_CFG_CAP_PTR] = 0x40;
	add_cap(cfg, 0x40, 0x50, 16, VIRTIO_PCI_CAP_COMMON_CFG, 0,
		f == UDRV_NET_MODEL_CAP_COMMON_BEYOND_BAR ? MODEL_BAR_SIZE - 0x10 : OFF_COMMON,
		0x40);
	add_cap(cfg, 0x50, 0x64, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 0, OFF_NOTIFY,
		f == UDRV_NET_MODEL_CAP_NOTIFY_LEN_WRAPS ? 0xfffffff0u : NOTIFY_MULT * MAX_VQS);
	memcpy(cfg + 0x50 + VPCI_NOTIFY_MULT, &mult, 4);
	add_cap(cfg, 0x64, 0x74, 16, VIRTIO_PCI_CAP_ISR_CFG, 0, OFF_ISR, 4);
	add_cap(cfg, 0x74, f == UDRV_NET_MODEL_CAP_LIST_LOOP ? 0x40 : 0,
		f == UDRV_NET_MODEL_CAP_LEN_BEYOND_CONFIG ? 0xa0 : 16, VIRTIO_PCI_CAP_DEVICE_CFG,
		f == UDRV_NET_MODEL_CAP_DEVICE_BAD_BAR ? 3 : 0, OFF_DEVICE, 0x20);
	if (f == UDRV_NET_MODEL_CAP_LIST_LOOP) {
		/* Make the loop harmless to a parser that stops at the first of
		 * each type: the loop goes through a non-virtio capability. */
		cfg[0x74 + VPCI_CAP_NEXT] = 0x84;
		cfg[0x84] = 0x05; /* MSI */
		cfg[0x85] = 0x84; /* points at itself */
	}
}

static void load_device_cfg(struct vmodel *m)
{
	volatile uint8_t *d = m->bar + OFF_DEVICE;

	for (unsigned i = 0; i < 6; i++)
		d[VNET_CFG_MAC + i] = m->st.mac[i];
	put_le16(d + VNET_CFG_STATUS, m->opts.link_down ? 0 : VIRTIO_NET_S_LINK_UP);
	put_le16(d + VNET_CFG_MAX_PAIRS, m->opts.max_pairs);
	put_le16(d + VNET_CFG_MTU, 1500);
	put_le32(d + VNET_CFG_SPEED, 10000);
	d[VNET_CFG_DUPLEX] = 1;
	{ /* a fuzzer may rewrite what the driver reads (model_hook.h) */
		uint8_t cfg[0x20];

		for (unsigned i = 0; i < sizeof(cfg); i++)
			cfg[i] = d[i];
		udrvi_model_tamper(m->dev, UDRVI_MODEL_VIRTIO_CONFIG, cfg, sizeof(cfg));
		for (unsigned i = 0; i < sizeof(cfg); i++)
			d[i] = cfg[i];
	}
}

/* Power-on state: also what the driver's writing 0 to device_status gives. */
static void device_reset(struct vmodel *m)
{
	volatile uint8_t *c = common(m);

	memset(m->vq, 0, sizeof(m->vq));
	for (uint16_t i = 0; i < m->nvq; i++)
		m->vq[i].max = i == m->nvq - 1 ? CTRL_QSIZE : m->opts.queue_size;
	m->gf[0] = m->gf[1] = 0;
	m->broken = false;
	m->status_seen = 0;
	memset((void *)c, 0, 0x40);
	put_le16(c + VCOM_NUMQ, m->nvq);
	put_le16(c + VCOM_MSIX, VIRTIO_MSI_NO_VECTOR);
	m->dfsel_seen = 0;
	put_le32(c + VCOM_DF, (uint32_t)m->offered);
	m->qsel_seen = 0xffff; /* forces the queue window to load */
	for (unsigned i = 0; i < MAX_VQS; i++)
		put_le16(m->bar + OFF_NOTIFY + NOTIFY_MULT * i, 0xffff);
	m->st.promisc = false;
	m->st.pairs = 1;
	load_device_cfg(m);
}

static void set_needs_reset(struct vmodel *m, const char *why)
{
	udrv_log(UDRV_LOG_DEBUG, m->name, "model: DEVICE_NEEDS_RESET: %s", why);
	m->broken = true;
	udrv_mmio_write8(common(m), VCOM_STATUS,
			 udrv_mmio_read8(common(m), VCOM_STATUS) | VIRTIO_STATUS_NEEDS_RESET);
	m->status_seen |= VIRTIO_STATUS_NEEDS_RESET;
}

static void load_queue_window(struct vmodel *m, uint16_t sel)
{
	volatile uint8_t *c = common(m);
	struct mvq *q = sel < m->nvq ? &m->vq[sel] : NULL;

	uint16_t win[2] = { q ? (q->enabled ? q->size : q->max) : 0,
			    m->opts.cap_fault == UDRV_NET_MODEL_CAP_NOTIFY_OFF_BEYOND ? 0x4000 : sel };

	udrvi_model_tamper(m->dev, UDRVI_MODEL_VIRTIO_QUEUE, win, sizeof(win));
	put_le16(c + VCOM_Q_SIZE, win[0]);
	put_le16(c + VCOM_Q_ENABLE, q && q->enabled);
	put_le16(c + VCOM_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
	put_le16(c + VCOM_Q_NOFF, win[1]);
	udrv_mmio_write64(c, VCOM_Q_DESCLO, q ? htole64(q->desc_iova) : 0);
	udrv_mmio_write64(c, VCOM_Q_AVAILLO, q ? htole64(q->avail_iova) : 0);
	udrv_mmio_write64(c, VCOM_Q_USEDLO, q ? htole64(q->used_iova) : 0);
}

/* The driver's writes to the selected queue's registers, taken in. */
static void capture_queue(struct vmodel *m, uint16_t sel)
{
	volatile uint8_t *c = common(m);
	struct mvq *q;
	uint16_t size, enable;

	if (sel >= m->nvq)
		return;
	q = &m->vq[sel];
	if (q->enabled)
		return; /* 4.1.4.3.2: no changes once enabled */
	/* queue_enable is written last: read it first, then what came before. */
	enable = le16toh(udrv_mmio_read16(c, VCOM_Q_ENABLE));
	udrv_rmb();
	size = le16toh(udrv_mmio_read16(c, VCOM_Q_SIZE));
	q->desc_iova = le64toh(udrv_mmio_read64(c, VCOM_Q_DESCLO));
	q->avail_iova = le64toh(udrv_mmio_read64(c, VCOM_Q_AVAILLO));
	q->used_iova = le64toh(udrv_mmio_read64(c, VCOM_Q_USEDLO));
	if (le16toh(udrv_mmio_read16(c, VCOM_Q_SELECT)) != sel)
		return; /* the driver moved on: its writes belong to another queue */
	if (enable == 1) {
		if (size == 0 || size > q->max || (size & (size - 1))) {
			set_needs_reset(m, "queue enabled with a bad size");
			return;
		}
		q->size = size;
		q->enabled = true;
	}
}

/* Rings are mapped at DRIVER_OK: bus mastering is on by then. */
static bool map_rings(struct vmodel *m)
{
	for (uint16_t i = 0; i < m->nvq; i++) {
		struct mvq *q = &m->vq[i];

		if (!q->enabled || q->mapped)
			continue;
		q->desc = udrv_model_dma(m->dev, q->desc_iova, vring_desc_bytes(q->size));
		q->avail = udrv_model_dma(m->dev, q->avail_iova, vring_avail_bytes(q->size));
		q->used = udrv_model_dma(m->dev, q->used_iova, vring_used_bytes(q->size));
		if (!q->desc || !q->avail || !q->used)
			return false;
		q->mapped = true;
	}
	return true;
}

static void handle_registers(struct vmodel *m)
{
	volatile uint8_t *c = common(m);
	uint8_t status = udrv_mmio_read8(c, VCOM_STATUS);
	uint32_t dfsel = le32toh(udrv_mmio_read32(c, VCOM_DFSELECT));
	uint32_t gfsel = le32toh(udrv_mmio_read32(c, VCOM_GFSELECT));
	uint16_t qsel = le16toh(udrv_mmio_read16(c, VCOM_Q_SELECT));

	if (status == 0 && m->status_seen != 0) {
		device_reset(m);
		return;
	}
	if (__atomic_exchange_n(&m->want_reset, 0, __ATOMIC_ACQ_REL))
		set_needs_reset(m, "requested by the test");
	if (dfsel != m->dfsel_seen) {
		m->dfsel_seen = dfsel;
		put_le32(c + VCOM_DF, dfsel < 2 ? (uint32_t)(m->offered >> (32 * dfsel)) : 0);
	}
	if (gfsel < 2 && !(status & VIRTIO_STATUS_FEATURES_OK)) {
		/* The driver may be switching the selector right now: the value
		 * counts only if the selector did not move around the read (x86
		 * keeps the driver's stores in order). */
		uint32_t gf = le32toh(udrv_mmio_read32(c, VCOM_GF));

		if (le32toh(udrv_mmio_read32(c, VCOM_GFSELECT)) == gfsel)
			m->gf[gfsel] = gf;
	}
	if (qsel != m->qsel_seen) {
		m->qsel_seen = qsel;
		load_queue_window(m, qsel);
	} else {
		capture_queue(m, qsel);
	}
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(m->status_seen & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t drv = m->gf[0] | (uint64_t)m->gf[1] << 32;

		/* 3.1.1: refuse a subset that is not one, or lacks VERSION_1. */
		if ((drv & ~m->offered) || !(drv & VBIT(VIRTIO_F_VERSION_1)))
			status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		udrv_mmio_write8(c, VCOM_STATUS, status);
	}
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(m->status_seen & VIRTIO_STATUS_DRIVER_OK) &&
	    !map_rings(m)) {
		m->status_seen = status;
		set_needs_reset(m, "ring addresses are not DMA memory");
		return;
	}
	m->status_seen = status | (m->broken ? VIRTIO_STATUS_NEEDS_RESET : 0);
}

static bool negotiated(struct vmodel *m, unsigned bit)
{
	return ((m->gf[0] | (uint64_t)m->gf[1] << 32) >> bit) & 1;
}

/* Write one used entry, corrupted if a fault is pending. */
static void push_used(struct vmodel *m, struct mvq *q, uint32_t id, uint32_t len)
{
	int f = __atomic_exchange_n(&q->fault, UDRV_NET_MODEL_FAULT_NONE, __ATOMIC_ACQ_REL);
	volatile struct vring_used_elem *e = &q->used->ring[q->used_idx & (q->size - 1)];
	uint32_t prev = q->last_id;

	q->last_id = id;
	switch (f) {
	case UDRV_NET_MODEL_FAULT_ID_RANGE:
		id = q->size + 7u;
		break;
	case UDRV_NET_MODEL_FAULT_ID_NOT_INFLIGHT:
		id = prev;
		break;
	case UDRV_NET_MODEL_FAULT_LEN_TOO_BIG:
		len = 0x10000;
		break;
	case UDRV_NET_MODEL_FAULT_IDX_JUMP:
		q->used_idx = (uint16_t)(q->used_idx + q->size + 1);
		break;
	default:
		break;
	}
	{
		struct vring_used_elem t = { htole32(id), htole32(len) };
		enum udrvi_tamper_action act = udrvi_model_tamper(m->dev, UDRVI_MODEL_VIRTIO_USED,
								  &t, sizeof(t));

		if (act == UDRVI_TAMPER_DROP)
			return;
		if (act == UDRVI_TAMPER_REPEAT) {
			e->id = t.id;
			e->len = t.len;
			q->used_idx++;
			e = &q->used->ring[q->used_idx & (q->size - 1)];
		}
		e->id = t.id;
		e->len = t.len;
	}
	q->used_idx++;
}

static void publish_used(struct vmodel *m, struct mvq *q)
{
	uint16_t idx = htole16(q->used_idx);

	udrvi_model_tamper(m->dev, UDRVI_MODEL_VIRTIO_USED_IDX, &idx, sizeof(idx));
	/* Used entries are visible before the index that covers them. */
	udrv_wmb();
	__atomic_store_n(&q->used->idx, idx, __ATOMIC_RELEASE);
}

/* Ask for a kick when the driver adds anything past what we have seen. */
static void set_avail_event(struct vmodel *m, struct mvq *q)
{
	if (negotiated(m, VIRTIO_F_RING_EVENT_IDX)) {
		volatile uint16_t *ev = (volatile uint16_t *)&q->used->ring[q->size];

		*ev = htole16(q->last_avail);
	}
}

/* Gather a chain (read-only part into frame, at most cap bytes). Returns the
 * bytes gathered, or -1 for a malformed chain. *wdesc gets the first writable
 * descriptor id (or size if none). */
static long gather(struct vmodel *m, struct mvq *q, uint16_t head, uint8_t *buf, size_t cap,
		   uint16_t *wdesc)
{
	uint16_t d = head;
	size_t total = 0;

	*wdesc = q->size;
	for (unsigned n = 0; n < q->size; n++) {
		struct vring_desc desc;
		const void *src;
		uint32_t len;

		if (d >= q->size)
			return -1;
		memcpy(&desc, (const void *)&q->desc[d], sizeof(desc));
		len = le32toh(desc.len);
		if (le16toh(desc.flags) & VRING_DESC_F_WRITE) {
			*wdesc = d;
			return (long)total;
		}
		if (len > cap - total)
			return -1;
		src = udrv_model_dma(m->dev, le64toh(desc.addr), len);
		if (!src && len)
			return -1;
		memcpy(buf + total, src, len);
		total += len;
		if (!(le16toh(desc.flags) & VRING_DESC_F_NEXT))
			return (long)total;
		d = le16toh(desc.next);
	}
	return -1;
}

/* Scatter data into the writable chain starting at d. Returns bytes written or -1. */
static long scatter(struct vmodel *m, struct mvq *q, uint16_t d, const uint8_t *data, size_t len)
{
	size_t done = 0;

	for (unsigned n = 0; n < q->size && done < len; n++) {
		struct vring_desc desc;
		uint32_t dl;
		void *dst;

		if (d >= q->size)
			return -1;
		memcpy(&desc, (const void *)&q->desc[d], sizeof(desc));
		if (!(le16toh(desc.flags) & VRING_DESC_F_WRITE))
			return -1;
		dl = le32toh(desc.len);
		if (dl > len - done)
			dl = (uint32_t)(len - done);
		dst = udrv_model_dma(m->dev, le64toh(desc.addr), dl);
		if (!dst && dl)
			return -1;
		memcpy(dst, data + done, dl);
		done += dl;
		if (!(le16toh(desc.flags) & VRING_DESC_F_NEXT))
			break;
		d = le16toh(desc.next);
	}
	return done == len ? (long)done : -2;
}

/* Returns true if the frame was placed (counted in rx_frames by the caller
 * once the used index that covers it is published, so that a reader of the
 * statistics never sees a frame the driver cannot see yet). */
static bool deliver(struct vmodel *m, struct mvq *rq, const uint8_t *frame, size_t len)
{
	uint16_t idx, head;
	long r;

	if (!rq->enabled || !rq->mapped) {
		m->st.rx_no_buf++;
		return false;
	}
	idx = le16toh(__atomic_load_n(&rq->avail->idx, __ATOMIC_ACQUIRE));
	if (idx == rq->last_avail) {
		m->st.rx_no_buf++;
		return false;
	}
	head = le16toh(rq->avail->ring[rq->last_avail & (rq->size - 1)]);
	rq->last_avail++;
	r = scatter(m, rq, head, frame, len);
	if (r == -1) {
		m->st.bad_desc++;
		set_needs_reset(m, "bad rx descriptor chain");
		return false;
	}
	if (r == -2) { /* buffer too small: drop the frame, keep the buffer posted */
		rq->last_avail--;
		m->st.rx_no_buf++;
		return false;
	}
	push_used(m, rq, head, (uint32_t)len);
	return true;
}

/* 5.1.6.2.1: with CSUM, a NEEDS_CSUM packet gets the checksum of
 * [csum_start, end) folded into csum_start + csum_offset (the driver put the
 * pseudo-header sum there). buf holds the virtio_net_hdr, then the frame. */
static void tx_offload_csum(struct vmodel *m, uint8_t *buf, size_t len)
{
	const struct virtio_net_hdr *h = (const struct virtio_net_hdr *)buf;
	size_t hl = sizeof(*h), start = le16toh(h->csum_start), off = le16toh(h->csum_offset);
	uint32_t sum = 0;
	uint8_t *f = buf + hl;

	if (!negotiated(m, VIRTIO_NET_F_CSUM) || !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return;
	if (start + off + 2 > len - hl)
		return; /* nonsense offsets: leave the frame alone */
	for (size_t i = start; i < len - hl; i += 2)
		sum += (uint32_t)f[i] << 8 | (i + 1 < len - hl ? f[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	f[start + off] = (uint8_t)(sum >> 8);
	f[start + off + 1] = (uint8_t)sum;
}

/* Reverse the used entries written since from (not yet published). */
static void reverse_used(struct mvq *q, uint16_t from)
{
	uint16_t a = from, b = (uint16_t)(q->used_idx - 1);

	if (!q->mapped)
		return;
	while ((uint16_t)(b - from) > (uint16_t)(a - from)) {
		volatile struct vring_used_elem *ea = &q->used->ring[a & (q->size - 1)];
		volatile struct vring_used_elem *eb = &q->used->ring[b & (q->size - 1)];
		struct vring_used_elem t = { ea->id, ea->len };

		ea->id = eb->id;
		ea->len = eb->len;
		eb->id = t.id;
		eb->len = t.len;
		a++;
		b--;
	}
}

static bool process_tx(struct vmodel *m, uint16_t pair)
{
	struct mvq *tq = &m->vq[2 * pair + 1], *rq = &m->vq[2 * pair];
	uint16_t idx, wd, rx_used_before = rq->used_idx;
	unsigned n = 0, placed = 0;

	if (!tq->mapped)
		return false;
	idx = le16toh(__atomic_load_n(&tq->avail->idx, __ATOMIC_ACQUIRE));
	if ((uint16_t)(idx - tq->last_avail) > tq->size) {
		set_needs_reset(m, "tx avail index ran ahead");
		return false;
	}
	while (tq->last_avail != idx && n < BUDGET && !m->broken) {
		uint16_t head = le16toh(tq->avail->ring[tq->last_avail & (tq->size - 1)]);
		long len;

		tq->last_avail++;
		len = gather(m, tq, head, m->frame, FRAME_MAX, &wd);
		if (len < (long)sizeof(struct virtio_net_hdr)) {
			m->st.bad_desc++;
			set_needs_reset(m, "bad tx descriptor chain");
			break;
		}
		m->st.tx_frames++;
		tx_offload_csum(m, m->frame, (size_t)len);
		/* Loop back: the header's place is taken by a fresh rx header. */
		memset(m->frame, 0, sizeof(struct virtio_net_hdr));
		((struct virtio_net_hdr *)m->frame)->num_buffers = htole16(1);
		if (negotiated(m, VIRTIO_NET_F_GUEST_CSUM))
			((struct virtio_net_hdr *)m->frame)->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		placed += deliver(m, rq, m->frame, (size_t)len);
		push_used(m, tq, head, 0);
		n++;
	}
	if (n) {
		if (m->opts.out_of_order) {
			reverse_used(tq, (uint16_t)(tq->used_idx - n));
			reverse_used(rq, rx_used_before);
		}
		publish_used(m, tq);
		if (rq->used_idx != rx_used_before)
			publish_used(m, rq);
		m->st.rx_frames += placed;
	}
	set_avail_event(m, tq);
	if (rq->mapped)
		set_avail_event(m, rq);
	return n != 0;
}

static bool process_ctrl(struct vmodel *m)
{
	struct mvq *q = &m->vq[m->nvq - 1];
	uint8_t cmd[64];
	uint16_t idx, wd;
	bool did = false;

	if (!q->mapped)
		return false;
	idx = le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE));
	while (q->last_avail != idx && !m->broken) {
		uint16_t head = le16toh(q->avail->ring[q->last_avail & (q->size - 1)]);
		long len = gather(m, q, head, cmd, sizeof(cmd), &wd);
		uint8_t ack = VIRTIO_NET_ERR;

		q->last_avail++;
		if (len < 2 || wd >= q->size) {
			m->st.bad_desc++;
			set_needs_reset(m, "bad control command chain");
			return true;
		}
		pthread_mutex_lock(&m->st_lock);
		if (cmd[0] == VIRTIO_NET_CTRL_RX && cmd[1] == VIRTIO_NET_CTRL_RX_PROMISC && len >= 3) {
			m->st.promisc = cmd[2];
			ack = VIRTIO_NET_OK;
		} else if (cmd[0] == VIRTIO_NET_CTRL_MAC && cmd[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET &&
			   len >= 8) {
			memcpy(m->st.mac, cmd + 2, 6);
			for (unsigned i = 0; i < 6; i++)
				m->bar[OFF_DEVICE + VNET_CFG_MAC + i] = m->st.mac[i];
			ack = VIRTIO_NET_OK;
		} else if (cmd[0] == VIRTIO_NET_CTRL_MQ && cmd[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
			   len >= 4) {
			uint16_t p = (uint16_t)(cmd[2] | cmd[3] << 8);

			if (p >= 1 && p <= m->opts.max_pairs) {
				m->st.pairs = p;
				ack = VIRTIO_NET_OK;
			}
		}
		pthread_mutex_unlock(&m->st_lock);
		if (scatter(m, q, wd, &ack, 1) != 1) {
			set_needs_reset(m, "bad control ack buffer");
			return true;
		}
		push_used(m, q, head, 1);
		publish_used(m, q);
		did = true;
	}
	return did;
}

static bool model_poll(void *ctx, struct udrv_dev *dev)
{
	struct vmodel *m = ctx;
	bool did = false;
	uint8_t status;

	handle_registers(m);
	status = m->status_seen;
	for (uint16_t i = 0; i < m->nvq; i++) {
		volatile uint8_t *nr = m->bar + OFF_NOTIFY + NOTIFY_MULT * i;

		if (le16toh(udrv_mmio_read16(nr, 0)) != 0xffff) {
			put_le16(nr, 0xffff);
			__atomic_fetch_add(&m->st.kicks, 1, __ATOMIC_RELAXED);
		}
	}
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !m->broken) {
		if (negotiated(m, VIRTIO_NET_F_CTRL_VQ))
			did |= process_ctrl(m);
		for (uint16_t p = 0; p < m->opts.max_pairs && !m->broken; p++)
			did |= process_tx(m, p);
	}
	udrv_mmio_write32(m->bar, UDRV_NET_MODEL_SYNC_OFF,
			  udrv_mmio_read32(m->bar, UDRV_NET_MODEL_SYNC_OFF) + 1);
	udrv_wmb();
	return did;
}

static int model_init(void *ctx, struct udrv_dev *dev)
{
	struct vmodel *m = ctx;

	m->dev = dev;
	m->bar = udrv_model_bar(dev, 0);
	if (!m->bar)
		return -ENODEV;
	layout_caps(m);
	device_reset(m);
	return 0;
}

static void model_reset(void *ctx, struct udrv_dev *dev)
{
	device_reset(ctx);
}

static void model_fini(void *ctx, struct udrv_dev *dev)
{
	struct vmodel *m = ctx;

	pthread_mutex_destroy(&m->st_lock);
	free(m);
}

static const struct udrv_model_ops vnet_model_ops = {
	.size = sizeof(struct udrv_model_ops),
	.vendor = VIRTIO_PCI_VENDOR,
	.device = VIRTIO_PCI_DEVICE_NET,
	.class_code = 0x020000,
	.bar_size = { MODEL_BAR_SIZE },
	.init = model_init,
	.poll = model_poll,
	.reset = model_reset,
	.fini = model_fini,
};

int udrv_net_model_open(const struct udrv_net_model_opts *opts, struct udrv_dev **out)
{
	struct vmodel *m;
	int rc;

	if (!out || (opts && opts->size < offsetof(struct udrv_net_model_opts, cap_fault)))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (opts)
		memcpy(&m->opts, opts, opts->size < sizeof(m->opts) ? opts->size : sizeof(m->opts));
	if (!m->opts.max_pairs)
		m->opts.max_pairs = 1;
	if (!m->opts.queue_size)
		m->opts.queue_size = 256;
	if (m->opts.max_pairs > MAX_PAIRS || m->opts.queue_size < 8 || m->opts.queue_size > 4096 ||
	    (m->opts.queue_size & (m->opts.queue_size - 1))) {
		udrv_log(UDRV_LOG_ERROR, NULL, "virtio-net model: max_pairs 1-%d, queue_size a "
			 "power of two 8-4096", MAX_PAIRS);
		free(m);
		return -EINVAL;
	}
	snprintf(m->name, sizeof(m->name), "%s", m->opts.name ? m->opts.name : "vnet-model");
	m->opts.name = m->name;
	if (!memcmp(m->opts.mac, "\0\0\0\0\0\0", 6))
		memcpy(m->opts.mac, "\x52\x54\x00\x12\x34\x56", 6);
	memcpy(m->st.mac, m->opts.mac, 6);
	m->nvq = (uint16_t)(2 * m->opts.max_pairs + 1);
	m->offered = VBIT(VIRTIO_NET_F_CSUM) | VBIT(VIRTIO_NET_F_GUEST_CSUM) |
		     VBIT(VIRTIO_F_VERSION_1) | VBIT(VIRTIO_F_ACCESS_PLATFORM) |
		     VBIT(VIRTIO_NET_F_MAC) | VBIT(VIRTIO_NET_F_STATUS) |
		     VBIT(VIRTIO_NET_F_CTRL_VQ) | VBIT(VIRTIO_NET_F_CTRL_RX) |
		     VBIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | VBIT(VIRTIO_F_RING_EVENT_IDX);
	if (m->opts.max_pairs > 1)
		m->offered |= VBIT(VIRTIO_NET_F_MQ);
	m->offered &= ~m->opts.features_off;
	/* Without MQ the control queue is virtqueue 2 (5.1.2). */
	if (!(m->offered & VBIT(VIRTIO_NET_F_MQ)))
		m->nvq = 3;
	if (!(m->offered & VBIT(VIRTIO_NET_F_MQ)) && m->opts.max_pairs > 1)
		m->opts.max_pairs = 1;
	pthread_mutex_init(&m->st_lock, NULL);
	rc = udrv_dev_open_model(&vnet_model_ops, m, m->name, out);
	if (rc) {
		pthread_mutex_destroy(&m->st_lock);
		free(m);
	}
	return rc;
}

static struct vmodel *lookup(struct udrv_dev *dev)
{
	return udrv_model_ctx(dev, &vnet_model_ops);
}

int udrv_net_model_inject(struct udrv_dev *dev, uint16_t vq, enum udrv_net_model_fault f)
{
	struct vmodel *m = lookup(dev);

	if (!m || vq >= m->nvq)
		return -EINVAL;
	__atomic_store_n(&m->vq[vq].fault, (int)f, __ATOMIC_RELEASE);
	return 0;
}

int udrv_net_model_set_link(struct udrv_dev *dev, bool up)
{
	struct vmodel *m = lookup(dev);

	if (!m)
		return -EINVAL;
	put_le16(m->bar + OFF_DEVICE + VNET_CFG_STATUS, up ? VIRTIO_NET_S_LINK_UP : 0);
	udrv_mmio_write8(common(m), VCOM_CFGGEN, udrv_mmio_read8(common(m), VCOM_CFGGEN) + 1);
	return 0;
}

int udrv_net_model_needs_reset(struct udrv_dev *dev)
{
	struct vmodel *m = lookup(dev);

	if (!m)
		return -EINVAL;
	__atomic_store_n(&m->want_reset, 1, __ATOMIC_RELEASE);
	return 0;
}

int udrv_net_model_stats(struct udrv_dev *dev, struct udrv_net_model_stats *st)
{
	struct vmodel *m = lookup(dev);

	if (!m)
		return -EINVAL;
	pthread_mutex_lock(&m->st_lock);
	*st = m->st;
	st->kicks = __atomic_load_n(&m->st.kicks, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&m->st_lock);
	return 0;
}

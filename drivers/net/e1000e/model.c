/* SPDX-License-Identifier: MIT */
/*
 * The 82574L device model: the device side of what the e1000e driver uses
 * (82574 datasheet 10.2 registers, 7.1 receive, 7.2 transmit, legacy
 * descriptors), for tests. Every frame sent comes back on the receive ring.
 * Rings and buffers are reached only through udrv_model_dma(), by IOVA.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <udrv/e1000e_model.h>
#include <udrv/log.h>
#include <udrv/mmio.h>
#include <udrv/model.h>

#include "e1000e_regs.h"
#include "model_hook.h"

#define MODEL_BAR_SIZE 0x20000 /* the 82574L's memory BAR is 128 KiB */
#define REGS_END 0x6000        /* every register the driver touches is below */
#define FRAME_MAX 16384        /* largest frame the model gathers on transmit */
#define RX_FRAME_MAX 1522      /* with the FCS, RCTL.LPE off (7.1.1.2) */
#define MIN_FRAME 60           /* TCTL.PSP pads to 64 bytes with the FCS */
#define BUDGET 256             /* frames per poll */

/* Ring registers sit at the same offsets from RDBAL and TDBAL. */
#define RING_BAL 0x00
#define RING_BAH 0x04
#define RING_LEN 0x08
#define RING_H 0x10
#define RING_T 0x18

#define E1000_IMS 0x00d0
#define E1000_EECD_PRES (1u << 8)
#define E1000_TXD_CMD_DEXT 0x20
#define E1000_STATUS_SPEED_1000 (2u << 6)
#define E1000_RCTL_BSIZE_SHIFT 16

struct ering {
	uint32_t base;    /* RDBAL or TDBAL */
	bool on;          /* the enable bit was seen set and the ring latched */
	bool broken;      /* bad ring registers or a head fault: the ring stops */
	uint16_t size, head;
	uint32_t tail_seen;
	volatile void *ring;
};

struct emodel {
	struct udrv_dev *dev;
	struct udrv_e1000e_model_opts opts;
	char name[32];
	volatile uint8_t *bar;
	uint16_t eeprom[64];
	struct ering rx, tx;
	uint32_t ims;
	bool was_gone;
	int fault;        /* enum udrv_e1000e_model_fault, set from any thread */
	int link_up;      /* atomic */
	int gone;         /* atomic */
	uint64_t polls;   /* atomic: completed polls */
	struct udrv_e1000e_model_stats st; /* counters: atomic */
	uint8_t frame[FRAME_MAX + 4];
};

static uint32_t rd(struct emodel *m, uint32_t reg)
{
	return le32toh(udrv_mmio_read32(m->bar, reg));
}

static void wr(struct emodel *m, uint32_t reg, uint32_t v)
{
	udrv_mmio_write32(m->bar, reg, htole32(v));
}

static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* Statistics registers: the driver clears them with an atomic exchange, so
 * the model adds with compare-and-swap (little-endian in the BAR). */
static void reg_count(struct emodel *m, uint32_t reg)
{
	volatile uint32_t *r = (volatile uint32_t *)(m->bar + reg);
	uint32_t old = __atomic_load_n(r, __ATOMIC_RELAXED), next;

	do
		next = htole32(le32toh(old) + 1);
	while (!__atomic_compare_exchange_n(r, &old, next, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED));
}

static uint32_t status_value(struct emodel *m, uint32_t ctrl)
{
	uint32_t st = E1000_STATUS_FD | E1000_STATUS_SPEED_1000;

	if (__atomic_load_n(&m->link_up, __ATOMIC_ACQUIRE))
		st |= E1000_STATUS_LU;
	/* 10.2.2.2: GIO_MASTER_EN clears once master requests are disabled and
	 * none is pending (the model has none pending between polls). */
	if (!(ctrl & E1000_CTRL_GIO_MASTER_DISABLE))
		st |= E1000_STATUS_GIO_MASTER_EN;
	return st;
}

/* Power-on state; also CTRL.RST (4.6.1) and a device coming back. CTRL is
 * written last: RST reads clear only once the EEPROM load is done. */
static void device_reset(struct emodel *m)
{
	const uint8_t *mac = m->opts.mac;

	memset((void *)(m->bar + 4), 0, REGS_END - 4);
	m->rx = (struct ering){ .base = E1000_RDBAL };
	m->tx = (struct ering){ .base = E1000_TDBAL };
	m->ims = 0;
	wr(m, E1000_STATUS, status_value(m, 0));
	if (!m->opts.mac_in_eeprom_only) {
		wr(m, E1000_RAL0, (uint32_t)mac[0] | (uint32_t)mac[1] << 8 |
				  (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24);
		wr(m, E1000_RAH0, (uint32_t)mac[4] | (uint32_t)mac[5] << 8 | E1000_RAH_AV);
	}
	wr(m, E1000_EECD, E1000_EECD_PRES | E1000_EECD_AUTO_RD);
	udrv_wmb();
	wr(m, E1000_CTRL, E1000_CTRL_FD);
}

/* STATUS, EERD (10.2.2.4) and IMC (write-only: clears IMS bits). */
static void handle_registers(struct emodel *m)
{
	uint32_t ctrl = rd(m, E1000_CTRL), st = status_value(m, ctrl);
	uint32_t eerd = rd(m, E1000_EERD), imc = rd(m, E1000_IMC);

	if (rd(m, E1000_STATUS) != st)
		wr(m, E1000_STATUS, st);
	if ((eerd & E1000_EERD_START) && !(eerd & E1000_EERD_DONE)) {
		uint32_t word = FIELD_GET(E1000_EERD_ADDR_MASK, eerd);
		uint16_t v = word < 64 ? m->eeprom[word] : 0xffff;

		wr(m, E1000_EERD, FIELD_SET(E1000_EERD_DATA_MASK, v) |
				  (eerd & E1000_EERD_ADDR_MASK) | E1000_EERD_DONE);
	}
	if (imc) {
		m->ims &= ~imc;
		wr(m, E1000_IMC, 0);
		wr(m, E1000_IMS, m->ims);
	}
}

/* Count tail changes; latch the ring when its enable bit goes on (7.1.6,
 * 7.2.9: base, length and head are written before the enable bit). */
static void ring_update(struct emodel *m, struct ering *r, bool en, uint64_t *tail_writes)
{
	uint32_t tail = rd(m, r->base + RING_T), len;
	uint64_t iova;

	if (tail != r->tail_seen) {
		r->tail_seen = tail;
		count(tail_writes);
	}
	if (!en) {
		r->on = false;
		return;
	}
	if (r->on)
		return;
	r->on = true;
	r->broken = false;
	iova = rd(m, r->base + RING_BAL) | (uint64_t)rd(m, r->base + RING_BAH) << 32;
	len = rd(m, r->base + RING_LEN);
	r->head = (uint16_t)rd(m, r->base + RING_H);
	r->size = (uint16_t)(len / 16);
	/* 10.2.5.4: length a multiple of 128 bytes; base 16-byte aligned. */
	if (len == 0 || len % 128 || len / 16 > 32768 || (iova & 15) || r->head >= r->size ||
	    !(r->ring = udrv_model_dma(m->dev, iova, len))) {
		udrv_log(UDRV_LOG_ERROR, m->name, "model: %s ring enabled with base 0x%llx, "
			 "length %u, head %u: refused", r == &m->rx ? "rx" : "tx",
			 (unsigned long long)iova, len, r->head);
		r->broken = true;
		count(&m->st.bad_ring);
	}
}

static volatile struct e1000_rx_desc *rx_desc(struct emodel *m, uint16_t i)
{
	return (volatile struct e1000_rx_desc *)m->rx.ring + i;
}

static volatile struct e1000_tx_desc *tx_desc(struct emodel *m, uint16_t i)
{
	return (volatile struct e1000_tx_desc *)m->tx.ring + i;
}

static void set_head(struct emodel *m, struct ering *r, uint16_t head)
{
	r->head = head;
	wr(m, r->base + RING_H, head);
}

/* Ring faults, applied while the driver is idle (see the header). */
static void apply_ring_fault(struct emodel *m)
{
	int f = __atomic_load_n(&m->fault, __ATOMIC_ACQUIRE);
	bool rx = f == UDRV_E1000E_MODEL_FAULT_RX_DD_NOT_POSTED ||
		  f == UDRV_E1000E_MODEL_FAULT_RX_HEAD_BEYOND;
	struct ering *r = rx ? &m->rx : &m->tx;
	uint32_t tail;

	if (f == UDRV_E1000E_MODEL_FAULT_NONE || f == UDRV_E1000E_MODEL_FAULT_RX_LEN_TOO_BIG ||
	    !r->on || r->broken)
		return;
	tail = rd(m, r->base + RING_T);
	if (tail >= r->size)
		return;
	switch (f) {
	case UDRV_E1000E_MODEL_FAULT_RX_DD_NOT_POSTED:
		rx_desc(m, (uint16_t)tail)->length = htole16(MIN_FRAME);
		rx_desc(m, (uint16_t)tail)->errors = 0;
		__atomic_store_n(&rx_desc(m, (uint16_t)tail)->status,
				 E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP, __ATOMIC_RELEASE);
		break;
	case UDRV_E1000E_MODEL_FAULT_TX_DD_NOT_POSTED:
		__atomic_store_n(&tx_desc(m, (uint16_t)tail)->status, E1000_TXD_STAT_DD,
				 __ATOMIC_RELEASE);
		break;
	default: /* a head beyond the ring: the device is lost in memory, it stops */
		set_head(m, r, (uint16_t)(r->size + 5));
		r->broken = true;
		break;
	}
	if (__atomic_compare_exchange_n(&m->fault, &f, UDRV_E1000E_MODEL_FAULT_NONE, false,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		count(&m->st.faults_applied);
}

/* The Ethernet FCS (IEEE 802.3 CRC-32, reflected), appended little-endian. */
static uint32_t crc32_eth(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

/* 7.1.1.1 / 10.2.5.1: exact match on RAL0/RAH0, broadcast with BAM,
 * multicast with MPE (the driver clears the MTA), anything with UPE. */
static bool rx_accept(struct emodel *m, uint32_t rctl, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t ral = rd(m, E1000_RAL0), rah = rd(m, E1000_RAH0);
	uint8_t mac[6] = { (uint8_t)ral, (uint8_t)(ral >> 8), (uint8_t)(ral >> 16),
			   (uint8_t)(ral >> 24), (uint8_t)rah, (uint8_t)(rah >> 8) };

	if (!memcmp(dst, bcast, 6))
		return rctl & (E1000_RCTL_BAM | E1000_RCTL_MPE);
	if (dst[0] & 1)
		return rctl & E1000_RCTL_MPE;
	return (rctl & E1000_RCTL_UPE) || ((rah & E1000_RAH_AV) && !memcmp(dst, mac, 6));
}

/* RCTL.BSIZE/BSEX (10.2.5.1). */
static uint32_t rx_buf_size(uint32_t rctl)
{
	uint32_t b = FIELD_GET(E1000_RCTL_BSIZE_MASK, rctl);

	return (rctl & E1000_RCTL_BSEX) ? (b ? 32768u >> b : 2048u) : 2048u >> b;
}

/* Receive one frame off the wire (7.1.4: legacy write-back). frame has room
 * for the FCS after len bytes. */
static void rx_frame(struct emodel *m, uint8_t *frame, size_t len)
{
	struct ering *r = &m->rx;
	uint32_t rctl = rd(m, E1000_RCTL), tail, bsize = rx_buf_size(rctl), ndesc, avail;
	size_t done = 0;
	int f;

	/* The driver enabled receive before it wrote the TDT this frame came
	 * from: latch the ring now if this poll looked at RCTL too early. */
	ring_update(m, r, rctl & E1000_RCTL_EN, &m->st.rdt_writes);
	if (!(rctl & E1000_RCTL_EN) || !r->on || !rx_accept(m, rctl, frame)) {
		count(&m->st.rx_filtered);
		return;
	}
	if (len + 4 > RX_FRAME_MAX && !(rctl & E1000_RCTL_LPE)) {
		reg_count(m, E1000_RLEC);
		count(&m->st.rx_too_long);
		return;
	}
	if (!(rctl & E1000_RCTL_SECRC)) {
		uint32_t fcs = htole32(crc32_eth(frame, len));

		memcpy(frame + len, &fcs, 4);
		len += 4;
	}
	tail = rd(m, E1000_RDT);
	ndesc = (uint32_t)((len + bsize - 1) / bsize);
	avail = r->broken || tail >= r->size ? 0 : (tail - r->head + r->size) % r->size;
	if (avail < ndesc) {
		reg_count(m, E1000_MPC);
		count(&m->st.rx_no_desc);
		return;
	}
	/* Counted before the last DD store: a driver that sees the frame sees
	 * the counters that include it. */
	reg_count(m, E1000_GPRC);
	count(&m->st.rx_frames);
	f = __atomic_load_n(&m->fault, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < ndesc; i++) {
		volatile struct e1000_rx_desc *d = rx_desc(m, r->head);
		size_t chunk = len - done < bsize ? len - done : bsize;
		uint32_t wlen = (uint32_t)chunk;
		void *dst = udrv_model_dma(m->dev, le64toh(d->addr), chunk);
		bool last = i + 1 == ndesc;

		if (dst)
			memcpy(dst, frame + done, chunk);
		if (last && f == UDRV_E1000E_MODEL_FAULT_RX_LEN_TOO_BIG &&
		    __atomic_compare_exchange_n(&m->fault, &f, UDRV_E1000E_MODEL_FAULT_NONE, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			wlen = bsize + 512; /* the lie: the buffer holds only bsize */
			count(&m->st.faults_applied);
		}
		{
			/* No checksum verdict (IXSM). A fuzzer may rewrite any
			 * byte of the write-back (model_hook.h). */
			struct e1000_rx_desc wb = {
				.addr = d->addr, .length = htole16((uint16_t)wlen), .csum = 0,
				.status = (uint8_t)(E1000_RXD_STAT_DD | E1000_RXD_STAT_IXSM |
						    (last ? E1000_RXD_STAT_EOP : 0)),
				.errors = dst ? 0 : E1000_RXD_ERR_RXE, .special = 0,
			};

			if (udrvi_model_tamper(m->dev, UDRVI_MODEL_E1000E_RX_DESC, &wb,
					       sizeof(wb)) != UDRVI_TAMPER_DROP) {
				d->addr = wb.addr;
				d->length = wb.length;
				d->csum = wb.csum;
				d->errors = wb.errors;
				d->special = wb.special;
				/* Descriptor fields before DD. */
				__atomic_store_n(&d->status, wb.status, __ATOMIC_RELEASE);
			}
		}
		done += chunk;
		set_head(m, r, (uint16_t)((r->head + 1) % r->size));
	}
}

/* The wire: padding (TCTL.PSP), link, then this port's own receiver. */
static void wire(struct emodel *m, size_t len, bool fcs)
{
	if (len < MIN_FRAME && (rd(m, E1000_TCTL) & E1000_TCTL_PSP)) {
		memset(m->frame + len, 0, MIN_FRAME - len);
		len = MIN_FRAME;
	}
	if (!__atomic_load_n(&m->link_up, __ATOMIC_ACQUIRE)) {
		count(&m->st.link_drops);
		return;
	}
	if (!fcs) { /* without IFCS the last 4 bytes are taken as a (bad) FCS */
		reg_count(m, E1000_CRCERRS);
		return;
	}
	rx_frame(m, m->frame, len);
}

/* Gather the frame starting at head. Returns the descriptor after its EOP,
 * or head if the frame is not complete before TDT yet. */
static uint16_t tx_gather(struct emodel *m, uint16_t tdt, size_t *len, bool *bad, bool *fcs)
{
	struct ering *t = &m->tx;
	uint16_t i = t->head;

	*len = 0;
	*bad = false;
	*fcs = true;
	do {
		volatile struct e1000_tx_desc *d = tx_desc(m, i);
		uint64_t addr = le64toh(d->addr);
		uint16_t dl = le16toh(d->length);
		uint8_t cmd = d->cmd;
		const void *src;

		i = (uint16_t)((i + 1) % t->size);
		if ((cmd & E1000_TXD_CMD_DEXT) || dl > FRAME_MAX - *len) {
			*bad = true;
		} else if (!*bad && dl) {
			src = udrv_model_dma(m->dev, addr, dl);
			if (src)
				memcpy(m->frame + *len, src, dl);
			*bad = !src;
			*len += dl;
		}
		if (cmd & E1000_TXD_CMD_EOP) {
			*fcs = cmd & E1000_TXD_CMD_IFCS;
			return i;
		}
	} while (i != tdt);
	return t->head;
}

/* DD into a descriptor with RS; a fuzzer may rewrite any byte (model_hook.h). */
static void tx_writeback(struct emodel *m, volatile struct e1000_tx_desc *d)
{
	struct e1000_tx_desc wb;

	memcpy(&wb, (const void *)d, sizeof(wb));
	wb.status = E1000_TXD_STAT_DD;
	if (udrvi_model_tamper(m->dev, UDRVI_MODEL_E1000E_TX_DESC, &wb, sizeof(wb)) ==
	    UDRVI_TAMPER_DROP)
		return;
	d->addr = wb.addr;
	d->length = wb.length;
	d->cso = wb.cso;
	d->cmd = wb.cmd;
	d->css = wb.css;
	d->special = wb.special;
	__atomic_store_n(&d->status, wb.status, __ATOMIC_RELEASE);
}

/* 7.2: transmit what lies between TDH and TDT, write DD back where RS is set. */
static bool process_tx(struct emodel *m)
{
	struct ering *t = &m->tx;
	uint32_t tdt;
	unsigned n = 0;

	if (!t->on || t->broken)
		return false;
	tdt = rd(m, E1000_TDT);
	/* Descriptors are read after the tail that covers them. */
	udrv_rmb();
	if (tdt >= t->size)
		return false;
	while (t->head != tdt && n < BUDGET) {
		size_t len;
		bool bad, fcs;
		uint16_t end = tx_gather(m, (uint16_t)tdt, &len, &bad, &fcs);

		if (end == t->head)
			break;
		for (uint16_t i = t->head; i != end; i = (uint16_t)((i + 1) % t->size))
			if (tx_desc(m, i)->cmd & E1000_TXD_CMD_RS)
				tx_writeback(m, tx_desc(m, i));
		set_head(m, t, end);
		n++;
		if (bad || len == 0) {
			count(&m->st.bad_desc);
			continue;
		}
		reg_count(m, E1000_GPTC);
		count(&m->st.tx_frames);
		wire(m, len, fcs);
	}
	return n != 0;
}

/*
 * What the driver reads next: a fuzzer may rewrite every register the device
 * writes (model_hook.h). Not those the driver writes and the model takes as
 * orders (ring bases, tails, CTRL): a corrupted ring base would have the model
 * DMA wherever the fuzzer says, which the IOMMU allows within mapped memory and
 * no driver can prevent.
 */
static void tamper_regs(struct emodel *m)
{
	static const uint32_t regs[] = { E1000_STATUS, E1000_ICR, E1000_RDH, E1000_TDH,
					 E1000_EECD, E1000_EERD, E1000_RAL0, E1000_RAH0,
					 E1000_MPC, E1000_CRCERRS, E1000_RXERRC, E1000_RLEC,
					 E1000_GPRC, E1000_GPTC };
	uint32_t v[sizeof(regs) / sizeof(regs[0])], was[sizeof(v) / sizeof(v[0])];

	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		v[i] = was[i] = rd(m, regs[i]);
	udrvi_model_tamper(m->dev, UDRVI_MODEL_E1000E_REGS, v, sizeof(v));
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (v[i] != was[i])
			wr(m, regs[i], v[i]);
}

static bool model_poll(void *ctx, struct udrv_dev *dev)
{
	struct emodel *m = ctx;
	bool did = false;
	uint32_t ctrl;

	if (__atomic_load_n(&m->gone, __ATOMIC_ACQUIRE)) {
		/* Reads of a removed device return all ones; the driver's own
		 * writes are overwritten at every poll. */
		memset((void *)m->bar, 0xff, REGS_END);
		m->was_gone = true;
		goto out;
	}
	if (m->was_gone) {
		m->was_gone = false;
		device_reset(m);
	}
	ctrl = rd(m, E1000_CTRL);
	if (ctrl & E1000_CTRL_RST) {
		device_reset(m);
		did = true;
		goto out;
	}
	handle_registers(m);
	ring_update(m, &m->rx, rd(m, E1000_RCTL) & E1000_RCTL_EN, &m->st.rdt_writes);
	ring_update(m, &m->tx, rd(m, E1000_TCTL) & E1000_TCTL_EN, &m->st.tdt_writes);
	apply_ring_fault(m);
	/* No DMA while master requests are disabled (10.2.2.1). */
	if (!(ctrl & E1000_CTRL_GIO_MASTER_DISABLE))
		did = process_tx(m);
out:
	tamper_regs(m);
	__atomic_fetch_add(&m->polls, 1, __ATOMIC_RELEASE);
	return did;
}

static int model_init(void *ctx, struct udrv_dev *dev)
{
	struct emodel *m = ctx;

	m->dev = dev;
	m->bar = udrv_model_bar(dev, 0);
	if (!m->bar)
		return -ENODEV;
	device_reset(m);
	return 0;
}

static void model_reset(void *ctx, struct udrv_dev *dev)
{
	device_reset(ctx);
}

static void model_fini(void *ctx, struct udrv_dev *dev)
{
	struct emodel *m = ctx;

	free(m);
}

static const struct udrv_model_ops e1000e_model_ops = {
	.size = sizeof(struct udrv_model_ops),
	.vendor = E1000E_VENDOR,
	.device = E1000E_DEVICE_82574L,
	.class_code = 0x020000,
	.bar_size = { MODEL_BAR_SIZE },
	.init = model_init,
	.poll = model_poll,
	.reset = model_reset,
	.fini = model_fini,
};

int udrv_e1000e_model_open(const struct udrv_e1000e_model_opts *opts, struct udrv_dev **out)
{
	struct emodel *m;
	int rc;

	if (!out || (opts && opts->size < offsetof(struct udrv_e1000e_model_opts, link_down)))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (opts)
		memcpy(&m->opts, opts, opts->size < sizeof(m->opts) ? opts->size : sizeof(m->opts));
	snprintf(m->name, sizeof(m->name), "%s", m->opts.name ? m->opts.name : "e1000e-model");
	m->opts.name = m->name;
	if (!memcmp(m->opts.mac, "\0\0\0\0\0\0", 6))
		memcpy(m->opts.mac, "\x52\x54\x00\x12\x34\x57", 6);
	for (unsigned w = 0; w < 3; w++) /* 5.6: words 0-2 hold the address */
		m->eeprom[w] = (uint16_t)(m->opts.mac[2 * w] | m->opts.mac[2 * w + 1] << 8);
	m->link_up = !m->opts.link_down;
	rc = udrv_dev_open_model(&e1000e_model_ops, m, m->name, out);
	if (rc)
		free(m);
	return rc;
}

static struct emodel *lookup(struct udrv_dev *dev)
{
	return udrv_model_ctx(dev, &e1000e_model_ops);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int sync_model(struct emodel *m)
{
	/* The poll running now may have read the registers before the call:
	 * the second one after it started is complete and later. */
	uint64_t target = __atomic_load_n(&m->polls, __ATOMIC_ACQUIRE) + 2;
	uint64_t deadline = now_ns() + 5000000000ull;

	while (__atomic_load_n(&m->polls, __ATOMIC_ACQUIRE) < target) {
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		sched_yield();
	}
	return 0;
}

int udrv_e1000e_model_sync(struct udrv_dev *dev)
{
	struct emodel *m = lookup(dev);

	return m ? sync_model(m) : -EINVAL;
}

int udrv_e1000e_model_inject(struct udrv_dev *dev, enum udrv_e1000e_model_fault f)
{
	struct emodel *m = lookup(dev);

	if (!m || f < UDRV_E1000E_MODEL_FAULT_NONE || f > UDRV_E1000E_MODEL_FAULT_RX_LEN_TOO_BIG)
		return -EINVAL;
	__atomic_store_n(&m->fault, (int)f, __ATOMIC_RELEASE);
	return 0;
}

int udrv_e1000e_model_set_link(struct udrv_dev *dev, bool up)
{
	struct emodel *m = lookup(dev);

	if (!m)
		return -EINVAL;
	__atomic_store_n(&m->link_up, up, __ATOMIC_RELEASE);
	return sync_model(m);
}

int udrv_e1000e_model_set_gone(struct udrv_dev *dev, bool gone)
{
	struct emodel *m = lookup(dev);

	if (!m)
		return -EINVAL;
	__atomic_store_n(&m->gone, gone, __ATOMIC_RELEASE);
	return sync_model(m);
}

int udrv_e1000e_model_stats(struct udrv_dev *dev, struct udrv_e1000e_model_stats *st)
{
	struct emodel *m = lookup(dev);
	uint32_t ral, rah;

	if (!m || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
#define LOAD(f) (st->f = __atomic_load_n(&m->st.f, __ATOMIC_RELAXED))
	LOAD(tx_frames);
	LOAD(rx_frames);
	LOAD(rx_no_desc);
	LOAD(rx_filtered);
	LOAD(rx_too_long);
	LOAD(link_drops);
	LOAD(bad_desc);
	LOAD(bad_ring);
	LOAD(faults_applied);
	LOAD(rdt_writes);
	LOAD(tdt_writes);
#undef LOAD
	st->rctl = rd(m, E1000_RCTL);
	ral = rd(m, E1000_RAL0);
	rah = rd(m, E1000_RAH0);
	for (int i = 0; i < 4; i++)
		st->mac[i] = (uint8_t)(ral >> (8 * i));
	st->mac[4] = (uint8_t)rah;
	st->mac[5] = (uint8_t)(rah >> 8);
	st->mac_valid = rah & E1000_RAH_AV;
	return 0;
}

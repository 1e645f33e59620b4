/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the NIC drivers against their device models: built
 * twice, as fuzz_virtio_net (used-ring entries and index, device config and
 * queue window at reset) and fuzz_e1000e (rx/tx descriptor write-backs and
 * every register the driver reads). The input plays a program of tx bursts
 * (single buffers and two-segment chains), model polls and rx bursts while
 * the fuzzer corrupts what the device writes (fuzz_common.h); then the port
 * is reset.
 *
 * Invariants beyond ASan/UBSan: no packet is handed to the application twice
 * (nor one it still holds), every received packet is a buffer of the pool
 * with a length within it, and after the reset the pool holds exactly as
 * many buffers as after the first one (nothing lost, nothing freed twice).
 */
#include <stdint.h>
#include <string.h>

#include <udrv/udrv.h>
#include <udrv/net.h>
#ifdef FZ_E1000E
#include <udrv/e1000e_model.h>
#else
#include <udrv/net_model.h>
#endif

#include "fuzz_common.h"

#define POOL_COUNT 1024u
#define RING 64u
#define HELD_MAX 256u
#define OPS_MAX 256u

static struct udrv_dev *dev;
static struct udrv_pool *pool;
static struct udrv_net_port *port;
static struct udrv_net_rxq *rxq;
static struct udrv_net_txq *txq;
static uint32_t baseline; /* pool buffers available after a clean reset */
static struct udrv_pkt *held[HELD_MAX];
static unsigned nheld;

#ifdef FZ_E1000E
#define FZ_DATA_KINDS (FZ_KIND(UDRVI_MODEL_E1000E_RX_DESC) | FZ_KIND(UDRVI_MODEL_E1000E_TX_DESC) | \
		       FZ_KIND(UDRVI_MODEL_E1000E_REGS))
#define FZ_RESET_KINDS 0u
#else
#define FZ_DATA_KINDS (FZ_KIND(UDRVI_MODEL_VIRTIO_USED) | FZ_KIND(UDRVI_MODEL_VIRTIO_USED_IDX))
#define FZ_RESET_KINDS (FZ_KIND(UDRVI_MODEL_VIRTIO_CONFIG) | FZ_KIND(UDRVI_MODEL_VIRTIO_QUEUE))
#endif

static void open_port(void)
{
	struct udrv_net_port_opts po = { .size = sizeof(po), .rx_ring_size = RING,
					 .tx_ring_size = RING, .pool = pool };
	int rc;

#ifdef FZ_E1000E
	struct udrv_e1000e_model_opts mo = { .size = sizeof(mo) };

	rc = udrv_e1000e_model_open(&mo, &dev);
#else
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .queue_size = RING };

	rc = udrv_net_model_open(&mo, &dev);
#endif
	if (rc)
		fz_fail("model open: %d", rc);
	udrvi_model_set_tamper(dev, fz_tamper, NULL);
	/* Polled only here and where the driver waits: one input, one execution. */
	udrvi_model_set_manual(dev, true);
	rc = udrv_net_open_dev(dev, &po, &port);
	if (rc)
		fz_fail("port open: %d", rc);
	rxq = udrv_net_rxq(port, 0);
	txq = udrv_net_txq(port, 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct udrv_net_pool_opts pl = { .size = sizeof(pl), .name = "fuzz", .count = POOL_COUNT,
					 .cache_size = 0 };

	(void)argc;
	(void)argv;
	fz_env();
	if (udrv_net_pool_create(&pl, &pool))
		fz_fail("pool create");
	open_port();
	if (udrv_net_reset(port))
		fz_fail("first reset");
	baseline = udrv_pool_available(pool);
	return 0;
}

static struct udrv_pkt *frame(uint16_t len, uint8_t seed)
{
	struct udrv_pkt *p = udrv_pkt_alloc(pool);

	if (!p)
		return NULL;
	memset(udrv_pkt_data(p), seed, len);
	memset(udrv_pkt_data(p), 0xff, 6); /* broadcast: every receive filter takes it */
	p->data_len = len;
	p->pkt_len = len;
	return p;
}

/* n packets, each a single buffer or (chain) a two-segment chain. */
static void tx(unsigned n, bool chain, uint16_t len)
{
	struct udrv_pkt *pk[8];
	unsigned k = 0, took;

	for (unsigned i = 0; i < n; i++) {
		struct udrv_pkt *p = frame(len, (uint8_t)i), *s;

		if (!p)
			break;
		if (chain && (s = frame(len, 0x5a)) != NULL) {
			p->next = s;
			p->nb_segs = 2;
			p->pkt_len = (uint32_t)len * 2;
		}
		pk[k++] = p;
	}
	took = udrv_net_tx_burst(txq, pk, (uint16_t)k);
	if (took > k)
		fz_fail("tx_burst took %u of %u", took, k);
	for (unsigned i = took; i < k; i++)
		udrv_pkt_free(pk[i]);
}

static void release_held(void)
{
	udrv_pkt_free_bulk(held, nheld);
	nheld = 0;
}

static void rx(void)
{
	struct udrv_pkt *pk[32];
	uint16_t got = udrv_net_rx_burst(rxq, pk, 32);

	if (got > 32)
		fz_fail("rx_burst returned %u of 32", got);
	for (unsigned i = 0; i < got; i++) {
		struct udrv_pkt *p = pk[i];

		if (udrv_pool_index(pool, p) < 0)
			fz_fail("rx_burst returned %p, not a buffer of the pool", (void *)p);
		if (p->next || p->nb_segs != 1 ||
		    (unsigned)p->data_off + p->data_len > p->buf_len || p->pkt_len != p->data_len)
			fz_fail("rx packet with off %u len %u pkt_len %u in a %u-byte buffer",
				p->data_off, p->data_len, p->pkt_len, p->buf_len);
		for (unsigned j = 0; j < nheld; j++)
			if (held[j] == p)
				fz_fail("rx_burst handed out buffer %p twice", (void *)p);
		for (unsigned j = 0; j < i; j++)
			if (pk[j] == p)
				fz_fail("rx_burst returned buffer %p twice in one burst", (void *)p);
	}
	for (unsigned i = 0; i < got; i++) {
		if (nheld == HELD_MAX)
			release_held();
		held[nheld++] = pk[i];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t avail;

	fz_start(data, size, FZ_DATA_KINDS);
	for (unsigned ops = 0; fz.left && ops < OPS_MAX; ops++) {
		uint8_t op = fz_u8();

		switch (op & 3) {
		case 0: /* tx: 1..8 packets, chained or not, 14..1514 bytes */
			tx(1 + (op >> 2 & 7), op & 0x20, (uint16_t)(14 + fz_u8() * 6));
			break;
		case 1:
			udrvi_model_poll(dev);
			break;
		case 2:
			rx();
			break;
		default:
			if (op & 4)
				release_held();
			else
				udrv_net_tx_reclaim(txq);
			break;
		}
	}
	fz.armed = false;
	release_held();

	/* A reset with the device config as the rest of the input says, then a
	 * clean one: the port must come back and hold what it held before. */
	if (FZ_RESET_KINDS && fz.left) {
		fz.kinds = FZ_RESET_KINDS;
		fz.armed = true;
		(void)udrv_net_reset(port);
		fz.armed = false;
	}
	if (udrv_net_reset(port))
		fz_fail("a clean reset failed");
	avail = udrv_pool_available(pool);
	if (avail != baseline)
		fz_fail("pool holds %u buffers after reset, %u before: %s", avail, baseline,
			avail > baseline ? "a buffer was freed twice" : "buffers were lost");
	return 0;
}

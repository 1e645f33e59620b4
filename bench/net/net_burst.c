/* SPDX-License-Identifier: MIT */
/*
 * Drive tx and rx bursts of 32 through the virtio-net model, for callgrind:
 * run under `valgrind --tool=callgrind --toggle-collect=udrv_net_tx_burst
 * --toggle-collect=udrv_net_rx_burst` (bench/net/ipp.sh does) and divide each
 * burst function's inclusive instruction count by the packets it moved.
 *
 * The rx burst is called only once the model has delivered a whole burst, so
 * the figure is the cost of receiving (and refilling), not of empty polls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/net.h>
#include <udrv/runtime.h>
#include <udrv/net_model.h>

#define BURST 32

int main(int argc, char **argv)
{
	unsigned bursts = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 2000;
	struct udrv_net_port_opts po = { .size = sizeof(po) };
	struct udrv_pkt *pkts[BURST];
	struct udrv_net_port *port;
	struct udrv_net_rxq *rxq;
	struct udrv_net_txq *txq;
	struct udrv_pool *pool;
	struct udrv_dev *dev;
	uint64_t tx = 0, rx = 0, rx_calls = 0, tx_calls = 0;
	/* valgrind cannot reserve the default 64 GiB window: 1 GiB is plenty. */
	struct udrv_opts ro = { .size = sizeof(ro), .va_window = 1ull << 30 };
	int rc;

	udrv_init(&ro);
	rc = udrv_net_model_open(NULL, &dev);
	if (!rc)
		rc = udrv_net_open_dev(dev, &po, &port);
	if (rc) {
		fprintf(stderr, "net_burst: cannot open the virtio-net model port (rc %d); "
			"run with UDRV_MEM=anon if there are no hugepages\n", rc);
		return 1;
	}
	rxq = udrv_net_rxq(port, 0);
	txq = udrv_net_txq(port, 0);
	pool = udrv_net_port_pool(port);
	for (unsigned b = 0; b < bursts; b++) {
		struct udrv_net_model_stats ms;
		unsigned got = 0;

		if (udrv_pkt_alloc_bulk(pool, pkts, BURST) != BURST) {
			fprintf(stderr, "net_burst: pool empty\n");
			return 1;
		}
		for (unsigned i = 0; i < BURST; i++) {
			memset(udrv_pkt_data(pkts[i]), 0xff, 14);
			pkts[i]->data_len = pkts[i]->pkt_len = 60;
		}
		tx += udrv_net_tx_burst(txq, pkts, BURST);
		tx_calls++;
		/* Wait (outside the measured functions) until the model delivered. */
		do
			udrv_net_model_stats(dev, &ms);
		while (ms.rx_frames + ms.rx_no_buf < tx);
		while (got < BURST && rx < tx) {
			uint16_t n = udrv_net_rx_burst(rxq, pkts, BURST);

			rx_calls++;
			udrv_pkt_free_bulk(pkts, n);
			got += n;
			rx += n;
		}
	}
	printf("net_burst: tx_packets %llu tx_calls %llu rx_packets %llu rx_calls %llu\n",
	       (unsigned long long)tx, (unsigned long long)tx_calls, (unsigned long long)rx,
	       (unsigned long long)rx_calls);
	udrv_net_close(port);
	udrv_dev_close(dev);
	return tx == (uint64_t)bursts * BURST && rx == tx ? 0 : 1;
}

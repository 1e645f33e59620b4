/* SPDX-License-Identifier: MIT */
/*
 * A network function on udrv: receive a burst, swap the MAC addresses of every
 * frame, send the burst back out of the same port, count what happened. It is
 * the core every forwarding program has (a reflector, the far end of a
 * loopback test), in one file, top to bottom.
 *
 *   cc net_macswap.c $(pkg-config --cflags --libs udrv) -o net_macswap
 *   UDRV_MEM=anon ./net_macswap model --seed 64 -t 2       # the virtio-net model
 *   UDRV_MEM=anon ./net_macswap model:e1000e --seed 64 -t 2  # the 82574L model
 *   ./net_macswap 0000:01:00.0 -t 10                        # a NIC on vfio-pci
 *
 * --seed N first sends N UDP frames of its own (built with the header structs
 * of <udrv/net_hdr.h>), so that something circulates where nobody else sends:
 * a device model loops every frame back, a reflecting peer returns it.
 * The counters are printed at the end (with --json as one JSON object); the
 * exit status is 1 if the port failed (a device that lied or went away).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <udrv/udrv.h>

#define BURST 32

struct counters {
	unsigned long long rx, tx, tx_dropped; /* frames received, sent, not taken by tx */
	unsigned long long ipv4, udp, seeded;  /* of those received; seeded: our own UDP port */
	unsigned long long runts;              /* shorter than an Ethernet header: not swapped */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A 60-byte Ethernet/IPv4/UDP frame from our MAC to a locally administered one,
 * UDP port 9 (discard) to SEED_PORT. The UDP checksum is 0 (none, RFC 768). */
#define SEED_PORT 7777
static void build_seed(struct udrv_pkt *p, const uint8_t mac[UDRV_NET_ETH_ALEN])
{
	static const uint8_t dst[UDRV_NET_ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	const uint16_t len = 60;
	struct udrv_eth_hdr *eth = (struct udrv_eth_hdr *)udrv_pkt_data(p);
	struct udrv_ipv4_hdr *ip = (struct udrv_ipv4_hdr *)(eth + 1);
	struct udrv_udp_hdr *udp = (struct udrv_udp_hdr *)(ip + 1);
	const uint8_t *w = (const uint8_t *)ip;
	uint32_t sum = 0;

	memset(eth, 0, len);
	memcpy(eth->dst, dst, sizeof(dst));
	memcpy(eth->src, mac, UDRV_NET_ETH_ALEN);
	eth->ethertype = udrv_htons(UDRV_ETHERTYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_len = udrv_htons(len - UDRV_ETH_HLEN);
	ip->ttl = 64;
	ip->proto = UDRV_IPPROTO_UDP;
	ip->src = udrv_htonl(0xa9fe0001); /* 169.254.0.1 */
	ip->dst = udrv_htonl(0xa9fe0002);
	for (unsigned i = 0; i < UDRV_IPV4_MIN_HLEN; i += 2) /* RFC 1071 */
		sum += (uint32_t)w[i] << 8 | w[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip->csum = udrv_htons((uint16_t)~sum);
	udp->src_port = udrv_htons(9);
	udp->dst_port = udrv_htons(SEED_PORT);
	udp->len = udrv_htons(len - UDRV_ETH_HLEN - UDRV_IPV4_MIN_HLEN);
	p->data_len = len;
	p->pkt_len = len;
}

/* Send n seed frames (fewer if the pool or the ring has no room). */
static unsigned seed(struct udrv_net_port *port, struct udrv_net_txq *txq, unsigned n)
{
	struct udrv_pool *pool = udrv_net_port_pool(port);
	struct udrv_pkt *pkts[BURST];
	uint8_t mac[UDRV_NET_ETH_ALEN];
	unsigned sent = 0;

	udrv_net_mac_get(port, mac);
	while (sent < n) {
		unsigned k = n - sent < BURST ? n - sent : BURST;
		uint16_t took;

		if (udrv_pkt_alloc_bulk(pool, pkts, k) != k)
			break;
		for (unsigned i = 0; i < k; i++)
			build_seed(pkts[i], mac);
		took = udrv_net_tx_burst(txq, pkts, (uint16_t)k);
		udrv_pkt_free_bulk(pkts + took, k - took);
		sent += took;
		if (took < k)
			break;
	}
	return sent;
}

/* The network function: one burst in, MACs swapped, the same burst out. */
static void macswap_burst(struct udrv_net_rxq *rxq, struct udrv_net_txq *txq,
			  struct counters *c)
{
	struct udrv_pkt *pkts[BURST];
	uint16_t n = udrv_net_rx_burst(rxq, pkts, BURST), took;

	if (!n)
		return;
	for (uint16_t i = 0; i < n; i++) {
		struct udrv_eth_hdr *eth = udrv_pkt_eth(pkts[i]);
		struct udrv_ipv4_hdr *ip = udrv_pkt_ipv4(pkts[i]);
		struct udrv_udp_hdr *udp = udrv_pkt_udp(pkts[i], ip);

		if (!eth) {
			c->runts++;
			continue;
		}
		udrv_eth_swap_macs(eth);
		c->ipv4 += ip != NULL;
		c->udp += udp != NULL;
		c->seeded += udp && udp->dst_port == udrv_htons(SEED_PORT);
	}
	took = udrv_net_tx_burst(txq, pkts, n);
	/* What the ring did not take is still ours: drop it, as a NIC would. */
	udrv_pkt_free_bulk(pkts + took, (unsigned)(n - took));
	c->rx += n;
	c->tx += took;
	c->tx_dropped += n - took;
}

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: net_macswap DEV [-t SECONDS] [--seed N] [--json]\n"
		"  DEV: a NIC bound to vfio-pci (0000:01:00.0), or model, model:e1000e\n"
		"  -t SECONDS  stop after this long (default: Ctrl-C)\n"
		"  --seed N    first send N UDP frames of our own (1-4096)\n"
		"  --json      print the counters as one JSON object\n"
		"example: UDRV_MEM=anon net_macswap model --seed 64 -t 2\n");
	return status;
}

int main(int argc, char **argv)
{
	struct udrv_net_port_opts po = { .size = sizeof(po), .promisc = true };
	struct sigaction sa = { .sa_handler = on_signal };
	struct counters c = { 0 };
	struct udrv_net_port *port;
	struct udrv_net_rxq *rxq;
	struct udrv_net_txq *txq;
	const char *dev = NULL;
	double seconds = 0, end, t0;
	unsigned long nseed = 0, seeded_sent = 0, iter = 0;
	int json = 0, rc, status = 0;

	for (int i = 1; i < argc; i++) {
		char *e = NULL;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout, 0);
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			seconds = strtod(argv[++i], &e);
			if (*e || !(seconds > 0))
				return usage(stderr, 2);
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			nseed = strtoul(argv[++i], &e, 10);
			if (*e || nseed < 1 || nseed > 4096)
				return usage(stderr, 2);
		} else if (argv[i][0] != '-' && !dev) {
			dev = argv[i];
		} else {
			fprintf(stderr, "net_macswap: unexpected argument '%s'\n", argv[i]);
			return usage(stderr, 2);
		}
	}
	if (!dev)
		return usage(stderr, 2);

	rc = udrv_net_open(dev, &po, &port); /* a BDF or a model name */
	if (rc) {
		fprintf(stderr, "net_macswap: cannot open %s: %s (see the message above)\n", dev,
			strerror(-rc));
		return 1;
	}
	rxq = udrv_net_rxq(port, 0);
	txq = udrv_net_txq(port, 0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (nseed)
		seeded_sent = seed(port, txq, (unsigned)nseed);

	t0 = now();
	end = seconds ? t0 + seconds : 0;
	while (!stop) {
		macswap_burst(rxq, txq, &c);
		/* Clock and device status only now and then: not per burst. */
		if ((++iter & 1023) == 0) {
			if (end && now() >= end)
				break;
			if ((iter & 0xfffff) == 0 && udrv_net_status(port)) {
				fprintf(stderr, "net_macswap: the port failed (see the log)\n");
				status = 1;
				break;
			}
		}
	}
	if (udrv_net_status(port))
		status = 1;
	if (json)
		printf("{\"rx\":%llu,\"tx\":%llu,\"tx_dropped\":%llu,\"ipv4\":%llu,\"udp\":%llu,"
		       "\"seeded\":%llu,\"seeds_sent\":%lu,\"runts\":%llu,\"seconds\":%.3f}\n",
		       c.rx, c.tx, c.tx_dropped, c.ipv4, c.udp, c.seeded, seeded_sent, c.runts,
		       now() - t0);
	else
		printf("net_macswap: %llu received (%llu IPv4, %llu UDP, %llu runts), %llu sent, "
		       "%llu dropped (tx ring full); %lu seeds sent\n",
		       c.rx, c.ipv4, c.udp, c.runts, c.tx, c.tx_dropped, seeded_sent);
	udrv_net_close(port);
	return status;
}

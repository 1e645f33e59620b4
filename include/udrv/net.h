/* SPDX-License-Identifier: MIT */
/*
 * udrv network ports: a burst API over per-core rx/tx queues.
 *
 * A port is a NIC function (virtio-net modern PCI 1af4:1041, Intel 82574L
 * 8086:10d3) opened by BDF or by a model name ("model", "model:e1000e"), or
 * opened on a device handle the caller already holds (udrv_net_open_dev).
 * <udrv/net_hdr.h> has Ethernet/IPv4/UDP headers and checked accessors. Its queues are
 * configured once, at open: nb_rxq receive queues and nb_txq transmit queues,
 * normally one pair per core.
 *
 * Packets live in packet buffers (struct udrv_pkt) taken from a udrv pool
 * (<udrv/pool.h>) with per-thread caches. Each pool element is
 *
 *   [struct udrv_pkt, 64 bytes][buf: headroom | data ... ]
 *
 * The data starts at udrv_pkt_data() = buf + data_off. Receive buffers get
 * UDRV_PKT_HEADROOM bytes of headroom; drivers may use the headroom in front
 * of the data for device headers (virtio-net puts its 12-byte header there so
 * a packet is one descriptor), so a transmitted packet should keep data_off >=
 * UDRV_PKT_MIN_HEADROOM (else the driver may have to copy it). A packet may be
 * a chain of buffers (next, nb_segs, pkt_len on the first segment) on transmit;
 * receive buffers are always one segment (sized for the largest frame).
 *
 * udrv_net_rx_burst() returns the packets received (ownership passes to the
 * caller, who frees them or transmits them). udrv_net_tx_burst() takes up to n
 * packets and returns how many it took: those are owned by the driver from
 * then on and freed to their pool once the device has sent them; completions
 * are reclaimed in batches inside tx_burst (and by udrv_net_tx_reclaim()).
 * The packets not taken stay the caller's. Each burst rings the device's
 * doorbell at most once, and only when the device asked to be told.
 *
 * A device that writes nonsense (a completion id out of range or not in
 * flight, a length beyond the buffer, an index that runs ahead) is reported,
 * its queues stop (bursts return 0) and udrv_net_status() returns -EIO; the
 * process is never corrupted. udrv_net_reset() brings the port back.
 *
 * Thread safety: a queue belongs to one thread at a time; its burst calls
 * take no lock and must not be made from two threads at once. Different
 * queues of one port may be used from different threads concurrently.
 * Control calls (MAC, promiscuous mode, link, stats, status) take the port's
 * lock and may be called from any thread, concurrently with bursts; statistics
 * read while bursts run are a recent snapshot. udrv_net_open/close/reset must
 * not race with bursts on the same port. Packets may be freed on any thread.
 */
#ifndef UDRV_NET_H
#define UDRV_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <udrv/dev.h>
#include <udrv/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDRV_NET_ETH_ALEN 6
#define UDRV_PKT_HEADROOM 128    /* headroom of every received buffer */
#define UDRV_PKT_MIN_HEADROOM 16 /* transmitted packets need at least this */
#define UDRV_PKT_DEFAULT_BUF 2048 /* data room after the headroom */

/* udrv_pkt.ol_flags */
#define UDRV_PKT_RX_L4_CSUM_GOOD (1u << 0) /* device verified the L4 checksum */
#define UDRV_PKT_RX_L4_CSUM_NONE (1u << 1) /* device says: checksum not computed (partial) */
#define UDRV_PKT_TX_UDP_CSUM (1u << 8)     /* device computes the UDP checksum */
#define UDRV_PKT_TX_TCP_CSUM (1u << 9)     /* device computes the TCP checksum */
/* For TX_*_CSUM: l2_len/l3_len must be set and the L4 checksum field must hold
 * the IPv4/IPv6 pseudo-header checksum (not inverted), as the devices require. */

/* A packet buffer (one segment). 64 bytes, followed by the buffer itself. */
struct udrv_pkt {
	uint64_t buf_iova;        /* IOVA of buf[0]; fixed for the buffer's life */
	struct udrv_pool *pool;   /* pool it returns to; fixed */
	struct udrv_pkt *next;    /* next segment of a chain, or NULL */
	uint32_t pkt_len;         /* bytes in the whole chain (first segment) */
	uint16_t data_off;        /* data starts at buf + data_off */
	uint16_t data_len;        /* bytes of data in this segment */
	uint16_t buf_len;         /* bytes of buf; fixed */
	uint16_t nb_segs;         /* segments in the chain (first segment) */
	uint32_t ol_flags;        /* UDRV_PKT_RX_* / UDRV_PKT_TX_* */
	uint16_t l2_len;          /* for checksum offload */
	uint16_t l3_len;
	uint16_t rxq;             /* queue it was received on */
	uint16_t rsvd0;
	uint64_t udata;           /* free for the application */
	uint64_t rsvd1;
};
#ifdef __cplusplus
static_assert(sizeof(struct udrv_pkt) == 64, "struct udrv_pkt is one cache line");
#else
_Static_assert(sizeof(struct udrv_pkt) == 64, "struct udrv_pkt is one cache line");
#endif

/* udrv_pkt_buf - the start of the packet's buffer (right after the struct).
 * Context: whichever thread owns the packet. */
static inline uint8_t *udrv_pkt_buf(struct udrv_pkt *p)
{
	return (uint8_t *)(p + 1);
}

/* udrv_pkt_data - the first data byte of this segment (buf + data_off).
 * Context: whichever thread owns the packet. */
static inline void *udrv_pkt_data(struct udrv_pkt *p)
{
	return udrv_pkt_buf(p) + p->data_off;
}

/* udrv_pkt_data_iova - the device-visible address of udrv_pkt_data().
 * Context: whichever thread owns the packet. */
static inline uint64_t udrv_pkt_data_iova(const struct udrv_pkt *p)
{
	return p->buf_iova + p->data_off;
}

/* udrv_pkt_tailroom - bytes free after the data of this segment.
 * Context: whichever thread owns the packet. */
static inline unsigned udrv_pkt_tailroom(const struct udrv_pkt *p)
{
	return (unsigned)p->buf_len - p->data_off - p->data_len;
}

/* udrv_pkt_reset - make @p an empty one-segment packet with the standard
 * headroom (next NULL, lengths 0, ol_flags 0; buf_iova, pool, buf_len,
 * l2_len, l3_len, rxq and udata kept). It does not free a chained segment.
 * Context: whichever thread owns the packet. */
static inline void udrv_pkt_reset(struct udrv_pkt *p)
{
	p->next = NULL;
	p->pkt_len = 0;
	p->data_off = UDRV_PKT_HEADROOM;
	p->data_len = 0;
	p->nb_segs = 1;
	p->ol_flags = 0;
}

/* --- packet pools --- */
struct udrv_net_pool_opts {
	size_t size;         /* sizeof(struct udrv_net_pool_opts) */
	const char *name;    /* for log messages */
	uint32_t count;      /* buffers, > 0 */
	uint16_t data_room;  /* bytes after the headroom; 0: UDRV_PKT_DEFAULT_BUF */
	uint32_t cache_size; /* per-thread cache; 0: pool default */
};

/* udrv_net_pool_create - a udrv pool whose elements are initialised packet
 * buffers (struct udrv_pkt, UDRV_PKT_HEADROOM, then data_room bytes).
 * @opts: required; @out: receives the pool
 * Returns 0; -EINVAL (NULL, opts->size unset, count 0, data_room above
 * 65535 - UDRV_PKT_HEADROOM: logged); -EFAULT (an element without an IOVA);
 * the errors of udrv_pool_create.
 * Context: any thread. Ownership: the caller's; destroy it with
 * udrv_pool_destroy once every port using it is closed and every packet is
 * back. */
int udrv_net_pool_create(const struct udrv_net_pool_opts *opts, struct udrv_pool **out);

/* udrv_pkt_alloc - one empty packet (udrv_pkt_reset) from @pool (a packet
 * pool), or NULL when none is left (see udrv_pool_get). Context: any thread,
 * lock free. Ownership: the caller's until freed or taken by tx_burst. */
static inline struct udrv_pkt *udrv_pkt_alloc(struct udrv_pool *pool)
{
	struct udrv_pkt *p = (struct udrv_pkt *)udrv_pool_get(pool);

	if (p)
		udrv_pkt_reset(p);
	return p;
}

/* udrv_pkt_alloc_bulk - exactly @n empty packets into @pkts, or none:
 * returns @n or 0. Context and Ownership as udrv_pkt_alloc. */
static inline unsigned udrv_pkt_alloc_bulk(struct udrv_pool *pool, struct udrv_pkt **pkts,
					   unsigned n)
{
	if (udrv_pool_get_bulk(pool, (void **)pkts, n) != n)
		return 0;
	for (unsigned i = 0; i < n; i++)
		udrv_pkt_reset(pkts[i]);
	return n;
}

/* udrv_pkt_free - return @p and every segment chained to it to their
 * pools; NULL is ignored. Context: any thread, lock free. */
static inline void udrv_pkt_free(struct udrv_pkt *p)
{
	while (p) {
		struct udrv_pkt *next = p->next;

		udrv_pool_put(p->pool, p);
		p = next;
	}
}

/* udrv_pkt_free_bulk - free @n packets (and their chains), in bulk per
 * pool; entries may be NULL. Context: any thread, lock free. */
void udrv_pkt_free_bulk(struct udrv_pkt *const *pkts, unsigned n);

/* --- ports --- */
struct udrv_net_port;
struct udrv_net_rxq;
struct udrv_net_txq;

/* udrv_net_port_opts.offloads and udrv_net_info.offload_capa */
#define UDRV_NET_OFF_RX_CSUM (1u << 0) /* L4 checksums verified on receive */
#define UDRV_NET_OFF_TX_CSUM (1u << 1) /* UDP/TCP checksums computed on transmit */

struct udrv_net_port_opts {
	size_t size;           /* sizeof(struct udrv_net_port_opts) */
	uint16_t nb_rxq;       /* receive queues; 0 means 1 */
	uint16_t nb_txq;       /* transmit queues; 0 means 1 */
	uint16_t rx_ring_size; /* descriptors per rx queue; 0: 256 (clamped to the device) */
	uint16_t tx_ring_size; /* descriptors per tx queue; 0: 256 (clamped to the device) */
	struct udrv_pool *pool; /* rx buffers (from udrv_net_pool_create); NULL: the port
				   creates one, see udrv_net_port_pool() */
	uint32_t pool_count;   /* buffers of that pool; 0: enough for the rings + 8192 */
	uint32_t offloads;     /* UDRV_NET_OFF_* wanted (ignored where not offered) */
	bool promisc;          /* start in promiscuous mode */
};

/* udrv_net_open - open the NIC at @bdf (bound to vfio-pci), or a device model
 * by name: "model" or "model:virtio" (the virtio-net model of
 * <udrv/net_model.h>; options after a comma: queues=1-8 pairs offered,
 * qsize=8-4096), "model:e1000e" (the 82574L model of <udrv/e1000e_model.h>);
 * udrv_net_close then closes the model too.
 * Configures the queues and fills the rx rings (@opts: NULL or zero fields:
 * the defaults above; @out receives the port).
 * Returns 0, or an error logged with the fix: -EINVAL (@out NULL, a bad model
 * name, a bad option, more queues than the driver drives, a caller's pool
 * with buffers too small); the errors of udrv_dev_open; -EBUSY (the device is
 * already driven, udrv_dev_claim); -ENOTSUP (not a supported NIC); -EPROTO
 * (the device presents invalid capabilities or refuses required features);
 * -ETIMEDOUT (the device did not come out of reset); -EIO (the device failed
 * during bring-up, no valid MAC address); -ENODEV (it reads all ones);
 * -ENOMEM. Initialises the runtime with defaults if needed.
 * Context: any thread. Ownership: the caller's until udrv_net_close. */
int udrv_net_open(const char *bdf, const struct udrv_net_port_opts *opts,
		  struct udrv_net_port **out);
/* udrv_net_open_dev - as udrv_net_open, on a device the caller opened (e.g.
 * a model); the port claims @dev (a second port on it: -EBUSY).
 * Returns as udrv_net_open. Context: any thread. Ownership: @dev stays the
 * caller's: udrv_net_close does not close it, and it must outlive the port. */
int udrv_net_open_dev(struct udrv_dev *dev, const struct udrv_net_port_opts *opts,
		      struct udrv_net_port **out);
/* udrv_net_close - stop the device, free every buffer the port holds (rings,
 * packets in flight), give up the claim, and close the device if the port
 * opened it. NULL is ignored. Packets the caller holds stay valid if the pool
 * is the caller's. The port's own pool (udrv_net_port_pool) is destroyed when
 * every buffer is back, else leaked with a warning: return its buffers first.
 * Context: any thread, after every burst on the port has stopped; every
 * queue handle becomes invalid. */
void udrv_net_close(struct udrv_net_port *port);

struct udrv_net_info {
	const char *driver;     /* "virtio-net", "e1000e" */
	const char *name;       /* device name (BDF or model name) */
	uint16_t nb_rxq, nb_txq;   /* configured */
	uint16_t max_rxq, max_txq; /* the device's maximum */
	uint16_t rx_ring_size, tx_ring_size;
	uint32_t offload_capa;  /* UDRV_NET_OFF_* the device offers */
	uint32_t offloads;      /* UDRV_NET_OFF_* enabled */
	uint16_t mtu;
	uint16_t max_frame;     /* largest frame (no FCS) the rx buffers hold */
};
/* udrv_net_info - the port's configuration and the device's limits into
 * @info (driver and name point into the port: valid until close).
 * Context: any thread. */
void udrv_net_info(const struct udrv_net_port *port, struct udrv_net_info *info);
/* udrv_net_port_pool - the pool rx buffers come from (the caller's, or the
 * port's own: valid until udrv_net_close; allocate tx packets from it too).
 * Context: any thread. */
struct udrv_pool *udrv_net_port_pool(const struct udrv_net_port *port);
/* udrv_net_port_dev - the port's device handle: its events
 * (udrv_dev_events, udrv_dev_event_fd) say when the kernel wants it back.
 * Owned by the port if it opened it (do not close it then).
 * Context: any thread. */
struct udrv_dev *udrv_net_port_dev(const struct udrv_net_port *port);

/* udrv_net_rxq / udrv_net_txq - the handle of receive / transmit queue @qid
 * (< nb_rxq / nb_txq); NULL otherwise or for a NULL @port. Valid until
 * udrv_net_close. Context: any thread. */
struct udrv_net_rxq *udrv_net_rxq(struct udrv_net_port *port, uint16_t qid);
struct udrv_net_txq *udrv_net_txq(struct udrv_net_port *port, uint16_t qid);

/* udrv_net_rx_burst / udrv_net_tx_burst - the hot path. rx: up to @n
 * received packets into @pkts, returns how many (their ownership passes to
 * the caller). tx: offers the @n packets of @pkts,
 * returns how many were taken: the first k of @pkts (the driver owns those
 * and frees them once sent; a malformed one is taken, freed and counted in
 * errors); the rest stay the caller's. Both return 0 once the
 * queue stopped (udrv_net_status says why).
 * Context: the queue's owner thread (one at a time); no lock, no system
 * call. */
uint16_t udrv_net_rx_burst(struct udrv_net_rxq *q, struct udrv_pkt **pkts, uint16_t n);
uint16_t udrv_net_tx_burst(struct udrv_net_txq *q, struct udrv_pkt **pkts, uint16_t n);
/* udrv_net_tx_reclaim - free the buffers of transmitted packets now
 * (tx_burst does it in batches); returns how many were freed.
 * Context: as udrv_net_tx_burst. */
unsigned udrv_net_tx_reclaim(struct udrv_net_txq *q);

/* --- control --- */
/* udrv_net_mac_get - the port's MAC address into @mac. Returns 0.
 * Context: any thread (the port's lock). */
int udrv_net_mac_get(struct udrv_net_port *port, uint8_t mac[UDRV_NET_ETH_ALEN]);
/* udrv_net_mac_set - set the port's unicast MAC address (receive filter).
 * Returns 0; -EINVAL (a multicast address, logged); -ENOTSUP (the device
 * cannot change its address); -EIO (the device refused, logged).
 * Context: any thread (the port's lock), also while bursts run. */
int udrv_net_mac_set(struct udrv_net_port *port, const uint8_t mac[UDRV_NET_ETH_ALEN]);
/* udrv_net_promisc_set - promiscuous mode on or off.
 * Returns 0; -ENOTSUP (the device has no receive filter control); -EIO (the
 * device refused, logged). Context: as udrv_net_mac_set. */
int udrv_net_promisc_set(struct udrv_net_port *port, bool on);

struct udrv_net_link {
	bool up;
	bool full_duplex;
	uint32_t speed_mbps; /* 0 when unknown */
};
/* udrv_net_link_get - the link state as the device reports it into @link.
 * Returns 0; -ENODEV (the device is gone). Context: any thread (the port's
 * lock). */
int udrv_net_link_get(struct udrv_net_port *port, struct udrv_net_link *link);

struct udrv_net_qstats {
	uint64_t packets; /* received / sent */
	uint64_t bytes;
	uint64_t drops;   /* rx: no buffer to refill with; tx: not taken for lack of room */
	uint64_t errors;  /* malformed packets refused, device errors */
};
struct udrv_net_stats {
	struct udrv_net_qstats rx, tx; /* sums over the queues */
	uint64_t hw_rx_missed;  /* frames the device dropped (no descriptor), when it counts them */
	uint64_t hw_rx_errors;  /* frames the device reported bad (CRC, length) */
	uint64_t hw_rx_packets, hw_tx_packets; /* device's own counters, 0 if it has none */
};
/* udrv_net_stats_get - the port's counters into @st: the queues' sums
 * (atomic reads) and the device's counters (under the port's lock).
 * Returns 0. Context: any thread, also while bursts run (a recent snapshot). */
int udrv_net_stats_get(struct udrv_net_port *port, struct udrv_net_stats *st);
/* udrv_net_rxq_stats / udrv_net_txq_stats - one queue's counters into @st.
 * Returns 0; -EINVAL (@qid out of range). Context: any thread. */
int udrv_net_rxq_stats(struct udrv_net_port *port, uint16_t qid, struct udrv_net_qstats *st);
int udrv_net_txq_stats(struct udrv_net_port *port, uint16_t qid, struct udrv_net_qstats *st);
/* udrv_net_stats_reset - zero every counter (the device's read-to-clear ones
 * too). Not atomic with respect to running bursts: a burst meanwhile may be
 * counted or not. Context: any thread, between runs. */
void udrv_net_stats_reset(struct udrv_net_port *port);

/* udrv_net_status - 0 while the port works; -EIO once the device misbehaved
 * or asked for a reset (its queues are stopped; see udrv_net_reset); -ENODEV
 * if it is being removed or reads all ones. Reads device status: control
 * path, not per burst. Context: any thread (the port's lock). */
int udrv_net_status(struct udrv_net_port *port);
/* udrv_net_reset - reset and re-initialise the device and its queues after
 * -EIO, freeing the buffers in flight (queue handles stay valid).
 * Returns 0; the errors of bring-up (see udrv_net_open), logged.
 * Context: any thread; no burst may run on the port meanwhile. */
int udrv_net_reset(struct udrv_net_port *port);

/* udrv_net_mac_parse - parse "52:54:00:12:34:56" (hex, either case) into
 * @mac. Returns 0; -EINVAL (malformed; not logged). Context: any thread. */
int udrv_net_mac_parse(const char *s, uint8_t mac[UDRV_NET_ETH_ALEN]);

#ifdef __cplusplus
}
#endif
#endif

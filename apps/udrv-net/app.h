/* SPDX-License-Identifier: MIT */
/* udrv-net: what the modes share. */
#ifndef UDRV_NET_APP_H
#define UDRV_NET_APP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <udrv/net.h>

#define BURST 32
#define MAX_PORTS 2

struct app_port {
	const char *name;          /* as given with -d */
	struct udrv_net_port *port;
	struct udrv_net_rxq *rxq;
	struct udrv_net_txq *txq;
	struct udrv_pool *pool;
	const volatile uint32_t *events; /* the port's device events */
	uint8_t mac[6];
};

struct app_opts {
	const char *mode;
	const char *dev[MAX_PORTS];
	unsigned ndev;
	uint64_t count;     /* pktgen: frames to send; 0: until -t or Ctrl-C */
	double seconds;     /* 0: until Ctrl-C (or --count) */
	unsigned size;      /* frame size with FCS */
	uint8_t dst_mac[6];
	bool dst_mac_set;
	uint64_t rate;      /* frames per second, 0: as fast as possible */
	bool json;
	uint32_t ip;        /* echo: our address, network order */
	uint32_t src_ip, dst_ip;
	bool promisc;
	bool seq;           /* pktgen: number the frames */
};

extern volatile sig_atomic_t app_stop;

int app_open_port(struct app_port *ap, const char *name, bool promisc);
/* The same with rx buffers from pool (the caller's; NULL: the port's own). */
int app_open_port_pool(struct app_port *ap, const char *name, bool promisc, struct udrv_pool *pool);
void app_close_port(struct app_port *ap);
/* Once a second: a device that failed is reset once per failure; a device
 * that is gone (or cannot be reset) ends the run. Returns false to stop. */
bool app_check_port(struct app_port *ap);
double app_now(void);

/* true once the kernel asked for the port's device back (hot-unplug) or the
 * runtime released it: one atomic load, for the run loops. */
static inline bool app_port_removed(const struct app_port *ap)
{
	return __atomic_load_n(ap->events, __ATOMIC_ACQUIRE) &
	       (UDRV_DEV_EV_REMOVE | UDRV_DEV_EV_RELEASED);
}
/* Close a port that was removed, at once (the kernel is waiting for it) and
 * say so, naming it. */
void app_port_removed_close(struct app_port *ap, const char *mode);

/* Once a second: print a live line to stderr (pps of the last second). */
struct live {
	double t0, last;
	uint64_t last_count;
	const char *what;
};
void live_init(struct live *l, const char *what);
void live_tick(struct live *l, uint64_t count, unsigned size);
/* true when live_tick is about to print (a second has passed). */
bool live_due(const struct live *l);

int mode_pktgen(const struct app_opts *o);
int mode_rx(const struct app_opts *o);
int mode_fwd(const struct app_opts *o);
int mode_echo(const struct app_opts *o);

#endif

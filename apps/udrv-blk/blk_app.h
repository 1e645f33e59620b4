/* SPDX-License-Identifier: MIT */
/* udrv-blk: shared declarations of the serve, recover, list and remove commands. */
#ifndef UDRV_BLK_APP_H
#define UDRV_BLK_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <udrv/udrv.h>

#define APP "udrv-blk"
/* Kept by the kernel with each device we make (udrv_blk_opts.cookie): "udrvblk1". */
#define APP_COOKIE 0x316b6c6276726475ull
#define MAX_NS 16
#define MAX_CPUS 256

/* What serve and recover share: one controller, its devices, their threads. */
struct srv {
	const char *bdf;
	uint32_t nsids[MAX_NS];
	int32_t recover_ids[MAX_NS]; /* recover: the ublk device of each nsid */
	unsigned nns;
	unsigned queues, depth, nap_us;
	int cpus[MAX_CPUS];
	unsigned ncpus;
	unsigned status_every;       /* -v: seconds between status lines; 0: on SIGUSR1 only */
	bool recover;
};

/* Open the controller, make (or recover) the devices, serve until SIGINT or
 * SIGTERM, then drain, flush and remove them. Returns the exit status. */
int srv_run(struct srv *s);

/* State files in $UDRV_BLK_RUN_DIR (default /run/udrv-blk), one per device,
 * so list and recover know which controller and namespace it serves. */
int state_write(uint32_t dev_id, const char *bdf, uint32_t nsid, int pid);
int state_read(uint32_t dev_id, char *bdf, size_t len, uint32_t *nsid, int *pid);
void state_remove(uint32_t dev_id);
/* Device numbers that have a state file; returns how many. */
unsigned state_list(uint32_t *ids, unsigned max);

/* "0,2-3" -> {0, 2, 3}. Prints the error; -1 if malformed. */
int parse_cpus(const char *s, int *cpus, unsigned max, unsigned *n);
int parse_uint(const char *what, const char *s, unsigned long max, unsigned long *out);

int cmd_serve(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_remove(int argc, char **argv);

#endif

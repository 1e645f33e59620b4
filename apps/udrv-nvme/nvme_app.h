/* SPDX-License-Identifier: MIT */
/* udrv-nvme: shared declarations of the identify, perf and verify commands. */
#ifndef UDRV_NVME_APP_H
#define UDRV_NVME_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <udrv/udrv.h>
#include <udrv/nvme.h>
#include <udrv/nvme_model.h>

#include "devspec.h"
#include "json.h"
#include "opt.h"

struct app {
	struct udrv_dev *dev;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_ns_info ns; /* the namespace chosen with -n */
};

/* Open -d SPEC (a BDF, or model[:opts]) and bring the controller up;
 * nsid 0 picks the first active namespace. Prints the error; returns 0, or
 * the exit code: APP_EXIT_USAGE (a malformed model spec, a namespace that is
 * not there) or APP_EXIT_FAIL. */
int app_open(struct app *a, const char *spec, uint32_t nsid, bool need_ns);
void app_close(struct app *a);
/* true once the kernel asked for the device back (hot-unplug) or the runtime
 * released it: one atomic load. */
static inline bool app_removed(const struct app *a)
{
	return __atomic_load_n(udrv_dev_events(a->dev), __ATOMIC_ACQUIRE) &
	       (UDRV_DEV_EV_REMOVE | UDRV_DEV_EV_RELEASED);
}

/* -n NSID: 1..0xfffffffe (0xffffffff is the broadcast id, not a namespace). */
int app_parse_nsid(const char *s, uint64_t *nsid);

int cmd_identify(int argc, char **argv);
int cmd_perf(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The udrv side of the fio engine, free of fio's headers: a fio filename
 * names an NVMe namespace (BDF[/NSID], model[:opts][/NSID]); the controllers
 * behind them are shared by every job (thread) of the fio process and closed
 * when the last job lets go.
 *
 * Thread safety: every function here may be called from any fio job thread.
 */
#ifndef UDRV_FIO_TARGET_H
#define UDRV_FIO_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include <udrv/nvme.h>

struct fu_ctrl;

/* One fio file: a namespace of a shared controller. */
struct fu_target {
	struct fu_ctrl *c;
	struct udrv_nvme_ctrl *ctrl;
	uint32_t nsid;
	uint32_t lba_size;       /* a power of two (NVMe LBADS) */
	uint32_t lba_shift;      /* log2(lba_size) */
	uint64_t capacity;       /* bytes */
	uint32_t max_xfer;       /* bytes in one command (the driver's MDTS cap) */
	int dsm;                 /* Dataset Management (trim) supported */
};

/* Parse a fio filename into a device spec and an nsid (0: the first active
 * namespace). "0000.01.00.0" is accepted for "0000:01:00.0" so job files
 * need not escape colons. Returns 0, or -EINVAL with the reason in err. */
int fu_parse_filename(const char *name, char *spec, size_t speclen, uint32_t *nsid,
		      char *err, size_t errlen);

/* Open (or take another reference on) the controller named by filename and
 * look the namespace up. On failure returns -errno and puts a message that
 * says what is wrong and how to fix it in err. */
int fu_target_get(const char *filename, struct fu_target *t, char *err, size_t errlen);
/* Drop the reference; the last one shuts the controller down and closes it. */
void fu_target_put(struct fu_target *t);

#endif

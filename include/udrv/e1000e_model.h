/* SPDX-License-Identifier: MIT */
/*
 * An Intel 82574L device model (8086:10d3) for unit tests, on the in-process
 * backend of <udrv/model.h>: what the e1000e driver uses of the device
 * (82574 datasheet 10.2 registers, 7.1 receive, 7.2 transmit).
 *
 * BAR0 (128 KiB) holds the registers. CTRL.RST resets the model and clears
 * itself; the reset loads RAL0/RAH0 from the model's EEPROM (or not, with
 * mac_in_eeprom_only, so the driver must read it through EERD) and sets
 * EECD.AUTO_RD. STATUS reports link up at 1000 Mb/s full duplex, and
 * GIO_MASTER_EN until CTRL.GIO_MASTER_DISABLE. The rings (RDBAL..RDT,
 * TDBAL..TDT) are latched when RCTL.EN / TCTL.EN go on; legacy receive and
 * transmit descriptors are read and written only through udrv_model_dma() (by
 * IOVA). Every frame sent is looped back to the receive ring through the
 * receive filter (RAL0/RAH0, RCTL.UPE/MPE/BAM); TCTL.PSP pads short frames;
 * RCTL.SECRC strips the FCS; frames longer than 1522 bytes with the FCS are
 * refused without RCTL.LPE (counted in RLEC). GPRC, GPTC, MPC, RLEC and
 * CRCERRS count and clear when read (the driver reads them with an atomic
 * exchange on a model, as its BAR is plain memory). No interrupt causes are
 * raised: the driver polls.
 *
 * The model acts only when its thread polls (see <udrv/model.h>); it samples
 * RDT and TDT at every poll and counts the changes it sees.
 *
 * Thread safety: udrv_e1000e_model_* may be called from any thread.
 */
#ifndef UDRV_E1000E_MODEL_H
#define UDRV_E1000E_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <udrv/dev.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Device lies, for tests. Ring faults take effect at the model's next poll
 * while that ring is enabled; inject them while no burst runs on the port. */
enum udrv_e1000e_model_fault {
	UDRV_E1000E_MODEL_FAULT_NONE = 0,
	UDRV_E1000E_MODEL_FAULT_RX_DD_NOT_POSTED, /* DD|EOP in the rx descriptor at RDT */
	UDRV_E1000E_MODEL_FAULT_TX_DD_NOT_POSTED, /* DD in the tx descriptor at TDT */
	UDRV_E1000E_MODEL_FAULT_RX_HEAD_BEYOND,   /* RDH past the ring; receive stops */
	UDRV_E1000E_MODEL_FAULT_TX_HEAD_BEYOND,   /* TDH past the ring; transmit stops */
	UDRV_E1000E_MODEL_FAULT_RX_LEN_TOO_BIG,   /* next rx completion: length > buffer */
};

struct udrv_e1000e_model_opts {
	size_t size;              /* sizeof(struct udrv_e1000e_model_opts) */
	const char *name;         /* device name (log prefix); NULL: "e1000e-model" */
	uint8_t mac[6];           /* EEPROM words 0-2; all zero: 52:54:00:12:34:57 */
	bool link_down;           /* start with the link down */
	bool mac_in_eeprom_only;  /* reset leaves RAH0.AV clear: read the EEPROM */
};

/* udrv_e1000e_model_open - create an 82574L model and open it as a device
 * (drive it with udrv_net_open_dev).
 * @opts: NULL or zero fields: the defaults above
 * @out:  receives the handle
 * Returns 0; -EINVAL (@out NULL, opts->size too small); -ENOMEM; the errors
 * of udrv_dev_open_model. Initialises the runtime with defaults if needed.
 * Context: any thread. Ownership: the caller's until udrv_dev_close(), which
 * frees the model. */
int udrv_e1000e_model_open(const struct udrv_e1000e_model_opts *opts, struct udrv_dev **out);

/* udrv_e1000e_model_inject - arm fault @f (replaces a pending one); it takes
 * effect as the enum above says, at the model's next poll.
 * Returns 0; -EINVAL (@dev not an 82574L model, unknown @f).
 * Context: any thread (an atomic store the model thread reads), while no
 * burst runs on the port for the ring faults. */
int udrv_e1000e_model_inject(struct udrv_dev *dev, enum udrv_e1000e_model_fault f);
/* udrv_e1000e_model_set_link - STATUS.LU; while the link is down
 * transmitted frames are lost.
 * Returns 0 once the model has polled twice since (it reports the link);
 * -ETIMEDOUT (5 s without those polls); -EINVAL (@dev not an 82574L model).
 * Context: any thread but the model's own (it waits for the model thread). */
int udrv_e1000e_model_set_link(struct udrv_dev *dev, bool up);
/* udrv_e1000e_model_set_gone - @gone: every register reads all ones
 * (surprise removal) and the model does no DMA; back (false): power-on
 * state, as after CTRL.RST.
 * Returns and Context as udrv_e1000e_model_set_link (returns once done). */
int udrv_e1000e_model_set_gone(struct udrv_dev *dev, bool gone);
/* udrv_e1000e_model_sync - wait until the model thread completed two polls
 * after the call: whatever was written to its registers before has been
 * acted on.
 * Returns 0; -ETIMEDOUT (5 s); -EINVAL (@dev not an 82574L model).
 * Context: any thread but the model's own (yields while it waits). */
int udrv_e1000e_model_sync(struct udrv_dev *dev);

struct udrv_e1000e_model_stats {
	uint64_t tx_frames;       /* frames taken from the tx ring (good ones) */
	uint64_t rx_frames;       /* frames written into rx descriptors */
	uint64_t rx_no_desc;      /* lost: no rx descriptor posted (MPC) */
	uint64_t rx_filtered;     /* refused by the address filter, or receive off */
	uint64_t rx_too_long;     /* refused: longer than 1522 bytes without LPE (RLEC) */
	uint64_t link_drops;      /* sent while the link was down */
	uint64_t bad_desc;        /* tx descriptors the model refused (extended, too long, no IFCS) */
	uint64_t bad_ring;        /* rings enabled with a bad base, length or head */
	uint64_t faults_applied;  /* injected faults that took effect */
	uint64_t rdt_writes;      /* changes of RDT seen (one per rx burst that refills) */
	uint64_t tdt_writes;      /* changes of TDT seen (one per tx burst) */
	uint32_t rctl;            /* RCTL as the driver last wrote it */
	uint8_t mac[6];           /* RAL0/RAH0 as the driver last wrote them */
	bool mac_valid;           /* RAH0.AV */
};
/* udrv_e1000e_model_stats - the model's counters into @st (each read
 * atomically; the set is a snapshot while the model runs).
 * Returns 0; -EINVAL (@dev not an 82574L model, @st NULL).
 * Context: any thread. */
int udrv_e1000e_model_stats(struct udrv_dev *dev, struct udrv_e1000e_model_stats *st);

#ifdef __cplusplus
}
#endif
#endif

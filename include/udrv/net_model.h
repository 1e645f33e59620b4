/* SPDX-License-Identifier: MIT */
/*
 * A virtio-net device model (virtio 1.x modern PCI, 1af4:1041) for unit tests
 * and benchmarks, on the in-process backend of <udrv/model.h>.
 *
 * BAR0 (4 KiB) holds the common config (0x000), the ISR (0x100), the device
 * config (0x200) and the notify registers (0x300, one 16-bit register per
 * queue, multiplier 4), announced by vendor capabilities in config space.
 * The model reads rings only through udrv_model_dma() (by IOVA), loops every
 * frame sent on tx queue N back to rx queue N, and can be told to corrupt the
 * next used-ring entry it writes or to lay out broken capabilities, so tests
 * can check that the driver notices.
 *
 * The model's thread increments a counter at BAR0 + UDRV_NET_MODEL_SYNC_OFF
 * after every poll; the driver waits on it after control-register writes
 * (a real device acts on an MMIO write at once; the model only when it polls).
 *
 * Thread safety: udrv_net_model_* may be called from any thread.
 */
#ifndef UDRV_NET_MODEL_H
#define UDRV_NET_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <udrv/dev.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDRV_NET_MODEL_SYNC_OFF 0xff0

/* Broken capability layouts for the driver's parser to reject. */
enum udrv_net_model_cap_fault {
	UDRV_NET_MODEL_CAP_OK = 0,
	UDRV_NET_MODEL_CAP_COMMON_BEYOND_BAR,   /* common cfg offset past the end of BAR0 */
	UDRV_NET_MODEL_CAP_NOTIFY_LEN_WRAPS,    /* offset + length overflows 32 bits */
	UDRV_NET_MODEL_CAP_DEVICE_BAD_BAR,      /* device cfg in a BAR that does not exist */
	UDRV_NET_MODEL_CAP_LIST_LOOP,           /* capability list points back at itself */
	UDRV_NET_MODEL_CAP_LEN_BEYOND_CONFIG,   /* a capability runs past config space */
	UDRV_NET_MODEL_CAP_NOTIFY_OFF_BEYOND,   /* queue_notify_off * mult past the notify area */
};

/* Corruptions of the next used-ring entry on one virtqueue. */
enum udrv_net_model_fault {
	UDRV_NET_MODEL_FAULT_NONE = 0,
	UDRV_NET_MODEL_FAULT_ID_RANGE,       /* id >= queue size */
	UDRV_NET_MODEL_FAULT_ID_NOT_INFLIGHT,/* the same id completed twice */
	UDRV_NET_MODEL_FAULT_LEN_TOO_BIG,    /* len beyond the buffer */
	UDRV_NET_MODEL_FAULT_IDX_JUMP,       /* used idx runs ahead by more than the ring */
};

struct udrv_net_model_opts {
	size_t size;          /* sizeof(struct udrv_net_model_opts) */
	const char *name;     /* device name (log prefix); NULL: "vnet-model" */
	uint8_t mac[6];       /* all zero: 52:54:00:12:34:56 */
	uint16_t max_pairs;   /* queue pairs offered, 1..8; 0 means 1 (no MQ) */
	uint16_t queue_size;  /* largest queue, power of two 8..4096; 0: 256 */
	uint64_t features_off; /* feature bits NOT to offer (e.g. 1ull << 29: no EVENT_IDX) */
	bool link_down;
	enum udrv_net_model_cap_fault cap_fault;
	bool out_of_order;    /* complete each batch in reverse order (allowed by 2.7.14) */
};

/* udrv_net_model_open - create a virtio-net model and open it as a device
 * (drive it with udrv_net_open_dev).
 * @opts: NULL or zero fields: the defaults above
 * @out:  receives the handle
 * Returns 0; -EINVAL (@out NULL, opts->size too small, max_pairs or
 * queue_size out of range: logged); -ENOMEM; the errors of
 * udrv_dev_open_model. Initialises the runtime with defaults if needed.
 * Context: any thread. Ownership: the caller's until udrv_dev_close(), which
 * frees the model. */
int udrv_net_model_open(const struct udrv_net_model_opts *opts, struct udrv_dev **out);

/* udrv_net_model_inject - corrupt the next used entry the model writes on
 * virtqueue @vq (rx queue N is vq 2N, tx queue N is vq 2N+1) with @f.
 * Returns 0; -EINVAL (@dev not a virtio-net model, @vq beyond its queues).
 * Context: any thread (an atomic store the model thread reads). */
int udrv_net_model_inject(struct udrv_dev *dev, uint16_t vq, enum udrv_net_model_fault f);
/* udrv_net_model_set_link - the link status the device reports
 * (VIRTIO_NET_S_LINK_UP), with a config generation change.
 * Returns 0; -EINVAL (@dev not a virtio-net model). Context: any thread. */
int udrv_net_model_set_link(struct udrv_dev *dev, bool up);
/* udrv_net_model_needs_reset - at its next poll the model sets
 * DEVICE_NEEDS_RESET in device_status and stops processing until reset.
 * Returns 0; -EINVAL (@dev not a virtio-net model). Context: any thread. */
int udrv_net_model_needs_reset(struct udrv_dev *dev);

struct udrv_net_model_stats {
	uint64_t tx_frames;   /* frames the driver sent */
	uint64_t rx_frames;   /* frames delivered into rx buffers */
	uint64_t rx_no_buf;   /* frames dropped: no rx buffer posted */
	uint64_t kicks;       /* notifications seen (coalesced while the model is busy) */
	uint64_t bad_desc;    /* malformed descriptor chains from the driver */
	bool promisc;         /* last VIRTIO_NET_CTRL_RX_PROMISC value */
	uint16_t pairs;       /* last VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET value */
	uint8_t mac[6];       /* current address (CTRL_MAC_ADDR_SET) */
};
/* udrv_net_model_stats - copy the model's counters into @st (consistent:
 * under the model's lock).
 * Returns 0; -EINVAL (@dev not a virtio-net model). Context: any thread. */
int udrv_net_model_stats(struct udrv_dev *dev, struct udrv_net_model_stats *st);

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: MIT */
/*
 * Fuzzing hooks of the device-model backend (tests/fuzz). Not public API.
 *
 * A model passes every value it is about to make visible to its driver
 * (completion entries, used-ring entries, descriptor write-backs, admin data,
 * register values) through udrvi_model_tamper(), so a fuzzer can rewrite any
 * byte of it, or drop or repeat an entry. Without a hook installed it is a
 * load and a branch. A fuzzer can also stop the model thread and poll the
 * model itself (manual mode), so that one input always gives one execution.
 *
 * Thread safety: set the hook and switch modes only while the driver waits
 * for nothing from the device (between operations); the hook runs on whatever
 * thread polls the model.
 */
#ifndef UDRV_MODEL_HOOK_H
#define UDRV_MODEL_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include <udrv/dev.h>

/* What the model is about to write. */
enum udrvi_model_data {
	UDRVI_MODEL_NVME_CQE,      /* NVMe completion entry, 16 bytes, phase tag included */
	UDRVI_MODEL_NVME_IDENTIFY, /* Identify data (controller, namespace, lists), 4096 bytes */
	UDRVI_MODEL_NVME_LOG,      /* Get Log Page data */
	UDRVI_MODEL_VIRTIO_USED,   /* virtio used element {id, len}, 8 bytes */
	UDRVI_MODEL_VIRTIO_USED_IDX, /* virtio used->idx, 2 bytes */
	UDRVI_MODEL_VIRTIO_CONFIG, /* virtio-net device config (after a device reset) */
	UDRVI_MODEL_VIRTIO_QUEUE,  /* virtio queue window: queue_size, queue_notify_off (4 bytes) */
	UDRVI_MODEL_E1000E_RX_DESC,  /* 82574 rx descriptor write-back, 16 bytes */
	UDRVI_MODEL_E1000E_TX_DESC,  /* 82574 tx descriptor write-back, 16 bytes */
	UDRVI_MODEL_E1000E_REGS,   /* the registers the device writes, after each poll */
};

enum udrvi_tamper_action {
	UDRVI_TAMPER_KEEP,   /* write it (as the hook left it) */
	UDRVI_TAMPER_DROP,   /* do not write it (a lost entry) */
	UDRVI_TAMPER_REPEAT, /* write it twice (a duplicated entry); where it makes sense */
};

typedef enum udrvi_tamper_action (*udrvi_model_tamper_fn)(void *arg, enum udrvi_model_data what,
							   void *buf, size_t len);

/* Install (fn != NULL) or remove the hook of model device dev. */
void udrvi_model_set_tamper(struct udrv_dev *dev, udrvi_model_tamper_fn fn, void *arg);
/* Called by models. */
enum udrvi_tamper_action udrvi_model_tamper(struct udrv_dev *dev, enum udrvi_model_data what,
					    void *buf, size_t len);

/* Manual mode on: the model thread stops polling (waits for a poll in
 * flight) and only udrvi_model_poll() polls the model. Off: the thread
 * polls again. */
void udrvi_model_set_manual(struct udrv_dev *dev, bool manual);
/* One poll on the caller's thread (manual mode). Returns whether it did work;
 * false also when another thread is polling the model at that moment. */
bool udrvi_model_poll(struct udrv_dev *dev);

/* Inline mode (for instruction counting, e.g. under callgrind, where the
 * model thread would run only when valgrind switches threads and a polling
 * driver would count thousands of empty polls per I/O): manual mode, and a
 * driver whose I/O completion queue is empty polls the model once on its own
 * thread before it reports nothing (udrvi_model_poll), so every command
 * queued before a poll completes in that poll. Set at open, before any
 * queue exists; drivers read it once per queue (udrvi_model_inline). */
void udrvi_model_set_inline(struct udrv_dev *dev, bool on);
bool udrvi_model_inline(const struct udrv_dev *dev);

/* A driver waiting for its device calls this where it would nap or yield:
 * for a model in manual mode it polls the model on this thread and returns
 * true (no need to nap: the model moves only when polled); false for every
 * other device. Cheap: a flag test. */
bool udrvi_model_waiting(struct udrv_dev *dev);

#endif

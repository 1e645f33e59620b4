/* SPDX-License-Identifier: MIT */
/*
 * The device-model backend: BARs are plain memory, config space is an array,
 * and the model's poll() runs on a thread of its own, as a device runs beside
 * the CPU. The model reaches DMA memory by IOVA only, through the runtime's
 * chunk table, so a driver that hands it a virtual address faults.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "internal.h"
#include "model_hook.h"
#include <udrv/model.h>

#define CFG_SIZE 4096
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MASTER 0x4
#define IDLE_SPINS 256

struct mdev {
	struct udrv_dev dev;
	const struct udrv_model_ops *ops;
	void *ctx;
	uint8_t *bar[UDRV_MODEL_MAX_BARS];
	size_t bar_size[UDRV_MODEL_MAX_BARS]; /* copied: ops may die in fini */
	uint8_t cfg[CFG_SIZE];
	pthread_t thread;
	bool thread_started;
	int stop;              /* atomic */
	int paused;            /* atomic: reset in progress */
	int in_poll;           /* atomic */
	int manual;            /* atomic: polled by udrvi_model_poll only */
	int inline_io;         /* atomic: manual, and drivers poll it when their queues run empty */
	int polling;           /* atomic: a thread is in udrvi_model_poll */
	uint64_t dma_faults;   /* atomic */
	udrvi_model_tamper_fn tamper; /* model_hook.h */
	void *tamper_arg;
};

#define to_mdev(d) ((struct mdev *)((char *)(d) - offsetof(struct mdev, dev)))

static void *model_thread(void *arg)
{
	struct mdev *md = arg;
	unsigned idle = 0;

	while (!__atomic_load_n(&md->stop, __ATOMIC_ACQUIRE)) {
		bool busy = false;

		__atomic_store_n(&md->in_poll, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&md->paused, __ATOMIC_SEQ_CST) &&
		    !__atomic_load_n(&md->manual, __ATOMIC_SEQ_CST))
			busy = md->ops->poll(md->ctx, &md->dev);
		__atomic_store_n(&md->in_poll, 0, __ATOMIC_RELEASE);
		if (busy) {
			idle = 0;
		} else if (__atomic_load_n(&md->manual, __ATOMIC_RELAXED)) {
			struct timespec nap = { 0, 1000000 }; /* someone else polls */

			nanosleep(&nap, NULL);
		} else if (++idle >= IDLE_SPINS) {
			idle = 0;
			sched_yield();
		}
	}
	return NULL;
}

static int model_cfg_rw(struct udrv_dev *dev, uint32_t off, void *buf, size_t len, bool write)
{
	struct mdev *md = to_mdev(dev);

	if (off > CFG_SIZE || len > CFG_SIZE - off)
		return -ERANGE;
	if (!write) {
		memcpy(buf, md->cfg + off, len);
		return 0;
	}
	/* Read-only identity fields (ids, class) are not writable. */
	for (size_t i = 0; i < len; i++) {
		uint32_t o = off + (uint32_t)i;

		if (o < 0x04 || (o >= 0x08 && o < 0x0c))
			continue;
		__atomic_store_n(&md->cfg[o], ((uint8_t *)buf)[i], __ATOMIC_RELEASE);
	}
	return 0;
}

static int model_bar_rw(struct udrv_dev *dev, unsigned bar, uint64_t off, void *buf, size_t len, bool write)
{
	struct mdev *md = to_mdev(dev);
	size_t size = md->bar_size[bar];

	if (!md->bar[bar] || off > size || len > size - off)
		return -ERANGE;
	if (write)
		memcpy(md->bar[bar] + off, buf, len);
	else
		memcpy(buf, md->bar[bar] + off, len);
	return 0;
}

/* Stop polling, wait for a poll in flight, reset, resume. */
static int model_reset(struct udrv_dev *dev)
{
	struct mdev *md = to_mdev(dev);

	__atomic_store_n(&md->paused, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&md->in_poll, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&md->polling, __ATOMIC_SEQ_CST))
		sched_yield();
	if (md->ops->reset)
		md->ops->reset(md->ctx, dev);
	md->cfg[PCI_COMMAND] &= (uint8_t)~PCI_COMMAND_MASTER;
	__atomic_store_n(&md->paused, 0, __ATOMIC_SEQ_CST);
	return 0;
}

static int model_region_info(struct udrv_dev *dev, unsigned index, struct udrv_region *info)
{
	struct mdev *md = to_mdev(dev);

	memset(info, 0, sizeof(*info));
	if (index == 7) {
		info->size = CFG_SIZE;
		info->readable = info->writable = true;
		return 0;
	}
	if (index >= UDRV_MODEL_MAX_BARS)
		return -EINVAL;
	info->size = md->bar_size[index];
	info->readable = info->writable = info->mmappable = info->size != 0;
	return 0;
}

static int model_map_bar(struct udrv_dev *dev, unsigned bar, void **addr, size_t *len)
{
	struct mdev *md = to_mdev(dev);

	if (!md->bar[bar]) {
		udrvi_err(dev->name, "BAR%u is not implemented by this model", bar);
		return -ENOENT;
	}
	*addr = md->bar[bar];
	*len = md->bar_size[bar];
	return 0;
}

static void model_free(struct mdev *md)
{
	for (unsigned b = 0; b < UDRV_MODEL_MAX_BARS; b++)
		if (md->bar[b])
			munmap(md->bar[b], md->bar_size[b]);
	free(md);
}

static void model_close(struct udrv_dev *dev)
{
	struct mdev *md = to_mdev(dev);

	if (md->thread_started) {
		__atomic_store_n(&md->stop, 1, __ATOMIC_RELEASE);
		pthread_join(md->thread, NULL);
	}
	if (md->ops->fini)
		md->ops->fini(md->ctx, dev);
	model_free(md);
}

static const struct udrvi_dev_ops model_ops = {
	.cfg_rw = model_cfg_rw,
	.bar_rw = model_bar_rw,
	.reset = model_reset,
	.region_info = model_region_info,
	.map_bar = model_map_bar,
	.close = model_close,
};

int udrv_dev_open_model(const struct udrv_model_ops *ops, void *ctx, const char *name, struct udrv_dev **out)
{
	struct mdev *md;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ops || ops->size < offsetof(struct udrv_model_ops, fini) + sizeof(ops->fini) || !ops->poll) {
		udrvi_err(name, "udrv_dev_open_model: ops must set size = sizeof(struct udrv_model_ops) and poll");
		return -EINVAL;
	}
	ret = udrvi_ensure_init();
	if (ret)
		return ret;
	md = calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	md->ops = ops;
	md->ctx = ctx;
	md->dev.ops = &model_ops;
	md->dev.is_model = true;
	snprintf(md->dev.name, sizeof(md->dev.name), "%s", name && *name ? name : "model");
	for (unsigned b = 0; b < UDRV_MODEL_MAX_BARS; b++) {
		size_t sz = ops->bar_size[b];

		if (!sz)
			continue;
		if (sz % 4096) {
			udrvi_err(md->dev.name, "model BAR%u size %zu is not a multiple of 4096", b, sz);
			ret = -EINVAL;
			goto fail;
		}
		md->bar_size[b] = sz;
		md->bar[b] = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (md->bar[b] == MAP_FAILED) {
			md->bar[b] = NULL;
			ret = -ENOMEM;
			goto fail;
		}
	}
	memcpy(md->cfg + 0x00, &ops->vendor, 2);
	memcpy(md->cfg + 0x02, &ops->device, 2);
	md->cfg[0x09] = (uint8_t)ops->class_code;
	md->cfg[0x0a] = (uint8_t)(ops->class_code >> 8);
	md->cfg[0x0b] = (uint8_t)(ops->class_code >> 16);
	if (ops->init && (ret = ops->init(ctx, &md->dev)))
		goto fail;
	if (pthread_create(&md->thread, NULL, model_thread, md)) {
		ret = -EAGAIN; /* fini is not called: the caller still owns ctx */
		goto fail;
	}
	md->thread_started = true;
	udrvi_dev_register(&md->dev);
	*out = &md->dev;
	return 0;
fail:
	model_free(md);
	return ret;
}

void *udrv_model_ctx(struct udrv_dev *dev, const struct udrv_model_ops *ops)
{
	if (!dev || !ops || dev->ops != &model_ops || to_mdev(dev)->ops != ops)
		return NULL;
	return to_mdev(dev)->ctx;
}

void *udrv_model_bar(struct udrv_dev *dev, unsigned bar)
{
	return bar < UDRV_MODEL_MAX_BARS ? to_mdev(dev)->bar[bar] : NULL;
}

uint8_t *udrv_model_config(struct udrv_dev *dev)
{
	return to_mdev(dev)->cfg;
}

bool udrv_model_bus_master(const struct udrv_dev *dev)
{
	const struct mdev *md = (const struct mdev *)((const char *)dev - offsetof(struct mdev, dev));

	return __atomic_load_n(&md->cfg[PCI_COMMAND], __ATOMIC_ACQUIRE) & PCI_COMMAND_MASTER;
}

void *udrv_model_dma(struct udrv_dev *dev, uint64_t iova, size_t len)
{
	struct mdev *md = to_mdev(dev);
	void *va = udrv_model_bus_master(dev) ? udrvi_mem_iova_to_va(iova, len) : NULL;

	if (!va) {
		/* Log the first few: a faulting driver would flood the log. */
		if (__atomic_fetch_add(&md->dma_faults, 1, __ATOMIC_RELAXED) < 4)
			udrvi_err(dev->name, "DMA fault: %s IOVA 0x%llx length %zu (the IOMMU would block this)",
				  udrv_model_bus_master(dev) ? "unmapped" : "bus mastering off,",
				  (unsigned long long)iova, len);
	}
	return va;
}

uint64_t udrv_model_dma_faults(const struct udrv_dev *dev)
{
	const struct mdev *md = (const struct mdev *)((const char *)dev - offsetof(struct mdev, dev));

	return __atomic_load_n(&md->dma_faults, __ATOMIC_RELAXED);
}

void udrvi_model_set_tamper(struct udrv_dev *dev, udrvi_model_tamper_fn fn, void *arg)
{
	struct mdev *md = to_mdev(dev);

	md->tamper_arg = arg;
	__atomic_store_n(&md->tamper, fn, __ATOMIC_SEQ_CST);
}

enum udrvi_tamper_action udrvi_model_tamper(struct udrv_dev *dev, enum udrvi_model_data what,
					    void *buf, size_t len)
{
	struct mdev *md = to_mdev(dev);
	udrvi_model_tamper_fn fn = __atomic_load_n(&md->tamper, __ATOMIC_ACQUIRE);

	return fn ? fn(md->tamper_arg, what, buf, len) : UDRVI_TAMPER_KEEP;
}

void udrvi_model_set_manual(struct udrv_dev *dev, bool manual)
{
	struct mdev *md = to_mdev(dev);

	__atomic_store_n(&md->manual, manual, __ATOMIC_SEQ_CST);
	/* The thread may be inside a poll it began before it saw the flag. */
	while (manual && __atomic_load_n(&md->in_poll, __ATOMIC_SEQ_CST))
		sched_yield();
}

bool udrvi_model_waiting(struct udrv_dev *dev)
{
	if (!dev || !dev->is_model || !__atomic_load_n(&to_mdev(dev)->manual, __ATOMIC_RELAXED))
		return false;
	udrvi_model_poll(dev);
	return true;
}

/* Threads of an inline model poll it at any time (one queue pair each), so
 * a poll excludes the others; one that finds the model busy returns false
 * and polls again later, as a driver waiting for a device does anyway. */
bool udrvi_model_poll(struct udrv_dev *dev)
{
	struct mdev *md = to_mdev(dev);
	bool busy;

	if (__atomic_exchange_n(&md->polling, 1, __ATOMIC_SEQ_CST))
		return false;
	busy = !__atomic_load_n(&md->paused, __ATOMIC_SEQ_CST) && md->ops->poll(md->ctx, dev);
	__atomic_store_n(&md->polling, 0, __ATOMIC_RELEASE);
	return busy;
}

void udrvi_model_set_inline(struct udrv_dev *dev, bool on)
{
	udrvi_model_set_manual(dev, on);
	__atomic_store_n(&to_mdev(dev)->inline_io, on, __ATOMIC_SEQ_CST);
}

bool udrvi_model_inline(const struct udrv_dev *dev)
{
	return dev && dev->is_model &&
	       __atomic_load_n(&((const struct mdev *)((const char *)dev -
						       offsetof(struct mdev, dev)))->inline_io,
			       __ATOMIC_RELAXED);
}

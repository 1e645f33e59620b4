/* SPDX-License-Identifier: MIT */
/*
 * The core of an NVMe block daemon on udrv: two worker threads, each with
 * its own queue pair, write a pattern asynchronously (completion callbacks,
 * retrying when the queue is full), flush, write and read one request as an
 * iovec, then read everything back and check it.
 *
 *   cc nvme_block_daemon.c $(pkg-config --cflags --libs udrv) -pthread -o nvme_block_daemon
 *   UDRV_MEM=anon ./nvme_block_daemon               # the built-in NVMe model
 *   ./nvme_block_daemon 0000:01:00.0                # a controller bound to vfio-pci:
 *                                                   # OVERWRITES its first 2 MiB + 16 KiB
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <udrv/udrv.h>
#include <udrv/nvme_model.h>

#define WORKERS 2
#define SLOTS 16          /* requests a worker keeps in flight */
#define QUEUE_SIZE 8      /* smaller than SLOTS: submissions meet -EAGAIN */
#define IO_BYTES 4096
#define IOS 256           /* per worker: 1 MiB each */

struct worker;

struct slot {               /* one request in flight */
	struct worker *w;
	uint8_t *buf;       /* IO_BYTES of DMA memory */
	uint64_t lba;
	bool busy, reading;
};

struct worker {
	int id;
	pthread_t tid;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_ns_info ns;
	struct udrv_nvme_qpair *qp;
	struct slot slots[SLOTS];
	uint8_t *mem;
	unsigned inflight, retries, errors, mismatches;
	int failed;         /* -errno once the device is gone */
};

static uint8_t pattern(uint64_t lba, size_t i)
{
	return (uint8_t)(lba * 131 + i * 7 + 1);
}

/* Completion callback: runs inside udrv_nvme_qpair_poll() on the worker's thread. */
static void io_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct slot *s = arg;
	char st[96];

	s->busy = false;
	s->w->inflight--;
	if (!UDRV_NVME_STATUS_OK(cpl->status)) {
		fprintf(stderr, "worker %d: LBA %llu: %s\n", s->w->id, (unsigned long long)s->lba,
			udrv_nvme_status_str(cpl->status, st, sizeof(st)));
		s->w->errors++;
		return;
	}
	if (s->reading)
		for (size_t i = 0; i < IO_BYTES; i++)
			if (s->buf[i] != pattern(s->lba, i)) {
				s->w->mismatches++;
				break;
			}
}

/* Reap completions; false once the device has failed (its requests are then
 * all completed, as aborted). */
static bool poll_once(struct worker *w)
{
	int rc = udrv_nvme_qpair_poll(w->qp, 0);

	if (rc < 0)
		w->failed = rc;
	return rc >= 0;
}

static bool wait_idle(struct worker *w)
{
	while (w->inflight)
		if (!poll_once(w))
			return false;
	return true;
}

/* Queue one read or write; when the queue is full (-EAGAIN), reap and retry. */
static int submit(struct worker *w, struct slot *s, bool reading)
{
	uint32_t nlb = IO_BYTES / w->ns.lba_size;
	int rc;

	s->reading = reading;
	for (bool waited = false;; waited = true) {
		rc = reading ? udrv_nvme_read(w->qp, w->ns.nsid, s->buf, s->lba, nlb, 0, io_done, s)
			     : udrv_nvme_write(w->qp, w->ns.nsid, s->buf, s->lba, nlb, 0, io_done, s);
		if (rc != -EAGAIN)
			break;
		w->retries += !waited;              /* requests that had to wait */
		if (!poll_once(w))
			return w->failed;
	}
	if (rc == 0) {
		s->busy = true;
		w->inflight++;
	}
	return rc;
}

/* One pass over the worker's region: IOS requests, SLOTS in flight. */
static int pass(struct worker *w, bool reading)
{
	uint64_t first = (uint64_t)w->id * IOS * (IO_BYTES / w->ns.lba_size);

	for (unsigned n = 0; n < IOS; n++) {
		struct slot *s = &w->slots[n % SLOTS];

		while (s->busy)                     /* its previous request is still out */
			if (!poll_once(w))
				return w->failed;
		s->lba = first + (uint64_t)n * (IO_BYTES / w->ns.lba_size);
		for (size_t i = 0; i < IO_BYTES; i++)    /* reads must not find old data */
			s->buf[i] = reading ? 0 : pattern(s->lba, i);
		int rc = submit(w, s, reading);
		if (rc < 0) {
			fprintf(stderr, "worker %d: submit: %s\n", w->id, udrv_last_error());
			return rc;
		}
	}
	return wait_idle(w) ? 0 : w->failed;
}

/* NVMe Flush: the writes completed so far reach non-volatile media. */
static int flush(struct worker *w)
{
	struct slot s = { .w = w };
	int rc = udrv_nvme_flush(w->qp, w->ns.nsid, io_done, &s);

	if (rc < 0)
		return rc;
	w->inflight++;
	return wait_idle(w) ? 0 : w->failed;
}

/* One request from two buffers (each a whole page: PRP-friendly without SGL),
 * written after the worker's region and read back into two others. */
static int vectored(struct worker *w)
{
	uint64_t lba = (uint64_t)(WORKERS * IOS + w->id * 2) * (IO_BYTES / w->ns.lba_size);
	uint32_t nlb = 2 * IO_BYTES / w->ns.lba_size;
	struct iovec out[2] = { { w->slots[0].buf, IO_BYTES }, { w->slots[1].buf, IO_BYTES } };
	struct iovec in[2] = { { w->slots[2].buf, IO_BYTES }, { w->slots[3].buf, IO_BYTES } };
	struct slot s = { .w = w, .lba = lba };
	int rc;

	for (size_t i = 0; i < 2 * IO_BYTES; i++)
		((uint8_t *)out[i / IO_BYTES].iov_base)[i % IO_BYTES] = pattern(lba, i);
	for (int step = 0; step < 2; step++) {
		rc = step == 0 ? udrv_nvme_writev(w->qp, w->ns.nsid, out, 2, lba, nlb, 0, io_done, &s)
			       : udrv_nvme_readv(w->qp, w->ns.nsid, in, 2, lba, nlb, 0, io_done, &s);
		if (rc < 0)
			return rc;
		w->inflight++;
		if (!wait_idle(w))
			return w->failed;
	}
	if (memcmp(in[0].iov_base, out[0].iov_base, IO_BYTES) ||
	    memcmp(in[1].iov_base, out[1].iov_base, IO_BYTES))
		w->mismatches++;
	return 0;
}

static void *worker_main(void *arg)
{
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .queue_size = QUEUE_SIZE };
	struct worker *w = arg;
	int rc;

	/* Each thread creates, uses and destroys its own queue pair. */
	rc = udrv_nvme_qpair_create(w->ctrl, &qo, &w->qp);
	if (rc == 0) {
		rc = pass(w, false);
		if (rc == 0)
			rc = flush(w);
		if (rc == 0)
			rc = vectored(w);
		if (rc == 0)
			rc = pass(w, true);
		udrv_nvme_qpair_destroy(w->qp);
	}
	if (rc < 0) {
		fprintf(stderr, "worker %d: %s (%s)\n", w->id, strerror(-rc), udrv_last_error());
		w->errors++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *spec = argc > 1 ? argv[1] : "model";
	struct worker w[WORKERS];
	struct udrv_nvme_ctrl *ctrl = NULL;
	struct udrv_nvme_ns_info ns;
	struct udrv_dev *dev;
	unsigned bad = 0;
	int rc;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [model | BDF bound to vfio-pci]\n", argv[0]);
		return 2;
	}
	rc = udrv_nvme_model_open_spec(spec, &dev, NULL);   /* 1: a model, 0: not one */
	if (rc == 0)
		rc = udrv_dev_open(spec, &dev);
	if (rc < 0) {
		fprintf(stderr, "cannot open %s: %s\n", spec, udrv_last_error());
		return 1;
	}
	rc = udrv_nvme_ctrl_open(dev, NULL, &ctrl);
	if (rc == 0)
		rc = udrv_nvme_ns_info(ctrl, 0, &ns);
	if (rc == 0 && (ns.lba_size > IO_BYTES ||
			ns.blocks * ns.lba_size < (uint64_t)WORKERS * (IOS + 2) * IO_BYTES))
		rc = -ENOSPC;
	if (rc < 0) {
		fprintf(stderr, "%s: %s (%s)\n", spec, strerror(-rc), udrv_last_error());
		goto close;
	}
	memset(w, 0, sizeof(w));
	for (int i = 0; i < WORKERS && rc == 0; i++) {
		w[i].id = i;
		w[i].ctrl = ctrl;
		w[i].ns = ns;
		rc = udrv_dma_alloc(SLOTS * IO_BYTES, 4096, (void **)&w[i].mem, NULL);
		for (int k = 0; k < SLOTS && rc == 0; k++)
			w[i].slots[k] = (struct slot){ .w = &w[i], .buf = w[i].mem + k * IO_BYTES };
	}
	for (int i = 0; i < WORKERS && rc == 0; i++)
		pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
	for (int i = 0; i < WORKERS && rc == 0; i++) {
		pthread_join(w[i].tid, NULL);
		printf("worker %d: %u KiB written, flushed, read back: %u errors, %u mismatches, "
		       "%u waited for a full queue\n", i, IOS * IO_BYTES / 1024 + 8, w[i].errors,
		       w[i].mismatches, w[i].retries);
		bad += w[i].errors + w[i].mismatches;
	}
	for (int i = 0; i < WORKERS; i++)
		udrv_dma_free(w[i].mem);
close:
	if (ctrl)
		udrv_nvme_ctrl_close(ctrl);
	udrv_dev_close(dev);
	udrv_fini();
	return rc < 0 || bad ? 1 : 0;
}

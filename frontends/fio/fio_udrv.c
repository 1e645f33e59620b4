/* SPDX-License-Identifier: MIT */
/*
 * fio ioengine "udrv": fio jobs drive an NVMe controller through udrv's polled
 * driver, one queue pair per job and file. Loaded with
 *
 *   fio --thread --ioengine=external:/usr/lib/x86_64-linux-gnu/udrv/fio-udrv.so \
 *       --filename=0000.01.00.0 --rw=randread --bs=4k --iodepth=32 ...
 *
 * The engine is asynchronous in fio's sense: queue() places a command in the
 * submission queue without touching the device, commit() rings the SQ tail
 * doorbell once for the whole batch and stamps the batch's issue time with one
 * clock read (as fio's io_uring and libaio engines do), getevents() busy-polls
 * the completion queues (no sleep, no system call) and event() hands the
 * completed io_us back. fio's I/O buffers are allocated in udrv DMA memory
 * (iomem_alloc), so data moves between the device and fio's buffers without a
 * copy. See docs/fio.md.
 *
 * Per I/O the engine does no allocation, lock, system call or division: each
 * io_u has its context from io_u_init, a job's single file (the usual case) is
 * reached without a loop, and completions are collected by the driver's
 * callback into an array that event() indexes.
 *
 * Built against the headers of the fio that loads it (scripts/fetch-fio-src.sh):
 * fio refuses an engine whose FIO_IOOPS_VERSION differs.
 */
#include <limits.h>

#include "fio.h"
#include "optgroup.h"
#include "options.h"

#include <udrv/udrv.h>

#include "fio_udrv_target.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

struct fu_options {
	void *pad; /* fio stores the thread_data pointer here */
	unsigned int fua;
};

/* One fio file of one job: the namespace and the job's queue pair on it. */
struct fu_file {
	struct fu_target t;
	struct udrv_nvme_qpair *qp;
};

/* One job (thread). */
struct fu_thread {
	struct fu_file **files;   /* by fio file number */
	unsigned nfiles;
	struct fu_file *only;     /* files[0] when it is the job's only file */
	uint32_t write_flags;     /* UDRV_NVME_IO_FUA with fua=1 */
	struct io_u **events;     /* completed, not yet handed to fio */
	unsigned nevents, returned, cap;
	struct io_u **queued;     /* queued since the last commit (issue time) */
	unsigned nqueued;
};

/* One io_u's engine data. */
struct fu_io {
	struct io_u *io_u;
	struct fu_thread *th;
	uint16_t status;           /* NVMe status of a failed completion; 0: refused */
};

static struct fio_option fu_option_list[] = {
	{
		.name = "fua",
		.lname = "udrv: Force Unit Access",
		.type = FIO_OPT_BOOL,
		.off1 = offsetof(struct fu_options, fua),
		.def = "0",
		.help = "Set Force Unit Access on writes (data is on media when the write completes)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_INVALID,
	},
	{ .name = NULL },
};

/* Report through fio: the job's error (printed by fio with the job) and the log. */
static int fu_fail(struct thread_data *td, int err, const char *func, const char *msg)
{
	log_err("fio-udrv: %s\n", msg);
	td_vmsg(td, err, msg, func);
	return 1;
}

static int fu_need_thread(struct thread_data *td)
{
	if (td->o.use_thread)
		return 0;
	return fu_fail(td, EINVAL, "udrv engine",
		       "the udrv engine needs --thread (thread=1 in a job file): the fio process "
		       "owns the device through VFIO and its jobs must be threads of it, each with "
		       "its own queue pair");
}

static struct fu_thread *fu_thread_get(struct thread_data *td)
{
	struct fu_thread *th = td->io_ops_data;

	if (!th) {
		th = calloc(1, sizeof(*th));
		td->io_ops_data = th;
	}
	return th;
}

/* fio's block sizes and alignment against the namespace and the transfer limit. */
static int fu_check_sizes(struct thread_data *td, const struct fu_target *t, const char *name)
{
	static const enum fio_ddir dirs[] = { DDIR_READ, DDIR_WRITE, DDIR_TRIM };
	static const char *const names[] = { "read", "write", "trim" };
	char msg[512];
	unsigned i;

	for (i = 0; i < 3; i++) {
		unsigned long long lo = td->o.min_bs[dirs[i]], hi = td->o.max_bs[dirs[i]];

		if (!hi)
			continue;
		if (lo % t->lba_size || hi % t->lba_size || td->o.bs_unaligned) {
			snprintf(msg, sizeof(msg), "%s: %s block size %llu%s is not a multiple of the "
				 "namespace's LBA size %u: use bs=%u or a multiple of it%s", name,
				 names[i], lo == hi ? hi : lo, lo == hi ? "" : " (or its range)",
				 t->lba_size, t->lba_size,
				 td->o.bs_unaligned ? ", without bs_unaligned" : "");
			return fu_fail(td, EINVAL, "udrv setup", msg);
		}
		if (dirs[i] != DDIR_TRIM && hi > t->max_xfer) {
			snprintf(msg, sizeof(msg), "%s: %s block size %llu exceeds the controller's "
				 "transfer limit of %u bytes (MDTS): use bs=%u or less", name, names[i],
				 hi, t->max_xfer, t->max_xfer);
			return fu_fail(td, EINVAL, "udrv setup", msg);
		}
		if (td->o.ba[dirs[i]] % t->lba_size) {
			snprintf(msg, sizeof(msg), "%s: blockalign=%llu is not a multiple of the LBA size "
				 "%u", name, td->o.ba[dirs[i]], t->lba_size);
			return fu_fail(td, EINVAL, "udrv setup", msg);
		}
	}
	if (td->o.start_offset % t->lba_size) {
		snprintf(msg, sizeof(msg), "%s: offset=%llu is not a multiple of the LBA size %u", name,
			 (unsigned long long)td->o.start_offset, t->lba_size);
		return fu_fail(td, EINVAL, "udrv setup", msg);
	}
	return 0;
}

/* Open the controllers and size the files. fio calls this before the job's
 * thread starts (create_serialize, the default) or from it. */
static int fu_setup(struct thread_data *td)
{
	struct fu_thread *th;
	struct fio_file *f;
	unsigned int i;
	char err[512];
	int rc;

	if (fu_need_thread(td))
		return 1;
	th = fu_thread_get(td);
	if (!th)
		return fu_fail(td, ENOMEM, "udrv setup", "out of memory");
	if (th->files)
		return 0;
	th->files = calloc(td->o.nr_files ? td->o.nr_files : 1, sizeof(*th->files));
	if (!th->files)
		return fu_fail(td, ENOMEM, "udrv setup", "out of memory");
	th->nfiles = td->o.nr_files;
	for_each_file(td, f, i) {
		struct fu_file *ff = calloc(1, sizeof(*ff));

		if (!ff || i >= th->nfiles) {
			free(ff);
			return fu_fail(td, ENOMEM, "udrv setup", "out of memory");
		}
		th->files[i] = ff;
		rc = fu_target_get(f->file_name, &ff->t, err, sizeof(err));
		if (rc < 0)
			return fu_fail(td, -rc, "udrv setup", err);
		if (fu_check_sizes(td, &ff->t, f->file_name))
			return 1;
		f->filetype = FIO_TYPE_BLOCK;
		f->real_file_size = ff->t.capacity;
		fio_file_set_size_known(f);
		FILE_SET_ENG_DATA(f, ff);
	}
	th->only = th->nfiles == 1 ? th->files[0] : NULL;
	return 0;
}

static int fu_init(struct thread_data *td)
{
	struct fu_thread *th;

	if (fu_need_thread(td))
		return 1;
	/* fio itself refuses mem/iomem next to an engine's allocator, but then
	 * runs the job without buffers: refuse before that. */
	if (fio_option_is_set(&td->o, mem_type))
		return fu_fail(td, EINVAL, "udrv init",
			       "--iomem/--mem cannot be used with the udrv engine: it allocates "
			       "fio's I/O buffers in udrv DMA memory (hugepages), where the device "
			       "can reach them; drop the option");
	th = fu_thread_get(td);
	if (!th)
		return fu_fail(td, ENOMEM, "udrv init", "out of memory");
	/* At most iodepth io_us exist, so neither array can overflow. */
	th->cap = td->o.iodepth + 1;
	th->events = calloc(th->cap, sizeof(*th->events));
	th->queued = calloc(th->cap, sizeof(*th->queued));
	if (!th->events || !th->queued)
		return fu_fail(td, ENOMEM, "udrv init", "out of memory");
	th->write_flags = td->eo && ((struct fu_options *)td->eo)->fua ? UDRV_NVME_IO_FUA : 0;
	return 0;
}

static void fu_cleanup(struct thread_data *td)
{
	struct fu_thread *th = td->io_ops_data;
	unsigned i;

	if (!th)
		return;
	for (i = 0; i < th->nfiles; i++) {
		struct fu_file *ff = th->files[i];

		if (!ff)
			continue;
		if (ff->qp)
			udrv_nvme_qpair_destroy(ff->qp);
		fu_target_put(&ff->t);
		free(ff);
	}
	free(th->files);
	free(th->events);
	free(th->queued);
	free(th);
	td->io_ops_data = NULL;
}

/* The job's queue pair on this file, created on the job's own thread. */
static int fu_open_file(struct thread_data *td, struct fio_file *f)
{
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo) };
	struct fu_file *ff = FILE_ENG_DATA(f);
	char msg[512];
	int rc;

	if (!ff)
		return fu_fail(td, EINVAL, "udrv open", "file was not set up by the udrv engine");
	if (ff->qp)
		return 0;
	/* One entry stays empty (full/empty rule); the driver rounds up to 2^n. */
	qo.queue_size = td->o.iodepth + 1 < 2 ? 2 : td->o.iodepth + 1;
	rc = udrv_nvme_qpair_create(ff->t.ctrl, &qo, &ff->qp);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%s: cannot create an I/O queue pair: %s%s", f->file_name,
			 *udrv_last_error() ? udrv_last_error() : strerror(-rc),
			 rc == -EBUSY ? " (every queue the controller granted is taken: fewer jobs)" : "");
		return fu_fail(td, -rc, "udrv open", msg);
	}
	return 0;
}

static int fu_close_file(struct thread_data *td, struct fio_file *f)
{
	return 0;
}

static int fu_iomem_alloc(struct thread_data *td, size_t total)
{
	void *va;
	int rc;

	rc = udrv_dma_alloc(total, 4096, &va, NULL);
	if (rc < 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "cannot allocate %zu bytes of I/O buffers in udrv DMA "
			 "memory: %s", total, *udrv_last_error() ? udrv_last_error() : strerror(-rc));
		return fu_fail(td, -rc, "udrv iomem", msg);
	}
	td->orig_buffer = va;
	return 0;
}

static void fu_iomem_free(struct thread_data *td)
{
	udrv_dma_free(td->orig_buffer);
}

static int fu_io_u_init(struct thread_data *td, struct io_u *io_u)
{
	struct fu_io *io = calloc(1, sizeof(*io));

	if (!io)
		return 1;
	io->io_u = io_u;
	io->th = td->io_ops_data; /* fio runs init (fu_init) before io_u_init */
	io_u->engine_data = io;
	return io->th ? 0 : 1;
}

static void fu_io_u_free(struct thread_data *td, struct io_u *io_u)
{
	free(io_u->engine_data);
	io_u->engine_data = NULL;
}

/* fio cleared io_u->error and resid before queue(): only a failure sets them. */
static void fu_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct fu_io *io = arg;
	struct io_u *io_u = io->io_u;
	struct fu_thread *th = io->th;

	if (unlikely(!UDRV_NVME_STATUS_OK(cpl->status))) {
		io->status = cpl->status;
		io_u->error = cpl->status == UDRV_NVME_STATUS_ABORTED ? ECANCELED : EIO;
		io_u->resid = io_u->xfer_buflen;
	}
	/* At most iodepth io_us exist: the array cannot overflow. */
	if (likely(th->nevents < th->cap))
		th->events[th->nevents++] = io_u;
}

static char *fu_errdetails(struct io_u *io_u)
{
	struct fu_io *io = io_u->engine_data;
	char st[96], *s = NULL;

	if (!io || !io->status)
		return strdup("udrv: the request was refused before it reached the device");
	udrv_nvme_status_str(io->status, st, sizeof(st));
	if (asprintf(&s, "udrv: NVMe completion status %s", st) < 0)
		return NULL;
	return s;
}

static enum fio_q_status fu_refuse(struct thread_data *td, struct io_u *io_u, int err)
{
	((struct fu_io *)io_u->engine_data)->status = 0;
	io_u->error = err;
	return FIO_Q_COMPLETED;
}

/* One SQ tail doorbell per queue pair for everything queued since the last
 * commit, and one clock read for the batch's issue time: the commands reach
 * the device now (FIO_ASYNCIO_SETS_ISSUE_TIME; fio's io_uring engine does the
 * same). From commit (fio calls it also before it waits in getevents),
 * getevents (before polling) and queue (when the batch array is full). */
static __attribute__((noinline)) void fu_commit_batch(struct thread_data *td,
							struct fu_thread *th)
{
	unsigned i, n = th->nqueued;

	if (likely(th->only != NULL)) {
		udrv_nvme_qpair_ring_doorbell(th->only->qp);
	} else {
		for (i = 0; i < th->nfiles; i++)
			if (th->files[i] && th->files[i]->qp)
				udrv_nvme_qpair_ring_doorbell(th->files[i]->qp);
	}
	if (fio_fill_issue_time(td)) {
		struct timespec now;

		fio_gettime(&now, NULL);
		for (i = 0; i < n; i++)
			th->queued[i]->issue_time = now;
		if (!td->o.disable_slat) /* else io_u_queued does nothing */
			for (i = 0; i < n; i++)
				io_u_queued(td, th->queued[i]); /* submission latency */
		if (td->o.read_iolog_file)
			td->last_issue = now;
	}
	io_u_mark_submit(td, n);
	th->nqueued = 0;
}

/* queue()'s own reason not to submit: not a negative errno of the driver. */
#define FU_NOT_WHOLE_LBAS INT_MIN

/* What queue() returns for an I/O the engine did not submit: a log line and
 * the error (fio reports it with the job). Not on the hot path. */
static __attribute__((noinline, cold)) enum fio_q_status
fu_not_submitted(struct thread_data *td, struct io_u *io_u, int rc)
{
	const struct fu_target *t = &((struct fu_file *)FILE_ENG_DATA(io_u->file))->t;

	if (rc == -EAGAIN) /* the submission queue is full: fio reaps, then retries */
		return FIO_Q_BUSY;
	if (rc == FU_NOT_WHOLE_LBAS) {
		log_err("fio-udrv: %s: offset %llu length %llu are not whole LBAs of %u bytes\n",
			io_u->file->file_name, io_u->offset, io_u->xfer_buflen, t->lba_size);
		return fu_refuse(td, io_u, EINVAL);
	}
	log_err("fio-udrv: %s: %s refused: %s\n", io_u->file->file_name,
		io_ddir_name(io_u->ddir), *udrv_last_error() ? udrv_last_error() : strerror(-rc));
	return fu_refuse(td, io_u, -rc);
}

/* Whole LBAs, 1 to 2^32 of them (one compare: nlb64 - 1 wraps at 0). */
static inline bool fu_whole_lbas(const struct fu_target *t, const struct io_u *io_u)
{
	uint64_t nlb64 = io_u->xfer_buflen >> t->lba_shift;

	return !(((io_u->offset | io_u->xfer_buflen) & (t->lba_size - 1)) |
		 (nlb64 - 1 >= UINT32_MAX));
}

/* Trims, flushes and what else fio may ask (reads and writes go inline in
 * queue()). Returns the driver's result, or 1 when queue() must answer
 * FIO_Q_BUSY, or 2 for FIO_Q_COMPLETED (refused, io_u->error set). */
static __attribute__((noinline)) int fu_submit_other(struct thread_data *td, struct io_u *io_u,
						     struct fu_file *ff, struct fu_io *io)
{
	const struct fu_target *t = &ff->t;
	struct udrv_nvme_range range;

	switch (io_u->ddir) {
	case DDIR_TRIM:
		if (!fu_whole_lbas(t, io_u))
			return FU_NOT_WHOLE_LBAS;
		if (!t->dsm) {
			log_err("fio-udrv: %s: the controller has no Dataset Management (trim)\n",
				io_u->file->file_name);
			fu_refuse(td, io_u, EOPNOTSUPP);
			return 2;
		}
		range.lba = io_u->offset >> t->lba_shift;
		range.nlb = (uint32_t)(io_u->xfer_buflen >> t->lba_shift);
		return udrv_nvme_deallocate(ff->qp, t->nsid, &range, 1, fu_done, io);
	case DDIR_SYNC:
	case DDIR_DATASYNC:
	case DDIR_SYNC_FILE_RANGE:
		/* NVMe Flush covers the writes completed before it was submitted
		 * (NVMe base spec, Flush command): wait for those in flight, as
		 * fsync() would. fio reaps, then queues the sync again. */
		if (udrv_nvme_qpair_outstanding(ff->qp))
			return 1;
		return udrv_nvme_flush(ff->qp, t->nsid, fu_done, io);
	default:
		fu_refuse(td, io_u, EINVAL);
		return 2;
	}
}

static enum fio_q_status fu_queue(struct thread_data *td, struct io_u *io_u)
{
	struct fu_file *ff = FILE_ENG_DATA(io_u->file);
	struct fu_io *io = io_u->engine_data;
	struct fu_thread *th = io->th;
	const struct fu_target *t = &ff->t;
	int rc;

	/* fio checked the direction (fio_ro_check) and cleared error and resid. */
	if (likely(io_u->ddir == DDIR_READ || io_u->ddir == DDIR_WRITE)) {
		if (unlikely(!fu_whole_lbas(t, io_u)))
			return fu_not_submitted(td, io_u, FU_NOT_WHOLE_LBAS);
		if (io_u->ddir == DDIR_READ)
			rc = udrv_nvme_read(ff->qp, t->nsid, io_u->xfer_buf,
					    io_u->offset >> t->lba_shift,
					    (uint32_t)(io_u->xfer_buflen >> t->lba_shift), 0, fu_done, io);
		else
			rc = udrv_nvme_write(ff->qp, t->nsid, io_u->xfer_buf,
					     io_u->offset >> t->lba_shift,
					     (uint32_t)(io_u->xfer_buflen >> t->lba_shift),
					     th->write_flags, fu_done, io);
	} else {
		rc = fu_submit_other(td, io_u, ff, io);
		if (rc > 0)
			return rc == 1 ? FIO_Q_BUSY : FIO_Q_COMPLETED;
	}
	if (unlikely(rc < 0))
		return fu_not_submitted(td, io_u, rc);
	/* fio commits (or reaps, which commits) before it has iodepth io_us
	 * queued; committing here keeps the array bounded whatever fio does. */
	if (unlikely(th->nqueued == th->cap))
		fu_commit_batch(td, th);
	th->queued[th->nqueued++] = io_u;
	return FIO_Q_QUEUED;
}

static int fu_commit(struct thread_data *td)
{
	struct fu_thread *th = td->io_ops_data;

	if (th->nqueued)
		fu_commit_batch(td, th);
	return 0;
}

/* Poll the job's queue pairs for up to room completions. < 0: the device failed. */
static int fu_poll(struct fu_thread *th, unsigned room)
{
	unsigned i, want = th->nevents + room;
	int rc;

	if (likely(th->only != NULL))
		return udrv_nvme_qpair_poll(th->only->qp, room);
	for (i = 0; i < th->nfiles && th->nevents < want; i++) {
		struct fu_file *ff = th->files[i];

		if (!ff || !ff->qp)
			continue;
		rc = udrv_nvme_qpair_poll(ff->qp, want - th->nevents);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int fu_getevents(struct thread_data *td, unsigned int min, unsigned int max,
			const struct timespec *t)
{
	struct fu_thread *th = td->io_ops_data;
	struct timespec now, end;
	bool once = false, timed = false;
	unsigned n;
	int rc;

	/* fio has taken the events returned last time; more completions than
	 * it asked for wait at the front. */
	if (unlikely(th->returned < th->nevents))
		memmove(th->events, th->events + th->returned,
			(th->nevents - th->returned) * sizeof(*th->events));
	th->nevents -= th->returned;
	th->returned = 0;
	/* Stamp and ring what is queued before anything can complete: fio
	 * commits before getevents only when it waits (min > 0), and the
	 * driver's poll would ring the doorbell anyway. */
	if (th->nqueued)
		fu_commit_batch(td, th);
	/* fio passes a zero timeout to only look (min 0); a clock for others. */
	if (t) {
		once = !t->tv_sec && !t->tv_nsec;
		if (!once) {
			timed = true;
			clock_gettime(CLOCK_MONOTONIC, &end);
			end.tv_sec += t->tv_sec;
			end.tv_nsec += t->tv_nsec;
			if (end.tv_nsec >= 1000000000L) {
				end.tv_sec++;
				end.tv_nsec -= 1000000000L;
			}
		}
	}
	while (th->nevents < max) {
		rc = fu_poll(th, max - th->nevents);
		if (unlikely(rc < 0) && !th->nevents) {
			/* Every outstanding request was completed as aborted. */
			td_vmsg(td, -rc, *udrv_last_error() ? udrv_last_error()
				: "the device failed or was removed", "udrv poll");
			return rc;
		}
		if (th->nevents >= min || once)
			break;
		if (timed) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > end.tv_sec ||
			    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
				break;
		}
	}
	n = th->nevents < max ? th->nevents : max;
	th->returned = n;
	return (int)n;
}

static struct io_u *fu_event(struct thread_data *td, int event)
{
	struct fu_thread *th = td->io_ops_data;

	return th->events[event];
}

static struct ioengine_ops fu_ops = {
	.name = "udrv",
	.version = FIO_IOOPS_VERSION,
	.flags = FIO_RAWIO | FIO_NOEXTEND | FIO_NODISKUTIL | FIO_MEMALIGN | FIO_DISKLESSIO |
		 FIO_ASYNCIO_SETS_ISSUE_TIME,
	.setup = fu_setup,
	.init = fu_init,
	.queue = fu_queue,
	.commit = fu_commit,
	.getevents = fu_getevents,
	.event = fu_event,
	.errdetails = fu_errdetails,
	.cleanup = fu_cleanup,
	.open_file = fu_open_file,
	.close_file = fu_close_file,
	.iomem_alloc = fu_iomem_alloc,
	.iomem_free = fu_iomem_free,
	.io_u_init = fu_io_u_init,
	.io_u_free = fu_io_u_free,
	.option_struct_size = sizeof(struct fu_options),
	.options = fu_option_list,
};

/* fio's external engine loader looks this symbol up (ioengines.c). */
void get_ioengine(struct ioengine_ops **ops);
__attribute__((visibility("default"))) void get_ioengine(struct ioengine_ops **ops)
{
	*ops = &fu_ops;
}

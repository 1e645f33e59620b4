/* SPDX-License-Identifier: MIT */
/*
 * The runtime's event thread: waits on the devices' IRQ eventfds (hot-unplug
 * request, PCI error) and turns each into a bit in the device's event word,
 * which the data path reads with one atomic load, no system call. It also
 * keeps the kernel's deadline: a device asked for back is released by this
 * thread when its grace period ends, whatever the application does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct watch {
	int fd;
	struct udrv_dev *dev;
	uint32_t bits;
	const char *what;
	uint64_t release_at; /* CLOCK_MONOTONIC ns; 0: no release pending */
	struct watch *next;
};

static struct {
	int epfd;
	int stopfd;
	pthread_t thread;
	bool running;
	int stopping; /* atomic: fini holds the lock and waits for the thread */
	struct watch *watches;
	struct watch *retired; /* unwatched, freed at fini (the thread may still hold one) */
} ev = { .epfd = -1, .stopfd = -1 };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Under the lock: the watch w (still watched) fired. */
static void deliver(struct watch *w)
{
	uint32_t grace = udrvi_opts()->remove_grace_ms;

	if (!(w->bits & UDRV_DEV_EV_REMOVE)) {
		udrvi_warn(w->dev->name, "%s from the kernel", w->what);
	} else if (!w->release_at) {
		/* The kernel asks again (every few seconds) until it has the
		 * device: only the first request starts the grace period. */
		w->release_at = mono_ns() + (uint64_t)(grace ? grace : UDRVI_DEFAULT_GRACE_MS) * 1000000ull;
		udrvi_warn(w->dev->name, "%s from the kernel: stop I/O and close the device; the "
			   "runtime releases it in %u ms otherwise", w->what, grace);
	}
	udrvi_dev_notify(w->dev, w->bits);
}

/* Under the lock: release every device whose grace period is over. Returns
 * the epoll timeout in ms until the next one, -1 when none is pending. */
static int release_due(void)
{
	uint64_t now = mono_ns(), next = 0;
	struct watch *w;

again:
	for (w = ev.watches; w; w = w->next) {
		if (!w->release_at)
			continue;
		if (w->release_at <= now) {
			struct udrv_dev *dev = w->dev;
			int ret;

			w->release_at = 0;
			udrvi_warn(dev->name, "not closed within the grace period: the runtime releases "
				   "it (its handle now returns -ENODEV)");
			/* Releasing unwatches the device: start the walk again. */
			ret = udrvi_dev_release(dev);
			if (ret)
				udrvi_err(dev->name, "releasing the device failed: %s", strerror(-ret));
			goto again;
		}
		if (!next || w->release_at < next)
			next = w->release_at;
	}
	return next ? (int)((next - now + 999999) / 1000000) : -1;
}

static void *event_thread(void *arg)
{
	int timeout = -1;

	(void)arg;
	for (;;) {
		struct epoll_event e[8];
		int n = epoll_wait(ev.epfd, e, 8, timeout);

		if (n < 0 && errno != EINTR)
			return NULL;
		for (int i = 0; i < n; i++) {
			struct watch *w = e[i].data.ptr;
			uint64_t cnt;

			if (!w)
				return NULL; /* the stop eventfd */
			/* Under the lock: a watch unwatched meanwhile (device closed or
			 * released) is retired with fd -1, and its device may be gone. */
			if (!udrvi_lock_unless(&ev.stopping))
				return NULL;
			if (w->fd >= 0 && read(w->fd, &cnt, sizeof(cnt)) == sizeof(cnt))
				deliver(w);
			udrvi_unlock();
		}
		if (!udrvi_lock_unless(&ev.stopping))
			return NULL;
		timeout = release_due();
		udrvi_unlock();
	}
}

static int start(void)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };

	ev.epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.stopfd = eventfd(0, EFD_CLOEXEC);
	if (ev.epfd < 0 || ev.stopfd < 0 || epoll_ctl(ev.epfd, EPOLL_CTL_ADD, ev.stopfd, &e))
		goto fail;
	if (pthread_create(&ev.thread, NULL, event_thread, NULL))
		goto fail;
	ev.running = true;
	return 0;
fail:
	if (ev.epfd >= 0)
		close(ev.epfd);
	if (ev.stopfd >= 0)
		close(ev.stopfd);
	ev.epfd = ev.stopfd = -1;
	return -EAGAIN;
}

int udrvi_events_watch(int fd, struct udrv_dev *dev, uint32_t bits, const char *what)
{
	struct epoll_event e = { .events = EPOLLIN };
	struct watch *w;
	int ret = 0;

	udrvi_lock();
	if (!ev.running && (ret = start()))
		goto out;
	w = calloc(1, sizeof(*w));
	if (!w) {
		ret = -ENOMEM;
		goto out;
	}
	*w = (struct watch){ .fd = fd, .dev = dev, .bits = bits, .what = what, .next = ev.watches };
	e.data.ptr = w;
	if (epoll_ctl(ev.epfd, EPOLL_CTL_ADD, fd, &e)) {
		ret = -errno;
		free(w);
		goto out;
	}
	ev.watches = w;
out:
	udrvi_unlock();
	return ret;
}

void udrvi_events_unwatch(int fd)
{
	udrvi_lock();
	for (struct watch **p = &ev.watches; *p; p = &(*p)->next) {
		struct watch *w = *p;

		if (w->fd != fd)
			continue;
		epoll_ctl(ev.epfd, EPOLL_CTL_DEL, fd, NULL);
		*p = w->next;
		/* The thread may hold w from an epoll_wait that raced with the
		 * delete: retire it until fini rather than free it under the thread. */
		__atomic_store_n(&w->fd, -1, __ATOMIC_RELEASE);
		w->next = ev.retired;
		ev.retired = w;
		break;
	}
	udrvi_unlock();
}

void udrvi_events_fini(void)
{
	uint64_t one = 1;

	udrvi_lock();
	if (ev.running) {
		__atomic_store_n(&ev.stopping, 1, __ATOMIC_RELEASE);
		if (write(ev.stopfd, &one, sizeof(one)) == sizeof(one))
			pthread_join(ev.thread, NULL);
		__atomic_store_n(&ev.stopping, 0, __ATOMIC_RELEASE);
		close(ev.epfd);
		close(ev.stopfd);
	}
	for (struct watch **list = &ev.watches; list; list = list == &ev.watches ? &ev.retired : NULL) {
		while (*list) {
			struct watch *w = *list;

			*list = w->next;
			free(w);
		}
	}
	ev.epfd = ev.stopfd = -1;
	ev.running = false;
	udrvi_unlock();
}

/* SPDX-License-Identifier: MIT */
/*
 * The runtime's event thread: waits on the devices' IRQ eventfds (hot-unplug
 * request, PCI error) and turns each into a bit in the device's event word,
 * which the data path reads with one atomic load, no system call.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

struct watch {
	int fd;
	struct udrv_dev *dev;
	uint32_t bits;
	const char *what;
	struct watch *next;
};

static struct {
	int epfd;
	int stopfd;
	pthread_t thread;
	bool running;
	struct watch *watches;
	struct watch *retired; /* unwatched, freed at fini (the thread may still hold one) */
} ev = { .epfd = -1, .stopfd = -1 };

static void *event_thread(void *arg)
{
	(void)arg;
	for (;;) {
		struct epoll_event e[8];
		int n = epoll_wait(ev.epfd, e, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		for (int i = 0; i < n; i++) {
			struct watch *w = e[i].data.ptr;
			uint64_t cnt;

			if (!w)
				return NULL; /* the stop eventfd */
			if (read(__atomic_load_n(&w->fd, __ATOMIC_ACQUIRE), &cnt, sizeof(cnt)) != sizeof(cnt))
				continue;
			udrv_dev_raise_event(w->dev, w->bits);
			udrvi_warn(w->dev->name, "%s from the kernel%s", w->what,
				   w->bits & UDRV_DEV_EV_REMOVE ? ": stop I/O and close the device so it can be removed" : "");
		}
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
		if (write(ev.stopfd, &one, sizeof(one)) == sizeof(one))
			pthread_join(ev.thread, NULL);
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

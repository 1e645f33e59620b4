/* SPDX-License-Identifier: MIT */
/* Process-wide runtime state: options, the lock, the list of open devices. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

static pthread_mutex_t rt_lock;
static pthread_once_t rt_lock_once = PTHREAD_ONCE_INIT;
static bool rt_inited;
static struct udrv_opts rt_opts;
static bool rt_chunk_grows;
static struct udrv_dev *rt_devices;

static void rt_lock_init(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rt_lock, &a);
	pthread_mutexattr_destroy(&a);
}

void udrvi_lock(void)
{
	pthread_once(&rt_lock_once, rt_lock_init);
	pthread_mutex_lock(&rt_lock);
}

bool udrvi_lock_unless(const int *stop)
{
	for (;;) {
		struct timespec ts;

		if (__atomic_load_n(stop, __ATOMIC_ACQUIRE))
			return false;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_mutex_timedlock(&rt_lock, &ts) == 0)
			return true;
	}
}

void udrvi_unlock(void)
{
	pthread_mutex_unlock(&rt_lock);
}

static int opts_from_env(struct udrv_opts *o)
{
	const char *s;

	if (o->mem == UDRV_MEM_DEFAULT) {
		s = getenv("UDRV_MEM");
		if (!s || !*s || !strcasecmp(s, "huge"))
			o->mem = UDRV_MEM_HUGE;
		else if (!strcasecmp(s, "anon"))
			o->mem = UDRV_MEM_ANON;
		else {
			udrvi_err(NULL, "UDRV_MEM=%s is not a memory mode: use huge (hugepages) or anon (ordinary pages: tests and the device model)", s);
			return -EINVAL;
		}
	}
	if (!o->page_size && (s = getenv("UDRV_HUGEPAGE")) && *s) {
		if (!strcasecmp(s, "2M") || !strcasecmp(s, "2MB"))
			o->page_size = 2 * UDRVI_MIB;
		else if (!strcasecmp(s, "1G") || !strcasecmp(s, "1GB"))
			o->page_size = UDRVI_GIB;
		else {
			udrvi_err(NULL, "UDRV_HUGEPAGE=%s is not a hugepage size: use 2M or 1G", s);
			return -EINVAL;
		}
	}
	if (!o->chunk_size && (s = getenv("UDRV_CHUNK_MB")) && *s) {
		char *end;
		unsigned long mb = strtoul(s, &end, 10);

		if (*end || mb == 0 || mb > 65536) {
			udrvi_err(NULL, "UDRV_CHUNK_MB=%s is not a size in MiB between 1 and 65536", s);
			return -EINVAL;
		}
		o->chunk_size = mb * UDRVI_MIB;
	}
	if (!o->remove_grace_ms && (s = getenv("UDRV_REMOVE_GRACE_MS")) && *s) {
		char *end;
		unsigned long ms = strtoul(s, &end, 10);

		if (*end || *s == '-' || ms == 0 || ms > UDRVI_MAX_GRACE_MS) {
			udrvi_err(NULL, "UDRV_REMOVE_GRACE_MS=%s is not a time in ms between 1 and %u", s,
				  UDRVI_MAX_GRACE_MS);
			return -EINVAL;
		}
		o->remove_grace_ms = (uint32_t)ms;
	}
	return 0;
}

int udrv_init(const struct udrv_opts *opts)
{
	struct udrv_opts o = { .size = sizeof(o) };
	int ret = 0;

	if (opts) {
		if (opts->size < offsetof(struct udrv_opts, va_window) + sizeof(opts->va_window) ||
		    opts->size > sizeof(o)) {
			udrvi_err(NULL, "udrv_init: opts->size is %zu; set it to sizeof(struct udrv_opts)", opts->size);
			return -EINVAL;
		}
		memcpy(&o, opts, opts->size);
	}
	if (o.page_size && o.page_size != 2 * UDRVI_MIB && o.page_size != UDRVI_GIB) {
		udrvi_err(NULL, "udrv_init: page_size %zu is not 2 MiB or 1 GiB", o.page_size);
		return -EINVAL;
	}
	if (o.remove_grace_ms > UDRVI_MAX_GRACE_MS) {
		udrvi_err(NULL, "udrv_init: remove_grace_ms %u is above %u: the kernel waits for the "
			  "device meanwhile", o.remove_grace_ms, UDRVI_MAX_GRACE_MS);
		return -EINVAL;
	}
	udrvi_lock();
	if (rt_inited) {
		ret = -EALREADY;
		goto out;
	}
	ret = opts_from_env(&o);
	if (ret)
		goto out;
	/* No size asked for: chunks start at one page and double up to 64 MiB,
	 * so a small process (a tool, a test) maps and the kernel zeroes 2 MiB
	 * rather than 64 MiB at start-up; big users reach 64 MiB chunks after
	 * six map calls. */
	rt_chunk_grows = !o.chunk_size;
	if (!o.chunk_size)
		o.chunk_size = 64 * UDRVI_MIB;
	if (!o.va_window)
		o.va_window = 64 * UDRVI_GIB;
	if (!o.remove_grace_ms)
		o.remove_grace_ms = UDRVI_DEFAULT_GRACE_MS;
	o.va_window = UDRVI_ALIGN_UP(o.va_window, UDRVI_GIB);
	rt_opts = o;
	rt_inited = true;
out:
	udrvi_unlock();
	return ret;
}

int udrvi_ensure_init(void)
{
	int ret;

	udrvi_lock();
	ret = rt_inited ? 0 : udrv_init(NULL);
	udrvi_unlock();
	return ret == -EALREADY ? 0 : ret;
}

const struct udrv_opts *udrvi_opts(void)
{
	return &rt_opts;
}

bool udrvi_chunk_grows(void)
{
	return rt_chunk_grows;
}

void udrvi_dev_register(struct udrv_dev *dev)
{
	udrvi_lock();
	dev->event_fd = -1;
	dev->next = rt_devices;
	rt_devices = dev;
	udrvi_unlock();
}

void udrvi_dev_unregister(struct udrv_dev *dev)
{
	udrvi_lock();
	for (struct udrv_dev **p = &rt_devices; *p; p = &(*p)->next)
		if (*p == dev) {
			*p = dev->next;
			break;
		}
	udrvi_unlock();
}

bool udrvi_dev_bdf_open(const char *name)
{
	bool found = false;

	udrvi_lock();
	/* A released handle no longer holds its BDF: the device may come back
	 * (hot-add at the same address) while the application still has it. */
	for (struct udrv_dev *d = rt_devices; d && !found; d = d->next)
		found = !d->is_model && !d->released && !strcmp(d->name, name);
	udrvi_unlock();
	return found;
}

void udrv_fini(void)
{
	udrvi_lock();
	while (rt_devices) {
		udrvi_dev_revoke(rt_devices);
		udrvi_warn(rt_devices->name, "still open at udrv_fini: closing it");
		udrv_dev_close(rt_devices);
	}
	udrvi_events_fini();
	udrvi_mem_fini();
	rt_inited = false;
	rt_chunk_grows = false;
	memset(&rt_opts, 0, sizeof(rt_opts));
	udrvi_unlock();
}

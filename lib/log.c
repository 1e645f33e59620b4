/* SPDX-License-Identifier: MIT */
/* Logging: level from UDRV_LOG, per-device prefix, replaceable sink. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <udrv/log.h>

static int log_level = -1; /* -1: not read from the environment yet */
static udrv_log_fn log_fn;
static void *log_arg;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local char last_error[1024];

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static int level_from_env(void)
{
	const char *s = getenv("UDRV_LOG");

	if (!s || !*s)
		return UDRV_LOG_WARN;
	for (int i = 0; i <= UDRV_LOG_DEBUG; i++)
		if (!strcasecmp(s, level_names[i]) || (s[0] >= '0' && s[0] - '0' == i && !s[1]))
			return i;
	if (!strcasecmp(s, "warning"))
		return UDRV_LOG_WARN;
	fprintf(stderr, "udrv: UDRV_LOG=%s is not a level; use error, warn, info or debug\n", s);
	return UDRV_LOG_WARN;
}

enum udrv_log_level udrv_log_get_level(void)
{
	int lvl = __atomic_load_n(&log_level, __ATOMIC_RELAXED);

	if (lvl < 0) {
		lvl = level_from_env();
		__atomic_store_n(&log_level, lvl, __ATOMIC_RELAXED);
	}
	return (enum udrv_log_level)lvl;
}

void udrv_log_set_level(enum udrv_log_level level)
{
	if (level > UDRV_LOG_DEBUG)
		level = UDRV_LOG_DEBUG;
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
}

void udrv_log_set_handler(udrv_log_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_arg = arg;
	pthread_mutex_unlock(&log_lock);
}

void udrv_log(enum udrv_log_level level, const char *prefix, const char *fmt, ...)
{
	char line[1024];
	int n = 0;
	va_list ap;

	if (level > udrv_log_get_level())
		return; /* errors are always recorded: UDRV_LOG_ERROR is the lowest level */
	if (prefix && *prefix)
		n = snprintf(line, sizeof(line), "udrv %s: ", prefix);
	else
		n = snprintf(line, sizeof(line), "udrv: ");
	if (n < 0)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);

	if (level == UDRV_LOG_ERROR)
		memcpy(last_error, line, sizeof(last_error));
	if (level > udrv_log_get_level())
		return;

	pthread_mutex_lock(&log_lock);
	if (log_fn)
		log_fn(level, line, log_arg);
	else
		fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}

const char *udrv_last_error(void)
{
	return last_error;
}

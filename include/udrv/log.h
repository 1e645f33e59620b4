/* SPDX-License-Identifier: MIT */
/*
 * udrv logging: levels, a per-device prefix, a replaceable sink.
 *
 * The level comes from the environment variable UDRV_LOG (error, warn, info,
 * debug; default warn) the first time anything is logged, or from
 * udrv_log_set_level(). Errors are logged with a message that says what
 * failed and what to do; the last one a thread logged is kept for it and can
 * be read back with udrv_last_error().
 *
 * Thread safety: every function here may be called from any thread.
 */
#ifndef UDRV_LOG_H
#define UDRV_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

enum udrv_log_level {
	UDRV_LOG_ERROR = 0,
	UDRV_LOG_WARN = 1,
	UDRV_LOG_INFO = 2,
	UDRV_LOG_DEBUG = 3,
};

/* A sink receives the whole formatted line (prefix included, no newline). */
typedef void (*udrv_log_fn)(enum udrv_log_level level, const char *line, void *arg);

/* udrv_log_set_level / udrv_log_get_level - the most verbose level logged
 * (overrides UDRV_LOG). Context: any thread. */
void udrv_log_set_level(enum udrv_log_level level);
enum udrv_log_level udrv_log_get_level(void);

/* udrv_log_set_handler - send log lines to @fn(level, line, @arg) instead of
 * stderr; @fn NULL restores stderr. @fn runs on whichever thread logs (the
 * caller's, the runtime's event thread), one call at a time (under a lock),
 * and must not call udrv. Context: any thread. */
void udrv_log_set_handler(udrv_log_fn fn, void *arg);

/* udrv_log - log one line at @level, "udrv PREFIX: message".
 * @prefix: usually a device name ("0000:01:00.0"), or NULL
 * An error-level line also becomes this thread's udrv_last_error().
 * Context: any thread. */
void udrv_log(enum udrv_log_level level, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* udrv_last_error - the last error this thread logged ("" if none). Valid
 * until this thread logs another error. Context: any thread (per-thread
 * storage). */
const char *udrv_last_error(void);

#ifdef __cplusplus
}
#endif
#endif

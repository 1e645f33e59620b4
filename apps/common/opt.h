/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing shared by the udrv tools (udrv-nvme, udrv-net,
 * udrv-setup): numbers, sizes, durations and CPU lists, each range-checked,
 * each error printed as "PROG: OPTION VALUE: what is wrong (what is allowed)"
 * followed by "Try 'PROG --help'.". A parse error is a usage error: the
 * caller exits APP_EXIT_USAGE.
 *
 * Not thread safe (the program name is global): call from main only.
 */
#ifndef UDRV_APP_OPT_H
#define UDRV_APP_OPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum {
	APP_EXIT_OK = 0,
	APP_EXIT_FAIL = 1,  /* ran and failed, or the device failed */
	APP_EXIT_USAGE = 2, /* the command line is wrong; nothing was done */
};

/* The name messages start with, e.g. "udrv-nvme perf"; err is where they
 * go (stderr when NULL). Call before any other opt_ function. */
void opt_set_prog(const char *prog, FILE *err);
const char *opt_prog(void);

/* --version: print "TOOL (udrv) VERSION" (the meson project version) to out. */
void opt_print_version(const char *tool, FILE *out);

/* Print "PROG: <message>" and the --help hint; returns APP_EXIT_USAGE. */
int opt_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For getopt_long with opterr = 0 and an optstring starting with ':'
 * (pass it the '?' or ':' getopt returned): prints "unknown option '-x'"
 * or "option '--lba' needs a value"; returns APP_EXIT_USAGE. */
int opt_getopt_error(int c, char **argv);

/* An unsigned integer, decimal or 0x hex, in [min, max]. what names the
 * value for the message ("a namespace id"). 0 or -1 (message printed). */
int opt_uint(const char *opt, const char *what, const char *s, uint64_t min, uint64_t max,
	     uint64_t *out);

/* A byte count with an optional binary suffix k, m or g (4k = 4096), in
 * [min, max]; overflow is an error, never a wrap. 0 or -1. */
int opt_size(const char *opt, const char *what, const char *s, uint64_t min, uint64_t max,
	     uint64_t *out);

/* A duration in seconds (a decimal number, fractions allowed when frac),
 * min < value <= max; "inf", "nan" and hex floats are refused. 0 or -1. */
int opt_seconds(const char *opt, const char *s, double min, double max, bool frac, double *out);

/* A CPU list "2,3", "0-3" or "1," (a trailing comma makes one CPU a list):
 * at most max CPUs, each one this process may run on (sched_getaffinity),
 * none twice. 0 or -1. */
int opt_cpu_list(const char *opt, const char *s, int *cpus, unsigned max, unsigned *n);

/* 0 when this process may run on cpu; else prints why and returns -1. */
int opt_cpu_check(const char *opt, int cpu);

/* The CPUs this process may run on, as "0-1,4" (for messages). */
const char *opt_allowed_cpus(char *buf, size_t len);

#endif

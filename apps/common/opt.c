/* SPDX-License-Identifier: MIT */
/* Range-checked command-line values for the udrv tools (see opt.h). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"
#include "udrv_version.h"

static const char *prog = "udrv";
static FILE *errf;

void opt_set_prog(const char *p, FILE *err)
{
	prog = p;
	errf = err;
}

const char *opt_prog(void)
{
	return prog;
}

void opt_print_version(const char *tool, FILE *out)
{
	fprintf(out, "%s (udrv) %s\n", tool, UDRV_VERSION);
}

static FILE *err_stream(void)
{
	return errf ? errf : stderr;
}

int opt_usage_error(const char *fmt, ...)
{
	FILE *f = err_stream();
	va_list ap;

	fprintf(f, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fprintf(f, "\nTry '%s --help'.\n", prog);
	return APP_EXIT_USAGE;
}

int opt_getopt_error(int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int len = (int)strcspn(arg, "=");

	if (c == ':')
		return opt_usage_error("option '%.*s' needs a value", len, arg);
	if (!strncmp(arg, "--", 2) || !optopt)
		return opt_usage_error("unknown option '%.*s'", len, arg);
	return opt_usage_error("unknown option '-%c'", optopt);
}

/* Digits only (0x prefix for hex): no sign, no space, no octal surprise. */
static int parse_u64(const char *s, uint64_t *v, const char **end)
{
	int base = 10;
	char *e;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (!isxdigit((unsigned char)s[2]))
			return -EINVAL;
	}
	errno = 0;
	*v = strtoull(s, &e, base);
	*end = e;
	return errno == ERANGE ? -ERANGE : 0;
}

static void range_msg(const char *opt, const char *what, const char *s, uint64_t min, uint64_t max,
		      const char *unit)
{
	if (max == UINT64_MAX)
		opt_usage_error("%s %s: %s must be at least %llu%s", opt, s, what,
				(unsigned long long)min, unit);
	else
		opt_usage_error("%s %s: %s must be %llu..%llu%s", opt, s, what,
				(unsigned long long)min, (unsigned long long)max, unit);
}

int opt_uint(const char *opt, const char *what, const char *s, uint64_t min, uint64_t max,
	     uint64_t *out)
{
	const char *end;
	uint64_t v;
	int rc = parse_u64(s, &v, &end);

	if (rc == -EINVAL || (rc == 0 && *end)) {
		opt_usage_error("%s '%s': %s is a whole number (decimal, or hex with 0x)", opt,
				s ? s : "", what);
		return -1;
	}
	if (rc == -ERANGE || v < min || v > max) {
		range_msg(opt, what, s, min, max, "");
		return -1;
	}
	*out = v;
	return 0;
}

int opt_size(const char *opt, const char *what, const char *s, uint64_t min, uint64_t max,
	     uint64_t *out)
{
	unsigned shift = 0;
	const char *end;
	uint64_t v;
	int rc = parse_u64(s, &v, &end);

	if (rc == 0) {
		switch (tolower((unsigned char)*end)) {
		case 'k': shift = 10; end++; break;
		case 'm': shift = 20; end++; break;
		case 'g': shift = 30; end++; break;
		default: break;
		}
	}
	if (rc == -EINVAL || (rc == 0 && *end)) {
		opt_usage_error("%s '%s': %s is a byte count such as 512, 4k, 128k or 1m", opt,
				s ? s : "", what);
		return -1;
	}
	if (rc == -ERANGE || v > (UINT64_MAX >> shift) || (v << shift) < min || (v << shift) > max) {
		range_msg(opt, what, s, min, max, " bytes");
		return -1;
	}
	*out = v << shift;
	return 0;
}

int opt_seconds(const char *opt, const char *s, double min, double max, bool frac, double *out)
{
	char *end;
	double v;
	const char *p;

	/* Digits and at most one '.', nothing else: strtod would take "inf",
	 * "nan", "1e400" and "0x1p3". */
	for (p = s ? s : ""; isdigit((unsigned char)*p) || (frac && *p == '.'); p++)
		;
	if (!s || !*s || *p || !isdigit((unsigned char)s[strspn(s, ".")]) ||
	    strchr(s, '.') != strrchr(s, '.')) {
		opt_usage_error("%s '%s': give seconds as a %s (e.g. %s)", opt, s ? s : "",
				frac ? "decimal number" : "whole number", frac ? "10 or 0.5" : "10");
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || !(v > min) || v > max) {
		opt_usage_error("%s %s: seconds must be more than %g and at most %g", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

const char *opt_allowed_cpus(char *buf, size_t len)
{
	cpu_set_t set;
	int first = -1;

	buf[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set)) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	for (int c = 0; c <= CPU_SETSIZE; c++) {
		bool in = c < CPU_SETSIZE && CPU_ISSET(c, &set);
		size_t used = strlen(buf);

		if (in && first < 0)
			first = c;
		if (!in && first >= 0) {
			if (first == c - 1)
				snprintf(buf + used, len - used, "%s%d", used ? "," : "", first);
			else
				snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", first, c - 1);
			first = -1;
		}
	}
	return buf;
}

int opt_cpu_check(const char *opt, int cpu)
{
	char allowed[128];
	cpu_set_t set;

	if (cpu >= 0 && cpu < CPU_SETSIZE && sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    CPU_ISSET(cpu, &set))
		return 0;
	opt_usage_error("%s: CPU %d is not one this process may run on (allowed: %s)", opt, cpu,
			opt_allowed_cpus(allowed, sizeof(allowed)));
	return -1;
}

static int add_cpu(const char *opt, int cpu, int *cpus, unsigned max, unsigned *n)
{
	for (unsigned i = 0; i < *n; i++) {
		if (cpus[i] == cpu) {
			opt_usage_error("%s: CPU %d is listed twice", opt, cpu);
			return -1;
		}
	}
	if (*n == max) {
		opt_usage_error("%s: more than %u CPUs", opt, max);
		return -1;
	}
	if (opt_cpu_check(opt, cpu))
		return -1;
	cpus[(*n)++] = cpu;
	return 0;
}

int opt_cpu_list(const char *opt, const char *s, int *cpus, unsigned max, unsigned *n)
{
	const char *p = s;

	*n = 0;
	while (*p) {
		uint64_t lo, hi;
		const char *end;

		if (parse_u64(p, &lo, &end) || lo >= CPU_SETSIZE)
			goto bad;
		hi = lo;
		if (*end == '-' && (parse_u64(end + 1, &hi, &end) || hi < lo || hi >= CPU_SETSIZE))
			goto bad;
		if (*end != ',' && *end)
			goto bad;
		for (uint64_t c = lo; c <= hi; c++)
			if (add_cpu(opt, (int)c, cpus, max, n))
				return -1;
		p = *end ? end + 1 : end;
	}
	if (*n == 0)
		goto bad;
	return 0;
bad:
	opt_usage_error("%s '%s': a CPU list is CPU numbers (below %d) and ranges separated by "
			"commas, e.g. 2,3 or 0-3 or 1, for one CPU", opt, s, CPU_SETSIZE);
	return -1;
}

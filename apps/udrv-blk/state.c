/* SPDX-License-Identifier: MIT */
/* udrv-blk state files and argument parsing helpers. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_app.h"

static const char *run_dir(void)
{
	const char *d = getenv("UDRV_BLK_RUN_DIR");

	return d && *d ? d : "/run/udrv-blk";
}

int state_write(uint32_t dev_id, const char *bdf, uint32_t nsid, int pid)
{
	char path[512], tmp[520];
	FILE *f;

	if (mkdir(run_dir(), 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, APP ": cannot create %s: %s (recover will need the device named)\n",
			run_dir(), strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/ublk%u", run_dir(), dev_id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, APP ": cannot write %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "bdf=%s\nnsid=%u\npid=%d\n", bdf, nsid, pid);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, APP ": cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int state_read(uint32_t dev_id, char *bdf, size_t len, uint32_t *nsid, int *pid)
{
	char path[512], line[128];
	unsigned long v;
	FILE *f;
	int got = 0;

	snprintf(path, sizeof(path), "%s/ublk%u", run_dir(), dev_id);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "bdf=", 4) && strlen(line + 4) < len) {
			strcpy(bdf, line + 4);
			got |= 1;
		} else if (sscanf(line, "nsid=%lu", &v) == 1 && v <= UINT32_MAX) {
			*nsid = (uint32_t)v;
			got |= 2;
		} else if (sscanf(line, "pid=%lu", &v) == 1 && v < (1ul << 31)) {
			*pid = (int)v;
		}
	}
	fclose(f);
	return got == 3 ? 0 : -1;
}

void state_remove(uint32_t dev_id)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/ublk%u", run_dir(), dev_id);
	unlink(path);
}

unsigned state_list(uint32_t *ids, unsigned max)
{
	DIR *d = opendir(run_dir());
	struct dirent *e;
	unsigned n = 0, id;
	char c;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max)
		if (sscanf(e->d_name, "ublk%u%c", &id, &c) == 1)
			ids[n++] = id;
	closedir(d);
	return n;
}

int parse_uint(const char *what, const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-') {
		fprintf(stderr, APP ": %s: expected a number\n", what);
		return -1;
	}
	*out = strtoul(s, &end, 0);
	if (errno || *end || *out > max) {
		fprintf(stderr, APP ": %s: '%s' is not a number from 0 to %lu\n", what, s, max);
		return -1;
	}
	return 0;
}

int parse_cpus(const char *s, int *cpus, unsigned max, unsigned *n)
{
	const char *p = s;
	char *end;
	long a, b;

	*n = 0;
	while (*p) {
		errno = 0;
		a = strtol(p, &end, 10);
		if (end == p || a < 0 || errno)
			goto bad;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || errno)
				goto bad;
			p = end;
		}
		for (; a <= b; a++) {
			if (*n >= max || a >= MAX_CPUS)
				goto bad;
			cpus[(*n)++] = (int)a;
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	if (*n)
		return 0;
bad:
	fprintf(stderr, APP ": --cpus '%s': expected a list such as 0,2-3 (CPUs below %d)\n", s,
		MAX_CPUS);
	return -1;
}

/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the rig and device tests: the devices under test come from the
 * environment, a test that cannot run exits 77, a failed check prints where
 * and why and exits 1.
 *
 *   UDRV_TEST_NVME         NVMe BDFs bound to vfio-pci ("0000:01:00.0 0000:02:00.0")
 *   UDRV_TEST_NET          NIC BDFs bound to vfio-pci
 *   UDRV_TEST_NONVFIO      a BDF bound to some other driver (error test)
 *   UDRV_TEST_NONVIABLE    a BDF on vfio-pci whose IOMMU group is not viable
 *   UDRV_TEST_DESTRUCTIVE  1: allowed to change system state (nr_hugepages,
 *                          /dev/vfio owners, driver bindings); the rig sets it
 *
 * The rig's runner (run-tests.sh) sets these from UDRV_RIG_*; run directly in
 * the rig, a program takes UDRV_RIG_X when UDRV_TEST_X is unset.
 */
#ifndef UDRV_RIGTEST_H
#define UDRV_RIGTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <udrv/udrv.h>

#define RT_SKIP 77
#define RT_MAX_BDFS 8

#define RT_FAIL(...)                                                        \
	do {                                                                \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);       \
		fprintf(stderr, __VA_ARGS__);                               \
		fprintf(stderr, "\n");                                      \
		exit(1);                                                    \
	} while (0)

#define RT_CHECK(cond, ...)                                                  \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                        \
			fprintf(stderr, "\n  udrv_last_error: %s\n", udrv_last_error()); \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* A call that returns 0 or -errno must return 0. */
#define RT_OK(call)                                                          \
	do {                                                                 \
		int rt_rc_ = (call);                                         \
		RT_CHECK(rt_rc_ == 0, "%s returned %d (%s)", #call, rt_rc_, strerror(-rt_rc_)); \
	} while (0)

static inline void rt_skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(RT_SKIP);
}

/* Split the BDF list in environment variable var; at least min of them or skip. */
static inline int rt_bdfs(const char *var, char bdfs[][UDRV_BDF_STRLEN], int min)
{
	const char *v = getenv(var);
	char buf[512], *save = NULL, *tok;
	int n = 0;

	/* Run directly in the rig (not through run-tests.sh): UDRV_RIG_X for
	 * UDRV_TEST_X (NVME, NONVIABLE). */
	if ((!v || !*v) && !strncmp(var, "UDRV_TEST_", 10)) {
		snprintf(buf, sizeof(buf), "UDRV_RIG_%s", var + 10);
		v = getenv(buf);
	}

	if (!v || !*v) {
		fprintf(stdout, "SKIP: %s is not set (BDFs of devices bound to vfio-pci)\n", var);
		exit(RT_SKIP);
	}
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, " ,", &save); tok && n < RT_MAX_BDFS; tok = strtok_r(NULL, " ,", &save))
		snprintf(bdfs[n++], UDRV_BDF_STRLEN, "%s", tok);
	if (n < min) {
		printf("SKIP: %s names %d device(s), this test needs %d\n", var, n, min);
		exit(RT_SKIP);
	}
	return n;
}

/* Tests that change system state run in the rig, or where the user allows it. */
static inline void rt_need_destructive(void)
{
	const char *v = getenv("UDRV_TEST_DESTRUCTIVE");

	if (!v || strcmp(v, "1"))
		rt_skip("changes system state: set UDRV_TEST_DESTRUCTIVE=1 to allow it");
	if (geteuid() != 0)
		rt_skip("needs root");
}

static inline int rt_read_long(const char *path, long *val)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%li", val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static inline int rt_write_long(const char *path, long val)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -errno;
	ok = fprintf(f, "%ld\n", val) > 0;
	ok = (fclose(f) == 0) && ok;
	return ok ? 0 : -EIO;
}

/* Case-insensitive "does the last error mention s". */
static inline int rt_error_mentions(const char *s)
{
	return strcasestr(udrv_last_error(), s) != NULL;
}

#endif

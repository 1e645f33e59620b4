/* SPDX-License-Identifier: MIT */
/* Device arguments and the memory mode for models (see devspec.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/log.h>
#include <udrv/runtime.h>

#include "devspec.h"
#include "opt.h"

bool app_is_model_spec(const char *spec)
{
	return spec && !strncmp(spec, "model", 5) && (spec[5] == '\0' || spec[5] == ':');
}

int app_check_devspecs(const char *opt, const char *const *specs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		size_t len = specs[i] ? strlen(specs[i]) : 0;

		if (len == 0) {
			opt_usage_error("%s: empty device: give a PCI address (0000:01:00.0) or model",
					opt);
			return -1;
		}
		if (len > APP_DEVSPEC_MAX) {
			opt_usage_error("%s: the device is %zu characters long, at most %d are taken "
					"(\"%.40s...\")", opt, len, APP_DEVSPEC_MAX, specs[i]);
			return -1;
		}
	}
	return 0;
}

int app_init_memory(const char *const *specs, unsigned n)
{
	struct udrv_opts o = { .size = sizeof(o), .mem = UDRV_MEM_ANON };
	const char *env = getenv("UDRV_MEM");
	int rc;

	if (env && *env)
		return 0; /* the user chose; the runtime reads it */
	for (unsigned i = 0; i < n; i++)
		if (!app_is_model_spec(specs[i]))
			return 0; /* a real device needs hugepages: the default */
	rc = udrv_init(&o);
	if (rc < 0 && rc != -EALREADY) {
		fprintf(stderr, "%s: cannot initialise udrv: %s\n", opt_prog(), udrv_last_error());
		return -1;
	}
	udrv_log(UDRV_LOG_INFO, NULL, "device model only: DMA memory from ordinary pages "
		 "(set UDRV_MEM=huge to use hugepages)");
	return 0;
}

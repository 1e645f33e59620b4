/* SPDX-License-Identifier: MIT */
/*
 * Device arguments (-d) shared by the udrv tools: a PCI address bound to
 * vfio-pci, or an in-process device model ("model", "model:OPTS").
 *
 * Memory: a model does no real DMA, so when every device a tool opens is a
 * model and UDRV_MEM is not set, the tool runs the model on ordinary pages
 * (UDRV_MEM=anon) instead of failing on a machine without hugepages.
 * UDRV_MEM=huge keeps hugepages for a model (e.g. to compare TLB effects).
 */
#ifndef UDRV_APP_DEVSPEC_H
#define UDRV_APP_DEVSPEC_H

#include <stdbool.h>

/* The longest -d value the tools take (model option lists included). */
#define APP_DEVSPEC_MAX 255

/* "model" or "model:..." */
bool app_is_model_spec(const char *spec);

/* Check -d values before anything is opened: present, at most
 * APP_DEVSPEC_MAX characters. Prints a usage error and returns -1, or 0. */
int app_check_devspecs(const char *opt, const char *const *specs, unsigned n);

/* Choose the DMA memory mode for these devices (see above) by initialising
 * the runtime. Call before the first device open. 0, or -1 (printed). */
int app_init_memory(const char *const *specs, unsigned n);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * fio filenames to udrv NVMe namespaces, and the controllers behind them,
 * shared by the jobs of one fio process (fio runs them as threads of one
 * process: one VFIO container, one controller, one queue pair per job).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/udrv.h>
#include <udrv/nvme_model.h>

#include "fio_udrv_target.h"

#define NVME_ONCS_DSM (1u << 2) /* NVMe base spec: Identify Controller ONCS bit 2 */

struct fu_ctrl {
	struct fu_ctrl *next;
	char spec[128];
	struct udrv_dev *dev;
	struct udrv_nvme_ctrl *ctrl;
	unsigned refs;
};

static pthread_mutex_t fu_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fu_ctrl *fu_ctrls;

static const char fu_forms[] =
	"a PCI address bound to vfio-pci (fio splits filenames at colons: write "
	"0000\\:01\\:00.0 or 0000.01.00.0), or model, model\\:null, model\\:OPTS; "
	"append /NSID for a namespace other than the first";

static int is_model(const char *s)
{
	return !strncmp(s, "model", 5) && (s[5] == '\0' || s[5] == ':');
}

int fu_parse_filename(const char *name, char *spec, size_t speclen, uint32_t *nsid,
		      char *err, size_t errlen)
{
	const char *slash = strrchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : strlen(name);
	struct udrv_bdf bdf;
	unsigned dots = 0;
	size_t i;

	*nsid = 0;
	if (slash) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || v == 0 || v > 0xfffffffeul) {
			snprintf(err, errlen, "'%s': '%s' after the '/' is not a namespace id "
				 "(1, 2, ...)", name, slash + 1);
			return -EINVAL;
		}
		*nsid = (uint32_t)v;
	}
	if (len == 0 || len >= speclen) {
		snprintf(err, errlen, "'%s' is not a udrv device: expected %s", name, fu_forms);
		return -EINVAL;
	}
	memcpy(spec, name, len);
	spec[len] = '\0';
	if (is_model(spec))
		return 0;
	/* 0000.01.00.0 / 01.00.0: the colons written as dots. */
	if (!strchr(spec, ':')) {
		for (i = 0; i < len; i++)
			dots += spec[i] == '.';
		for (i = 0; i < len && dots > 1; i++)
			if (spec[i] == '.') {
				spec[i] = ':';
				dots--;
			}
	}
	if (udrv_bdf_parse(spec, &bdf) < 0) {
		snprintf(err, errlen, "'%s' is not a udrv device: expected %s%s", name, fu_forms,
			 strchr(name, '.') || !strcmp(name, "null") || strlen(name) <= 4
				 ? " (if fio cut a longer name at a colon, escape the colons)" : "");
		return -EINVAL;
	}
	udrv_bdf_format(&bdf, spec);
	return 0;
}

static int ctrl_open(struct fu_ctrl *c, char *err, size_t errlen)
{
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co) };
	const char *noshadow = getenv("UDRV_NVME_NO_SHADOW_DB");
	int rc;

	rc = udrv_nvme_model_open_spec(c->spec, &c->dev, NULL);
	if (rc == 0)
		rc = udrv_dev_open(c->spec, &c->dev);
	if (rc < 0) {
		snprintf(err, errlen, "cannot open %s: %s", c->spec,
			 *udrv_last_error() ? udrv_last_error() : strerror(-rc));
		return rc;
	}
	/* The same benchmark knob as udrv-nvme: MMIO doorbells only. */
	if (noshadow && strcmp(noshadow, "0"))
		co.flags |= UDRV_NVME_CTRL_NO_SHADOW_DB;
	rc = udrv_nvme_ctrl_open(c->dev, &co, &c->ctrl);
	if (rc < 0) {
		snprintf(err, errlen, "%s: NVMe controller bring-up failed: %s", c->spec,
			 *udrv_last_error() ? udrv_last_error() : strerror(-rc));
		udrv_dev_close(c->dev);
		return rc;
	}
	return 0;
}

static void ctrl_put_locked(struct fu_ctrl *c)
{
	struct fu_ctrl **pp;

	if (--c->refs)
		return;
	for (pp = &fu_ctrls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	udrv_nvme_ctrl_close(c->ctrl);
	udrv_dev_close(c->dev);
	free(c);
}

int fu_target_get(const char *filename, struct fu_target *t, char *err, size_t errlen)
{
	struct udrv_nvme_ns_info ns;
	struct udrv_nvme_ctrl_info ci;
	char spec[sizeof(((struct fu_ctrl *)0)->spec)];
	struct fu_ctrl *c;
	uint32_t nsid;
	int rc;

	memset(t, 0, sizeof(*t));
	rc = fu_parse_filename(filename, spec, sizeof(spec), &nsid, err, errlen);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&fu_lock);
	for (c = fu_ctrls; c; c = c->next)
		if (!strcmp(c->spec, spec))
			break;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			pthread_mutex_unlock(&fu_lock);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		memcpy(c->spec, spec, sizeof(spec));
		rc = ctrl_open(c, err, errlen);
		if (rc < 0) {
			free(c);
			pthread_mutex_unlock(&fu_lock);
			return rc;
		}
		c->next = fu_ctrls;
		fu_ctrls = c;
	}
	c->refs++;
	rc = nsid ? udrv_nvme_ns_find(c->ctrl, nsid, &ns) : udrv_nvme_ns_info(c->ctrl, 0, &ns);
	if (rc < 0) {
		snprintf(err, errlen, "%s: namespace %u is not active (%u active namespaces; "
			 "see udrv-nvme identify -d %s)", spec, nsid, udrv_nvme_ns_count(c->ctrl),
			 spec);
		ctrl_put_locked(c);
		pthread_mutex_unlock(&fu_lock);
		return -ENOENT;
	}
	udrv_nvme_ctrl_info(c->ctrl, &ci);
	pthread_mutex_unlock(&fu_lock);
	t->c = c;
	t->ctrl = c->ctrl;
	t->nsid = ns.nsid;
	t->lba_size = ns.lba_size;
	t->lba_shift = ns.lba_size ? (uint32_t)__builtin_ctz(ns.lba_size) : 0;
	t->capacity = ns.capacity_bytes;
	t->max_xfer = ci.max_xfer_bytes;
	t->dsm = !!(ci.oncs & NVME_ONCS_DSM);
	return 0;
}

void fu_target_put(struct fu_target *t)
{
	if (!t->c)
		return;
	pthread_mutex_lock(&fu_lock);
	ctrl_put_locked(t->c);
	pthread_mutex_unlock(&fu_lock);
	t->c = NULL;
	t->ctrl = NULL;
}

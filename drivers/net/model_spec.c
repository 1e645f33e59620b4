/* SPDX-License-Identifier: MIT */
/*
 * Device names for udrv_net_open(): "model" (the virtio-net model),
 * "model:virtio" and "model:e1000e" (the 82574L model), the way udrv-nvme
 * takes "model[:opts]". Options after a comma: queues=N (virtio-net queue
 * pairs offered, 1-8) and qsize=N (its largest ring).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/e1000e_model.h>
#include <udrv/log.h>
#include <udrv/net_model.h>

#include "port.h"

static int bad_spec(const char *spec)
{
	udrv_log(UDRV_LOG_ERROR, NULL, "bad NIC model \"%s\": expected model, model:virtio or "
		 "model:e1000e, virtio-net options after a comma: queues=1-8, qsize=8-4096 "
		 "(e.g. model:virtio,queues=2)", spec);
	return -EINVAL;
}

int udrvi_net_model_open_spec(const char *spec, struct udrv_dev **dev)
{
	struct udrv_net_model_opts vo = { .size = sizeof(vo) };
	char buf[128], *tok, *save = NULL;
	bool e1000e = false, first;
	int rc;

	if (!spec || strncmp(spec, "model", 5) != 0 || (spec[5] != '\0' && spec[5] != ':'))
		return 0;
	if (strlen(spec) >= sizeof(buf))
		return bad_spec(spec);
	snprintf(buf, sizeof(buf), "%s", spec[5] ? spec + 6 : "");
	for (tok = strtok_r(buf, ",", &save), first = true; tok;
	     tok = strtok_r(NULL, ",", &save), first = false) {
		char *eq = strchr(tok, '='), *end;
		unsigned long v;

		if (first && (!strcmp(tok, "virtio") || !strcmp(tok, "e1000e"))) {
			e1000e = tok[0] == 'e';
			continue;
		}
		if (!eq || e1000e || !eq[1])
			return bad_spec(spec);
		*eq = '\0';
		v = strtoul(eq + 1, &end, 0);
		if (*end)
			return bad_spec(spec);
		if (!strcmp(tok, "queues") && v >= 1 && v <= 8)
			vo.max_pairs = (uint16_t)v;
		else if (!strcmp(tok, "qsize") && v >= 8 && v <= 4096 && !(v & (v - 1)))
			vo.queue_size = (uint16_t)v;
		else
			return bad_spec(spec);
	}
	rc = e1000e ? udrv_e1000e_model_open(NULL, dev) : udrv_net_model_open(&vo, dev);
	return rc < 0 ? rc : 1;
}

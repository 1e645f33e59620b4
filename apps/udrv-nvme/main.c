/* SPDX-License-Identifier: MIT */
/*
 * udrv-nvme: identify, perf and verify on an NVMe controller through udrv,
 * or on the built-in controller model (-d model).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_app.h"
#include "udrv-nvme-help.h"

static void usage(FILE *f)
{
	fputs(help_main, f);
}

int main(int argc, char **argv)
{
	opt_set_prog("udrv-nvme", NULL);
	if (argc < 2) {
		usage(stderr);
		return APP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return APP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		opt_print_version("udrv-nvme", stdout);
		return APP_EXIT_OK;
	}
	if (!strcmp(argv[1], "identify"))
		return cmd_identify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "perf"))
		return cmd_perf(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	fprintf(stderr, "udrv-nvme: unknown command '%s' (identify, perf or verify)\n\n", argv[1]);
	usage(stderr);
	return APP_EXIT_USAGE;
}

int app_open(struct app *a, const char *spec, uint32_t nsid, bool need_ns)
{
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co) };
	int rc;

	memset(a, 0, sizeof(*a));
	if (!spec) {
		opt_usage_error("no device: give -d BDF (e.g. -d 0000:01:00.0) or -d model");
		return APP_EXIT_USAGE;
	}
	if (app_check_devspecs("-d", &spec, 1))
		return APP_EXIT_USAGE;
	if (app_init_memory(&spec, 1))
		return APP_EXIT_FAIL;
	rc = udrv_nvme_model_open_spec(spec, &a->dev, NULL);
	if (rc == -EINVAL && app_is_model_spec(spec)) {
		opt_usage_error("-d %s: not a valid model spec (see the message above)", spec);
		return APP_EXIT_USAGE;
	}
	if (rc == 0)
		rc = udrv_dev_open(spec, &a->dev);
	if (rc < 0) {
		fprintf(stderr, "udrv-nvme: cannot open device %s: %s (see the message above)\n", spec,
			strerror(-rc));
		return APP_EXIT_FAIL;
	}
	/* Benchmark knobs: compare MMIO-only doorbells with shadow doorbells
	 * (default: the driver's choice at bring-up). */
	if (getenv("UDRV_NVME_NO_SHADOW_DB") && strcmp(getenv("UDRV_NVME_NO_SHADOW_DB"), "0"))
		co.flags |= UDRV_NVME_CTRL_NO_SHADOW_DB;
	if (getenv("UDRV_NVME_SHADOW_DB") && strcmp(getenv("UDRV_NVME_SHADOW_DB"), "0"))
		co.flags |= UDRV_NVME_CTRL_SHADOW_DB;
	rc = udrv_nvme_ctrl_open(a->dev, &co, &a->ctrl);
	if (rc < 0) {
		fprintf(stderr, "udrv-nvme: %s: NVMe controller bring-up failed: %s (see the message "
			"above)%s\n", spec, strerror(-rc), rc == -ENOMEM && app_is_model_spec(spec) ?
			"; the model also runs on ordinary pages: UDRV_MEM=anon" : "");
		udrv_dev_close(a->dev);
		return APP_EXIT_FAIL;
	}
	if (!need_ns)
		return 0;
	if (nsid == 0)
		rc = udrv_nvme_ns_info(a->ctrl, 0, &a->ns);
	else
		rc = udrv_nvme_ns_find(a->ctrl, nsid, &a->ns);
	if (rc < 0) {
		if (nsid == 0)
			fprintf(stderr, "udrv-nvme: %s has no active namespace (create one with the "
				"vendor's tool or nvme-cli first)\n", spec);
		else
			opt_usage_error("-n %u: namespace %u is not active on %s (%u active "
					"namespaces; see udrv-nvme identify -d %s)", nsid, nsid, spec,
					udrv_nvme_ns_count(a->ctrl), spec);
		app_close(a);
		return nsid == 0 ? APP_EXIT_FAIL : APP_EXIT_USAGE;
	}
	return 0;
}

void app_close(struct app *a)
{
	udrv_nvme_ctrl_close(a->ctrl);
	udrv_dev_close(a->dev);
	a->ctrl = NULL;
	a->dev = NULL;
}

int app_parse_nsid(const char *s, uint64_t *nsid)
{
	return opt_uint("-n", "a namespace id", s, 1, 0xfffffffeu, nsid);
}

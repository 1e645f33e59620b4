/* SPDX-License-Identifier: MIT */
/*
 * udrv-nvme: identify, perf and verify on an NVMe controller through udrv,
 * or on the built-in controller model (-d model).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_app.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: udrv-nvme COMMAND -d DEVICE [options]\n"
		"\n"
		"Commands:\n"
		"  identify  controller and namespace information\n"
		"  perf      I/O benchmark (IOPS, MiB/s, latency percentiles)\n"
		"  verify    write a deterministic pattern, read it back, report mismatches\n"
		"\n"
		"DEVICE is a PCI address bound to vfio-pci (0000:01:00.0), or the built-in\n"
		"controller model: model[:opt,...] with opt null (moves no data), ns=N,\n"
		"lba=BYTES, blocks=N, mdts=N, qsize=N, nosgl, noshadow, lazyshadow.\n"
		"\n"
		"Run 'udrv-nvme COMMAND --help' for the options of a command.\n"
		"\n"
		"Examples:\n"
		"  udrv-nvme identify -d model\n"
		"  udrv-nvme perf -d 0000:01:00.0 -w randread -o 4k -q 32 -t 10\n"
		"  UDRV_MEM=anon udrv-nvme perf -d model:null -w randread -o 4k -q 32 -t 5\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "identify"))
		return cmd_identify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "perf"))
		return cmd_perf(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	fprintf(stderr, "udrv-nvme: unknown command '%s' (identify, perf or verify)\n\n", argv[1]);
	usage(stderr);
	return 2;
}

int app_open(struct app *a, const char *spec, uint32_t nsid, bool need_ns)
{
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co) };
	int rc;

	memset(a, 0, sizeof(*a));
	if (!spec) {
		fprintf(stderr, "udrv-nvme: no device: give -d BDF (e.g. -d 0000:01:00.0) or -d model\n");
		return -1;
	}
	rc = udrv_nvme_model_open_spec(spec, &a->dev, NULL);
	if (rc == 0)
		rc = udrv_dev_open(spec, &a->dev);
	if (rc < 0) {
		fprintf(stderr, "udrv-nvme: cannot open device %s: %s (see the message above)\n", spec,
			strerror(-rc));
		return -1;
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
			"above)\n", spec, strerror(-rc));
		udrv_dev_close(a->dev);
		return -1;
	}
	if (!need_ns)
		return 0;
	if (nsid == 0)
		rc = udrv_nvme_ns_info(a->ctrl, 0, &a->ns);
	else
		rc = udrv_nvme_ns_find(a->ctrl, nsid, &a->ns);
	if (rc < 0) {
		fprintf(stderr, "udrv-nvme: %s: namespace %u is not active (%u active namespaces; "
			"see udrv-nvme identify -d %s)\n", spec, nsid, udrv_nvme_ns_count(a->ctrl), spec);
		app_close(a);
		return -1;
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

int parse_u64(const char *what, const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-') {
		fprintf(stderr, "udrv-nvme: %s: expected a non-negative number\n", what);
		return -1;
	}
	*out = strtoull(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "udrv-nvme: %s: '%s' is not a number\n", what, s);
		return -1;
	}
	return 0;
}

int parse_size(const char *what, const char *s, uint64_t *out)
{
	char *end;
	uint64_t v;

	errno = 0;
	if (!s || !*s || *s == '-') {
		fprintf(stderr, "udrv-nvme: %s: expected a size such as 512, 4k or 1M\n", what);
		return -1;
	}
	v = strtoull(s, &end, 0);
	switch (tolower((unsigned char)*end)) {
	case 'k': v <<= 10; end++; break;
	case 'm': v <<= 20; end++; break;
	case 'g': v <<= 30; end++; break;
	default: break;
	}
	if (errno || *end || v == 0) {
		fprintf(stderr, "udrv-nvme: %s: '%s' is not a size (e.g. 512, 4k, 1M)\n", what, s);
		return -1;
	}
	*out = v;
	return 0;
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

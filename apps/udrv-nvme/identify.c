/* SPDX-License-Identifier: MIT */
/* udrv-nvme identify: what the controller and its namespaces report. */
#include <getopt.h>
#include <string.h>

#include "nvme_app.h"
#include "udrv-nvme-help.h"

static void help(FILE *f)
{
	fputs(help_identify, f);
}

static void print_json(struct app *a, const struct udrv_nvme_ctrl_info *in)
{
	unsigned n = udrv_nvme_ns_count(a->ctrl);

	printf("{\"controller\": {\"name\": ");
	json_str(stdout, udrv_dev_name(a->dev));
	printf(", \"vendor\": ");
	json_pci_id(stdout, in->vid);
	printf(", \"subsystem_vendor\": ");
	json_pci_id(stdout, in->ssvid);
	printf(", \"serial\": ");
	json_str(stdout, in->serial);
	printf(", \"model\": ");
	json_str(stdout, in->model);
	printf(", \"firmware\": ");
	json_str(stdout, in->firmware);
	printf(", \"version\": \"%u.%u.%u\", \"mdts_bytes\": %u, \"max_transfer_bytes\": %u, "
	       "\"max_queue_entries\": %u, \"io_queues\": %u, \"namespaces_max\": %u, "
	       "\"timeout_ms\": %u, \"volatile_write_cache\": %s, \"sgl\": %s, "
	       "\"shadow_doorbells\": %s, \"cmb_bytes\": %llu},\n \"namespaces\": [",
	       in->version >> 16, (in->version >> 8) & 0xff, in->version & 0xff, in->mdts_bytes,
	       in->max_xfer_bytes, in->max_queue_entries, in->io_queues, in->nn, in->timeout_ms,
	       in->vwc ? "true" : "false", in->sgl ? "true" : "false",
	       in->shadow_db ? "true" : "false", (unsigned long long)in->cmb_bytes);
	for (unsigned i = 0; i < n; i++) {
		struct udrv_nvme_ns_info ns;

		udrv_nvme_ns_info(a->ctrl, i, &ns);
		printf("%s{\"nsid\": %u, \"lba_size\": %u, \"metadata_size\": %u, \"blocks\": %llu, "
		       "\"capacity_bytes\": %llu}", i ? ", " : "", ns.nsid, ns.lba_size,
		       ns.metadata_size, (unsigned long long)ns.blocks,
		       (unsigned long long)ns.capacity_bytes);
	}
	printf("]}\n");
}

static void print_text(struct app *a, const struct udrv_nvme_ctrl_info *in)
{
	unsigned n = udrv_nvme_ns_count(a->ctrl);

	printf("controller %s\n", udrv_dev_name(a->dev));
	printf("  vendor            %04x (subsystem %04x)\n", in->vid, in->ssvid);
	printf("  model             %s\n", in->model);
	printf("  serial            %s\n", in->serial);
	printf("  firmware          %s\n", in->firmware);
	printf("  version           %u.%u.%u\n", in->version >> 16, (in->version >> 8) & 0xff,
	       in->version & 0xff);
	if (in->mdts_bytes)
		printf("  MDTS              %u bytes\n", in->mdts_bytes);
	else
		printf("  MDTS              no limit\n");
	printf("  max transfer      %u bytes per command (driver)\n", in->max_xfer_bytes);
	printf("  queue entries     %u max\n", in->max_queue_entries);
	printf("  I/O queues        %u granted\n", in->io_queues);
	printf("  write cache       %s\n", in->vwc ? "volatile, present" : "none");
	printf("  SGL               %s\n", in->sgl ? (in->sgl_used ? "yes, used" : "yes") : "no");
	printf("  shadow doorbells  %s\n",
	       in->shadow_db ? (in->shadow_db_used ? "yes, used" : "yes") : "no");
	if (in->cmb_bytes)
		printf("  CMB               %llu MiB (%llu bytes; reported, not used)\n",
		       (unsigned long long)(in->cmb_bytes >> 20), (unsigned long long)in->cmb_bytes);
	else
		printf("  CMB               none\n");
	printf("  CAP.TO            %u ms\n", in->timeout_ms);
	printf("namespaces: %u active (NN %u)\n", n, in->nn);
	for (unsigned i = 0; i < n; i++) {
		struct udrv_nvme_ns_info ns;

		udrv_nvme_ns_info(a->ctrl, i, &ns);
		printf("  nsid %-4u LBA %5u B  %12llu blocks  %10.2f GiB\n", ns.nsid, ns.lba_size,
		       (unsigned long long)ns.blocks, (double)ns.capacity_bytes / (1u << 30));
	}
}

int cmd_identify(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct udrv_nvme_ctrl_info in;
	const char *dev = NULL;
	bool json = false;
	struct app a;
	int c, rc;

	opt_set_prog("udrv-nvme identify", NULL);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'j': json = true; break;
		case 'h': help(stdout); return APP_EXIT_OK;
		default: return opt_getopt_error(c, argv);
		}
	}
	if (optind != argc)
		return opt_usage_error("unexpected argument '%s'", argv[optind]);
	rc = app_open(&a, dev, 0, false);
	if (rc)
		return rc;
	udrv_nvme_ctrl_info(a.ctrl, &in);
	if (json)
		print_json(&a, &in);
	else
		print_text(&a, &in);
	app_close(&a);
	return 0;
}

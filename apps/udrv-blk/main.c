/* SPDX-License-Identifier: MIT */
/*
 * udrv-blk: serve NVMe namespaces driven by udrv as Linux block devices
 * (/dev/ublkbN) through ublk, so filesystems, fio and any program can use them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "blk_app.h"
#include "opt.h"
#include "udrv-blk-help.h"

static void usage(FILE *f)
{
	fputs(help_main, f);
}

static const char *state_name(enum udrv_blk_state s)
{
	switch (s) {
	case UDRV_BLK_LIVE: return "live";
	case UDRV_BLK_QUIESCED: return "quiesced";
	default: return "stopped";
	}
}

int cmd_list(int argc, char **argv)
{
	uint32_t ids[1024];
	int n, i, pid;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			fputs(help_list, stdout);
			return 0;
		}
		fprintf(stderr, APP ": list takes no arguments\n");
		return 2;
	}
	if (udrv_blk_available() < 0)
		return 1;
	n = udrv_blk_list(ids, 1024);
	if (n < 0) {
		fprintf(stderr, APP ": cannot list ublk devices: %s\n", strerror(-n));
		return 1;
	}
	printf("%-14s %-9s %-8s %-14s %-6s %-7s %-6s %s\n", "DEVICE", "STATE", "PID", "SIZE",
	       "LBA", "QUEUES", "DEPTH", "SERVES");
	for (i = 0; i < n && i < 1024; i++) {
		struct udrv_blk_query q;
		char bdf[64], dev[24], serves[160] = "-", pids[16];
		uint32_t nsid;
		bool alive;

		if (udrv_blk_query(ids[i], &q) < 0)
			continue;
		alive = q.pid > 0 && kill(q.pid, 0) == 0;
		if (q.cookie == APP_COOKIE && state_read(ids[i], bdf, sizeof(bdf), &nsid, &pid) == 0)
			snprintf(serves, sizeof(serves), "%s nsid %u%s", bdf, nsid,
				 alive || q.state != UDRV_BLK_LIVE ? "" : " (server died: udrv-blk recover)");
		else if (q.cookie != APP_COOKIE)
			snprintf(serves, sizeof(serves), "(not udrv-blk)");
		snprintf(dev, sizeof(dev), "/dev/ublkb%u", q.dev_id);
		snprintf(pids, sizeof(pids), "%d", q.pid);
		printf("%-14s %-9s %-8s %-14llu %-6u %-7u %-6u %s\n", dev, state_name(q.state),
		       q.pid > 0 ? pids : "-", (unsigned long long)q.size_bytes, q.lba_size,
		       q.queues, q.depth, serves);
	}
	return 0;
}

int cmd_remove(int argc, char **argv)
{
	int i, status = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help_remove, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		unsigned long v;

		if (!strncmp(a, "/dev/ublkb", 10))
			a += 10;
		else if (!strncmp(a, "ublkb", 5))
			a += 5;
		else if (!strncmp(a, "ublk", 4))
			a += 4;
		if (parse_uint("device", a, 1u << 20, &v) < 0)
			return 2;
		if (udrv_blk_remove((uint32_t)v) < 0) {
			status = 1;
			continue;
		}
		state_remove((uint32_t)v);
		printf("/dev/ublkb%lu removed\n", v);
	}
	return status;
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
	if (!strcmp(argv[1], "--version")) {
		opt_print_version(APP, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "recover"))
		return cmd_recover(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "remove"))
		return cmd_remove(argc - 1, argv + 1);
	fprintf(stderr, APP ": unknown command '%s' (serve, recover, list or remove)\n\n", argv[1]);
	usage(stderr);
	return 2;
}

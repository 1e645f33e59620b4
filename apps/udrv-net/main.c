/* SPDX-License-Identifier: MIT */
/* udrv-net: packet generator, receiver, forwarder and ping responder on udrv ports. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "devspec.h"
#include "opt.h"
#include "udrv-net-help.h"

#define MAX_SECONDS (30.0 * 86400) /* -t: 30 days */
#define MAX_RATE 1000000000ull     /* --rate: beyond any port (100GbE: 148.8 Mpps) */

volatile sig_atomic_t app_stop;

static void usage(FILE *f)
{
	fputs(help_main, f);
}

double app_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void live_init(struct live *l, const char *what)
{
	l->t0 = l->last = app_now();
	l->last_count = 0;
	l->what = what;
}

bool live_due(const struct live *l)
{
	return app_now() - l->last >= 1.0;
}

void live_tick(struct live *l, uint64_t count, unsigned size)
{
	double t = app_now(), dt = t - l->last;

	if (dt < 1.0)
		return;
	double pps = (double)(count - l->last_count) / dt;

	fprintf(stderr, "%6.1fs  %s %12.0f pps  %7.3f Gbit/s  total %llu\n", t - l->t0, l->what,
		pps, size ? pps * size * 8 / 1e9 : 0.0, (unsigned long long)count);
	l->last = t;
	l->last_count = count;
}

int app_open_port(struct app_port *ap, const char *name, bool promisc)
{
	return app_open_port_pool(ap, name, promisc, NULL);
}

int app_open_port_pool(struct app_port *ap, const char *name, bool promisc, struct udrv_pool *pool)
{
	struct udrv_net_port_opts po = { .size = sizeof(po), .promisc = promisc, .pool = pool };
	int rc;

	memset(ap, 0, sizeof(*ap));
	ap->name = name;
	/* A BDF, or a model name ("model", "model:e1000e"): udrv_net_open takes both. */
	rc = udrv_net_open(name, &po, &ap->port);
	if (rc) {
		/* The library logged what failed and how to fix it. */
		fprintf(stderr, "udrv-net: cannot open port %s: %s\n", name, strerror(-rc));
		return rc;
	}
	if (promisc && udrv_net_promisc_set(ap->port, true) == -ENOTSUP)
		fprintf(stderr, "udrv-net: %s has no promiscuous mode; continuing without\n", name);
	ap->rxq = udrv_net_rxq(ap->port, 0);
	ap->txq = udrv_net_txq(ap->port, 0);
	ap->pool = udrv_net_port_pool(ap->port);
	ap->events = udrv_dev_events(udrv_net_port_dev(ap->port));
	udrv_net_mac_get(ap->port, ap->mac);
	return 0;
}

void app_port_removed_close(struct app_port *ap, const char *mode)
{
	fprintf(stderr, "udrv-net %s: port %s was removed (hot-unplug): stopped using it\n", mode,
		ap->name);
	app_close_port(ap);
}

void app_close_port(struct app_port *ap)
{
	if (!ap->port)
		return;
	udrv_net_close(ap->port);
	ap->port = NULL;
}

bool app_check_port(struct app_port *ap)
{
	int rc = udrv_net_status(ap->port);

	if (rc == -EIO) {
		fprintf(stderr, "udrv-net: port %s failed (see the log above); resetting it\n",
			ap->name);
		rc = udrv_net_reset(ap->port);
		if (rc)
			fprintf(stderr, "udrv-net: reset of %s failed: %s\n", ap->name, strerror(-rc));
	} else if (rc) {
		fprintf(stderr, "udrv-net: port %s: %s\n", ap->name,
			rc == -ENODEV ? "the device is gone (removed)" : strerror(-rc));
	}
	return rc == 0;
}

static void on_signal(int sig)
{
	(void)sig;
	app_stop = 1;
}

static int bad_arg(const char *what, const char *val)
{
	return opt_usage_error("invalid %s '%s'", what, val);
}

int main(int argc, char **argv)
{
	enum { O_DSTMAC = 256, O_JSON, O_IP, O_SRCIP, O_DSTIP, O_PROMISC, O_SEQ };
	static const struct option lopts[] = {
		{ "dev", required_argument, NULL, 'd' },  { "time", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' }, { "size", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },  { "dst-mac", required_argument, NULL, O_DSTMAC },
		{ "json", no_argument, NULL, O_JSON },     { "ip", required_argument, NULL, O_IP },
		{ "src-ip", required_argument, NULL, O_SRCIP },
		{ "dst-ip", required_argument, NULL, O_DSTIP },
		{ "promisc", no_argument, NULL, O_PROMISC }, { "help", no_argument, NULL, 'h' },
		{ "seq", no_argument, NULL, O_SEQ },
		{ NULL, 0, NULL, 0 },
	};
	struct app_opts o = { .size = 64 };
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t v;
	int c;

	opt_set_prog("udrv-net", NULL);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? APP_EXIT_USAGE : APP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		opt_print_version("udrv-net", stdout);
		return APP_EXIT_OK;
	}
	o.mode = argv[1];
	inet_pton(AF_INET, "169.254.0.1", &o.src_ip);
	inet_pton(AF_INET, "169.254.0.2", &o.dst_ip);
	memset(o.dst_mac, 0xff, 6);
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:t:n:s:r:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (o.ndev == MAX_PORTS)
				return bad_arg("-d (at most two ports)", optarg);
			o.dev[o.ndev++] = optarg;
			break;
		case 't':
			/* Finite: without -t a mode runs until Ctrl-C anyway. */
			if (opt_seconds("-t", optarg, 0, MAX_SECONDS, true, &o.seconds))
				return APP_EXIT_USAGE;
			break;
		case 'n':
			if (opt_uint("--count", "the number of frames", optarg, 1, UINT64_MAX, &o.count))
				return APP_EXIT_USAGE;
			break;
		case 's':
			if (opt_uint("--size", "the frame size with FCS", optarg, 64, 1518, &v))
				return APP_EXIT_USAGE;
			o.size = (unsigned)v;
			break;
		case 'r':
			if (opt_uint("--rate", "the rate in frames per second", optarg, 1, MAX_RATE,
				     &o.rate))
				return APP_EXIT_USAGE;
			break;
		case O_DSTMAC:
			if (udrv_net_mac_parse(optarg, o.dst_mac))
				return bad_arg("MAC (form 52:54:00:12:34:56)", optarg);
			o.dst_mac_set = true;
			break;
		case O_IP:
			if (inet_pton(AF_INET, optarg, &o.ip) != 1)
				return bad_arg("IPv4 address", optarg);
			break;
		case O_SRCIP:
			if (inet_pton(AF_INET, optarg, &o.src_ip) != 1)
				return bad_arg("IPv4 address", optarg);
			break;
		case O_DSTIP:
			if (inet_pton(AF_INET, optarg, &o.dst_ip) != 1)
				return bad_arg("IPv4 address", optarg);
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_PROMISC:
			o.promisc = true;
			break;
		case O_SEQ:
			o.seq = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return opt_getopt_error(c, argv);
		}
	}
	if (strcmp(o.mode, "pktgen") && strcmp(o.mode, "rx") && strcmp(o.mode, "fwd") &&
	    strcmp(o.mode, "echo"))
		return opt_usage_error("unknown mode '%s': pktgen, rx, fwd or echo", o.mode);
	if (optind < argc)
		return bad_arg("argument", argv[optind]);
	if (!o.ndev)
		return opt_usage_error("-d DEV is required (a PCI address or 'model')");
	if (o.ndev > 1 && strcmp(o.mode, "fwd"))
		return opt_usage_error("only fwd takes two ports");
	if (app_check_devspecs("-d", o.dev, o.ndev))
		return APP_EXIT_USAGE;
	if (app_init_memory(o.dev, o.ndev))
		return APP_EXIT_FAIL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!strcmp(o.mode, "pktgen")) {
		if (o.count && o.seconds)
			return opt_usage_error("pktgen takes --count or -t, not both");
		return mode_pktgen(&o);
	}
	if (!strcmp(o.mode, "rx"))
		return mode_rx(&o);
	if (!strcmp(o.mode, "fwd"))
		return mode_fwd(&o);
	if (!strcmp(o.mode, "echo")) {
		if (!o.ip)
			return opt_usage_error("echo needs --ip ADDR (the address to answer for)");
		return mode_echo(&o);
	}
	return opt_usage_error("unknown mode '%s': pktgen, rx, fwd or echo", o.mode);
}

/* SPDX-License-Identifier: MIT */
/*
 * udrv-blk serve / recover: one process owns one NVMe controller and serves
 * each chosen namespace as /dev/ublkbN, one thread per ublk queue (each with
 * its own NVMe queue pair). The main thread only waits for signals:
 * SIGUSR1 prints a status line, SIGINT/SIGTERM stop the devices (the kernel
 * drains their I/O, the queues flush the write cache) and remove them.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blk_app.h"
#include "udrv-blk-help.h"

struct qthread {
	pthread_t tid;
	struct udrv_blk_dev *bd;
	unsigned q;
	int cpu;
	int rc;
	bool started;
};

static void *queue_main(void *arg)
{
	struct qthread *t = arg;

	if (t->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
			fprintf(stderr, APP ": warning: cannot pin a queue thread to CPU %d\n", t->cpu);
	}
	t->rc = udrv_blk_queue_run(t->bd, t->q);
	return NULL;
}

static int open_nvme(const char *bdf, struct udrv_dev **dev, struct udrv_nvme_ctrl **ctrl,
		     unsigned io_queues, bool recover)
{
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co), .io_queues = io_queues };
	uint8_t cls[3];
	int rc;

	rc = udrv_dev_open(bdf, dev);
	/* recover: the dead server may still be exiting and hold the device. */
	for (unsigned i = 0; recover && rc == -EBUSY && i < 300; i++) {
		struct timespec ts = { .tv_nsec = 100 * 1000000 };

		nanosleep(&ts, NULL);
		rc = udrv_dev_open(bdf, dev);
	}
	if (rc < 0) {
		fprintf(stderr, APP ": cannot open %s: %s (see the message above)\n", bdf,
			strerror(-rc));
		return -1;
	}
	/* Class code at 0x09: programming interface, subclass, class
	 * (PCI 3.0 6.2.1); NVMe is 01:08:02. */
	rc = udrv_dev_cfg_read(*dev, 0x09, cls, sizeof(cls));
	if (rc == 0 && !(cls[2] == 0x01 && cls[1] == 0x08 && cls[0] == 0x02)) {
		fprintf(stderr, APP ": %s is not an NVMe controller (PCI class %02x:%02x:%02x, "
			"NVMe is 01:08:02): udrv-blk serves NVMe namespaces\n", bdf, cls[2], cls[1],
			cls[0]);
		udrv_dev_close(*dev);
		return -1;
	}
	rc = udrv_nvme_ctrl_open(*dev, &co, ctrl);
	if (rc < 0) {
		fprintf(stderr, APP ": %s: NVMe controller bring-up failed: %s (see the message "
			"above)\n", bdf, strerror(-rc));
		udrv_dev_close(*dev);
		return -1;
	}
	return 0;
}

static void print_status(struct udrv_blk_dev **bds, unsigned n)
{
	struct udrv_blk_stats st;
	struct udrv_blk_info in;
	unsigned i, q;

	for (i = 0; i < n; i++) {
		if (!bds[i])
			continue;
		udrv_blk_info(bds[i], &in);
		udrv_blk_stats(bds[i], &st);
		printf("%s: reads %llu (%.1f MiB) writes %llu (%.1f MiB) flushes %llu discards %llu "
		       "write-zeroes %llu errors %llu in-flight %llu nvme-cmds %llu sleeps %llu\n",
		       in.path, (unsigned long long)st.reads, st.read_bytes / 1048576.0,
		       (unsigned long long)st.writes, st.write_bytes / 1048576.0,
		       (unsigned long long)st.flushes, (unsigned long long)st.discards,
		       (unsigned long long)st.write_zeroes, (unsigned long long)st.errors,
		       (unsigned long long)st.in_flight, (unsigned long long)st.nvme_cmds,
		       (unsigned long long)st.sleeps);
		/* requests per queue, to see how blk-mq spreads them */
		printf("%s: queues ", in.path);
		for (q = 0; q < in.queues; q++) {
			udrv_blk_queue_stats(bds[i], q, &st);
			printf("%s%llu", q ? "/" : "", (unsigned long long)(st.reads + st.writes +
			       st.flushes + st.discards + st.write_zeroes));
		}
		printf("\n");
	}
	fflush(stdout);
}

/* The runtime's event thread tells the main thread that the kernel wants
 * the controller back (hot-unplug) or that it released it (SIGUSR2). */
static void on_dev_event(struct udrv_dev *dev, uint32_t events, void *arg)
{
	(void)dev;
	if (events & (UDRV_DEV_EV_REMOVE | UDRV_DEV_EV_RELEASED))
		pthread_kill(*(pthread_t *)arg, SIGUSR2);
}

static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* Wait for SIGINT/SIGTERM, or the controller's removal (SIGUSR2 from
 * on_dev_event); SIGUSR1 (or every status_every seconds) prints the status.
 * Returns the signal that ended it. */
static int wait_signals(struct srv *s, struct udrv_dev *dev, struct udrv_blk_dev **bds,
			unsigned n)
{
	struct timespec ts = { .tv_sec = s->status_every };
	sigset_t set;
	int sig;

	block_signals(&set);
	for (;;) {
		if (*udrv_dev_events(dev) & (UDRV_DEV_EV_REMOVE | UDRV_DEV_EV_RELEASED))
			return SIGUSR2;
		sig = s->status_every ? sigtimedwait(&set, NULL, &ts) : sigwaitinfo(&set, NULL);
		if (sig < 0 && errno == EAGAIN) {
			print_status(bds, n);
			continue;
		}
		if (sig < 0)
			continue;
		if (sig == SIGUSR1) {
			print_status(bds, n);
			continue;
		}
		return sig;
	}
}

int srv_run(struct srv *s)
{
	struct udrv_blk_dev *bds[MAX_NS] = { 0 };
	struct qthread *th = NULL;
	struct udrv_nvme_ctrl *ctrl = NULL;
	struct udrv_dev *dev = NULL;
	unsigned i, q, nth = 0, made = 0;
	struct udrv_blk_info in;
	static pthread_t main_tid;
	bool removed = false;
	sigset_t set;
	int rc, status = 1, sig;

	/* Before opening the controller: the cheaper check, the clearer error. */
	if (udrv_blk_available() < 0) {
		fprintf(stderr, APP ": ublk is not available (see the message above)\n");
		return 1;
	}
	/* Queue threads inherit the mask: only the main thread takes signals. */
	block_signals(&set);
	main_tid = pthread_self();

	if (open_nvme(s->bdf, &dev, &ctrl, 0, s->recover) < 0)
		return 1;
	/* Hot-unplug: fail the I/O, remove the devices, let the controller go
	 * (the runtime releases it after its grace period in any case). */
	udrv_dev_set_event_cb(dev, on_dev_event, &main_tid);
	if (s->nns == 0) { /* every active namespace */
		struct udrv_nvme_ns_info ns;

		for (i = 0; i < udrv_nvme_ns_count(ctrl) && s->nns < MAX_NS; i++)
			if (udrv_nvme_ns_info(ctrl, i, &ns) == 0)
				s->nsids[s->nns++] = ns.nsid;
		if (s->nns == 0) {
			fprintf(stderr, APP ": %s has no active namespace\n", s->bdf);
			goto out_close;
		}
	}
	for (i = 0; i < s->nns; i++) {
		struct udrv_nvme_ns_info ns;

		if (udrv_nvme_ns_find(ctrl, s->nsids[i], &ns) < 0) {
			fprintf(stderr, APP ": %s: namespace %u is not active (%u active namespaces; "
				"see udrv-nvme identify -d %s)\n", s->bdf, s->nsids[i],
				udrv_nvme_ns_count(ctrl), s->bdf);
			goto out_close;
		}
	}
	th = calloc((size_t)s->nns * 64, sizeof(*th));
	if (!th)
		goto out_close;
	for (i = 0; i < s->nns; i++) {
		struct udrv_blk_opts o = { .size = sizeof(o), .nsid = s->nsids[i],
					   .queues = (uint16_t)s->queues, .depth = (uint16_t)s->depth,
					   .dev_id = -1, .cookie = APP_COOKIE,
					   .nap_us = s->nap_us };

		if (s->recover)
			rc = udrv_blk_recover(ctrl, (uint32_t)s->recover_ids[i], &o, &bds[i]);
		else
			rc = udrv_blk_create(ctrl, &o, &bds[i]);
		if (rc < 0) {
			fprintf(stderr, APP ": %s namespace %u: cannot %s the ublk device: %s (see the "
				"message above)\n", s->bdf, s->nsids[i],
				s->recover ? "recover" : "create", strerror(-rc));
			goto out_stop;
		}
		made++;
		udrv_blk_info(bds[i], &in);
		for (q = 0; q < in.queues; q++, nth++) {
			th[nth].bd = bds[i];
			th[nth].q = q;
			th[nth].cpu = s->ncpus ? s->cpus[nth % s->ncpus] : -1;
			if (pthread_create(&th[nth].tid, NULL, queue_main, &th[nth]) != 0) {
				fprintf(stderr, APP ": cannot start a queue thread\n");
				goto out_stop;
			}
			th[nth].started = true;
		}
		rc = udrv_blk_start(bds[i]);
		if (rc < 0) {
			fprintf(stderr, APP ": %s namespace %u: cannot start %s: %s\n", s->bdf,
				s->nsids[i], in.path, strerror(-rc));
			goto out_stop;
		}
		state_write(in.dev_id, s->bdf, in.nsid, (int)getpid());
		printf("%s %s: %s namespace %u, %llu bytes (%.2f GiB), %u-byte blocks, %u queue%s "
		       "of depth %u, up to %u KiB per request%s%s%s\n", in.path,
		       s->recover ? "recovered" : "ready", s->bdf, in.nsid,
		       (unsigned long long)in.size_bytes, in.size_bytes / 1073741824.0, in.lba_size,
		       in.queues, in.queues == 1 ? "" : "s", in.depth, in.max_io_bytes / 1024,
		       in.volatile_cache ? ", volatile write cache" : "",
		       in.discard ? ", discard" : "", in.write_zeroes ? ", write zeroes" : "");
		fflush(stdout);
	}
	sig = wait_signals(s, dev, bds, s->nns);
	if (sig == SIGUSR2) {
		fprintf(stderr, APP ": %s: the controller is being removed (hot-unplug): failing "
			"its I/O, removing the devices\n", s->bdf);
		removed = true;
	} else {
		printf("%s: stopping: draining I/O, flushing the write cache, removing the "
		       "devices\n", strsignal(sig));
		fflush(stdout);
		status = 0;
	}

out_stop:
	for (i = 0; i < made; i++)
		if (udrv_blk_stop(bds[i]) < 0)
			status = 1;
	for (i = 0; i < nth; i++)
		if (th[i].started) {
			pthread_join(th[i].tid, NULL);
			if (th[i].rc < 0)
				status = 1;
		}
	for (i = 0; i < made; i++) {
		udrv_blk_info(bds[i], &in);
		udrv_blk_destroy(bds[i]);
		state_remove(in.dev_id);
		if (status == 0 || removed)
			printf("%s removed\n", in.path);
	}
	fflush(stdout);
out_close:
	free(th);
	udrv_nvme_ctrl_close(ctrl);
	udrv_dev_close(dev);
	return status;
}

static void usage_serve(FILE *f)
{
	fputs(help_serve, f);
}

static int parse_serve(int argc, char **argv, struct srv *s, bool recover)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' }, { "nsid", required_argument, NULL, 'n' },
		{ "queues", required_argument, NULL, 'q' }, { "depth", required_argument, NULL, 'D' },
		{ "cpus", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
		{ "nap-us", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	memset(s, 0, sizeof(*s));
	s->queues = 1;
	s->recover = recover;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:n:q:D:c:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'd': s->bdf = optarg; break;
		case 'n':
			if (recover) {
				fprintf(stderr, APP ": recover: the namespaces come from the devices\n");
				return 2;
			}
			if (s->nns >= MAX_NS) {
				fprintf(stderr, APP ": at most %d namespaces\n", MAX_NS);
				return 2;
			}
			if (parse_uint("--nsid", optarg, UINT32_MAX - 1, &v) < 0 || v == 0) {
				fprintf(stderr, APP ": --nsid: namespace ids start at 1\n");
				return 2;
			}
			s->nsids[s->nns++] = (uint32_t)v;
			break;
		case 'q':
			if (parse_uint("--queues", optarg, 64, &v) < 0 || v == 0)
				return 2;
			s->queues = (unsigned)v;
			break;
		case 'D':
			if (parse_uint("--depth", optarg, 4096, &v) < 0 || v < 2) {
				fprintf(stderr, APP ": --depth: 2 to 4096\n");
				return 2;
			}
			s->depth = (unsigned)v;
			break;
		case 'c':
			if (parse_cpus(optarg, s->cpus, MAX_CPUS, &s->ncpus) < 0)
				return 2;
			break;
		case 'N':
			if (parse_uint("--nap-us", optarg, 10000, &v) < 0)
				return 2;
			s->nap_us = (unsigned)v;
			break;
		case 'v': s->status_every = 5; break;
		case 'h': return 1;
		default: return 2;
		}
	}
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct srv s;
	int rc = parse_serve(argc, argv, &s, false);

	if (rc == 1) {
		usage_serve(stdout);
		return 0;
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, APP ": serve: unexpected argument '%s'\n", argv[optind]);
		rc = 2;
	}
	if (rc == 0 && !s.bdf) {
		fprintf(stderr, APP ": serve: give the controller with -d BDF (e.g. -d 0000:01:00.0)\n");
		rc = 2;
	}
	if (rc) {
		usage_serve(stderr);
		return rc;
	}
	return srv_run(&s);
}

static void usage_recover(FILE *f)
{
	fputs(help_recover, f);
}

int cmd_recover(int argc, char **argv)
{
	uint32_t ids[MAX_NS * 4];
	char bdf[64], first[64] = "";
	struct srv s;
	unsigned n, i;
	int rc = parse_serve(argc, argv, &s, true), pid;

	if (rc == 1) {
		usage_recover(stdout);
		return 0;
	}
	if (rc) {
		usage_recover(stderr);
		return rc;
	}
	if (optind < argc) {
		n = 0;
		for (; optind < argc && n < MAX_NS; optind++) {
			unsigned long v;
			const char *a = argv[optind];

			if (!strncmp(a, "/dev/ublkb", 10))
				a += 10;
			else if (!strncmp(a, "ublkb", 5))
				a += 5;
			else if (!strncmp(a, "ublk", 4))
				a += 4;
			if (parse_uint("device", a, 1u << 20, &v) < 0)
				return 2;
			ids[n++] = (uint32_t)v;
		}
	} else {
		n = state_list(ids, MAX_NS * 4);
	}
	for (i = 0; i < n; i++) {
		struct udrv_blk_query q;
		uint32_t nsid;

		if (udrv_blk_query(ids[i], &q) < 0) {
			fprintf(stderr, APP ": ublk%u no longer exists\n", ids[i]);
			state_remove(ids[i]);
			continue;
		}
		if (state_read(ids[i], bdf, sizeof(bdf), &nsid, &pid) < 0) {
			fprintf(stderr, APP ": ublk%u: no state file: not made by udrv-blk, or %s "
				"was cleared\n", ids[i], getenv("UDRV_BLK_RUN_DIR") ?
				getenv("UDRV_BLK_RUN_DIR") : "/run/udrv-blk");
			return 1;
		}
		if (q.state == UDRV_BLK_LIVE && q.pid > 0 && kill(q.pid, 0) == 0) {
			if (argc > optind || s.bdf) /* named: say why it is skipped */
				fprintf(stderr, APP ": ublk%u is served by process %d: skipped\n",
					ids[i], q.pid);
			continue;
		}
		if (s.bdf && strcmp(s.bdf, bdf) != 0)
			continue;
		if (*first && strcmp(first, bdf) != 0) {
			fprintf(stderr, APP ": devices of two controllers (%s, %s) need recovery: "
				"run one 'udrv-blk recover -d BDF' for each\n", first, bdf);
			return 2;
		}
		snprintf(first, sizeof(first), "%s", bdf);
		if (s.nns >= MAX_NS)
			break;
		s.nsids[s.nns] = nsid;
		s.recover_ids[s.nns++] = (int32_t)ids[i];
	}
	if (s.nns == 0) {
		fprintf(stderr, APP ": no udrv-blk device needs recovery (udrv-blk list)\n");
		return 1;
	}
	s.bdf = strdup(first);
	rc = srv_run(&s);
	free((void *)s.bdf);
	return rc;
}

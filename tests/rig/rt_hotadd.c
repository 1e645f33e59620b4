/* SPDX-License-Identifier: MIT */
/*
 * hot_add__device_joins_running_process_container_and_memory: while this
 * process runs I/O on NVMe controller A and NIC port A, the host adds
 * controller B and then NIC port B behind free root ports (QMP device_add
 * from tests/rig/hook-hotplug.py). Each is bound to vfio-pci and opened by
 * this process: its group joins the one VFIO container, and DMA memory
 * allocated before it existed (already mapped) serves its I/O. Then it is
 * removed (device_del), added again at the same address and reopened, and
 * works again; A keeps running with 0 errors throughout. The embedder's
 * sequence is in docs/design.md ("Hot-add").
 *
 * Rig only: needs the hook, --spare-port 2, --spare-image and --spare-netdev.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <time.h>

#include <udrv/net.h>
#include <udrv/nvme.h>

#include "rigtest.h"

#define ETHERTYPE_TEST 0x88b5 /* IEEE local experimental */

static const char *run_dir;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sysfs_write(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	RT_CHECK(f && fputs(val, f) >= 0 && fclose(f) == 0, "cannot write %s to %s", val, path);
}

/* A write that may fail while the device is still being added. */
static bool try_write(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	return f && (fputs(val, f) >= 0) + (fclose(f) == 0) == 2;
}

static void signal_host(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", run_dir, name);
	sysfs_write(path, "");
}

static void wait_file(const char *name, double limit)
{
	char path[PATH_MAX];
	double t0 = now_s();

	snprintf(path, sizeof(path), "%s/%s", run_dir, name);
	while (access(path, F_OK)) {
		RT_CHECK(now_s() - t0 < limit, "%s did not appear within %.0f s", path, limit);
		usleep(50000);
	}
}

/* The device the host added below root port rp, bound to vfio-pci: the
 * embedder's steps (driver_override, drivers_probe; udrv-setup bind does the
 * same). */
static void bind_added(const char *rp, char bdf[UDRV_BDF_STRLEN])
{
	char path[PATH_MAX];
	double t0 = now_s();

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", rp);
	for (bdf[0] = '\0'; !bdf[0];) {
		DIR *d = opendir(path);
		struct dirent *e;

		RT_CHECK(d, "cannot list %s", path);
		while ((e = readdir(d)))
			if (strlen(e->d_name) == UDRV_BDF_STRLEN - 1 && e->d_name[4] == ':')
				snprintf(bdf, UDRV_BDF_STRLEN, "%s", e->d_name);
		closedir(d);
		RT_CHECK(bdf[0] || now_s() - t0 < 30, "no device below %s 30 s after device_add", rp);
		if (!bdf[0])
			usleep(100000);
	}
	/* The PCI core attaches a driver to a hot-added device itself
	 * (pci_bus_add_device calls device_attach: drivers_autoprobe does not
	 * stop it), so the kernel's nvme or virtio driver may take it first:
	 * override, unbind whatever took it, probe, until vfio-pci has it. */
	for (double t1 = now_s();;) {
		char drv[PATH_MAX], unbind[PATH_MAX + 16], ovr[PATH_MAX];

		/* The attributes appear a moment after the device's directory. */
		snprintf(ovr, sizeof(ovr), "/sys/bus/pci/devices/%s/driver_override", bdf);
		try_write(ovr, "vfio-pci");

		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/%s", bdf);
		if (access(path, F_OK) == 0)
			break;
		RT_CHECK(now_s() - t1 < 20, "%s is not on vfio-pci 20 s after device_add", bdf);
		snprintf(drv, sizeof(drv), "/sys/bus/pci/devices/%s/driver", bdf);
		if (access(drv, F_OK) == 0) {
			snprintf(unbind, sizeof(unbind), "%s/unbind", drv);
			try_write(unbind, bdf);
		}
		try_write("/sys/bus/pci/drivers_probe", bdf);
		if (access(path, F_OK))
			usleep(100000);
	}
	/* devtmpfs creates /dev/vfio/GROUP a moment after the bind. */
	{
		char link[PATH_MAX], grp[PATH_MAX];
		ssize_t n;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
		n = readlink(path, link, sizeof(link) - 1);
		RT_CHECK(n > 0, "%s has no IOMMU group", bdf);
		link[n] = '\0';
		snprintf(grp, sizeof(grp), "/dev/vfio/%s", strrchr(link, '/') + 1);
		for (double t1 = now_s(); access(grp, F_OK);) {
			RT_CHECK(now_s() - t1 < 10, "%s did not appear", grp);
			usleep(20000);
		}
	}
	printf("%s: added below %s, bound to vfio-pci %.1f s after device_add\n", bdf, rp,
	       now_s() - t0);
}

/* Open VFIO containers in this process: hot-added devices must join the one. */
static int containers(void)
{
	char path[300], target[PATH_MAX];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	RT_CHECK(d, "cannot list /proc/self/fd");
	while ((e = readdir(d))) {
		ssize_t l;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		l = readlink(path, target, sizeof(target) - 1);
		if (l > 0) {
			target[l] = '\0';
			n += !strcmp(target, "/dev/vfio/vfio");
		}
	}
	closedir(d);
	return n;
}

/* ---- NVMe controller A: a thread keeps 8 reads and writes in flight. */
struct nvme_a {
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_ns_info ns;
	uint8_t *buf;
	uint64_t done, errors, rng;
	int stop;
	struct udrv_nvme_qpair *qp;
};

static void a_done(void *arg, const struct udrv_nvme_cpl *cpl);

static int a_submit(struct nvme_a *a, unsigned slot)
{
	uint64_t lba;

	a->rng = a->rng * 6364136223846793005ull + 1442695040888963407ull;
	lba = (a->rng >> 16) % (a->ns.blocks - 8);
	if (slot & 1)
		return udrv_nvme_write(a->qp, a->ns.nsid, a->buf + slot * 4096, lba, 1, 0, a_done,
				       (void *)(uintptr_t)slot);
	return udrv_nvme_read(a->qp, a->ns.nsid, a->buf + slot * 4096, lba, 1, 0, a_done,
			      (void *)(uintptr_t)slot);
}

static struct nvme_a *the_a;

static void a_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	the_a->done++;
	if (!UDRV_NVME_STATUS_OK(cpl->status))
		the_a->errors++;
	if (!__atomic_load_n(&the_a->stop, __ATOMIC_ACQUIRE) && a_submit(the_a, (unsigned)(uintptr_t)arg))
		the_a->errors++;
}

static void *nvme_a_thread(void *arg)
{
	struct nvme_a *a = arg;

	RT_OK(udrv_nvme_qpair_create(a->ctrl, NULL, &a->qp));
	for (unsigned i = 0; i < 8; i++)
		RT_OK(a_submit(a, i));
	while (udrv_nvme_qpair_outstanding(a->qp))
		if (udrv_nvme_qpair_poll(a->qp, 0) < 0)
			a->errors++;
	udrv_nvme_qpair_destroy(a->qp);
	return NULL;
}

/* ---- NVMe controller B: write, read back, compare with DMA memory that
 * was allocated before B existed. */
static void b_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	*(int *)arg = UDRV_NVME_STATUS_OK(cpl->status) ? 1 : -1;
}

static void nvme_b_io(struct udrv_dev *dev, uint8_t *buf, bool write, uint8_t seed)
{
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_qpair *qp;
	struct udrv_nvme_ns_info ns;
	int st = 0;

	RT_OK(udrv_nvme_ctrl_open(dev, NULL, &ctrl));
	RT_OK(udrv_nvme_ns_info(ctrl, 0, &ns));
	RT_OK(udrv_nvme_qpair_create(ctrl, NULL, &qp));
	if (write) {
		for (unsigned i = 0; i < 65536; i++)
			buf[i] = (uint8_t)(i * 7 + seed);
		RT_OK(udrv_nvme_write(qp, ns.nsid, buf, 0, 65536 / ns.lba_size, 0, b_done, &st));
		while (!st)
			RT_CHECK(udrv_nvme_qpair_poll(qp, 0) >= 0, "B failed during the write");
		RT_CHECK(st == 1, "B: the write failed");
	}
	memset(buf, 0, 65536);
	st = 0;
	RT_OK(udrv_nvme_read(qp, ns.nsid, buf, 0, 65536 / ns.lba_size, 0, b_done, &st));
	while (!st)
		RT_CHECK(udrv_nvme_qpair_poll(qp, 0) >= 0, "B failed during the read");
	RT_CHECK(st == 1, "B: the read failed");
	for (unsigned i = 0; i < 65536; i++)
		RT_CHECK(buf[i] == (uint8_t)(i * 7 + seed), "B: byte %u reads 0x%02x", i, buf[i]);
	udrv_nvme_qpair_destroy(qp);
	udrv_nvme_ctrl_close(ctrl);
}

/* ---- NIC port A: a thread sends a frame per millisecond and counts B's. */
struct nic_a {
	struct udrv_net_port *port;
	uint64_t sent, from_b, tx_fail;
	int stop;
};

static void frame(struct udrv_pkt *p, const uint8_t src[6], char tag)
{
	uint8_t *d = udrv_pkt_data(p);

	memset(d, 0xff, 6);
	memcpy(d + 6, src, 6);
	d[12] = ETHERTYPE_TEST >> 8;
	d[13] = ETHERTYPE_TEST & 0xff;
	memset(d + 14, tag, 46);
	p->data_len = 60;
	p->pkt_len = 60;
}

static unsigned count_rx(struct udrv_net_port *port, char tag)
{
	struct udrv_pkt *pkts[32];
	uint16_t n = udrv_net_rx_burst(udrv_net_rxq(port, 0), pkts, 32);
	unsigned hits = 0;

	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *d = udrv_pkt_data(pkts[i]);

		hits += pkts[i]->data_len >= 15 && d[12] == (ETHERTYPE_TEST >> 8) &&
			d[13] == (ETHERTYPE_TEST & 0xff) && d[14] == tag;
	}
	udrv_pkt_free_bulk(pkts, n);
	return hits;
}

static void *nic_a_thread(void *arg)
{
	struct nic_a *a = arg;
	uint8_t mac[6];
	double next = now_s();

	udrv_net_mac_get(a->port, mac);
	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_add(&a->from_b, count_rx(a->port, 'B'), __ATOMIC_RELAXED);
		if (now_s() >= next) {
			struct udrv_pkt *p = udrv_pkt_alloc(udrv_net_port_pool(a->port));

			next += 0.001;
			if (p) {
				frame(p, mac, 'A');
				if (udrv_net_tx_burst(udrv_net_txq(a->port, 0), &p, 1) == 1)
					a->sent++;
				else
					udrv_pkt_free(p);
			}
		}
		usleep(100);
	}
	return NULL;
}

/* B sends 200 frames, A must see them; B must see A's. */
static void nic_b_io(const char *bdf, struct nic_a *a)
{
	struct udrv_net_port_opts po = { .size = sizeof(po), .promisc = true };
	struct udrv_net_port *b;
	uint64_t from_b0 = __atomic_load_n(&a->from_b, __ATOMIC_RELAXED);
	unsigned from_a = 0, sent = 0;
	uint8_t mac[6];
	double t0 = now_s();

	RT_OK(udrv_net_open(bdf, &po, &b));
	udrv_net_mac_get(b, mac);
	while (sent < 200 || (from_a < 10 && now_s() - t0 < 10)) {
		struct udrv_pkt *p = sent < 200 ? udrv_pkt_alloc(udrv_net_port_pool(b)) : NULL;

		if (p) {
			frame(p, mac, 'B');
			if (udrv_net_tx_burst(udrv_net_txq(b, 0), &p, 1) == 1)
				sent++;
			else
				udrv_pkt_free(p);
		}
		from_a += count_rx(b, 'A');
		usleep(500);
	}
	for (t0 = now_s(); now_s() - t0 < 1;)
		from_a += count_rx(b, 'A');
	RT_CHECK(from_a >= 10, "%s received %u of A's frames", bdf, from_a);
	RT_CHECK(__atomic_load_n(&a->from_b, __ATOMIC_RELAXED) - from_b0 >= 190,
		 "A received %llu of the 200 frames %s sent",
		 (unsigned long long)(__atomic_load_n(&a->from_b, __ATOMIC_RELAXED) - from_b0), bdf);
	printf("%s: sent 200 frames to A (A counted them), received %u of A's\n", bdf, from_a);
	udrv_net_close(b);
}

/* The host removes the device: the application closes it on REMOVE. */
static void remove_b(struct udrv_dev *dev, const char *step, const char *qemu_id)
{
	char name[64];
	double t0 = now_s();

	signal_host(step);
	while (!(__atomic_load_n(udrv_dev_events(dev), __ATOMIC_ACQUIRE) & UDRV_DEV_EV_REMOVE))
		RT_CHECK(now_s() - t0 < 60, "no removal request for %s", udrv_dev_name(dev));
	udrv_dev_close(dev);
	snprintf(name, sizeof(name), "deleted-%s", qemu_id);
	wait_file(name, 30);
}

int main(void)
{
	char nvme_a[RT_MAX_BDFS][UDRV_BDF_STRLEN], nic_a_bdf[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	char spare[2][UDRV_BDF_STRLEN], b1[UDRV_BDF_STRLEN], b2[UDRV_BDF_STRLEN];
	const char *sp = getenv("UDRV_RIG_SPARE_PORTS");
	struct nvme_a a = { .rng = 1 };
	struct nic_a na = { 0 };
	struct udrv_dev *adev, *bdev;
	pthread_t ta, tn;
	uint8_t *bbuf;
	uint64_t done_before;

	run_dir = getenv("UDRV_RIG_RUN");
	if (!run_dir || !sp || sscanf(sp, "%12s %12s", spare[0], spare[1]) != 2)
		rt_skip("needs the rig with --spare-port 2 and the hot-plug hook");
	rt_bdfs("UDRV_TEST_NVME", nvme_a, 1);
	rt_bdfs("UDRV_RIG_VIRTIO", nic_a_bdf, 1);

	/* A: I/O running on its own threads from here to the end. */
	RT_OK(udrv_dev_open(nvme_a[0], &adev));
	RT_OK(udrv_nvme_ctrl_open(adev, NULL, &a.ctrl));
	RT_OK(udrv_nvme_ns_info(a.ctrl, 0, &a.ns));
	RT_OK(udrv_dma_alloc(8 * 4096, 4096, (void **)&a.buf, NULL));
	the_a = &a;
	RT_CHECK(pthread_create(&ta, NULL, nvme_a_thread, &a) == 0, "thread");
	RT_OK(udrv_net_open(nic_a_bdf[0], &(struct udrv_net_port_opts){ .size = sizeof(struct udrv_net_port_opts), .promisc = true }, &na.port));
	RT_CHECK(pthread_create(&tn, NULL, nic_a_thread, &na) == 0, "thread");
	/* B's buffer exists before B does: already mapped in the container. */
	RT_OK(udrv_dma_alloc(65536, 4096, (void **)&bbuf, NULL));
	RT_CHECK(containers() == 1, "%d VFIO containers open", containers());

	/* NVMe B: add, open in this process, I/O; remove; add again, reopen. */
	signal_host("add-nvme");
	wait_file("done-add-nvme", 60);
	bind_added(spare[0], b1);
	done_before = __atomic_load_n(&a.done, __ATOMIC_RELAXED);
	RT_OK(udrv_dev_open(b1, &bdev));
	RT_CHECK(containers() == 1, "B opened a second container (%d)", containers());
	nvme_b_io(bdev, bbuf, true, 0x42);
	printf("%s: wrote and read back 64 KiB through the shared container\n", b1);
	remove_b(bdev, "del-nvme", "hotb");
	signal_host("add-nvme-again");
	wait_file("done-add-nvme-again", 60);
	bind_added(spare[0], b2);
	RT_CHECK(!strcmp(b1, b2), "re-added at %s, not at %s", b2, b1);
	RT_OK(udrv_dev_open(b2, &bdev));
	RT_CHECK(containers() == 1, "the re-added B opened a second container");
	nvme_b_io(bdev, bbuf, false, 0x42); /* the data written before the removal */
	printf("%s: re-added at the same address, reopened, reads the data written before\n", b2);
	udrv_dev_close(bdev);
	RT_CHECK(__atomic_load_n(&a.done, __ATOMIC_RELAXED) > done_before, "A made no progress");

	/* NIC B: the same. */
	signal_host("add-nic");
	wait_file("done-add-nic", 60);
	bind_added(spare[1], b1);
	nic_b_io(b1, &na);
	{
		struct udrv_net_port *b;
		struct udrv_net_port_opts po = { .size = sizeof(po) };

		RT_OK(udrv_net_open(b1, &po, &b));
		signal_host("del-nic");
		for (double t0 = now_s(); !(__atomic_load_n(udrv_dev_events(udrv_net_port_dev(b)),
							       __ATOMIC_ACQUIRE) & UDRV_DEV_EV_REMOVE);)
			RT_CHECK(now_s() - t0 < 60, "no removal request for %s", b1);
		udrv_net_close(b);
		wait_file("deleted-hotn", 30);
	}
	signal_host("add-nic-again");
	wait_file("done-add-nic-again", 60);
	bind_added(spare[1], b2);
	RT_CHECK(!strcmp(b1, b2), "NIC re-added at %s, not at %s", b2, b1);
	nic_b_io(b2, &na);
	RT_CHECK(containers() == 1, "%d VFIO containers open at the end", containers());

	/* A ran throughout with no error. */
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&na.stop, 1, __ATOMIC_RELEASE);
	pthread_join(ta, NULL);
	pthread_join(tn, NULL);
	printf("%s: %llu I/Os, %llu errors; %s: %llu frames sent, %llu received from B\n", nvme_a[0],
	       (unsigned long long)a.done, (unsigned long long)a.errors, nic_a_bdf[0],
	       (unsigned long long)na.sent, (unsigned long long)na.from_b);
	RT_CHECK(a.errors == 0 && a.done > 0, "NVMe A had %llu errors", (unsigned long long)a.errors);
	RT_CHECK(na.sent > 0 && na.from_b >= 380, "NIC A saw %llu of B's frames",
		 (unsigned long long)na.from_b);
	udrv_net_close(na.port);
	udrv_nvme_ctrl_close(a.ctrl);
	udrv_dev_close(adev);
	udrv_dma_free(a.buf);
	udrv_dma_free(bbuf);
	udrv_fini();
	return 0;
}

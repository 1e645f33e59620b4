/* SPDX-License-Identifier: MIT */
/*
 * Controller bring-up and teardown (base spec 3.5.1 "Memory-based
 * controller initialization"), identify, namespaces, and failure detection.
 */
#include <errno.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/dev.h>

#include "nvme_priv.h"

uint64_t udrvi_nvme_ticks_per_ms = 1000000;
static pthread_once_t ticks_once = PTHREAD_ONCE_INIT;

#define mono_ns nvme_now_ns

static void ticks_calibrate(void)
{
#if defined(__x86_64__)
	/* 1 ms is plenty: the rate only sets coarse timeouts (check interval
	 * timeout/4), and every start-up pays this sleep. */
	struct timespec nap = { .tv_sec = 0, .tv_nsec = 1000000 };
	uint64_t t0 = mono_ns(), c0 = udrvi_nvme_ticks(), t1, c1;

	nanosleep(&nap, NULL);
	t1 = mono_ns();
	c1 = udrvi_nvme_ticks();
	if (t1 > t0 && c1 > c0)
		udrvi_nvme_ticks_per_ms = (c1 - c0) * 1000000ull / (t1 - t0);
	if (udrvi_nvme_ticks_per_ms == 0)
		udrvi_nvme_ticks_per_ms = 1;
#endif
}

void udrvi_nvme_ticks_init(void)
{
	pthread_once(&ticks_once, ticks_calibrate);
}

uint32_t udrvi_nvme_csts(struct udrv_nvme_ctrl *ctrl)
{
	return nvme_rd32(ctrl, NVME_REG_CSTS);
}

void udrvi_nvme_ctrl_fail(struct udrv_nvme_ctrl *ctrl, const char *why)
{
	if (atomic_exchange(&ctrl->failed, true))
		return;
	atomic_fetch_add(&ctrl->epoch, 1); /* closes every qpair's gate */
	NVME_LOG_ERR(ctrl, "controller failed: %s. Outstanding requests complete with an abort "
		     "status; close the controller, then check the device (dmesg, lspci) and "
		     "reset or re-bind it", why);
	udrv_dev_raise_event(ctrl->dev, UDRV_DEV_EV_FAILED);
}

/* false (and the controller marked failed) if the device is gone or fatal. */
bool udrvi_nvme_health_check(struct udrv_nvme_ctrl *ctrl)
{
	uint32_t csts, ev = *ctrl->events;

	if (atomic_load(&ctrl->failed))
		return false;
	if (ev & UDRV_DEV_EV_REMOVE) {
		udrvi_nvme_ctrl_fail(ctrl, "the device is being removed (hot-unplug request)");
		return false;
	}
	if (ev & UDRV_DEV_EV_FAILED) {
		udrvi_nvme_ctrl_fail(ctrl, "the device was declared failed");
		return false;
	}
	csts = udrvi_nvme_csts(ctrl);
	if (csts == UINT32_MAX) {
		udrvi_nvme_ctrl_fail(ctrl, "registers read as all ones: the device is gone "
				     "(surprise removal or link down)");
		return false;
	}
	if (NVME_GET(CSTS_CFS, csts)) {
		udrvi_nvme_ctrl_fail(ctrl, "CSTS.CFS is set: controller fatal status");
		return false;
	}
	return true;
}

static int wait_rdy(struct udrv_nvme_ctrl *ctrl, uint32_t want)
{
	uint64_t deadline = mono_ns() + (uint64_t)ctrl->to_ms * 1000000ull;
	struct timespec nap = { .tv_sec = 0, .tv_nsec = 50000 };

	for (;;) {
		uint32_t csts = udrvi_nvme_csts(ctrl);

		if (csts == UINT32_MAX) {
			udrvi_nvme_ctrl_fail(ctrl, "CSTS reads as all ones during enable/disable: "
					     "the device is gone");
			return -ENODEV;
		}
		if (want && NVME_GET(CSTS_CFS, csts)) {
			udrvi_nvme_ctrl_fail(ctrl, "CSTS.CFS set while enabling the controller");
			return -EIO;
		}
		if (NVME_GET(CSTS_RDY, csts) == want)
			return 0;
		if (mono_ns() > deadline) {
			NVME_LOG_ERR(ctrl, "CSTS.RDY did not become %u within CAP.TO (%u ms); the "
				     "controller is stuck: reset the device (udrv-setup reset) or power "
				     "cycle it", want, ctrl->to_ms);
			return -ETIMEDOUT;
		}
		if (!udrvi_model_waiting(ctrl->dev))
			nanosleep(&nap, NULL);
	}
}

/* CC.EN = 0 and wait for CSTS.RDY = 0 (3.5.2). */
int udrvi_nvme_ctrl_disable(struct udrv_nvme_ctrl *ctrl)
{
	uint32_t cc = nvme_rd32(ctrl, NVME_REG_CC);

	if (cc == UINT32_MAX)
		return wait_rdy(ctrl, 0);
	if (NVME_GET(CC_EN, cc))
		nvme_wr32(ctrl, NVME_REG_CC, cc & ~(uint32_t)NVME_SET(CC_EN, 1));
	/* Also when EN was already 0: RDY may still be 1 from an earlier reset. */
	return wait_rdy(ctrl, 0);
}

/* Disable, program the admin queue, enable and wait for ready (3.5.1). */
int udrvi_nvme_ctrl_enable(struct udrv_nvme_ctrl *ctrl)
{
	struct udrv_nvme_qpair *aq = ctrl->admin;
	uint64_t t0 = nvme_now_ns();
	int rc;

	rc = udrvi_nvme_ctrl_disable(ctrl);
	if (rc < 0)
		return rc;
	NVME_TIMING(ctrl, "nvme disable (CSTS.RDY = 0)", t0);
	t0 = nvme_now_ns();
	udrvi_nvme_qpair_reset_rings(aq);
	nvme_wr32(ctrl, NVME_REG_AQA, (uint32_t)(NVME_SET(AQA_ASQS, aq->qsize - 1u) |
						  NVME_SET(AQA_ACQS, aq->qsize - 1u)));
	udrv_mmio_write64(ctrl->bar, NVME_REG_ASQ, aq->sq_iova);
	udrv_mmio_write64(ctrl->bar, NVME_REG_ACQ, aq->cq_iova);
	/* NVM command set, 4 KiB pages, round robin, 64-byte SQEs, 16-byte CQEs. */
	ctrl->cc = (uint32_t)(NVME_SET(CC_CSS, 0) | NVME_SET(CC_MPS, 0) | NVME_SET(CC_AMS, 0) |
			      NVME_SET(CC_IOSQES, 6) | NVME_SET(CC_IOCQES, 4));
	nvme_wr32(ctrl, NVME_REG_CC, ctrl->cc);
	nvme_wr32(ctrl, NVME_REG_CC, ctrl->cc | (uint32_t)NVME_SET(CC_EN, 1));
	rc = wait_rdy(ctrl, 1);
	NVME_TIMING(ctrl, "nvme enable (CSTS.RDY = 1)", t0);
	return rc;
}

static void copy_str(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : ' ';
	while (n && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

static int identify_ctrl(struct udrv_nvme_ctrl *ctrl)
{
	const uint8_t *id = ctrl->bounce;
	struct udrv_nvme_ctrl_info *in = &ctrl->info;
	uint8_t mdts;
	uint32_t cap_xfer;
	int rc;

	rc = udrvi_nvme_identify(ctrl, NVME_CNS_CTRL, 0);
	if (rc < 0)
		return rc;
	in->vid = nvme_le16(id + NVME_IDC_VID);
	in->ssvid = nvme_le16(id + NVME_IDC_SSVID);
	copy_str(in->serial, id + NVME_IDC_SN, 20);
	copy_str(in->model, id + NVME_IDC_MN, 40);
	copy_str(in->firmware, id + NVME_IDC_FR, 8);
	mdts = id[NVME_IDC_MDTS];
	/* MDTS is in units of CAP.MPSMIN; udrv requires MPSMIN = 4 KiB. */
	in->mdts_bytes = mdts == 0 ? 0 : mdts >= 20 ? 0x80000000u : NVME_PAGE_SIZE << mdts;
	in->oacs = nvme_le16(id + NVME_IDC_OACS);
	in->oncs = nvme_le16(id + NVME_IDC_ONCS);
	in->nn = nvme_le32(id + NVME_IDC_NN);
	in->vwc = id[NVME_IDC_VWC] & 1;
	in->sgl = (nvme_le32(id + NVME_IDC_SGLS) & NVME_SGLS_SUPPORTED_MASK) != 0;
	in->shadow_db = (in->oacs & NVME_OACS_DBBUF) != 0;
	if ((id[NVME_IDC_SQES] & 0xf) > 6 || (id[NVME_IDC_CQES] & 0xf) > 4) {
		NVME_LOG_ERR(ctrl, "controller requires SQ/CQ entries larger than 64/16 bytes "
			     "(SQES 0x%02x CQES 0x%02x); udrv does not support it",
			     id[NVME_IDC_SQES], id[NVME_IDC_CQES]);
		return -EOPNOTSUPP;
	}
	cap_xfer = ctrl->opts.max_xfer;
	if (cap_xfer > NVME_DEFAULT_MAX_XFER)
		cap_xfer = NVME_DEFAULT_MAX_XFER;
	if (in->mdts_bytes && in->mdts_bytes < cap_xfer)
		cap_xfer = in->mdts_bytes;
	in->max_xfer_bytes = cap_xfer & ~(NVME_PAGE_SIZE - 1);
	in->sgl_used = in->sgl && !(ctrl->opts.flags & UDRV_NVME_CTRL_NO_SGL);
	return 0;
}

static int scan_namespaces(struct udrv_nvme_ctrl *ctrl)
{
	uint32_t list[1024], n = 0, i, max_nsid = 0;
	int rc;

	if (ctrl->info.version >= NVME_VS(1, 1)) {
		rc = udrvi_nvme_identify(ctrl, NVME_CNS_ACTIVE_NS_LIST, 0);
		if (rc < 0)
			return rc;
		for (i = 0; i < 1024; i++) {
			uint32_t nsid = nvme_le32((const uint8_t *)ctrl->bounce + 4 * i);

			/* The list is increasing; stop at the first zero or bogus entry. */
			if (nsid == 0 || nsid > ctrl->info.nn || (n && nsid <= list[n - 1]))
				break;
			/* The namespace table is indexed by nsid: what Identify says
			 * must not size it beyond reason (a lying device could ask
			 * for tens of GiB). Later entries are larger still. */
			if (nsid > NVME_MAX_NSID) {
				NVME_LOG_WARN(ctrl, "namespace ids from %u on are not driven: udrv "
					      "drives namespace ids up to %u (Identify reports NN "
					      "%u)", nsid, NVME_MAX_NSID, ctrl->info.nn);
				break;
			}
			list[n++] = nsid;
		}
	} else {
		for (i = 1; i <= ctrl->info.nn && i <= 1024; i++)
			list[n++] = i;
	}
	if (n)
		max_nsid = list[n - 1];
	ctrl->ns_tab = calloc(max_nsid ? max_nsid : 1, sizeof(*ctrl->ns_tab));
	ctrl->active = calloc(n ? n : 1, sizeof(*ctrl->active));
	if (!ctrl->ns_tab || !ctrl->active)
		return -ENOMEM;
	ctrl->nn_tab = max_nsid;
	for (i = 0; i < n; i++) {
		const uint8_t *id = ctrl->bounce;
		struct nvme_ns *ns = &ctrl->ns_tab[list[i] - 1];
		uint32_t lbaf, lbads;
		uint8_t fmt;

		rc = udrvi_nvme_identify(ctrl, NVME_CNS_NS, list[i]);
		if (rc < 0)
			return rc;
		fmt = id[NVME_IDN_FLBAS] & 0xf;
		if (fmt > id[NVME_IDN_NLBAF])
			fmt = 0;
		lbaf = nvme_le32(id + NVME_IDN_LBAF + 4 * fmt);
		lbads = NVME_GET(LBAF_LBADS, lbaf);
		/* The size in bytes must fit 64 bits (capacity_bytes, byte offsets). */
		if (lbads < 9 || lbads > 16 || nvme_le64(id + NVME_IDN_NSZE) == 0 ||
		    nvme_le64(id + NVME_IDN_NSZE) > UINT64_MAX >> lbads) {
			NVME_LOG_WARN(ctrl, "namespace %u: LBA data size 2^%u or size %llu not usable; "
				      "skipped", list[i], lbads,
				      (unsigned long long)nvme_le64(id + NVME_IDN_NSZE));
			continue;
		}
		/* Inactive entries keep blocks = 0, which fails every range check. */
		ns->nsid = list[i];
		ns->blocks = nvme_le64(id + NVME_IDN_NSZE);
		ns->ms = (uint16_t)NVME_GET(LBAF_MS, lbaf);
		ns->lba_shift = lbads;
		ctrl->active[ctrl->n_active++] = list[i];
	}
	return 0;
}

static void free_ctrl(struct udrv_nvme_ctrl *ctrl)
{
	udrvi_nvme_qpair_free(ctrl->admin);
	if (!ctrl->revoked) {
		udrv_dma_free(ctrl->dbbuf);
		udrv_dma_free(ctrl->eibuf);
		udrv_dma_free(ctrl->bounce);
		if (ctrl->claimed)
			udrv_dev_unclaim(ctrl->dev);
	}
	free(ctrl->qid_used);
	free(ctrl->ns_tab);
	free(ctrl->active);
	pthread_mutex_destroy(&ctrl->lock);
	free(ctrl);
}

/* CMB size in bytes, 0 if none. Since NVMe 1.4 a controller that sets
 * CAP.CMBS keeps CMBLOC and CMBSZ at 0 until the host sets CMBMSC.CRE
 * (3.1.22; QEMU 7.2 does exactly this), so set CRE first. CMSE stays clear:
 * the driver only reports the CMB, it never places queues or data there. */
static uint64_t read_cmb_size(struct udrv_nvme_ctrl *ctrl)
{
	uint32_t cmbsz, msc;

	if (NVME_GET(CAP_CMBS, ctrl->cap) && ctrl->bar_len >= NVME_REG_CMBMSC + 8) {
		msc = nvme_rd32(ctrl, NVME_REG_CMBMSC);
		if (msc != UINT32_MAX && !NVME_GET(CMBMSC_CRE, msc))
			nvme_wr32(ctrl, NVME_REG_CMBMSC, msc | (uint32_t)NVME_SET(CMBMSC_CRE, 1u));
	}
	cmbsz = nvme_rd32(ctrl, NVME_REG_CMBSZ);
	if (!cmbsz || cmbsz == UINT32_MAX)
		return 0;
	return (uint64_t)NVME_GET(CMBSZ_SZ, cmbsz) << (12 + 4 * NVME_GET(CMBSZ_SZU, cmbsz));
}

/* true when the CPU is QEMU's TCG (CPUID hypervisor leaf 0x40000000 says
 * "TCGTCGTCGTCG"): the whole machine is emulated, so a doorbell write is a
 * call into the device model, not a VM exit. */
static bool cpu_is_tcg(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31))) /* no hypervisor */
		return false;
	__cpuid(0x40000000, a, b, c, d);
	return b == 0x54474354u && c == 0x43544743u && d == 0x47435447u; /* "TCGT" "CGTC" "GTCG" */
#else
	return false;
#endif
}

/* Shadow doorbells (Doorbell Buffer Config, base spec 2.0, 5.7) exist to
 * save the VM exit of an MMIO doorbell write under a hypervisor such as KVM.
 * Under QEMU TCG there is no exit to save, and the controller then DMA-reads
 * the shadow tail after every command and the shadow head before every
 * completion: measured in the rig, MMIO-only doorbells were faster (docs/
 * nvme.md, "Doorbells"). So they are used when offered, except under TCG,
 * unless a flag forces the choice. */
static bool shadow_db_wanted(const struct udrv_nvme_ctrl *ctrl)
{
	if (!ctrl->info.shadow_db || (ctrl->opts.flags & UDRV_NVME_CTRL_NO_SHADOW_DB))
		return false;
	if (ctrl->opts.flags & UDRV_NVME_CTRL_SHADOW_DB)
		return true;
	if (cpu_is_tcg()) {
		NVME_LOG_INFO(ctrl, "shadow doorbells offered but not used: the CPU is emulated "
			      "(QEMU TCG), where MMIO doorbells are cheaper");
		return false;
	}
	return true;
}

static void setup_shadow_db(struct udrv_nvme_ctrl *ctrl)
{
	if (!shadow_db_wanted(ctrl))
		return;
	if (udrv_dma_alloc(NVME_PAGE_SIZE, NVME_PAGE_SIZE, &ctrl->dbbuf, &ctrl->dbbuf_iova) < 0 ||
	    udrv_dma_alloc(NVME_PAGE_SIZE, NVME_PAGE_SIZE, &ctrl->eibuf, &ctrl->eibuf_iova) < 0 ||
	    udrvi_nvme_dbbuf_config(ctrl) < 0) {
		udrv_dma_free(ctrl->dbbuf);
		udrv_dma_free(ctrl->eibuf);
		ctrl->dbbuf = ctrl->eibuf = NULL;
		return;
	}
	ctrl->info.shadow_db_used = true;
}

/* udrv_fini with the controller open (udrv_dev_claim): fail it, complete
 * every request in flight as aborted, and never touch the device or DMA
 * memory again; the handles stay until the application closes them. */
static void ctrl_revoke(void *arg)
{
	struct udrv_nvme_ctrl *ctrl = arg;

	pthread_mutex_lock(&ctrl->lock);
	udrvi_nvme_ctrl_fail(ctrl, "udrv_fini() was called with the controller open");
	ctrl->revoked = true;
	/* Nothing may read the device handle's event bits once it is freed. */
	ctrl->gone_events = UDRV_DEV_EV_FAILED;
	ctrl->events = &ctrl->gone_events;
	pthread_mutex_unlock(&ctrl->lock);
	for (struct udrv_nvme_qpair *qp = ctrl->qpairs; qp; qp = qp->next)
		udrvi_nvme_qpair_die(qp);
	udrvi_nvme_qpair_die(ctrl->admin);
}

/* An NVMe controller is PCI class 01 08 xx (mass storage, non-volatile memory
 * controller; NVMe base spec 1.4, 2.1.5). Anything else would be judged by
 * a BAR that is not NVMe's ("lacks the NVM command set"): say what it is. */
static int check_pci_class(struct udrv_dev *dev)
{
	uint16_t vendor = 0, device = 0;
	uint8_t cls[3];

	if (udrv_dev_cfg_read(dev, 0x09, cls, sizeof(cls)) < 0)
		return 0; /* unreadable: CAP decides */
	if (cls[2] == 0x01 && cls[1] == 0x08)
		return 0;
	udrv_dev_ids(dev, &vendor, &device);
	udrv_log(UDRV_LOG_ERROR, udrv_dev_name(dev), "not an NVMe controller: PCI %04x:%04x is class "
		 "%02x%02x%02x, NVMe controllers are class 0108xx; %s", vendor, device, cls[2], cls[1],
		 cls[0], cls[2] == 0x02 ? "this is a network controller: open it with udrv_net_open "
		 "(udrv-net)" : "`udrv-setup status` lists the NVMe controllers");
	return -ENODEV;
}

int udrv_nvme_ctrl_open(struct udrv_dev *dev, const struct udrv_nvme_ctrl_opts *opts,
			struct udrv_nvme_ctrl **out)
{
	struct udrv_nvme_ctrl *ctrl;
	void *bar;
	size_t bar_len;
	uint32_t aqs, max_q;
	uint64_t t0;
	int rc;

	if (!dev || !out)
		return -EINVAL;
	rc = check_pci_class(dev);
	if (rc)
		return rc;
	t0 = nvme_now_ns();
	udrvi_nvme_ticks_init();
	ctrl = calloc(1, sizeof(*ctrl));
	if (!ctrl)
		return -ENOMEM;
	ctrl->dev = dev;
	snprintf(ctrl->name_buf, sizeof(ctrl->name_buf), "%s", udrv_dev_name(dev));
	ctrl->name = ctrl->name_buf;
	rc = udrv_dev_claim(dev, "an NVMe controller: close it with udrv_nvme_ctrl_close first",
			    ctrl_revoke, ctrl);
	if (rc < 0) {
		free(ctrl);
		return rc;
	}
	ctrl->claimed = true;
	ctrl->events = udrv_dev_events(dev);
	/* A fresh bring-up judges the device anew: a failure a previous
	 * controller declared on it is history (removal requests are not). */
	udrv_dev_clear_event(dev, UDRV_DEV_EV_FAILED);
	pthread_mutex_init(&ctrl->lock, NULL);
	if (opts) {
		if (opts->size == 0) {
			NVME_LOG_ERR(ctrl, "udrv_nvme_ctrl_opts.size is 0: set it to sizeof(struct "
				     "udrv_nvme_ctrl_opts)");
			rc = -EINVAL;
			goto free_ctrl;
		}
		memcpy(&ctrl->opts, opts, opts->size < sizeof(ctrl->opts) ? opts->size
									    : sizeof(ctrl->opts));
	}
	ctrl->opts.size = sizeof(ctrl->opts);
	if (!ctrl->opts.admin_queue_size)
		ctrl->opts.admin_queue_size = NVME_DEFAULT_ADMIN_QSIZE;
	if (!ctrl->opts.io_queues)
		ctrl->opts.io_queues = 64;
	if (!ctrl->opts.admin_timeout_ms)
		ctrl->opts.admin_timeout_ms = NVME_DEFAULT_TIMEOUT_MS;
	if (!ctrl->opts.max_xfer)
		ctrl->opts.max_xfer = NVME_DEFAULT_MAX_XFER;

	rc = udrv_dev_map_bar(dev, 0, &bar, &bar_len);
	if (rc < 0) {
		NVME_LOG_ERR(ctrl, "cannot map BAR0 (%s): is this an NVMe controller bound to vfio-pci?",
			     strerror(-rc));
		goto free_ctrl;
	}
	ctrl->bar = bar;
	ctrl->bar_len = bar_len;
	if (bar_len < NVME_REG_DBS + 8) {
		NVME_LOG_ERR(ctrl, "BAR0 is %zu bytes, too small for NVMe registers and doorbells",
			     bar_len);
		rc = -ENODEV;
		goto free_ctrl;
	}
	rc = udrv_dev_set_bus_master(dev, true);
	if (rc < 0)
		goto free_ctrl;

	ctrl->cap = udrv_mmio_read64(ctrl->bar, NVME_REG_CAP);
	if (ctrl->cap == UINT64_MAX) {
		NVME_LOG_ERR(ctrl, "CAP reads as all ones: the device is not responding (removed, "
			     "powered down, or in a failed state): reset or re-bind it");
		rc = -ENODEV;
		goto free_ctrl;
	}
	if (!(NVME_GET(CAP_CSS, ctrl->cap) & NVME_CAP_CSS_NVM) || NVME_GET(CAP_MPSMIN, ctrl->cap)) {
		NVME_LOG_ERR(ctrl, "controller lacks the NVM command set or 4 KiB pages (CAP 0x%016llx); "
			     "udrv cannot drive it", (unsigned long long)ctrl->cap);
		rc = -EOPNOTSUPP;
		goto free_ctrl;
	}
	ctrl->dstrd = (uint32_t)NVME_GET(CAP_DSTRD, ctrl->cap);
	ctrl->to_ms = (uint32_t)NVME_GET(CAP_TO, ctrl->cap) * 500u;
	if (!ctrl->to_ms)
		ctrl->to_ms = 500;
	ctrl->info.version = nvme_rd32(ctrl, NVME_REG_VS);
	ctrl->info.timeout_ms = ctrl->to_ms;
	ctrl->info.doorbell_stride = 4u << ctrl->dstrd;
	ctrl->info.max_queue_entries = (uint32_t)NVME_GET(CAP_MQES, ctrl->cap) + 1u;
	if (ctrl->info.max_queue_entries < 2) {
		NVME_LOG_ERR(ctrl, "CAP.MQES is 0: invalid");
		rc = -EIO;
		goto free_ctrl;
	}
	ctrl->info.cmb_bytes = read_cmb_size(ctrl);
	/* Doorbells for queue ids up to max_q must lie inside the BAR. */
	max_q = (uint32_t)((bar_len - NVME_REG_DBS) / (2u * ctrl->info.doorbell_stride)) - 1u;
	if (ctrl->opts.io_queues > max_q)
		ctrl->opts.io_queues = max_q;
	if (ctrl->opts.io_queues > 65535)
		ctrl->opts.io_queues = 65535;
	ctrl->info.max_xfer_bytes = ctrl->opts.max_xfer > NVME_DEFAULT_MAX_XFER ?
					    NVME_DEFAULT_MAX_XFER : ctrl->opts.max_xfer;

	rc = udrv_dma_alloc(NVME_PAGE_SIZE, NVME_PAGE_SIZE, &ctrl->bounce, &ctrl->bounce_iova);
	if (rc < 0)
		goto free_ctrl;
	aqs = ctrl->opts.admin_queue_size;
	if (aqs > ctrl->info.max_queue_entries)
		aqs = ctrl->info.max_queue_entries;
	if (aqs > NVME_MAX_QUEUE_SIZE)
		aqs = NVME_MAX_QUEUE_SIZE;
	if (aqs < 2)
		aqs = 2;
	while (aqs & (aqs - 1))
		aqs &= aqs - 1;
	rc = udrvi_nvme_qpair_alloc(ctrl, 0, aqs, ctrl->opts.admin_timeout_ms, &ctrl->admin);
	if (rc < 0)
		goto free_ctrl;

	NVME_TIMING(ctrl, "nvme registers, admin queue memory", t0);
	pthread_mutex_lock(&ctrl->lock);
	rc = udrvi_nvme_ctrl_enable(ctrl);
	t0 = nvme_now_ns();
	if (rc == 0)
		rc = identify_ctrl(ctrl);
	if (rc == 0)
		rc = udrvi_nvme_set_num_queues(ctrl);
	if (rc == 0)
		setup_shadow_db(ctrl);
	NVME_TIMING(ctrl, "nvme identify, queue count, shadow doorbells", t0);
	t0 = nvme_now_ns();
	if (rc == 0)
		rc = scan_namespaces(ctrl);
	NVME_TIMING(ctrl, "nvme namespaces", t0);
	pthread_mutex_unlock(&ctrl->lock);
	if (rc < 0)
		goto disable;
	ctrl->qid_used = calloc(ctrl->info.io_queues + 1u, 1);
	if (!ctrl->qid_used) {
		rc = -ENOMEM;
		goto disable;
	}
	NVME_LOG_INFO(ctrl, "NVMe %u.%u controller \"%s\" ready: %u I/O queues, %u namespaces, "
		      "max transfer %u bytes%s%s", ctrl->info.version >> 16,
		      (ctrl->info.version >> 8) & 0xff, ctrl->info.model, ctrl->info.io_queues,
		      ctrl->n_active, ctrl->info.max_xfer_bytes, ctrl->info.sgl_used ? ", SGL" : "",
		      ctrl->info.shadow_db_used ? ", shadow doorbells" : "");
	*out = ctrl;
	return 0;

disable:
	udrvi_nvme_ctrl_disable(ctrl);
free_ctrl:
	free_ctrl(ctrl);
	return rc;
}

void udrv_nvme_ctrl_close(struct udrv_nvme_ctrl *ctrl)
{
	uint64_t deadline, t0;

	if (!ctrl)
		return;
	while (ctrl->qpairs)
		udrv_nvme_qpair_destroy(ctrl->qpairs);
	t0 = nvme_now_ns();
	if (!atomic_load(&ctrl->failed) && udrvi_nvme_csts(ctrl) != UINT32_MAX) {
		/* Normal shutdown (3.6.1): CC.SHN = 01b, wait for CSTS.SHST = 10b. */
		nvme_wr32(ctrl, NVME_REG_CC, nvme_rd32(ctrl, NVME_REG_CC) |
						     (uint32_t)NVME_SET(CC_SHN, NVME_CC_SHN_NORMAL));
		deadline = udrvi_nvme_ticks() + (uint64_t)ctrl->to_ms * udrvi_nvme_ticks_per_ms;
		while (NVME_GET(CSTS_SHST, udrvi_nvme_csts(ctrl)) != NVME_CSTS_SHST_COMPLETE) {
			struct timespec nap = { .tv_sec = 0, .tv_nsec = 100000 };

			if (udrvi_nvme_ticks() > deadline) {
				NVME_LOG_WARN(ctrl, "shutdown did not complete within CAP.TO");
				break;
			}
			if (!udrvi_model_waiting(ctrl->dev))
				nanosleep(&nap, NULL);
		}
		NVME_TIMING(ctrl, "nvme shutdown (CSTS.SHST complete)", t0);
		t0 = nvme_now_ns();
		udrvi_nvme_ctrl_disable(ctrl);
		NVME_TIMING(ctrl, "nvme disable after shutdown", t0);
	}
	udrvi_nvme_qpair_abort_all(ctrl->admin, UDRV_NVME_STATUS_ABORTED);
	free_ctrl(ctrl);
}

struct udrv_dev *udrv_nvme_ctrl_dev(const struct udrv_nvme_ctrl *ctrl)
{
	return ctrl->dev;
}

int udrv_nvme_ctrl_info(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_ctrl_info *info)
{
	if (!ctrl || !info)
		return -EINVAL;
	*info = ctrl->info;
	return 0;
}

bool udrv_nvme_ctrl_failed(const struct udrv_nvme_ctrl *ctrl)
{
	return atomic_load(&((struct udrv_nvme_ctrl *)ctrl)->failed);
}

unsigned udrv_nvme_ns_count(const struct udrv_nvme_ctrl *ctrl)
{
	return ctrl->n_active;
}

static void ns_fill(const struct nvme_ns *ns, struct udrv_nvme_ns_info *info)
{
	info->nsid = ns->nsid;
	info->lba_size = 1u << ns->lba_shift;
	info->metadata_size = ns->ms;
	info->blocks = ns->blocks;
	info->capacity_bytes = ns->blocks << ns->lba_shift;
}

int udrv_nvme_ns_info(const struct udrv_nvme_ctrl *ctrl, unsigned index,
		      struct udrv_nvme_ns_info *info)
{
	if (index >= ctrl->n_active || !info)
		return -EINVAL;
	ns_fill(&ctrl->ns_tab[ctrl->active[index] - 1], info);
	return 0;
}

int udrv_nvme_ns_find(const struct udrv_nvme_ctrl *ctrl, uint32_t nsid,
		      struct udrv_nvme_ns_info *info)
{
	if (nsid == 0 || nsid > ctrl->nn_tab || !ctrl->ns_tab[nsid - 1].lba_shift)
		return -ENOENT;
	if (info)
		ns_fill(&ctrl->ns_tab[nsid - 1], info);
	return 0;
}

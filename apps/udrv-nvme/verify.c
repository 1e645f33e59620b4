/* SPDX-License-Identifier: MIT */
/*
 * udrv-nvme verify: write a deterministic pattern over an LBA range, read it
 * back, report every LBA that differs. The pattern is a pure function of the
 * byte offset in the namespace and the seed, so any tool can check it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_app.h"
#include "udrv-nvme-help.h"

#define VQD 8 /* commands in flight */
#define GOLDEN 0x9E3779B97F4A7C15ull

struct vslot {
	struct verify *v;
	uint8_t *buf;
	uint64_t lba;
	uint32_t nlb;
	bool busy, reading;
};

#define JSON_LIST_MAX 64 /* mismatches and I/O errors listed in --json */

struct verify_err {
	uint64_t lba, last, word, expected, got;
	uint32_t byte;
	uint16_t status;
	bool reading;
};

struct verify {
	struct app a;
	struct udrv_nvme_qpair *qp;
	bool json;
	struct verify_err bad[JSON_LIST_MAX], ioerr[JSON_LIST_MAX];
	uint64_t seed, bad_lbas, io_errors;
	unsigned inflight;
	struct vslot s[VQD];
};

static void help(FILE *f)
{
	fputs(help_verify, f);
}

static void fill(uint8_t *buf, uint64_t byte_off, size_t len, uint64_t seed)
{
	uint64_t k = byte_off / 8, key = seed * GOLDEN;

	for (size_t i = 0; i < len; i += 8, k++) {
		uint64_t w = k ^ key;

		memcpy(buf + i, &w, 8); /* little-endian host (asserted by the driver) */
	}
}

static void check(struct verify *v, const struct vslot *s)
{
	uint32_t bs = v->a.ns.lba_size;
	uint64_t key = v->seed * GOLDEN;

	for (uint32_t b = 0; b < s->nlb; b++) {
		uint64_t k = (s->lba + b) * bs / 8;
		const uint8_t *p = s->buf + (size_t)b * bs;

		for (uint32_t i = 0; i < bs; i += 8, k++) {
			uint64_t got;

			memcpy(&got, p + i, 8);
			if (got != (k ^ key)) {
				if (v->json) {
					if (v->bad_lbas < JSON_LIST_MAX)
						v->bad[v->bad_lbas] = (struct verify_err){
							.lba = s->lba + b, .byte = i, .word = k,
							.expected = k ^ key, .got = got };
					v->bad_lbas++;
					break;
				}
				printf("LBA %" PRIu64 " differs: byte %u of the block (word %" PRIu64
				       ") expected 0x%016" PRIx64 ", read 0x%016" PRIx64 "\n",
				       s->lba + b, i, k, k ^ key, got);
				v->bad_lbas++;
				break;
			}
		}
	}
}

static void done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct vslot *s = arg;
	struct verify *v = s->v;
	char sbuf[96];

	if (!UDRV_NVME_STATUS_OK(cpl->status) && v->json) {
		if (v->io_errors < JSON_LIST_MAX)
			v->ioerr[v->io_errors] = (struct verify_err){ .lba = s->lba,
				.last = s->lba + s->nlb - 1, .status = cpl->status, .reading = s->reading };
		v->io_errors++;
	} else if (!UDRV_NVME_STATUS_OK(cpl->status)) {
		printf("LBA %" PRIu64 "..%" PRIu64 ": %s failed: %s\n", s->lba, s->lba + s->nlb - 1,
		       s->reading ? "read" : "write",
		       udrv_nvme_status_str(cpl->status, sbuf, sizeof(sbuf)));
		v->io_errors++;
	} else if (s->reading) {
		check(v, s);
	}
	s->busy = false;
	v->inflight--;
}

/* One pass over [lba, lba + count) reading or writing, VQD commands deep. */
static int pass(struct verify *v, uint64_t lba, uint64_t count, bool reading, uint32_t chunk)
{
	uint64_t next = lba, end = lba + count;

	while (next < end || v->inflight) {
		for (unsigned i = 0; i < VQD && next < end; i++) {
			struct vslot *s = &v->s[i];
			int rc;

			if (s->busy)
				continue;
			s->lba = next;
			s->nlb = (uint32_t)(end - next < chunk ? end - next : chunk);
			s->reading = reading;
			if (reading) {
				memset(s->buf, 0, (size_t)s->nlb * v->a.ns.lba_size);
				rc = udrv_nvme_read(v->qp, v->a.ns.nsid, s->buf, s->lba, s->nlb, 0, done, s);
			} else {
				fill(s->buf, s->lba * v->a.ns.lba_size, (size_t)s->nlb * v->a.ns.lba_size,
				     v->seed);
				rc = udrv_nvme_write(v->qp, v->a.ns.nsid, s->buf, s->lba, s->nlb, 0, done, s);
			}
			if (rc == -EAGAIN)
				break;
			if (rc < 0 && app_removed(&v->a)) {
				fprintf(stderr, "udrv-nvme verify: %s was removed (hot-unplug) during the "
					"%s pass: stopped\n", udrv_dev_name(v->a.dev), reading ? "read" : "write");
				return -1;
			}
			if (rc < 0) {
				fprintf(stderr, "udrv-nvme verify: submitting LBA %" PRIu64 " failed: %s\n",
					s->lba, strerror(-rc));
				return -1;
			}
			s->busy = true;
			v->inflight++;
			next += s->nlb;
		}
		if (udrv_nvme_qpair_poll(v->qp, 0) < 0) {
			fprintf(stderr, "udrv-nvme verify: %s %s during the %s pass: stopped\n",
				udrv_dev_name(v->a.dev), app_removed(&v->a) ? "was removed (hot-unplug)"
				: "failed", reading ? "read" : "write");
			return -1;
		}
	}
	/* The removal can also end a pass the ordinary way: the commands in
	 * flight complete as aborted and nothing is left to submit. */
	if (app_removed(&v->a)) {
		fprintf(stderr, "udrv-nvme verify: %s was removed (hot-unplug) during the %s pass: "
			"stopped\n", udrv_dev_name(v->a.dev), reading ? "read" : "write");
		return -1;
	}
	return 0;
}

static void flush_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	*(int *)arg = UDRV_NVME_STATUS_OK(cpl->status) ? 1 : -1;
}

static void print_json(const struct verify *v, uint64_t lba, uint64_t count, bool wo, bool ro,
		       bool flush_failed)
{
	char sbuf[96];

	printf("{\"nsid\": %u, \"first_lba\": %" PRIu64 ", \"blocks\": %" PRIu64 ", "
	       "\"lba_size\": %u, \"seed\": %" PRIu64 ", \"written\": %s, \"read_back\": %s, "
	       "\"flush_failed\": %s, \"mismatched_lbas\": %" PRIu64 ", \"io_errors\": %" PRIu64
	       ", \"mismatches\": [", v->a.ns.nsid, lba, count, v->a.ns.lba_size, v->seed,
	       ro ? "false" : "true", wo ? "false" : "true", flush_failed ? "true" : "false",
	       v->bad_lbas, v->io_errors);
	for (uint64_t i = 0; i < v->bad_lbas && i < JSON_LIST_MAX; i++) {
		const struct verify_err *e = &v->bad[i];

		printf("%s{\"lba\": %" PRIu64 ", \"byte\": %u, \"word\": %" PRIu64 ", "
		       "\"expected\": \"0x%016" PRIx64 "\", \"read\": \"0x%016" PRIx64 "\"}",
		       i ? ", " : "", e->lba, e->byte, e->word, e->expected, e->got);
	}
	printf("], \"errors\": [");
	for (uint64_t i = 0; i < v->io_errors && i < JSON_LIST_MAX; i++) {
		const struct verify_err *e = &v->ioerr[i];

		printf("%s{\"first_lba\": %" PRIu64 ", \"last_lba\": %" PRIu64 ", \"op\": \"%s\", "
		       "\"status\": %u, \"status_text\": ", i ? ", " : "", e->lba, e->last,
		       e->reading ? "read" : "write", e->status);
		json_str(stdout, udrv_nvme_status_str(e->status, sbuf, sizeof(sbuf)));
		printf("}");
	}
	printf("]}\n");
}

int cmd_verify(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' }, { "lba", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'c' },  { "seed", required_argument, NULL, 's' },
		{ "write-only", no_argument, NULL, 'W' },   { "read-only", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },	    { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct verify *v = calloc(1, sizeof(*v));
	const char *dev = NULL;
	uint64_t lba = 0, count = 0, nsid = 0;
	bool have_lba = false, have_count = false, have_seed = false, wo = false, ro = false;
	uint32_t chunk;
	int c, ret = APP_EXIT_USAGE, fl = 0;

	if (!v)
		return APP_EXIT_FAIL;
	opt_set_prog("udrv-nvme verify", NULL);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'n': if (app_parse_nsid(optarg, &nsid)) goto out; break;
		case 'l':
			if (opt_uint("--lba", "the first LBA", optarg, 0, UINT64_MAX - 1, &lba))
				goto out;
			have_lba = true;
			break;
		case 'c':
			if (opt_uint("--count", "the number of LBAs", optarg, 1, UINT64_MAX, &count))
				goto out;
			have_count = true;
			break;
		case 's':
			if (opt_uint("--seed", "the seed", optarg, 0, UINT64_MAX, &v->seed))
				goto out;
			have_seed = true;
			break;
		case 'W': wo = true; break;
		case 'R': ro = true; break;
		case 'j': v->json = true; break;
		case 'h': help(stdout); ret = APP_EXIT_OK; goto out;
		default: ret = opt_getopt_error(c, argv); goto out;
		}
	}
	if (optind != argc) {
		opt_usage_error("unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!have_lba || !have_count || !have_seed) {
		opt_usage_error("--lba, --count and --seed are required");
		goto out;
	}
	if (wo && ro) {
		opt_usage_error("--write-only and --read-only exclude each other");
		goto out;
	}
	ret = app_open(&v->a, dev, (uint32_t)nsid, true);
	if (ret)
		goto out;
	if (lba >= v->a.ns.blocks || count > v->a.ns.blocks - lba) {
		ret = opt_usage_error("--lba %" PRIu64 " --count %" PRIu64 " reaches beyond namespace %u "
				      "(%" PRIu64 " blocks: LBAs 0..%" PRIu64 ")", lba, count,
				      v->a.ns.nsid, v->a.ns.blocks, v->a.ns.blocks - 1);
		goto close;
	}
	ret = APP_EXIT_FAIL;
	if (udrv_nvme_qpair_create(v->a.ctrl, NULL, &v->qp) < 0) {
		fprintf(stderr, "udrv-nvme verify: cannot create an I/O queue pair: %s\n",
			udrv_last_error());
		goto close;
	}
	chunk = (128 * 1024) / v->a.ns.lba_size;
	if (!chunk)
		chunk = 1;
	for (unsigned i = 0; i < VQD; i++) {
		v->s[i].v = v;
		if (udrv_dma_alloc((size_t)chunk * v->a.ns.lba_size, 4096, (void **)&v->s[i].buf,
				   NULL) < 0) {
			fprintf(stderr, "udrv-nvme verify: out of DMA memory: %s\n", udrv_last_error());
			goto free_bufs;
		}
	}
	if (!ro) {
		if (pass(v, lba, count, false, chunk) < 0)
			goto free_bufs;
		/* Make the data durable before reading it back (volatile write cache). */
		if (udrv_nvme_flush(v->qp, v->a.ns.nsid, flush_done, &fl) == 0)
			while (!fl && udrv_nvme_qpair_poll(v->qp, 0) >= 0)
				;
	}
	if (!wo && pass(v, lba, count, true, chunk) < 0)
		goto free_bufs;
	if (v->json)
		print_json(v, lba, count, wo, ro, fl < 0);
	else
		printf("verify: nsid %u LBA %" PRIu64 "..%" PRIu64 " (%" PRIu64 " blocks of %u B), "
		       "seed %" PRIu64 ": %s%s, %" PRIu64 " LBAs differ, %" PRIu64 " I/O errors%s\n",
		       v->a.ns.nsid, lba, lba + count - 1, count, v->a.ns.lba_size, v->seed,
		       ro ? "" : "written", wo ? "" : ro ? "read back" : " and read back",
		       v->bad_lbas, v->io_errors, fl < 0 ? ", flush failed" : "");
	ret = (v->bad_lbas || v->io_errors || fl < 0) ? APP_EXIT_FAIL : APP_EXIT_OK;
free_bufs:
	for (unsigned i = 0; i < VQD; i++)
		udrv_dma_free(v->s[i].buf);
	udrv_nvme_qpair_destroy(v->qp);
close:
	app_close(&v->a);
out:
	free(v);
	return ret;
}

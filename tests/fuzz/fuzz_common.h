/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer harnesses share: the fuzz input as a byte stream that
 * both the harness (which operations to run) and the device-model hook (how
 * to corrupt what the device writes, lib/model_hook.h) read from, in program
 * order. The model runs in manual mode while an input plays, so one input is
 * always one execution. A violated invariant calls fz_fail(), which aborts:
 * libFuzzer reports it as a crash and keeps the input.
 *
 * Tamper program: each time the model is about to write something it reads
 * one op byte (none left: keep):
 *   0-2 keep        3 xor byte   (offset, value)
 *   4 overwrite     (offset, count, bytes)
 *   5 drop          6 repeat      7 set a 32-bit word (offset, 4 bytes)
 * Offsets are one byte for items up to 256 bytes, two (little-endian) beyond,
 * taken modulo the item's length.
 */
#ifndef UDRV_FUZZ_COMMON_H
#define UDRV_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/log.h>

#include "model_hook.h"

struct fz {
	const uint8_t *p;
	size_t left;
	bool armed;        /* the hook corrupts only while an input plays */
	uint32_t kinds;    /* bit per enum udrvi_model_data the hook may touch */
	unsigned tampered; /* ops other than keep in this input */
};

static struct fz fz;

#define fz_fail(...) do { fprintf(stderr, "fuzz invariant violated: " __VA_ARGS__); \
	fputc('\n', stderr); abort(); } while (0)

static inline void fz_start(const uint8_t *data, size_t size, uint32_t kinds)
{
	fz.p = data;
	fz.left = size;
	fz.kinds = kinds;
	fz.tampered = 0;
	fz.armed = true;
}

static inline uint8_t fz_u8(void)
{
	if (!fz.left)
		return 0;
	fz.left--;
	return *fz.p++;
}

static inline uint16_t fz_u16(void)
{
	uint16_t lo = fz_u8();

	return (uint16_t)(lo | fz_u8() << 8);
}

static inline size_t fz_off(size_t len)
{
	size_t v = len > 256 ? fz_u16() : fz_u8();

	return v % len;
}

static enum udrvi_tamper_action fz_tamper(void *arg, enum udrvi_model_data what, void *buf,
					  size_t len)
{
	uint8_t *b = buf, op;
	size_t off, n;

	(void)arg;
	if (!fz.armed || !fz.left || !(fz.kinds & (1u << what)) || !len)
		return UDRVI_TAMPER_KEEP;
	op = fz_u8() & 7;
	if (op < 3)
		return UDRVI_TAMPER_KEEP;
	fz.tampered++;
	switch (op) {
	case 3:
		off = fz_off(len);
		b[off] ^= fz_u8();
		break;
	case 4:
		off = fz_off(len);
		n = fz_u8();
		for (size_t i = 0; i < n; i++)
			b[(off + i) % len] = fz_u8();
		break;
	case 5:
		return UDRVI_TAMPER_DROP;
	case 6:
		return UDRVI_TAMPER_REPEAT;
	default:
		off = fz_off(len);
		for (size_t i = 0; i < 4; i++)
			b[(off + i) % len] = fz_u8();
		break;
	}
	return UDRVI_TAMPER_KEEP;
}

static void fz_quiet(enum udrv_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

/* Before any udrv call: anonymous memory (no hugepages needed) and, unless
 * FUZZ_VERBOSE is set, no log lines (a device lie is logged per input). */
static inline void fz_env(void)
{
	setenv("UDRV_MEM", "anon", 0);
	if (!getenv("FUZZ_VERBOSE"))
		udrv_log_set_handler(fz_quiet, NULL);
}

#define FZ_KIND(k) (1u << (k))

#endif

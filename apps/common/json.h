/* SPDX-License-Identifier: MIT */
/*
 * JSON output of the udrv tools, one convention for all of them (every key
 * is listed in the tools' man pages, docs/man/):
 * - keys are lower_snake_case and carry their unit when they have one
 *   (_bytes, _kb, _us, _ms, seconds);
 * - PCI ids (vendor, device, subsystem vendor, class) are strings of
 *   lower-case hex digits without 0x, as lspci prints them: "1b36";
 * - counts and sizes are JSON numbers; unknown or absent values are null;
 * - one JSON object per run, on stdout, ending with a newline.
 */
#ifndef UDRV_APP_JSON_H
#define UDRV_APP_JSON_H

#include <stdint.h>
#include <stdio.h>

/* A JSON string with ", \ and control characters escaped. */
void json_str(FILE *f, const char *s);

/* A 16-bit PCI id as a 4-digit hex string: "1b36". */
void json_pci_id(FILE *f, uint16_t id);

#endif

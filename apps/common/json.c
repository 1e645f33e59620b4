/* SPDX-License-Identifier: MIT */
/* JSON values in the tools' convention (see json.h). */
#include "json.h"

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

void json_pci_id(FILE *f, uint16_t id)
{
	fprintf(f, "\"%04x\"", id);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the metrics endpoint's request reader
 * (export/http.c). Besides what ASan and UBSan catch: the end of a
 * request head is found the same however the bytes arrive (the search
 * resumes two bytes back, as the server does); a whole head parses to
 * 400, 405, or a GET/HEAD whose path starts with '/', lies inside the
 * request, holds no blank or control byte and no query.
 */
#include <stdint.h>
#include <string.h>
#include "http.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *req, *path = NULL, *p;
	size_t cut, end = 0, from;
	int whole, head_only = -1, status;

	if (size > 16384)
		return 0;
	req = fuzz_cstring(data, size);
	whole = http_request_complete(req, size, 0);
	MUST(whole == 0 || whole == 1);
	/* arriving in two parts: the first, then both from two back */
	cut = size ? data[0] % (size + 1) : 0;
	if (!http_request_complete(req, cut, 0)) {
		from = cut > 2 ? cut - 2 : 0;
		MUST(http_request_complete(req, size, from) == whole);
	} else {
		MUST(whole);
	}
	if (whole) {
		/* the head: up to its empty line, as the server cuts it */
		while (!http_request_complete(req, ++end, 0))
			;
		req[end] = 0;
		status = http_parse_request(req, end, &head_only, &path);
		MUST(status == 0 || status == 400 || status == 405);
		if (!status) {
			MUST(path > req && path < req + end);
			MUST(path[0] == '/');
			MUST(head_only == 0 || head_only == 1);
			for (p = path; *p; p++)
				MUST((unsigned char)*p > ' ' &&
				     (unsigned char)*p < 0x7f && *p != '?' &&
				     *p != '#');
		}
	}
	free(req);
	return 0;
}

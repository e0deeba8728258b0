/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Userspace stand-ins for what the generated wire headers take from the
 * kernel, and the checks of the golden-vector program.
 */
#ifndef XS_GOLDEN_SHIM_H
#define XS_GOLDEN_SHIM_H

#include <endian.h>
#include <stddef.h>
#include <stdio.h>

#define __packed __attribute__((packed))

static int checked;
static int failed;

static inline void check_uint(unsigned long long got, unsigned long long want,
			      const char *what)
{
	checked++;
	if (got != want) {
		failed++;
		printf("MISMATCH %s: got 0x%llx, want 0x%llx\n", what, got, want);
	}
}

static inline void check_octets(const void *got, const unsigned char *want,
				size_t len, const char *what)
{
	const unsigned char *bytes = got;
	size_t i;

	checked++;
	for (i = 0; i < len; i++) {
		if (bytes[i] != want[i]) {
			failed++;
			printf("MISMATCH %s: bytes differ at %zu: got 0x%02x, want 0x%02x\n",
			       what, i, bytes[i], want[i]);
			return;
		}
	}
}

static inline void check_size(size_t vector, size_t object, const char *what)
{
	checked++;
	if (vector != object) {
		failed++;
		printf("MISMATCH %s: vector has %zu bytes, struct %zu\n", what,
		       vector, object);
	}
}

static inline int report(int vectors)
{
	printf("vectors_check: %d vectors, %d checks, %d failed\n", vectors,
	       checked, failed);
	return failed || !vectors || !checked;
}

#endif

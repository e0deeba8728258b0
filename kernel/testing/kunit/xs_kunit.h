/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers of the KUnit suites: a case is a good message with up to two
 * fields changed ("pokes"), and the verdict its check must give.
 */
#ifndef _XS_KUNIT_H
#define _XS_KUNIT_H

#include <kunit/test.h>
#include <linux/string.h>
#include <linux/types.h>

enum xs_poke_kind {
	XS_POKE_NONE,
	XS_POKE_BE,	/* size bytes of val, big endian */
	XS_POKE_LE,	/* size bytes of val, little endian */
	XS_POKE_FILL,	/* size bytes of the byte val */
};

struct xs_poke {
	enum xs_poke_kind kind;
	u16 off;
	u16 size;
	u64 val;
};

#define XS_U8(off, val)		{ XS_POKE_BE, (off), 1, (val) }
#define XS_BE16(off, val)	{ XS_POKE_BE, (off), 2, (val) }
#define XS_BE32(off, val)	{ XS_POKE_BE, (off), 4, (val) }
#define XS_BE64(off, val)	{ XS_POKE_BE, (off), 8, (val) }
#define XS_LE16(off, val)	{ XS_POKE_LE, (off), 2, (val) }
#define XS_LE32(off, val)	{ XS_POKE_LE, (off), 4, (val) }
#define XS_FILL(off, n, byte)	{ XS_POKE_FILL, (off), (n), (byte) }

#define XS_POKES	2

/*
 * A table case of the simplest kind: a message of len bytes, all zero but
 * for its pokes, and the check's verdict (an enum *_check value).
 */
struct xs_case {
	const char *name;
	struct xs_poke poke[XS_POKES];
	u32 len;
	int want;
};

/*
 * A table case whose check also depends on the state it runs in (the class
 * of the message, whether an answer is awaited), and which, when it passes,
 * may report a count (of the objects it found).
 */
struct xs_state_case {
	const char *name;
	struct xs_poke poke[XS_POKES];
	u32 len;
	u32 state;
	int want;
	unsigned int count;
};

static inline void xs_poke(u8 *buf, const struct xs_poke *pokes)
{
	const struct xs_poke *p;
	unsigned int n, i;

	for (n = 0; n < XS_POKES; n++) {
		p = &pokes[n];
		switch (p->kind) {
		case XS_POKE_BE:
			for (i = 0; i < p->size; i++)
				buf[p->off + i] = p->val >> (8 * (p->size - 1 - i));
			break;
		case XS_POKE_LE:
			for (i = 0; i < p->size; i++)
				buf[p->off + i] = p->val >> (8 * i);
			break;
		case XS_POKE_FILL:
			memset(buf + p->off, p->val, p->size);
			break;
		case XS_POKE_NONE:
			break;
		}
	}
}

/* size bytes of the test's memory, zeroed, then poked. */
static inline u8 *xs_case_buf(struct kunit *test, size_t size,
			      const struct xs_poke *pokes)
{
	u8 *buf = kunit_kzalloc(test, size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	xs_poke(buf, pokes);
	return buf;
}

#endif /* _XS_KUNIT_H */

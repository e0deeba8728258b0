// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * KUnit cases for the XSMP session proofs (xscore/xscore_proof.c): the
 * known answers that the director's Python hmac gives for one transcript
 * (director/auth.py), and a table of changes to the connection's ends,
 * the key or the direction, each of which must change the proof.
 */
#include <crypto/hash.h>
#include <kunit/test.h>
#include <linux/string.h>

#include "xscore_proof.h"

/*
 * The vector: key a0..bf, XCM nonce 01..20, host nonce 41..60, host GID
 * 2001:db8::1, XCM GID 2001:db8::5054:ff:fe18:2, QPNs 0x11 and 0x1234,
 * host GUID 505400fffe180001.  Computed by director/auth.py's proof().
 */
static const u8 kat_host_proof[XSMP_AUTH_PROOF_LEN] = {
	0xd0, 0xdb, 0xfa, 0xde, 0x65, 0x44, 0x5d, 0xbb,
	0x39, 0xbe, 0xf6, 0xf1, 0xf6, 0xcd, 0xbe, 0x30,
	0xa7, 0xcc, 0x82, 0x8b, 0xa5, 0xa4, 0x74, 0xf8,
	0x36, 0x9a, 0xf4, 0xf4, 0x7e, 0xff, 0xe0, 0x4b,
};

static const u8 kat_xcm_proof[XSMP_AUTH_PROOF_LEN] = {
	0x82, 0xf2, 0xd5, 0xa0, 0x16, 0x9f, 0x6c, 0xac,
	0xc9, 0xb7, 0xf9, 0x13, 0x20, 0xf9, 0xb7, 0x5e,
	0x0d, 0x14, 0x9d, 0x92, 0x7d, 0xda, 0xe9, 0x60,
	0xee, 0xfc, 0x8c, 0x58, 0x12, 0xf0, 0x7f, 0x41,
};

static const u8 kat_host_gid[16] = {
	0x20, 0x01, 0x0d, 0xb8, [15] = 0x01,
};

static const u8 kat_xcm_gid[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0x50, 0x54, 0x00, 0xff, 0xfe, 0x18, 0x00, 0x02,
};

#define KAT_KEY_LEN	32

static void kat_key(u8 *key)
{
	unsigned int i;

	for (i = 0; i < KAT_KEY_LEN; i++)
		key[i] = 0xa0 + i;
}

static void kat_ends(struct xscore_proof_ends *ends)
{
	unsigned int i;

	memset(ends, 0, sizeof(*ends));
	for (i = 0; i < XSMP_AUTH_NONCE_LEN; i++) {
		ends->xcm_nonce[i] = 0x01 + i;
		ends->host_nonce[i] = 0x41 + i;
	}
	memcpy(ends->host_gid, kat_host_gid, sizeof(ends->host_gid));
	memcpy(ends->xcm_gid, kat_xcm_gid, sizeof(ends->xcm_gid));
	ends->host_qpn = 0x11;
	ends->xcm_qpn = 0x1234;
	ends->host_guid = 0x505400fffe180001ULL;
}

static struct crypto_shash *new_hmac(struct kunit *test)
{
	struct crypto_shash *hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(hmac), "no hmac(sha256): %ld",
			       PTR_ERR(hmac));
	return hmac;
}

static void proof_known_answer(struct kunit *test)
{
	struct crypto_shash *hmac = new_hmac(test);
	struct xscore_proof_ends ends;
	u8 proof[XSMP_AUTH_PROOF_LEN];
	u8 key[KAT_KEY_LEN];

	kat_key(key);
	kat_ends(&ends);
	KUNIT_EXPECT_EQ(test, xscore_proof_compute(hmac, key, sizeof(key),
						   XSCORE_PROOF_HOST, &ends,
						   proof), 0);
	KUNIT_EXPECT_MEMEQ(test, proof, kat_host_proof, sizeof(proof));
	KUNIT_EXPECT_TRUE(test, xscore_proof_equal(proof, kat_host_proof));
	KUNIT_EXPECT_EQ(test, xscore_proof_compute(hmac, key, sizeof(key),
						   XSCORE_PROOF_XCM, &ends,
						   proof), 0);
	KUNIT_EXPECT_MEMEQ(test, proof, kat_xcm_proof, sizeof(proof));
	KUNIT_EXPECT_FALSE(test, xscore_proof_equal(proof, kat_host_proof));
	crypto_free_shash(hmac);
}

static void proof_transcript_layout(struct kunit *test)
{
	struct xsmp_auth_transcript t;
	struct xscore_proof_ends ends;
	const u8 *raw = (const u8 *)&t;

	kat_ends(&ends);
	xscore_proof_transcript(&t, XSCORE_PROOF_XCM, &ends);
	KUNIT_EXPECT_MEMEQ(test, t.label, "XSMP-AUTH1-XCM\0\0", 16);
	/* Big endian on the wire: the QPNs and the GUID. */
	KUNIT_EXPECT_EQ(test, raw[112 + 3], 0x11);
	KUNIT_EXPECT_EQ(test, raw[116 + 2], 0x12);
	KUNIT_EXPECT_EQ(test, raw[116 + 3], 0x34);
	KUNIT_EXPECT_EQ(test, raw[120], 0x50);
	KUNIT_EXPECT_EQ(test, raw[127], 0x01);
}

/* One change to the vector; the host proof must differ (or match) then. */
struct proof_case {
	const char *name;
	void (*change)(struct xscore_proof_ends *ends, u8 *key,
		       unsigned int *key_len, enum xscore_proof_dir *dir);
	int want_ret;
	bool want_equal;
};

static void change_nothing(struct xscore_proof_ends *e, u8 *k,
			   unsigned int *l, enum xscore_proof_dir *d)
{
}

static void change_xcm_nonce(struct xscore_proof_ends *e, u8 *k,
			     unsigned int *l, enum xscore_proof_dir *d)
{
	e->xcm_nonce[31] ^= 1;
}

static void change_host_nonce(struct xscore_proof_ends *e, u8 *k,
			      unsigned int *l, enum xscore_proof_dir *d)
{
	e->host_nonce[0] ^= 0x80;
}

static void swap_nonces(struct xscore_proof_ends *e, u8 *k,
			unsigned int *l, enum xscore_proof_dir *d)
{
	u8 tmp[XSMP_AUTH_NONCE_LEN];

	memcpy(tmp, e->xcm_nonce, sizeof(tmp));
	memcpy(e->xcm_nonce, e->host_nonce, sizeof(tmp));
	memcpy(e->host_nonce, tmp, sizeof(tmp));
}

static void change_host_gid(struct xscore_proof_ends *e, u8 *k,
			    unsigned int *l, enum xscore_proof_dir *d)
{
	e->host_gid[15] = 0x03;
}

static void change_xcm_gid(struct xscore_proof_ends *e, u8 *k,
			   unsigned int *l, enum xscore_proof_dir *d)
{
	e->xcm_gid[8] ^= 0x02;
}

static void change_host_qpn(struct xscore_proof_ends *e, u8 *k,
			    unsigned int *l, enum xscore_proof_dir *d)
{
	e->host_qpn++;
}

static void change_xcm_qpn(struct xscore_proof_ends *e, u8 *k,
			   unsigned int *l, enum xscore_proof_dir *d)
{
	e->xcm_qpn = 0x11;
}

static void change_host_guid(struct xscore_proof_ends *e, u8 *k,
			     unsigned int *l, enum xscore_proof_dir *d)
{
	e->host_guid = 0x505400fffe180003ULL;
}

static void change_key(struct xscore_proof_ends *e, u8 *k,
		       unsigned int *l, enum xscore_proof_dir *d)
{
	k[0] ^= 1;
}

static void shorter_key(struct xscore_proof_ends *e, u8 *k,
			unsigned int *l, enum xscore_proof_dir *d)
{
	*l = XSCORE_KEY_MIN;
}

static void key_too_short(struct xscore_proof_ends *e, u8 *k,
			  unsigned int *l, enum xscore_proof_dir *d)
{
	*l = XSCORE_KEY_MIN - 1;
}

static void key_too_long(struct xscore_proof_ends *e, u8 *k,
			 unsigned int *l, enum xscore_proof_dir *d)
{
	*l = XSCORE_KEY_MAX + 1;
}

static void reflect(struct xscore_proof_ends *e, u8 *k,
		    unsigned int *l, enum xscore_proof_dir *d)
{
	*d = XSCORE_PROOF_XCM;
}

static const struct proof_case proof_cases[] = {
	{ "same ends", change_nothing, 0, true },
	{ "XCM nonce", change_xcm_nonce, 0, false },
	{ "host nonce", change_host_nonce, 0, false },
	{ "nonces swapped", swap_nonces, 0, false },
	{ "host GID", change_host_gid, 0, false },
	{ "XCM GID", change_xcm_gid, 0, false },
	{ "host QPN", change_host_qpn, 0, false },
	{ "XCM QPN", change_xcm_qpn, 0, false },
	{ "host GUID", change_host_guid, 0, false },
	{ "another key", change_key, 0, false },
	{ "a prefix of the key", shorter_key, 0, false },
	{ "key too short", key_too_short, -EINVAL, false },
	{ "key too long", key_too_long, -EINVAL, false },
	{ "reflected: the XCM's label", reflect, 0, false },
};

KUNIT_ARRAY_PARAM_DESC(proof, proof_cases, name);

static void proof_change_case(struct kunit *test)
{
	const struct proof_case *c = test->param_value;
	enum xscore_proof_dir dir = XSCORE_PROOF_HOST;
	struct crypto_shash *hmac = new_hmac(test);
	struct xscore_proof_ends ends;
	u8 proof[XSMP_AUTH_PROOF_LEN];
	u8 key[XSCORE_KEY_MAX + 1];
	unsigned int key_len = KAT_KEY_LEN;

	memset(key, 0x5a, sizeof(key));
	kat_key(key);
	kat_ends(&ends);
	c->change(&ends, key, &key_len, &dir);
	KUNIT_EXPECT_EQ(test, xscore_proof_compute(hmac, key, key_len, dir,
						   &ends, proof), c->want_ret);
	if (!c->want_ret)
		KUNIT_EXPECT_EQ(test, xscore_proof_equal(proof, kat_host_proof),
				c->want_equal);
	crypto_free_shash(hmac);
}

static void proof_nonce_set(struct kunit *test)
{
	u8 nonce[XSMP_AUTH_NONCE_LEN] = {};

	KUNIT_EXPECT_FALSE(test, xscore_proof_nonce_set(nonce));
	nonce[XSMP_AUTH_NONCE_LEN - 1] = 1;
	KUNIT_EXPECT_TRUE(test, xscore_proof_nonce_set(nonce));
}

static struct kunit_case xscore_proof_cases[] = {
	KUNIT_CASE(proof_known_answer),
	KUNIT_CASE(proof_transcript_layout),
	KUNIT_CASE_PARAM(proof_change_case, proof_gen_params),
	KUNIT_CASE(proof_nonce_set),
	{}
};

static struct kunit_suite xscore_proof_suite = {
	.name = "xscore_proof",
	.test_cases = xscore_proof_cases,
};

kunit_test_suites(&xscore_proof_suite);

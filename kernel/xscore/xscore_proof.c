// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XSMP session proofs: HMAC-SHA256 over the connection's transcript
 * (xscore_proof.h).  The XCM computes the same bytes (director/auth.py).
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <linux/string.h>

#include "xscore_proof.h"

static const char xscore_proof_labels[][XSMP_AUTH_LABEL_LEN] = {
	[XSCORE_PROOF_HOST]	= "XSMP-AUTH1-HOST",
	[XSCORE_PROOF_XCM]	= "XSMP-AUTH1-XCM",
};

/**
 * xscore_proof_transcript() - the bytes a proof covers
 * @t: filled in whole
 * @dir: who proves
 * @ends: the connection's nonces, GIDs, QP numbers and the host's GUID
 */
void xscore_proof_transcript(struct xsmp_auth_transcript *t,
			     enum xscore_proof_dir dir,
			     const struct xscore_proof_ends *ends)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->label, xscore_proof_labels[dir], sizeof(t->label));
	memcpy(t->xcm_nonce, ends->xcm_nonce, sizeof(t->xcm_nonce));
	memcpy(t->host_nonce, ends->host_nonce, sizeof(t->host_nonce));
	memcpy(t->host_gid, ends->host_gid, sizeof(t->host_gid));
	memcpy(t->xcm_gid, ends->xcm_gid, sizeof(t->xcm_gid));
	t->host_qpn = cpu_to_be32(ends->host_qpn);
	t->xcm_qpn = cpu_to_be32(ends->xcm_qpn);
	t->host_guid = cpu_to_be64(ends->host_guid);
}

/**
 * xscore_proof_compute() - one side's proof
 * @hmac: an "hmac(sha256)" transform the caller owns alone (its key is set)
 * @key: the host's key
 * @key_len: its length, XSCORE_KEY_MIN to XSCORE_KEY_MAX
 * @dir: who proves
 * @ends: the connection's ends
 * @proof: where the proof goes
 *
 * Return: 0, or a negative errno (-EINVAL for a key of a bad length).
 */
int xscore_proof_compute(struct crypto_shash *hmac, const u8 *key,
			 unsigned int key_len, enum xscore_proof_dir dir,
			 const struct xscore_proof_ends *ends,
			 u8 proof[XSMP_AUTH_PROOF_LEN])
{
	struct xsmp_auth_transcript t;
	int ret;

	if (key_len < XSCORE_KEY_MIN || key_len > XSCORE_KEY_MAX ||
	    dir > XSCORE_PROOF_XCM)
		return -EINVAL;
	ret = crypto_shash_setkey(hmac, key, key_len);
	if (ret)
		return ret;
	xscore_proof_transcript(&t, dir, ends);
	return crypto_shash_tfm_digest(hmac, (const u8 *)&t, sizeof(t), proof);
}

/**
 * xscore_proof_equal() - compare two proofs in constant time
 * @a: one proof
 * @b: the other
 *
 * Return: whether they are the same.
 */
bool xscore_proof_equal(const u8 a[XSMP_AUTH_PROOF_LEN],
			const u8 b[XSMP_AUTH_PROOF_LEN])
{
	return !crypto_memneq(a, b, XSMP_AUTH_PROOF_LEN);
}

/**
 * xscore_proof_nonce_set() - whether a nonce field holds a nonce
 * @nonce: the field
 *
 * Return: false for all zeros: a peer without proofs leaves the field so.
 */
bool xscore_proof_nonce_set(const u8 nonce[XSMP_AUTH_NONCE_LEN])
{
	return memchr_inv(nonce, 0, XSMP_AUTH_NONCE_LEN);
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The XSMP session proofs (docs/security.md), as pure functions of the
 * key and what both ends of one connection know: the module and its KUnit
 * suite (xscore_proof_test.c) compile the same code.
 *
 * A proof is HMAC-SHA256, under the host's key, of the 128-byte
 * struct xsmp_auth_transcript: a label naming the direction, both nonces,
 * both GIDs and QP numbers, and the host's port GUID.
 */
#ifndef _XSCORE_PROOF_H
#define _XSCORE_PROOF_H

#include <linux/types.h>
#include <xsigo/wire/xsmp.h>

struct crypto_shash;

/* Bytes of a host key: at least 128 bits, at most SHA-256's block. */
#define XSCORE_KEY_MIN		16
#define XSCORE_KEY_MAX		64

/* Who proves: the labels differ so that no proof can be reflected. */
enum xscore_proof_dir {
	XSCORE_PROOF_HOST,
	XSCORE_PROOF_XCM,
};

/* One connection's ends, as the host sees them, in host byte order. */
struct xscore_proof_ends {
	u8 xcm_nonce[XSMP_AUTH_NONCE_LEN];
	u8 host_nonce[XSMP_AUTH_NONCE_LEN];
	u8 host_gid[16];
	u8 xcm_gid[16];
	u32 host_qpn;
	u32 xcm_qpn;
	u64 host_guid;
};

void xscore_proof_transcript(struct xsmp_auth_transcript *t,
			     enum xscore_proof_dir dir,
			     const struct xscore_proof_ends *ends);
int xscore_proof_compute(struct crypto_shash *hmac, const u8 *key,
			 unsigned int key_len, enum xscore_proof_dir dir,
			 const struct xscore_proof_ends *ends,
			 u8 proof[XSMP_AUTH_PROOF_LEN]);
bool xscore_proof_equal(const u8 a[XSMP_AUTH_PROOF_LEN],
			const u8 b[XSMP_AUTH_PROOF_LEN]);
bool xscore_proof_nonce_set(const u8 nonce[XSMP_AUTH_NONCE_LEN]);

#endif /* _XSCORE_PROOF_H */

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Mutual authentication of XSMP sessions (docs/security.md).
 *
 * The XCM's accept carries its nonce; REGISTER carries the host's nonce
 * and the host's proof; REG_CONFIRM carries the XCM's proof.  Both proofs
 * are computed here when REGISTER goes out, so the key is held only for
 * that moment; REG_CONFIRM is then compared with the XCM proof expected.
 *
 * Keys are logon keys named "xsigo:<port GUID>" (16 hex digits) in the
 * ".xscore" keyring that the module owns, as nvme owns ".nvme": the
 * session's work runs in a kworker, whose request_key() would not see the
 * session keyring of the shell that added the key.  An operator adds one
 * with `keyctl padd logon xsigo:<guid> %:.xscore`, the key's bytes on
 * standard input; a new key takes effect at the link's next connection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <keys/user-type.h>
#include <linux/cred.h>
#include <linux/key.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/string.h>

#include "xscore_priv.h"
#include "xscore_proof.h"

#define XSCORE_KEY_DESC_LEN	sizeof("xsigo:0123456789abcdef")

static struct key *xscore_keyring;

static bool allow_unauthenticated;

static int allow_unauthenticated_set(const char *val,
				     const struct kernel_param *kp)
{
	return param_set_bool(val, kp);
}

static const struct kernel_param_ops allow_unauthenticated_ops = {
	.set	= allow_unauthenticated_set,
	.get	= param_get_bool,
};

module_param_cb(allow_unauthenticated, &allow_unauthenticated_ops,
		&allow_unauthenticated, 0644);
MODULE_PARM_DESC(allow_unauthenticated,
		 "Open XSMP sessions with XCMs that offer no proof, and without a key for the port (default: N; each port may allow it too)");

/* Whether a link may go on without proofs, by the module's or its port's word. */
static bool xscore_auth_optional(struct xscore_link *link)
{
	return READ_ONCE(allow_unauthenticated) ||
	       READ_ONCE(link->port->trust.allow_unauthenticated);
}

/**
 * xscore_auth_init() - create the keyring the host keys go into
 *
 * Return: 0 or a negative errno.
 */
int xscore_auth_init(void)
{
	struct key *keyring;

	keyring = keyring_alloc(".xscore", GLOBAL_ROOT_UID, GLOBAL_ROOT_GID,
				current_cred(),
				(KEY_POS_ALL & ~KEY_POS_SETATTR) |
				(KEY_USR_ALL & ~KEY_USR_SETATTR),
				KEY_ALLOC_NOT_IN_QUOTA, NULL, NULL);
	if (IS_ERR(keyring))
		return PTR_ERR(keyring);
	xscore_keyring = keyring;
	return 0;
}

void xscore_auth_exit(void)
{
	key_revoke(xscore_keyring);
	key_put(xscore_keyring);
	xscore_keyring = NULL;
}

/*
 * Copy the port's key to @buf (XSCORE_KEY_MAX bytes); return its length,
 * -ENOKEY when there is none, -EKEYREJECTED when it has a bad length.
 */
static int xscore_auth_key(u64 guid, u8 *buf)
{
	const struct user_key_payload *payload;
	char desc[XSCORE_KEY_DESC_LEN];
	key_ref_t ref;
	struct key *key;
	int ret;

	snprintf(desc, sizeof(desc), "xsigo:%016llx", guid);
	ref = keyring_search(make_key_ref(xscore_keyring, true),
			     &key_type_logon, desc, false);
	if (IS_ERR(ref))
		return -ENOKEY;
	key = key_ref_to_ptr(ref);
	down_read(&key->sem);
	ret = key_validate(key);
	payload = ret ? NULL : user_key_payload_locked(key);
	if (!payload) {
		ret = -ENOKEY;
	} else if (payload->datalen < XSCORE_KEY_MIN ||
		   payload->datalen > XSCORE_KEY_MAX) {
		ret = -EKEYREJECTED;
	} else {
		memcpy(buf, payload->data, payload->datalen);
		ret = payload->datalen;
	}
	up_read(&key->sem);
	key_put(key);
	return ret;
}

static void xscore_auth_set(struct xscore_link *link,
			    enum xscore_auth_state state, const char *why)
{
	spin_lock_bh(&link->lock);
	link->auth_state = state;
	if (why) {
		link->auth_why = why;
		link->stats.auth_refused++;
	}
	spin_unlock_bh(&link->lock);
}

/*
 * Refuse the session: count it, show why, and let the session reconnect
 * after its backoff.
 */
static int xscore_auth_refuse(struct xscore_link *link, const char *why,
			      int err)
{
	xscore_auth_set(link, XSCORE_AUTH_REFUSED, why);
	dev_warn_ratelimited(&link->dev, "refused: %s\n", why);
	return err;
}

/* Both proofs of this connection, the key dropped before returning. */
static int xscore_auth_prove(struct xscore_link *link,
			     const struct xscore_proof_ends *ends,
			     struct xsmp_session_msg *msg)
{
	struct crypto_shash *hmac;
	u8 key[XSCORE_KEY_MAX];
	int len, ret;

	len = xscore_auth_key(link->own_guid, key);
	if (len == -ENOKEY)
		return xscore_auth_refuse(link, "no key for this port", len);
	if (len < 0)
		return xscore_auth_refuse(link, "the port's key has a bad length",
					  len);
	hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(hmac)) {
		ret = xscore_auth_refuse(link, "no hmac(sha256)",
					 PTR_ERR(hmac));
		goto out;
	}
	ret = xscore_proof_compute(hmac, key, len, XSCORE_PROOF_HOST, ends,
				   msg->auth_proof);
	if (!ret)
		ret = xscore_proof_compute(hmac, key, len, XSCORE_PROOF_XCM,
					   ends, link->auth_xcm_proof);
	crypto_free_shash(hmac);
	if (ret)
		ret = xscore_auth_refuse(link, "cannot compute the proofs", ret);
out:
	memzero_explicit(key, sizeof(key));
	return ret;
}

/**
 * xscore_auth_register() - prove this host in its REGISTER
 * @link: the link, just connected
 * @msg: the REGISTER to fill in
 *
 * An XCM that offered a nonce in its accept gets the host's nonce and
 * proof, and must prove itself in REG_CONFIRM.  One that offered none, or
 * a port without a key, goes on without proofs only where that is allowed.
 *
 * Return: 0, or a negative errno when the session must not go on.
 */
int xscore_auth_register(struct xscore_link *link,
			 struct xsmp_session_msg *msg)
{
	u8 data[XSCORE_CONN_ACCEPT_MAX];
	const struct xsmp_accept_data *accept = (const void *)data;
	struct xscore_proof_ends ends = {};
	int len, ret;

	lockdep_assert_held(&link->session.mutex);
	link->auth_expect = false;
	len = xscore_conn_accept(link->conn, data, &ends.host_qpn,
				 &ends.xcm_qpn);
	if (len < 0)
		return len;
	if (len < sizeof(*accept) ||
	    be32_to_cpu(accept->magic) != XSMP_AUTH_MAGIC ||
	    !xscore_proof_nonce_set(accept->nonce)) {
		if (!xscore_auth_optional(link))
			return xscore_auth_refuse(link, "XCM offers no proof",
						  -EKEYREJECTED);
		xscore_auth_set(link, XSCORE_AUTH_NONE, NULL);
		return 0;
	}

	memcpy(ends.xcm_nonce, accept->nonce, sizeof(ends.xcm_nonce));
	do {
		get_random_bytes(ends.host_nonce, sizeof(ends.host_nonce));
	} while (!xscore_proof_nonce_set(ends.host_nonce));
	memcpy(ends.host_gid, &link->src.sin6_addr, sizeof(ends.host_gid));
	memcpy(ends.xcm_gid, &link->dst.sin6_addr, sizeof(ends.xcm_gid));
	ends.host_guid = link->own_guid;

	ret = xscore_auth_prove(link, &ends, msg);
	if (ret == -ENOKEY && xscore_auth_optional(link)) {
		/* Allowed without a key: the XCM decides whether it is. */
		xscore_auth_set(link, XSCORE_AUTH_NONE, NULL);
		return 0;
	}
	if (ret)
		return ret;
	memcpy(msg->auth_nonce, ends.host_nonce, sizeof(msg->auth_nonce));
	link->auth_expect = true;
	xscore_auth_set(link, XSCORE_AUTH_PENDING, NULL);
	return 0;
}

/**
 * xscore_auth_confirm() - check the XCM's proof in its REG_CONFIRM
 * @link: the link, registering
 * @msg: the REG_CONFIRM
 *
 * Return: 0 when the session may go up; else it is refused and counted.
 */
int xscore_auth_confirm(struct xscore_link *link,
			const struct xsmp_session_msg *msg)
{
	bool equal;

	lockdep_assert_held(&link->session.mutex);
	if (!link->auth_expect)
		return 0;
	link->auth_expect = false;
	equal = xscore_proof_equal(msg->auth_proof, link->auth_xcm_proof);
	memzero_explicit(link->auth_xcm_proof, sizeof(link->auth_xcm_proof));
	if (!equal)
		return xscore_auth_refuse(link, "XCM proof wrong",
					  -EKEYREJECTED);
	xscore_auth_set(link, XSCORE_AUTH_OK, NULL);
	return 0;
}

/**
 * xscore_auth_rejected() - the XCM refused this host's proof
 * @link: the link, registering
 */
void xscore_auth_rejected(struct xscore_link *link)
{
	lockdep_assert_held(&link->session.mutex);
	link->auth_expect = false;
	xscore_auth_refuse(link, "XCM refused our proof", -EKEYREJECTED);
}

const char *xscore_auth_state_name(enum xscore_auth_state state)
{
	switch (state) {
	case XSCORE_AUTH_PENDING:
		return "pending";
	case XSCORE_AUTH_OK:
		return "authenticated";
	case XSCORE_AUTH_NONE:
		return "unauthenticated";
	case XSCORE_AUTH_REFUSED:
		return "refused";
	}
	return "invalid";
}

"""Mutual authentication of XSMP sessions, the XCM's side (docs/security.md).

The XCM puts a fresh nonce in its accept's private data; the host answers with its own nonce
and its proof in REGISTER; the XCM checks it and puts its own proof in REG_CONFIRM. A proof is
HMAC-SHA256, under the host's key, of the 128-byte transcript `xsmp_auth_transcript` (label,
both nonces, both GIDs and QP numbers, the host's port GUID). xscore computes the same bytes
(kernel/xscore/xscore_proof.c).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from xswire.xsmp import (
    XSMP_AUTH_MAGIC,
    XSMP_AUTH_NONCE_LEN,
    XSMP_AUTH_PROOF_LEN,
    XsmpAcceptData,
    XsmpAuthTranscript,
)

HOST_LABEL = b"XSMP-AUTH1-HOST"
XCM_LABEL = b"XSMP-AUTH1-XCM"
KEY_MIN = 16
KEY_MAX = 64
NO_NONCE = bytes(XSMP_AUTH_NONCE_LEN)
NO_PROOF = bytes(XSMP_AUTH_PROOF_LEN)


class Refused(Exception):
    """A registration the XCM refuses (REG_REJECT), with the reason."""


@dataclass(frozen=True)
class Ends:
    """One connection's two ends and nonces, as both sides know them."""

    xcm_nonce: bytes
    host_nonce: bytes
    host_gid: bytes  # 16 bytes
    xcm_gid: bytes
    host_qpn: int
    xcm_qpn: int
    host_guid: int


def new_nonce() -> bytes:
    """A nonce that is never all zeros (zeros mean "no proof offered")."""
    while (nonce := secrets.token_bytes(XSMP_AUTH_NONCE_LEN)) == NO_NONCE:
        pass
    return nonce


def accept_data(nonce: bytes) -> bytes:
    """The private data of the XCM's accept: the magic and its nonce."""
    return XsmpAcceptData(magic=XSMP_AUTH_MAGIC, nonce=nonce).encode()


def transcript(label: bytes, ends: Ends) -> bytes:
    return XsmpAuthTranscript(
        label=label,
        xcm_nonce=ends.xcm_nonce,
        host_nonce=ends.host_nonce,
        host_gid=ends.host_gid,
        xcm_gid=ends.xcm_gid,
        host_qpn=ends.host_qpn,
        xcm_qpn=ends.xcm_qpn,
        host_guid=ends.host_guid,
    ).encode()


def proof(key: bytes, label: bytes, ends: Ends) -> bytes:
    return hmac.new(key, transcript(label, ends), hashlib.sha256).digest()


def host_proof_valid(key: bytes, ends: Ends, received: bytes) -> bool:
    return hmac.compare_digest(proof(key, HOST_LABEL, ends), received)


def check_register(
    key: bytes | None,
    may_skip: bool,
    xcm_nonce: bytes,
    host_nonce: bytes,
    host_proof: bytes,
    ends: Callable[[bytes], Ends],
    trust_any_proof: bool = False,
) -> tuple[bytes, bool]:
    """Judge a REGISTER: the XCM's proof for REG_CONFIRM and whether the session is
    authenticated (NO_PROOF and False for a host allowed without proofs); Refused otherwise.
    `key`: the host's, if the configuration has one; `xcm_nonce`: what the accept carried
    (empty: none); `ends`: the connection's ends for the host's nonce (it may raise Refused);
    `trust_any_proof`: a rogue XCM's way, for tests."""
    offered = bool(xcm_nonce) and host_nonce != NO_NONCE
    if not offered or key is None:
        if may_skip:
            return NO_PROOF, False
        raise Refused("no proof offered" if not offered else "no key for host")
    connection = ends(host_nonce)
    if not trust_any_proof and not host_proof_valid(key, connection, host_proof):
        raise Refused("host proof wrong")
    return proof(key, XCM_LABEL, connection), True


def parse_key(text: str) -> bytes:
    """A host key as the configuration holds it: 32 to 128 hex digits (16 to 64 bytes)."""
    try:
        key = bytes.fromhex(text)
    except ValueError as err:
        raise ValueError(f"key is not hex: {err}") from err
    if not KEY_MIN <= len(key) <= KEY_MAX:
        raise ValueError(f"key of {len(key)} bytes, not {KEY_MIN} to {KEY_MAX}")
    return key


def new_key() -> str:
    """A fresh 32-byte key in the configuration's form (hex)."""
    return secrets.token_hex(32)

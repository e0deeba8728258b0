"""The XCM's side of the session proofs (director/auth.py): the transcript's bytes, the
known answers xscore's KUnit suite checks too, what a proof covers, and host keys in the
configuration and the operator CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from director import auth
from director import config as cfg
from director.__main__ import main
from xswire.xsmp import XSMP_AUTH_MAGIC, XsmpAcceptData

# The vector of kernel/testing/kunit/xscore_proof_test.c.
ENDS = auth.Ends(
    xcm_nonce=bytes(range(0x01, 0x21)),
    host_nonce=bytes(range(0x41, 0x61)),
    host_gid=bytes.fromhex("20010db8000000000000000000000001"),
    xcm_gid=bytes.fromhex("20010db800000000505400fffe180002"),
    host_qpn=0x11,
    xcm_qpn=0x1234,
    host_guid=0x505400FFFE180001,
)
KEY = bytes(range(0xA0, 0xC0))
HOST_PROOF = "d0dbfade65445dbb39bef6f1f6cdbe30a7cc828ba5a474f8369af4f47effe04b"
XCM_PROOF = "82f2d5a0169f6cacc9b7f91320f9b75e0d149d927ddae960eefc8c5812f07f41"


def test_known_answers_shared_with_the_kernel_suite() -> None:
    assert auth.proof(KEY, auth.HOST_LABEL, ENDS).hex() == HOST_PROOF
    assert auth.proof(KEY, auth.XCM_LABEL, ENDS).hex() == XCM_PROOF


def test_transcript_layout() -> None:
    data = auth.transcript(auth.HOST_LABEL, ENDS)
    assert len(data) == 128
    assert data[:16] == b"XSMP-AUTH1-HOST\0"
    assert data[16:48] == ENDS.xcm_nonce and data[48:80] == ENDS.host_nonce
    assert data[80:96] == ENDS.host_gid and data[96:112] == ENDS.xcm_gid
    assert data[112:128] == bytes.fromhex("0000001100001234505400fffe180001")


@pytest.mark.parametrize(
    "change",
    [
        {"xcm_nonce": bytes(32)},
        {"host_nonce": bytes(range(0x01, 0x21))},
        {"host_gid": bytes(16)},
        {"xcm_gid": bytes(16)},
        {"host_qpn": 0x12},
        {"xcm_qpn": 0x11},
        {"host_guid": 0x505400FFFE180003},
    ],
)
def test_the_proof_covers_every_field(change: dict[str, object]) -> None:
    received = bytes.fromhex(HOST_PROOF)
    assert auth.host_proof_valid(KEY, ENDS, received)
    assert not auth.host_proof_valid(KEY, replace(ENDS, **change), received)  # type: ignore[arg-type]


def test_a_proof_is_neither_reflected_nor_made_with_another_key() -> None:
    assert not auth.host_proof_valid(KEY, ENDS, bytes.fromhex(XCM_PROOF))
    assert not auth.host_proof_valid(bytes(32), ENDS, bytes.fromhex(HOST_PROOF))


def test_accept_data_carries_the_magic_and_a_nonce() -> None:
    nonce = auth.new_nonce()
    decoded = XsmpAcceptData.decode(auth.accept_data(nonce))
    assert (decoded.magic, decoded.nonce) == (XSMP_AUTH_MAGIC, nonce)
    assert nonce != auth.NO_NONCE and auth.new_nonce() != nonce


@pytest.mark.parametrize("text", ["00" * 15, "00" * 65, "zz" * 32])
def test_bad_keys_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        auth.parse_key(text)
    with pytest.raises(cfg.ConfigError):
        cfg.Config(host_keys={"505400fffe180001": text}).validate()


def test_host_keys_by_port_guid() -> None:
    config = cfg.from_json(
        {
            "host_keys": {"505400fffe180001": "11" * 32},
            "allow_unauthenticated": ["0000000000000042"],
        }
    )
    assert config.host_key(0x505400FFFE180001) == b"\x11" * 32
    assert config.host_key(0x505400FFFE180003) is None
    assert config.may_skip_auth(0x42) and not config.may_skip_auth(0x505400FFFE180001)
    with pytest.raises(cfg.ConfigError, match="host GUID"):
        cfg.Config(allow_unauthenticated=["ABC"]).validate()


def test_ctl_makes_sets_and_removes_host_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "director.json"
    base = ["ctl", "--config", str(path)]

    def run(*args: str) -> str:
        assert main([*base, *args]) == 0
        return capsys.readouterr().out

    made = run("host-key", "505400fffe180001").split()[-1]
    assert len(bytes.fromhex(made)) == 32
    assert json.loads(path.read_text())["host_keys"] == {"505400fffe180001": made}
    run("host-key", "505400fffe180001", "22" * 16)
    assert cfg.load(path).host_key(0x505400FFFE180001) == b"\x22" * 16
    run("host-key", "505400fffe180001", "--remove")
    run("allow-unauthenticated", "505400FFFE180001")
    loaded = cfg.load(path)
    assert loaded.host_keys == {} and loaded.allow_unauthenticated == ["505400fffe180001"]


def _ends(host_nonce: bytes) -> auth.Ends:
    return replace(ENDS, host_nonce=host_nonce)


def _check(**change: object) -> tuple[bytes, bool]:
    args: dict[str, object] = {
        "key": KEY,
        "may_skip": False,
        "xcm_nonce": ENDS.xcm_nonce,
        "host_nonce": ENDS.host_nonce,
        "host_proof": bytes.fromhex(HOST_PROOF),
        "ends": _ends,
    }
    args.update(change)
    return auth.check_register(**args)  # type: ignore[arg-type]


def test_a_good_proof_is_answered_with_the_xcms() -> None:
    assert _check() == (bytes.fromhex(XCM_PROOF), True)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"host_proof": bytes.fromhex(XCM_PROOF)}, "host proof wrong"),
        ({"host_nonce": auth.NO_NONCE}, "no proof offered"),
        ({"xcm_nonce": b""}, "no proof offered"),
        ({"key": None}, "no key for host"),
        ({"key": bytes(32)}, "host proof wrong"),
    ],
)
def test_refusals_say_why(change: dict[str, object], why: str) -> None:
    with pytest.raises(auth.Refused, match=why):
        _check(**change)


def test_hosts_allowed_without_proofs_get_none_but_a_wrong_proof_is_still_refused() -> None:
    assert _check(host_nonce=auth.NO_NONCE, may_skip=True) == (auth.NO_PROOF, False)
    assert _check(key=None, may_skip=True) == (auth.NO_PROOF, False)
    with pytest.raises(auth.Refused):
        _check(host_proof=bytes(32), may_skip=True)


def test_a_rogue_xcm_answers_any_proof_under_its_own_key() -> None:
    rogue = bytes(range(32))
    proof, proven = _check(key=rogue, host_proof=bytes(32), trust_any_proof=True)
    assert proven and proof == auth.proof(rogue, auth.XCM_LABEL, ENDS)
    assert proof != bytes.fromhex(XCM_PROOF)

"""The competing answers a test responder sends before the director's: each differs from the
real answer in exactly the way its kind says, and the real answer is left as it is."""

from __future__ import annotations

import pytest

from director.competing_answers import (
    COMPETING,
    ROGUE_XCM_GUID,
    UNTRUSTED,
    answer_message,
    competing_answer,
)
from xswire.xds import (
    XDS_XCM_REC_VERSION,
    XcfmRecord,
    XcmList,
    XdpFlags,
    XdpHdr,
    XdpMsgType,
    XdsResponse,
    XdsServerInfo,
)

HOST_PORT = 0x5254_00FF_FE12_3401
DIRECTOR_XCM = 0x5254_00FF_FE18_0002


def real() -> XdsResponse:
    return XdsResponse(
        server_info=XdsServerInfo(port_id=HOST_PORT),
        list=XcmList(
            count=1,
            xcm_version=XDS_XCM_REC_VERSION,
            xcms=[XcfmRecord(port_id=DIRECTOR_XCM)],
        ),
    )


def decoded(message: bytes) -> tuple[XdpHdr, XdsResponse]:
    return XdpHdr.decode(message), XdsResponse.decode(message, XdpHdr.SIZE)


def test_the_real_answer_is_a_response_of_its_own_length() -> None:
    header, response = decoded(answer_message(real()))
    assert header.type == XdpMsgType.DISC_SOL
    assert header.flags == XdpFlags.RSP
    assert header.len == XdpHdr.SIZE + XdsResponse.SIZE
    assert response.encode() == real().encode()


def test_untrusted_kinds_are_well_formed_answers_with_another_xcm_list() -> None:
    for kind in UNTRUSTED:
        message = competing_answer(kind, real())
        header, response = decoded(message)
        assert (header.flags, header.len) == (XdpFlags.RSP, len(message)), kind
        assert response.server_info.encode() == real().server_info.encode(), kind
        assert response.list.encode() != real().list.encode(), kind
    _, empty = decoded(competing_answer("empty", real()))
    assert empty.list.count == 0
    _, rogue = decoded(competing_answer("rogue-xcm", real()))
    assert (rogue.list.count, rogue.list.xcms[0].port_id) == (1, ROGUE_XCM_GUID)


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("length-long", "len", 0xFFFF),
        ("request", "flags", XdpFlags.REQ),
        ("type", "type", XdpMsgType.DISC_SOL + 1),
    ],
)
def test_malformed_kinds_break_their_header_field_alone(kind: str, field: str, value: int) -> None:
    header, response = decoded(competing_answer(kind, real()))
    good, _ = decoded(answer_message(real()))
    assert getattr(header, field) == value
    assert {f: getattr(header, f) for f in ("type", "len", "flags") if f != field} == {
        f: getattr(good, f) for f in ("type", "len", "flags") if f != field
    }
    assert response.encode() == real().encode()


def test_echo_names_another_host_port() -> None:
    _, response = decoded(competing_answer("echo", real()))
    assert response.server_info.port_id != HOST_PORT
    assert response.list.encode() == real().list.encode()


def test_every_kind_is_built_and_an_unknown_one_refused() -> None:
    assert all(competing_answer(kind, real()) for kind in COMPETING)
    with pytest.raises(ValueError, match="unknown competing answer"):
        competing_answer("nonsense", real())

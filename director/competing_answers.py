"""Competing answers to a host's UD solicitation, for tests: what a rogue or broken responder
on the segment sends before the director's own answer.

Anyone on the segment hears the solicitation (it goes to all nodes) and can answer it; the host
must weigh every answer it gets and take only a well-formed one from a GID it trusts, without
letting one that came first crowd the director's out.
"""

from __future__ import annotations

from dataclasses import replace

from xswire.xds import (
    XDS_XCM_REC_VERSION,
    XcfmRecord,
    XcmList,
    XdpFlags,
    XdpHdr,
    XdpMsgType,
    XdsResponse,
)

# The XCM a rogue responder names: none of the director's.
ROGUE_XCM_GUID = 0x0002C90300BADBAD

COMPETING = {
    "empty": "an answer from a GID the host does not trust that assigns no XCM (a rogue that"
    " would take every link away)",
    "rogue-xcm": "an answer from a GID the host does not trust that names an XCM of its own",
    "echo": "an answer that echoes another host's port GUID",
    "length-long": "an answer whose header claims more than any datagram holds",
    "request": "a solicitation (REQ) sent back as if it were an answer",
    "type": "an answer of another discovery message type",
}
# The kinds that are well formed and so are weighed by their sender's GID (the rest are
# malformed wherever they come from).
UNTRUSTED = frozenset({"empty", "rogue-xcm"})


# The XDP header of every answer: a response, as long as the XCM list it carries.
ANSWER_HEADER = XdpHdr(
    type=XdpMsgType.DISC_SOL, len=XdpHdr.SIZE + XdsResponse.SIZE, flags=XdpFlags.RSP
)


def answer_message(response: XdsResponse) -> bytes:
    """The UD answer that carries `response`: an XDP header marked as a response, then it."""
    return ANSWER_HEADER.encode() + response.encode()


def competing_answer(kind: str, real: XdsResponse) -> bytes:
    """The competing answer of `kind` to the solicitation that `real` answers."""
    header = ANSWER_HEADER
    response = real
    if kind == "empty":
        response = replace(real, list=XcmList())
    elif kind == "rogue-xcm":
        rogue = XcfmRecord(port_id=ROGUE_XCM_GUID)
        response = replace(
            real, list=XcmList(count=1, xcm_version=XDS_XCM_REC_VERSION, xcms=[rogue])
        )
    elif kind == "echo":
        info = real.server_info
        response = replace(real, server_info=replace(info, port_id=info.port_id ^ 1))
    elif kind == "length-long":
        header = replace(header, len=0xFFFF)
    elif kind == "request":
        header = replace(header, flags=XdpFlags.REQ)
    elif kind == "type":
        header = replace(header, type=XdpMsgType.DISC_SOL + 1)
    else:
        raise ValueError(f"unknown competing answer {kind!r}; known: {', '.join(COMPETING)}")
    return header.encode() + response.encode()

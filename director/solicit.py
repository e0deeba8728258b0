"""Ethernet-mode discovery: answer hosts' UD solicitations (research §1.2).

A host sends its identity to the all-nodes group ff02::1, QPN 0xFFFFFF, QKey 0x11111111.
Userspace verbs here have no multicast attach, so the director reads those RoCEv2 datagrams off
the fabric NIC with a packet socket, and answers each one unicast from a UD QP of its own, with
the same XCM list the XDS would give.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from dataclasses import dataclass

from pyverbs.addr import AH, AHAttr, GlobalRoute
from pyverbs.addr import GID as VerbsGid
from pyverbs.cq import CQ
from pyverbs.device import Context
from pyverbs.enums import IBV_ACCESS_LOCAL_WRITE, IBV_QPT_UD, IBV_WC_SUCCESS, IBV_WR_SEND
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.qp import QP, QPAttr, QPCap, QPInitAttr
from pyverbs.wr import SGE, SendWR

from director.competing_answers import answer_message, competing_answer
from director.fabric_services import Assigner, xcm_answer
from xswire import cstr
from xswire.xds import XDP_UD_QKEY, XdpFlags, XdpHdr, XdpMsgType, XdsRequest

log = logging.getLogger("director.solicit")

ETH_P_IPV6 = 0x86DD
ETH_HEADER = 14
IPV6_HEADER = 40
UDP_HEADER = 8
ROCE_V2_PORT = 4791
BTH = 12
DETH = 8
ICRC = 4
UD_SEND_ONLY = 0x64
MULTICAST_QPN = 0xFFFFFF
ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")
REPLY_HOP_LIMIT = 64
SEND_TIMEOUT = 1.0


@dataclass(frozen=True)
class Solicitation:
    source_gid: bytes
    source_qpn: int
    request: XdsRequest


def parse_frame(frame: bytes) -> Solicitation | None:
    """A solicitation, if this Ethernet frame carries one; None for anything else."""
    if len(frame) < ETH_HEADER + IPV6_HEADER + UDP_HEADER + BTH + DETH + ICRC:
        return None
    if struct.unpack_from(">H", frame, 12)[0] != ETH_P_IPV6:
        return None
    ip = ETH_HEADER
    if frame[ip + 6] != socket.IPPROTO_UDP or frame[ip + 24 : ip + 40] != ALL_NODES:
        return None
    udp = ip + IPV6_HEADER
    if struct.unpack_from(">H", frame, udp + 2)[0] != ROCE_V2_PORT:
        return None
    bth = udp + UDP_HEADER
    opcode = frame[bth]
    dest_qpn = int.from_bytes(frame[bth + 5 : bth + 8], "big")
    if opcode != UD_SEND_ONLY or dest_qpn != MULTICAST_QPN:
        return None
    deth = bth + BTH
    qkey, source_qpn = struct.unpack_from(">II", frame, deth)
    if qkey != XDP_UD_QKEY:
        return None
    payload = frame[deth + DETH : len(frame) - ICRC]
    if len(payload) < XdpHdr.SIZE + XdsRequest.SIZE:
        return None
    header = XdpHdr.decode(payload)
    if header.type != XdpMsgType.DISC_SOL or not header.flags & XdpFlags.REQ:
        return None
    return Solicitation(
        source_gid=bytes(frame[ip + 8 : ip + 24]),
        source_qpn=source_qpn & 0xFFFFFF,
        request=XdsRequest.decode(payload, XdpHdr.SIZE),
    )


class Solicitations:
    """The packet socket that hears solicitations and the UD QP that answers them.

    With `compete` (director/competing_answers.py, for tests), each answer is preceded by a
    competing one of that kind sent from `compete_gid_index`: a rogue or broken responder that
    answers first.
    """

    def __init__(
        self,
        ibdev: str,
        ifname: str,
        gid_index: int,
        assign: Assigner,
        compete: str | None = None,
        compete_gid_index: int | None = None,
    ) -> None:
        self.assign = assign
        self.gid_index = gid_index
        self.compete = compete
        self.compete_gid_index = gid_index if compete_gid_index is None else compete_gid_index
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IPV6))
        self.sock.bind((ifname, 0))
        self.context = Context(name=ibdev)
        self.pd = PD(self.context)
        self.cq = CQ(self.context, 4)
        cap = QPCap(max_send_wr=1, max_recv_wr=1, max_send_sge=1, max_recv_sge=1)
        init = QPInitAttr(qp_type=IBV_QPT_UD, scq=self.cq, rcq=self.cq, cap=cap, sq_sig_all=1)
        attr = QPAttr(port_num=1)
        attr.qkey = XDP_UD_QKEY
        self.qp = QP(self.pd, init, attr)
        self.mr = MR(self.pd, 1024, IBV_ACCESS_LOCAL_WRITE)
        self.stuck: list[AH] = []

    def fileno(self) -> int:
        return self.sock.fileno()

    def serve_one(self) -> None:
        """Read one frame (the socket is readable) and answer it if it is a solicitation."""
        frame = self.sock.recv(65536)
        solicitation = parse_frame(frame)
        if solicitation is None:
            return
        request = solicitation.request
        response = xcm_answer(request, self.assign)
        if self.compete is not None:
            rogue = competing_answer(self.compete, response)
            self._send(solicitation, rogue, self.compete_gid_index)
            log.info("competing answer (%s) sent first", self.compete)
        self._send(solicitation, answer_message(response), self.gid_index)
        log.info("solicitation from %s (%016x) answered with %d XCM(s)",
                 cstr(request.hostname), request.port_id, response.list.count)  # fmt: skip

    def _send(self, to: Solicitation, data: bytes, gid_index: int) -> None:
        route = GlobalRoute(dgid=VerbsGid(_gid_text(to.source_gid)), sgid_index=gid_index)
        route.hop_limit = REPLY_HOP_LIMIT
        ah = AH(self.pd, attr=AHAttr(port_num=1, is_global=1, gr=route))
        self.mr.write(data, len(data))
        wr = SendWR(opcode=IBV_WR_SEND, num_sge=1, sg=[SGE(self.mr.buf, len(data), self.mr.lkey)])
        wr.set_wr_ud(ah, to.source_qpn, XDP_UD_QKEY)
        self.qp.post_send(wr)
        deadline = time.monotonic() + SEND_TIMEOUT
        while time.monotonic() < deadline:
            polled, wcs = self.cq.poll()
            if polled:
                if wcs[0].status != IBV_WC_SUCCESS:
                    log.warning("answer to %s failed: status %d", to.source_gid.hex(),
                                wcs[0].status)  # fmt: skip
                ah.close()
                return
            time.sleep(0.001)
        # no completion: the AH stays with the QP rather than be freed under it
        log.warning("answer to %s did not complete", to.source_gid.hex())
        self.stuck.append(ah)


def _gid_text(raw: bytes) -> str:
    return ":".join(raw[i : i + 2].hex() for i in range(0, 16, 2))

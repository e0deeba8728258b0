"""The XCM: accepts XSMP sessions from hosts, confirms their registration, keeps them alive.

pyverbs' blocking rdma_cm calls hold the GIL, so the XCM does not use threads: it accepts a
connection onto a QP and CQ of its own, then serves that session from one loop that polls the
CQ and sends HELLOs on time. One session at a time for now.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from pyverbs.cm_enums import RAI_PASSIVE, RDMA_PS_TCP
from pyverbs.cmid import CMID, AddrInfo, ConnParam
from pyverbs.cq import CQ
from pyverbs.enums import (
    IBV_ACCESS_LOCAL_WRITE,
    IBV_QPS_INIT,
    IBV_QPS_RTR,
    IBV_QPS_RTS,
    IBV_QPT_RC,
    IBV_WC_RECV,
    IBV_WC_SUCCESS,
    IBV_WR_SEND,
)
from pyverbs.mr import MR
from pyverbs.qp import QP, QPCap, QPInitAttr
from pyverbs.wr import SGE, RecvWR, SendWR

from director.xsmp import (
    XSMP_RDMA_CM_PORT,
    MalformedMessage,
    parse_session_message,
    session_message,
)
from xswire.xsmp import XSMP_MAX_MSG_SIZE, XsmpSessionMsg, XsmpSessionType

log = logging.getLogger("director.xcm")
DATAPATH_TIMEOUT_DISABLED = 0xFFFFFFFF
XSMP_VERSION = 2
RING = 8
POLL_PAUSE = 0.01


@dataclass(frozen=True)
class XcmConfig:
    address: str
    guid: int
    chassis_name: str
    hello_interval: int = 10


class Session:
    """One host's XSMP session on a QP that the XCM owns."""

    def __init__(self, xcm: Xcm, listener: CMID, cmid: CMID) -> None:
        self.xcm = xcm
        self.cmid = cmid
        # pyverbs keeps the new connection's device context and PD on the listener.
        pd = listener.pd
        self.cq = CQ(listener.context, 4 * RING)
        cap = QPCap(max_send_wr=RING, max_recv_wr=RING, max_send_sge=1, max_recv_sge=1)
        init = QPInitAttr(qp_type=IBV_QPT_RC, scq=self.cq, rcq=self.cq, cap=cap, sq_sig_all=1)
        self.qp = QP(pd, init)
        self.recv_mrs = [MR(pd, XSMP_MAX_MSG_SIZE, IBV_ACCESS_LOCAL_WRITE) for _ in range(RING)]
        self.send_mrs = [MR(pd, XSMP_MAX_MSG_SIZE, IBV_ACCESS_LOCAL_WRITE) for _ in range(RING)]
        self.next_send = 0
        self.seq = 0
        self.host_guid = 0
        self.registered = False
        self.malformed = 0
        for state in (IBV_QPS_INIT, IBV_QPS_RTR):
            attr, mask = cmid.init_qp_attr(state)
            self.qp.modify(attr, mask)
        for index in range(RING):
            self._post_recv(index)
        cmid.accept(ConnParam(qp_num=self.qp.qp_num))
        attr, mask = cmid.init_qp_attr(IBV_QPS_RTS)
        self.qp.modify(attr, mask)

    def _post_recv(self, index: int) -> None:
        mr = self.recv_mrs[index]
        sge = SGE(mr.buf, XSMP_MAX_MSG_SIZE, mr.lkey)
        self.qp.post_recv(RecvWR(wr_id=index, num_sge=1, sg=[sge]))

    def send(self, body: XsmpSessionMsg) -> None:
        self.seq += 1
        data = session_message(self.seq, self.xcm.config.guid, self.host_guid, body)
        mr = self.send_mrs[self.next_send]
        self.next_send = (self.next_send + 1) % RING
        mr.write(data, len(data))
        sge = SGE(mr.buf, len(data), mr.lkey)
        self.qp.post_send(SendWR(wr_id=RING + self.seq, opcode=IBV_WR_SEND, num_sge=1, sg=[sge]))

    def run(self) -> None:
        next_hello = None
        while True:
            polled, wcs = self.cq.poll(num_entries=RING)
            for wc in wcs[:polled]:
                if wc.status != IBV_WC_SUCCESS:
                    log.info("session with %016x ended (completion status %d)",
                             self.host_guid, wc.status)  # fmt: skip
                    return
                if wc.opcode & IBV_WC_RECV:
                    data = self.recv_mrs[wc.wr_id].read(wc.byte_len, 0)
                    self._post_recv(wc.wr_id)
                    self._handle(data)
            now = time.monotonic()
            if self.registered and next_hello is None:
                next_hello = now + self.xcm.config.hello_interval
            if next_hello is not None and now >= next_hello:
                self.send(XsmpSessionMsg(type=XsmpSessionType.HELLO))
                next_hello = now + self.xcm.config.hello_interval
            if not polled:
                time.sleep(POLL_PAUSE)

    def _handle(self, data: bytes) -> None:
        try:
            message = parse_session_message(data)
        except MalformedMessage as err:
            self.malformed += 1
            log.warning("dropped malformed message: %s", err)
            return
        kind = message.body.type
        if kind == XsmpSessionType.REGISTER:
            self.host_guid = message.header.source_id.primary
            profile = self.xcm.profile_name(self.host_guid)
            self.send(
                XsmpSessionMsg(
                    type=XsmpSessionType.REG_CONFIRM,
                    resource_flags=DATAPATH_TIMEOUT_DISABLED,
                    version=self.xcm.config.hello_interval,
                    xsigo_xsmp_version=XSMP_VERSION,
                    chassis_name=self.xcm.config.chassis_name.encode(),
                    session_name=profile.encode(),
                )
            )
            self.registered = True
            log.info("host %016x registered (resources %#x), profile %s",
                     self.host_guid, message.body.resource_flags, profile)  # fmt: skip
        elif kind == XsmpSessionType.HELLO:
            log.info("HELLO from host %016x", self.host_guid)
        else:
            log.info("host %016x sent session message type %d", self.host_guid, kind)


class Xcm:
    def __init__(self, config: XcmConfig) -> None:
        self.config = config

    def profile_name(self, host_guid: int) -> str:
        return f"profile-{host_guid & 0xFFFFFF:06x}"

    def serve(self) -> None:
        info = AddrInfo(
            src=self.config.address,
            src_service=str(XSMP_RDMA_CM_PORT),
            port_space=RDMA_PS_TCP,
            flags=RAI_PASSIVE,
        )
        listener = CMID(creator=info)
        listener.listen()
        log.info("XCM %s listening on [%s]:%d", self.config.chassis_name, self.config.address,
                 XSMP_RDMA_CM_PORT)  # fmt: skip
        print("director: xcm ready", flush=True)
        while True:
            cmid = listener.get_request()
            Session(self, listener, cmid).run()
            cmid.close()

"""One RC connection to a host on a QP the director owns (an XCM's XSMP session, an I/O card's
control or data connection): rings of send and receive buffers, polled without blocking.
Its CQ reports completions on a completion channel, whose descriptor (`notify_fd`) a loop
selects on to sleep until there is work instead of waking up to look.

Receives and sends complete in the order they were posted on an RC QP, so the rings are used
in order and a buffer's index is its work request id. RDMA operations share the send queue and
are numbered in posting order: once number n completes, every operation before it has too. A
card waits only for what it needs (data it reads from the host); RDMA WRITEs are not waited
for, since a SEND posted after them on the same QP reaches the host after their data does.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import time

from pyverbs.cmid import CMID, ConnParam
from pyverbs.cq import CQ, WC, CompChannel
from pyverbs.device import Context
from pyverbs.enums import (
    IBV_ACCESS_LOCAL_WRITE,
    IBV_QP_AV,
    IBV_QP_DEST_QPN,
    IBV_QP_MIN_RNR_TIMER,
    IBV_QPS_INIT,
    IBV_QPS_RTR,
    IBV_QPS_RTS,
    IBV_QPT_RC,
    IBV_WC_LOC_PROT_ERR,
    IBV_WC_RECV,
    IBV_WC_REM_ACCESS_ERR,
    IBV_WC_REM_INV_REQ_ERR,
    IBV_WC_REM_OP_ERR,
    IBV_WC_RETRY_EXC_ERR,
    IBV_WC_SUCCESS,
    IBV_WC_WR_FLUSH_ERR,
    IBV_WR_RDMA_READ,
    IBV_WR_RDMA_WRITE,
    IBV_WR_SEND,
)
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsError, PyverbsRDMAError
from pyverbs.qp import QP, QPCap, QPInitAttr
from pyverbs.wr import SGE, RecvWR, SendWR

from director.connection_lost import ConnectionLost

RNR_RETRY_FOREVER = 7
MIN_RNR_TIMER = 12  # IBTA encoding: 0.64 ms
RDMA_WR_ID = 1 << 32  # above every buffer index: RDMA operation n has work request id this + n
RDMA_TIMEOUT = 10.0
RDMA_CM_DEVICE = "/dev/infiniband/rdma_cm"
COMPLETION_CHANNEL = "anon_inode:[infinibandevent]"


# How an RDMA operation ended, in words, for the outcomes a card logs.
WC_STATUS_WORDS = {
    IBV_WC_SUCCESS: "completed",
    IBV_WC_WR_FLUSH_ERR: "flushed",
    IBV_WC_REM_ACCESS_ERR: "remote access error",
    IBV_WC_REM_INV_REQ_ERR: "remote invalid request",
    IBV_WC_REM_OP_ERR: "remote operation error",
    IBV_WC_LOC_PROT_ERR: "local protection error",
    IBV_WC_RETRY_EXC_ERR: "retries exceeded",
}


def wc_status_words(status: int | None) -> str:
    if status is None:
        return "no completion"
    return WC_STATUS_WORDS.get(status, f"status {status}")


def _fds_to(target: str) -> set[int]:
    fds = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == target:
                fds.add(int(name))
        except OSError:
            continue
    return fds


def rdma_cm_fds() -> set[int]:
    """This process's open rdma_cm event channels: pyverbs does not expose their descriptors."""
    return _fds_to(RDMA_CM_DEVICE)


def completion_channel(context: Context) -> tuple[CompChannel, int]:
    """A completion channel and its descriptor (which pyverbs does not expose either), made
    non-blocking so that taking an event never waits."""
    before = _fds_to(COMPLETION_CHANNEL)
    channel = CompChannel(context)
    (fd,) = _fds_to(COMPLETION_CHANNEL) - before
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    return channel, fd


class RcConnection:
    """Accepts the connection request `cmid` on a new QP. Receive buffers hold `recv_size`
    bytes, send buffers `send_size` (default: the same)."""

    def __init__(
        self,
        context: Context,
        pd: PD,
        cmid: CMID,
        ring: int,
        recv_size: int,
        send_size: int | None = None,
        *,
        label: str,
        rdma_depth: int = 1,
        rdma_slots: int = 1,
        accept_data: bytes = b"",
    ) -> None:
        """`rdma_depth`: RDMA reads this side may have outstanding against the host;
        `rdma_slots`: RDMA operations of any kind it may have posted and not seen complete;
        `accept_data`: the private data of the accept."""
        self.cmid = cmid
        self.label = label
        self.ring = ring
        self.recv_size = recv_size
        self.send_size = send_size or recv_size
        self.rdma_slots = rdma_slots
        self.rdma_posted = 0  # number of the last RDMA operation posted
        self.rdma_done = 0  # and of the last one completed
        self.channel, self.notify_fd = completion_channel(context)
        self.cq = CQ(context, 2 * ring + rdma_slots, None, self.channel, 0)
        self.cq.req_notify()
        cap = QPCap(max_send_wr=ring + rdma_slots, max_recv_wr=ring, max_send_sge=1, max_recv_sge=1)
        init = QPInitAttr(qp_type=IBV_QPT_RC, scq=self.cq, rcq=self.cq, cap=cap, sq_sig_all=1)
        self.qp = QP(pd, init)
        self.recv_mrs = [MR(pd, recv_size, IBV_ACCESS_LOCAL_WRITE) for _ in range(ring)]
        # A buffer is always posted the same way: its work request is made once (each pyverbs
        # object costs a logger lookup, which showed in the cards' profiles).
        self.recv_wrs = [
            RecvWR(wr_id=i, num_sge=1, sg=[SGE(mr.buf, recv_size, mr.lkey)])
            for i, mr in enumerate(self.recv_mrs)
        ]
        self.send_mrs = [MR(pd, self.send_size, IBV_ACCESS_LOCAL_WRITE) for _ in range(ring)]
        self.next_send = 0
        self.sends_in_flight = 0
        self.closed = False
        self.failure: str | None = None  # why the QP refused a send
        self.early: list[bytes] = []  # received while rdma() waited
        for state in (IBV_QPS_INIT, IBV_QPS_RTR):
            attr, mask = cmid.init_qp_attr(state)
            if state == IBV_QPS_RTR:
                # The CM's default (0) makes a host that finds a receive ring dry wait 655 ms.
                attr.min_rnr_timer = MIN_RNR_TIMER
                mask |= IBV_QP_MIN_RNR_TIMER
            self.qp.modify(attr, mask)
        for index in range(ring):
            self._post_recv(index)
        cmid.accept(self._accept_param(rdma_depth, accept_data))
        attr, mask = cmid.init_qp_attr(IBV_QPS_RTS)
        self.qp.modify(attr, mask)

    def _accept_param(self, rdma_depth: int, accept_data: bytes) -> ConnParam:
        if not accept_data:
            return ConnParam(depth=rdma_depth, qp_num=self.qp.qp_num, rnr_retry=RNR_RETRY_FOREVER)
        param = ConnParam(
            depth=rdma_depth,
            qp_num=self.qp.qp_num,
            rnr_retry=RNR_RETRY_FOREVER,
            data_len=len(accept_data),
        )
        param.set_private_data(accept_data)
        return param

    @property
    def qp_num(self) -> int:
        return int(self.qp.qp_num)

    def peer(self) -> tuple[bytes, int]:
        """The peer's GID (16 bytes) and QP number, as this QP was connected to them."""
        attr, _ = self.qp.query(IBV_QP_AV | IBV_QP_DEST_QPN)
        gid = attr.ah_attr.dgid
        return ipaddress.IPv6Address(str(gid)).packed, int(attr.dest_qp_num)

    def _post_recv(self, index: int) -> None:
        try:
            self.qp.post_recv(self.recv_wrs[index])
        except PyverbsError as err:
            raise ConnectionLost(f"{self.label}: cannot repost a receive: {err}") from err

    def send(self, data: bytes) -> bool:
        """Post one message; False when every send buffer is still in flight (the caller
        drops) or the QP refused it (the next poll reports the connection lost)."""
        if self.closed or self.failure or len(data) > self.send_size:
            return False
        if self.sends_in_flight >= self.ring and not self._reap_sends():
            return False
        mr = self.send_mrs[self.next_send]
        if data:
            mr.write(data, len(data))
        sge = SGE(mr.buf, len(data), mr.lkey)
        try:
            self.qp.post_send(SendWR(wr_id=self.ring, opcode=IBV_WR_SEND, num_sge=1, sg=[sge]))
        except PyverbsError as err:
            # A QP gone to the error state: every caller learns it the same way, from poll().
            self.failure = f"send refused: {err}"
            return False
        self.next_send = (self.next_send + 1) % self.ring
        self.sends_in_flight += 1
        return True

    @property
    def sending(self) -> bool:
        return self.sends_in_flight > 0

    def poll(self, budget: int = 64, notified: bool = True) -> list[bytes]:
        """What arrived since the last call; ConnectionLost once a completion fails.
        `notified`: whether the completion channel may hold an event (its descriptor was
        readable); without one the CQ is still armed and taking one would only fail."""
        if self.closed:
            return []
        if self.failure:
            raise ConnectionLost(f"{self.label}: {self.failure}")
        received, self.early = self.early, []
        if notified:
            self._rearm()
        polled, wcs = self.cq.poll(num_entries=budget)
        for wc in wcs[:polled]:
            self._complete(wc, received)
        return received

    def _reap_sends(self) -> bool:
        """Take the completions that came, to free send buffers; whether one is free now.
        What was received meanwhile is kept for the next poll()."""
        try:
            polled, wcs = self.cq.poll(num_entries=self.ring)
            for wc in wcs[:polled]:
                self._complete(wc, self.early)
        except ConnectionLost as err:
            self.failure = str(err).removeprefix(f"{self.label}: ")
            return False
        return self.sends_in_flight < self.ring

    def _rearm(self) -> None:
        """Take the channel's event, if one came, and ask for the next before polling, so a
        completion that lands after the poll still wakes the loop."""
        try:
            self.channel.get_cq_event(self.cq)
        except PyverbsRDMAError:
            return  # none pending: still armed
        self.cq.ack_events(1)
        self.cq.req_notify()

    def _complete(self, wc: WC, received: list[bytes]) -> None:
        if wc.status != IBV_WC_SUCCESS:
            what = "RDMA status" if wc.wr_id >= RDMA_WR_ID else "completion status"
            raise ConnectionLost(f"{self.label}: {what} {wc.status}")
        if wc.opcode & IBV_WC_RECV:
            received.append(self.recv_mrs[wc.wr_id].read(wc.byte_len, 0))
            self._post_recv(wc.wr_id)
        elif wc.wr_id >= RDMA_WR_ID:
            self.rdma_done = wc.wr_id - RDMA_WR_ID
        else:
            self.sends_in_flight -= 1

    def post_rdma(self, write: bool, mr: MR, offset: int, length: int, addr: int, rkey: int) -> int:
        """Post an RDMA WRITE of `length` bytes from `mr` at `offset` to the host's `addr` under
        `rkey`, or an RDMA READ of them from there into it, and return its number for
        wait_rdma(). When every RDMA slot is taken, first waits for the oldest to complete.
        ConnectionLost when it fails (a bad key fails the connection too)."""
        if self.closed:
            raise ConnectionLost(f"{self.label}: closed")
        if self.rdma_posted - self.rdma_done >= self.rdma_slots:
            self.wait_rdma(self.rdma_done + 1)
        number = self.rdma_posted + 1
        opcode = IBV_WR_RDMA_WRITE if write else IBV_WR_RDMA_READ
        sge = SGE(mr.buf + offset, length, mr.lkey)
        wr = SendWR(wr_id=RDMA_WR_ID + number, opcode=opcode, num_sge=1, sg=[sge])
        wr.set_wr_rdma(rkey, addr)
        try:
            self.qp.post_send(wr)
        except PyverbsError as err:
            raise ConnectionLost(f"{self.label}: RDMA refused: {err}") from err
        self.rdma_posted = number
        return number

    def wait_rdma(self, number: int) -> None:
        """Wait until RDMA operation `number` (and so every one before it) has completed;
        what arrives meanwhile is kept for the next poll()."""
        deadline = time.monotonic() + RDMA_TIMEOUT
        while self.rdma_done < number:
            if self.closed:
                raise ConnectionLost(f"{self.label}: closed")
            if time.monotonic() > deadline:
                raise ConnectionLost(f"{self.label}: RDMA timed out")
            polled, wcs = self.cq.poll(num_entries=16)
            for wc in wcs[:polled]:
                self._complete(wc, self.early)

    def rdma_outcomes(self, numbers: range) -> dict[int, int | None]:
        """Wait for RDMA operations `numbers` and return how each ended (an IBV_WC_* status;
        None: no completion within RDMA_TIMEOUT). Unlike wait_rdma(), a failed one does not
        raise: the connection is marked failed and the next poll() reports it lost."""
        outcomes: dict[int, int | None] = dict.fromkeys(numbers)
        deadline = time.monotonic() + RDMA_TIMEOUT
        while None in outcomes.values() and time.monotonic() < deadline:
            polled, wcs = self.cq.poll(num_entries=16)
            for wc in wcs[:polled]:
                number = wc.wr_id - RDMA_WR_ID
                if number in outcomes:
                    outcomes[number] = wc.status
                if wc.status == IBV_WC_SUCCESS:
                    self._complete(wc, self.early)
                elif not self.failure:
                    self.failure = f"completion status {wc.status}"
        return outcomes

    def rdma(self, write: bool, mr: MR, offset: int, length: int, addr: int, rkey: int) -> None:
        """post_rdma() and wait until it is done."""
        self.wait_rdma(self.post_rdma(write, mr, offset, length, addr, rkey))

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for resource in (
            self.qp,
            *self.recv_mrs,
            *self.send_mrs,
            self.cq,
            self.channel,
            self.cmid,
        ):
            resource.close()

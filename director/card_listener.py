"""Where an I/O card port takes hosts' connections: an rdma_cm listener on its own event
channel, whose descriptor the card's select() loop waits on (pyverbs does not expose it), and
the port that owns it."""

from __future__ import annotations

from pyverbs.cm_enums import RAI_PASSIVE, RDMA_CM_EVENT_CONNECT_REQUEST, RDMA_PS_TCP
from pyverbs.cmid import CMID, AddrInfo, CMEvent, CMEventChannel

from director.rc_conn import rdma_cm_fds


class CardListener:
    """Listens at [address]:port."""

    def __init__(self, address: str, port: int) -> None:
        self.address = address
        self.service = port
        before = rdma_cm_fds()
        self.channel = CMEventChannel()
        info = AddrInfo(
            src=address, src_service=str(port), port_space=RDMA_PS_TCP, flags=RAI_PASSIVE
        )
        self.listener = CMID(creator=self.channel, port_space=RDMA_PS_TCP)
        self.listener.bind_addr(info)
        self.listener.listen()
        fds = rdma_cm_fds() - before
        self.fd = min(fds) if fds else -1

    def next_request(self) -> tuple[bytes, CMID] | None:
        """The connection request select() saw: its private data and its CMID, to accept or
        refuse. None for other events: the ends of accepted connections, which the card
        learns from failed completions instead."""
        event = CMEvent(self.channel)
        try:
            if event.event_type != RDMA_CM_EVENT_CONNECT_REQUEST:
                return None
            private = bytes(event.private_data or b"")
            cmid = CMID(creator=event, listen_id=self.listener)
        finally:
            event.ack_cm_event()
        return private, cmid

    @staticmethod
    def refuse(cmid: CMID) -> None:
        try:
            cmid.reject()
        finally:
            cmid.close()

    def close(self) -> None:
        self.listener.close()
        self.channel.close()


class CardPort:
    """One port of an I/O card ("eth/1", "fc/1"): its link, up unless the configuration says
    down, and its listener at [address]:service."""

    def __init__(self, name: str, address: str, service: int) -> None:
        self.name = name
        self.link_up = True
        self.listen = CardListener(address, service)

    def describe(self) -> str:
        """The port as its card's log names it."""
        return self.name

    def fds(self) -> list[int]:
        """What else of the port the card's loop waits on besides the listener."""
        return []

    def close(self) -> None:
        self.listen.close()

"""The director's Ethernet I/O card: each port ("eth/1") is bridged to a local network interface,
and each host vNIC on it reaches that network over two RC connections, control and data
(research §4).

The card listens at [fabric prefix + the port's I/O GUID]:4097 (docs/wire-deviations.md). A
connection request's private data names the vNIC (resource id) and which connection it is; a
connection of a kind the vNIC already has means the host started over, and the vNIC does too.
Frames the host sends leave on the port's interface as they are (VLAN tags included); frames
from the network reach a vNIC when its receive is started and they are for it: its MAC (or
one it sent from), broadcast, a multicast address it asked for (or all), on a VLAN it asked
for. Listening, accepting, dropping and the loop are every card's (director/card_gateway.py);
the loop here also waits on the ports' packet sockets.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from pyverbs.cmid import CMID
from pyverbs.device import Context
from pyverbs.pd import PD

from director.card_gateway import CardGateway, HostDevice, ibdev_name
from director.card_listener import CardPort
from director.config import Watched, fabric_address, io_port_guid
from director.rc_conn import ConnectionLost, RcConnection
from xswire.xsvnic_card import (
    XSVNIC_CARD_RDMA_CM_PORT,
    XSVNIC_CTRL_BUF_SIZE,
    XSVNIC_CTRL_RING,
    XsvnicCmPrivateData,
    XsvnicControlMsg,
    XsvnicCtrlType,
    XsvnicQpType,
    XsvnicSpeed,
)

log = logging.getLogger("director.ethgw")

DATA_RING = 64
DATA_BUF_SIZE = 9000 + 14 + 4 + 8
ETH_P_ALL = 0x0003
ETH_P_8021Q = 0x8100
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
AUXDATA = struct.Struct("=IIIHHHH")
BROADCAST = b"\xff" * 6
IDLE_PAUSE = 0.1  # completions and frames wake the loop; this paces timers only
# Hosts send a control message (HEART_BEAT at least) every 2 s; a host silent this long is gone.
HOST_SILENCE = 15.0
PORT_SPEED = XsvnicSpeed.S10G


@dataclass
class VnicState(HostDevice["Port"]):
    """What the card knows of one host vNIC."""

    rx_started: bool = False
    mcast_all: bool = False
    mcast: set[bytes] = field(default_factory=set)
    vlans: set[int] = field(default_factory=set)
    macs: set[bytes] = field(default_factory=set)
    last_heard: float = 0.0  # monotonic time of the last control message
    frames_in: int = 0
    frames_out: int = 0
    dropped: int = 0

    def wants(self, frame: bytes, vlan: int | None) -> bool:
        if not self.rx_started or self.data is None:
            return False
        if vlan is not None and vlan not in self.vlans:
            return False
        dst = frame[:6]
        if dst == BROADCAST:
            return True
        if dst[0] & 1:
            return self.mcast_all or dst in self.mcast
        return dst in self.macs


class Port(CardPort):
    """One Ethernet port of the card: its listener and the interface it is bridged to."""

    def __init__(self, name: str, ifname: str, address: str) -> None:
        super().__init__(name, address, XSVNIC_CARD_RDMA_CM_PORT)
        self.ifname = ifname
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        self.sock.bind((ifname, 0))
        self.sock.setblocking(False)

    def describe(self) -> str:
        return f"{self.name} on {self.ifname}"

    def fds(self) -> list[int]:
        return [self.sock.fileno()]

    def receive(self) -> list[tuple[bytes, int | None]]:
        """Frames that arrived on the interface, with their VLAN tag put back."""
        frames = []
        while True:
            try:
                data, ancdata, _, addr = self.sock.recvmsg(65536, socket.CMSG_SPACE(AUXDATA.size))
            except BlockingIOError:
                return frames
            if addr[2] == PACKET_OUTGOING:
                continue
            vlan = None
            for level, kind, raw in ancdata:
                if level != SOL_PACKET or kind != PACKET_AUXDATA or len(raw) < AUXDATA.size:
                    continue
                status, _, _, _, _, tci, tpid = AUXDATA.unpack_from(raw)
                if status & TP_STATUS_VLAN_VALID:
                    if not status & TP_STATUS_VLAN_TPID_VALID:
                        tpid = ETH_P_8021Q
                    data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
            if len(data) >= 18 and struct.unpack_from("!H", data, 12)[0] == ETH_P_8021Q:
                vlan = struct.unpack_from("!H", data, 14)[0] & 0xFFF
            frames.append((data, vlan))

    def close(self) -> None:
        self.sock.close()
        super().close()


class EthernetGateway(CardGateway[Port, VnicState]):
    device_noun = "vNIC"
    request_format = XsvnicCmPrivateData
    qp_types = XsvnicQpType
    idle_pause = IDLE_PAUSE

    def __init__(self, ports: dict[str, str], prefix: str, director_guid: int, settings: Watched):
        self.context = Context(name=ibdev_name())
        self.pd = PD(self.context)
        super().__init__(
            {
                name: Port(name, ifname, fabric_address(prefix, io_port_guid(director_guid, name)))
                for name, ifname in ports.items()
            },
            settings,
        )
        self._apply_config()

    def _installed_mac(self, resource_id: int) -> bytes | None:
        for server in self.settings.servers:
            for vnic in server.vnics:
                if vnic.resource_id == resource_id:
                    return bytes.fromhex(vnic.mac.replace(":", ""))
        return None

    def _apply_config(self) -> None:
        self._drop_unconfigured({v.resource_id for s in self.settings.servers for v in s.vnics})
        down = set(self.settings.down_ports)
        for port in self.ports.values():
            up = port.name not in down
            if up == port.link_up:
                continue
            port.link_up = up
            log.info("port %s link %s", port.name, "up" if up else "down")
            kind = XsvnicCtrlType.LINK_UP if up else XsvnicCtrlType.LINK_DOWN
            for vnic in self.devices.values():
                if vnic.port is port:
                    self._ctrl_send(vnic, kind, self._speed(port) << 24)

    def _speed(self, port: Port) -> int:
        return int(PORT_SPEED if port.link_up else XsvnicSpeed.DOWN)

    def _ctrl_send(self, vnic: VnicState, kind: int, data: int = 0, body: bytes = b"") -> None:
        if vnic.ctrl is None:
            return
        header = XsvnicControlMsg(type=kind, length=len(body), data=data).encode()
        if not vnic.ctrl.send(header + body):
            log.warning("vNIC %#x: control send ring full, dropped type %d",
                        vnic.resource_id, kind)  # fmt: skip

    # Connections.

    def _open(self, cmid: CMID, control: bool, label: str) -> Callable[[VnicState], None]:
        conn = RcConnection(
            self.context,
            self.pd,
            cmid,
            XSVNIC_CTRL_RING if control else DATA_RING,
            XSVNIC_CTRL_BUF_SIZE if control else DATA_BUF_SIZE,
            label=label,
        )
        return partial(self._attach, conn=conn, control=control)

    def _attach(self, vnic: VnicState, conn: RcConnection, control: bool) -> None:
        if control:
            vnic.ctrl = conn
            vnic.last_heard = time.monotonic()
        else:
            vnic.data = conn
        mac = self._installed_mac(vnic.resource_id)
        if mac:
            vnic.macs.add(mac)

    def _new_device(self, resource_id: int, port: Port) -> VnicState:
        return VnicState(resource_id=resource_id, port=port)

    def _farewell(self, vnic: VnicState) -> None:
        self._ctrl_send(vnic, XsvnicCtrlType.LINK_DOWN)

    # Messages from the host.

    def _control(self, vnic: VnicState, message: bytes) -> None:
        vnic.last_heard = time.monotonic()
        try:
            header = XsvnicControlMsg.decode(message)
        except ValueError:
            log.warning("vNIC %#x: short control message", vnic.resource_id)
            return
        body = message[XsvnicControlMsg.SIZE :]
        if header.length > len(body):
            log.warning("vNIC %#x: control message type %d claims %d bytes, has %d",
                        vnic.resource_id, header.type, header.length, len(body))  # fmt: skip
            return
        body = body[: header.length]
        kind = header.type
        if kind == XsvnicCtrlType.START_RX:
            vnic.rx_started = True
            self._ctrl_send(vnic, XsvnicCtrlType.START_RX_RESPONSE, self._speed(vnic.port) << 24)
            log.info("vNIC %#x: receive started", vnic.resource_id)
        elif kind == XsvnicCtrlType.STOP_RX:
            vnic.rx_started = False
            log.info("vNIC %#x: receive stopped", vnic.resource_id)
        elif kind in (XsvnicCtrlType.ASSIGN_VLAN, XsvnicCtrlType.UNASSIGN_VLAN):
            ids = {v & 0xFFF for (v,) in struct.iter_unpack("!H", body[: len(body) // 2 * 2])}
            if kind == XsvnicCtrlType.ASSIGN_VLAN:
                vnic.vlans |= ids
            else:
                vnic.vlans -= ids
            log.info("vNIC %#x: VLANs %s", vnic.resource_id, sorted(vnic.vlans))
        elif kind == XsvnicCtrlType.MULTICAST_LIST_SEND:
            vnic.mcast_all = bool(header.data)
            vnic.mcast = {body[i : i + 6] for i in range(0, len(body) // 6 * 6, 6)}
            self._ctrl_send(vnic, XsvnicCtrlType.MULTICAST_LIST_RESPONSE)
            log.info("vNIC %#x: multicast %s", vnic.resource_id,
                     "all" if vnic.mcast_all else f"{len(vnic.mcast)} addresses")  # fmt: skip
        elif kind == XsvnicCtrlType.STATS_REQUEST:
            self._ctrl_send(vnic, XsvnicCtrlType.STATS_RESPONSE)
        elif kind != XsvnicCtrlType.HEART_BEAT:
            log.info("vNIC %#x: control message type %d ignored", vnic.resource_id, kind)

    def _data(self, vnic: VnicState, frame: bytes) -> None:
        if not vnic.port.link_up or len(frame) < 14:
            vnic.dropped += 1
            return
        vnic.macs.add(frame[6:12])
        vnic.frames_out += 1
        try:
            vnic.port.sock.send(frame)
        except OSError:
            vnic.dropped += 1

    def _to_hosts(self, port: Port) -> int:
        frames = port.receive()
        if not port.link_up:
            return len(frames)
        for frame, vlan in frames:
            for vnic in self.devices.values():
                if vnic.port is port and vnic.wants(frame, vlan):
                    assert vnic.data is not None
                    if vnic.data.send(frame):
                        vnic.frames_in += 1
                    else:
                        vnic.dropped += 1
        return len(frames)

    # The loop's share of this card.

    def _serve_ports(self) -> int:
        return sum(self._to_hosts(p) for p in self.ports.values())

    def _tend(self, vnic: VnicState) -> None:
        if vnic.ctrl is not None and time.monotonic() - vnic.last_heard > HOST_SILENCE:
            raise ConnectionLost(f"no control message for {HOST_SILENCE:.0f} s")

"""The director's Ethernet I/O card: each port ("eth/1") is bridged to a local network interface,
and each host vNIC on it reaches that network over two RC connections, control and data
(research §4).

The card listens at [fabric prefix + the port's I/O GUID]:4097 (docs/wire-deviations.md). A
connection request's private data names the vNIC (resource id) and which connection it is; a
new connection for a vNIC replaces the old one, as a host that reconnects has lost the old one.
Frames the host sends leave on the port's interface as they are (VLAN tags included); frames
from the network reach a vNIC when its receive is started and they are for it: its MAC (or
one it sent from), broadcast, a multicast address it asked for (or all), on a VLAN it asked
for. No threads: one loop selects on the rdma_cm event channels and packet sockets and polls
every connection's CQ.
"""

from __future__ import annotations

import logging
import select
import signal
import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from pyverbs.device import Context
from pyverbs.pd import PD

from director.card_listener import CardListener
from director.config import Config, Watched, fabric_address, io_port_guid
from director.rc_conn import ConnectionLost, RcConnection, notify_fds
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
RELOAD_PERIOD = 1.0
IDLE_PAUSE = 0.1  # completions and frames wake the loop; this paces timers only
# Hosts send a control message (HEART_BEAT at least) every 2 s; a host silent this long is gone.
HOST_SILENCE = 15.0
PORT_SPEED = XsvnicSpeed.S10G


@dataclass
class VnicState:
    """What the card knows of one host vNIC."""

    resource_id: int
    port: Port
    ctrl: RcConnection | None = None
    data: RcConnection | None = None
    rx_started: bool = False
    mcast_all: bool = False
    mcast: set[bytes] = field(default_factory=set)
    vlans: set[int] = field(default_factory=set)
    macs: set[bytes] = field(default_factory=set)
    last_heard: float = 0.0  # monotonic time of the last control message
    frames_in: int = 0
    frames_out: int = 0
    dropped: int = 0

    def connections(self) -> list[RcConnection]:
        return [c for c in (self.ctrl, self.data) if c is not None]

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


class Port:
    """One Ethernet port of the card: its listener and the interface it is bridged to."""

    def __init__(self, name: str, ifname: str, address: str) -> None:
        self.name = name
        self.ifname = ifname
        self.link_up = True
        self.listen = CardListener(address, XSVNIC_CARD_RDMA_CM_PORT)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        self.sock.bind((ifname, 0))
        self.sock.setblocking(False)

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
        self.listen.close()


class EthernetGateway:
    def __init__(self, ports: dict[str, str], prefix: str, director_guid: int, settings: Watched):
        self.watched = settings
        self.context = Context(name=ibdev_name())
        self.pd = PD(self.context)
        self.ports = {
            name: Port(name, ifname, fabric_address(prefix, io_port_guid(director_guid, name)))
            for name, ifname in ports.items()
        }
        self.vnics: dict[int, VnicState] = {}
        self.stopping = False
        self._apply_config()

    @property
    def settings(self) -> Config:
        return self.watched.config

    def _installed_mac(self, resource_id: int) -> bytes | None:
        for server in self.settings.servers:
            for vnic in server.vnics:
                if vnic.resource_id == resource_id:
                    return bytes.fromhex(vnic.mac.replace(":", ""))
        return None

    def _apply_config(self) -> None:
        configured = {v.resource_id for s in self.settings.servers for v in s.vnics}
        for vnic in list(self.vnics.values()):
            if vnic.resource_id not in configured:
                self._drop(vnic, "deleted by the director")
        down = set(self.settings.down_ports)
        for port in self.ports.values():
            up = port.name not in down
            if up == port.link_up:
                continue
            port.link_up = up
            log.info("port %s link %s", port.name, "up" if up else "down")
            kind = XsvnicCtrlType.LINK_UP if up else XsvnicCtrlType.LINK_DOWN
            for vnic in self.vnics.values():
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

    def _accept(self, port: Port) -> None:
        request = port.listen.next_request()
        if request is None:
            return
        private, cmid = request
        try:
            request = XsvnicCmPrivateData.decode(private)
        except ValueError as err:
            log.warning("port %s: connection request refused: %s", port.name, err)
            port.listen.refuse(cmid)
            return
        if request.qp_type not in (XsvnicQpType.CONTROL, XsvnicQpType.DATA):
            log.warning("port %s: connection of unknown type %d refused", port.name,
                        request.qp_type)  # fmt: skip
            port.listen.refuse(cmid)
            return
        control = request.qp_type == XsvnicQpType.CONTROL
        label = f"vNIC {request.vid:#x} {'control' if control else 'data'}"
        try:
            conn = RcConnection(
                self.context,
                self.pd,
                cmid,
                XSVNIC_CTRL_RING if control else DATA_RING,
                XSVNIC_CTRL_BUF_SIZE if control else DATA_BUF_SIZE,
                label=label,
            )
        except Exception as err:  # a host gone before the handshake ends
            log.warning("%s: accept failed: %s", label, err)
            cmid.close()
            return
        vnic = self.vnics.get(request.vid)
        if vnic is None or vnic.port is not port:
            if vnic is not None:
                self._drop(vnic, "moved to another port")
            vnic = VnicState(resource_id=request.vid, port=port)
            self.vnics[request.vid] = vnic
        old = vnic.ctrl if control else vnic.data
        if old is not None:
            log.info("%s: replaced by a new connection", label)
            old.close()
            # The host starts again from nothing.
            vnic.rx_started = False
        if control:
            vnic.ctrl = conn
            vnic.last_heard = time.monotonic()
        else:
            vnic.data = conn
        mac = self._installed_mac(request.vid)
        if mac:
            vnic.macs.add(mac)
        log.info("%s connected on port %s", label, port.name)

    def _drop(self, vnic: VnicState, why: str) -> None:
        log.info("vNIC %#x: connections closed (%s)", vnic.resource_id, why)
        for conn in vnic.connections():
            conn.close()
        self.vnics.pop(vnic.resource_id, None)

    def _control(self, vnic: VnicState, message: bytes) -> None:
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

    def _from_host(self, vnic: VnicState, frame: bytes) -> None:
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
            for vnic in self.vnics.values():
                if vnic.port is port and vnic.wants(frame, vlan):
                    assert vnic.data is not None
                    if vnic.data.send(frame):
                        vnic.frames_in += 1
                    else:
                        vnic.dropped += 1
        return len(frames)

    def _serve_vnics(self, ready: set[int]) -> int:
        """Serve every vNIC; `ready`: the completion channels that have an event."""
        work = 0
        for vnic in list(self.vnics.values()):
            try:
                if vnic.ctrl is not None:
                    for message in vnic.ctrl.poll(notified=vnic.ctrl.notify_fd in ready):
                        work += 1
                        vnic.last_heard = time.monotonic()
                        self._control(vnic, message)
                    if time.monotonic() - vnic.last_heard > HOST_SILENCE:
                        raise ConnectionLost(f"no control message for {HOST_SILENCE:.0f} s")
                if vnic.data is not None:
                    for frame in vnic.data.poll(notified=vnic.data.notify_fd in ready):
                        work += 1
                        self._from_host(vnic, frame)
            except ConnectionLost as err:
                self._drop(vnic, str(err))
        return work

    def _completion_fds(self) -> list[int]:
        return notify_fds(c for vnic in self.vnics.values() for c in (vnic.ctrl, vnic.data))

    def serve(self) -> None:
        for port in self.ports.values():
            log.info("port %s on %s listening at [%s]:%d", port.name, port.ifname,
                     port.listen.address,
                     XSVNIC_CARD_RDMA_CM_PORT)  # fmt: skip
        print("director: ethgw ready", flush=True)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        next_reload = 0.0
        busy = False
        by_fd = {p.listen.fd: p for p in self.ports.values()}
        sockets = [p.sock for p in self.ports.values()]
        while not self.stopping:
            waited_on = [*by_fd, *sockets, *self._completion_fds()]
            ready, _, _ = select.select(waited_on, [], [], 0 if busy else IDLE_PAUSE)
            for item in ready:
                if isinstance(item, int) and item in by_fd:
                    self._accept(by_fd[item])
            work = sum(self._to_hosts(p) for p in self.ports.values())
            work += self._serve_vnics({fd for fd in ready if isinstance(fd, int)})
            busy = work > 0
            now = time.monotonic()
            if now >= next_reload:
                next_reload = now + RELOAD_PERIOD
                if self.watched.refresh():
                    self._apply_config()
        for vnic in list(self.vnics.values()):
            self._ctrl_send(vnic, XsvnicCtrlType.LINK_DOWN)
            self._drop(vnic, "gateway stopping")
        for port in self.ports.values():
            port.close()

    def _stop(self, signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        self.stopping = True


def ibdev_name() -> str:
    """The first RDMA device: the director VM has one (rxe0)."""
    names = sorted(p.name for p in Path("/sys/class/infiniband").iterdir())
    if not names:
        raise RuntimeError("no RDMA device")
    return names[0]

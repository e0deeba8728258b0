"""What every I/O card of the director does with the hosts' devices that connect to it, whatever
the card is (director/ethgw.py): listen on each card port, accept a device's
control and data connections, drop a device with all it owned, and run the one loop.

No threads: the loop selects on the ports' listeners, on what else a port waits on (the
Ethernet card's packet sockets) and on the open connections' completion channels; it accepts
the connection requests that came, lets the card serve its ports, takes what arrived on every
device's connections, lets the card tend each device (its timers), and re-reads the
configuration every RELOAD_PERIOD. A device whose connection fails, or whose host sends what
cannot be decoded, is dropped; the card goes on. SIGTERM and SIGINT stop it: every device is
dropped, every port closed.

A card is a subclass: it opens the connections (how deep their rings are, what it keeps for
them) and says what its devices' messages mean. This module needs no RDMA stack of its own, so
its logic is tested without one (tests/unit/test_director_card_gateway.py).
"""

from __future__ import annotations

import logging
import select
import signal
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from director.connection_lost import ConnectionLost

if TYPE_CHECKING:
    from pyverbs.cmid import CMID

    from director.card_listener import CardPort
    from director.config import Config, Watched
    from director.rc_conn import RcConnection

RELOAD_PERIOD = 1.0

P = TypeVar("P", bound="CardPort")
D = TypeVar("D", bound="HostDevice[Any]")


def ibdev_name() -> str:
    """The first RDMA device: the director VM has one (rxe0)."""
    names = sorted(p.name for p in Path("/sys/class/infiniband").iterdir())
    if not names:
        raise RuntimeError("no RDMA device")
    return names[0]


class ConnectRequest(Protocol):
    """What a card needs of a connection request's private data (xswire's *CmPrivateData)."""

    vid: int  # the device's resource id
    qp_type: int  # which of its connections


class ConnectRequestFormat(Protocol):
    def decode(self, buf: bytes) -> ConnectRequest: ...


class QpTypes(Protocol):
    """The qp_type of each connection (xswire's *QpType)."""

    CONTROL: int
    DATA: int


@dataclass
class HostDevice(Generic[P]):
    """A host's device (vNIC, vHBA) as its card knows it: the port it came in on and its two
    connections. A card's subclass adds what else it keeps for the device."""

    resource_id: int
    port: P
    ctrl: RcConnection | None = None
    data: RcConnection | None = None

    def connections(self) -> list[RcConnection]:
        return [c for c in (self.ctrl, self.data) if c is not None]

    def close(self) -> None:
        """Close the connections and whatever else the device owns."""
        for conn in self.connections():
            conn.close()

    def summary(self) -> str:
        """What the card's log says of the device when it is dropped, after why."""
        return ""


class CardGateway(ABC, Generic[P, D]):
    """The skeleton of an I/O card: its ports by name and its devices by resource id. The card
    logs as its module (director.ethgw) and its ready banner names the module (ethgw), which is
    also the command that runs it."""

    device_noun: ClassVar[str]  # in the log: "vNIC"
    request_format: ClassVar[ConnectRequestFormat]  # a connection request's private data
    qp_types: ClassVar[QpTypes]  # and the qp_type in it
    idle_pause: ClassVar[float]  # the longest the loop sleeps when nothing woke it

    def __init__(self, ports: dict[str, P], settings: Watched) -> None:
        self.log = logging.getLogger(type(self).__module__)
        self.watched = settings
        self.ports = ports
        self.devices: dict[int, D] = {}
        self.stopping = False

    @property
    def settings(self) -> Config:
        return self.watched.config

    # What a card says.

    @abstractmethod
    def _open(self, cmid: CMID, control: bool, label: str) -> Callable[[D], None]:
        """Accept `cmid` as a device's control or data connection, with what the card keeps
        for it; return what puts them in their device. On an error it closes what it made
        (the caller closes `cmid`)."""

    @abstractmethod
    def _new_device(self, resource_id: int, port: P) -> D:
        """A device that has no connection yet."""

    @abstractmethod
    def _control(self, device: D, message: bytes) -> None:
        """A message that arrived on the device's control connection."""

    @abstractmethod
    def _data(self, device: D, message: bytes) -> None:
        """A message that arrived on the device's data connection."""

    @abstractmethod
    def _apply_config(self) -> None:
        """Bring the card in line with the configuration, read again."""

    def _tend(self, device: D) -> None:
        """After each look at the device's connections: its timers and what it must send."""

    def _serve_ports(self) -> int:
        """Serve what the ports' own descriptors brought; how much there was."""
        return 0

    def _farewell(self, device: D) -> None:
        """What the device is told before the card stops."""

    # Connections.

    def _decode_request(self, private: bytes) -> tuple[int, bool]:
        """The resource id a connection request names, and whether it asks for the control
        connection (else the data one); ValueError refuses the request."""
        request = self.request_format.decode(private)
        if request.qp_type not in (self.qp_types.CONTROL, self.qp_types.DATA):
            raise ValueError(f"connection type {request.qp_type}")
        return request.vid, request.qp_type == self.qp_types.CONTROL

    def _accept(self, port: P) -> None:
        request = port.listen.next_request()
        if request is None:
            return
        private, cmid = request
        try:
            resource_id, control = self._decode_request(private)
        except ValueError as err:
            self.log.warning("port %s: connection request refused: %s", port.name, err)
            port.listen.refuse(cmid)
            return
        label = f"{self.device_noun} {resource_id:#x} {'control' if control else 'data'}"
        try:
            attach = self._open(cmid, control, label)
        except Exception as err:  # a host gone before the handshake ends
            self.log.warning("%s: accept failed: %s", label, err)
            cmid.close()
            return
        attach(self._device_for(resource_id, port, control))
        self.log.info("%s connected on port %s", label, port.name)

    def _device_for(self, resource_id: int, port: P, control: bool) -> D:
        """The device a new connection joins. The host opens both at once, so either may come
        first. One of a kind the device already has means the host started over (it always
        tears both down, and says everything again on the new ones), and the device does too;
        so does one that moved to another port."""
        device = self.devices.get(resource_id)
        if device is not None:
            if device.port is not port:
                self._drop(device, "moved to another port")
            elif (device.ctrl if control else device.data) is not None:
                self._drop(device, "the host connects again")
            else:
                return device
        device = self._new_device(resource_id, port)
        self.devices[resource_id] = device
        return device

    def _drop(self, device: D, why: str) -> None:
        self.log.info("%s %#x: connections closed (%s)%s", self.device_noun, device.resource_id,
                      why, device.summary())  # fmt: skip
        device.close()
        if self.devices.get(device.resource_id) is device:
            del self.devices[device.resource_id]

    def _drop_unconfigured(self, configured: set[int]) -> None:
        for device in list(self.devices.values()):
            if device.resource_id not in configured:
                self._drop(device, "deleted by the director")

    # The loop.

    def _serve_devices(self, ready: set[int]) -> int:
        """Serve every device; `ready`: the descriptors that have an event. How much came."""
        work = 0
        for device in list(self.devices.values()):
            try:
                work += self._receive(device, ready)
                self._tend(device)
            except (ConnectionLost, ValueError) as err:
                self._drop(device, str(err))
        return work

    def _receive(self, device: D, ready: set[int]) -> int:
        """Take what arrived on the device's connections, control first."""
        work = 0
        if device.ctrl is not None:
            for message in device.ctrl.poll(notified=device.ctrl.notify_fd in ready):
                work += 1
                self._control(device, message)
        if device.data is not None:
            for message in device.data.poll(notified=device.data.notify_fd in ready):
                work += 1
                self._data(device, message)
        return work

    def _completion_fds(self) -> list[int]:
        return [
            conn.notify_fd
            for device in self.devices.values()
            for conn in device.connections()
            if not conn.closed
        ]

    def serve(self) -> None:
        for port in self.ports.values():
            self.log.info("port %s listening at [%s]:%d", port.describe(), port.listen.address,
                          port.listen.service)  # fmt: skip
        command = type(self).__module__.rsplit(".", 1)[-1]
        print(f"director: {command} ready", flush=True)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        next_reload = 0.0
        busy = False
        by_fd = {p.listen.fd: p for p in self.ports.values()}
        port_fds = [fd for p in self.ports.values() for fd in p.fds()]
        while not self.stopping:
            waited_on = [*by_fd, *port_fds, *self._completion_fds()]
            ready, _, _ = select.select(waited_on, [], [], 0 if busy else self.idle_pause)
            for fd in ready:
                if fd in by_fd:
                    self._accept(by_fd[fd])
            work = self._serve_ports()
            work += self._serve_devices(set(ready))
            busy = work > 0
            now = time.monotonic()
            if now >= next_reload:
                next_reload = now + RELOAD_PERIOD
                if self.watched.refresh():
                    self._apply_config()
        self._shut_down()

    def _shut_down(self) -> None:
        for device in list(self.devices.values()):
            self._farewell(device)
            self._drop(device, "card stopping")
        for port in self.ports.values():
            port.close()

    def _stop(self, signum: int, _frame: object) -> None:
        self.log.info("signal %d: stopping", signum)
        self.stopping = True

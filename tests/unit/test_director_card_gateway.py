"""The skeleton every I/O card of the director shares (director/card_gateway.py), on fakes of
its ports and connections: which requests are refused, how a device's connection pair comes
together and starts over, what a drop closes, how the loop serves, fails and stops."""

from __future__ import annotations

import enum
import logging
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from director import card_gateway
from director.card_gateway import CardGateway, HostDevice
from director.connection_lost import ConnectionLost


class FakeCmid:
    def __init__(self, fd: int = 100) -> None:
        self.fd = fd
        self.closed = False

    def close(self) -> None:
        self.closed = True


class FakeConn:
    def __init__(self, cmid: FakeCmid) -> None:
        self.notify_fd = cmid.fd
        self.closed = False
        self.inbox: list[bytes] = []
        self.lost: str | None = None

    def poll(self, budget: int = 64, notified: bool = True) -> list[bytes]:
        if self.lost:
            raise ConnectionLost(self.lost)
        received, self.inbox = self.inbox, []
        return received

    def close(self) -> None:
        self.closed = True


class FakeListener:
    def __init__(self, fd: int = -1) -> None:
        self.fd = fd
        self.address = "fe80::1"
        self.service = 4097
        self.requests: deque[tuple[bytes, FakeCmid]] = deque()
        self.refused: list[FakeCmid] = []

    def next_request(self) -> tuple[bytes, FakeCmid] | None:
        return self.requests.popleft() if self.requests else None

    def refuse(self, cmid: FakeCmid) -> None:
        self.refused.append(cmid)


class FakePort:
    def __init__(self, name: str, listen_fd: int = -1) -> None:
        self.name = name
        self.link_up = True
        self.listen = FakeListener(listen_fd)
        self.closed = False

    def describe(self) -> str:
        return self.name

    def fds(self) -> list[int]:
        return []

    def close(self) -> None:
        self.closed = True


@dataclass
class Request:
    vid: int
    qp_type: int


class RequestFormat:
    """Two bytes: the resource id and the qp_type."""

    @staticmethod
    def decode(buf: bytes) -> Request:
        if len(buf) != 2:
            raise ValueError(f"{len(buf)} bytes of private data")
        return Request(buf[0], buf[1])


class QpType(enum.IntEnum):
    CONTROL = 0
    DATA = 1


class FakeWatched:
    def __init__(self) -> None:
        self.changes = 0

    def refresh(self) -> bool:
        changed, self.changes = self.changes > 0, max(self.changes - 1, 0)
        return changed


Device = HostDevice[FakePort]


class Card(CardGateway[FakePort, Device]):
    device_noun = "vDEV"
    request_format = RequestFormat
    qp_types = QpType
    idle_pause = 0.0

    def __init__(self, *ports: FakePort) -> None:
        super().__init__({p.name: p for p in ports}, FakeWatched())
        self.received: list[tuple[str, int, bytes]] = []
        self.open_fails = False
        self.farewells: list[int] = []
        self.configs = 0
        self.loops = 0
        self.stop_after = 1

    def _open(self, cmid: FakeCmid, control: bool, label: str) -> Callable[[Device], None]:
        if self.open_fails:
            raise RuntimeError("host gone")
        conn = FakeConn(cmid)

        def attach(device: Device) -> None:
            if control:
                device.ctrl = conn
            else:
                device.data = conn

        return attach

    def _new_device(self, resource_id: int, port: FakePort) -> Device:
        return HostDevice(resource_id, port)

    def _control(self, device: Device, message: bytes) -> None:
        if message == b"garbage":
            raise ValueError("undecodable control message")
        self.received.append(("control", device.resource_id, message))

    def _data(self, device: Device, message: bytes) -> None:
        self.received.append(("data", device.resource_id, message))

    def _apply_config(self) -> None:
        self.configs += 1

    def _farewell(self, device: Device) -> None:
        self.farewells.append(device.resource_id)

    def _serve_ports(self) -> int:
        self.loops += 1
        self.stopping = self.loops >= self.stop_after
        return 0


def connect(card: Card, port: FakePort, vid: int, qp_type: int, fd: int = 100) -> FakeCmid:
    cmid = FakeCmid(fd)
    port.listen.requests.append((bytes([vid, qp_type]), cmid))
    card._accept(port)
    return cmid


def conn(device: Device, which: str) -> FakeConn:
    found = getattr(device, which)
    assert isinstance(found, FakeConn)
    return found


@pytest.fixture
def port() -> FakePort:
    return FakePort("x/1")


@pytest.fixture
def card(port: FakePort) -> Card:
    return Card(port, FakePort("x/2"))


@pytest.mark.parametrize(
    ("private", "why"),
    [(b"\x07", "1 bytes of private data"), (b"\x07\x05", "connection type 5")],
    ids=["undecodable", "unknown-connection-type"],
)
def test_bad_connection_request_is_refused(
    card: Card, port: FakePort, private: bytes, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    cmid = FakeCmid()
    port.listen.requests.append((private, cmid))
    with caplog.at_level(logging.WARNING):
        card._accept(port)
    assert port.listen.refused == [cmid]
    assert card.devices == {}
    assert f"port x/1: connection request refused: {why}" in caplog.text


def test_control_and_data_in_either_order_make_one_device(card: Card, port: FakePort) -> None:
    connect(card, port, 7, QpType.DATA, fd=11)
    connect(card, port, 7, QpType.CONTROL, fd=10)
    (device,) = card.devices.values()
    assert (device.resource_id, device.port) == (7, port)
    assert (conn(device, "ctrl").notify_fd, conn(device, "data").notify_fd) == (10, 11)
    assert sorted(card._completion_fds()) == [10, 11]


def test_connection_of_a_kind_the_device_has_starts_it_over(
    card: Card, port: FakePort, caplog: pytest.LogCaptureFixture
) -> None:
    connect(card, port, 7, QpType.CONTROL, fd=10)
    connect(card, port, 7, QpType.DATA, fd=11)
    old = card.devices[7]
    old_ctrl, old_data = conn(old, "ctrl"), conn(old, "data")
    with caplog.at_level(logging.INFO):
        connect(card, port, 7, QpType.CONTROL, fd=12)
    new = card.devices[7]
    assert new is not old
    assert old_ctrl.closed and old_data.closed  # the partner of the lost connection goes too
    assert conn(new, "ctrl").notify_fd == 12 and new.data is None
    assert "vDEV 0x7: connections closed (the host connects again)" in caplog.text


def test_connection_on_another_port_moves_the_device(card: Card, port: FakePort) -> None:
    connect(card, port, 7, QpType.CONTROL)
    old = card.devices[7]
    other = card.ports["x/2"]
    connect(card, other, 7, QpType.DATA)
    assert conn(old, "ctrl").closed
    assert card.devices[7].port is other and card.devices[7].ctrl is None


def test_failed_accept_closes_the_request_and_keeps_the_device(card: Card, port: FakePort) -> None:
    connect(card, port, 7, QpType.CONTROL)
    device = card.devices[7]
    card.open_fails = True
    cmid = connect(card, port, 7, QpType.CONTROL)
    assert cmid.closed
    assert card.devices[7] is device and not conn(device, "ctrl").closed


def test_drop_of_a_replaced_device_leaves_its_successor(card: Card, port: FakePort) -> None:
    connect(card, port, 7, QpType.CONTROL)
    old = card.devices[7]
    connect(card, port, 7, QpType.CONTROL)
    new = card.devices[7]
    card._drop(old, "late")
    assert card.devices[7] is new


def test_lost_connection_or_garbage_drops_only_its_device(card: Card, port: FakePort) -> None:
    for vid in (1, 2, 3):
        connect(card, port, vid, QpType.CONTROL, fd=10 + vid)
        connect(card, port, vid, QpType.DATA, fd=20 + vid)
    conn(card.devices[1], "data").lost = "completion status 5"
    conn(card.devices[2], "ctrl").inbox.append(b"garbage")
    conn(card.devices[3], "ctrl").inbox.append(b"hello")
    conn(card.devices[3], "data").inbox.extend([b"a", b"b"])
    assert card._serve_devices({13}) == 3
    assert list(card.devices) == [3]
    assert card.received == [("control", 3, b"hello"), ("data", 3, b"a"), ("data", 3, b"b")]
    assert sorted(card._completion_fds()) == [13, 23]


def test_unconfigured_devices_are_dropped(card: Card, port: FakePort) -> None:
    for vid in (1, 2):
        connect(card, port, vid, QpType.CONTROL)
    card._drop_unconfigured({2})
    assert list(card.devices) == [2]


@pytest.fixture
def no_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(card_gateway.signal, "signal", lambda *_: None)


@pytest.fixture
def listener_pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    yield read_end, write_end
    os.close(read_end)
    os.close(write_end)


@pytest.mark.usefixtures("no_signals")
def test_loop_accepts_what_its_listener_signals_then_stops_cleanly(
    listener_pipe: tuple[int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    read_end, write_end = listener_pipe
    port = FakePort("x/1", listen_fd=read_end)
    card = Card(port)
    card.stop_after = 2
    card.watched.changes = 1
    # The connection's completion channel: any descriptor select() takes.
    port.listen.requests.append((bytes([7, QpType.CONTROL]), FakeCmid(read_end)))
    os.write(write_end, b"!")
    card.serve()
    assert "director: test_director_card_gateway ready" in capsys.readouterr().out
    assert card.configs == 1  # read again on the first pass, not before RELOAD_PERIOD again
    assert card.farewells == [7]  # told before its connections close
    assert card.devices == {} and port.closed

"""Userspace MADs through the kernel's ib_umad interface (/dev/infiniband/umadN).

One file descriptor per port; agents are registered for a management class and the methods
they answer. Received MADs come with the sender's address (including the GRH on RoCE), which a
reply reuses. ABI: include/uapi/rdma/ib_user_mad.h (header with pkey_index, 64 bytes).
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
from dataclasses import dataclass, replace
from pathlib import Path

MAD_SIZE = 256
GSI_QPN = 1
GSI_QKEY = 0x80010000
_IOC_MAGIC = 0x1B
# struct ib_user_mad_hdr: host-order bookkeeping, then the address in network order, then the
# host-order pkey_index that ENABLE_PKEY switches on.
_HDR_HOST = struct.Struct("<IIIII")  # id, status, timeout_ms, retries, length
_HDR_NET = struct.Struct(">IIHBBBBBB16sI")  # qpn, qkey, lid, sl ... gid, flow_label
_HDR_TAIL = struct.Struct("<H6x")  # pkey_index, reserved
HDR_SIZE = _HDR_HOST.size + _HDR_NET.size + _HDR_TAIL.size
# struct ib_user_mad_reg_req: id, method_mask[128 bits], qpn, class, version, oui[3], rmpp
_REG_REQ = struct.Struct("<I16sBBB3sBx")


def _ioc(direction: int, nr: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (_IOC_MAGIC << 8) | nr


REGISTER_AGENT = _ioc(3, 1, _REG_REQ.size)
ENABLE_PKEY = _ioc(0, 3, 0)


@dataclass(frozen=True)
class Address:
    """Where a MAD came from or goes to, as ib_umad describes it (network order kept raw)."""

    qpn: int = GSI_QPN
    qkey: int = GSI_QKEY
    lid: int = 0
    sl: int = 0
    path_bits: int = 0
    grh_present: bool = True
    gid_index: int = 0
    hop_limit: int = 64
    traffic_class: int = 0
    gid: bytes = bytes(16)
    flow_label: int = 0
    pkey_index: int = 0


@dataclass(frozen=True)
class Received:
    agent: int
    status: int
    address: Address
    mad: bytes


def node_guid(ibdev: str) -> int:
    """The node GUID of an RDMA device (on RoCE, derived from the MAC as an EUI-64)."""
    text = Path(f"/sys/class/infiniband/{ibdev}/node_guid").read_text().strip()
    return int(text.replace(":", ""), 16)


def gid(ibdev: str, port: int, index: int) -> bytes:
    text = Path(f"/sys/class/infiniband/{ibdev}/ports/{port}/gids/{index}").read_text().strip()
    return bytes.fromhex(text.replace(":", ""))


def umad_device(ibdev: str, port: int = 1) -> Path:
    """The /dev/infiniband/umadN node of an RDMA device's port."""
    for entry in Path("/sys/class/infiniband_mad").glob("umad*"):
        if (entry / "ibdev").read_text().strip() == ibdev and int(
            (entry / "port").read_text()
        ) == port:
            return Path("/dev/infiniband") / entry.name
    raise FileNotFoundError(f"no umad device for {ibdev} port {port} (is ib_umad loaded?)")


class UmadPort:
    """An open umad file: register agents, send MADs, receive MADs."""

    def __init__(self, device: Path) -> None:
        self._fd = os.open(device, os.O_RDWR)
        fcntl.ioctl(self._fd, ENABLE_PKEY)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> UmadPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register(self, mgmt_class: int, version: int, methods: tuple[int, ...] = ()) -> int:
        """Register an agent on the GSI QP; `methods` are the unsolicited ones it receives."""
        mask = sum(1 << method for method in set(methods))
        req = bytearray(
            _REG_REQ.pack(0, mask.to_bytes(16, "little"), GSI_QPN, mgmt_class, version, bytes(3), 0)
        )
        fcntl.ioctl(self._fd, REGISTER_AGENT, req)
        return int.from_bytes(req[:4], "little")

    def send(
        self, agent: int, address: Address, mad: bytes, timeout_ms: int = 0, retries: int = 0
    ) -> None:
        """Send a MAD; a request with timeout_ms > 0 gets its answer matched by TID."""
        if len(mad) != MAD_SIZE:
            raise ValueError(f"a MAD is {MAD_SIZE} bytes, not {len(mad)}")
        a = address
        header = (
            _HDR_HOST.pack(agent, 0, timeout_ms, retries, 0)
            + _HDR_NET.pack(
                a.qpn,
                a.qkey,
                a.lid,
                a.sl,
                a.path_bits,
                int(a.grh_present),
                a.gid_index,
                a.hop_limit,
                a.traffic_class,
                a.gid,
                a.flow_label,
            )
            + _HDR_TAIL.pack(a.pkey_index)
        )
        os.write(self._fd, header + mad)

    def receive(self, timeout: float) -> Received | None:
        """The next MAD for any of this file's agents, or None after `timeout` seconds."""
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self._fd, HDR_SIZE + MAD_SIZE)
        if len(data) < HDR_SIZE:
            raise RuntimeError(f"short read of {len(data)} bytes from umad")
        agent, status, _timeout, _retries, _length = _HDR_HOST.unpack_from(data)
        net = _HDR_NET.unpack_from(data, _HDR_HOST.size)
        (pkey_index,) = _HDR_TAIL.unpack_from(data, _HDR_HOST.size + _HDR_NET.size)
        address = Address(*net[:5], bool(net[5]), *net[6:], pkey_index)  # type: ignore[misc]
        return Received(agent=agent, status=status, address=address, mad=data[HDR_SIZE:])


def reply_address(received: Received, gid_index: int) -> Address:
    """Address an answer to the sender of a received MAD, from our GID at gid_index.

    ib_umad reports no QKey for received MADs; GSI answers go to the well-known one.
    """
    return replace(received.address, gid_index=gid_index, qkey=GSI_QKEY)

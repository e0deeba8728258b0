"""The director's FC card in the kernel (kernel/xsfcgw, a LIO fabric) as its configuration file
describes it, written to configfs: each FC port a fabric WWN listening at its fabric address,
each target a TPG named by its port WWN, each LUN a LIO LUN on a fileio backstore (a file of
size_mb MiB, or an existing file) or an iblock one (an existing block device), the vHBAs of
the port named by WWPN for the node ACLs, a masked target's node ACLs and the LUNs each maps,
and the operator's faults.

Plain configfs reads and writes (no rtslib): the tree is small and its layout is the kernel's.
`apply()` makes the tree match the configuration and removes what the configuration no longer
has; `remove()` takes the fabric's tree away (the card stops: every host connection drops) and
leaves the backstores, whose data must outlive a card restart.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from director import formats
from director.config import Config, FcLun, FcTarget, fabric_address, io_port_guid

log = logging.getLogger("director.lio")

CONFIGFS = Path("/sys/kernel/config/target")
FABRIC = "xsfcgw"
CARD_PORT = 0x1001  # the rdma_cm port of an I/O card (specs/xsvhba_card.yaml)
CARD = "card"  # the card port's own attributes under its WWN
INITIATORS = Path(CARD) / "initiators"  # a directory per vHBA configured: wwpn, host
DEMO_MODE = Path("attrib") / "generate_node_acls"  # a TPG's: 1 open, 0 masked by node ACLs
LINK = "xs_lun"  # the symlink in a LUN (to its backstore) and in a mapped LUN (to the LUN)
VENDOR = "XSIGO"
PRODUCT = "VIRTUAL DISK"


def wwn_name(port: str) -> str:
    """The fabric WWN of a card port: "fc/1" is fc-1 (configfs names hold no slash)."""
    return port.replace("/", "-")


def hex_wwpn(wwpn: int) -> str:
    return f"{wwpn:016x}"


def port_vhbas(config: Config, ports: Iterable[str]) -> dict[int, int]:
    """The configured vHBAs on `ports`: resource id -> the WWPN their node ACLs are named by."""
    wanted = set(ports)
    return {v.resource_id: formats.wwn_value(v.wwn)
            for s in config.servers for v in s.vhbas if v.port in wanted}  # fmt: skip


def card_fault(target: FcTarget) -> str:
    """What the card's `fault` attribute takes for the target's fault."""
    kind, seconds = target.fault
    return f"{kind} {int(seconds * 1000)}" if kind in ("delay", "stale") else kind


def serial(target: FcTarget, lun: int) -> str:
    """The LUN's unit serial number, as the Python card gave it."""
    return f"XS{target.wwpn_int & 0xFFFFFF:06X}{lun:03d}"


@dataclass(frozen=True)
class Backstore:
    """Where a LUN's data is: a LIO backstore under core/<hba>/<name>."""

    hba: str  # fileio_0 or iblock_0
    name: str
    control: str  # what its control attribute is told

    def path(self, root: Path) -> Path:
        return root / "core" / self.hba / self.name


def backstore(target: FcTarget, lun: FcLun, lun_dir: Path) -> Backstore:
    name = f"xs-{hex_wwpn(target.wwpn_int)}-{lun.lun}"
    if lun.backing:
        path = Path(lun.backing)
        if stat.S_ISBLK(path.stat().st_mode):
            return Backstore("iblock_0", name, f"udev_path={path}")
        return Backstore("fileio_0", name, f"fd_dev_name={path},fd_dev_size={path.stat().st_size}")
    path = lun_dir / f"{target.wwpn_int:016x}-{lun.lun}.img"
    return Backstore("fileio_0", name, f"fd_dev_name={path},fd_dev_size={lun.size_mb << 20}")


class Lio:
    """The kernel card's configfs tree under `root` (CONFIGFS; a directory in the unit tests)."""

    def __init__(self, ports: list[str], prefix: str, director_guid: int, lun_dir: Path,
                 root: Path = CONFIGFS) -> None:  # fmt: skip
        self.ports = ports
        self.prefix = prefix
        self.director_guid = director_guid
        self.lun_dir = lun_dir
        self.root = root

    @property
    def fabric(self) -> Path:
        return self.root / FABRIC

    # The whole tree.

    def apply(self, config: Config, hosts: Mapping[int, str] | None = None) -> None:
        """Make the tree what `config` says, each vHBA bound to the host GID `hosts` has for its
        resource id (director/bindings.py; none: no connections yet); then tell the connected
        vHBAs what changed (the card's rescan: after every LUN, node ACL and target state is in
        place)."""
        targets = [t for t in config.fc_targets if t.port in self.ports]
        wanted = {b.name: (b, t, lun) for t in targets for lun in t.luns
                  for b in [backstore(t, lun, self.lun_dir)]}  # fmt: skip
        for store, target, lun in wanted.values():
            self._backstore(store, target, lun.lun)
        for port in self.ports:
            self._port(config, port, [t for t in targets if t.port == port], hosts or {})
        for store in self._backstores():
            if store.name.startswith("xs-") and store.name not in wanted:
                _rmdir(store.path(self.root))
        for port in self.ports:
            _write(self.fabric / wwn_name(port) / CARD / "rescan", "1")

    def remove(self) -> None:
        """Take every card port away (their hosts' connections drop); keep the backstores."""
        for port in self.ports:
            wwn = self.fabric / wwn_name(port)
            if wwn.is_dir():
                # Every host's connections first, drained, so that no command of theirs holds
                # a LUN the removal below waits for (a dead host's, never ended). A newline: an
                # empty write never reaches the kernel.
                _write(wwn / CARD / "listen", "\n")
                for tpg in _tpgs(wwn):
                    self._remove_tpg(tpg)
                for initiator in _subdirs(wwn / INITIATORS):
                    _rmdir(initiator)
                _rmdir(wwn)

    # Backstores.

    def _backstores(self) -> Iterator[Backstore]:
        for hba in ("fileio_0", "iblock_0"):
            for path in _subdirs(self.root / "core" / hba):
                yield Backstore(hba, path.name, "")

    def _backstore(self, store: Backstore, target: FcTarget, lun: int) -> None:
        path = store.path(self.root)
        if path.is_dir() and self._made_as(path, store):
            return
        if path.is_dir():  # another file or size: start it again
            self._unexport(path)
            _rmdir(path)
        if store.hba == "fileio_0" and not store.control.startswith("fd_dev_name=/dev/"):
            self._make_file(store)
        path.mkdir(parents=True)
        _write(path / "control", store.control)
        _write(path / "udev_path", store.control.split("=", 1)[1].split(",", 1)[0])
        _write(path / "enable", "1")
        _write(path / "wwn" / "vpd_unit_serial", serial(target, lun))
        for attr, value in (("vendor_id", VENDOR), ("product_id", PRODUCT)):
            if (path / "wwn" / attr).exists():
                _write(path / "wwn" / attr, value)
        log.info("backstore %s/%s: %s", store.hba, store.name, store.control)

    @staticmethod
    def _made_as(path: Path, store: Backstore) -> bool:
        """Whether the backstore at `path` is enabled on the file or device (and size) that
        `store` names."""
        fields = dict(f.split("=", 1) for f in store.control.split(","))
        device = fields.get("fd_dev_name") or fields.get("udev_path", "")
        info = _read(path / "info")
        size = fields.get("fd_dev_size")
        return (
            _read(path / "enable").strip() == "1"
            and _read(path / "udev_path").strip() == device
            and (size is None or f"Size: {size}" in info)
        )

    def _make_file(self, store: Backstore) -> None:
        fields = dict(f.split("=", 1) for f in store.control.split(","))
        path = Path(fields["fd_dev_name"])
        size = int(fields["fd_dev_size"])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as f:
            if os.fstat(f.fileno()).st_size < size:
                f.truncate(size)

    def _unexport(self, store: Path) -> None:
        """Take away every LUN of ours that exports this backstore."""
        for link in self.fabric.glob("*/*/lun/lun_*/*"):
            if link.is_symlink() and link.resolve() == store.resolve():
                _remove_lun(link.parent)

    # The fabric: ports, targets, LUNs.

    def _port(self, config: Config, port: str, targets: list[FcTarget],
              hosts: Mapping[int, str]) -> None:  # fmt: skip
        wwn = self.fabric / wwn_name(port)
        if not wwn.is_dir():
            wwn.mkdir(parents=True)
        link = "0" if port in config.down_ports else "1"
        if _read(wwn / CARD / "link").strip() != link:  # each write is a link event
            _write(wwn / CARD / "link", link)
        initiators = self._initiators(config, port, wwn, hosts)
        wanted = {hex_wwpn(t.wwpn_int): t for t in targets}
        for tpg in _tpgs(wwn):
            if tpg.name not in wanted:
                self._remove_tpg(tpg)
        for name, target in wanted.items():
            self._target(wwn / name, target, initiators)
        # Hosts come once their targets are there.
        address = fabric_address(self.prefix, io_port_guid(self.director_guid, port))
        if not _read(wwn / CARD / "listen").strip():
            _write(wwn / CARD / "listen", f"{address} {CARD_PORT}")

    def _initiators(self, config: Config, port: str, wwn: Path,
                    hosts: Mapping[int, str]) -> list[str]:  # fmt: skip
        """Each vHBA of the port, named by its WWPN for the node ACLs and bound to its host;
        the names. The card takes connections for no other resource id."""
        wanted = port_vhbas(config, [port])
        for path in _subdirs(wwn / INITIATORS):
            if int(path.name, 16) not in wanted:
                _rmdir(path)
        for rid, wwpn in wanted.items():
            path = wwn / INITIATORS / f"{rid:x}"
            if not path.is_dir():
                path.mkdir()
            if _read(path / "wwpn").strip() != f"{wwpn:016x}":
                _write(path / "wwpn", f"{wwpn:016x}")
            host = hosts.get(rid, "")
            if _read(path / "host").strip() != host:
                # With its newline: the kernel sees no write at all of an empty string.
                _write(path / "host", f"{host}\n")
                log.info("vHBA %#x: %s", rid, f"host {host}" if host else "no host yet")
        return sorted({hex_wwpn(wwpn) for wwpn in wanted.values()})

    def _target(self, tpg: Path, target: FcTarget, initiators: list[str]) -> None:
        """The target's LUNs, its masking and faults; enabled last, so that no vHBA sees it
        before it is what the configuration says."""
        if not tpg.is_dir():
            tpg.mkdir()
        wanted = {
            f"lun_{lun.lun}": backstore(target, lun, self.lun_dir).path(self.root)
            for lun in target.luns
        }
        for lun in _subdirs(tpg / "lun"):
            links = [p for p in lun.iterdir() if p.is_symlink()]
            store = wanted.get(lun.name)
            if store is None or any(p.resolve() != store.resolve() for p in links):
                _remove_lun(lun)
        for name, store in wanted.items():
            lun = tpg / "lun" / name
            if not lun.is_dir():
                lun.mkdir()
                (lun / LINK).symlink_to(store)
        self._acls(tpg, target, initiators)
        fault = card_fault(target)
        if _read(tpg / "fault").strip() != fault:
            _write(tpg / "fault", fault)
        if _read(tpg / "enable").strip() != str(int(target.online)):
            _write(tpg / "enable", str(int(target.online)))

    def _acls(self, tpg: Path, target: FcTarget, initiators: list[str]) -> None:
        """Open the target (LIO's demo mode: every vHBA sees every LUN) or mask it: a node ACL
        for each vHBA its `acls` allows, named by its WWPN, with the LUNs it may see mapped
        (each mapped LUN N a link to the target's LUN N). Only what differs changes.

        `initiators`: the names of the port's vHBAs. One that logged in while the target was
        open keeps the LUN map LIO made it then (a demo-mode ACL, cached, and kept even when an
        ACL of its name is made, with every LUN it had): masking takes each such ACL away (made
        explicit, then removed), which drops the vHBA's connections; it reconnects and sees
        only what it is allowed."""
        acls = tpg / "acls"
        wanted = {
            hex_wwpn(formats.wwn_value(acl.initiator)): {f"lun_{n}" for n in target.acl_luns(acl)}
            for acl in target.acls or []
        }
        demo = _read(tpg / DEMO_MODE).strip()
        if not target.masked and demo != "1":
            _write(tpg / DEMO_MODE, "1")
            log.info("target %s: open, every vHBA sees every LUN", tpg.name)
        if target.masked and demo != "0":
            _write(tpg / DEMO_MODE, "0")
            log.info("target %s: masked by node ACLs", tpg.name)
            for name in initiators:
                if not (acls / name).is_dir():
                    (acls / name).mkdir()
                    _rmdir(acls / name)
        for acl in _subdirs(acls):
            if acl.name not in wanted:
                _remove_acl(acl)
        for name, luns in wanted.items():
            acl = acls / name
            if not acl.is_dir():
                acl.mkdir()
                log.info("target %s: node ACL %s", tpg.name, name)
            for mapped in _mapped_luns(acl):
                if mapped.name not in luns:
                    _remove_lun(mapped)
            for lun in sorted(luns):
                if not (acl / lun).is_dir():
                    (acl / lun).mkdir()
                    (acl / lun / LINK).symlink_to(tpg / "lun" / lun)

    def _remove_tpg(self, tpg: Path) -> None:
        """Take a target away: disabled, its node ACLs gone before the LUNs they map."""
        if (tpg / "enable").exists():
            _write(tpg / "enable", "0")
        for acl in _subdirs(tpg / "acls"):
            _remove_acl(acl)
        for lun in _subdirs(tpg / "lun"):
            _remove_lun(lun)
        _rmdir(tpg)

    # What `ctl fc-show` shows.

    def snapshot(self) -> list[dict[str, Any]]:
        """The fabric's ports, each with its vHBAs, targets (LUN maps, ACLs) and counters."""
        ports = []
        for wwn in _subdirs(self.fabric):
            if wwn.name == "discovery_auth":
                continue
            vhbas = [line.split() for line in _read(wwn / CARD / "vhbas").splitlines()]
            stats = [line.split() for line in _read(wwn / CARD / "stats").splitlines()]
            ports.append(
                {
                    "port": wwn.name,
                    "listen": _read(wwn / "listen").strip(),
                    "link": "up" if _read(wwn / CARD / "link").strip() == "1" else "down",
                    "vhbas": [
                        {"resource_id": v[0], "state": v[1], "in_use": int(v[2])}
                        for v in vhbas
                        if len(v) == 3
                    ],
                    "targets": [self._target_snapshot(tpg) for tpg in _tpgs(wwn)],
                    "stats": {s[0]: int(s[1]) for s in stats if len(s) == 2},
                }
            )
        return ports

    @staticmethod
    def _target_snapshot(tpg: Path) -> dict[str, Any]:
        return {
            "wwpn": tpg.name,
            "loop_id": _read(tpg / "loop_id").strip(),
            "state": "online" if _read(tpg / "enable").strip() == "1" else "offline",
            "masked": _read(tpg / DEMO_MODE).strip() == "0",
            "luns": {
                lun.name: [p.resolve().name for p in lun.iterdir() if p.is_symlink()]
                for lun in _subdirs(tpg / "lun")
            },
            "acls": {
                acl.name: [m.name for m in _mapped_luns(acl)] for acl in _subdirs(tpg / "acls")
            },
        }


def describe(ports: list[dict[str, Any]]) -> list[str]:
    """A snapshot() as `ctl fc-show` prints it, one line each."""
    lines = []
    for port in ports:
        lines.append(f"{port['port']}: listen {port['listen'] or '-'}, link {port['link']}")
        lines += [f"  vHBA {v['resource_id']} {v['state']} {v['in_use']}" for v in port["vhbas"]]
        for target in port["targets"]:
            access = "masked" if target["masked"] else "open"
            lines.append(f"  target {target['wwpn']} (loop id {target['loop_id']},"
                         f" {target['state']}, {access})")  # fmt: skip
            lines += [f"    {lun}: {', '.join(stores)}" for lun, stores in target["luns"].items()]
            lines += [f"    acl {acl}: {', '.join(mapped) or 'no LUNs'}"
                      for acl, mapped in target["acls"].items()]  # fmt: skip
        lines += [f"  {name} {value}" for name, value in port["stats"].items()]
    return lines


def _tpgs(wwn: Path) -> list[Path]:
    """The target ports under a card port: named by WWPN, unlike LIO's own groups there."""
    return [p for p in _subdirs(wwn) if re.fullmatch("[0-9a-f]{16}", p.name)]


def _mapped_luns(acl: Path) -> list[Path]:
    """A node ACL's mapped LUNs (beside LIO's own groups there: attrib, auth, param)."""
    return [p for p in _subdirs(acl) if p.name.startswith("lun_")]


def _remove_lun(lun: Path) -> None:
    """Take away a target's LUN or an ACL's mapped LUN: its links, then the directory. A
    target's LUN goes after every mapping of it in the node ACLs (as LIO takes them away)."""
    if lun.parent.name == "lun":
        for mapped in lun.parent.parent.glob(f"acls/*/{lun.name}"):
            _remove_lun(mapped)
    for link in lun.iterdir():
        if link.is_symlink():
            link.unlink()
    _rmdir(lun)


def _remove_acl(acl: Path) -> None:
    """Take a node ACL away, its mapped LUNs first; LIO ends the vHBA's session with it."""
    for mapped in _mapped_luns(acl):
        _remove_lun(mapped)
    _rmdir(acl)


def _subdirs(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.is_symlink())


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, value: str) -> None:
    with path.open("w") as f:
        f.write(value)


def _rmdir(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.rmdir()

"""The director's configuration: which server gets which XCMs, profile, vNICs and vHBAs.

One JSON file, read by the fabric services and the XCM, which both reload it when it changes,
and written by the operator CLI (`python3 -m director ctl`). A server is matched by the port
GUID it discovers from (16 hex digits) or by its hostname.

    {"chassis_name": "xsigo-director", "hello_interval": 10,
     "servers": [{"match": "host", "profile": "web-1", "xcms": ["own"],
                  "vnics": [{"name": "xsvnic0", "resource_id": 4097,
                             "mac": "52:54:00:0a:00:02", "mtu": 9000, "port": "eth/1",
                             "admin_up": true}],
                  "vhbas": [{"name": "xsvhba0", "resource_id": 8193,
                             "wwn": "21:00:00:1b:32:00:00:01", "port": "fc/1",
                             "queue_depth": 32, "link_down_timeout": 30,
                             "admin_up": true}]}],
     "fc_targets": [{"wwpn": "50:01:43:80:00:00:00:01", "port": "fc/1",
                     "luns": [{"lun": 0, "size_mb": 64}]}],
     "host_keys": {"505400fffe180001": "<64 hex digits>"},
     "allow_unauthenticated": []}

`host_keys` holds each host's XSMP key by its port GUID: the same bytes the host keeps in its
`.xscore` keyring as `xsigo:<port GUID>` (docs/security.md). A host whose REGISTER carries no
proof is refused unless its GUID is in `allow_unauthenticated`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from director.auth import parse_key

OWN_XCM = "own"
IO_PORT_KINDS = {"eth": 0xE0, "fc": 0xFC}
NAME_MAX = 15  # the wire's name fields hold 16 bytes, NUL included


class ConfigError(ValueError):
    """A configuration the director refuses, with the reason."""


@dataclass(frozen=True)
class Vnic:
    name: str
    resource_id: int
    mac: str = "52:54:00:00:00:01"
    mtu: int = 1500
    port: str = "eth/1"
    admin_up: bool = True

    def updatable_to(self, other: Vnic) -> bool:
        """Whether a host can take `other` as an UPDATE of this vNIC (the MTU and the admin
        state change in place; anything else means deleting it and installing anew)."""
        return replace(other, mtu=self.mtu, admin_up=self.admin_up) == self


# What a vHBA's INSTALL and UPDATE may say: the host sizes its tags, keys and command ring
# by the installed queue depth (at most 64), and takes a link-down timeout of up to 60 s.
VHBA_QUEUE_DEPTHS = range(1, 65)
VHBA_LINK_DOWN_TIMEOUTS = range(0, 61)


@dataclass(frozen=True)
class Vhba:
    name: str
    resource_id: int
    wwn: str = "21:00:00:00:00:00:00:01"
    port: str = "fc/1"
    # Commands each LUN may have in flight; an UPDATE may lower it and raise it again up to
    # the value the vHBA was installed with (the host refuses more).
    queue_depth: int = 32
    # Seconds a target may stay lost before its LUNs fail (0: the host's default, 30).
    link_down_timeout: int = 30
    admin_up: bool = True

    def updatable_to(self, other: Vhba) -> bool:
        """Whether a host can take `other` as an UPDATE of this vHBA (queue depth, link-down
        timeout and admin state change in place; anything else means deleting and
        installing anew)."""
        return (
            replace(
                other,
                queue_depth=self.queue_depth,
                link_down_timeout=self.link_down_timeout,
                admin_up=self.admin_up,
            )
            == self
        )


@dataclass(frozen=True)
class FcLun:
    """A LUN of an FC card target: a file of size_mb MiB under the card's LUN directory, or
    `backing`, an existing file or block device served as it is, at its own size."""

    lun: int
    size_mb: int = 64
    backing: str = ""


@dataclass
class FcTarget:
    """A target behind an FC card port, with its LUNs; `online` False hides it from hosts."""

    wwpn: str
    port: str = "fc/1"
    luns: list[FcLun] = field(default_factory=list)
    online: bool = True
    # Faults the operator sets on its READ and WRITE commands: each waits delay_s seconds
    # before it runs, or with drop never runs (until aborted), to exercise hosts' timeouts;
    # stuck ones are not freed by aborts or LUN and target resets either, only by the host
    # closing its connections (a host reset), to exercise hosts' error escalation. With
    # stale_after_s they are stuck, and that many seconds later the card moves their data with
    # the keys the host gave it, never ending them: a card that lost track of commands the host
    # has long taken back, to prove that their memory is out of its reach by then.
    delay_s: float = 0.0
    drop: bool = False
    stuck: bool = False
    stale_after_s: float = 0.0

    @property
    def wwpn_int(self) -> int:
        return int(self.wwpn.replace(":", ""), 16)


FC_LUN_MAX = 255  # the card reports LUNs 0..255 (research §5.2)


@dataclass
class Server:
    match: str
    profile: str = ""
    xcms: list[str] = field(default_factory=lambda: [OWN_XCM])
    vnics: list[Vnic] = field(default_factory=list)
    vhbas: list[Vhba] = field(default_factory=list)

    def matches(self, port_guid: int, hostname: str) -> bool:
        return self.match in (hostname, f"{port_guid:016x}")


@dataclass
class Config:
    chassis_name: str = "xsigo-director"
    hello_interval: int = 10
    servers: list[Server] = field(default_factory=list)
    down_ports: list[str] = field(default_factory=list)  # I/O ports whose link is down
    fc_targets: list[FcTarget] = field(default_factory=list)
    host_keys: dict[str, str] = field(default_factory=dict)  # port GUID -> key (hex)
    allow_unauthenticated: list[str] = field(default_factory=list)  # port GUIDs

    def host_key(self, port_guid: int) -> bytes | None:
        """The host's XSMP key, or None when the configuration has none for it."""
        text = self.host_keys.get(f"{port_guid:016x}")
        return parse_key(text) if text is not None else None

    def may_skip_auth(self, port_guid: int) -> bool:
        return f"{port_guid:016x}" in self.allow_unauthenticated

    def server(self, port_guid: int, hostname: str) -> Server | None:
        return next((s for s in self.servers if s.matches(port_guid, hostname)), None)

    def server_named(self, match: str) -> Server:
        for server in self.servers:
            if server.match == match:
                return server
        server = Server(match=match)
        self.servers.append(server)
        return server

    def xcm_guids(self, port_guid: int, hostname: str, own: int) -> list[int]:
        """The XCMs a server is sent to: its own list, or this director's XCM."""
        server = self.server(port_guid, hostname)
        names = server.xcms if server else [OWN_XCM]
        return [own if name == OWN_XCM else int(name, 16) for name in names]

    def validate(self) -> None:
        for port in self.down_ports:
            try:
                io_port_guid(0, port)
            except ValueError as err:
                raise ConfigError(f"down_ports: {err}") from err
        self._validate_fc_targets()
        self._validate_auth()
        ids: set[int] = set()
        for server in self.servers:
            for xcm in server.xcms:
                if xcm != OWN_XCM:
                    int(xcm, 16)
            names: set[str] = set()
            for device in [*server.vnics, *server.vhbas]:
                if not 0 < len(device.name) <= NAME_MAX or not device.name.isprintable():
                    raise ConfigError(f"{server.match}: bad device name {device.name!r}")
                if device.name in names:
                    raise ConfigError(f"{server.match}: two devices named {device.name}")
                try:
                    io_port_guid(0, device.port)
                except ValueError as err:
                    raise ConfigError(f"{server.match}: {device.name}: {err}") from err
                if device.resource_id in ids:
                    raise ConfigError(f"resource id {device.resource_id:#x} used twice")
                if isinstance(device, Vhba):
                    self._validate_vhba(server, device)
                names.add(device.name)
                ids.add(device.resource_id)

    @staticmethod
    def _validate_vhba(server: Server, vhba: Vhba) -> None:
        if vhba.queue_depth not in VHBA_QUEUE_DEPTHS:
            raise ConfigError(f"{server.match}: {vhba.name}: queue depth {vhba.queue_depth}")
        if vhba.link_down_timeout not in VHBA_LINK_DOWN_TIMEOUTS:
            raise ConfigError(
                f"{server.match}: {vhba.name}: link-down timeout {vhba.link_down_timeout}"
            )

    def _validate_auth(self) -> None:
        for guid in [*self.host_keys, *self.allow_unauthenticated]:
            if len(guid) != 16 or guid != guid.lower() or not _is_hex(guid):
                raise ConfigError(f"host GUID {guid!r} is not 16 lower-case hex digits")
        for guid, key in self.host_keys.items():
            try:
                parse_key(key)
            except ValueError as err:
                raise ConfigError(f"host_keys: {guid}: {err}") from err

    def _validate_fc_targets(self) -> None:
        wwpns: set[int] = set()
        for target in self.fc_targets:
            try:
                wwpn = target.wwpn_int
                if not target.port.startswith("fc/"):
                    raise ValueError(f"{target.port} is not an FC port")
                io_port_guid(0, target.port)
            except ValueError as err:
                raise ConfigError(f"FC target {target.wwpn}: {err}") from err
            if not 0 < wwpn < 1 << 64 or wwpn in wwpns:
                raise ConfigError(f"FC target {target.wwpn}: bad or repeated WWPN")
            wwpns.add(wwpn)
            numbers = [lun.lun for lun in target.luns]
            if len(set(numbers)) != len(numbers):
                raise ConfigError(f"FC target {target.wwpn}: a LUN number twice")
            if target.delay_s < 0 or target.stale_after_s < 0:
                raise ConfigError(f"FC target {target.wwpn}: negative delay")
            for lun in target.luns:
                if not 0 <= lun.lun <= FC_LUN_MAX or lun.size_mb <= 0:
                    raise ConfigError(f"FC target {target.wwpn}: bad LUN {lun}")

    def fc_target(self, wwpn: str) -> FcTarget | None:
        return next((t for t in self.fc_targets if t.wwpn_int == int(wwpn.replace(":", ""), 16)),
                    None)  # fmt: skip

    def next_resource_id(self) -> int:
        used = [d.resource_id for s in self.servers for d in [*s.vnics, *s.vhbas]]
        return max(used, default=0x1000) + 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def io_port_guid(director_guid: int, port: str) -> int:
    """The GUID of an I/O card port such as "eth/1" or "fc/2", as hosts see it: the
    director's GUID with the low 16 bits replaced by a kind byte and the port number."""
    kind, _, number = port.partition("/")
    if kind not in IO_PORT_KINDS or not number.isdigit() or not 0 <= int(number) <= 0xFF:
        raise ValueError(f"I/O port {port!r} is not <eth|fc>/<0..255>")
    return (director_guid & ~0xFFFF) | IO_PORT_KINDS[kind] << 8 | int(number)


def fabric_address(prefix: str, guid: int) -> str:
    """The address with the fabric's /64 `prefix` and interface ID `guid`: where hosts look
    for an XCM or an I/O card port of that GUID (the original built their GIDs the same way)."""
    network = int(ipaddress.IPv6Address(prefix)) & ~0xFFFF_FFFF_FFFF_FFFF
    return str(ipaddress.IPv6Address(network | guid))


def from_json(data: dict[str, Any]) -> Config:
    try:
        servers = [
            Server(
                match=s["match"],
                profile=s.get("profile", ""),
                xcms=list(s.get("xcms", [OWN_XCM])),
                vnics=[Vnic(**v) for v in s.get("vnics", [])],
                vhbas=[Vhba(**v) for v in s.get("vhbas", [])],
            )
            for s in data.get("servers", [])
        ]
        config = Config(
            chassis_name=data.get("chassis_name", "xsigo-director"),
            hello_interval=int(data.get("hello_interval", 10)),
            servers=servers,
            down_ports=list(data.get("down_ports", [])),
            fc_targets=[
                FcTarget(
                    wwpn=t["wwpn"],
                    port=t.get("port", "fc/1"),
                    luns=[FcLun(**lun) for lun in t.get("luns", [])],
                    online=bool(t.get("online", True)),
                    delay_s=float(t.get("delay_s", 0.0)),
                    drop=bool(t.get("drop", False)),
                    stuck=bool(t.get("stuck", False)),
                    stale_after_s=float(t.get("stale_after_s", 0.0)),
                )
                for t in data.get("fc_targets", [])
            ],
            host_keys={str(k): str(v) for k, v in dict(data.get("host_keys", {})).items()},
            allow_unauthenticated=[str(g) for g in data.get("allow_unauthenticated", [])],
        )
    except (KeyError, TypeError) as err:
        raise ConfigError(f"malformed configuration: {err}") from err
    config.validate()
    return config


def load(path: Path) -> Config:
    if not path.exists():
        return Config()
    return from_json(json.loads(path.read_text()))


def save(path: Path, config: Config) -> None:
    """Replace the file in one step, so a reader never sees half of it."""
    config.validate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as out:
        json.dump(config.to_json(), out, indent=1)
        out.write("\n")
    os.replace(tmp, path)


class Watched:
    """A configuration file re-read whenever it changes; a bad edit keeps the last good one."""

    def __init__(self, path: Path | None, fallback: Config) -> None:
        self.path = path
        self.config = fallback
        self._stamp: tuple[int, int] | None = None
        self.error: str | None = None
        self.refresh()

    def refresh(self) -> bool:
        """Re-read the file if it changed; True when the configuration did."""
        if self.path is None:
            return False
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return False
        stamp = (stat.st_mtime_ns, stat.st_ino)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            config = load(self.path)
        except (ConfigError, ValueError) as err:
            self.error = str(err)
            return False
        self.error = None
        changed = config != self.config
        self.config = config
        return changed

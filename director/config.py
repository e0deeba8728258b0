"""The director's configuration: which server gets which XCMs, profile, vNICs and vHBAs.

One JSON file, read by the daemons (fabric services, XCMs, the cards' control planes), which
reload it when it changes, and written by the operator CLI (`python3 -m director ctl`). A
server is matched by the port GUID it discovers from (16 hex digits) or by its hostname.

Every entry is checked here, in one place (checked(), with the formats of director/formats.py):
`ctl` saves no configuration with a wrong entry, and the daemons read the file through
Watched, which leaves each wrong entry out, logs which and why, and serves the rest.

    {"chassis_name": "xsigo-director", "hello_interval": 10,
     "servers": [{"match": "host", "profile": "web-1", "xcms": ["own"],
                  "vnics": [{"name": "xsvnic0", "resource_id": 4097,
                             "mac": "52:54:00:0a:00:02", "mtu": 9000, "port": "eth/1",
                             "admin_up": true, "tso": true}],
                  "vhbas": [{"name": "xsvhba0", "resource_id": 8193,
                             "wwn": "21:00:00:1b:32:00:00:01", "port": "fc/1",
                             "queue_depth": 32, "link_down_timeout": 30,
                             "admin_up": true}]}],
     "fc_targets": [{"wwpn": "50:01:43:80:00:00:00:01", "port": "fc/1",
                     "luns": [{"lun": 0, "size_mb": 64}, {"lun": 1, "size_mb": 64}],
                     "acls": [{"initiator": "21:00:00:1b:32:00:00:01", "luns": [1]}]}],
     "host_keys": {"505400fffe180001": "<64 hex digits>"},
     "allow_unauthenticated": []}

A target with `acls` is masked: only the vHBAs it lists (by WWN) see it, each only the LUNs
its entry lists (all of them without `luns`); without `acls` every vHBA sees every LUN.

`host_keys` holds each host's XSMP key by its port GUID: the same bytes the host keeps in its
`.xscore` keyring as `xsigo:<port GUID>` (docs/security.md). A host whose REGISTER carries no
proof is refused unless its GUID is in `allow_unauthenticated`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from director import formats
from director.auth import parse_key

log = logging.getLogger("director.config")

OWN_XCM = "own"
IO_PORT_KINDS = {"eth": 0xE0, "fc": 0xFC}
DEFAULT_CHASSIS_NAME = "xsigo-director"
DEFAULT_HELLO_INTERVAL = 10
T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration the director refuses, with the reason."""


@dataclass(frozen=True)
class Problem:
    """An entry of the configuration that is wrong, and why: `ctl` saves no configuration
    with one, and the daemons leave the entry out and serve the rest."""

    where: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"


@dataclass(frozen=True)
class Vnic:
    name: str
    resource_id: int
    # Empty (or absent from the file): one made from the resource id (formats.default_mac).
    mac: str = ""
    mtu: int = 1500
    port: str = "eth/1"
    admin_up: bool = True
    # The INSTALL offers TSO: the host sends TCP segments of up to 64 KiB that the card cuts
    # up (the kernel Ethernet card takes them). Changing it installs the vNIC anew.
    tso: bool = True

    def __post_init__(self) -> None:
        if not self.mac and isinstance(self.resource_id, int):
            object.__setattr__(self, "mac", formats.default_mac(self.resource_id))

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
    # Empty (or absent from the file): one made from the resource id (formats.default_wwn).
    wwn: str = ""
    port: str = "fc/1"
    # Commands each LUN may have in flight; an UPDATE may lower it and raise it again up to
    # the value the vHBA was installed with (the host refuses more).
    queue_depth: int = 32
    # Seconds a target may stay lost before its LUNs fail (0: the host's default, 30).
    link_down_timeout: int = 30
    admin_up: bool = True

    def __post_init__(self) -> None:
        if not self.wwn and isinstance(self.resource_id, int):
            object.__setattr__(self, "wwn", formats.default_wwn(self.resource_id))

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
class FcAcl:
    """A vHBA allowed to see a masked target (a LIO node ACL named by its WWN): the LUNs it
    sees, or every LUN of the target when `luns` is None."""

    initiator: str
    luns: list[int] | None = None


@dataclass
class FcTarget:
    """A target behind an FC card port, with its LUNs; `online` False hides it from hosts.
    `acls` None: open (every vHBA sees every LUN); a list, even an empty one: masked, only
    the vHBAs it lists see the target, and only the LUNs each may."""

    wwpn: str
    port: str = "fc/1"
    luns: list[FcLun] = field(default_factory=list)
    online: bool = True
    acls: list[FcAcl] | None = None
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

    @property
    def masked(self) -> bool:
        return self.acls is not None

    @property
    def fault(self) -> tuple[str, float]:
        """The fault its commands suffer, as the card has one at a time: (kind, seconds),
        kind one of none, delay, drop, stuck, stale; the most lasting of those set wins."""
        if self.stale_after_s:
            return "stale", self.stale_after_s
        if self.stuck:
            return "stuck", 0.0
        if self.drop:
            return "drop", 0.0
        if self.delay_s:
            return "delay", self.delay_s
        return "none", 0.0

    def acl(self, initiator: str) -> FcAcl | None:
        """The entry that allows the vHBA of WWN `initiator` (in either case), if any."""
        wanted = _octets_value(initiator)
        return next((a for a in self.acls or [] if _octets_value(a.initiator) == wanted), None)

    def acl_luns(self, acl: FcAcl) -> list[int]:
        """The LUNs an entry of `acls` maps: those it lists, or every LUN of the target."""
        return sorted(acl.luns) if acl.luns is not None else [lun.lun for lun in self.luns]

    def luns_seen_by(self, initiator: str) -> list[int]:
        """The LUNs the vHBA of WWN `initiator` sees: every one while the target is open; while
        it is masked, those its entry maps, none without an entry."""
        if not self.masked:
            return [lun.lun for lun in self.luns]
        acl = self.acl(initiator)
        return self.acl_luns(acl) if acl is not None else []


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

    def device(self, name: str) -> Vnic | Vhba | None:
        return next((d for d in [*self.vnics, *self.vhbas] if d.name == name), None)


@dataclass
class Config:
    chassis_name: str = DEFAULT_CHASSIS_NAME
    hello_interval: int = DEFAULT_HELLO_INTERVAL
    servers: list[Server] = field(default_factory=list)
    down_ports: list[str] = field(default_factory=list)  # I/O ports whose link is down
    # I/O cards taken down by the operator ("eth", "fc"): ports gone, their hosts cut off
    down_cards: list[str] = field(default_factory=list)
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

    def configured_server(self, match: str) -> Server | None:
        """The server entry `match` names exactly (as `ctl` takes it)."""
        return next((s for s in self.servers if s.match == match), None)

    def server_named(self, match: str) -> Server:
        """The server entry `match` names, made when there is none."""
        server = self.configured_server(match)
        if server is None:
            server = Server(match=match)
            self.servers.append(server)
        return server

    def xcm_guids(self, port_guid: int, hostname: str, own: int) -> list[int]:
        """The XCMs a server is sent to: its own list, or this director's XCM."""
        server = self.server(port_guid, hostname)
        names = server.xcms if server else [OWN_XCM]
        return [own if name == OWN_XCM else int(name, 16) for name in names]

    def validate(self) -> None:
        """Refuse a configuration with any entry that is wrong (checked())."""
        problems = checked(self)[1]
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ConfigError(f"{problems[0]}{more}")

    def fc_target(self, wwpn: str) -> FcTarget | None:
        wanted = _octets_value(wwpn)
        if wanted is None:
            return None
        return next((t for t in self.fc_targets if _octets_value(t.wwpn) == wanted), None)

    def next_resource_id(self) -> int:
        used = [d.resource_id for s in self.servers for d in [*s.vnics, *s.vhbas]]
        return max((r for r in used if isinstance(r, int)), default=0x1000) + 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _octets_value(text: object) -> int | None:
    try:
        return int(str(text).replace(":", ""), 16)
    except ValueError:
        return None


def io_port_guid(director_guid: int, port: str) -> int:
    """The GUID of an I/O card port such as "eth/1" or "fc/2", as hosts see it: the
    director's GUID with the low 16 bits replaced by a kind byte and the port number."""
    kind, _, number = str(port).partition("/")
    if kind not in IO_PORT_KINDS or not number.isdigit() or not 0 <= int(number) <= 0xFF:
        raise ValueError(f"I/O port {port!r} is not <eth|fc>/<0..255>")
    return (director_guid & ~0xFFFF) | IO_PORT_KINDS[kind] << 8 | int(number)


def card_kind(card: object) -> str:
    """An I/O card's name ("eth" or "fc"), checked."""
    if not isinstance(card, str) or card not in IO_PORT_KINDS:
        raise ValueError(f"I/O card {card!r} is not one of {', '.join(IO_PORT_KINDS)}")
    return str(card)


def fabric_address(prefix: str, guid: int) -> str:
    """The address with the fabric's /64 `prefix` and interface ID `guid`: where hosts look
    for an XCM or an I/O card port of that GUID (the original built their GIDs the same way)."""
    network = int(ipaddress.IPv6Address(prefix)) & ~0xFFFF_FFFF_FFFF_FFFF
    return str(ipaddress.IPv6Address(network | guid))


# Checking: every entry on its own (formats.py), then what must be unique.


def _io_port(port: object, kind: str) -> None:
    io_port_guid(0, port)  # type: ignore[arg-type]
    if not str(port).startswith(f"{kind}/"):
        raise ValueError(f"I/O port {port} is not an {kind} port")


def _flag(value: object, what: str) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{what} {value!r} is not true or false")


def _seconds(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{what} {value!r} is not a number of seconds")


def _host_guid(text: object) -> None:
    formats.guid(text, "host GUID")
    if text != str(text).lower():
        raise ValueError(f"host GUID {text!r} is not 16 lower-case hex digits")


def _host_key(guid: str, key: object) -> None:
    _host_guid(guid)
    if not isinstance(key, str):
        raise ValueError("the key is not a string of hex digits")
    parse_key(key)


def _xcm(name: object) -> None:
    if name != OWN_XCM and not (isinstance(name, str) and formats.is_guid(name)):
        raise ValueError(f"XCM {name!r} is neither 16 hex digits nor '{OWN_XCM}'")


def _vnic(vnic: Vnic) -> int:
    """The vNIC's MAC as a number, when all of it is right."""
    _io_port(vnic.port, "eth")
    mac = int(formats.mac(vnic.mac).replace(":", ""), 16)
    formats.mtu(vnic.mtu)
    _flag(vnic.admin_up, "admin_up")
    _flag(vnic.tso, "tso")
    return mac


def _vhba(vhba: Vhba) -> int:
    """The vHBA's WWN as a number, when all of it is right."""
    _io_port(vhba.port, "fc")
    wwn = formats.wwn_value(vhba.wwn)
    formats.in_range(vhba.queue_depth, 1, VHBA_QUEUE_DEPTHS[-1], "queue depth")
    formats.in_range(vhba.link_down_timeout, 0, VHBA_LINK_DOWN_TIMEOUTS[-1], "link-down timeout")
    _flag(vhba.admin_up, "admin_up")
    return wwn


class _Checker:
    """One pass over a configuration in file order; an entry that repeats what an earlier one
    has (a name on the server, a resource id, a MAC, a WWN, a WWPN) is the one left out."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.resource_ids: dict[int, str] = {}
        self.addresses: dict[tuple[str, int], str] = {}  # ("MAC"|"WWN", value) -> whose

    def ok(self, where: str, check: Callable[..., object], *args: Any) -> bool:
        """Whether check(*args) passes; a Problem at `where` when it does not."""
        try:
            check(*args)
        except ValueError as err:
            self.problems.append(Problem(where, str(err)))
            return False
        return True

    def setting(self, name: str, value: T, default: T, check: Callable[[T], object]) -> T:
        return value if self.ok(name, check, value) else default

    def servers(self, servers: list[Server]) -> list[Server]:
        kept: list[Server] = []
        for server in servers:
            where = f"server {server.match}"
            if not self.ok(where, self._server, server, kept):
                continue
            xcms = [x for x in server.xcms if self.ok(f"{where}: XCM {x}", _xcm, x)]
            names: dict[str, str] = {}
            vnics = [v for v in server.vnics if self._device(server, "vNIC", v, names)]
            vhbas = [v for v in server.vhbas if self._device(server, "vHBA", v, names)]
            kept.append(replace(server, xcms=xcms, vnics=vnics, vhbas=vhbas))
        return kept

    @staticmethod
    def _server(server: Server, kept: list[Server]) -> None:
        formats.server_match(server.match)
        if any(other.match == server.match for other in kept):
            raise ValueError("a second entry for this server")
        if server.profile != "":
            formats.label(server.profile, formats.SESSION_NAME_MAX, "profile")

    def _device(
        self, server: Server, kind: str, device: Vnic | Vhba, names: dict[str, str]
    ) -> bool:
        where = f"server {server.match}: {kind} {device.name}"
        what = "MAC" if isinstance(device, Vnic) else "WWN"

        def check() -> int:
            formats.device_name(device.name)
            if device.name in names:
                raise ValueError(f"the server has a {names[device.name]} of that name")
            rid = formats.resource_id(device.resource_id)
            if rid in self.resource_ids:
                raise ValueError(f"resource id {rid:#x} is taken by {self.resource_ids[rid]}")
            address = _vnic(device) if isinstance(device, Vnic) else _vhba(device)
            owner = self.addresses.get((what, address))
            if owner:
                raise ValueError(f"{what} {getattr(device, what.lower())} is taken by {owner}")
            return address

        try:
            address = check()
        except ValueError as err:
            self.problems.append(Problem(where, str(err)))
            return False
        names[device.name] = kind
        owner = f"{kind} {device.name} of server {server.match}"
        self.resource_ids[device.resource_id] = owner
        self.addresses[(what, address)] = owner
        return True

    def fc_targets(self, targets: list[FcTarget]) -> list[FcTarget]:
        kept: list[FcTarget] = []
        wwpns: set[int] = set()
        for target in targets:
            where = f"FC target {target.wwpn}"
            if not self.ok(where, _fc_target_fields, target, wwpns):
                continue
            numbers: set[int] = set()
            luns = [lun for lun in target.luns
                    if self.ok(f"{where}: LUN {lun.lun}", _lun, lun, numbers)]  # fmt: skip
            acls = None
            if target.acls is not None:
                # A wrong entry is left out: its vHBA sees nothing of the target (masking
                # fails closed).
                initiators: set[int] = set()
                acls = [acl for acl in target.acls
                        if self.ok(f"{where}: ACL {acl.initiator}", _acl, acl, numbers,
                                   initiators)]  # fmt: skip
            kept.append(replace(target, luns=luns, acls=acls))
        return kept


def _fc_target_fields(target: FcTarget, wwpns: set[int]) -> None:
    wwpn = formats.wwn_value(target.wwpn, "WWPN")
    if wwpn in wwpns:
        raise ValueError("a second entry for this WWPN")
    _io_port(target.port, "fc")
    for flag in ("online", "drop", "stuck"):
        _flag(getattr(target, flag), flag)
    _seconds(target.delay_s, "delay_s")
    _seconds(target.stale_after_s, "stale_after_s")
    wwpns.add(wwpn)


def _lun(lun: FcLun, numbers: set[int]) -> None:
    number = formats.in_range(lun.lun, 0, FC_LUN_MAX, "LUN")
    if number in numbers:
        raise ValueError("a second entry for this LUN")
    formats.in_range(lun.size_mb, 1, 1 << 30, "size_mb")
    if not isinstance(lun.backing, str):
        raise ValueError(f"backing {lun.backing!r} is not a path")
    numbers.add(number)


def _acl(acl: FcAcl, luns: set[int], initiators: set[int]) -> None:
    """An entry of a target's `acls`: a vHBA's WWN, once, and LUNs the target has."""
    initiator = formats.wwn_value(acl.initiator, "initiator WWN")
    if initiator in initiators:
        raise ValueError("a second entry for this initiator")
    if acl.luns is not None:
        if not isinstance(acl.luns, list):
            raise ValueError(f"luns {acl.luns!r} is not a list of LUNs")
        mapped: set[int] = set()
        for lun in acl.luns:
            number = formats.in_range(lun, 0, FC_LUN_MAX, "LUN")
            if number not in luns:
                raise ValueError(f"the target has no LUN {number}")
            if number in mapped:
                raise ValueError(f"LUN {number} is listed twice")
            mapped.add(number)
    initiators.add(initiator)


def checked(config: Config) -> tuple[Config, list[Problem]]:
    """The configuration without its wrong entries, and what is wrong with each, in the
    file's order. A wrong setting (chassis name, hello interval) gives way to its default."""
    check = _Checker()
    clean = Config(
        chassis_name=check.setting("chassis_name", config.chassis_name, DEFAULT_CHASSIS_NAME,
                                   lambda v: formats.label(v, formats.SESSION_NAME_MAX,
                                                           "chassis name")),
        hello_interval=check.setting("hello_interval", config.hello_interval,
                                     DEFAULT_HELLO_INTERVAL,
                                     lambda v: formats.in_range(v, 1, formats.HELLO_INTERVAL_MAX,
                                                                "hello interval")),
        servers=check.servers(config.servers),
        down_ports=[p for p in config.down_ports if check.ok("down_ports", io_port_guid, 0, p)],
        down_cards=[c for c in config.down_cards if check.ok("down_cards", card_kind, c)],
        fc_targets=check.fc_targets(config.fc_targets),
        host_keys={g: k for g, k in config.host_keys.items()
                   if check.ok(f"host_keys: {g}", _host_key, g, k)},
        allow_unauthenticated=[g for g in config.allow_unauthenticated
                               if check.ok("allow_unauthenticated", _host_guid, g)],
    )  # fmt: skip
    return clean, check.problems


# Reading: the file's structure (objects, lists, the fields each entry has).


def _list(data: dict[str, Any], key: str, where: str, problems: list[Problem],
          default: list[Any] | None = None) -> list[Any]:  # fmt: skip
    value = data.get(key, [] if default is None else default)
    if not isinstance(value, list):
        problems.append(Problem(f"{where}: {key}" if where else key, "not a list"))
        return []
    return value


def _built(make: Callable[[dict[str, Any]], T], item: object, where: str,
           problems: list[Problem]) -> T | None:  # fmt: skip
    if not isinstance(item, dict):
        problems.append(Problem(where, "not a JSON object"))
        return None
    try:
        return make(item)
    except (KeyError, TypeError) as err:
        problems.append(Problem(where, f"malformed ({err})"))
        return None


def _entries(make: Callable[[dict[str, Any]], T], items: list[Any], where: str,
             problems: list[Problem]) -> list[T]:  # fmt: skip
    built = (_built(make, item, f"{where}[{i}]", problems) for i, item in enumerate(items))
    return [entry for entry in built if entry is not None]


def _server(data: dict[str, Any], problems: list[Problem]) -> Server:
    where = f"server {data['match']}"
    return Server(
        match=data["match"],
        profile=data.get("profile", ""),
        xcms=_list(data, "xcms", where, problems, [OWN_XCM]),
        vnics=_entries(lambda d: Vnic(**d), _list(data, "vnics", where, problems),
                       f"{where}: vnics", problems),
        vhbas=_entries(lambda d: Vhba(**d), _list(data, "vhbas", where, problems),
                       f"{where}: vhbas", problems),
    )  # fmt: skip


def _fc_target(data: dict[str, Any], problems: list[Problem]) -> FcTarget:
    where = f"FC target {data['wwpn']}"
    known = {f.name for f in fields(FcTarget)} - {"luns", "acls"}
    return FcTarget(
        **{k: v for k, v in data.items() if k in known},
        luns=_entries(lambda d: FcLun(**d), _list(data, "luns", where, problems),
                      f"{where}: luns", problems),
        acls=_fc_acls(data, where, problems),
    )  # fmt: skip


def _fc_acls(data: dict[str, Any], where: str, problems: list[Problem]) -> list[FcAcl] | None:
    """A target's `acls`: None (absent or null) leaves it open; one that is not a list masks
    it with nobody allowed, and a malformed entry allows nobody (masking fails closed)."""
    if data.get("acls") is None:
        return None
    return _entries(lambda d: FcAcl(**d), _list(data, "acls", where, problems),
                    f"{where}: acls", problems)  # fmt: skip


def parse(data: object) -> tuple[Config, list[Problem]]:
    """The configuration as the file has it, and the entries whose structure is wrong (left
    out); the values are not checked (checked())."""
    if not isinstance(data, dict):
        raise ConfigError("the configuration is not a JSON object")
    problems: list[Problem] = []
    keys = data.get("host_keys", {})
    if not isinstance(keys, dict):
        problems.append(Problem("host_keys", "not a JSON object"))
        keys = {}
    config = Config(
        chassis_name=data.get("chassis_name", DEFAULT_CHASSIS_NAME),
        hello_interval=data.get("hello_interval", DEFAULT_HELLO_INTERVAL),
        servers=_entries(lambda d: _server(d, problems), _list(data, "servers", "", problems),
                         "servers", problems),
        down_ports=_list(data, "down_ports", "", problems),
        down_cards=_list(data, "down_cards", "", problems),
        fc_targets=_entries(lambda d: _fc_target(d, problems),
                            _list(data, "fc_targets", "", problems), "fc_targets", problems),
        host_keys={str(k): v for k, v in keys.items()},
        allow_unauthenticated=_list(data, "allow_unauthenticated", "", problems),
    )  # fmt: skip
    return config, problems


def from_json(data: object) -> Config:
    """The configuration `data` describes; ConfigError unless all of it is right."""
    config, problems = parse(data)
    if problems:
        raise ConfigError(str(problems[0]))
    config.validate()
    return config


def _read(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except OSError as err:
        raise ConfigError(f"{path}: {err.strerror or err}") from err
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise ConfigError(f"{path}: not JSON ({err})") from err


def load(path: Path) -> Config:
    """The file as written, for `ctl` to edit (save() checks it); an empty configuration when
    there is no file. ConfigError when it cannot be read or an entry's structure is wrong."""
    if not path.exists():
        return Config()
    config, problems = parse(_read(path))
    if problems:
        raise ConfigError(f"{path}: {problems[0]}")
    return config


def load_checked(path: Path) -> tuple[Config, list[Problem]]:
    """What the daemons serve: the file without its wrong entries, and those entries.
    ConfigError when the file cannot be read at all."""
    config, problems = parse(_read(path))
    clean, wrong = checked(config)
    return clean, problems + wrong


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
    """A configuration file re-read whenever it changes, as the daemons serve it: an entry that
    is wrong is left out and logged, the rest served; a file that cannot be read at all keeps
    the last good configuration."""

    def __init__(self, path: Path | None, fallback: Config) -> None:
        self.path = path
        self.config = fallback
        self._stamp: tuple[int, int] | None = None
        self.error: str | None = None
        self.skipped: list[Problem] = []
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
            config, self.skipped = load_checked(self.path)
        except ConfigError as err:
            self.error = str(err)
            log.warning("configuration refused, keeping the last good one: %s", err)
            return False
        self.error = None
        for problem in self.skipped:
            log.warning("configuration entry skipped: %s", problem)
        changed = config != self.config
        self.config = config
        return changed

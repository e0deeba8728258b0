"""python3 -m xsadm links|ports|devices [--json]: show xscore's XSMP links, its ports'
discovery and the virtual devices; repoll <port>, reset <link>, delete <orphan> and
release <held link>: what an operator does to them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from xsadm.devices import delete_orphan, read_devices
from xsadm.links import SYSFS_LINKS, read_links, release_link, reset_link
from xsadm.ports import SYSFS_PORTS, read_ports, repoll

LINK_COLUMNS = (
    ("LINK", "name"),
    ("PORT", "port"),
    ("XCM", "xcm_guid"),
    ("CHASSIS", "chassis_name"),
    ("PROFILE", "profile_name"),
    ("STATE", "state"),
    ("UP(s)", "uptime"),
    ("IN", "msgs_in"),
    ("OUT", "msgs_out"),
    ("BAD", "malformed"),
    ("RECONN", "reconnects"),
    ("AUTH", "auth"),
    ("REFUSED", "auth_refused"),
    ("WHY", "auth_reason"),
    ("ABSENT", "absent_polls"),
    ("HELD", "held"),
)


PORT_COLUMNS = (
    ("PORT", "name"),
    ("DISCOVERY", "discovery_mode"),
    ("XDS", "xds"),
    ("XCMS", "xcms"),
    ("ROUNDS", "discoveries"),
    ("FAILED", "discovery_failures"),
    ("ERROR", "discovery_error"),
    ("BAD", "malformed"),
    ("UNTRUSTED", "untrusted"),
    ("DROP-AFTER", "link_drop_polls"),
)


DEVICE_COLUMNS = (
    ("DEVICE", "device"),
    ("NAME", "name"),
    ("RESOURCE", "resource_id"),
    ("CARD", "card_guid"),
    ("PORT", "card_port"),
    ("LINK", "link"),
    ("DRIVER", "driver"),
    ("ORPHAN", "orphaned"),
)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value) or "-"


def table(columns: tuple[tuple[str, str], ...], items: list[dict[str, Any]]) -> str:
    rows = [[title for title, _ in columns]]
    rows += [[_cell(item[key]) for _, key in columns] for item in items]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def show(args: argparse.Namespace, columns: tuple[tuple[str, str], ...], items: list[Any]) -> int:
    rows = [item.as_dict() for item in items]
    if args.json:
        print(json.dumps(rows, indent=1))
    elif rows:
        print(table(columns, rows))
    else:
        print(f"no {args.command} (is xscore loaded, and a director on the fabric?)")
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    return show(args, LINK_COLUMNS, read_links(Path(args.sysfs)))


def cmd_ports(args: argparse.Namespace) -> int:
    return show(args, PORT_COLUMNS, read_ports(Path(args.sysfs)))


def cmd_repoll(args: argparse.Namespace) -> int:
    return _done(repoll(args.port, Path(args.sysfs)))


def cmd_reset(args: argparse.Namespace) -> int:
    return _done(reset_link(args.link, Path(args.sysfs)))


def cmd_devices(args: argparse.Namespace) -> int:
    return show(args, DEVICE_COLUMNS, read_devices(Path(args.sysfs)))


def cmd_delete(args: argparse.Namespace) -> int:
    return _done(delete_orphan(args.device, Path(args.sysfs)))


def cmd_release(args: argparse.Namespace) -> int:
    return _done(release_link(args.link, Path(args.sysfs)))


def _done(why: str | None) -> int:
    if why:
        print(f"xsadm: {why}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xsadm", description="Xsigo virtual I/O on this host")
    sub = parser.add_subparsers(dest="command", required=True)
    links = sub.add_parser("links", help="XSMP links to the director's XCMs")
    links.add_argument("--json", action="store_true", help="machine-readable output")
    links.add_argument("--sysfs", default=str(SYSFS_LINKS), help=argparse.SUPPRESS)
    links.set_defaults(func=cmd_links)
    ports = sub.add_parser("ports", help="each port's discovery: XDS, XCMs, rounds, errors")
    ports.add_argument("--json", action="store_true", help="machine-readable output")
    ports.add_argument("--sysfs", default=str(SYSFS_PORTS), help=argparse.SUPPRESS)
    ports.set_defaults(func=cmd_ports)
    again = sub.add_parser("repoll", help="ask a port's directory service again now")
    again.add_argument("port", help="the port (rxe0-1)")
    again.add_argument("--sysfs", default=str(SYSFS_PORTS), help=argparse.SUPPRESS)
    again.set_defaults(func=cmd_repoll)
    reset = sub.add_parser("reset", help="drop a link's session and connect again now")
    reset.add_argument("link", help="the link (rxe0-1-<XCM GUID>) or its XCM's GUID")
    reset.add_argument("--sysfs", default=str(SYSFS_LINKS), help=argparse.SUPPRESS)
    reset.set_defaults(func=cmd_reset)
    devices = sub.add_parser("devices", help="vNICs and vHBAs, their I/O card ports and drivers")
    devices.add_argument("--json", action="store_true", help="machine-readable output")
    devices.add_argument("--sysfs", default=str(SYSFS_LINKS), help=argparse.SUPPRESS)
    devices.set_defaults(func=cmd_devices)
    delete = sub.add_parser(
        "delete", help="remove an orphan: a device a resync kept busy that no XCM installs"
    )
    delete.add_argument("device", help="the device (xscore.vnic.3) or its name")
    delete.add_argument("--sysfs", default=str(SYSFS_LINKS), help=argparse.SUPPRESS)
    delete.set_defaults(func=cmd_delete)
    release = sub.add_parser(
        "release", help="let a held link go (its XCM was taken away; its devices are in use)"
    )
    release.add_argument("link", help="the link (rxe0-1-<XCM GUID>) or its XCM's GUID")
    release.add_argument("--sysfs", default=str(SYSFS_LINKS), help=argparse.SUPPRESS)
    release.set_defaults(func=cmd_release)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

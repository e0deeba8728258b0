"""python3 -m xsadm links [--json]: show xscore's XSMP links."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from xsadm.links import SYSFS_LINKS, Link, read_links

COLUMNS = (
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
)


def table(links: list[Link]) -> str:
    rows = [[title for title, _ in COLUMNS]]
    rows += [[str(link.as_dict()[key]) or "-" for _, key in COLUMNS] for link in links]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def cmd_links(args: argparse.Namespace) -> int:
    links = read_links(Path(args.sysfs))
    if args.json:
        print(json.dumps([link.as_dict() for link in links], indent=1))
    elif links:
        print(table(links))
    else:
        print("no links (is xscore loaded, with xds_gid set?)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xsadm", description="Xsigo virtual I/O on this host")
    sub = parser.add_subparsers(dest="command", required=True)
    links = sub.add_parser("links", help="XSMP links to the director's XCMs")
    links.add_argument("--json", action="store_true", help="machine-readable output")
    links.add_argument("--sysfs", default=str(SYSFS_LINKS), help=argparse.SUPPRESS)
    links.set_defaults(func=cmd_links)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

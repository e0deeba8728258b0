"""python3 -m director fabric --ibdev rxe0: run the director's fabric services on one port."""

from __future__ import annotations

import argparse
import logging
import sys

from director.fabric_services import MANGLES, FabricServices, XcmAssignment
from director.umad import UmadPort, gid, node_guid, umad_device
from director.xsmp_fuzz import KINDS


def cmd_fabric(args: argparse.Namespace) -> int:
    own_guid = node_guid(args.ibdev)

    def assign(_port_guid: int, _hostname: str) -> list[XcmAssignment]:
        # Until the XCM and its configuration land, every host is sent to this director's XCM.
        return [XcmAssignment(own_guid)]

    with UmadPort(umad_device(args.ibdev, args.port)) as port:
        own_gid = gid(args.ibdev, args.port, args.gid_index)
        services = FabricServices(port, own_gid, args.gid_index, own_guid, assign, args.mangle)
        print(f"director: fabric services on {args.ibdev}/{args.port}", flush=True)
        while True:
            services.serve_one(timeout=1.0)


def cmd_xcm(args: argparse.Namespace) -> int:
    # pyverbs exists only in the director VM; the fabric services do not need it.
    from director.xcm import Xcm, XcmConfig

    config = XcmConfig(
        address=args.address,
        guid=node_guid(args.ibdev),
        chassis_name=args.chassis_name,
        hello_interval=args.hello_interval,
        fuzz=tuple(KINDS if "all" in args.fuzz else args.fuzz),
    )
    Xcm(config).serve()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m director")
    sub = parser.add_subparsers(dest="command", required=True)
    fabric = sub.add_parser("fabric", help="answer ServiceRecord and XDS queries")
    fabric.add_argument("--ibdev", default="rxe0")
    fabric.add_argument("--port", type=int, default=1)
    fabric.add_argument(
        "--gid-index",
        type=int,
        required=True,
        help="GID to serve from; on RoCE an IPv6 one (see docs/wire-deviations.md)",
    )
    fabric.add_argument(
        "--mangle",
        choices=sorted(MANGLES),
        help="break every answer this way (a hostile director, for tests)",
    )
    fabric.set_defaults(func=cmd_fabric)
    xcm = sub.add_parser("xcm", help="accept XSMP sessions from hosts")
    xcm.add_argument("--address", required=True, help="IP address to listen on")
    xcm.add_argument("--ibdev", default="rxe0")
    xcm.add_argument("--chassis-name", default="xsigo-director")
    xcm.add_argument("--hello-interval", type=int, default=10, help="seconds")
    xcm.add_argument(
        "--fuzz",
        action="append",
        default=[],
        choices=[*KINDS, "all"],
        help="send this malformed message once to each host (repeatable; a hostile XCM, for tests)",
    )
    xcm.set_defaults(func=cmd_xcm)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

"""python3 -m director fabric --ibdev rxe0: run the director's fabric services on one port."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from director import ctl, formats
from director.auth import parse_key
from director.cli import PROG, OneLineParser, checked
from director.config import Config, Watched
from director.state import STATE_DIR, record_host

if TYPE_CHECKING:
    from director.fabric_services import Assigner

DEFAULT_CONFIG = Path("/etc/xsigo-director.json")


# Each service imports what only it needs when it starts, and the test-only options check
# their kinds (`--mangle`, `--compete`, `--fuzz`) only when given: every command, `ctl`
# above all, starts without the wire codecs of the others (under TCG, a second of CPU).


def kind_of(module: str, table: str, what: str) -> Callable[[str], str]:
    """An argument type: one of the names of `module`.`table`, imported when the option is
    given; anything else is the argument's one-line error."""

    def argument(text: str) -> str:
        known = getattr(importlib.import_module(module), table)
        if text not in known:
            raise argparse.ArgumentTypeError(
                f"{what} {text!r} is not one of {', '.join(sorted(known))}"
            )
        return text

    return argument


def node_guid(ibdev: str) -> int:
    from director import umad

    return umad.node_guid(ibdev)


def configured_assigner(args: argparse.Namespace) -> Assigner:
    """The XCMs of a host, as the configuration file says at the time it asks."""
    from director.fabric_services import XcmAssignment

    own_guid = node_guid(args.ibdev)
    settings = Watched(args.config, Config())

    def assign(port_guid: int, hostname: str) -> list[XcmAssignment]:
        record_host(port_guid, hostname, args.state_dir)
        settings.refresh()
        return [XcmAssignment(g) for g in settings.config.xcm_guids(port_guid, hostname, own_guid)]

    return assign


def cmd_fabric(args: argparse.Namespace) -> int:
    from director.fabric_services import FabricServices
    from director.umad import UmadPort, gid, umad_device

    assign = configured_assigner(args)

    with UmadPort(umad_device(args.ibdev, args.port)) as port:
        own_gid = gid(args.ibdev, args.port, args.gid_index)
        own_guid = node_guid(args.ibdev)
        services = FabricServices(port, own_gid, args.gid_index, own_guid, assign, args.mangle)
        print(f"director: fabric services on {args.ibdev}/{args.port}", flush=True)
        while True:
            services.serve_one(timeout=1.0)


def cmd_solicit(args: argparse.Namespace) -> int:
    # pyverbs exists only in the director VM; the fabric services do not need it.
    from director.solicit import Solicitations

    assign = configured_assigner(args)
    solicitations = Solicitations(
        args.ibdev, args.ifname, args.gid_index, assign, args.compete, args.compete_gid_index
    )
    print(f"director: answering solicitations on {args.ifname}", flush=True)
    while True:
        solicitations.serve_one()


def cmd_xcm(args: argparse.Namespace) -> int:
    # pyverbs exists only in the director VM; the fabric services do not need it.
    from director.xcm import Xcm, XcmConfig
    from director.xsmp_fuzz import KINDS

    config = XcmConfig(
        address=args.address,
        guid=args.guid or node_guid(args.ibdev),
        director_guid=node_guid(args.ibdev),
        fuzz=tuple(KINDS if "all" in args.fuzz else args.fuzz),
        state_dir=args.state_dir,
        no_auth=args.no_auth,
        rogue_key=parse_key(args.rogue_key) if args.rogue_key else None,
        register_within=args.register_within,
        max_sessions=args.max_sessions,
        max_unregistered=args.max_unregistered,
    )
    fallback = Config(chassis_name=args.chassis_name, hello_interval=args.hello_interval)
    Xcm(config, Watched(args.config, fallback)).serve()
    return 0


def cmd_ethgw(args: argparse.Namespace) -> int:
    # pyverbs exists only in the director VM.
    from director.bindings import HostBindings
    from director.ethgw import EthernetGateway

    ports = dict(spec.split("=", 1) for spec in args.port)
    settings = Watched(args.config, Config())
    bindings = HostBindings(args.state_dir)
    EthernetGateway(ports, args.prefix, node_guid(args.ibdev), settings, bindings).serve()
    return 0


def cmd_fcgw(args: argparse.Namespace) -> int:
    from director import fcgw

    settings = Watched(args.config, Config())
    fcgw.run(args.port, args.prefix, node_guid(args.ibdev), settings, args.lun_dir, args.state_dir)
    return 0


XCM_GUID = checked(lambda text: int(formats.guid(text, "XCM GUID"), 16), "XCM GUID")
CHASSIS_NAME = checked(
    lambda text: formats.label(text, formats.SESSION_NAME_MAX, "chassis name"), "chassis name"
)
HELLO_INTERVAL = checked(
    lambda n: formats.in_range(n, 1, formats.HELLO_INTERVAL_MAX, "hello interval"),
    "hello interval",
    int,
)
REGISTER_WITHIN = checked(
    lambda n: formats.in_range(n, 1, 600, "register-within"), "register-within", int
)
MAX_SESSIONS = checked(lambda n: formats.in_range(n, 1, 65536, "max-sessions"), "max-sessions", int)
MAX_UNREGISTERED = checked(
    lambda n: formats.in_range(n, 1, 4096, "max-unregistered"), "max-unregistered", int
)
fuzz_kind = kind_of("director.xsmp_fuzz", "KINDS", "fuzz kind")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def verbosity_options() -> argparse.ArgumentParser:
    """-v (debug: every HELLO too) and -q (warnings and errors only), taken before or after
    the command; without either, the daemons log at info."""
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    level = options.add_mutually_exclusive_group()
    level.add_argument(
        "-v", "--verbose", dest="log_level", action="store_const", const=logging.DEBUG,
        help="log at debug level",
    )  # fmt: skip
    level.add_argument(
        "-q", "--quiet", dest="log_level", action="store_const", const=logging.WARNING,
        help="log warnings and errors only",
    )  # fmt: skip
    return options


def build_parser() -> argparse.ArgumentParser:
    verbosity = verbosity_options()
    common = argparse.ArgumentParser(add_help=False, parents=[verbosity])
    common.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="director.json")
    common.add_argument("--state-dir", type=Path, default=STATE_DIR, help=argparse.SUPPRESS)
    parser = OneLineParser(prog=PROG, parents=[verbosity])
    sub = parser.add_subparsers(dest="command", required=True)
    fabric = sub.add_parser("fabric", parents=[common], help="answer ServiceRecord and XDS queries")
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
        type=kind_of("director.fabric_services", "MANGLES", "mangle"),
        help="break every answer this way (a hostile director, for tests; the kinds:"
        " director/fabric_services.py MANGLES)",
    )
    fabric.set_defaults(func=cmd_fabric)
    solicit = sub.add_parser(
        "solicit", parents=[common], help="answer Ethernet-mode (UD) discovery solicitations"
    )
    solicit.add_argument("--ibdev", default="rxe0")
    solicit.add_argument("--ifname", required=True, help="the fabric NIC under the RDMA device")
    solicit.add_argument("--gid-index", type=int, required=True, help="IPv6 GID to answer from")
    solicit.add_argument(
        "--compete",
        type=kind_of("director.competing_answers", "COMPETING", "competing answer"),
        help="send a competing answer of this kind before each real one (for tests; the"
        " kinds: director/competing_answers.py COMPETING)",
    )
    solicit.add_argument(
        "--compete-gid-index",
        type=int,
        help="IPv6 GID the competing answers come from (default: --gid-index)",
    )
    solicit.set_defaults(func=cmd_solicit)
    xcm = sub.add_parser("xcm", parents=[common], help="accept XSMP sessions from hosts")
    xcm.add_argument("--address", required=True, help="IP address to listen on")
    xcm.add_argument("--ibdev", default="rxe0")
    xcm.add_argument(
        "--guid", type=XCM_GUID, default=0, help="XCM GUID, 16 hex digits (default: the port's)"
    )
    xcm.add_argument(
        "--chassis-name",
        type=CHASSIS_NAME,
        default="xsigo-director",
        help="when the configuration file is absent",
    )
    xcm.add_argument(
        "--hello-interval",
        type=HELLO_INTERVAL,
        default=10,
        help="seconds (1 to 3600), when the configuration is absent",
    )
    xcm.add_argument(
        "--fuzz",
        action="append",
        default=[],
        type=lambda text: text if text == "all" else fuzz_kind(text),
        help="send this malformed message once to each host (repeatable; 'all'; a hostile XCM,"
        " for tests; the kinds: director/xsmp_fuzz.py KINDS)",
    )
    xcm.add_argument(
        "--no-auth",
        action="store_true",
        help="offer no nonce: an XCM of before the session proofs (for tests)",
    )
    xcm.add_argument(
        "--rogue-key",
        metavar="HEX",
        help="prove itself to every host with this key, whatever their proof (a rogue XCM, for"
        " tests)",
    )
    xcm.add_argument(
        "--register-within",
        type=REGISTER_WITHIN,
        default=10,
        help="seconds a connection may wait before it registers (1 to 600, default 10)",
    )
    xcm.add_argument(
        "--max-sessions",
        type=MAX_SESSIONS,
        default=512,
        help="sessions in all; more connection requests are refused (1 to 65536, default 512)",
    )
    xcm.add_argument(
        "--max-unregistered",
        type=MAX_UNREGISTERED,
        default=32,
        help="sessions not registered yet; more requests are refused (1 to 4096, default 32)",
    )
    xcm.set_defaults(func=cmd_xcm)
    ethgw = sub.add_parser(
        "ethgw", parents=[common], help="the Ethernet I/O card: bridge host vNICs to networks"
    )
    ethgw.add_argument(
        "--port",
        action="append",
        required=True,
        metavar="PORT=IFNAME",
        help="bridge I/O port PORT (eth/1) to interface IFNAME (repeatable)",
    )
    ethgw.add_argument(
        "--prefix", default="2001:db8::", help="fabric /64 prefix the card's addresses are in"
    )
    ethgw.add_argument("--ibdev", default="rxe0")
    ethgw.set_defaults(func=cmd_ethgw)
    fcgw = sub.add_parser(
        "fcgw", parents=[common], help="the FC I/O card: keep the kernel's FC gateway configured"
    )
    fcgw.add_argument(
        "--port", action="append", required=True, metavar="PORT", help="FC I/O port (fc/1)"
    )
    fcgw.add_argument(
        "--prefix", default="2001:db8::", help="fabric /64 prefix the card's addresses are in"
    )
    fcgw.add_argument("--lun-dir", type=Path, default=Path("/var/lib/xsigo-director/luns"))
    fcgw.add_argument("--ibdev", default="rxe0")
    fcgw.set_defaults(func=cmd_fcgw)
    ctl.add_parser(sub, [common])
    return parser


def log_level(args: argparse.Namespace) -> int:
    return int(getattr(args, "log_level", logging.INFO))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=log_level(args), format=LOG_FORMAT)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

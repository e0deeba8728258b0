"""The operator's CLI: add and remove vNICs, vHBAs and XCM assignments at runtime, and list the
servers with their link state. It edits the configuration file, which the running fabric
services and XCM pick up by themselves, and reads the state files they write."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from director import auth, stats
from director import config as cfg
from director.state import read_hosts, read_sessions


def _edit(args: argparse.Namespace) -> tuple[cfg.Config, cfg.Server]:
    config = cfg.load(args.config)
    return config, config.server_named(args.server)


def cmd_add_vnic(args: argparse.Namespace) -> int:
    config, server = _edit(args)
    rid = args.resource_id or config.next_resource_id()
    server.vnics.append(cfg.Vnic(args.name, rid, args.mac, args.mtu, args.port))
    cfg.save(args.config, config)
    print(f"vNIC {args.name} (resource id {rid:#x}) added for {args.server}")
    return 0


def cmd_add_vhba(args: argparse.Namespace) -> int:
    config, server = _edit(args)
    rid = args.resource_id or config.next_resource_id()
    server.vhbas.append(cfg.Vhba(args.name, rid, args.wwn, args.port))
    cfg.save(args.config, config)
    print(f"vHBA {args.name} (resource id {rid:#x}) added for {args.server}")
    return 0


def _set_device(
    args: argparse.Namespace, kind: str, changes: dict[str, object]
) -> cfg.Vnic | cfg.Vhba | None:
    """Change the named vNIC or vHBA of a server in the configuration (the changes that are
    not None) and save it; the XCM sends the host the UPDATE. None when there is no such."""
    config, server = _edit(args)
    devices: list[Any] = server.vnics if kind == "vNIC" else server.vhbas
    index = next((i for i, d in enumerate(devices) if d.name == args.name), None)
    if index is None:
        print(f"{args.server} has no {kind} named {args.name}")
        return None
    devices[index] = replace(devices[index], **{k: v for k, v in changes.items() if v is not None})
    cfg.save(args.config, config)
    return devices[index]


def _admin_up(args: argparse.Namespace) -> bool | None:
    return None if args.admin is None else args.admin == "up"


def cmd_set_vnic(args: argparse.Namespace) -> int:
    vnic = _set_device(args, "vNIC", {"mtu": args.mtu, "admin_up": _admin_up(args)})
    if not isinstance(vnic, cfg.Vnic):
        return 1
    print(f"vNIC {args.name}: MTU {vnic.mtu}, admin {'up' if vnic.admin_up else 'down'}")
    return 0


def cmd_set_vhba(args: argparse.Namespace) -> int:
    changes = {
        "queue_depth": args.queue_depth,
        "link_down_timeout": args.link_down_timeout,
        "admin_up": _admin_up(args),
    }
    vhba = _set_device(args, "vHBA", changes)
    if not isinstance(vhba, cfg.Vhba):
        return 1
    print(
        f"vHBA {args.name}: queue depth {vhba.queue_depth}, link-down timeout"
        f" {vhba.link_down_timeout} s, admin {'up' if vhba.admin_up else 'down'}"
    )
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    config, server = _edit(args)
    before = len(server.vnics) + len(server.vhbas)
    server.vnics = [v for v in server.vnics if v.name != args.name]
    server.vhbas = [v for v in server.vhbas if v.name != args.name]
    if len(server.vnics) + len(server.vhbas) == before:
        print(f"{args.server} has no device named {args.name}")
        return 1
    cfg.save(args.config, config)
    print(f"{args.name} deleted from {args.server}")
    return 0


def cmd_add_lun(args: argparse.Namespace) -> int:
    config = cfg.load(args.config)
    target = config.fc_target(args.wwpn)
    if target is None:
        target = cfg.FcTarget(args.wwpn, args.port)
        config.fc_targets.append(target)
    target.luns = [lun for lun in target.luns if lun.lun != args.lun]
    target.luns.append(cfg.FcLun(args.lun, args.size_mb, args.backing or ""))
    target.luns.sort(key=lambda lun: lun.lun)
    cfg.save(args.config, config)
    what = args.backing if args.backing else f"{args.size_mb} MiB"
    print(f"FC target {args.wwpn} on {target.port}: LUN {args.lun}, {what}")
    return 0


def _change_target(
    args: argparse.Namespace, change: Callable[[cfg.Config, cfg.FcTarget], str]
) -> int:
    """Apply change to the FC target args.wwpn names, save, and print what change says of it."""
    config = cfg.load(args.config)
    target = config.fc_target(args.wwpn)
    if target is None:
        print(f"no FC target {args.wwpn}")
        return 1
    what = change(config, target)
    cfg.save(args.config, config)
    print(f"FC target {args.wwpn}{what}")
    return 0


def cmd_remove_lun(args: argparse.Namespace) -> int:
    def remove(config: cfg.Config, target: cfg.FcTarget) -> str:
        if args.lun is None:
            config.fc_targets.remove(target)
            return ": removed"
        target.luns = [lun for lun in target.luns if lun.lun != args.lun]
        return f": LUN {args.lun} removed"

    return _change_target(args, remove)


def cmd_target_state(args: argparse.Namespace) -> int:
    def set_state(_: cfg.Config, target: cfg.FcTarget) -> str:
        target.online = args.state == "online"
        return f" {args.state}"

    return _change_target(args, set_state)


def _fault_name(target: cfg.FcTarget) -> str:
    if target.stale_after_s:
        return f"stale after {target.stale_after_s} s"
    if target.stuck:
        return "stuck"
    if target.drop:
        return "drop"
    if target.delay_s:
        return f"delay {target.delay_s} s"
    return "none"


def cmd_target_fault(args: argparse.Namespace) -> int:
    def set_fault(_: cfg.Config, target: cfg.FcTarget) -> str:
        target.delay_s = 0.0 if args.clear else args.delay or 0.0
        target.drop = not args.clear and args.drop
        target.stuck = not args.clear and args.stuck
        target.stale_after_s = 0.0 if args.clear else args.stale_after or 0.0
        return f": READ/WRITE fault {_fault_name(target)}"

    return _change_target(args, set_fault)


def cmd_assign_xcm(args: argparse.Namespace) -> int:
    config, server = _edit(args)
    if args.remove:
        server.xcms = [x for x in server.xcms if x != args.xcm]
    elif args.xcm not in server.xcms:
        server.xcms.append(args.xcm)
    cfg.save(args.config, config)
    print(f"{args.server} is assigned XCM(s): {', '.join(server.xcms) or 'none'}")
    return 0


def cmd_port_link(args: argparse.Namespace) -> int:
    config = cfg.load(args.config)
    down = [p for p in config.down_ports if p != args.port]
    if args.state == "down":
        down.append(args.port)
    config.down_ports = down
    cfg.save(args.config, config)
    print(f"I/O port {args.port} link {args.state}")
    return 0


def cmd_host_key(args: argparse.Namespace) -> int:
    """Set, make or remove a host's XSMP key; a made key is printed once, for the host's
    keyring (docs/security.md)."""
    config = cfg.load(args.config)
    guid = args.guid.lower()
    if args.remove:
        config.host_keys.pop(guid, None)
        message = f"host {guid} has no key now"
    else:
        key = args.key.lower() if args.key else auth.new_key()
        config.host_keys[guid] = key
        message = f"host {guid} key {key}" if not args.key else f"host {guid} key set"
    cfg.save(args.config, config)
    print(message)
    return 0


def cmd_allow_unauthenticated(args: argparse.Namespace) -> int:
    config = cfg.load(args.config)
    guid = args.guid.lower()
    allowed = [g for g in config.allow_unauthenticated if g != guid]
    if not args.remove:
        allowed.append(guid)
    config.allow_unauthenticated = allowed
    cfg.save(args.config, config)
    print(f"host {guid} {'may' if not args.remove else 'may not'} register without a proof")
    return 0


def servers_view(config: cfg.Config, state_dir: Path) -> list[dict[str, Any]]:
    """Every server the director knows of, configured or seen, with its sessions."""
    hosts = read_hosts(state_dir)
    sessions = read_sessions(state_dir)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for guid, hostname in sorted(hosts.items()):
        server = config.server(int(guid, 16), hostname)
        rows.append(
            {
                "port_guid": guid,
                "hostname": hostname,
                "configured_as": server.match if server else None,
                "sessions": [s for s in sessions if s["host_guid"] == guid],
            }
        )
        if server:
            seen.add(server.match)
    for server in config.servers:
        if server.match not in seen:
            rows.append(
                {"port_guid": None, "hostname": None, "configured_as": server.match, "sessions": []}
            )
    return rows


def cmd_list(args: argparse.Namespace) -> int:
    config = cfg.load(args.config)
    rows = servers_view(config, args.state_dir)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for row in rows:
        name = row["hostname"] or row["configured_as"]
        print(f"{name}  port {row['port_guid'] or '-'}  config {row['configured_as'] or '-'}")
        for session in row["sessions"]:
            auth_state = session.get("auth", "-")
            print(
                f"  XCM {session['xcm_guid']}  {session['state']}  profile {session['profile']}"
                f"  auth {auth_state}"
            )
            for device, status in sorted(session["devices"].items()):
                print(f"    {device}: {status}")
    return 0


STATS_WITHIN = 10.0  # seconds: the XCM looks for requests every second, the host answers at once


def cmd_stats(args: argparse.Namespace) -> int:
    token = stats.write_request(args.state_dir, args.server, args.name, args.clear)
    answer = stats.wait_answer(args.state_dir, token, STATS_WITHIN)
    if answer is None:
        print(
            f"no answer for {args.server} {args.name} within {STATS_WITHIN:.0f} s: no XCM"
            " has a session with the host that installed it, or the host did not answer"
        )
        return 1
    if args.json:
        print(json.dumps(answer, indent=1))
    elif args.clear:
        print(f"{args.name}: counters cleared")
    else:
        width = max(len(name) for name in answer)
        for name, value in answer.items():
            print(f"{name.ljust(width)}  {value}")
    return 0


def cmd_fc_show(args: argparse.Namespace) -> int:
    """What the kernel's FC gateway is serving now, read from configfs."""
    from director.lio import CONFIGFS, FABRIC, Lio

    if not (CONFIGFS / FABRIC).is_dir():
        print("the FC gateway (xsfcgw) is not loaded")
        return 1
    for line in Lio([], "", 0, Path()).describe():
        print(line)
    return 0


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    ctl = sub.add_parser(
        "ctl", parents=parents, help="operator commands (edit the configuration, list servers)"
    )
    ops = ctl.add_subparsers(dest="op", required=True)

    vnic = ops.add_parser("add-vnic", help="give a server a vNIC")
    vnic.add_argument("server", help="hostname or port GUID")
    vnic.add_argument("name")
    vnic.add_argument("--mac", default="52:54:00:00:00:01")
    vnic.add_argument("--mtu", type=int, default=1500)
    vnic.add_argument("--port", default="eth/1", help="Ethernet I/O port it goes out of")
    vnic.add_argument("--resource-id", type=lambda v: int(v, 0), default=0)
    vnic.set_defaults(func=cmd_add_vnic)

    change = ops.add_parser(
        "set-vnic", help="change a vNIC's MTU or admin state in place (the host is sent UPDATE)"
    )
    change.add_argument("server")
    change.add_argument("name")
    change.add_argument("--mtu", type=int)
    change.add_argument("--admin", choices=["up", "down"])
    change.set_defaults(func=cmd_set_vnic)

    vhba = ops.add_parser("add-vhba", help="give a server a vHBA")
    vhba.add_argument("server", help="hostname or port GUID")
    vhba.add_argument("name")
    vhba.add_argument("--wwn", default="21:00:00:00:00:00:00:01")
    vhba.add_argument("--port", default="fc/1", help="FC I/O port it goes out of")
    vhba.add_argument("--resource-id", type=lambda v: int(v, 0), default=0)
    vhba.set_defaults(func=cmd_add_vhba)

    change = ops.add_parser(
        "set-vhba",
        help="change a vHBA's queue depth, link-down timeout or admin state in place"
        " (the host is sent UPDATE)",
    )
    change.add_argument("server")
    change.add_argument("name")
    change.add_argument("--queue-depth", type=int, help="commands in flight per LUN (1-64)")
    change.add_argument(
        "--link-down-timeout", type=int, help="seconds a lost target waits before failing"
    )
    change.add_argument("--admin", choices=["up", "down"])
    change.set_defaults(func=cmd_set_vhba)

    show = ops.add_parser(
        "stats", help="a vNIC's or vHBA's counters, live from its host (STATS request)"
    )
    show.add_argument("server", help="the server as the configuration matches it")
    show.add_argument("name")
    show.add_argument("--clear", action="store_true", help="count from zero from now on")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_stats)

    lun = ops.add_parser("add-lun", help="give an FC card target a file-backed LUN")
    lun.add_argument("wwpn", help="target port WWN (created on first use)")
    lun.add_argument("lun", type=int)
    size = lun.add_mutually_exclusive_group()
    size.add_argument("--size-mb", type=int, default=64)
    size.add_argument(
        "--backing", metavar="PATH", help="an existing file or block device, served as it is"
    )
    lun.add_argument("--port", default="fc/1", help="FC I/O port of a new target")
    lun.set_defaults(func=cmd_add_lun)

    unlun = ops.add_parser("remove-lun", help="take a LUN (or, without one, a target) away")
    unlun.add_argument("wwpn")
    unlun.add_argument("lun", type=int, nargs="?")
    unlun.set_defaults(func=cmd_remove_lun)

    state = ops.add_parser("target-state", help="take an FC target offline or bring it back")
    state.add_argument("wwpn")
    state.add_argument("state", choices=["online", "offline"])
    state.set_defaults(func=cmd_target_state)

    fault = ops.add_parser(
        "target-fault", help="delay or drop an FC target's READ/WRITE commands (--clear: stop)"
    )
    fault.add_argument("wwpn")
    how = fault.add_mutually_exclusive_group(required=True)
    how.add_argument("--delay", type=float, metavar="SECONDS")
    how.add_argument("--drop", action="store_true")
    how.add_argument(
        "--stuck", action="store_true", help="drop, and ignore aborts and LUN/target resets"
    )
    how.add_argument(
        "--stale-after",
        type=float,
        metavar="SECONDS",
        help="stuck, then move the commands' data with their old keys after SECONDS",
    )
    how.add_argument("--clear", action="store_true")
    fault.set_defaults(func=cmd_target_fault)

    delete = ops.add_parser("delete", help="take a vNIC or vHBA away from a server")
    delete.add_argument("server")
    delete.add_argument("name")
    delete.set_defaults(func=cmd_delete)

    assign = ops.add_parser("assign-xcm", help="send a server to one more XCM (or --remove)")
    assign.add_argument("server")
    assign.add_argument("xcm", help=f"GUID (16 hex digits) or '{cfg.OWN_XCM}'")
    assign.add_argument("--remove", action="store_true")
    assign.set_defaults(func=cmd_assign_xcm)

    link = ops.add_parser("port-link", help="take an I/O port's link down or bring it up")
    link.add_argument("port", help="eth/<n> or fc/<n>")
    link.add_argument("state", choices=["up", "down"])
    link.set_defaults(func=cmd_port_link)

    fc = ops.add_parser(
        "fc-show", help="the kernel FC card: ports, targets, LUN maps, ACLs, vHBAs, counters"
    )
    fc.set_defaults(func=cmd_fc_show)

    key = ops.add_parser("host-key", help="set (or make, or --remove) a host's XSMP key")
    key.add_argument("guid", help="the host's port GUID, 16 hex digits")
    key.add_argument("key", nargs="?", help="32 to 128 hex digits; without it one is made")
    key.add_argument("--remove", action="store_true")
    key.set_defaults(func=cmd_host_key)

    unauth = ops.add_parser(
        "allow-unauthenticated", help="let a host register without a proof (or --remove)"
    )
    unauth.add_argument("guid", help="the host's port GUID, 16 hex digits")
    unauth.add_argument("--remove", action="store_true")
    unauth.set_defaults(func=cmd_allow_unauthenticated)

    listing = ops.add_parser("list", help="servers, their links and their devices")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)

"""The operator's CLI: add and remove vNICs, vHBAs and XCM assignments at runtime, give the FC
card's targets LUNs and mask them, and list the servers with their link state. It edits the
configuration file, which the running fabric services, XCM and cards pick up by themselves,
and reads the state files they write.

It saves no configuration that director/config.py finds wrong; what it refuses is one line on
stderr (`ctl: ...`) and exit status 1. Every read command takes --json."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from director import auth, formats
from director import config as cfg
from director.cli import checked
from director.state import read_hosts, read_sessions


class CtlError(ValueError):
    """What is wrong with the operator's request, in one line."""


def run(args: argparse.Namespace) -> int:
    """Run the operation; what is wrong with the operator's input, the configuration file or
    the state files is one line on stderr and exit status 1, never a traceback."""
    try:
        return int(args.operation(args))
    except (ValueError, OSError) as err:  # CtlError and ConfigError are ValueErrors
        print(f"ctl: {_one_line(err)}", file=sys.stderr)
        return 1


def _one_line(err: Exception) -> str:
    if isinstance(err, OSError) and err.strerror:
        return f"{err.filename}: {err.strerror}" if err.filename else err.strerror
    return " ".join(str(err).split())


def _match(text: str) -> str:
    """A server as the configuration matches it: a port GUID in lower case, or a hostname."""
    return text.lower() if formats.is_guid(text) else text


def _server(config: cfg.Config, match: str) -> cfg.Server:
    server = config.configured_server(match)
    if server is None:
        raise CtlError(f"no server {match} in the configuration")
    return server


def _show(args: argparse.Namespace, data: object, lines: list[str]) -> int:
    """Print a read command's answer: JSON with --json, else its lines."""
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        for line in lines:
            print(line)
    return 0


def _add_device(args: argparse.Namespace, make: Callable[[int], cfg.Vnic | cfg.Vhba]) -> int:
    """Add the device `make` builds with its resource id (the one asked for, or the next
    free) to the server's, and say what it got."""
    config = cfg.load(args.config)
    server = config.server_named(_match(args.server))
    device = make(args.resource_id or config.next_resource_id())
    if isinstance(device, cfg.Vnic):
        server.vnics.append(device)
        what = f"vNIC {device.name} (resource id {device.resource_id:#x}, MAC {device.mac})"
    else:
        server.vhbas.append(device)
        what = f"vHBA {device.name} (resource id {device.resource_id:#x}, WWN {device.wwn})"
    cfg.save(args.config, config)
    print(f"{what} added for {args.server}")
    return 0


def cmd_add_vnic(args: argparse.Namespace) -> int:
    mac = args.mac.lower() if args.mac else ""
    return _add_device(
        args, lambda rid: cfg.Vnic(args.name, rid, mac, args.mtu, args.port, tso=not args.no_tso)
    )


def cmd_add_vhba(args: argparse.Namespace) -> int:
    wwn = args.wwn.lower() if args.wwn else ""
    return _add_device(args, lambda rid: cfg.Vhba(args.name, rid, wwn, args.port))


def _set_device(args: argparse.Namespace, kind: str, changes: dict[str, object]) -> Any:
    """Change the named vNIC or vHBA of a server in the configuration (the changes that are
    not None) and save it; the XCM sends the host the UPDATE."""
    config = cfg.load(args.config)
    server = _server(config, _match(args.server))
    devices: list[Any] = server.vnics if kind == "vNIC" else server.vhbas
    index = next((i for i, d in enumerate(devices) if d.name == args.name), None)
    if index is None:
        raise CtlError(f"server {args.server} has no {kind} named {args.name}")
    devices[index] = replace(devices[index], **{k: v for k, v in changes.items() if v is not None})
    cfg.save(args.config, config)
    return devices[index]


def _admin_up(args: argparse.Namespace) -> bool | None:
    return None if args.admin is None else args.admin == "up"


def cmd_set_vnic(args: argparse.Namespace) -> int:
    vnic = _set_device(args, "vNIC", {"mtu": args.mtu, "admin_up": _admin_up(args)})
    print(f"vNIC {args.name}: MTU {vnic.mtu}, admin {'up' if vnic.admin_up else 'down'}")
    return 0


def cmd_set_vhba(args: argparse.Namespace) -> int:
    changes = {
        "queue_depth": args.queue_depth,
        "link_down_timeout": args.link_down_timeout,
        "admin_up": _admin_up(args),
    }
    vhba = _set_device(args, "vHBA", changes)
    print(
        f"vHBA {args.name}: queue depth {vhba.queue_depth}, link-down timeout"
        f" {vhba.link_down_timeout} s, admin {'up' if vhba.admin_up else 'down'}"
    )
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    config = cfg.load(args.config)
    server = _server(config, _match(args.server))
    if server.device(args.name) is None:
        raise CtlError(f"server {args.server} has no device named {args.name}")
    server.vnics = [v for v in server.vnics if v.name != args.name]
    server.vhbas = [v for v in server.vhbas if v.name != args.name]
    cfg.save(args.config, config)
    print(f"{args.name} deleted from {args.server}")
    return 0


def cmd_add_lun(args: argparse.Namespace) -> int:
    config = cfg.load(args.config)
    target = config.fc_target(args.wwpn)
    if target is None:
        target = cfg.FcTarget(args.wwpn.lower(), args.port)
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
        raise CtlError(f"no FC target {args.wwpn} in the configuration")
    what = change(config, target)
    cfg.save(args.config, config)
    print(f"FC target {args.wwpn}{what}")
    return 0


def cmd_remove_lun(args: argparse.Namespace) -> int:
    def remove(config: cfg.Config, target: cfg.FcTarget) -> str:
        if args.lun is None:
            config.fc_targets.remove(target)
            return ": removed"
        if all(lun.lun != args.lun for lun in target.luns):
            raise CtlError(f"FC target {args.wwpn} has no LUN {args.lun}")
        target.luns = [lun for lun in target.luns if lun.lun != args.lun]
        for acl in target.acls or []:  # no vHBA is allowed a LUN that is not there
            if acl.luns is not None:
                acl.luns = [n for n in acl.luns if n != args.lun]
        return f": LUN {args.lun} removed"

    return _change_target(args, remove)


def _initiator(config: cfg.Config, text: str) -> str:
    """The WWN of the vHBA `text` names: its WWN, or server/vHBA-name."""
    if "/" not in text:
        return formats.wwn(text, "vHBA WWN")
    match, _, name = text.rpartition("/")
    device = _server(config, _match(match)).device(name)
    if not isinstance(device, cfg.Vhba):
        raise CtlError(f"server {match} has no vHBA named {name}")
    return device.wwn.lower()


def _sees(target: cfg.FcTarget, initiator: str) -> str:
    """What the vHBA of WWN `initiator` sees of the target, in words."""
    acl = target.acl(initiator) if target.masked else None
    if target.masked and acl is None:
        return "nothing"
    if acl is None or acl.luns is None:
        return "every LUN"
    return f"LUNs {', '.join(map(str, sorted(acl.luns)))}" if acl.luns else "no LUN"


def cmd_allow(args: argparse.Namespace) -> int:
    """Let a vHBA see a target (masking it if it was open), every LUN or the --lun ones; with
    --remove take those LUNs away from it, or without --lun the vHBA itself."""

    def allow(config: cfg.Config, target: cfg.FcTarget) -> str:
        initiator = _initiator(config, args.initiator)
        acls = list(target.acls or [])
        old = target.acl(initiator)
        at = acls.index(old) if old is not None else len(acls)
        if old is not None:
            acls.remove(old)
        if not args.remove:
            acls.insert(at, cfg.FcAcl(initiator, sorted(set(args.lun)) if args.lun else None))
        elif args.lun and old is not None:
            kept = [n for n in target.acl_luns(old) if n not in args.lun]
            acls.insert(at, cfg.FcAcl(old.initiator, kept))
        target.acls = acls
        return f" masked: vHBA {initiator} sees {_sees(target, initiator)}"

    return _change_target(args, allow)


def cmd_mask(args: argparse.Namespace) -> int:
    def mask(_: cfg.Config, target: cfg.FcTarget) -> str:
        target.acls = target.acls if target.acls is not None else []
        return f" masked: {len(target.acls)} vHBA(s) allowed"

    return _change_target(args, mask)


def cmd_unmask(args: argparse.Namespace) -> int:
    def unmask(_: cfg.Config, target: cfg.FcTarget) -> str:
        target.acls = None
        return " open: every vHBA sees every LUN"

    return _change_target(args, unmask)


def cmd_target_state(args: argparse.Namespace) -> int:
    def set_state(_: cfg.Config, target: cfg.FcTarget) -> str:
        target.online = args.state == "online"
        return f" {args.state}"

    return _change_target(args, set_state)


def _fault_name(target: cfg.FcTarget) -> str:
    kind, seconds = target.fault
    if kind == "stale":
        return f"stale after {seconds} s"
    return f"delay {seconds} s" if kind == "delay" else kind


def cmd_target_fault(args: argparse.Namespace) -> int:
    def set_fault(_: cfg.Config, target: cfg.FcTarget) -> str:
        target.delay_s = 0.0 if args.clear else args.delay or 0.0
        target.drop = not args.clear and args.drop
        target.stuck = not args.clear and args.stuck
        target.stale_after_s = 0.0 if args.clear else args.stale_after or 0.0
        return f": READ/WRITE fault {_fault_name(target)}"

    return _change_target(args, set_fault)


def cmd_assign_xcm(args: argparse.Namespace) -> int:
    config = cfg.load(args.config)
    xcm = args.xcm if args.xcm == cfg.OWN_XCM else args.xcm.lower()
    if args.remove:
        server = _server(config, _match(args.server))
        server.xcms = [x for x in server.xcms if x.lower() != xcm]
    else:
        server = config.server_named(_match(args.server))
        if xcm not in [x.lower() for x in server.xcms]:
            server.xcms.append(xcm)
    cfg.save(args.config, config)
    print(f"{args.server} is assigned XCM(s): {', '.join(server.xcms) or 'none'}")
    return 0


def _down_list(down: list[str], name: str, state: str) -> list[str]:
    """`down` with `name` in it when `state` is "down", without it when "up"."""
    return [d for d in down if d != name] + ([name] if state == "down" else [])


def cmd_port_link(args: argparse.Namespace) -> int:
    cfg.io_port_guid(0, args.port)
    config = cfg.load(args.config)
    config.down_ports = _down_list(config.down_ports, args.port, args.state)
    cfg.save(args.config, config)
    print(f"I/O port {args.port} link {args.state}")
    return 0


def cmd_card_state(args: argparse.Namespace) -> int:
    config = cfg.load(args.config)
    config.down_cards = _down_list(config.down_cards, args.card, args.state)
    cfg.save(args.config, config)
    print(f"I/O card {args.card} {args.state}")
    return 0


def cmd_host_key(args: argparse.Namespace) -> int:
    """Set, make or remove a host's XSMP key; a made key is printed once, for the host's
    keyring (docs/security.md)."""
    config = cfg.load(args.config)
    guid = formats.guid(args.guid, "host GUID")
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
    guid = formats.guid(args.guid, "host GUID")
    allowed = [g for g in config.allow_unauthenticated if g != guid]
    if not args.remove:
        allowed.append(guid)
    config.allow_unauthenticated = allowed
    cfg.save(args.config, config)
    print(f"host {guid} {'may' if not args.remove else 'may not'} register without a proof")
    return 0


def fc_luns(config: cfg.Config, match: str) -> dict[str, dict[str, list[int]]]:
    """The FC targets each vHBA of the server sees, as the card serves the configuration (its
    wrong entries left out), with the LUNs it sees of each: vHBA name -> target WWPN -> LUNs."""
    served = cfg.checked(config)[0]
    server = served.configured_server(match)
    return {
        vhba.name: {
            target.wwpn: target.luns_seen_by(vhba.wwn)
            for target in served.fc_targets
            if target.port == vhba.port and (not target.masked or target.acl(vhba.wwn) is not None)
        }
        for vhba in (server.vhbas if server else [])
    }


def servers_view(config: cfg.Config, state_dir: Path) -> list[dict[str, Any]]:
    """Every server the director knows of, configured or seen, with its sessions and what
    its vHBAs see of the FC card's targets."""
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
                "fc_luns": fc_luns(config, server.match) if server else {},
            }
        )
        if server:
            seen.add(server.match)
    for server in config.servers:
        if server.match not in seen:
            rows.append(
                {
                    "port_guid": None,
                    "hostname": None,
                    "configured_as": server.match,
                    "sessions": [],
                    "fc_luns": fc_luns(config, server.match),
                }
            )
    return rows


def _list_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        name = row["hostname"] or row["configured_as"]
        lines.append(
            f"{name}  port {row['port_guid'] or '-'}  config {row['configured_as'] or '-'}"
        )
        for session in row["sessions"]:
            lines.append(
                f"  XCM {session['xcm_guid']}  {session['state']}  profile {session['profile']}"
                f"  auth {session.get('auth', '-')}"
            )
            lines += [f"    {d}: {status}" for d, status in sorted(session["devices"].items())]
        for vhba, targets in row["fc_luns"].items():
            lines += [f"  {vhba} sees FC target {wwpn}: LUNs {', '.join(map(str, luns)) or 'none'}"
                      for wwpn, luns in targets.items()]  # fmt: skip
    return lines


def cmd_list(args: argparse.Namespace) -> int:
    rows = servers_view(cfg.load(args.config), args.state_dir)
    return _show(args, rows, _list_lines(rows))


STATS_WITHIN = 10.0  # seconds: the XCM looks for requests every second, the host answers at once


def cmd_stats(args: argparse.Namespace) -> int:
    match = _match(args.server)
    if _server(cfg.load(args.config), match).device(args.name) is None:
        raise CtlError(f"server {match} has no device named {args.name}")
    from director import stats  # its codecs only here: every other command starts faster

    token = stats.write_request(args.state_dir, match, args.name, args.clear)
    answer = stats.wait_answer(args.state_dir, token, STATS_WITHIN)
    if answer is None:
        raise CtlError(
            f"no answer for {args.server} {args.name} within {STATS_WITHIN:.0f} s: no XCM"
            " has a session with the host that installed it, or the host did not answer"
        )
    if args.clear and not args.json:
        return _show(args, answer, [f"{args.name}: counters cleared"])
    width = max((len(name) for name in answer), default=0)
    return _show(args, answer, [f"{name.ljust(width)}  {value}" for name, value in answer.items()])


def cmd_fc_show(args: argparse.Namespace) -> int:
    """What the kernel's FC gateway is serving now, read from configfs."""
    from director.lio import CONFIGFS, FABRIC, Lio, describe

    if not (CONFIGFS / FABRIC).is_dir():
        raise CtlError("the FC gateway (xsfcgw) is not loaded")
    ports = Lio([], "", 0, Path(), root=CONFIGFS).snapshot()
    return _show(args, ports, describe(ports))


def cmd_show(args: argparse.Namespace) -> int:
    """The configuration file, and what the daemons would leave out of it and why."""
    config = cfg.load(args.config)
    problems = [str(p) for p in cfg.checked(config)[1]]
    lines = [json.dumps(config.to_json(), indent=1)]
    lines += [f"wrong, left out by the daemons: {p}" for p in problems]
    return _show(args, {"config": config.to_json(), "problems": problems}, lines)


RESOURCE_ID = checked(formats.resource_id, "resource id", lambda text: int(text, 0))
BATCH_STATUS = "ctl-batch:"


def run_batch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Each line of the file a ctl command (what follows `ctl`; the batch's --config and
    state directory hold for all), run in turn by this one process, as `ip -batch` does: a
    script of many changes pays Python's start once. After each command, `ctl-batch: STATUS`
    on standard output, flushed, so that a reader on a pipe knows it is done. Blank lines and
    # comments are skipped. Exit status 0 when every command succeeded, else 1."""
    failed = False
    common = ["--config", str(args.config), "--state-dir", str(args.state_dir)]
    with sys.stdin if args.file == "-" else open(args.file) as lines:
        for line in lines:
            try:
                words = shlex.split(line, comments=True)
            except ValueError as err:
                print(f"ctl: {_one_line(err)}", file=sys.stderr)
                words, status = [], 2
            else:
                status = 0
            if words and words[0] == "batch":
                print("ctl: batch: not within a batch", file=sys.stderr)
                status = 2
            elif words:
                try:
                    status = run(parser.parse_args([*common, *words]))
                except SystemExit as usage:  # the parser's one-line error, said already
                    status = usage.code if isinstance(usage.code, int) else 2
            elif not status:
                continue
            print(f"{BATCH_STATUS} {status}", flush=True)
            failed |= status != 0
    return 1 if failed else 0


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    ctl = sub.add_parser(
        "ctl", parents=parents, help="operator commands (edit the configuration, list servers)"
    )
    ctl.set_defaults(func=run)
    ops = ctl.add_subparsers(dest="op", required=True)

    batch = ops.add_parser(
        "batch", help="run the ctl commands of FILE, one a line ('-': standard input)"
    )
    batch.add_argument("file", help="one command a line, without 'ctl'; '-' for standard input")
    batch.set_defaults(operation=lambda args: run_batch(ctl, args))

    vnic = ops.add_parser("add-vnic", help="give a server a vNIC")
    vnic.add_argument("server", help="hostname or port GUID")
    vnic.add_argument("name")
    vnic.add_argument(
        "--mac", help="unicast MAC (default: 02 and the low 40 bits of the resource id)"
    )
    vnic.add_argument(
        "--mtu", type=int, default=1500, help=f"{formats.MTU_MIN} to {formats.MTU_MAX}"
    )
    vnic.add_argument("--port", default="eth/1", help="Ethernet I/O port it goes out of")
    vnic.add_argument(
        "--no-tso", action="store_true", help="offer no TSO: the host sends frames of its MTU"
    )
    vnic.add_argument("--resource-id", type=RESOURCE_ID, default=0, help="default: the next free")
    vnic.set_defaults(operation=cmd_add_vnic)

    change = ops.add_parser(
        "set-vnic", help="change a vNIC's MTU or admin state in place (the host is sent UPDATE)"
    )
    change.add_argument("server")
    change.add_argument("name")
    change.add_argument("--mtu", type=int)
    change.add_argument("--admin", choices=["up", "down"])
    change.set_defaults(operation=cmd_set_vnic)

    vhba = ops.add_parser("add-vhba", help="give a server a vHBA")
    vhba.add_argument("server", help="hostname or port GUID")
    vhba.add_argument("name")
    vhba.add_argument(
        "--wwn", help="port WWN (default: 30:00 and the low 48 bits of the resource id)"
    )
    vhba.add_argument("--port", default="fc/1", help="FC I/O port it goes out of")
    vhba.add_argument("--resource-id", type=RESOURCE_ID, default=0, help="default: the next free")
    vhba.set_defaults(operation=cmd_add_vhba)

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
    change.set_defaults(operation=cmd_set_vhba)

    show = ops.add_parser(
        "stats", help="a vNIC's or vHBA's counters, live from its host (STATS request)"
    )
    show.add_argument("server", help="the server as the configuration matches it")
    show.add_argument("name")
    show.add_argument("--clear", action="store_true", help="count from zero from now on")
    show.add_argument("--json", action="store_true")
    show.set_defaults(operation=cmd_stats)

    lun = ops.add_parser("add-lun", help="give an FC card target a file-backed LUN")
    lun.add_argument("wwpn", help="target port WWN (created on first use)")
    lun.add_argument("lun", type=int)
    size = lun.add_mutually_exclusive_group()
    size.add_argument("--size-mb", type=int, default=64)
    size.add_argument(
        "--backing", metavar="PATH", help="an existing file or block device, served as it is"
    )
    lun.add_argument("--port", default="fc/1", help="FC I/O port of a new target")
    lun.set_defaults(operation=cmd_add_lun)

    unlun = ops.add_parser("remove-lun", help="take a LUN (or, without one, a target) away")
    unlun.add_argument("wwpn")
    unlun.add_argument("lun", type=int, nargs="?")
    unlun.set_defaults(operation=cmd_remove_lun)

    state = ops.add_parser("target-state", help="take an FC target offline or bring it back")
    state.add_argument("wwpn")
    state.add_argument("state", choices=["online", "offline"])
    state.set_defaults(operation=cmd_target_state)

    allow = ops.add_parser(
        "allow",
        help="let a vHBA see an FC target, every LUN or the --lun ones (masks an open target;"
        " --remove takes those LUNs, or the vHBA, away)",
    )
    allow.add_argument("wwpn", help="target port WWN")
    allow.add_argument("initiator", help="the vHBA: its WWN, or server/vHBA-name")
    allow.add_argument(
        "--lun", type=int, nargs="+", action="extend", metavar="N", help="default: every LUN"
    )
    allow.add_argument("--remove", action="store_true")
    allow.set_defaults(operation=cmd_allow)

    mask = ops.add_parser(
        "mask", help="mask an FC target: only the vHBAs `allow` names see it (none yet)"
    )
    mask.add_argument("wwpn")
    mask.set_defaults(operation=cmd_mask)

    unmask = ops.add_parser(
        "unmask", help="open an FC target again: every vHBA sees every LUN (its ACLs go)"
    )
    unmask.add_argument("wwpn")
    unmask.set_defaults(operation=cmd_unmask)

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
    fault.set_defaults(operation=cmd_target_fault)

    delete = ops.add_parser("delete", help="take a vNIC or vHBA away from a server")
    delete.add_argument("server")
    delete.add_argument("name")
    delete.set_defaults(operation=cmd_delete)

    assign = ops.add_parser("assign-xcm", help="send a server to one more XCM (or --remove)")
    assign.add_argument("server")
    assign.add_argument("xcm", help=f"GUID (16 hex digits) or '{cfg.OWN_XCM}'")
    assign.add_argument("--remove", action="store_true")
    assign.set_defaults(operation=cmd_assign_xcm)

    link = ops.add_parser("port-link", help="take an I/O port's link down or bring it up")
    link.add_argument("port", help="eth/<n> or fc/<n>")
    link.add_argument("state", choices=["up", "down"])
    link.set_defaults(operation=cmd_port_link)

    card = ops.add_parser(
        "card-state",
        help="take an I/O card down (its ports go, every host's connections to it drop) or"
        " bring it up (its configuration is applied again, the hosts reconnect)",
    )
    card.add_argument("card", choices=sorted(cfg.IO_PORT_KINDS))
    card.add_argument("state", choices=["up", "down"])
    card.set_defaults(operation=cmd_card_state)

    fc = ops.add_parser(
        "fc-show", help="the kernel FC card: ports, targets, LUN maps, ACLs, vHBAs, counters"
    )
    fc.add_argument("--json", action="store_true")
    fc.set_defaults(operation=cmd_fc_show)

    show = ops.add_parser(
        "show", help="the configuration, and the entries the daemons leave out (and why)"
    )
    show.add_argument("--json", action="store_true")
    show.set_defaults(operation=cmd_show)

    key = ops.add_parser("host-key", help="set (or make, or --remove) a host's XSMP key")
    key.add_argument("guid", help="the host's port GUID, 16 hex digits")
    key.add_argument("key", nargs="?", help="32 to 128 hex digits; without it one is made")
    key.add_argument("--remove", action="store_true")
    key.set_defaults(operation=cmd_host_key)

    unauth = ops.add_parser(
        "allow-unauthenticated", help="let a host register without a proof (or --remove)"
    )
    unauth.add_argument("guid", help="the host's port GUID, 16 hex digits")
    unauth.add_argument("--remove", action="store_true")
    unauth.set_defaults(operation=cmd_allow_unauthenticated)

    listing = ops.add_parser("list", help="servers, their links and their devices")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(operation=cmd_list)

"""Run the software director (director/) in the director VM and read the guests' RDMA identity."""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from director import config
from harness.console import Console, ConsoleError
from harness.fabric import RXE_DEVICE
from harness.vm import Guest

GIDS = f"/sys/class/infiniband/{RXE_DEVICE}/ports/1/gids"
# Bytecode is cached in the guest, never written into the shared checkout: each tool's start
# (every ctl call) then takes about 1.2 s under TCG instead of 1.7 s.
GUEST_PYTHON = "cd /mnt/xs && PYTHONPYCACHEPREFIX=/var/tmp/xs-pycache PYTHONPATH=/mnt/xs python3"
FABRIC_LOG = "/tmp/fabric.log"
FABRIC_PID = "/tmp/fabric.pid"
# Every service and card of the director logs to /tmp/<name>.log in the guest.
LOGS = "/tmp/*.log"
# What a run's artifacts keep of each: the serial console carries it out, slowly.
KEPT_LINES = 2000


def copy_logs(guest: Guest, dest: Path) -> list[Path]:
    """The last KEPT_LINES lines of each log of the director's services and cards, and the
    kernel cards' messages, into `dest` (harness/runs.py); the files written."""
    con = guest.console
    dest.mkdir(parents=True, exist_ok=True)
    saved = []
    for name in con.output(f"ls {LOGS} 2>/dev/null || true").split():
        path = dest / PurePosixPath(name).name
        path.write_text(con.output(f"tail -n {KEPT_LINES} {name}"))
        saved.append(path)
    cards = dest / "cards.dmesg"
    cards.write_text(con.output(f"dmesg | grep -E 'xsethgw|xsfcgw' | tail -n {KEPT_LINES} || true"))
    saved.append(cards)
    return saved


def ipv6_gid(guest: Guest) -> tuple[int, str]:
    """Index and text of the guest's 2001:db8:: GID (IPv4-mapped GIDs cannot carry GSI
    request/response pairs: see docs/wire-deviations.md)."""
    # the lowest index: the address the harness gave the NIC, not one a test added later
    path = guest.console.output(f"grep -l '^2001:0db8' {GIDS}/* | head -n 1").strip()
    return int(path.rsplit("/", 1)[1]), guest.console.output(f"cat {path}").strip()


NODE_GUID = re.compile(r"^[0-9a-f]{4}(?::[0-9a-f]{4}){3}$", re.MULTILINE)


def node_guid(guest: Guest) -> str:
    """The guest's rxe node GUID as 16 hex digits."""
    out = guest.console.output(f"cat /sys/class/infiniband/{RXE_DEVICE}/node_guid")
    # The line itself: a kernel message on the console may come before it.
    found = NODE_GUID.findall(out)
    if not found:
        raise ValueError(f"no node GUID in {out!r}")
    return found[-1].replace(":", "")


def wait_for_start(con: Console, banner: str, log: str) -> None:
    """Wait for a director process to print its ready banner; fail with its log if it does
    not within 20 s."""
    if not con.wait_until(f"grep -q '{banner}' {log}", 20, interval=0.2):
        con.run(f"cat {log}; false")


def start_fabric_services(director: Guest, mangle: str | None = None) -> str:
    """Start the fabric services (XDS, SA role) in the background; return the GID they serve.
    With `mangle`, every answer is broken that way (director/fabric_services.py MANGLES)."""
    con = director.console
    con.run("modprobe ib_umad")
    index, gid = ipv6_gid(director)
    con.run(
        f"{GUEST_PYTHON} -m director fabric --config {DIRECTOR_CONFIG} --gid-index {index}"
        f"{f' --mangle {mangle}' if mangle else ''} > {FABRIC_LOG} 2>&1 & "
        f"echo $! > {FABRIC_PID}"
    )
    wait_for_start(con, "fabric services on", FABRIC_LOG)
    return gid


SOLICIT_LOG = "/tmp/solicit.log"
SOLICIT_PID = "/tmp/solicit.pid"


# A GID of the director's fabric NIC that no host trusts: a rogue responder's, to the host.
ROGUE_RESPONDER = "2001:db8::99"


def add_gid(guest: Guest, address: str) -> int:
    """Give the guest's fabric NIC `address` (an IPv6 address) and return the index of the GID
    rxe makes of it."""
    con = guest.console
    con.run(f"ip -6 addr replace {address}/64 dev $(cat /run/xs-fabric-ifname) nodad")
    text = ipaddress.IPv6Address(address).exploded
    found = f"grep -l '^{text}$' {GIDS}/* | head -n 1"
    if not con.wait_until(f'[ -n "$({found})" ]', 10, interval=0.2):
        con.run(f"grep . {GIDS}/* | grep -v ':0000:0000:0000:0000:0000:0000:0000:0000'; false")
    return int(con.output(found).strip().rsplit("/", 1)[1])


def remove_gid(guest: Guest, address: str) -> None:
    guest.console.run(
        f"ip -6 addr del {address}/64 dev $(cat /run/xs-fabric-ifname) 2>/dev/null; true"
    )


def start_solicitations(director: Guest, compete: str | None = None) -> None:
    """Answer Ethernet-mode discovery (UD solicitations) in the background. With `compete`
    (director/competing_answers.py), a competing answer of that kind from ROGUE_RESPONDER
    comes before each real one."""
    con = director.console
    index, _ = ipv6_gid(director)
    rogue = ""
    if compete is not None:
        rogue = f" --compete {compete} --compete-gid-index {add_gid(director, ROGUE_RESPONDER)}"
    con.run(
        f"{GUEST_PYTHON} -m director solicit --config {DIRECTOR_CONFIG} --gid-index {index}"
        f"{rogue} --ifname $(cat /run/xs-fabric-ifname) > {SOLICIT_LOG} 2>&1"
        f" & echo $! > {SOLICIT_PID}"
    )
    wait_for_start(con, "answering solicitations", SOLICIT_LOG)


def stop_solicitations(director: Guest) -> str:
    """Stop answering them; return what was logged."""
    con = director.console
    con.run(f"kill $(cat {SOLICIT_PID}) && wait $(cat {SOLICIT_PID}) 2>/dev/null; true")
    return con.output(f"cat {SOLICIT_LOG}")


def stop_fabric_services(director: Guest) -> str:
    """Stop them; return what they logged."""
    director.console.run(f"kill $(cat {FABRIC_PID}) && wait $(cat {FABRIC_PID}) 2>/dev/null; true")
    return director.console.output(f"cat {FABRIC_LOG}")


XCM_LOG = "/tmp/xcm.log"
XCM_PID = "/tmp/xcm.pid"
FABRIC_PREFIX = "2001:db8::"
DIRECTOR_CONFIG = "/tmp/xs-director.json"
DIRECTOR_CLI = f"{GUEST_PYTHON} -m director"


def fabric_address(guid: str) -> str:
    """The fabric-prefix IPv6 address whose interface ID is `guid` (16 hex digits)."""
    return config.fabric_address(FABRIC_PREFIX, int(guid, 16))


def eui64_address(guest: Guest) -> str:
    """The address of the XCM that has the guest's own node GUID."""
    return fabric_address(node_guid(guest))


def xcm_files(guid: str | None) -> tuple[str, str]:
    """Log and pid file of the XCM with `guid` (None: the director's own)."""
    if guid is None:
        return XCM_LOG, XCM_PID
    return f"/tmp/xcm-{guid}.log", f"/tmp/xcm-{guid}.pid"


def card_port_address(guest: Guest, port: str) -> str:
    """Where an I/O card's `port` (eth/N, fc/N) listens: the fabric prefix and its I/O GUID."""
    guid = config.io_port_guid(int(node_guid(guest), 16), port)
    return config.fabric_address(FABRIC_PREFIX, guid)


# A second GID on the host's fabric NIC that no XCM session has: another host, to the cards.
STRANGER = "2001:db8::77"


def connect_as_stranger(
    host: Guest, director: Guest, kind: str, port: str, resource_ids: Sequence[int]
) -> list[str]:
    """Ask the I/O card on `port` for each resource's control connection (kind fc or eth) from
    STRANGER, as another host naming them would (tests/vm/guest/card_connect.py): what each
    request got, `accepted` or `refused: ...`."""
    con = host.console
    address = card_port_address(director, port)
    con.run(f"ip -6 addr add {STRANGER}/64 dev $(cat /run/xs-fabric-ifname) nodad")
    try:
        return [
            con.output(
                f"{GUEST_PYTHON} tests/vm/guest/card_connect.py {kind} {STRANGER} {address}"
                f" {rid:x}",
                timeout=60,
            ).strip()
            for rid in resource_ids
        ]
    finally:
        con.run(f"ip -6 addr del {STRANGER}/64 dev $(cat /run/xs-fabric-ifname)")


def add_card_addresses(guest: Guest, ports: Sequence[str]) -> None:
    """Give a card's ports their fabric addresses on the fabric NIC."""
    for port in ports:
        address = card_port_address(guest, port)
        guest.console.run(f"ip -6 addr replace {address}/64 dev $(cat /run/xs-fabric-ifname) nodad")


def remove_card_addresses(guest: Guest, ports: Sequence[str]) -> None:
    for port in ports:
        address = card_port_address(guest, port)
        guest.console.run(
            f"ip -6 addr del {address}/64 dev $(cat /run/xs-fabric-ifname)", check=False
        )


def ensure_config(director: Guest, hello_interval: int) -> None:
    """Give the director a configuration file unless it has one: tests then change it only
    through the operator CLI, as an operator would."""
    # The file may hold only the fabric's host keys (harness.auth): the base goes in beside.
    script = (
        "import json, os, sys; p = sys.argv[1]; "
        "d = json.load(open(p)) if os.path.exists(p) else {}; "
        "n = {'chassis_name': 'xsigo-director', 'hello_interval': int(sys.argv[2]), **d}; "
        "n == d or json.dump(n, open(p, 'w'), indent=1)"
    )
    director.console.run(f'python3 -c "{script}" {DIRECTOR_CONFIG} {hello_interval}')


def ctl(director: Guest, args: str) -> str:
    """Run the operator CLI in the director VM."""
    return director.console.output(f"{DIRECTOR_CLI} ctl --config {DIRECTOR_CONFIG} {args}")


CTL_BATCH_IN = "/tmp/ctl-batch.in"
CTL_BATCH_OUT = "/tmp/ctl-batch.out"
# The console shell's descriptor for writing to the batch's FIFO.
CTL_BATCH_FD = 9
CTL_BATCH_WITHIN = 60.0


class CtlError(ConsoleError):
    """An operator command the director refused, or did not answer."""


class CtlBatch:
    """One `ctl batch` process in the director VM, fed through a FIFO that the console shell
    keeps open: a command costs a line, not Python's start (1.2 s under TCG when idle, several
    under load). For the soak, which changes the configuration hundreds of times."""

    def __init__(self, director: Guest) -> None:
        self.console = director.console
        self.sent = 0
        con = self.console
        con.run(f"rm -f {CTL_BATCH_IN} {CTL_BATCH_OUT}; mkfifo {CTL_BATCH_IN}")
        con.run(
            f"{DIRECTOR_CLI} ctl --config {DIRECTOR_CONFIG} batch {CTL_BATCH_IN}"
            f" > {CTL_BATCH_OUT} 2>&1 &"
        )
        # Opening the FIFO for writing waits for the batch to open it for reading.
        con.run(f"exec {CTL_BATCH_FD}>{CTL_BATCH_IN}", timeout=CTL_BATCH_WITHIN)

    def run(self, args: str) -> str:
        """Run one ctl command (what follows `ctl`); return what the batch wrote for it."""
        con = self.console
        con.run(f"printf '%s\\n' {shlex.quote(args)} >&{CTL_BATCH_FD}")
        self.sent += 1
        done = f'[ "$(grep -c "^ctl-batch: " {CTL_BATCH_OUT})" -ge {self.sent} ]'
        if not con.wait_until(done, CTL_BATCH_WITHIN, interval=0.1):
            raise CtlError(f"ctl {args}: no answer within {CTL_BATCH_WITHIN:g} s")
        # Its lines: those after the previous command's status line, up to its own.
        answer = con.output(
            f"awk -v n={self.sent - 1} 'seen == n; /^ctl-batch: /{{seen++}}' {CTL_BATCH_OUT}"
        )
        if not answer.rstrip().endswith("ctl-batch: 0"):
            raise CtlError(f"ctl {args}: {answer.strip()}")
        return answer


def ctl_refused(director: Guest, args: str) -> str:
    """Run an operator CLI command that must be refused; return its one line of complaint."""
    result = director.console.run(
        f"{DIRECTOR_CLI} ctl --config {DIRECTOR_CONFIG} {args} 2>&1", check=False
    )
    assert not result.ok, f"ctl {args} was not refused:\n{result.output}"
    return result.output.strip()


def wait_for_device_status(director: Guest, name: str, status: str, timeout: float) -> bool:
    """Whether the operator's listing shows device `name` with `status` (as the host answered
    the XCM: installed, refused (reason N), ...) within `timeout` seconds."""
    listing = f"{DIRECTOR_CLI} ctl --config {DIRECTOR_CONFIG} list"
    return director.console.wait_until(
        f"{listing} | grep -qF '    {name}: {status}'", timeout, interval=1.0
    )


def start_xcm(
    director: Guest,
    hello_interval: int,
    fuzz: Sequence[str] = (),
    guid: str | None = None,
    rogue_key: str | None = None,
    options: str = "",
) -> str:
    """Start an XCM: the director's own, or one with another `guid`, on the fabric address
    built from its GUID; return that address. With `fuzz`, it sends each host those malformed
    messages once (director/xsmp_fuzz.py); with `rogue_key` (hex), it proves itself to every
    host with that key instead of the host's own (a rogue XCM); `options` are more of its
    command line's."""
    con = director.console
    ensure_config(director, hello_interval)
    address = fabric_address(guid) if guid else eui64_address(director)
    log, pid = xcm_files(guid)
    args = "".join(f" --fuzz {kind}" for kind in fuzz) + (f" --guid {guid}" if guid else "")
    args += f" --rogue-key {rogue_key}" if rogue_key else ""
    args += f" {options}" if options else ""
    con.run(f"ip -6 addr replace {address}/64 dev $(cat /run/xs-fabric-ifname) nodad")
    # -v: the tests read every HELLO in its log (debug, not info, for an operator).
    con.run(
        f"{DIRECTOR_CLI} -v xcm --config {DIRECTOR_CONFIG} --address {address}{args}"
        f" > {log} 2>&1 & echo $! > {pid}"
    )
    wait_for_start(con, "xcm ready", log)
    return address


def signal_xcm(director: Guest, signal: str, guid: str | None = None) -> None:
    """Send an XCM a signal: STOP freezes it without closing its connections, CONT thaws it."""
    director.console.run(f"kill -{signal} $(cat {xcm_files(guid)[1]})")


def stop_xcm(director: Guest, guid: str | None = None) -> None:
    """Stop an XCM and take its address away again. Its log stays in the guest for
    copy_logs, not read back over the serial console on every stop (it grows all run)."""
    con = director.console
    _, pid = xcm_files(guid)
    # Stopped first: whatever fails after must not leave it holding its address.
    con.run(f"kill $(cat {pid}) && wait $(cat {pid}) 2>/dev/null; true")
    address = fabric_address(guid) if guid else eui64_address(director)
    con.run(f"ip -6 addr del {address}/64 dev $(cat /run/xs-fabric-ifname)")

"""What runs all the time under the soak's faults, in the host VM: fio with md5 verify on two
LUNs; iperf3 and a byte-counting flow (harness/guest/byteflow.py) through the vNIC and through
a VLAN on it; and what the soak reads of it and of both guests (fio's, iperf3's and the flows'
errors, memory, the kernel log)."""

from __future__ import annotations

import json
import re

from harness import crashscan, lan
from harness.console import ConsoleError
from harness.modload import GUEST_PROJECT
from harness.soak.figures import MemorySample
from harness.vm import Guest

FIO_JSON = "/tmp/soak-fio.json"
FIO_ERR = "/tmp/soak-fio.err"
FIO_RC = "/tmp/soak-fio.rc"
IPERF_LOGS = ("/tmp/soak-iperf-vnic.log", "/tmp/soak-iperf-vlan.log")
VLAN = lan.VLANS[0]
BYTEFLOW = f"python3 {GUEST_PROJECT}/harness/guest/byteflow.py"
# (name, the remote host's address, port): one flow through the vNIC, one through its VLAN.
FLOWS = (
    ("vnic", lan.PORTS[0].remote_ipv4(), 5301),
    ("vlan", lan.PORTS[0].remote_ipv4(VLAN), 5302),
)
# Enough to keep every path busy, not so much that the director's control plane starves.
FIO_IOPS = 40
IPERF_BITRATE = "10M"
# Slow beside iperf3's streams: the flow is there to be counted, not to load the path.
FLOW_RATE = 256 * 1024
# What fio writes when a block reads back other than it was written.
VERIFY_FAILED = re.compile(r"verify: bad|verify failed|bad magic|md5: verify", re.IGNORECASE)


def fio_command(disks: tuple[str, ...], seconds: int) -> str:
    """fio, one job per disk: random reads and writes of 512 B to 256 KiB, every block written
    read back and checked (md5) while the job runs; errors are counted, not fatal, so that the
    load goes on under every fault and the soak counts what reached the application. Each job
    is held to FIO_IOPS: unthrottled, fio and iperf3 (every byte through soft-RoCE on one TCG
    vCPU) kept the director so busy that an operator command took 10-20 s and the soak
    injected a fault a minute."""
    jobs = " ".join(f"--name=lun{i} --filename={disk}" for i, disk in enumerate(disks))
    return (
        "fio --direct=1 --ioengine=libaio --iodepth=4 --rw=randrw --size=48m"
        " --bssplit=512/10:4k/40:64k/30:256k/20 --verify=md5 --verify_backlog=64"
        " --verify_fatal=0 --continue_on_error=all --verify_state_save=0"
        f" --rate_iops={FIO_IOPS}"
        f" --time_based --runtime={seconds} --output-format=json --output={FIO_JSON}"
        f" {jobs}"
    )


def start_fio(host: Guest, disks: tuple[str, ...], seconds: int) -> None:
    host.console.run(
        f"{{ {fio_command(disks, seconds)}; echo $? > {FIO_RC}; }} 2> {FIO_ERR} > /dev/null &"
    )


def start_iperf(host: Guest, seconds: int) -> None:
    """One iperf3 stream through the vNIC, one through its VLAN, each against its own server
    in the remote host (iperf3 serves one client at a time), each held to IPERF_BITRATE."""
    port = lan.PORTS[0]
    servers = ((port.remote_ipv4(), 5201), (port.remote_ipv4(VLAN), lan.SPARE_IPERF_PORT))
    for (remote, server_port), log in zip(servers, IPERF_LOGS, strict=True):
        host.console.run(
            f"{{ iperf3 -c {remote} -p {server_port} -t {seconds} -b {IPERF_BITRATE} -i 0;"
            " echo rc=$?; }"
            f" > {log} 2>&1 &"
        )


def _flow_files(name: str) -> tuple[str, str]:
    return f"/tmp/soak-flow-{name}.sent", f"/tmp/soak-flow-{name}.received"


def start_flows(host: Guest, director: Guest, seconds: int, seed: int) -> None:
    """Each flow's receiver in the remote host, then its sender in the host VM, connected
    before this returns: a fault must find the flow flowing, not stop it from starting."""
    for name, remote, port in FLOWS:
        sent, received = _flow_files(name)
        director.console.run(
            f"rm -f {received}; {lan.IN_LAN} {BYTEFLOW} recv --port {port} --out {received}"
            " >/dev/null 2>&1 &"
        )
        if not director.console.wait_until(f"grep -q listening {received}", 60):
            raise ConsoleError(f"the {name} flow's receiver did not start")
        host.console.run(
            f"rm -f {sent}; {BYTEFLOW} send --to {remote} --port {port} --seconds {seconds}"
            f" --rate {FLOW_RATE} --seed {seed} --out {sent} >/dev/null 2>&1 &"
        )
        if not host.console.wait_until(f"grep -q connected {sent}", 60):
            raise ConsoleError(f"the {name} flow did not connect: {_account(host, sent)}")


def flow_error(name: str, sent: dict[str, object], received: dict[str, object]) -> str | None:
    """What went wrong with one flow, from both ends' accounts; None when every byte sent
    arrived, once and unchanged."""
    for end, account in (("sender", sent), ("receiver", received)):
        if account.get("state") != "ended":
            return f"{name} flow: the {end} did not end ({account})"
        if account.get("error"):
            after = account.get("bytes")
            return f"{name} flow: the {end} failed after {after} bytes: {account['error']}"
    if sent.get("bytes") != received.get("bytes"):
        return f"{name} flow: {sent.get('bytes')} bytes sent, {received.get('bytes')} received"
    if sent.get("sha256") != received.get("sha256"):
        return f"{name} flow: {sent.get('bytes')} bytes arrived changed (the digests differ)"
    if not sent.get("bytes"):
        return f"{name} flow: nothing was sent"
    return None


def _account(guest: Guest, path: str) -> dict[str, object]:
    try:
        return dict(json.loads(guest.console.output(f"cat {path} 2>/dev/null || echo '{{}}'")))
    except (json.JSONDecodeError, ValueError, TypeError):
        return {}


def flow_errors(host: Guest, director: Guest) -> list[str]:
    """Each flow whose ends disagree, once the senders have ended (the receivers end when
    they have taken the last byte)."""
    errors = []
    for name, *_ in FLOWS:
        sent, received = _flow_files(name)
        director.console.wait_until(f"grep -q ended {received}", 60)
        error = flow_error(name, _account(host, sent), _account(director, received))
        if error:
            errors.append(error)
    return errors


# How the block layer reports a request it failed back to its submitter.
KERNEL_IO_ERROR = r"(I/O|critical [a-z]+) error, dev "


def kernel_io_errors(host: Guest, seen: int, total: int | None = None) -> tuple[int, list[str]]:
    """The host kernel's I/O error lines past the first `seen`, and how many there are now
    (`total`, when the caller counted them already)."""
    con = host.console
    if total is None:
        total = int(con.output(f"dmesg | grep -cE '{KERNEL_IO_ERROR}' || true").strip() or 0)
    if total <= seen:
        return total, []
    new = con.output(f"dmesg | grep -E '{KERNEL_IO_ERROR}' | tail -n {min(total - seen, 20)}")
    return total, new.strip().splitlines()


def fio_errors(host: Guest) -> tuple[int, list[str]]:
    """(verify errors, I/O errors fio saw) once fio has ended."""
    err = host.console.output(f"cat {FIO_ERR} 2>/dev/null || true")
    verify = sum(1 for line in err.splitlines() if VERIFY_FAILED.search(line))
    io_errors: list[str] = []
    try:
        report = json.loads(host.console.output(f"cat {FIO_JSON}"))
    except (json.JSONDecodeError, ValueError):
        return verify, [f"fio left no report: {err[-500:]}"]
    for job in report.get("jobs", []):
        errors = int(job.get("total_err", 0)) or int(job.get("error", 0))
        if errors:
            io_errors.append(f"fio job {job.get('jobname')}: {errors} I/O error(s)")
    rc = host.console.output(f"cat {FIO_RC} 2>/dev/null || echo missing").strip()
    if rc != "0" and not io_errors and not verify:
        io_errors.append(f"fio exited {rc}: {err[-500:]}")
    return verify, io_errors


def iperf_errors(host: Guest) -> list[str]:
    """The iperf3 streams that did not run to their end."""
    failed = []
    for log in IPERF_LOGS:
        out = host.console.output(f"cat {log}")
        if "rc=0" not in out:
            failed.append(f"{log}: {out.strip().splitlines()[-3:]}")
    return failed


SLABINFO_MIDDLE = "/var/tmp/xs-slabinfo-middle"
GROWERS = 5


def memory(guest: Guest, at: float, boot: int, keep_slabinfo: bool = False) -> MemorySample:
    """The guest's memory figures, read once the shrinkable caches are dropped; with
    `keep_slabinfo`, /proc/slabinfo as it is then stays in the guest for slab_growers()."""
    keep = f"; cat /proc/slabinfo > {SLABINFO_MIDDLE}" if keep_slabinfo else ""
    info = dict(
        line.split(":", 1)
        for line in guest.console.output(
            f"sync; echo 3 > /proc/sys/vm/drop_caches{keep};"
            " grep -E '^(Slab|SUnreclaim|MemAvailable):' /proc/meminfo"
        )
        .strip()
        .splitlines()
        if ":" in line
    )
    return MemorySample(
        guest=guest.name,
        at=round(at, 1),
        slab_kib=int(info["Slab"].split()[0]),
        available_kib=int(info["MemAvailable"].split()[0]),
        unreclaimable_kib=int(info["SUnreclaim"].split()[0]),
        boot=boot,
    )


def slab_growers(guest: Guest) -> list[str]:
    """The slab caches that grew most since memory(keep_slabinfo=True), in bytes (objects
    times object size), largest first: where a growing slab is going. Empty when there is no
    kept /proc/slabinfo (a guest booted again since) or nothing grew."""
    con = guest.console
    # slabinfo 2.1: name active_objs num_objs objsize ...; two header lines.
    compare = (
        "FNR <= 2 { next } NR == FNR { was[$1] = $3 * $4; n[$1] = $3; next }"
        " { d = $3 * $4 - was[$1]; if (d > 0) print d, $1, n[$1] + 0, $3 }"
    )
    out = con.run(
        f"[ -r {SLABINFO_MIDDLE} ] && sync && echo 3 > /proc/sys/vm/drop_caches &&"
        f" awk '{compare}' {SLABINFO_MIDDLE} /proc/slabinfo | sort -rn | head -n {GROWERS}",
        check=False,
    ).output
    growers = []
    for line in out.strip().splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0].isdigit():
            grew, name, was, now = fields
            growers.append(f"{name} +{int(grew) // 1024} KiB ({was} -> {now} objects)")
    return growers


def new_splats(guest: Guest) -> list[crashscan.Splat]:
    """The splats in the guest's kernel log since the last call (its newest mark); a new mark
    follows, so that each part of the log is read once."""
    con = guest.console
    found = crashscan.scan(crashscan.after_newest_mark(con.output(crashscan.TAIL_COMMAND)))
    con.run(crashscan.mark_command("soak"))
    return found

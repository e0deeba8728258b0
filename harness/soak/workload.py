"""What runs all the time under the soak's faults, in the host VM: fio with md5 verify on two
LUNs, iperf3 through the vNIC and through a VLAN on it; and what the soak reads of it and of
both guests (fio's and iperf3's errors, memory, the kernel log)."""

from __future__ import annotations

import json
import re

from harness import crashscan, lan
from harness.soak.figures import MemorySample
from harness.vm import Guest

FIO_JSON = "/tmp/soak-fio.json"
FIO_ERR = "/tmp/soak-fio.err"
FIO_RC = "/tmp/soak-fio.rc"
IPERF_LOGS = ("/tmp/soak-iperf-vnic.log", "/tmp/soak-iperf-vlan.log")
VLAN = lan.VLANS[0]
# What fio writes when a block reads back other than it was written.
VERIFY_FAILED = re.compile(r"verify: bad|verify failed|bad magic|md5: verify", re.IGNORECASE)


def fio_command(disks: tuple[str, ...], seconds: int) -> str:
    """fio, one job per disk: random reads and writes of 512 B to 256 KiB, every block written
    read back and checked (md5) while the job runs; errors are counted, not fatal, so that the
    load goes on under every fault and the soak counts what reached the application."""
    jobs = " ".join(f"--name=lun{i} --filename={disk}" for i, disk in enumerate(disks))
    return (
        "fio --direct=1 --ioengine=libaio --iodepth=4 --rw=randrw --size=48m"
        " --bssplit=512/10:4k/40:64k/30:256k/20 --verify=md5 --verify_backlog=64"
        " --verify_fatal=0 --continue_on_error=all --verify_state_save=0"
        f" --time_based --runtime={seconds} --output-format=json --output={FIO_JSON}"
        f" {jobs}"
    )


def start_fio(host: Guest, disks: tuple[str, ...], seconds: int) -> None:
    host.console.run(
        f"{{ {fio_command(disks, seconds)}; echo $? > {FIO_RC}; }} 2> {FIO_ERR} > /dev/null &"
    )


def start_iperf(host: Guest, seconds: int) -> None:
    """One iperf3 stream through the vNIC, one through its VLAN, each against its own server
    in the remote host (iperf3 serves one client at a time)."""
    port = lan.PORTS[0]
    servers = ((port.remote_ipv4(), 5201), (port.remote_ipv4(VLAN), lan.SPARE_IPERF_PORT))
    for (remote, server_port), log in zip(servers, IPERF_LOGS, strict=True):
        host.console.run(
            f"{{ iperf3 -c {remote} -p {server_port} -t {seconds} -i 0; echo rc=$?; }}"
            f" > {log} 2>&1 &"
        )


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


def memory(guest: Guest, at: float) -> MemorySample:
    info = dict(
        line.split(":", 1)
        for line in guest.console.output("grep -E '^(Slab|MemAvailable):' /proc/meminfo")
        .strip()
        .splitlines()
        if ":" in line
    )
    return MemorySample(
        guest=guest.name,
        at=round(at, 1),
        slab_kib=int(info["Slab"].split()[0]),
        available_kib=int(info["MemAvailable"].split()[0]),
    )


def new_splats(guest: Guest) -> list[crashscan.Splat]:
    """The splats in the guest's kernel log since the last call (its newest mark); a new mark
    follows, so that each part of the log is read once."""
    con = guest.console
    found = crashscan.scan(crashscan.after_newest_mark(con.output(crashscan.TAIL_COMMAND)))
    con.run(crashscan.mark_command("soak"))
    return found

"""The storage behind the director's FC I/O card: the card itself (the kernel's FC gateway,
kernel/xsfcgw, kept configured by python3 -m director fcgw), its targets and their LUNs, as
the operator CLI configures them; and the disk a host sees behind its vHBA."""

from __future__ import annotations

from harness import director, modload
from harness.vm import Guest

FCGW_LOG = "/tmp/fcgw.log"
FCGW_PID = "/tmp/fcgw.pid"
# What the kernel card logs (each vHBA's connections, aborts, held and stale commands).
CARD_LOG = "dmesg | grep 'xsfcgw: '"
# The gateway and the LIO backstores it serves.
LIO_MODULES = ("target_core_mod", "target_core_file", "target_core_iblock")
GATEWAY = "xsfcgw/xsfcgw.ko"
LUN_DIR = "/var/lib/xsigo-director/luns"
PORTS = ("fc/1", "fc/2")
# A disk's block device, not only its scsi_disk: sd registers the gendisk later.
DISK_BLOCKS = "/sys/class/scsi_disk/*/device/block/*"


def start_card(guest: Guest) -> None:
    """Give each FC port its fabric address and start the FC card."""
    con = guest.console
    director.ensure_config(guest, 1)
    load_gateway(guest)
    director.add_card_addresses(guest, PORTS)
    ports = " ".join(f"--port {p}" for p in PORTS)
    con.run(
        f"{director.GUEST_PYTHON} -m director fcgw --config {director.DIRECTOR_CONFIG} {ports}"
        f" --lun-dir {LUN_DIR} > {FCGW_LOG} 2>&1 & echo $! > {FCGW_PID}"
    )
    director.wait_for_start(con, "fcgw ready", FCGW_LOG)


def load_gateway(guest: Guest) -> None:
    """LIO and the kernel's FC gateway, built for the guest's kernel, once."""
    con = guest.console
    if con.run("[ -d /sys/module/xsfcgw ]", check=False).ok:
        return
    con.run("grep -q configfs /proc/mounts || mount -t configfs none /sys/kernel/config")
    for module in LIO_MODULES:
        con.run(f"modprobe {module}")
    release = con.output("uname -r").strip()
    # xsconn, the connection library it links against, first: insmod finds it in the build.
    modload.insmod(guest, release, GATEWAY)


def stop_card(guest: Guest) -> None:
    """Stop the card and take its addresses away (its log stays for director.copy_logs)."""
    con = guest.console
    con.run(f"kill $(cat {FCGW_PID}) && wait $(cat {FCGW_PID}) 2>/dev/null; true")
    director.remove_card_addresses(guest, PORTS)


def wait_for_disk(host: Guest, within: float) -> str | None:
    """/dev/<name> of the first SCSI disk whose block device is registered on the host, or
    None if none is within `within` seconds."""
    con = host.console
    if not con.wait_until(f"ls -d {DISK_BLOCKS} >/dev/null 2>&1", within):
        return None
    name = con.output(f"for b in {DISK_BLOCKS}; do echo ${{b##*/}}; break; done").strip()
    return f"/dev/{name}"


def fio_verify(disk: str, runtime: int) -> str:
    """fio randrw with crc32c verify, four jobs on disjoint quarters of a 64 MiB LUN
    (--verify_fatal: a block that reads back wrong ends fio with an error)."""
    return (
        f"fio --name=verify --filename={disk} --direct=1 --ioengine=libaio --iodepth=4"
        " --rw=randrw --bs=4k --numjobs=4 --size=12m --offset_increment=16m"
        " --verify=crc32c --verify_backlog=256 --verify_fatal=1 --do_verify=1"
        " --verify_state_save=0"
        f" --time_based --runtime={runtime} --group_reporting"
    )

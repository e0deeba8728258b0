"""The storage peers on the same rxe link and the same backing store: ib_srp against LIO's
ib_srpt, and nvme-rdma against nvmet-rdma, each set up through configfs as their maintainers'
blktests do, and taken down again so the next one finds the RAM disk free."""

from __future__ import annotations

from harness.bench import storage
from harness.fabric import DIRECTOR, HOST, RXE_DEVICE
from harness.vm import Guest

# The backing store every contender serves: a brd RAM disk on the director, written once so
# reads do not hit brd's unallocated (zero) pages.
RAMDISK = "/dev/ram0"
RAMDISK_MIB = 128

TARGET = "/sys/kernel/config/target"
SRPT = f"{TARGET}/srpt"
SRPT_RDMA_CM_PORT = 5000
IBLOCK = f"{TARGET}/core/iblock_0/xsbench"
# ib_srpt names an rdma_cm login by an address of the connection: both ends' are allowed.
SRP_ACL_ADDRESSES = (HOST.ip, DIRECTOR.ip)

NVMET = "/sys/kernel/config/nvmet"
NVME_NQN = "xsbench"
NVME_PORT = 4420


def make_ramdisk(director: Guest) -> None:
    con = director.console
    con.run(f"modprobe brd rd_nr=1 rd_size={RAMDISK_MIB * 1024}")
    con.run(f"dd if=/dev/zero of={RAMDISK} bs=1M count={RAMDISK_MIB} status=none", timeout=300)


def mount_configfs(guest: Guest) -> None:
    """configfs, where LIO and nvmet are configured: a module on Debian's kernels, so the
    guests' init (which runs before modules can load) may not have mounted it."""
    guest.console.run(
        "grep -q ' /sys/kernel/config configfs ' /proc/mounts"
        " || { modprobe configfs && mount -t configfs configfs /sys/kernel/config; }"
    )


def _port_guid_name(director: Guest) -> str:
    """ib_srpt names a port by its GID's interface id, as four groups of four hex digits."""
    gid = director.console.output(f"cat /sys/class/infiniband/{RXE_DEVICE}/ports/1/gids/0")
    return ":".join(gid.strip().split(":")[4:])


class SrpPeer:
    """LIO with ib_srpt (rdma_cm port SRPT_RDMA_CM_PORT) on the director; ib_srp on the host."""

    name = "ib_srp"

    def __init__(self, director: Guest, host: Guest, director_ip: str) -> None:
        self.director = director
        self.host = host
        self.director_ip = director_ip
        self.tpg = ""

    def start(self) -> str:
        con = self.director.console
        mount_configfs(self.director)
        con.run("modprobe ib_srpt && modprobe target_core_iblock")
        con.run(f"mkdir -p {IBLOCK}")
        con.run(f"echo udev_path={RAMDISK} > {IBLOCK}/control")
        con.run(f"echo 1 > {IBLOCK}/enable")
        con.run(f"mkdir -p {SRPT}")
        con.run(f"echo {SRPT_RDMA_CM_PORT} > {SRPT}/discovery_auth/rdma_cm_port")
        self.tpg = f"{SRPT}/{_port_guid_name(self.director)}/tpg_1"
        con.run(f"mkdir -p {self.tpg}/lun/lun_0")
        con.run(f"ln -s {IBLOCK} {self.tpg}/lun/lun_0/xsbench")
        # ib_srpt has no demo mode: an ACL per initiator, named (over rdma_cm) by an IP address
        # of the login, with LUN 0 mapped read-write.
        for address in SRP_ACL_ADDRESSES:
            acl = f"{self.tpg}/acls/{address}"
            con.run(f"mkdir -p {acl}/lun_0 && ln -s {self.tpg}/lun/lun_0 {acl}/lun_0/xsbench")
        con.run(f"echo 1 > {self.tpg}/enable")
        guid = _port_guid_name(self.director).replace(":", "")
        before = storage.disks(self.host)
        self.host.console.run("modprobe ib_srp")
        self.host.console.run(
            f"echo id_ext={guid},ioc_guid={guid},dest={self.director_ip}:{SRPT_RDMA_CM_PORT}"
            f" > /sys/class/infiniband_srp/srp-{RXE_DEVICE}-1/add_target"
        )
        return storage.new_disk(self.host, before)

    def stop(self) -> None:
        host = self.host.console
        host.run(
            "for p in /sys/class/srp_remote_ports/port-*; do echo 1 > $p/delete; done", check=False
        )
        host.run("modprobe -r ib_srp", check=False)
        con = self.director.console
        if self.tpg:
            con.run(f"echo 0 > {self.tpg}/enable", check=False)
            for address in SRP_ACL_ADDRESSES:
                acl = f"{self.tpg}/acls/{address}"
                con.run(f"rm -f {acl}/lun_0/xsbench; rmdir {acl}/lun_0 {acl}", check=False)
            con.run(f"rm -f {self.tpg}/lun/lun_0/xsbench", check=False)
            con.run(
                f"rmdir {self.tpg}/lun/lun_0 {self.tpg} {self.tpg.rsplit('/', 1)[0]}", check=False
            )
        con.run(f"echo 0 > {SRPT}/discovery_auth/rdma_cm_port", check=False)
        con.run(f"rmdir {IBLOCK} {IBLOCK.rsplit('/', 1)[0]}", check=False)
        con.run("modprobe -r ib_srpt", check=False)


class NvmePeer:
    """nvmet-rdma on the director serving the RAM disk as namespace 1; nvme-rdma on the host."""

    name = "nvme-rdma"

    def __init__(self, director: Guest, host: Guest, director_ip: str) -> None:
        self.director = director
        self.host = host
        self.director_ip = director_ip

    def start(self) -> str:
        con = self.director.console
        subsystem = f"{NVMET}/subsystems/{NVME_NQN}"
        port = f"{NVMET}/ports/1"
        mount_configfs(self.director)
        con.run("modprobe nvmet-rdma")
        con.run(f"mkdir {subsystem} && echo 1 > {subsystem}/attr_allow_any_host")
        con.run(f"mkdir {subsystem}/namespaces/1")
        con.run(f"echo -n {RAMDISK} > {subsystem}/namespaces/1/device_path")
        con.run(f"echo 1 > {subsystem}/namespaces/1/enable")
        con.run(f"mkdir {port}")
        con.run(f"echo rdma > {port}/addr_trtype && echo ipv4 > {port}/addr_adrfam")
        con.run(f"echo {self.director_ip} > {port}/addr_traddr")
        con.run(f"echo {NVME_PORT} > {port}/addr_trsvcid")
        con.run(f"ln -s {subsystem} {port}/subsystems/{NVME_NQN}")
        before = storage.disks(self.host)
        self.host.console.run("modprobe nvme-rdma")
        self.host.console.run(
            f"echo transport=rdma,traddr={self.director_ip},trsvcid={NVME_PORT},nqn={NVME_NQN}"
            " > /dev/nvme-fabrics"
        )
        return storage.new_disk(self.host, before)

    def stop(self) -> None:
        self.host.console.run(
            "for c in /sys/class/nvme/nvme*; do echo 1 > $c/delete_controller; done", check=False
        )
        self.host.console.run("modprobe -r nvme-rdma", check=False)
        con = self.director.console
        subsystem = f"{NVMET}/subsystems/{NVME_NQN}"
        port = f"{NVMET}/ports/1"
        con.run(f"rm -f {port}/subsystems/{NVME_NQN}; rmdir {port}", check=False)
        con.run(f"echo 0 > {subsystem}/namespaces/1/enable", check=False)
        con.run(f"rmdir {subsystem}/namespaces/1 {subsystem}", check=False)
        con.run("modprobe -r nvmet-rdma", check=False)

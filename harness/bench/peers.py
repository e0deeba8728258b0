"""The storage peers on the same rxe link and the same backing devices: ib_srp against LIO's
ib_srpt (an iblock backstore per backend), and nvme-rdma against nvmet-rdma (a namespace per
backend), each set up through configfs as their maintainers' blktests do, and taken down again
so that the next contender finds the devices free (iblock opens them exclusively)."""

from __future__ import annotations

from harness.bench import backends, storage
from harness.fabric import DIRECTOR, HOST, RXE_DEVICE
from harness.vm import Guest

TARGET = "/sys/kernel/config/target"
SRPT = f"{TARGET}/srpt"
SRPT_RDMA_CM_PORT = 5000
IBLOCK_HBA = f"{TARGET}/core/iblock_0"
# ib_srpt names an rdma_cm login by an address of the connection: both ends' are allowed.
SRP_ACL_ADDRESSES = (HOST.ip, DIRECTOR.ip)

NVMET = "/sys/kernel/config/nvmet"
NVME_NQN = "xsbench"
NVME_PORT = 4420


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
    """LIO with ib_srpt (rdma_cm port SRPT_RDMA_CM_PORT) on the director, LUN n on backend n;
    ib_srp on the host, logged in with the bench's maximum transfer size (max_sect)."""

    name = "ib_srp"

    def __init__(self, director: Guest, host: Guest) -> None:
        self.director = director
        self.host = host
        self.tpg = ""

    def start(self, transfer_kb: int) -> dict[str, str]:
        con = self.director.console
        mount_configfs(self.director)
        con.run("modprobe ib_srpt && modprobe target_core_iblock")
        for backend in backends.BACKENDS:
            store = f"{IBLOCK_HBA}/{backend.name}"
            con.run(f"mkdir -p {store} && echo udev_path={backend.device} > {store}/control")
            con.run(f"echo 1 > {store}/enable")
        con.run(f"mkdir -p {SRPT}")
        con.run(f"echo {SRPT_RDMA_CM_PORT} > {SRPT}/discovery_auth/rdma_cm_port")
        self.tpg = f"{SRPT}/{_port_guid_name(self.director)}/tpg_1"
        for index, backend in enumerate(backends.BACKENDS):
            lun = f"{self.tpg}/lun/lun_{index}"
            con.run(f"mkdir -p {lun} && ln -s {IBLOCK_HBA}/{backend.name} {lun}/{backend.name}")
        # ib_srpt has no demo mode: an ACL per initiator, named (over rdma_cm) by an IP address
        # of the login, with every LUN mapped read-write.
        for address in SRP_ACL_ADDRESSES:
            for index in range(len(backends.BACKENDS)):
                mapped = f"{self.tpg}/acls/{address}/lun_{index}"
                con.run(f"mkdir -p {mapped} && ln -s {self.tpg}/lun/lun_{index} {mapped}/lun")
        con.run(f"echo 1 > {self.tpg}/enable")
        guid = _port_guid_name(self.director).replace(":", "")
        before = storage.disks(self.host)
        self.host.console.run("modprobe ib_srp")
        self.host.console.run(
            f"echo id_ext={guid},ioc_guid={guid},dest={DIRECTOR.ip}:{SRPT_RDMA_CM_PORT},"
            f"max_sect={transfer_kb * 2}"
            f" > /sys/class/infiniband_srp/srp-{RXE_DEVICE}-1/add_target"
        )
        return storage.backend_disks(self.host, before)

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
                con.run(f"rm -f {acl}/lun_*/lun; rmdir {acl}/lun_* {acl}", check=False)
            con.run(f"rm -f {self.tpg}/lun/lun_*/*; rmdir {self.tpg}/lun/lun_*", check=False)
            con.run(f"rmdir {self.tpg} {self.tpg.rsplit('/', 1)[0]}", check=False)
        con.run(f"echo 0 > {SRPT}/discovery_auth/rdma_cm_port", check=False)
        stores = " ".join(f"{IBLOCK_HBA}/{b.name}" for b in backends.BACKENDS)
        con.run(f"rmdir {stores} {IBLOCK_HBA}", check=False)
        con.run("modprobe -r ib_srpt", check=False)


class NvmePeer:
    """nvmet-rdma on the director serving backend n as namespace n+1; nvme-rdma on the host.
    Its maximum transfer size is the controller's (MDTS and the host's fast-registration
    pages); the block layer's limit makes it the bench's."""

    name = "nvme-rdma"

    def __init__(self, director: Guest, host: Guest) -> None:
        self.director = director
        self.host = host

    def start(self, transfer_kb: int) -> dict[str, str]:
        con = self.director.console
        subsystem = f"{NVMET}/subsystems/{NVME_NQN}"
        port = f"{NVMET}/ports/1"
        mount_configfs(self.director)
        con.run("modprobe nvmet-rdma")
        con.run(f"mkdir {subsystem} && echo 1 > {subsystem}/attr_allow_any_host")
        for index, backend in enumerate(backends.BACKENDS):
            namespace = f"{subsystem}/namespaces/{index + 1}"
            con.run(f"mkdir {namespace} && echo -n {backend.device} > {namespace}/device_path")
            con.run(f"echo 1 > {namespace}/enable")
        con.run(f"mkdir {port}")
        con.run(f"echo rdma > {port}/addr_trtype && echo ipv4 > {port}/addr_adrfam")
        con.run(f"echo {DIRECTOR.ip} > {port}/addr_traddr")
        con.run(f"echo {NVME_PORT} > {port}/addr_trsvcid")
        con.run(f"ln -s {subsystem} {port}/subsystems/{NVME_NQN}")
        before = storage.disks(self.host)
        self.host.console.run("modprobe nvme-rdma")
        self.host.console.run(
            f"echo transport=rdma,traddr={DIRECTOR.ip},trsvcid={NVME_PORT},nqn={NVME_NQN}"
            " > /dev/nvme-fabrics"
        )
        return storage.backend_disks(self.host, before)

    def stop(self) -> None:
        self.host.console.run(
            "for c in /sys/class/nvme/nvme*; do echo 1 > $c/delete_controller; done", check=False
        )
        self.host.console.run("modprobe -r nvme-rdma", check=False)
        con = self.director.console
        subsystem = f"{NVMET}/subsystems/{NVME_NQN}"
        port = f"{NVMET}/ports/1"
        con.run(f"rm -f {port}/subsystems/{NVME_NQN}; rmdir {port}", check=False)
        for index in range(len(backends.BACKENDS)):
            namespace = f"{subsystem}/namespaces/{index + 1}"
            con.run(f"echo 0 > {namespace}/enable; rmdir {namespace}", check=False)
        con.run(f"rmdir {subsystem}", check=False)
        con.run("modprobe -r nvmet-rdma", check=False)

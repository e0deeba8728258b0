"""Run in the host VM as `xds_query.py <director GID> <own GID index>`: find the XDS as xscore
will (ServiceRecord query to the fabric-services GID, then the XCM request to the XDS) and print
what came back, one `key=value` per line."""

from __future__ import annotations

import os
import socket
import sys

from director.umad import Address, UmadPort, node_guid, umad_device
from xswire.ib_mad import (
    XS_MAD_BASE_VERSION,
    XS_MGMT_CLASS_SUBN_ADM,
    XS_SA_ATTR_SERVICE_RECORD,
    XS_SA_CLASS_VERSION,
    XS_SA_DATA_OFFSET,
    XS_SA_SERVICE_REC_NAME_MASK,
    XsMadHdr,
    XsSaHdr,
    XsServiceRecord,
)
from xswire.xds import (
    XDS_ATTR_XCM_REQUEST,
    XDS_MGMT_CLASS,
    XDS_MGMT_CLASS_VERSION,
    XDS_SERVICE_NAME,
    XdsRequest,
    XdsResponse,
)


def mad(mgmt_class: int, version: int, attr: int, tid: int, comp_mask: int, data: bytes) -> bytes:
    header = XsMadHdr(XS_MAD_BASE_VERSION, mgmt_class, version, 1, tid=tid, attr_id=attr)
    return (header.encode() + XsSaHdr(comp_mask=comp_mask).encode() + data).ljust(256, b"\0")


def ask(port: UmadPort, agent: int, to: Address, request: bytes) -> bytes:
    port.send(agent, to, request, timeout_ms=2000, retries=2)
    answer = port.receive(10.0)
    if answer is None or answer.status:
        sys.exit(f"no answer (status {answer.status if answer else 'timeout'})")
    return answer.mad


def main() -> None:
    director_gid = bytes.fromhex(sys.argv[1].replace(":", ""))
    ibdev = os.environ.get("IBDEV", "rxe0")
    gid_index = int(sys.argv[2])
    own_guid = node_guid(ibdev)
    name_query = XsServiceRecord(service_name=XDS_SERVICE_NAME.encode()).encode()
    sa_query = mad(
        XS_MGMT_CLASS_SUBN_ADM,
        XS_SA_CLASS_VERSION,
        XS_SA_ATTR_SERVICE_RECORD,
        1,
        XS_SA_SERVICE_REC_NAME_MASK,
        name_query,
    )
    identity = XdsRequest(port_id=own_guid, hostname=socket.gethostname().encode()).encode()
    xcm_query = mad(XDS_MGMT_CLASS, XDS_MGMT_CLASS_VERSION, XDS_ATTR_XCM_REQUEST, 2, 0, identity)
    with UmadPort(umad_device(ibdev)) as port:
        sa = port.register(XS_MGMT_CLASS_SUBN_ADM, XS_SA_CLASS_VERSION)
        xds = port.register(XDS_MGMT_CLASS, XDS_MGMT_CLASS_VERSION)
        answer = ask(port, sa, Address(gid=director_gid, gid_index=gid_index), sa_query)
        record = XsServiceRecord.decode(answer, XS_SA_DATA_OFFSET)
        print(f"sa_status={XsMadHdr.decode(answer).status}")
        print(f"xds_gid={record.service_gid.hex()}")
        print(f"xds_guid={record.data64[0]:016x}")
        answer = ask(port, xds, Address(gid=record.service_gid, gid_index=gid_index), xcm_query)
        response = XdsResponse.decode(answer, XS_SA_DATA_OFFSET)
        print(f"xds_status={XsMadHdr.decode(answer).status}")
        print(f"echo_port={response.server_info.port_id:016x}")
        print(f"xcm_count={response.list.count}")
        for xcm in response.list.xcms[: response.list.count]:
            print(f"xcm={xcm.port_id:016x}")


if __name__ == "__main__":
    main()

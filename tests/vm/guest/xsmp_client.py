"""Run in the host VM as `xsmp_client.py <own address> <XCM address> <own node GUID>`: open an
XSMP session the way xscore will, print the XCM's REG_CONFIRM and the first HELLO, answer it.
The devices the director configured for this host arrive between the two (classes VNIC and
VHBA); the client counts them and answers none."""

from __future__ import annotations

import sys

from pyverbs.cm_enums import RDMA_PS_TCP
from pyverbs.cmid import CMID, AddrInfo, ConnParam
from pyverbs.enums import IBV_QPT_RC
from pyverbs.qp import QPCap, QPInitAttr

from director.xsmp import (
    SESSION_MSG_SIZE,
    parse_header,
    parse_session_message,
    session_message,
)
from xswire import cstr
from xswire.xsmp import (
    XSMP_DRIVER_VERSION,
    XSMP_MAX_MSG_SIZE,
    XSMP_MIN_CHASSIS_VERSION,
    XSMP_OS_TYPE_LINUX,
    XSMP_RDMA_CM_PORT,
    XsmpClass,
    XsmpResource,
    XsmpSessionMsg,
    XsmpSessionType,
)


def main() -> None:
    own, xcm, guid = sys.argv[1], sys.argv[2], int(sys.argv[3], 16)
    cap = QPCap(max_send_wr=4, max_recv_wr=4, max_send_sge=1, max_recv_sge=1)
    init = QPInitAttr(qp_type=IBV_QPT_RC, cap=cap, sq_sig_all=1)
    info = AddrInfo(src=own, dst=xcm, dst_service=str(XSMP_RDMA_CM_PORT), port_space=RDMA_PS_TCP)
    cmid = CMID(creator=info, qp_init_attr=init)
    recv_mr = cmid.reg_msgs(XSMP_MAX_MSG_SIZE)
    send_mr = cmid.reg_msgs(SESSION_MSG_SIZE)
    cmid.post_recv(recv_mr)
    cmid.connect(ConnParam())

    def send(seq: int, body: XsmpSessionMsg) -> None:
        data = session_message(seq, guid, 0, body)
        send_mr.write(data, len(data))
        cmid.post_send(send_mr)
        cmid.get_send_comp()

    others = 0

    def receive() -> XsmpSessionMsg:
        """The next SESSION message, past any device configuration."""
        nonlocal others
        while True:
            wc = cmid.get_recv_comp()
            data = recv_mr.read(wc.byte_len, 0)
            cmid.post_recv(recv_mr)
            if parse_header(data).type == XsmpClass.SESSION:
                return parse_session_message(data).body
            others += 1

    send(1, XsmpSessionMsg(
        type=XsmpSessionType.REGISTER,
        resource_flags=XSMP_OS_TYPE_LINUX | XsmpResource.VNIC | XsmpResource.VHBA,
        version=XSMP_DRIVER_VERSION,
        chassis_version=XSMP_MIN_CHASSIS_VERSION,
        boot_flags=1,
    ))  # fmt: skip
    confirm = receive()
    print(f"type={confirm.type}")
    print(f"hello_interval={confirm.version}")
    print(f"chassis={cstr(confirm.chassis_name)}")
    print(f"profile={cstr(confirm.session_name)}")
    hello = receive()
    print(f"hello_type={hello.type}")
    print(f"device_messages={others}")
    send(2, XsmpSessionMsg(type=XsmpSessionType.HELLO))
    cmid.disconnect()


if __name__ == "__main__":
    main()

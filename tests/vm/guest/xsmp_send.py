"""Run in the host VM as `xsmp_send.py <own address> <XCM address> <message, hex>...`: open an
XSMP connection as a host would and send each message as it is, without registering; print
`sent N`, or `refused: <why>` when the XCM turns the request down. For the campaign's hostile
host (xsfuzz.xcm_host)."""

from __future__ import annotations

import sys
import time

from pyverbs.cm_enums import RDMA_PS_TCP
from pyverbs.cmid import CMID, AddrInfo, ConnParam
from pyverbs.enums import IBV_QPT_RC
from pyverbs.pyverbs_error import PyverbsError
from pyverbs.qp import QPCap, QPInitAttr

from xswire.xsmp import XSMP_MAX_MSG_SIZE, XSMP_RDMA_CM_PORT


def main() -> None:
    own, xcm, messages = sys.argv[1], sys.argv[2], [bytes.fromhex(m) for m in sys.argv[3:]]
    cap = QPCap(max_send_wr=2, max_recv_wr=4, max_send_sge=1, max_recv_sge=1)
    init = QPInitAttr(qp_type=IBV_QPT_RC, cap=cap, sq_sig_all=1)
    info = AddrInfo(src=own, dst=xcm, dst_service=str(XSMP_RDMA_CM_PORT), port_space=RDMA_PS_TCP)
    cmid = CMID(creator=info, qp_init_attr=init)
    cmid.post_recv(cmid.reg_msgs(XSMP_MAX_MSG_SIZE))
    try:
        cmid.connect(ConnParam())
    except PyverbsError as err:
        print(f"refused: {err}", flush=True)
        return
    for message in messages:
        # A registration of the message's own size: the SEND carries exactly its bytes.
        mr = cmid.reg_msgs(len(message))
        mr.write(message, len(message))
        cmid.post_send(mr)
        cmid.get_send_comp()
    print(f"sent {len(messages)}", flush=True)
    time.sleep(1)
    cmid.disconnect()


if __name__ == "__main__":
    main()

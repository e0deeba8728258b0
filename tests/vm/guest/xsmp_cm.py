"""An XSMP connection from the host VM to an XCM, opened as xscore opens one (rdma_cm, RC, a
receive posted): for the guest scripts that play a host to the XCM."""

from __future__ import annotations

from pyverbs.cm_enums import RDMA_PS_TCP
from pyverbs.cmid import CMID, AddrInfo, ConnParam
from pyverbs.enums import IBV_QPT_RC
from pyverbs.pyverbs_error import PyverbsError
from pyverbs.qp import QPCap, QPInitAttr

from xswire.xsmp import XSMP_MAX_MSG_SIZE, XSMP_RDMA_CM_PORT


def connect(own: str, xcm: str) -> CMID | str:
    """The connected id, or why the XCM refused it ("refused: ...")."""
    cap = QPCap(max_send_wr=2, max_recv_wr=2, max_send_sge=1, max_recv_sge=1)
    init = QPInitAttr(qp_type=IBV_QPT_RC, cap=cap, sq_sig_all=1)
    info = AddrInfo(src=own, dst=xcm, dst_service=str(XSMP_RDMA_CM_PORT), port_space=RDMA_PS_TCP)
    cmid = CMID(creator=info, qp_init_attr=init)
    cmid.post_recv(cmid.reg_msgs(XSMP_MAX_MSG_SIZE))
    try:
        cmid.connect(ConnParam())
    except PyverbsError as err:
        return f"refused: {err}"
    return cmid

"""Fabric services of the director: the SA's ServiceRecord answer (on RoCE there is no SA, so
the director gives it) and the XDS, which tells each host port which XCMs it is assigned.

Both listen on the GSI QP through ib_umad. Every request is decoded with the generated codecs;
what cannot be decoded, or asks for something else, is answered with an error status or dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from director.umad import MAD_SIZE, Received, UmadPort, reply_address
from xswire import cstr
from xswire.ib_mad import (
    XS_MAD_BASE_VERSION,
    XS_MGMT_CLASS_SUBN_ADM,
    XS_SA_ATTR_SERVICE_RECORD,
    XS_SA_CLASS_VERSION,
    XS_SA_DATA_OFFSET,
    XsMadHdr,
    XsMadMethod,
    XsMadStatus,
    XsSaHdr,
    XsServiceRecord,
)
from xswire.xds import (
    XDS_ATTR_XCM_REQUEST,
    XDS_MAX_XCMS,
    XDS_MGMT_CLASS,
    XDS_MGMT_CLASS_VERSION,
    XDS_SERVICE_NAME,
    XDS_XCM_REC_VERSION,
    XcfmRecord,
    XcmList,
    XdsRequest,
    XdsResponse,
    XdsServerInfo,
)

log = logging.getLogger("director.fabric")
SA_RECORD_UNITS = XsServiceRecord.SIZE // 8

# Ways to break the answers on purpose, to prove that hosts check them. Each either makes an
# answer malformed (the host must count and drop it) or turns it into a failure to report.
MANGLES = {
    "sa-status": "ServiceRecord answer carries an error status",
    "sa-attr": "ServiceRecord answer names another attribute",
    "sa-name": "ServiceRecord answer names another service",
    "sa-method": "ServiceRecord answer is sent as a request (GET), not a GET_RESP",
    "xds-status": "XDS answer carries an error status",
    "xds-count": "XDS answer claims 200 XCM records (at most 8 fit)",
    "xds-version": "XDS answer has XCM record version 9",
    "xds-echo": "XDS answer echoes another host's port GUID",
    "xds-empty": "XDS answer assigns no XCM",
}
# Mangles whose answers are well-formed, only not the director's own: a rogue or broken
# directory service, which a host must take as an answer (and weigh before it acts on it).
WELL_FORMED_MANGLES = frozenset({"xds-empty"})


@dataclass(frozen=True)
class XcmAssignment:
    """An XCM a host port is sent to: its port GUID (and LID, 0 on RoCE)."""

    port_guid: int
    lid: int = 0


# Looks up the XCMs of a requesting host: (host port GUID, hostname) -> assignments.
Assigner = Callable[[int, str], list[XcmAssignment]]


def _answer(request: XsMadHdr, status: int, payload: bytes, attr_offset: int = 0) -> bytes:
    header = XsMadHdr(
        base_version=XS_MAD_BASE_VERSION,
        mgmt_class=request.mgmt_class,
        class_version=request.class_version,
        method=XsMadMethod.GET_RESP,
        status=status,
        tid=request.tid,
        attr_id=request.attr_id,
        attr_mod=request.attr_mod,
    )
    mad = header.encode() + XsSaHdr(attr_offset=attr_offset).encode() + payload
    return mad.ljust(MAD_SIZE, b"\0")


class FabricServices:
    """Answers ServiceRecord queries for the XDS and XDS XCM requests on one port."""

    def __init__(
        self,
        port: UmadPort,
        gid: bytes,
        gid_index: int,
        port_guid: int,
        assign: Assigner,
        mangle: str | None = None,
    ) -> None:
        if mangle is not None and mangle not in MANGLES:
            raise ValueError(f"unknown mangle {mangle!r}; known: {', '.join(MANGLES)}")
        self.mangle = mangle
        self.port = port
        self.gid = gid
        self.gid_index = gid_index
        self.port_guid = port_guid
        self.assign = assign
        get = (XsMadMethod.GET,)
        self.sa_agent = port.register(XS_MGMT_CLASS_SUBN_ADM, XS_SA_CLASS_VERSION, get)
        self.xds_agent = port.register(XDS_MGMT_CLASS, XDS_MGMT_CLASS_VERSION, get)
        self.dropped = 0

    def serve_one(self, timeout: float) -> bool:
        """Handle the next request, if one arrives within `timeout`; return whether one did."""
        received = self.port.receive(timeout)
        if received is None:
            return False
        if received.status:
            # the completion of an answer we sent, reported because it failed
            log.warning("sending an answer failed: status %d", received.status)
            return True
        answer = self.handle(received)
        if answer is not None and self.mangle is not None:
            answer = self._mangled(received.agent, answer)
        if answer is None:
            self.dropped += 1
        else:
            address = reply_address(received, self.gid_index)
            log.debug("answering %s", address)
            self.port.send(received.agent, address, answer)
        return True

    def _mangled(self, agent: int, answer: bytes) -> bytes:
        kind = self.mangle or ""
        if (agent == self.sa_agent) != kind.startswith("sa-"):
            return answer
        header = XsMadHdr.decode(answer)
        body = bytearray(answer)
        if kind.endswith("-status"):
            header.status = XsMadStatus.SA_NO_RECORDS
        elif kind == "sa-attr":
            header.attr_id = 0x0035
        elif kind == "sa-method":
            header.method = XsMadMethod.GET
        elif kind == "sa-name":
            record = XsServiceRecord.decode(answer, XS_SA_DATA_OFFSET)
            record.service_name = b"XSIGOXDX"
            body[XS_SA_DATA_OFFSET : XS_SA_DATA_OFFSET + record.SIZE] = record.encode()
        else:
            response = XdsResponse.decode(answer, XS_SA_DATA_OFFSET)
            if kind == "xds-count":
                response.list.count = 200
            elif kind == "xds-version":
                response.list.xcm_version = 9
            elif kind == "xds-echo":
                response.server_info.port_id ^= 0xFFFF
            elif kind == "xds-empty":
                response.list.count = 0
            body[XS_SA_DATA_OFFSET : XS_SA_DATA_OFFSET + response.SIZE] = response.encode()
        body[: header.SIZE] = header.encode()
        log.info("mangled answer: %s", MANGLES[kind])
        return bytes(body)

    def handle(self, received: Received) -> bytes | None:
        try:
            request = XsMadHdr.decode(received.mad)
        except ValueError:
            return None
        if request.method != XsMadMethod.GET or request.base_version != XS_MAD_BASE_VERSION:
            return None
        if received.agent == self.sa_agent:
            return self._service_record(request, received.mad)
        if received.agent == self.xds_agent:
            return self._xcm_request(request, received.mad)
        return None

    def _service_record(self, request: XsMadHdr, mad: bytes) -> bytes:
        if request.attr_id != XS_SA_ATTR_SERVICE_RECORD:
            return _answer(request, XsMadStatus.UNSUPPORTED_ATTR, b"")
        query = XsServiceRecord.decode(mad, XS_SA_DATA_OFFSET)
        if cstr(query.service_name) != XDS_SERVICE_NAME:
            return _answer(request, XsMadStatus.SA_NO_RECORDS, b"")
        record = XsServiceRecord(
            service_gid=self.gid,
            service_pkey=0xFFFF,
            service_lease=0xFFFFFFFF,
            service_name=XDS_SERVICE_NAME.encode(),
            data16=[0] * 8,
            data64=[self.port_guid, 0],
        )
        log.info("ServiceRecord %s answered", XDS_SERVICE_NAME)
        return _answer(request, XsMadStatus.SUCCESS, record.encode(), SA_RECORD_UNITS)

    def _xcm_request(self, request: XsMadHdr, mad: bytes) -> bytes:
        if request.attr_id != XDS_ATTR_XCM_REQUEST:
            return _answer(request, XsMadStatus.UNSUPPORTED_ATTR, b"")
        response = xcm_answer(XdsRequest.decode(mad, XS_SA_DATA_OFFSET), self.assign)
        return _answer(request, XsMadStatus.SUCCESS, response.encode())


def xcm_answer(host: XdsRequest, assign: Assigner) -> XdsResponse:
    """The XDS's answer to a host's identity, however it was asked (MAD or solicitation)."""
    hostname = cstr(host.hostname)
    xcms = assign(host.port_id, hostname)[:XDS_MAX_XCMS]
    log.info("XDS: host %s port %016x gets %d XCM(s)", hostname, host.port_id, len(xcms))
    return XdsResponse(
        server_info=XdsServerInfo(vm_id=host.vm_id, port_id=host.port_id),
        list=XcmList(
            count=len(xcms),
            xcm_version=XDS_XCM_REC_VERSION if xcms else 0,
            xcms=[XcfmRecord(port_id=x.port_guid, xcm_lid=x.lid) for x in xcms],
        ),
    )

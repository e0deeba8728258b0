/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Trace events of xsvhba: each SCSI command through the FC card's ring, its
 * completion and its abort, by SCSI host and by the command's handle on the
 * wire (the tag, and a generation that changes at each reuse of the tag).
 * tracefs: events/xsvhba/.  The vHBA's session with its card is traced by
 * xscore (events/xscore/xscore_session_*, by SCSI host name).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xsvhba

#if !defined(_XSVHBA_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _XSVHBA_TRACE_H

#include <linux/tracepoint.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

TRACE_EVENT(xsvhba_cmd_submit,
	    TP_PROTO(struct scsi_cmnd *scmnd, u32 handle),
	    TP_ARGS(scmnd, handle),
	    TP_STRUCT__entry(__field(unsigned int, host_no)
			     __field(unsigned int, id)
			     __field(u64, lun)
			     __field(u32, handle)
			     __field(u8, opcode)
			     __field(u32, bytes)
			     __field(int, direction)),
	    TP_fast_assign(__entry->host_no = scmnd->device->host->host_no;
			   __entry->id = scmnd->device->id;
			   __entry->lun = scmnd->device->lun;
			   __entry->handle = handle;
			   __entry->opcode = scmnd->cmnd[0];
			   __entry->bytes = scsi_bufflen(scmnd);
			   __entry->direction = scmnd->sc_data_direction;),
	    TP_printk("host%u %u:%llu handle %#x opcode %#04x bytes %u dir %d",
		      __entry->host_no, __entry->id, __entry->lun,
		      __entry->handle, __entry->opcode, __entry->bytes,
		      __entry->direction)
);

/* The end of a command: its completion, or the abort that ended it. */
DECLARE_EVENT_CLASS(xsvhba_cmd_end,
		    TP_PROTO(struct scsi_cmnd *scmnd, u32 handle, int result),
		    TP_ARGS(scmnd, handle, result),
		    TP_STRUCT__entry(__field(unsigned int, host_no)
				     __field(u32, handle)
				     __field(u8, opcode)
				     __field(int, result)
				     __field(u32, resid)),
		    TP_fast_assign(__entry->host_no = scmnd->device->host->host_no;
				   __entry->handle = handle;
				   __entry->opcode = scmnd->cmnd[0];
				   __entry->result = result;
				   __entry->resid = scsi_get_resid(scmnd);),
		    TP_printk("host%u handle %#x opcode %#04x result %#x resid %u",
			      __entry->host_no, __entry->handle,
			      __entry->opcode, __entry->result,
			      __entry->resid)
);

/* result: the command's SCSI result. */
DEFINE_EVENT(xsvhba_cmd_end, xsvhba_cmd_complete,
	     TP_PROTO(struct scsi_cmnd *scmnd, u32 handle, int result),
	     TP_ARGS(scmnd, handle, result)
);

/* result: the abort handler's SUCCESS or FAILED. */
DEFINE_EVENT_PRINT(xsvhba_cmd_end, xsvhba_cmd_abort,
		   TP_PROTO(struct scsi_cmnd *scmnd, u32 handle, int result),
		   TP_ARGS(scmnd, handle, result),
		   TP_printk("host%u handle %#x opcode %#04x outcome %s",
			     __entry->host_no, __entry->handle,
			     __entry->opcode,
			     __entry->result == SUCCESS ? "SUCCESS" : "FAILED")
);

#endif /* _XSVHBA_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE xsvhba_trace
#include <trace/define_trace.h>

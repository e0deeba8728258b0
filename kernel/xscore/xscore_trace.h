/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Trace events of xscore: the XSMP messages of its links.  tracefs:
 * events/xscore/.  The links' session events are xsconn's (xsconn_trace.h).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xscore

#if !defined(_XSCORE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _XSCORE_TRACE_H

#include <linux/tracepoint.h>

#include "compat.h"

/*
 * An XSMP message a link sent, or received with a good header: its class,
 * the first byte of its body (the type of a session message, of the first
 * object of a vNIC or vHBA message), its whole length and its sequence.
 */
TRACE_EVENT(xscore_xsmp_msg,
	    TP_PROTO(const char *link, bool out, u8 msg_class, u8 type, u32 len,
		     u32 seq),
	    TP_ARGS(link, out, msg_class, type, len, seq),
	    TP_STRUCT__entry(__string(link, link)
			     __field(bool, out)
			     __field(u8, msg_class)
			     __field(u8, type)
			     __field(u32, len)
			     __field(u32, seq)),
	    TP_fast_assign(xscore_assign_str(link, link);
			   __entry->out = out;
			   __entry->msg_class = msg_class;
			   __entry->type = type;
			   __entry->len = len;
			   __entry->seq = seq;),
	    TP_printk("%s %s class %u type %u len %u seq %u", __get_str(link),
		      __entry->out ? "out" : "in", __entry->msg_class,
		      __entry->type, __entry->len, __entry->seq)
);

#endif /* _XSCORE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE xscore_trace
#include <trace/define_trace.h>

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Trace events of xsconn: the reconnecting sessions (xscore's XSMP links
 * and the service drivers' sessions with their I/O cards).  tracefs:
 * events/xsconn/.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xsconn

#if !defined(_XSCONN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _XSCONN_TRACE_H

#include <linux/tracepoint.h>
#include <xsigo/xscore_session.h>

#include "compat.h"

#define xscore_show_session_state(state)				\
	__print_symbolic(state,						\
			 { XSCORE_SESSION_DOWN, "DOWN" },		\
			 { XSCORE_SESSION_CONNECTING, "CONNECTING" },	\
			 { XSCORE_SESSION_OPENING, "OPENING" },	\
			 { XSCORE_SESSION_UP, "UP" },			\
			 { XSCORE_SESSION_STOPPED, "STOPPED" })

TRACE_EVENT(xscore_session_state,
	    TP_PROTO(const char *name, enum xscore_session_state old,
		     enum xscore_session_state new),
	    TP_ARGS(name, old, new),
	    TP_STRUCT__entry(__string(name, name)
			     __field(unsigned int, old)
			     __field(unsigned int, new)),
	    TP_fast_assign(xsconn_assign_str(name, name);
			   __entry->old = old;
			   __entry->new = new;),
	    TP_printk("%s %s -> %s", __get_str(name),
		      xscore_show_session_state(__entry->old),
		      xscore_show_session_state(__entry->new))
);

TRACE_EVENT(xscore_session_fail,
	    TP_PROTO(const char *name, enum xscore_session_state old,
		     const char *why, int err, unsigned int retry_ms),
	    TP_ARGS(name, old, why, err, retry_ms),
	    TP_STRUCT__entry(__string(name, name)
			     __string(why, why)
			     __field(unsigned int, old)
			     __field(int, err)
			     __field(unsigned int, retry_ms)),
	    TP_fast_assign(xsconn_assign_str(name, name);
			   xsconn_assign_str(why, why);
			   __entry->old = old;
			   __entry->err = err;
			   __entry->retry_ms = retry_ms;),
	    TP_printk("%s failed in %s: %s (%d), retry in %u ms",
		      __get_str(name), xscore_show_session_state(__entry->old),
		      __get_str(why), __entry->err, __entry->retry_ms)
);

#endif /* _XSCONN_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE xsconn_trace
#include <trace/define_trace.h>

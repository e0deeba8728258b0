// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-port state: link layer and port state, followed through the
 * device's asynchronous events.  Discovery will run per port from here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "xscore_priv.h"

const char *xscore_port_state_name(enum ib_port_state state)
{
	switch (state) {
	case IB_PORT_NOP:	/* xscore's "not known yet" */
		return "unknown";
	case IB_PORT_DOWN:
		return "DOWN";
	case IB_PORT_INIT:
		return "INIT";
	case IB_PORT_ARMED:
		return "ARMED";
	case IB_PORT_ACTIVE:
		return "ACTIVE";
	case IB_PORT_ACTIVE_DEFER:
		return "ACTIVE_DEFER";
	}
	return "invalid";
}

static const char *xscore_link_layer_name(enum rdma_link_layer link_layer)
{
	switch (link_layer) {
	case IB_LINK_LAYER_INFINIBAND:
		return "InfiniBand";
	case IB_LINK_LAYER_ETHERNET:
		return "Ethernet";
	case IB_LINK_LAYER_UNSPECIFIED:
		break;
	}
	return "unspecified";
}

/* What never changes; set before the event handler can look at the port. */
void xscore_port_init(struct xscore_device *xdev, u32 port_num)
{
	struct xscore_port *port = xscore_port(xdev, port_num);

	port->xdev = xdev;
	port->port_num = port_num;
	port->link_layer = rdma_port_get_link_layer(xdev->ibdev, port_num);
	port->state = IB_PORT_NOP;
	port->trust.ud_discovery = xscore_ud_discovery_default();
	port->trust.link_drop_polls = XSCORE_LINK_DROP_POLLS;
}

/* The initial state, read once the event handler is in place. */
void xscore_port_query(struct xscore_port *port)
{
	struct ib_device *ibdev = port->xdev->ibdev;
	enum ib_port_state state, seen;
	struct ib_port_attr attr;
	int ret;

	ret = ib_query_port(ibdev, port->port_num, &attr);
	if (ret)
		pr_warn("%s: port %u: query failed (%d), assuming it is down\n",
			dev_name(&ibdev->dev), port->port_num, ret);
	state = ret ? IB_PORT_DOWN : attr.state;

	/*
	 * An event that got here first wins: a change that this query missed
	 * is in that event, and one the event predates is still on its way to
	 * the handler, which was registered before the query.
	 */
	seen = cmpxchg(&port->state, IB_PORT_NOP, state);
	if (seen != IB_PORT_NOP)
		state = seen;

	pr_info("%s: port %u: %s link, %s\n", dev_name(&ibdev->dev),
		port->port_num, xscore_link_layer_name(port->link_layer),
		xscore_port_state_name(state));
}

void xscore_port_event(struct ib_event_handler *handler,
		       struct ib_event *event)
{
	struct xscore_device *xdev =
		container_of(handler, struct xscore_device, event_handler);
	u32 port_num = event->element.port_num;
	enum ib_port_state state, old;

	switch (event->event) {
	case IB_EVENT_PORT_ACTIVE:
		state = IB_PORT_ACTIVE;
		break;
	case IB_EVENT_PORT_ERR:
		state = IB_PORT_DOWN;
		break;
	default:
		return;
	}

	if (port_num < rdma_start_port(xdev->ibdev) ||
	    port_num > rdma_end_port(xdev->ibdev))
		return;

	old = xchg(&xscore_port(xdev, port_num)->state, state);
	if (old == state)
		return;

	pr_info("%s: port %u: %s -> %s\n", dev_name(&xdev->ibdev->dev),
		port_num, xscore_port_state_name(old),
		xscore_port_state_name(state));
}

/* The port's links follow their RDMA device's new name. */
void xscore_port_rename(struct xscore_port *port)
{
	struct xscore_link *link;

	mutex_lock(&port->lock);
	list_for_each_entry(link, &port->links, node)
		xscore_link_rename(link);
	mutex_unlock(&port->lock);
	xscore_port_rename_sysfs(port);
}

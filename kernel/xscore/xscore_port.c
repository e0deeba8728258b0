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
	case IB_PORT_NOP:
		return "NOP";
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
	return "UNKNOWN";
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

void xscore_port_init(struct xscore_device *xdev, struct xscore_port *port,
		      u32 port_num)
{
	struct ib_port_attr attr;
	int ret;

	port->xdev = xdev;
	port->port_num = port_num;
	port->link_layer = rdma_port_get_link_layer(xdev->ibdev, port_num);

	ret = ib_query_port(xdev->ibdev, port_num, &attr);
	WRITE_ONCE(port->state, ret ? IB_PORT_DOWN : attr.state);
	if (ret)
		pr_warn("%s: port %u: query failed (%d), assuming it is down\n",
			dev_name(&xdev->ibdev->dev), port_num, ret);

	pr_info("%s: port %u: %s link, %s\n", dev_name(&xdev->ibdev->dev),
		port_num, xscore_link_layer_name(port->link_layer),
		xscore_port_state_name(port->state));
}

void xscore_port_event(struct ib_event_handler *handler,
		       struct ib_event *event)
{
	struct xscore_device *xdev =
		container_of(handler, struct xscore_device, event_handler);
	u32 port_num = event->element.port_num;
	enum ib_port_state state;

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

	WRITE_ONCE(xscore_port(xdev, port_num)->state, state);
	pr_info("%s: port %u: %s\n", dev_name(&xdev->ibdev->dev), port_num,
		xscore_port_state_name(state));
}

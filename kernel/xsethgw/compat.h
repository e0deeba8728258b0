/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Differences between the kernels xsethgw builds against, bridged here so
 * that the gateway reads as if written for the newest one.
 *
 * Identical from 6.1 to 7.2, so not bridged: rdma_accept() without a
 * udata, rdma_set_min_rnr_timer(), netdev_hold()/netdev_put() with a
 * tracker, netdev_rx_handler_register(), the configfs group and attribute
 * API.
 */
#ifndef _XSETHGW_COMPAT_H
#define _XSETHGW_COMPAT_H

/*
 * mac_pton() moved from kernel.h to hex.h, which kernel.h stopped
 * including by 7.2; Kbuild looks for hex.h (sparse 0.6.4 cannot parse
 * __has_include).
 */
#ifdef XSETHGW_HAVE_HEX_H
#include <linux/hex.h>
#else
#include <linux/kernel.h>
#endif

/* skb_gso_segment() and __skb_gso_segment() moved to net/gso.h in 6.4. */
#ifdef XSETHGW_HAVE_NET_GSO_H
#include <net/gso.h>
#else
#include <linux/netdevice.h>
#endif

#endif /* _XSETHGW_COMPAT_H */

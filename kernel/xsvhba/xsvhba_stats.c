// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The XCM's STATS request (VHBA class, type 10): the vHBA's counters, in
 * the original's layout and order (struct xsvhba_stats), or a clear that
 * makes later answers count from now.  Counters this driver does not keep
 * (per-connection send and receive errors) read zero, as several did in
 * the original.
 */
#include <scsi/scsi_device.h>

#include "compat.h"
#include "xsvhba.h"

/* Where each counter goes, in the answer's order. */
enum xsvhba_stat {
	XSVHBA_STAT_TOTALIO,
	XSVHBA_STAT_READ_BYTES,
	XSVHBA_STAT_WRITE_BYTES,
	XSVHBA_STAT_OUTSTANDING,
	XSVHBA_STAT_IO_REQUESTS,
	XSVHBA_STAT_READS,
	XSVHBA_STAT_WRITES,
	XSVHBA_STAT_NODATA,
	XSVHBA_STAT_TARGETS,
	XSVHBA_STAT_LUNS,
	XSVHBA_STAT_XT_DOWNS,
	XSVHBA_STAT_OPER_REQS,
	XSVHBA_STAT_KEYS,
	XSVHBA_STAT_KEYS_RELEASED,
	XSVHBA_STAT_KEYS_IN_USE,
	XSVHBA_STAT_ABORTS,
	XSVHBA_STAT_LUN_RESETS,
	XSVHBA_STAT_TARGET_RESETS,
	XSVHBA_STAT_HOST_RESETS,
	XSVHBA_STAT_LINK_DOWNS,
	XSVHBA_STAT_DISC_UPDATES,
	XSVHBA_STAT_TARGETS_LOST,
	XSVHBA_STAT_TARGETS_FOUND,
	XSVHBA_STAT_CTRL_LOSSES,
	XSVHBA_STAT_DATA_LOSSES,
	/* the rest read zero */
};

static_assert(offsetof(struct xsvhba_stats, dqpibremotedisconnecterrorcount) ==
	      offsetof(struct xsvhba_stats, totalio) +
	      (XSVHBA_STATS_COUNTERS - 1) * sizeof(__le64));

#define XSVHBA_COUNTER(s, field) \
	{ XSVHBA_STAT_##s, offsetof(struct xsvhba_counters, field) }

/* The answer's counters that are the vHBA's own. */
static const struct {
	enum xsvhba_stat stat;
	size_t offset;		/* in struct xsvhba_counters */
} xsvhba_stat_counters[] = {
	XSVHBA_COUNTER(XT_DOWNS, xt_downs),
	XSVHBA_COUNTER(OPER_REQS, oper_reqs),
	XSVHBA_COUNTER(ABORTS, aborts),
	XSVHBA_COUNTER(LUN_RESETS, lun_resets),
	XSVHBA_COUNTER(TARGET_RESETS, target_resets),
	XSVHBA_COUNTER(HOST_RESETS, host_resets),
	XSVHBA_COUNTER(LINK_DOWNS, fc_link_downs),
	XSVHBA_COUNTER(DISC_UPDATES, disc_updates),
	XSVHBA_COUNTER(TARGETS_LOST, targets_lost),
	XSVHBA_COUNTER(TARGETS_FOUND, targets_found),
	/* A lost session takes both connections. */
	XSVHBA_COUNTER(CTRL_LOSSES, reconnects),
	XSVHBA_COUNTER(DATA_LOSSES, reconnects),
};

/* What is now, not a count since a clear. */
static bool xsvhba_stat_is_gauge(unsigned int i)
{
	return i == XSVHBA_STAT_OUTSTANDING || i == XSVHBA_STAT_TARGETS ||
	       i == XSVHBA_STAT_LUNS || i == XSVHBA_STAT_KEYS_IN_USE;
}

static void xsvhba_stats_read(struct xsvhba *vhba, u64 *v)
{
	struct xsvhba_io_counters io;
	struct xsvhba_counters c;
	struct scsi_device *sdev;
	unsigned int i;
	u64 in_use;

	spin_lock_bh(&vhba->ring_lock);
	io = vhba->io;
	spin_unlock_bh(&vhba->ring_lock);
	spin_lock_bh(&vhba->lock);
	c = vhba->counters;
	spin_unlock_bh(&vhba->lock);

	v[XSVHBA_STAT_TOTALIO] = io.reads + io.writes + io.nodata;
	v[XSVHBA_STAT_IO_REQUESTS] = v[XSVHBA_STAT_TOTALIO];
	v[XSVHBA_STAT_READ_BYTES] = io.read_bytes;
	v[XSVHBA_STAT_WRITE_BYTES] = io.write_bytes;
	v[XSVHBA_STAT_READS] = io.reads;
	v[XSVHBA_STAT_WRITES] = io.writes;
	v[XSVHBA_STAT_NODATA] = io.nodata;
	v[XSVHBA_STAT_OUTSTANDING] = scsi_host_busy(vhba->shost);

	mutex_lock(&vhba->session.mutex);
	for (i = 0; i < XSVHBA_MAX_TARGETS; i++)
		v[XSVHBA_STAT_TARGETS] += !!vhba->targets[i].rport;
	mutex_unlock(&vhba->session.mutex);
	shost_for_each_device(sdev, vhba->shost)
		v[XSVHBA_STAT_LUNS]++;

	in_use = atomic_read(&vhba->dma_mapped);
	v[XSVHBA_STAT_KEYS] = io.keys;
	v[XSVHBA_STAT_KEYS_IN_USE] = in_use;
	v[XSVHBA_STAT_KEYS_RELEASED] = io.keys > in_use ? io.keys - in_use : 0;

	for (i = 0; i < ARRAY_SIZE(xsvhba_stat_counters); i++)
		v[xsvhba_stat_counters[i].stat] =
			*(u64 *)((u8 *)&c + xsvhba_stat_counters[i].offset);
}

/**
 * xsvhba_stats() - answer, or act on, the XCM's STATS request
 * @vhba: the vHBA the request's vid names
 * @req: the request, a whole VHBA object
 *
 * Runs from message(), under the device's ops_lock, which also guards
 * the clear's baseline.  A clear has no answer, as in the original.
 */
void xsvhba_stats(struct xsvhba *vhba, const struct xsvhba_stats *req)
{
	struct xsvhba_stats msg = {
		.type	= XSVHBA_MSG_TYPE_STATS,
		.length	= cpu_to_be16(sizeof(msg)),
		.action	= req->action,
		.vid	= req->vid,
	};
	u64 v[XSVHBA_STATS_COUNTERS] = {};
	u8 *counters = (u8 *)&msg + offsetof(struct xsvhba_stats, totalio);
	unsigned int i;

	xsvhba_stats_read(vhba, v);
	if (req->action == XSVHBA_STATS_CLEAR) {
		memcpy(vhba->stats_base, v, sizeof(v));
		return;
	}
	memcpy(msg.statscookie, req->statscookie, sizeof(msg.statscookie));
	for (i = 0; i < XSVHBA_STATS_COUNTERS; i++) {
		if (!xsvhba_stat_is_gauge(i))
			v[i] -= min(v[i], vhba->stats_base[i]);
		put_unaligned_le64(v[i], counters + i * sizeof(__le64));
	}
	xscore_vdev_send(vhba->vdev, &msg);
}

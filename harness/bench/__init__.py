"""`make bench`: our drivers measured beside the transport's floor and ceiling (perftest over
rxe), routed TCP and the storage peers (ib_srp, nvme-rdma) on one booted VM pair, every
figure repeated in rotated order, written out as JSON, a markdown table and a plot.

Modules, one job each: plan (how much), rotation (in what order), series and stats (the
figures kept and summarised), cpu (CPU cost from /proc/stat), transport, network, routed and
veths (the network rows), backends, storage, peers and ours (the storage contenders),
netphase and diskphase (the two halves of a run), report and plot, run (the whole).

Benchmarks are not tests: nothing here asserts a figure, and nothing in `make test` runs it.
"""

"""`make bench`: our drivers measured beside the link's limits and the peers (ib_srp,
nvme-rdma) on one booted VM pair, written out as JSON, a markdown table and a plot.

Benchmarks are not tests: nothing here asserts a figure, and nothing in `make test` runs it.
"""

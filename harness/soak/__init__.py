"""`make soak`: hours of faults under verified I/O in one booted fabric, and the figures to show
for it (harness/soak/run.py)."""

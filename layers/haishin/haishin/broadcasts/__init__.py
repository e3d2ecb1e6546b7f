"""Broadcasts (一斉配信 / セグメント配信): the service (create, schedule, send now, cancel), the planner that turns a
broadcast into delivery batches, and ``send``: the delivery worker's path for those batches."""

"""Delivery: the one delivery message format (steps and broadcasts), the worker, the ledger and the DLQ tools."""

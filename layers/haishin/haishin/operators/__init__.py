"""Operator accounts (オペレーター): role, per-operator grants and denials, channel limit, invitation state."""

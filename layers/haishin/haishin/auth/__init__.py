"""Operators, roles and permissions (オペレーター / 権限)."""

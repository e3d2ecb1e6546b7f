"""Fixtures live in members_env (a unique module name: several test folders have a conftest)."""

from members_env import env, friend

__all__ = ["env", "friend"]

"""Fixtures live in seminars_env (a unique module name: several test folders have a conftest)."""

from seminars_env import env, friends

__all__ = ["env", "friends"]

"""Fixtures live in bookings_env (a unique module name: several test folders have a conftest)."""

from bookings_env import atomic_requests, env, friends

__all__ = ["atomic_requests", "env", "friends"]

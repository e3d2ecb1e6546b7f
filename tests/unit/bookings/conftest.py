"""Fixtures live in bookings_env (a unique module name: several test folders have a conftest)."""

from bookings_env import env, friends

__all__ = ["env", "friends"]

"""Fixtures live in funnels_env (a unique module name: several test folders have a conftest)."""

from funnels_env import env

__all__ = ["env"]

"""Fixtures live in pay_env (a unique module name: several test folders have a conftest)."""

from pay_env import env

__all__ = ["env"]

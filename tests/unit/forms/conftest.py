"""Fixtures live in forms_env (a unique module name: several test folders have a conftest)."""

from forms_env import env, line_friend

__all__ = ["env", "line_friend"]

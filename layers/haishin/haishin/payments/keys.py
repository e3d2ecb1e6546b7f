"""Stripe keys per workspace and mode, in the SecretStore only; the API sees masked hints, never values.

secret ``secret_name(ws, "stripe", "test"|"live")`` = ``{"secret_key": "sk_...", "webhook_secrets": ["whsec_..."]}``
(several webhook secrets: rotation, or two endpoints). The active mode is the workspace setting ``stripe_mode``.
"""

from __future__ import annotations

from typing import Any, Literal

from haishin.errors import NotFound, ValidationFailed
from haishin.payments.models import StripeSettingsModel
from haishin.secrets import mask, secret_name
from haishin.workspaces.models import workspace_pk

Mode = Literal["test", "live"]
MODES: tuple[Mode, ...] = ("test", "live")


class StripeKeys:
    def __init__(self, secrets: Any) -> None:
        self.secrets = secrets

    def _settings(self, workspace_id: str) -> StripeSettingsModel:
        try:
            return StripeSettingsModel.get(workspace_pk(workspace_id), "stripe_settings")
        except StripeSettingsModel.DoesNotExist:
            return StripeSettingsModel(pk=workspace_pk(workspace_id), sk="stripe_settings", mode="test", hints={})

    def mode(self, workspace_id: str) -> Mode:
        return "live" if self._settings(workspace_id).mode == "live" else "test"

    def set_mode(self, workspace_id: str, mode: Mode) -> None:
        item = self._settings(workspace_id)
        if mode not in (item.hints or {}):
            raise ValidationFailed(f"enter the {mode} keys before switching to {mode} mode", where="stripe_mode")
        item.mode = mode
        item.save()

    def put(self, workspace_id: str, mode: Mode, *, secret_key: str | None = None,
            webhook_secrets: list[str] | None = None) -> dict[str, Any]:
        prefix = "sk_live_" if mode == "live" else "sk_test_"
        if secret_key is not None and not (secret_key.startswith(prefix) or secret_key.startswith(
                prefix.replace("sk_", "rk_"))):
            raise ValidationFailed(f"a {mode} secret key starts with {prefix}", where="secret_key")
        if webhook_secrets is not None and any(not s.startswith("whsec_") for s in webhook_secrets):
            raise ValidationFailed("webhook signing secrets start with whsec_", where="webhook_secrets")
        name = secret_name(workspace_id, "stripe", mode)
        try:
            current = dict(self.secrets.get(name))
        except NotFound:
            current = {}
        if secret_key is not None:
            current["secret_key"] = secret_key
        if webhook_secrets is not None:
            current["webhook_secrets"] = list(webhook_secrets)
        self.secrets.put(name, current)
        item = self._settings(workspace_id)
        hints = dict(item.hints or {})
        hints[mode] = {"secret_key": mask(current.get("secret_key")),
                       "webhook_secrets": [mask(s) for s in current.get("webhook_secrets") or []]}
        item.hints = hints
        item.save()
        return self.describe(workspace_id)

    def describe(self, workspace_id: str) -> dict[str, Any]:
        item = self._settings(workspace_id)
        return {"stripe_mode": item.mode, "keys": item.hints or {}}

    def secret_key(self, workspace_id: str, mode: Mode | None = None) -> str:
        mode = mode or self.mode(workspace_id)
        try:
            key = self.secrets.get(secret_name(workspace_id, "stripe", mode)).get("secret_key")
        except NotFound:
            key = None
        if not key:
            raise NotFound(f"no Stripe {mode} secret key for this workspace", where="stripe keys")
        return str(key)

    def webhook_secrets(self, workspace_id: str) -> list[str]:
        """Every active endpoint secret of both modes (events of either may still arrive after a switch)."""
        found: list[str] = []
        for mode in MODES:
            try:
                found.extend(self.secrets.get(secret_name(workspace_id, "stripe", mode)).get("webhook_secrets") or [])
            except NotFound:
                continue
        return found

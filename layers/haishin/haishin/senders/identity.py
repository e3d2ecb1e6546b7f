"""The workspace's sender details every marketing e-mail and SMS carries (from the workspace settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WorkspaceIdentity:
    """What the footer and the SMS need from the workspace settings."""

    name: str
    postal_address: str | None
    sms_sender_id: str | None = None
    sms_optout_text: str | None = None


def workspace_identity(model: Any, workspace_id: str) -> WorkspaceIdentity:
    """From a WorkspaceModel (or None: the defaults)."""
    if model is None:
        return WorkspaceIdentity(name=workspace_id, postal_address=None)
    return WorkspaceIdentity(name=str(getattr(model, "legal_name", None) or model.name or workspace_id),
                             postal_address=getattr(model, "postal_address", None),
                             sms_sender_id=getattr(model, "sms_sender_id", None),
                             sms_optout_text=getattr(model, "sms_optout_text", None))

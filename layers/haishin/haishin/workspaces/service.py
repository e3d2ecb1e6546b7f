"""Workspace settings: name, time zone (IANA), quiet hours ("HH:MM" in that zone), frequency cap, quota policy.

A workspace with no stored record reads as the defaults (named after its ID); PATCH creates it. Every validation
error names the field (``where``) so the admin marks it.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from haishin import clock
from haishin.errors import ValidationFailed
from haishin.storage.base import save_if
from haishin.workspaces.models import DEFAULT_TIME_ZONE, WorkspaceModel

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
QUOTA_POLICIES = ("refuse", "warn")
MAX_FREQUENCY_CAP = 100
FIELDS = ("name", "time_zone", "quiet_hours_start", "quiet_hours_end", "frequency_cap_per_day", "quota_policy",
          "legal_name", "postal_address", "sms_sender_id", "sms_optout_text")
# SNS: 1 to 11 letters, digits or hyphens, at least one letter (a number-only ID is refused by carriers)
SMS_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9-]{1,11}$")
TEXT_LIMITS = {"legal_name": 100, "postal_address": 300, "sms_optout_text": 40}


def view(workspace_id: str, model: WorkspaceModel | None) -> dict[str, Any]:
    if model is None:
        return {"workspace_id": workspace_id, "name": workspace_id, "time_zone": DEFAULT_TIME_ZONE,
                "quiet_hours_start": None, "quiet_hours_end": None, "frequency_cap_per_day": 0,
                "quota_policy": "refuse", "legal_name": None, "postal_address": None, "sms_sender_id": None,
                "sms_optout_text": None, "created_at": None}
    return {"workspace_id": workspace_id, "name": model.name, "time_zone": model.time_zone or DEFAULT_TIME_ZONE,
            "quiet_hours_start": model.quiet_hours_start or None, "quiet_hours_end": model.quiet_hours_end or None,
            "frequency_cap_per_day": int(model.frequency_cap_per_day or 0),
            "quota_policy": model.quota_policy or "refuse",
            "legal_name": model.legal_name or None, "postal_address": model.postal_address or None,
            "sms_sender_id": model.sms_sender_id or None, "sms_optout_text": model.sms_optout_text or None,
            "created_at": model.created_at.isoformat() if model.created_at else None}


def _zone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("choose a time zone, e.g. Asia/Tokyo", where="time_zone")
    name = value.strip()
    if name not in available_timezones():
        raise ValidationFailed(f"'{name}' is not an IANA time zone name (e.g. Asia/Tokyo)", where="time_zone")
    ZoneInfo(name)
    return name


def _hhmm(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not HHMM.match(value.strip()):
        raise ValidationFailed("write the time as HH:MM (24-hour), e.g. 21:00", where=where)
    return value.strip()


def _text(value: Any, where: str, limit: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise ValidationFailed(f"{limit} 文字以内で入力してください", where=where)
    return value.strip()


class WorkspaceService:
    def get(self, workspace_id: str) -> dict[str, Any]:
        return view(workspace_id, self._load(workspace_id))

    def ensure(self, workspace_id: str, *, name: str | None = None) -> WorkspaceModel:
        """The workspace record, created with defaults (and ``name``) when missing; an existing one is kept."""
        existing = self._load(workspace_id)
        if existing is not None:
            return existing
        model = WorkspaceModel(*WorkspaceModel.key(workspace_id), workspace_id=workspace_id,
                               name=(name or workspace_id).strip()[:100] or workspace_id, created_at=clock.now())
        if not save_if(model, WorkspaceModel.pk.does_not_exist()):  # created meanwhile by someone else: theirs stands
            return self._load(workspace_id) or model
        return model

    def _load(self, workspace_id: str) -> WorkspaceModel | None:
        try:
            return WorkspaceModel.get(*WorkspaceModel.key(workspace_id), consistent_read=True)
        except WorkspaceModel.DoesNotExist:
            return None

    def patch(self, workspace_id: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValidationFailed("send a JSON object", where="body")
        unknown = sorted(set(body) - set(FIELDS))
        if unknown:
            raise ValidationFailed(f"unknown setting '{unknown[0]}'", where=unknown[0])
        current = view(workspace_id, self._load(workspace_id))
        changes: dict[str, Any] = {}
        if "name" in body:
            name = body["name"]
            if not isinstance(name, str) or not name.strip():
                raise ValidationFailed("the workspace needs a name", where="name")
            if len(name.strip()) > 100:
                raise ValidationFailed("a workspace name is at most 100 characters", where="name")
            changes["name"] = name.strip()
        if "time_zone" in body:
            changes["time_zone"] = _zone(body["time_zone"])
        for key in ("quiet_hours_start", "quiet_hours_end"):
            if key in body:
                changes[key] = _hhmm(body[key], key)
        start = changes.get("quiet_hours_start", current["quiet_hours_start"])
        end = changes.get("quiet_hours_end", current["quiet_hours_end"])
        if bool(start) != bool(end):
            missing = "quiet_hours_end" if start else "quiet_hours_start"
            raise ValidationFailed("quiet hours need both a start and an end (or neither)", where=missing)
        if start and start == end:
            raise ValidationFailed("quiet hours cannot start and end at the same time", where="quiet_hours_end")
        if "frequency_cap_per_day" in body:
            cap = body["frequency_cap_per_day"]
            if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap <= MAX_FREQUENCY_CAP:
                raise ValidationFailed(f"the daily cap is a whole number from 0 (none) to {MAX_FREQUENCY_CAP}",
                                       where="frequency_cap_per_day")
            changes["frequency_cap_per_day"] = cap
        if "quota_policy" in body:
            if body["quota_policy"] not in QUOTA_POLICIES:
                raise ValidationFailed("the quota policy is 'refuse' or 'warn'", where="quota_policy")
            changes["quota_policy"] = body["quota_policy"]
        for key, limit in TEXT_LIMITS.items():
            if key in body:
                changes[key] = _text(body[key], key, limit)
        if "sms_sender_id" in body:
            sender_id = body["sms_sender_id"]
            if sender_id in (None, ""):
                changes["sms_sender_id"] = None
            elif not isinstance(sender_id, str) or not SMS_SENDER_ID.match(sender_id.strip()):
                raise ValidationFailed("SMS の送信者 ID は英数字とハイフンで 1〜11 文字 (英字を 1 文字以上) です",
                                       where="sms_sender_id")
            else:
                changes["sms_sender_id"] = sender_id.strip()
        merged = {**current, **changes}
        model = WorkspaceModel(
            *WorkspaceModel.key(workspace_id), workspace_id=workspace_id, name=merged["name"],
            time_zone=merged["time_zone"], quiet_hours_start=merged["quiet_hours_start"],
            quiet_hours_end=merged["quiet_hours_end"], frequency_cap_per_day=merged["frequency_cap_per_day"],
            quota_policy=merged["quota_policy"], legal_name=merged["legal_name"],
            postal_address=merged["postal_address"], sms_sender_id=merged["sms_sender_id"],
            sms_optout_text=merged["sms_optout_text"], created_at=self._created(workspace_id),
        )
        model.save()
        return view(workspace_id, model)

    def _created(self, workspace_id: str) -> Any:
        existing = self._load(workspace_id)
        return existing.created_at if existing is not None and existing.created_at else clock.now()

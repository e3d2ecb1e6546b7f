"""Sender identities (送信者情報) use cases: add (and ask SES to verify), list with the SES state and the DNS records
to add, choose the default, remove; and the one rule every e-mail obeys: its From is one of the workspace's VERIFIED
identities (``require_verified`` at save, ``for_send`` at send time, when a removed or unverified identity fails the
message instead of sending as someone else).

Verification state comes from SES (``GetEmailIdentity``), cached per container: a verified identity for
``VERIFIED_TTL_S``, anything else for ``PENDING_TTL_S`` (the settings screen shows a fresh state soon after the DNS
records are added; a broadcast of 10,000 e-mails asks SES once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from haishin import clock, ids
from haishin.errors import NotFound, ValidationFailed
from haishin.senders.identity import WorkspaceIdentity, workspace_identity
from haishin.senders.models import KINDS, SenderIdentityModel, sender_sk
from haishin.senders.repository import SenderRepository
from haishin.senders.ses import IdentityApi, IdentityState
from haishin.ttl_cache import TtlLru
from haishin.workspaces.models import workspace_pk

VERIFIED_TTL_S = 300.0
PENDING_TTL_S = 5.0
WORKSPACE_TTL_S = 30.0  # settings (postal address, SMS sender ID) a worker reuses across a batch
MAX_IDENTITIES = 20
ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$")
STATUS_JA = {"SUCCESS": "認証済み", "PENDING": "認証待ち", "FAILED": "認証失敗", "TEMPORARY_FAILURE": "一時的な失敗",
             "NOT_STARTED": "未開始", "MISSING": "SES に未登録"}


class SenderRefused(ValidationFailed):
    """The From of an e-mail is not a verified identity of the workspace (at save: 422 naming the field; at send
    time the delivery fails with this message)."""

    code = "sender_refused"


@dataclass(frozen=True)
class Sender:
    """What a send needs: the header values of a verified identity."""

    identity_id: str
    from_name: str
    from_address: str
    reply_to: str | None

    @property
    def source(self) -> str:
        from email.headerregistry import Address  # noqa: PLC0415

        return str(Address(display_name=self.from_name, addr_spec=self.from_address)) if self.from_name \
            else self.from_address


def _address(value: Any, where: str) -> str:
    if not isinstance(value, str) or not ADDRESS.match(value.strip()):
        raise ValidationFailed("メールアドレスの形式ではありません (例: info@example.co.jp)", where=where)
    return value.strip()


def _clean_name(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value.strip()) > 100 or any(c in value for c in "\r\n<>\""):
        raise ValidationFailed("差出人名は 100 文字以内で、改行・< > \" を含めないでください", where="from_name")
    return value.strip()


def dns_records(state: IdentityState, kind: str, ses_identity: str) -> list[dict[str, str]]:
    """The DNS records the marketer adds for a domain: the three Easy DKIM CNAMEs (required), plus SPF and DMARC
    advice (recommended; Gmail and Yahoo require DMARC of bulk senders)."""
    if kind != "domain":
        return []
    records = [{"type": "CNAME", "name": f"{token}._domainkey.{ses_identity}", "value": f"{token}.dkim.amazonses.com",
                "purpose": "DKIM", "required": "yes",
                "note": "SES の Easy DKIM 用です。3 件すべて追加すると、数分から最長 72 時間で認証済みになります。"}
               for token in state.dkim_tokens]
    records.append({"type": "TXT", "name": f"_dmarc.{ses_identity}",
                    "value": f"v=DMARC1; p=none; rua=mailto:dmarc@{ses_identity}", "purpose": "DMARC",
                    "required": "recommended",
                    "note": "DMARC は推奨です (Gmail・Yahoo は一斉送信者に必須)。まず p=none で様子を見て、"
                            "届いたレポートで問題がなければ p=quarantine に強めてください。"})
    records.append({"type": "TXT", "name": ses_identity, "value": "v=spf1 include:amazonses.com ~all",
                    "purpose": "SPF", "required": "recommended",
                    "note": "SES の既定の MAIL FROM (amazonses.com) では SPF は SES 側で通り、"
                            "DMARC は DKIM で合格します。"
                            "独自の MAIL FROM ドメインを設定する場合は、そのドメインにこの SPF を追加してください"
                            " (既に SPF がある場合は include:amazonses.com を 1 行に足します)。"})
    return records


class SenderService:
    def __init__(self, repository: SenderRepository, ses: IdentityApi, *, cache: TtlLru | None = None) -> None:
        self.repository = repository
        self.ses = ses
        self._cache = cache or TtlLru(max_items=2048)

    # ------------------------------------------------------------------ SES state
    def state(self, ses_identity: str, *, fresh: bool = False) -> IdentityState:
        key = ses_identity.lower()
        if not fresh:
            hit, value = self._cache.get(key)
            if hit:
                return value
        state = self.ses.get(ses_identity)
        self._cache.put(key, state, VERIFIED_TTL_S if state.verified else PENDING_TTL_S)
        return state

    def view(self, identity: SenderIdentityModel, *, default_id: str | None, fresh: bool = False) -> dict[str, Any]:
        state = self.state(identity.ses_identity, fresh=fresh)
        return {"identity_id": identity.identity_id, "from_name": identity.from_name,
                "from_address": identity.from_address, "reply_to": identity.reply_to, "kind": identity.kind,
                "ses_identity": identity.ses_identity, "verified": state.verified, "status": state.status,
                "status_label": "認証済み" if state.verified else STATUS_JA.get(state.status, state.status),
                "default": identity.identity_id == default_id,
                "dns_records": dns_records(state, identity.kind, identity.ses_identity),
                "created_at": identity.created_at.isoformat() if identity.created_at else None}

    def workspace(self, workspace_id: str) -> WorkspaceIdentity:
        """The footer's and the SMS's sender details from the workspace settings (cached briefly)."""
        key = f"ws:{workspace_id}"
        hit, value = self._cache.get(key)
        if hit:
            return value
        found = workspace_identity(self.repository.workspace(workspace_id), workspace_id)
        self._cache.put(key, found, WORKSPACE_TTL_S)
        return found

    # ------------------------------------------------------------------ use cases
    def list(self, workspace_id: str, *, fresh: bool = False) -> dict[str, Any]:
        default_id = self.repository.default_id(workspace_id)
        return {"items": [self.view(i, default_id=default_id, fresh=fresh)
                          for i in sorted(self.repository.list(workspace_id), key=lambda i: i.created_at)]}

    def get(self, workspace_id: str, identity_id: str, *, fresh: bool = False) -> dict[str, Any]:
        return self.view(self._require(workspace_id, identity_id), default_id=self.repository.default_id(workspace_id),
                         fresh=fresh)

    def create(self, workspace_id: str, body: Any, *, created_by: str | None = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValidationFailed("JSON オブジェクトを送ってください", where="body")
        unknown = sorted(set(body) - {"from_name", "from_address", "reply_to", "kind", "default"})
        if unknown:
            raise ValidationFailed(f"不明な項目です: {unknown[0]}", where=unknown[0])
        from_address = _address(body.get("from_address"), "from_address")
        reply_to = _address(body["reply_to"], "reply_to") if body.get("reply_to") else None
        kind = body.get("kind") or "domain"
        if kind not in KINDS:
            raise ValidationFailed("認証方法は domain (ドメイン) か address (アドレス) です", where="kind")
        existing = self.repository.list(workspace_id)
        if any(i.from_address.lower() == from_address.lower() for i in existing):
            raise ValidationFailed(f"{from_address} は登録済みです", where="from_address")
        if len(existing) >= MAX_IDENTITIES:
            raise ValidationFailed(f"送信者は {MAX_IDENTITIES} 件まで登録できます", where="from_address")
        domain = from_address.rsplit("@", 1)[1].lower()
        ses_identity = domain if kind == "domain" else from_address.lower()
        # A domain claimed by another workspace covers every address of it: refuse its addresses too.
        if kind == "address":
            owner = self.repository.owner(domain)
            if owner is not None and owner != workspace_id:
                raise ValidationFailed(f"{domain} は別のワークスペースが送信者として登録済みのため使えません",
                                       where="from_address")
        self.repository.claim(ses_identity, workspace_id, where="from_address")
        self.ses.create(ses_identity, domain=kind == "domain", tags={"haishin:workspace": workspace_id})
        self._cache.drop(ses_identity)
        identity_id = ids.new_id("snd_")
        identity = SenderIdentityModel(workspace_pk(workspace_id), sender_sk(identity_id), workspace_id=workspace_id,
                                       identity_id=identity_id, from_name=_clean_name(body.get("from_name")),
                                       from_address=from_address, reply_to=reply_to, kind=kind,
                                       ses_identity=ses_identity, created_by=created_by, created_at=clock.now())
        self.repository.save(identity)
        if body.get("default") or self.repository.default_id(workspace_id) is None:
            self.repository.set_default(workspace_id, identity_id)
        return self.get(workspace_id, identity_id, fresh=True)

    def set_default(self, workspace_id: str, identity_id: str) -> dict[str, Any]:
        self._require(workspace_id, identity_id)
        self.repository.set_default(workspace_id, identity_id)
        return self.get(workspace_id, identity_id)

    def delete(self, workspace_id: str, identity_id: str) -> None:
        identity = self._require(workspace_id, identity_id)
        self.repository.delete(identity)
        if self.repository.default_id(workspace_id) == identity_id:
            self.repository.set_default(workspace_id, None)
        if not any(i.ses_identity == identity.ses_identity for i in self.repository.list(workspace_id)):
            self.ses.delete(identity.ses_identity)  # nobody of this workspace sends through it any more
            self.repository.release(identity.ses_identity, workspace_id)
        self._cache.drop(identity.ses_identity)

    def _require(self, workspace_id: str, identity_id: str) -> SenderIdentityModel:
        identity = self.repository.get(workspace_id, identity_id)
        if identity is None:
            raise NotFound("送信者が見つかりません", where="identity_id")
        return identity

    # ------------------------------------------------------------------ the rule
    def _find(self, workspace_id: str, from_address: str | None) -> SenderIdentityModel | None:
        identities = self.repository.list(workspace_id)
        if from_address:
            _, address = _split(from_address)
            return next((i for i in identities if i.from_address.lower() == address.lower()), None)
        default_id = self.repository.default_id(workspace_id)
        return next((i for i in identities if i.identity_id == default_id), None)

    def _verified(self, workspace_id: str, identity: SenderIdentityModel, *, fresh: bool) -> bool:
        # the claim is read again: an identity row can never send through another workspace's domain
        owner = self.repository.owner(identity.ses_identity)
        return owner == workspace_id and self.state(identity.ses_identity, fresh=fresh).verified

    def require_verified(self, workspace_id: str, from_address: str | None, *, where: str) -> Sender:
        """At save: ``from_address`` (or, when None, the default identity) is a verified identity of the workspace."""
        identity = self._find(workspace_id, from_address)
        if identity is None:
            if from_address:
                raise SenderRefused(f"{where}: {from_address} はこのワークスペースの送信者ではありません。"
                                    "設定 → メール送信者で登録し、認証してから選んでください", where=where)
            raise SenderRefused(f"{where}: 既定の送信者がありません。設定 → メール送信者で登録してください",
                                where=where)
        if not self._verified(workspace_id, identity, fresh=True):
            raise SenderRefused(f"{where}: {identity.from_address} はまだ認証されていません。"
                                "設定 → メール送信者で DNS レコードの追加 (またはアドレス宛の確認メール) を"
                                "済ませてください",
                                where=where)
        return _sender(identity)

    def for_send(self, workspace_id: str, from_address: str | None) -> Sender:
        """At send time: the same rule (cached SES state); raises SenderRefused, which fails the message visibly."""
        identity = self._find(workspace_id, from_address)
        if identity is None:
            raise SenderRefused(f"送信元 {from_address or '(既定)'} はこのワークスペースの送信者ではない (削除された)"
                                "ため送信しませんでした", where="email_from")
        if not self._verified(workspace_id, identity, fresh=False):
            raise SenderRefused(f"送信元 {identity.from_address} は SES で認証されていないため送信しませんでした",
                                where="email_from")
        return _sender(identity)


def _split(value: str) -> tuple[str, str]:
    from email.utils import parseaddr  # noqa: PLC0415

    name, address = parseaddr(value)
    return name, address or value


def _sender(identity: SenderIdentityModel) -> Sender:
    return Sender(identity_id=identity.identity_id, from_name=identity.from_name or "",
                  from_address=identity.from_address, reply_to=identity.reply_to)

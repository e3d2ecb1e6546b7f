"""Forms: CRUD, signed LINE-bound links, and a submission applied once.

Submission order (each step safe to repeat): throttle per IP and minute -> honeypot -> token -> validation (errors
re-render with the answers kept; nothing stored) -> claim the page's nonce (a double click makes ONE submission) ->
find/create the friend -> fields and tags (ActionRunner, key ``form:<submission>``) -> answer + timeline entry
(deterministic IDs) -> scenario trigger ``form_submitted`` -> auto-reply (LINE push with a retry key) -> complete.

Who the answer belongs to:
- a signed, LINE-bound link (``?t=``): the friend the token names (their fields, tags, scenarios change);
- unsigned, with an e-mail/phone nobody has: a new friend owning that address (its aliases);
- unsigned, with an e-mail/phone that already belongs to a friend: knowing someone's address proves nothing, so the
  existing friend is never changed. The answer goes to a new *unverified contact* (``unverified_match`` records
  which friend the address matched; it owns no alias and has no address, so nothing is sent to it) that the
  admin's merge, or a later verified link, folds into the matched friend. See docs/production/public.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import secrets as pysecrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from pydantic import ValidationError

from haishin import clock, ids
from haishin.actions import AddTag, SetField, parse_actions
from haishin.csvio.cells import neutralise_row
from haishin.errors import Conflict, HaishinError, NotFound, ValidationFailed, pydantic_message
from haishin.forms import tokens
from haishin.forms.collab import Collaborators, FormSeat
from haishin.forms.inputs import FormDefinition, FormField, typed_value, validate
from haishin.forms.models import FormAnswerModel, FormModel
from haishin.forms.repository import FormRepository
from haishin.public_url import public_base
from haishin.render import renderer, variables_for
from haishin.storage.base import iso
from haishin.storage.once import Once
from haishin.subscribers.models import SubscriberModel
from haishin.subscribers.repository import normalise_email, normalise_phone

log = logging.getLogger(__name__)

HONEYPOT = "website"  # a field people never see; bots fill it
NONCE = "_nonce"
TOKEN = "t"  # noqa: S105 - the query/field name of the signed link, not a secret
IP_LIMIT_PER_MINUTE = 10

Outcome = Literal["thanks", "redirect", "invalid", "token_invalid", "throttled", "closed", "not_found"]


@dataclass
class SubmitResult:
    outcome: Outcome
    form: FormModel | None = None
    definition: FormDefinition | None = None
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    nonce: str = ""
    token: str = ""
    submission_id: str | None = None
    subscriber_id: str | None = None
    redirect_url: str | None = None
    duplicate: bool = False
    token_reason: str | None = None
    unverified: bool = False
    # a seminar session field's choices by field key: (session ID, label), the sessions with seats left
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # a seminar session field's outcome by field key: a seat, a held seat to pay for, or a waitlist place
    registrations: dict[str, FormSeat] = field(default_factory=dict)


def definition_of(form: FormModel) -> FormDefinition:
    return FormDefinition.model_validate(form.definition)


def _check_actions(definition: FormDefinition) -> None:
    try:
        parse_actions(definition.actions)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "actions." + ".".join(str(p) for p in first.get("loc", ()))
        raise ValidationFailed(pydantic_message(first), where=where) from exc
    if definition.auto_reply:  # a template: it must compile and stay within the sandbox's caps now
        renderer().check(definition.auto_reply, where="auto_reply")


def form_url(form_id: str, token: str | None = None) -> str:
    return f"{public_base()}/f/{form_id}" + (f"?t={token}" if token else "")


class FormService:
    def __init__(self, collab: Collaborators, once: Once | None = None,
                 repository: FormRepository | None = None) -> None:
        self.collab = collab
        self.once = once or Once()
        self.repository = repository or FormRepository()

    # ------------------------------------------------------------------ CRUD
    def _check_seminars(self, workspace_id: str, definition: FormDefinition) -> None:
        """A seminar session field names a seminar of this workspace (another workspace's: not found)."""
        for index, spec in enumerate(definition.fields):
            if spec.type == "seminar_session" and spec.seminar_id:
                try:
                    self.collab.seminar_sessions().form_check(workspace_id, spec.seminar_id)
                except NotFound as exc:
                    raise NotFound("セミナーが見つかりません", where=f"fields.{index}.seminar_id") from exc
                except ValidationFailed as exc:
                    raise ValidationFailed(exc.message, where=f"fields.{index}.seminar_id") from exc

    def create(self, workspace_id: str, definition: FormDefinition) -> FormModel:
        _check_actions(definition)
        self._check_seminars(workspace_id, definition)
        return self.repository.create(workspace_id, ids.new_id("f_"), definition.model_dump(mode="json"),
                                      now=clock.now())

    def get(self, workspace_id: str, form_id: str) -> FormModel:
        return self.repository.require(workspace_id, form_id)

    def list_forms(self, workspace_id: str) -> list[FormModel]:
        return self.repository.all(workspace_id)

    def update(self, workspace_id: str, form_id: str, definition: FormDefinition) -> FormModel:
        _check_actions(definition)
        self._check_seminars(workspace_id, definition)
        form = self.get(workspace_id, form_id)
        self.repository.save_definition(form, definition.model_dump(mode="json"), now=clock.now())
        return form

    def delete(self, workspace_id: str, form_id: str) -> None:
        self.repository.delete(self.get(workspace_id, form_id))

    def resolve(self, form_id: str) -> FormModel | None:
        """The form behind a public URL (no workspace in it)."""
        workspace_id = self.repository.workspace_of(form_id)
        if workspace_id is None:
            return None
        try:
            return self.get(workspace_id, form_id)
        except NotFound:
            return None

    # ------------------------------------------------------------------ links
    def signer(self) -> tokens.LinkSigner:
        return tokens.LinkSigner(self.collab.secret_store())

    def mint_link(self, workspace_id: str, form_id: str, subscriber_id: str,
                  validity: timedelta = tokens.DEFAULT_VALIDITY) -> dict[str, Any]:
        self.get(workspace_id, form_id)
        self.collab.subscribers.require(workspace_id, subscriber_id)
        token = self.signer().mint(tokens.FORM, workspace_id, subscriber_id, form_id, validity)
        return {"url": form_url(form_id, token), "token": token,
                "expires_at": int(clock.epoch_seconds() + validity.total_seconds())}

    # ------------------------------------------------------------------ page
    def open(self, form_id: str, token: str | None) -> SubmitResult:
        """What GET /f/{form_id} shows: the empty form with a fresh nonce, or why it cannot be shown."""
        form = self.resolve(form_id)
        if form is None:
            return SubmitResult("not_found")
        definition = definition_of(form)
        if definition.status != "open":
            return SubmitResult("closed", form=form, definition=definition)
        if token:
            try:
                self.signer().verify(tokens.FORM, form.workspace_id, form_id, token)
            except tokens.TokenInvalid as exc:
                return SubmitResult("token_invalid", form=form, definition=definition, token_reason=exc.reason)
        return SubmitResult("invalid", form=form, definition=definition, nonce=pysecrets.token_urlsafe(16),
                            token=token or "", choices=self._choices(form.workspace_id, definition))

    def _choices(self, workspace_id: str, definition: FormDefinition) -> dict[str, list[tuple[str, str]]]:
        return {spec.key: self.collab.seminar_sessions().form_choices(workspace_id, spec.seminar_id)
                for spec in definition.fields if spec.type == "seminar_session" and spec.seminar_id}

    def _register_sessions(self, workspace_id: str, definition: FormDefinition, values: dict[str, Any],
                           subscriber_id: str) -> tuple[dict[str, FormSeat], dict[str, str]]:
        """Register the friend for each session field answered: (outcome by key, error by key). The registration
        is one transaction and the first thing a submission stores, so a refusal leaves nothing behind."""
        done: dict[str, FormSeat] = {}
        for spec in definition.fields:
            if spec.type != "seminar_session" or not spec.seminar_id or not values.get(spec.key):
                continue
            try:
                done[spec.key] = self.collab.seminar_sessions().form_register(
                    workspace_id, spec.seminar_id, str(values[spec.key]), subscriber_id)
            except HaishinError as exc:
                return done, {spec.key: exc.message}
        return done, {}

    # ------------------------------------------------------------------ submit
    def submit(self, form_id: str, data: dict[str, list[str]], *, ip: str = "", token: str | None = None
               ) -> SubmitResult:
        form = self.resolve(form_id)
        if form is None:
            return SubmitResult("not_found")
        definition = definition_of(form)
        workspace_id = form.workspace_id
        if definition.status != "open":
            return SubmitResult("closed", form=form, definition=definition)
        minute = clock.now().strftime("%Y%m%d%H%M")
        ip_key = hashlib.sha256(ip.encode()).hexdigest()[:24]
        if ip and self.once.count(f"form-ip#{form_id}#{ip_key}#{minute}", ttl=timedelta(minutes=5)) \
                > IP_LIMIT_PER_MINUTE:
            return SubmitResult("throttled", form=form, definition=definition)
        token = token or (data.get(TOKEN) or [""])[0] or None
        nonce = (data.get(NONCE) or [""])[0]
        if (data.get(HONEYPOT) or [""])[0].strip():
            log.info("form %s: honeypot filled; nothing stored", form_id)
            return self._thanks(form, definition, None, None, duplicate=False)
        binding = None
        if token:
            try:
                binding = self.signer().verify(tokens.FORM, workspace_id, form_id, token)
            except tokens.TokenInvalid as exc:
                return SubmitResult("token_invalid", form=form, definition=definition, token_reason=exc.reason)
        values, errors = validate(definition.fields, data)
        for spec in definition.fields:  # registering needs the friend: the signed link from LINE says who
            if spec.type == "seminar_session" and values.get(spec.key) and binding is None:
                errors.setdefault(spec.key, "セミナーのお申込みは、LINEで届いたリンクからフォームを開いてください。")
        if not nonce or len(nonce) > 100:
            nonce = nonce or pysecrets.token_urlsafe(16)
            errors.setdefault("_form", "ページの有効期限が切れました。もう一度送信してください。")
        if errors:
            return SubmitResult("invalid", form=form, definition=definition, values=values, errors=errors,
                                nonce=nonce, token=token or "", choices=self._choices(workspace_id, definition))
        submission_id = "fa_" + hashlib.sha256(f"{workspace_id}|{form_id}|{nonce}".encode()).hexdigest()[:26]
        claim_key = f"form-nonce#{workspace_id}#{form_id}#{nonce}"
        claim = self.once.claim(claim_key, ttl=timedelta(days=2), lease=timedelta(seconds=60))
        if not claim.acquired:  # sent twice (a double tap): the same page, a held seat's payment button too
            previous = claim.result or {}
            again = self._thanks(form, definition, submission_id, previous.get("subscriber_id"), duplicate=True)
            again.registrations = self._seats_again(workspace_id, previous)
            return again
        registrations: dict[str, FormSeat] = {}
        try:
            if binding is not None:
                registrations, errors = self._register_sessions(workspace_id, definition, values,
                                                                binding.subscriber_id)
            if errors:  # refused (deadline, already registered): nothing stored; the friend may pick again
                self.once.release(claim_key)
                return SubmitResult("invalid", form=form, definition=definition, values=values, errors=errors,
                                    nonce=nonce, token=token or "", choices=self._choices(workspace_id, definition))
            subscriber_id, unverified = self._apply(form, definition, values, submission_id,
                                                    binding.subscriber_id if binding else None)
        except BaseException:
            self.once.release(claim_key)
            raise
        seats = {spec.key: spec.seminar_id for spec in definition.fields if spec.key in registrations}
        self.once.complete(claim_key, {"subscriber_id": subscriber_id, "submission_id": submission_id,
                                       "seats": seats}, ttl=timedelta(days=2))
        result = self._thanks(form, definition, submission_id, subscriber_id, duplicate=False)
        result.unverified = unverified
        result.registrations = registrations
        return result

    def _seats_again(self, workspace_id: str, previous: dict[str, Any]) -> dict[str, FormSeat]:
        """The first submission's registrations as they stand now (kept as field key -> seminar: no payment
        link is stored; it is minted again for the page)."""
        subscriber_id = previous.get("subscriber_id")
        if not subscriber_id:
            return {}
        out: dict[str, FormSeat] = {}
        for key, event_id in (previous.get("seats") or {}).items():
            seat = self.collab.seminar_sessions().form_seat(workspace_id, str(event_id), str(subscriber_id))
            if seat is not None:
                out[str(key)] = seat
        return out

    def _thanks(self, form: FormModel, definition: FormDefinition, submission_id: str | None,
                subscriber_id: str | None, *, duplicate: bool) -> SubmitResult:
        redirect = str(definition.redirect_url) if definition.redirect_url else None
        return SubmitResult("redirect" if redirect else "thanks", form=form, definition=definition,
                            submission_id=submission_id, subscriber_id=subscriber_id, redirect_url=redirect,
                            duplicate=duplicate)

    def _subscriber_for(self, workspace_id: str, bound_id: str | None, contact: dict[str, str],
                        form_id: str, submission_id: str) -> tuple[SubscriberModel, bool]:
        """The friend an answer belongs to, and whether it is an unverified contact (see the module docstring).

        Unsigned submissions derive the new contact's ID from the submission, so a retry after a crash finds the
        contact its first attempt created (and its aliases are then its own, not a match)."""
        repo = self.collab.subscribers
        if bound_id:
            return repo.require(workspace_id, bound_id), False
        own_id = "s_" + hashlib.sha256(f"form-contact|{submission_id}".encode()).hexdigest()[:26]
        existing = repo.get(workspace_id, own_id)
        if existing is not None:
            return existing, existing.unverified_match is not None
        email, phone = contact.get("email"), contact.get("phone")
        for _ in range(2):
            matches = self._matches(workspace_id, email, phone)
            subscriber = repo.new(workspace_id, source="form", subscriber_id=own_id)
            if contact.get("display_name"):
                subscriber.display_name = contact["display_name"]
            aliases: list[tuple[str, str]] = []
            if matches:
                # someone else owns this address: a contact of its own, never a change to that friend
                subscriber.unverified_match = {
                    "matches": matches, "email": email, "phone": phone, "form_id": form_id,
                    "submission_id": submission_id, "at": iso(clock.now())}
            else:
                if email:
                    subscriber.email = email
                    aliases.append(("email", normalise_email(email)))
                if phone:
                    subscriber.phone = phone
                    aliases.append(("phone", normalise_phone(phone)))
            try:
                return repo.create(subscriber, aliases), bool(matches)
            except Conflict:  # a concurrent submit took the address meanwhile: look again (it is a match now)
                continue
        raise Conflict("the address kept changing owner; try again", where="form contact")

    def _matches(self, workspace_id: str, email: str | None, phone: str | None) -> dict[str, str]:
        repo = self.collab.subscribers
        found: dict[str, str] = {}
        for kind, value in (("email", normalise_email(email) if email else None),
                            ("phone", normalise_phone(phone) if phone else None)):
            if value:
                owner = repo.find_id_by_alias(workspace_id, kind, value)
                if owner:
                    found[kind] = owner
        return found

    def _apply(self, form: FormModel, definition: FormDefinition, values: dict[str, Any], submission_id: str,
               bound_id: str | None) -> tuple[str, bool]:
        workspace_id, form_id = form.workspace_id, form.form_id
        answers: dict[str, Any] = {}
        contact: dict[str, str] = {}
        field_actions: list[Any] = []
        by_key: dict[str, FormField] = {f.key: f for f in definition.fields}
        for key, raw in values.items():
            spec = by_key[key]
            value = typed_value(spec, raw)
            answers[key] = value
            if value is None:
                continue
            target = spec.target
            if spec.type == "seminar_session":  # a registration (done before), not a friend field
                continue
            if target in {"email", "phone", "display_name"}:
                contact[target] = str(value)
            else:
                field_actions.append(SetField(field=target.removeprefix("field:"), value=value))
        subscriber, unverified = self._subscriber_for(workspace_id, bound_id, contact, form_id, submission_id)
        subscriber_id = subscriber.subscriber_id
        # an unverified contact takes no address: it stays the matched friend's (kept in unverified_match)
        owned = {k: v for k, v in contact.items() if not (unverified and k in ("email", "phone"))}
        self._update_contact(workspace_id, subscriber, {**owned, "_form_id": form_id})
        actions = [*field_actions, *parse_actions(definition.actions)]
        runner = self.collab.action_runner()
        key = f"form:{submission_id}"
        runner.run(workspace_id, subscriber_id, actions, actor=f"form:{form_id}", idempotency_key=key)
        self.collab.first_steps.queue(workspace_id, subscriber_id, trigger=f"form:{form_id}")  # its start_scenario
        now = clock.now()
        self.repository.add_answer(workspace_id, form_id, submission_id, subscriber_id=subscriber_id,
                                   answers=answers, line_bound=bound_id is not None, at=now)
        self.collab.timeline.append(
            workspace_id, subscriber_id, "form_answered",
            {"form_id": form_id, "form_name": definition.name, "submission_id": submission_id, "answers": answers},
            actor="friend", at=now, entry_id=submission_id)
        self.collab.trigger(workspace_id, subscriber_id, "form_submitted",
                            {"form_id": form_id, "submission_id": submission_id, "answers": answers},
                            idempotency_key=key)
        self.collab.publish(workspace_id, "form_submitted",
                            {"subscriber_id": subscriber_id, "form_id": form_id, "form_name": definition.name,
                             "submission_id": submission_id, "answers": answers}, idempotency_key=key)
        if definition.auto_reply:
            self._auto_reply(workspace_id, form_id, definition, subscriber_id, submission_id)
        return subscriber_id, unverified

    def _update_contact(self, workspace_id: str, subscriber: SubscriberModel, contact: dict[str, str]) -> None:
        repo = self.collab.subscribers
        wanted: dict[str, str] = {}
        for kind in ("email", "phone"):
            value = contact.get(kind)
            if value and getattr(subscriber, kind) != value:
                if repo.add_alias(workspace_id, subscriber.subscriber_id, kind, value):
                    wanted[kind] = value
                else:
                    log.info("form: %s already belongs to another friend; not moved", kind)
        if contact.get("display_name") and not subscriber.display_name:
            wanted["display_name"] = contact["display_name"]
        form_id = contact.get("_form_id")

        def change(s: SubscriberModel) -> None:
            for attr, value in wanted.items():
                setattr(s, attr, value)
            if form_id:
                s.forms_answered = set(s.forms_answered or set()) | {form_id}

        repo.mutate(workspace_id, subscriber.subscriber_id, change)

    def _auto_reply(self, workspace_id: str, form_id: str, definition: FormDefinition, subscriber_id: str,
                    submission_id: str) -> None:
        subscriber = self.collab.subscribers.require(workspace_id, subscriber_id)
        if not subscriber.line:
            return
        try:
            text = renderer().text(definition.auto_reply or "", variables_for(subscriber),
                                   where=f"form {form_id} auto_reply")
        except ImportError:  # pragma: no cover - the renderer ships in the same layer
            text = definition.auto_reply or ""
        try:
            self.collab.line_messenger().queue_text(workspace_id, subscriber, text,
                                                   retry_key=ids.retry_key("form-auto-reply", submission_id),
                                                   channel_id=definition.channel_id)
        except Exception:  # the answer is stored; a failed courtesy message must not lose it
            log.exception("form %s: auto-reply failed", form_id)

    # ------------------------------------------------------------------ answers
    def answers(self, workspace_id: str, form_id: str, *, limit: int = 100, cursor: str | None = None
                ) -> tuple[list[FormAnswerModel], str | None]:
        self.get(workspace_id, form_id)
        items = self.repository.answers_page(workspace_id, form_id, limit=limit, before=cursor)
        return items, (items[-1].sk if len(items) == limit else None)

    def answers_csv(self, workspace_id: str, form_id: str) -> str:
        """All answers as CSV, UTF-8 with a BOM (Excel in Japan opens it correctly)."""
        definition = definition_of(self.get(workspace_id, form_id))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(neutralise_row(["回答日時", "友だちID", "LINE経由", *[f.label for f in definition.fields]]))
        for item in self.repository.all_answers(workspace_id, form_id):
            row = [iso(item.at), item.subscriber_id, "yes" if item.line_bound else "no"]
            for spec in definition.fields:
                value = (item.answers or {}).get(spec.key)
                text = "、".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
                row.append(text)
            writer.writerow(neutralise_row(row))  # no CSV formulas (csvio.cells)
        return "\ufeff" + out.getvalue()


__all__ = ["HONEYPOT", "NONCE", "TOKEN", "AddTag", "FormService", "SubmitResult", "form_url"]

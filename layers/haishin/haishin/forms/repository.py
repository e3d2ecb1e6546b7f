"""Forms in WorkspaceTable (the records are described in ``haishin.forms.models``): every DynamoDB read and write of
the forms feature. ``haishin.forms.service`` decides what a submission does; this module says how it is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from haishin.errors import Conflict
from haishin.forms.models import FormAnswerModel, FormLookupModel, FormModel, answers_pk, form_sk, lookup_pk
from haishin.storage.base import DefinitionRows, delete_together, iso, save_new_together
from haishin.workspaces.models import workspace_pk

_FORMS = DefinitionRows(FormModel, partition=workspace_pk, key=form_sk, id_attr="form_id",
                        missing="フォームが見つかりません", label="form")


class FormRepository:
    # ------------------------------------------------------------------ definitions
    def create(self, workspace_id: str, form_id: str, definition: dict[str, Any], *, now: datetime) -> FormModel:
        """The form (version 1) and its public lookup, in one transaction; neither may exist yet (Conflict
        otherwise)."""
        form = _FORMS.new(workspace_id, form_id, definition, now=now)
        lookup = FormLookupModel(pk=lookup_pk(form_id), sk="form", workspace_id=workspace_id, form_id=form_id)
        if not save_new_together(form, lookup):  # pragma: no cover - IDs are random
            raise Conflict("フォーム ID が重複しました。もう一度お試しください", where="form_id")
        form.version = 1
        return form

    def require(self, workspace_id: str, form_id: str) -> FormModel:
        return _FORMS.require(workspace_id, form_id)

    def all(self, workspace_id: str) -> list[FormModel]:
        return _FORMS.all(workspace_id)

    def save_definition(self, form: FormModel, definition: dict[str, Any], *, now: datetime) -> None:
        """A new definition on the version read (``version``: a concurrent edit makes this a Conflict)."""
        _FORMS.save_definition(form, definition, now=now,
                               conflict="フォームがほかの操作で変わりました。再読み込みしてからもう一度お試しください")

    def delete(self, form: FormModel) -> None:
        """The form and its public lookup, in one transaction (its answers stay)."""
        delete_together(form, FormLookupModel(pk=lookup_pk(form.form_id), sk="form", workspace_id=form.workspace_id,
                                              form_id=form.form_id))

    def workspace_of(self, form_id: str) -> str | None:
        """The workspace behind a public form ID (``/f/<form_id>`` carries none); None for an unknown form."""
        try:
            return FormLookupModel.get(lookup_pk(form_id), "form").workspace_id
        except FormLookupModel.DoesNotExist:
            return None

    # ------------------------------------------------------------------ answers
    def add_answer(self, workspace_id: str, form_id: str, submission_id: str, *, subscriber_id: str,
                   answers: dict[str, Any], line_bound: bool, at: datetime) -> FormAnswerModel:
        """One answer (its sort key is time then submission, so a retry of the same submission at the same time
        overwrites itself)."""
        item = FormAnswerModel(pk=answers_pk(workspace_id, form_id), sk=f"{iso(at)}#{submission_id}",
                               workspace_id=workspace_id, form_id=form_id, submission_id=submission_id,
                               subscriber_id=subscriber_id, answers=answers, line_bound=line_bound, at=at)
        item.save()
        return item

    def answers_page(self, workspace_id: str, form_id: str, *, limit: int, before: str | None = None
                     ) -> list[FormAnswerModel]:
        """Up to ``limit`` answers, newest first, older than the cursor ``before`` (an answer's sort key)."""
        condition = FormAnswerModel.sk < before if before else None
        return list(FormAnswerModel.query(answers_pk(workspace_id, form_id), condition, scan_index_forward=False,
                                          limit=limit))

    def all_answers(self, workspace_id: str, form_id: str) -> Iterator[FormAnswerModel]:
        """Every answer, oldest first (read page by page as the caller iterates)."""
        yield from FormAnswerModel.query(answers_pk(workspace_id, form_id), scan_index_forward=True)


__all__ = ["FormRepository"]

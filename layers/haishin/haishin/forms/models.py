"""Form records in WorkspaceTable.

- form:    pk ``ws#<workspace_id>`` sk ``form#<form_id>`` (the definition, JSON)
- lookup:  pk ``form#<form_id>`` sk ``form`` -> workspace (GET /f/{form_id} carries no workspace)
- answer:  pk ``answers#<workspace_id>#<form_id>`` sk ``<iso time>#<submission_id>`` (its own partition per form,
           so busy forms never heat the workspace's configuration partition)
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, VersionAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta


def form_sk(form_id: str) -> str:
    return f"form#{form_id}"


def lookup_pk(form_id: str) -> str:
    return f"form#{form_id}"


def answers_pk(workspace_id: str, form_id: str) -> str:
    return f"answers#{workspace_id}#{form_id}"


class FormModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    form_id = UnicodeAttribute()
    definition = JSONTextAttribute()  # haishin.forms.inputs.FormDefinition as JSON
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class FormLookupModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="form")
    workspace_id = UnicodeAttribute()
    form_id = UnicodeAttribute()


class FormAnswerModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    form_id = UnicodeAttribute()
    submission_id = UnicodeAttribute()
    subscriber_id = UnicodeAttribute()
    answers = JSONTextAttribute()  # field key -> typed value
    line_bound = BooleanAttribute(default=False)  # came through a signed LINE link
    at = UTCDateTimeAttribute()

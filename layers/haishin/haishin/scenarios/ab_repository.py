"""Recipients of a scenario step's A/B variants (WorkspaceTable; docs/production/stepab.md).

- counter: pk ``stepab#<workspace_id>#<scenario_id>`` sk ``<step_id>#v<n>``: ``recipients`` (ADD, atomic)
- friend:  pk ``stepabfriend#<workspace_id>#<scenario_id>#<step_id>`` sk ``<subscriber_id>``: this friend was
           counted (with the variant), written in the same transaction as the ADD, on condition it is new. So a
           friend counts once per step: a retried delivery, a re-processed message, a second channel of the same
           step or a later cycle never counts twice, and recipients are unique friends as the clicks they are
           divided into are (``haishin.track``: unique friends per step variant).
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, add_once_per_marker, model_meta


def counter_pk(workspace_id: str, scenario_id: str) -> str:
    return f"stepab#{workspace_id}#{scenario_id}"


def friend_pk(workspace_id: str, scenario_id: str, step_id: str) -> str:
    return f"stepabfriend#{workspace_id}#{scenario_id}#{step_id}"


class StepAbCounter(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    recipients = NumberAttribute(null=True)


class StepAbFriend(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    variant = NumberAttribute()
    first_at = UTCDateTimeAttribute()


class StepAbRepository:
    def count_recipient(self, workspace_id: str, scenario_id: str, step_id: str, variant: int,
                        subscriber_id: str, now: datetime) -> bool:
        """Count ``subscriber_id`` as a recipient of ``variant``; False when they were counted already."""
        return add_once_per_marker(
            StepAbFriend(pk=friend_pk(workspace_id, scenario_id, step_id), sk=subscriber_id, variant=variant,
                         first_at=now),
            StepAbCounter(pk=counter_pk(workspace_id, scenario_id), sk=f"{step_id}#v{variant}"),
            [StepAbCounter.recipients.add(1)])

    def recipients(self, workspace_id: str, scenario_id: str, step_id: str) -> dict[int, int]:
        """Recipients per variant index of one step."""
        out: dict[int, int] = {}
        prefix = f"{step_id}#v"
        for item in StepAbCounter.query(counter_pk(workspace_id, scenario_id), StepAbCounter.sk.startswith(prefix)):
            tail = item.sk[len(prefix):]
            if tail.isdigit():
                out[int(tail)] = int(item.recipients or 0)
        return out


__all__ = ["StepAbRepository"]

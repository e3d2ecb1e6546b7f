"""The demo's scenario and form, created through the same services the admin API uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from haishin.forms.inputs import FormDefinition, FormField
from haishin.scenarios.models import parse_scenario
from haishin.wiring import services

DEMO_SCENARIO_ID = "scn_demo_welcome"


def seed_scenario(workspace_id: str, path: Path) -> str:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["id"] = DEMO_SCENARIO_ID
    scenario = services().scenarios.save(workspace_id, parse_scenario(raw), actor="seed")
    return str(scenario.id)


def seed_form(workspace_id: str) -> str:
    definition = FormDefinition(
        name="来店予約アンケート",
        title="ご来店前アンケート",
        description="ご予約の前に、いくつか教えてください。所要時間は1分ほどです。",
        fields=[
            FormField(key="name", label="お名前", type="text", required=True, maps_to="display_name"),
            FormField(key="email", label="メールアドレス", type="email", required=True),
            FormField(key="phone", label="電話番号", type="phone"),
            FormField(key="menu", label="ご希望のメニュー", type="radio", required=True,
                      options=["カット", "カラー", "パーマ", "トリートメント"]),
            FormField(key="visit_date", label="ご希望日", type="date"),
            FormField(key="request", label="ご要望", type="textarea"),
        ],
        actions=[{"type": "add_tag", "tag": "アンケート回答"}],
        auto_reply="{{ name | default('お客様', true) }}さん、アンケートへのご回答ありがとうございました。",
    )
    return str(services().forms.create(workspace_id, definition).form_id)

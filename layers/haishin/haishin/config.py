"""Settings read from the environment that template.yaml (or the local runtime) sets.

Stdlib only: the webhook path imports this, and it must stay cheap to import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

# Table names default to their logical IDs in template.yaml: the local runtime creates them under those names.
TABLE_ENV_DEFAULTS = {
    "WORKSPACE_TABLE": "WorkspaceTable",
    "SUBSCRIBERS_TABLE": "SubscribersTable",
    "ENROLLMENTS_TABLE": "EnrollmentsTable",
    "LEDGER_TABLE": "LedgerTable",
    "TIMELINE_TABLE": "TimelineTable",
    "IDEMPOTENCY_TABLE": "IdempotencyTable",
}


def table_name(env_var: str) -> str:
    return os.environ.get(env_var) or TABLE_ENV_DEFAULTS[env_var]


@dataclass(frozen=True)
class Settings:
    stage: str
    line_events_queue_url: str
    delivery_queue_url: str
    planner_queue_url: str
    webhook_queue_url: str
    line_api_base: str
    line_data_api_base: str
    stripe_api_base: str
    secrets_prefix: str
    scheduler_group: str
    scheduler_role_arn: str
    scheduler_dlq_arn: str
    broadcast_planner_arn: str
    public_base_url: str
    max_webhook_body_bytes: int
    default_time_zone: str
    line_login_base: str = "https://access.line.me"  # LINE Login's authorize screen (the token API is line_api_base)
    liff_mock: bool = False  # LIFF pages use LINE's LIFF mock plugin with the LINE emulator (local runtime only)

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            stage=env.get("STAGE", "local"),
            line_events_queue_url=env.get("LINE_EVENTS_QUEUE_URL", ""),
            delivery_queue_url=env.get("DELIVERY_QUEUE_URL", ""),
            planner_queue_url=env.get("PLANNER_QUEUE_URL", ""),
            webhook_queue_url=env.get("WEBHOOK_QUEUE_URL", ""),
            line_api_base=env.get("LINE_API_BASE", "https://api.line.me"),
            line_data_api_base=env.get("LINE_DATA_API_BASE", "https://api-data.line.me"),
            stripe_api_base=env.get("STRIPE_API_BASE", "https://api.stripe.com"),
            secrets_prefix=env.get("SECRETS_PREFIX", "haishin/local"),
            scheduler_group=env.get("SCHEDULER_GROUP", "default"),
            scheduler_role_arn=env.get("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/haishin-scheduler"),
            scheduler_dlq_arn=env.get("SCHEDULER_DLQ_ARN", ""),
            broadcast_planner_arn=env.get(
                "BROADCAST_PLANNER_ARN", "arn:aws:lambda:us-east-1:123456789012:function:BroadcastPlannerFunction"
            ),
            public_base_url=env.get("PUBLIC_BASE_URL", "").rstrip("/"),
            max_webhook_body_bytes=int(env.get("MAX_WEBHOOK_BODY_BYTES", str(1024 * 1024))),
            default_time_zone=env.get("DEFAULT_TIME_ZONE", "Asia/Tokyo"),
            line_login_base=env.get("LINE_LOGIN_BASE", "https://access.line.me").rstrip("/"),
            liff_mock=env.get("LIFF_MOCK") == "1",
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


def reset_settings_cache() -> None:
    """Tests and the local runtime change the environment; they call this afterwards."""
    settings.cache_clear()

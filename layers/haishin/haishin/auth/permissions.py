"""The permission matrix. It lives here and nowhere else: routes declare a Permission, roles grant sets of them."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_SUBSCRIBERS = "view_subscribers"
    EDIT_SUBSCRIBERS = "edit_subscribers"
    VIEW_LINE_USER_IDS = "view_line_user_ids"  # personal data: salon systems gate exactly this
    IMPORT_CSV = "import_csv"
    EXPORT_CSV = "export_csv"
    CHAT = "chat"
    VIEW_SCENARIOS = "view_scenarios"
    EDIT_SCENARIOS = "edit_scenarios"
    VIEW_BROADCASTS = "view_broadcasts"
    SEND_BROADCASTS = "send_broadcasts"
    MANAGE_AUTO_REPLIES = "manage_auto_replies"
    MANAGE_FORMS = "manage_forms"
    VIEW_PAYMENTS = "view_payments"
    MANAGE_PAYMENTS = "manage_payments"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_OPERATORS = "manage_operators"
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_DELIVERIES = "view_deliveries"
    MANAGE_DELIVERIES = "manage_deliveries"  # replay dead letters
    MANAGE_WEBHOOKS = "manage_webhooks"  # outgoing webhook endpoints: where friends' data is sent, and their secrets


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


ALL = frozenset(Permission)

# Permissions only an owner may hand out (grant to anyone, or give through the owner role): the audit log watches
# what admins do, and managing operators decides who gets in. docs/production/auth.md says why.
# Webhook endpoints decide where friends' data leaves the system (and hold signing secrets): owner-only too.
OWNER_ONLY = frozenset({Permission.VIEW_AUDIT_LOG, Permission.MANAGE_OPERATORS, Permission.MANAGE_WEBHOOKS})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: ALL,
    Role.ADMIN: ALL - {Permission.VIEW_AUDIT_LOG, Permission.MANAGE_WEBHOOKS},
    Role.OPERATOR: frozenset(
        {
            Permission.VIEW_DASHBOARD,
            Permission.VIEW_SUBSCRIBERS,
            Permission.EDIT_SUBSCRIBERS,
            Permission.CHAT,
            Permission.VIEW_SCENARIOS,
            Permission.VIEW_BROADCASTS,
            Permission.SEND_BROADCASTS,
            Permission.MANAGE_AUTO_REPLIES,
            Permission.MANAGE_FORMS,
            Permission.VIEW_PAYMENTS,
            Permission.VIEW_DELIVERIES,
            Permission.IMPORT_CSV,
        }
    ),
    Role.VIEWER: frozenset(
        {
            Permission.VIEW_DASHBOARD,
            Permission.VIEW_SUBSCRIBERS,
            Permission.VIEW_SCENARIOS,
            Permission.VIEW_BROADCASTS,
            Permission.VIEW_PAYMENTS,
            Permission.VIEW_DELIVERIES,
        }
    ),
}


def effective_permissions(
    role: Role, granted: frozenset[Permission] = frozenset(), denied: frozenset[Permission] = frozenset()
) -> frozenset[Permission]:
    """A role's permissions, plus per-operator grants, minus per-operator denials (denial wins)."""
    return (ROLE_PERMISSIONS[role] | granted) - denied

/**
 * Shared by the operator, audit-log and Stripe-key screens: the permission matrix as the admin shows it
 * (mirror of layers/haishin/haishin/auth/permissions.py, which stays the authority: the API re-checks
 * everything) and field errors that also match list items ("webhook_secrets.0" -> "webhook_secrets").
 */
import type { Role } from "../../auth";

/** Every Permission value, in the order the backend's enum lists them (grouped by area). */
export const PERMISSIONS = [
  "view_dashboard",
  "view_subscribers",
  "edit_subscribers",
  "view_line_user_ids",
  "import_csv",
  "export_csv",
  "chat",
  "view_scenarios",
  "edit_scenarios",
  "view_broadcasts",
  "send_broadcasts",
  "manage_auto_replies",
  "manage_forms",
  "view_payments",
  "manage_payments",
  "manage_channels",
  "manage_settings",
  "manage_operators",
  "view_audit_log",
  "view_deliveries",
  "manage_deliveries",
  "manage_webhooks",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const OPERATOR: readonly Permission[] = [
  "view_dashboard", "view_subscribers", "edit_subscribers", "chat", "view_scenarios", "view_broadcasts",
  "send_broadcasts", "manage_auto_replies", "manage_forms", "view_payments", "view_deliveries", "import_csv",
];
const VIEWER: readonly Permission[] = [
  "view_dashboard", "view_subscribers", "view_scenarios", "view_broadcasts", "view_payments", "view_deliveries",
];

/** ROLE_PERMISSIONS of the backend. */
export const ROLE_DEFAULTS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(PERMISSIONS.filter((p) => p !== "view_audit_log" && p !== "manage_webhooks")),
  operator: new Set(OPERATOR),
  viewer: new Set(VIEWER),
};

/** (role defaults + granted) - denied: denial wins, as effective_permissions() does. */
export function effective(role: Role, granted: readonly string[], denied: readonly string[]): Set<string> {
  const out = new Set<string>([...(ROLE_DEFAULTS[role] ?? []), ...granted]);
  for (const d of denied) out.delete(d);
  return out;
}

/**
 * Toggle one permission for a role: stores only the differences from the role's default
 * (granted = on although the role lacks it; denied = off although the role has it).
 */
export function toggle(
  role: Role,
  perm: Permission,
  on: boolean,
  granted: readonly string[],
  denied: readonly string[],
): { granted: string[]; denied: string[] } {
  const byRole = ROLE_DEFAULTS[role]?.has(perm) ?? false;
  const g = granted.filter((p) => p !== perm);
  const d = denied.filter((p) => p !== perm);
  if (on && !byRole) g.push(perm);
  if (!on && byRole) d.push(perm);
  return { granted: g, denied: d };
}

/** Drop overrides that no longer differ from the (new) role's defaults. */
export function normalise(role: Role, granted: readonly string[], denied: readonly string[]): { granted: string[]; denied: string[] } {
  const defaults = ROLE_DEFAULTS[role] ?? new Set<string>();
  return {
    granted: granted.filter((p) => !defaults.has(p as Permission)),
    denied: denied.filter((p) => defaults.has(p as Permission)),
  };
}


/**
 * An e-mail as a URL path segment. Characters a path segment allows as they are ("@", "+", ...) are left
 * unencoded: the API matches the raw path segment against the stored address (it does not percent-decode it).
 */
export function emailSegment(email: string): string {
  return encodeURIComponent(email).replace(/%(40|2B|21|24|26|27|28|29|2A|2C|3B|3D|3A)/gi, (m) => decodeURIComponent(m));
}

/**
 * 設定 → オペレーターと権限: list, invite, change role / permissions / channel limit, remove.
 * GET/POST /api/operators, PATCH/DELETE /api/operators/{email}. Owners and admins only (registry roles;
 * the API checks manage_operators again). Inputs are named as the API body fields, so an error the API
 * names in `where` (email, role, granted, denied, channel_id) is shown at that field.
 */
import { useEffect, useState } from "preact/hooks";
import { toApiError, type ApiError } from "../../api";
import { ROLES, type Role } from "../../auth";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t, type DictKey } from "../../i18n";
import { useForm } from "../../lib/useForm";
import { effective, emailSegment, fieldError, normalise, PERMISSIONS, ROLE_DEFAULTS, toggle } from "./operatorsShared";
import { ConfirmButton, Field, formatDateTime } from "./ui";
import "./operators.css";

export interface Operator {
  email: string;
  display_name: string | null;
  role: Role;
  granted: string[];
  denied: string[];
  channel_id: string | null;
  status: string;
  invited_at: string;
  invited_by: string | null;
}
interface Channel {
  channel_id: string;
  name: string | null;
}

/** The API's (English) message at a field, in the user's language for the cases marketers meet. */
function localFieldError(error: ApiError | null, field: string): string | undefined {
  const msg = fieldError(error, field);
  if (!msg || !error) return msg;
  if (field === "email" && error.status === 409) return t("ops.err.exists");
  if (field === "email" && error.status === 422) return t("ops.err.email");
  if (field === "role" && error.status === 403) return t("ops.err.ownerOnly");
  return msg;
}

const permLabel = (p: string) => t(`perm.${p}` as DictKey);
const roleLabel = (r: string) => t(`role.${r}` as DictKey);

/** One checkbox per permission; checked = what the operator will be able to do. Overrides are marked. */
function PermissionBoxes({
  role,
  granted,
  denied,
  onChange,
  error,
  idPrefix,
}: {
  role: Role;
  granted: string[];
  denied: string[];
  onChange: (next: { granted: string[]; denied: string[] }) => void;
  error: string | undefined;
  idPrefix: string;
}) {
  const on = effective(role, granted, denied);
  const locked = role === "owner"; // an owner always has everything
  return (
    <fieldset class={`perm-grid${error ? " field--error" : ""}`} data-field="granted" data-testid={`${idPrefix}-permissions`}>
      <legend class="field__label">{t("ops.permissions")}</legend>
      <p class="muted" style={{ fontSize: "12px", margin: "0 0 6px" }}>{t("ops.permissions.hint")}</p>
      <div class="perm-grid__list">
        {PERMISSIONS.map((p) => {
          const byRole = ROLE_DEFAULTS[role].has(p);
          const changed = granted.includes(p) || denied.includes(p);
          return (
            <label key={p} class={`perm${changed ? " perm--changed" : ""}`}>
              <input
                type="checkbox"
                name="permissions"
                value={p}
                data-permission={p}
                checked={on.has(p)}
                disabled={locked}
                onChange={(e) => onChange(toggle(role, p, (e.target as HTMLInputElement).checked, granted, denied))}
              />
              <span>{permLabel(p)}</span>
              {changed && <span class={`badge ${byRole ? "badge--warn" : "badge--ok"}`}>{byRole ? t("ops.denied") : t("ops.granted")}</span>}
            </label>
          );
        })}
      </div>
      {error && <span class="field__error" role="alert" data-field-error="granted">{error}</span>}
    </fieldset>
  );
}

function ChannelSelect({ channels, value, onChange, error }: { channels: Channel[] | null; value: string; onChange: (v: string) => void; error: string | undefined }) {
  return (
    <Field label={t("ops.channel")} hint={t("ops.channel.hint")} error={error} id="channel_id">
      {channels ? (
        <select name="channel_id" value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)} aria-invalid={error ? true : undefined}>
          <option value="">{t("ops.channel.all")}</option>
          {value && !channels.some((c) => c.channel_id === value) && <option value={value}>{value}</option>}
          {channels.map((c) => (
            <option key={c.channel_id} value={c.channel_id}>{c.name ? `${c.name} (${c.channel_id})` : c.channel_id}</option>
          ))}
        </select>
      ) : (
        <input name="channel_id" inputMode="numeric" value={value} placeholder={t("ops.channel.all")} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />
      )}
    </Field>
  );
}

function RoleSelect({ value, onChange, error, canOwner }: { value: Role; onChange: (r: Role) => void; error: string | undefined; canOwner: boolean }) {
  return (
    <Field label={t("ops.role")} hint={t(`ops.role.hint.${value}` as DictKey)} error={error} id="role">
      <select name="role" value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as Role)} aria-invalid={error ? true : undefined}>
        {ROLES.filter((r) => canOwner || r !== "owner" || value === "owner").map((r) => (
          <option key={r} value={r}>{roleLabel(r)}</option>
        ))}
      </select>
    </Field>
  );
}

type InviteValues = { email: string; display_name: string; role: Role; channel_id: string; granted: string[]; denied: string[] };
const EMPTY_INVITE: InviteValues = { email: "", display_name: "", role: "operator", channel_id: "", granted: [], denied: [] };

function InviteForm({ channels, canOwner, onInvited }: { channels: Channel[] | null; canOwner: boolean; onInvited: (o: Operator) => void }) {
  const { api } = useApp();
  const form = useForm<InviteValues>(EMPTY_INVITE, "settings.operators.invite");
  const v = form.values;
  const err = (f: string) => localFieldError(form.error, f);
  const setRole = (r: Role) => {
    const n = normalise(r, v.granted, v.denied);
    form.set("role", r);
    form.set("granted", n.granted);
    form.set("denied", n.denied);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await form.submit((x) =>
      api.post<Operator>("/api/operators", {
        email: x.email.trim(), role: x.role, display_name: x.display_name.trim() || null,
        granted: x.granted, denied: x.denied, channel_id: x.channel_id || null,
      }),
    );
    if (r) {
      for (const [k, val] of Object.entries(EMPTY_INVITE)) form.set(k as keyof InviteValues, val as never);
      onInvited(r);
    }
  };
  return (
    <form class="form stack" onSubmit={submit} noValidate data-testid="operator-invite">
      <div class="grid2">
        <Field label={t("ops.email")} error={err("email")} id="email">
          <input type="email" name="email" autoComplete="off" required maxLength={254} value={v.email} onInput={(e) => form.set("email", (e.target as HTMLInputElement).value)} aria-invalid={err("email") ? true : undefined} />
        </Field>
        <Field label={t("ops.displayName")} error={err("display_name")} id="display_name">
          <input name="display_name" maxLength={100} value={v.display_name} onInput={(e) => form.set("display_name", (e.target as HTMLInputElement).value)} />
        </Field>
        <RoleSelect value={v.role} onChange={setRole} error={err("role")} canOwner={canOwner} />
        <ChannelSelect channels={channels} value={v.channel_id} onChange={(c) => form.set("channel_id", c)} error={err("channel_id")} />
      </div>
      <PermissionBoxes
        role={v.role} granted={v.granted} denied={v.denied} idPrefix="invite" error={err("granted") ?? err("denied")}
        onChange={(n) => (form.set("granted", n.granted), form.set("denied", n.denied))}
      />
      <ErrorNotice error={form.error} />
      <div class="row">
        <button type="submit" class="btn" disabled={form.submitting || !v.email.trim()} data-testid="operator-invite-submit">
          {form.submitting ? t("common.saving") : t("ops.invite.submit")}
        </button>
      </div>
    </form>
  );
}

type EditValues = { role: Role; channel_id: string; granted: string[]; denied: string[] };

function EditOperator({ op, channels, canOwner, onSaved, onCancel }: { op: Operator; channels: Channel[] | null; canOwner: boolean; onSaved: (o: Operator) => void; onCancel: () => void }) {
  const { api } = useApp();
  const form = useForm<EditValues>({ role: op.role, channel_id: op.channel_id ?? "", granted: op.granted, denied: op.denied }, `settings.operators.edit.${op.email}`);
  const v = form.values;
  const err = (f: string) => localFieldError(form.error, f);
  const setRole = (r: Role) => {
    const n = normalise(r, v.granted, v.denied);
    form.set("role", r);
    form.set("granted", n.granted);
    form.set("denied", n.denied);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await form.submit((x) =>
      api.patch<Operator>(`/api/operators/${emailSegment(op.email)}`, {
        role: x.role, granted: x.granted, denied: x.denied,
        ...(x.channel_id ? { channel_id: x.channel_id } : { clear_channel: true }),
      }),
    );
    if (r) onSaved(r);
  };
  return (
    <form class="form stack" onSubmit={submit} noValidate data-testid="operator-edit">
      <div class="grid2">
        <RoleSelect value={v.role} onChange={setRole} error={err("role")} canOwner={canOwner} />
        <ChannelSelect channels={channels} value={v.channel_id} onChange={(c) => form.set("channel_id", c)} error={err("channel_id")} />
      </div>
      <PermissionBoxes
        role={v.role} granted={v.granted} denied={v.denied} idPrefix="edit" error={err("granted") ?? err("denied")}
        onChange={(n) => (form.set("granted", n.granted), form.set("denied", n.denied))}
      />
      <ErrorNotice error={form.error} />
      <div class="row">
        <button type="submit" class="btn" disabled={form.submitting} data-testid="operator-save">{form.submitting ? t("common.saving") : t("common.save")}</button>
        <button type="button" class="btn btn--ghost" onClick={onCancel}>{t("common.cancel")}</button>
      </div>
    </form>
  );
}

function statusBadge(status: string) {
  const cls = status === "active" ? "badge--ok" : status === "invited" ? "badge--warn" : "";
  const key = `ops.status.${status}` as DictKey;
  const label = t(key);
  return <span class={`badge ${cls}`} data-status={status}>{label === key ? status : label}</span>;
}

function overrides(op: Operator) {
  if (!op.granted.length && !op.denied.length) return <span class="muted">{t("ops.byRole")}</span>;
  return (
    <>
      {op.granted.map((p) => <span class="tag" key={`g${p}`} data-granted={p}>＋{permLabel(p)}</span>)}
      {op.denied.map((p) => <span class="tag tag--denied" key={`d${p}`} data-denied={p}>－{permLabel(p)}</span>)}
    </>
  );
}

export default function OperatorsScreen() {
  const { api, session } = useApp();
  const [ops, setOps] = useState<Operator[] | null>(null);
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [rowError, setRowError] = useState<{ email: string; error: ApiError } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canOwner = session.role === "owner";

  const load = () => api.get<{ items: Operator[] }>("/api/operators").then((r) => (setOps(r.items), setError(null)), setError);
  useEffect(() => {
    void load();
    api.get<{ channels: Channel[] }>("/api/channels").then((r) => setChannels(r.channels), () => setChannels(null));
  }, []);

  const replace = (o: Operator) => setOps((cur) => (cur ?? []).filter((x) => x.email !== o.email).concat(o).sort((a, b) => a.email.localeCompare(b.email)));
  const remove = async (op: Operator) => {
    setBusy(op.email);
    setRowError(null);
    try {
      await api.delete(`/api/operators/${emailSegment(op.email)}`);
      setOps((cur) => (cur ?? []).filter((x) => x.email !== op.email));
      setNotice(t("ops.removed").replace("{email}", op.email));
    } catch (e) {
      setRowError({ email: op.email, error: toApiError(e) });
    } finally {
      setBusy(null);
    }
  };
  const channelName = (id: string | null) => {
    if (!id) return <span class="muted">{t("ops.channel.all")}</span>;
    const c = channels?.find((x) => x.channel_id === id);
    return c?.name ? `${c.name} (${id})` : id;
  };

  return (
    <>
      <PageHeader title={t("nav.operators")} lead={t("screen.operators.lead")} />
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      <section class="card" data-testid="operators-list">
        <h2 class="card__title">{t("ops.list")}</h2>
        {notice && <p class="notice notice--info" role="status" data-testid="operators-notice">{notice}</p>}
        {!ops && !error && <p class="muted">{t("app.loading")}</p>}
        {ops && ops.length === 0 && <p class="muted">{t("ops.empty")}</p>}
        {ops && ops.length > 0 && (
          <div class="table-wrap">
            <table class="table table--cards">
              <thead>
                <tr>
                  <th>{t("ops.email")}</th>
                  <th>{t("ops.role")}</th>
                  <th>{t("ops.status")}</th>
                  <th>{t("ops.channel")}</th>
                  <th>{t("ops.overrides")}</th>
                  <th><span class="visually-hidden">{t("ops.actions")}</span></th>
                </tr>
              </thead>
              <tbody>
                {ops.map((op) => (
                  <>
                    <tr key={op.email} data-testid="operator-row" data-email={op.email}>
                      <td>
                        <strong class="break">{op.email}</strong>
                        {op.display_name && <div class="muted" style={{ fontSize: "12px" }}>{op.display_name}</div>}
                        <div class="muted" style={{ fontSize: "12px" }}>{t("ops.invitedAt")} {formatDateTime(op.invited_at)}</div>
                      </td>
                      <td data-label={t("ops.role")}><span class="badge badge--role">{roleLabel(op.role)}</span></td>
                      <td data-label={t("ops.status")}>{statusBadge(op.status)}</td>
                      <td data-label={t("ops.channel")}>{channelName(op.channel_id)}</td>
                      <td data-label={t("ops.overrides")}>{overrides(op)}</td>
                      <td>
                        <div class="row">
                          <button type="button" class="btn btn--small btn--ghost" onClick={() => setEditing(editing === op.email ? null : op.email)} aria-expanded={editing === op.email} data-testid="operator-edit-toggle">
                            {t("ops.edit")}
                          </button>
                          {op.email !== session.email.toLowerCase() && (
                            <ConfirmButton
                              label={t("common.remove")} confirmLabel={t("ops.remove.confirm")} question={t("ops.remove.question")}
                              busy={busy === op.email} onConfirm={() => void remove(op)} testId="operator-remove"
                            />
                          )}
                        </div>
                        {rowError?.email === op.email && <ErrorNotice error={rowError.error} onDismiss={() => setRowError(null)} />}
                      </td>
                    </tr>
                    {editing === op.email && (
                      <tr key={`${op.email}-edit`} class="table__detail">
                        <td colSpan={6}>
                          <EditOperator op={op} channels={channels} canOwner={canOwner} onCancel={() => setEditing(null)}
                            onSaved={(o) => (replace(o), setEditing(null), setNotice(t("ops.saved").replace("{email}", o.email)))} />
                        </td>
                      </tr>
                    )}
                  </>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card">
        <h2 class="card__title">{t("ops.invite.title")}</h2>
        <p class="muted" style={{ marginTop: 0 }}>{t("ops.invite.lead")}</p>
        <InviteForm channels={channels} canOwner={canOwner} onInvited={(o) => (replace(o), setNotice(t("ops.invited").replace("{email}", o.email)))} />
      </section>
    </>
  );
}

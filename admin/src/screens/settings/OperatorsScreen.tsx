/**
 * 設定 → オペレーターと権限: list, invite, change role / permissions / channel limit, remove.
 * GET/POST /api/operators, PATCH/DELETE /api/operators/{email}. Owners and admins only (registry roles;
 * the API checks manage_operators again). Inputs are named as the API body fields, so an error the API
 * names in `where` (email, role, granted, denied, channel_id) is shown at that field.
 */
import { useState } from "preact/hooks";
import type { ApiError } from "../../api";
import { ROLES, type Role } from "../../auth";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { choices, SelectField, TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { useApiGet } from "../../components/ResourceScreen";
import { Table } from "../../components/Table";
import { useApp } from "../../context";
import { t, type DictKey } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { type FormState, useForm } from "../../lib/useForm";
import { effective, emailSegment, normalise, PERMISSIONS, ROLE_DEFAULTS, toggle } from "./operatorsShared";
import { formatDateTime } from "./ui";
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
  const msg = fieldErrors(error).at(field);
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
  const common = { label: t("ops.channel"), hint: t("ops.channel.hint"), name: "channel_id", value, error, onValue: onChange };
  if (!channels) return <TextField {...common} placeholder={t("ops.channel.all")} />;
  const known = channels.some((c) => c.channel_id === value);
  const options: [string, string][] = [
    ["", t("ops.channel.all")],
    ...(value && !known ? [[value, value] as [string, string]] : []),
    ...channels.map((c): [string, string] => [c.channel_id, c.name ? `${c.name} (${c.channel_id})` : c.channel_id]),
  ];
  return <SelectField {...common} options={options} />;
}

/** Who the operator is allowed to be: role, channel limit, permissions (shared by the invitation and the edit). */
type Access = { role: Role; channel_id: string; granted: string[]; denied: string[] };

function AccessFields<T extends Access>({ form, channels, canOwner, err, idPrefix }: { form: FormState<T>; channels: Channel[] | null; canOwner: boolean; err: (f: string) => string | undefined; idPrefix: string }) {
  const v = form.values;
  const set = <K extends keyof Access>(k: K, value: Access[K]) => form.set(k, value as T[K]);
  const setRole = (r: Role) => {
    const n = normalise(r, v.granted, v.denied);
    set("role", r);
    set("granted", n.granted);
    set("denied", n.denied);
  };
  const roles = ROLES.filter((r) => canOwner || r !== "owner" || v.role === "owner");
  return (
    <>
      <div class="grid2">
        <SelectField label={t("ops.role")} hint={t(`ops.role.hint.${v.role}` as DictKey)} name="role" value={v.role} error={err("role")} options={choices(roles, roleLabel)} onValue={setRole} />
        <ChannelSelect channels={channels} value={v.channel_id} onChange={(c) => set("channel_id", c)} error={err("channel_id")} />
      </div>
      <PermissionBoxes
        role={v.role} granted={v.granted} denied={v.denied} idPrefix={idPrefix} error={err("granted") ?? err("denied")}
        onChange={(n) => (set("granted", n.granted), set("denied", n.denied))}
      />
    </>
  );
}

type InviteValues = Access & { email: string; display_name: string };
const EMPTY_INVITE: InviteValues = { email: "", display_name: "", role: "operator", channel_id: "", granted: [], denied: [] };

function InviteForm({ channels, canOwner, onInvited }: { channels: Channel[] | null; canOwner: boolean; onInvited: (o: Operator) => void }) {
  const { api } = useApp();
  const form = useForm<InviteValues>(EMPTY_INVITE, "settings.operators.invite");
  const v = form.values;
  const err = (f: string) => localFieldError(form.error, f);
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
        <TextField label={t("ops.email")} type="email" name="email" required maxLength={254} value={v.email} error={err("email")} onValue={(x) => form.set("email", x)} />
        <TextField label={t("ops.displayName")} name="display_name" maxLength={100} value={v.display_name} error={err("display_name")} onValue={(x) => form.set("display_name", x)} />
      </div>
      <AccessFields form={form} channels={channels} canOwner={canOwner} err={err} idPrefix="invite" />
      <ErrorNotice error={form.error} />
      <div class="row">
        <button type="submit" class="btn" disabled={form.submitting || !v.email.trim()} data-testid="operator-invite-submit">
          {form.submitting ? t("common.saving") : t("ops.invite.submit")}
        </button>
      </div>
    </form>
  );
}

function EditOperator({ op, channels, canOwner, onSaved, onCancel }: { op: Operator; channels: Channel[] | null; canOwner: boolean; onSaved: (o: Operator) => void; onCancel: () => void }) {
  const { api } = useApp();
  const form = useForm<Access>({ role: op.role, channel_id: op.channel_id ?? "", granted: op.granted, denied: op.denied }, `settings.operators.edit.${op.email}`);
  const err = (f: string) => localFieldError(form.error, f);
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
      <AccessFields form={form} channels={channels} canOwner={canOwner} err={err} idPrefix="edit" />
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

function OperatorRow({ op, channels, canOwner, self, onSaved, onRemoved }: { op: Operator; channels: Channel[] | null; canOwner: boolean; self: boolean; onSaved: (o: Operator) => void; onRemoved: () => void }) {
  const { api } = useApp();
  const [editing, setEditing] = useState(false);
  const removing = useAction();
  const channelName = (id: string | null) => {
    if (!id) return <span class="muted">{t("ops.channel.all")}</span>;
    const c = channels?.find((x) => x.channel_id === id);
    return c?.name ? `${c.name} (${id})` : id;
  };
  const remove = () => void removing.run(() => api.delete(`/api/operators/${emailSegment(op.email)}`)).then((r) => r !== undefined && onRemoved());
  return (
    <>
      <tr data-testid="operator-row" data-email={op.email}>
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
            <button type="button" class="btn btn--small btn--ghost" onClick={() => setEditing(!editing)} aria-expanded={editing} data-testid="operator-edit-toggle">
              {t("ops.edit")}
            </button>
            {!self && (
              <ConfirmButton label={t("common.remove")} confirmLabel={t("ops.remove.confirm")} question={t("ops.remove.question")}
                busy={removing.busy} onConfirm={remove} testId="operator-remove" />
            )}
          </div>
          <ErrorNotice error={removing.error} onDismiss={() => removing.setError(null)} />
        </td>
      </tr>
      {editing && (
        <tr class="table__detail">
          <td colSpan={6}>
            <EditOperator op={op} channels={channels} canOwner={canOwner} onCancel={() => setEditing(false)} onSaved={(o) => (setEditing(false), onSaved(o))} />
          </td>
        </tr>
      )}
    </>
  );
}

export default function OperatorsScreen() {
  const { session } = useApp();
  const list = useApiGet<{ items: Operator[] }>("/api/operators");
  const chans = useApiGet<{ channels: Channel[] }>("/api/channels");
  const [ops, setOps] = useState<Operator[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canOwner = session.role === "owner";
  const channels = chans.data?.channels ?? null; // without the list (no permission), the channel is typed
  const rows = ops ?? list.data?.items ?? null;

  const replace = (o: Operator) => setOps((rows ?? []).filter((x) => x.email !== o.email).concat(o).sort((a, b) => a.email.localeCompare(b.email)));
  return (
    <>
      <PageHeader title={t("nav.operators")} lead={t("screen.operators.lead")} />
      <ErrorNotice error={list.error} onRetry={() => (list.setError(null), list.reload())} />
      <section class="card" data-testid="operators-list">
        <h2 class="card__title">{t("ops.list")}</h2>
        {notice && <p class="notice notice--info" role="status" data-testid="operators-notice">{notice}</p>}
        {!rows && !list.error && <p class="muted">{t("app.loading")}</p>}
        {rows && rows.length === 0 && <p class="muted">{t("ops.empty")}</p>}
        {rows && rows.length > 0 && (
          <Table bare cards columns={[t("ops.email"), t("ops.role"), t("ops.status"), t("ops.channel"), t("ops.overrides"), { label: <span class="visually-hidden">{t("ops.actions")}</span> }]}>
            {rows.map((op) => (
              <OperatorRow key={op.email} op={op} channels={channels} canOwner={canOwner} self={op.email === session.email.toLowerCase()}
                onSaved={(o) => (replace(o), setNotice(t("ops.saved").replace("{email}", o.email)))}
                onRemoved={() => (setOps(rows.filter((x) => x.email !== op.email)), setNotice(t("ops.removed").replace("{email}", op.email)))} />
            ))}
          </Table>
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

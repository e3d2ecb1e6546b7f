/**
 * Pick one friend: a search box (name or e-mail) over the first 200 friends (GET /api/subscribers) and a select.
 * Used by the form's "友だち用URLを発行" and by the merge of two friends; `name` is the API's `where` for the pick.
 */
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SelectField, TextField } from "../../components/Field";
import { useApiGet } from "../../components/ResourceScreen";
import { t } from "../../i18n";

export interface FriendRow {
  subscriber_id: string;
  display_name: string | null;
  email: string | null;
  phone?: string | null;
}

export function friendLabel(f: FriendRow): string {
  return [f.display_name, f.email, f.phone].filter(Boolean).join(" / ") || f.subscriber_id;
}

export function FriendPicker({ name, value, onValue, error, label, testId, except }: {
  name: string;
  value: string;
  onValue: (subscriberId: string) => void;
  error: string | undefined;
  label: string;
  /** `${testId}-search` and `${testId}-friend` */
  testId: string;
  /** a friend not to offer (the friend whose page this is) */
  except?: string;
}) {
  const friends = useApiGet<{ items: FriendRow[] }>("/api/subscribers?limit=200");
  const [query, setQuery] = useState("");
  const q = query.trim().toLowerCase();
  const rows = (friends.data?.items ?? []).filter((f) => f.subscriber_id !== except && (!q || friendLabel(f).toLowerCase().includes(q)));
  return (
    <>
      <ErrorNotice error={friends.error} onRetry={() => (friends.setError(null), friends.reload())} />
      <TextField label={t("fm.link.search")} name={`${name}_search`} value={query} onValue={setQuery} testId={`${testId}-search`} />
      <SelectField label={label} name={name} value={value} error={error} testId={`${testId}-friend`}
        options={[["", t("fm.link.pick")], ...rows.map((f): [string, string] => [f.subscriber_id, friendLabel(f)])]} onValue={onValue} />
    </>
  );
}

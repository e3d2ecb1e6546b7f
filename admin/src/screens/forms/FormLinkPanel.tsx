/**
 * 友だち用URLを発行: a form's URL bound to one friend (POST /api/forms/{form_id}/link {subscriber_id, valid_days}),
 * so the answer is recorded as that friend. The friend is picked with FriendPicker; the URL is shown with a copy
 * button. Not a <form>: it sits inside the builder's form.
 */
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/Field";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { FriendPicker } from "../friends/FriendPicker";
import { CopyButton, formatDateTime } from "../settings/ui";

interface Link {
  url: string;
  expires_at: number;
}

export function FormLinkPanel({ formId }: { formId: string }) {
  const { api } = useApp();
  const [who, setWho] = useState("");
  const [days, setDays] = useState("30");
  const [link, setLink] = useState<Link | null>(null);
  const issuing = useAction();
  const err = fieldErrors(issuing.error);
  const issue = () =>
    void issuing.run(async () => {
      setLink(null);
      const n = Number(days);
      setLink(await api.post<Link>(`/api/forms/${formId}/link`, { subscriber_id: who, valid_days: Number.isInteger(n) ? n : days }));
    });
  return (
    <section class="card form" data-testid="form-link">
      <h2 class="card__title">{t("fm.link.title")}</h2>
      <p class="muted">{t("fm.link.lead")}</p>
      <div class="row">
        <FriendPicker label={t("fm.link.friend")} name="subscriber_id" value={who} error={err.at("subscriber_id")} testId="form-link" onValue={(x) => (setWho(x), setLink(null))} />
        <TextField narrow label={t("fm.link.days")} name="valid_days" type="number" min={1} max={365} value={days} error={err.at("valid_days")} onValue={setDays} testId="form-link-days" />
      </div>
      <ErrorNotice error={issuing.error} onDismiss={() => issuing.setError(null)} />
      <div class="row">
        <button type="button" class="btn" disabled={issuing.busy} onClick={issue} data-testid="form-link-issue">{t("fm.link.issue")}</button>
      </div>
      {link && (
        <p class="row" role="status">
          <code class="break" data-testid="form-link-url">{link.url}</code>
          <CopyButton text={link.url} testId="form-link-copy" />
          <span class="muted">{t("fm.link.expires", { at: formatDateTime(new Date(link.expires_at * 1000).toISOString()) })}</span>
        </p>
      )}
    </section>
  );
}

/** "この条件をセグメントとして保存": from the friends filter, name the current segment and save it (POST /api/segments). */
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/Field";
import { type SegmentGroup, completeSegment } from "../../components/SegmentBuilder";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { href } from "../../router";

export function SaveSegmentPanel({ segment }: { segment: SegmentGroup }) {
  const { api } = useApp();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [saved, setSaved] = useState<{ segment_id: string; name: string } | null>(null);
  const action = useAction();
  const err = fieldErrors(action.error);
  const save = () =>
    action.run(async () => {
      const r = await api.post<{ segment_id: string; name: string }>("/api/segments", { name, definition: completeSegment(segment) });
      setSaved(r);
      setOpen(false);
      setName("");
    });
  return (
    <div class="form" data-testid="save-segment" style={{ marginTop: "10px" }}>
      {!open && (
        <p>
          <button type="button" class="btn btn--small" onClick={() => (setOpen(true), setSaved(null))} data-testid="save-segment-open">
            {t("sseg.saveFromFilter")}
          </button>
        </p>
      )}
      {open && (
        <>
          <p class="muted">{t("sseg.saveFromFilter.hint")}</p>
          <div class="row">
            <TextField label={t("sseg.name")} name="name" value={name} maxLength={100} error={err.at("name")} onValue={setName} testId="save-segment-name" />
          </div>
          <div class="row">
            <button type="button" class="btn btn--small" disabled={action.busy} onClick={() => void save()} data-testid="save-segment-save">
              {action.busy ? t("common.saving") : t("common.save")}
            </button>
            <button type="button" class="btn btn--small btn--ghost" onClick={() => (setOpen(false), action.setError(null))}>
              {t("common.cancel")}
            </button>
          </div>
          <ErrorNotice error={action.error} onDismiss={() => action.setError(null)} />
        </>
      )}
      {saved && (
        <p class="notice" role="status" data-testid="save-segment-done">
          {t("sseg.saved", { name: saved.name })} <a href={href(`/segments/${saved.segment_id}`)}>{t("sseg.open")}</a>
        </p>
      )}
    </div>
  );
}

/**
 * セグメント (saved segments): the list with each segment's live count, the editor (name + SegmentBuilder with the
 * live count), delete behind a confirm, and "send to this segment" (the broadcast composer, audience preset).
 * Routes: #/segments, #/segments/new, #/segments/<id>. A segment is also saved from the friends filter
 * (SaveSegmentPanel).
 */
import { useEffect, useState } from "preact/hooks";
import { Card, CardList } from "../../components/CardList";
import { FieldError, TextField } from "../../components/Field";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiList } from "../../components/ResourceScreen";
import { EMPTY_SEGMENT, SegmentBuilder, type SegmentGroup, completeSegment } from "../../components/SegmentBuilder";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { href, useRoute } from "../../router";
import { formatNumber } from "../settings/ui";

export interface SavedSegment {
  segment_id: string;
  name: string;
  definition: SegmentGroup;
  created_at: string;
  updated_at: string;
}

export const SEGMENTS: ResourceKind = { path: "/segments", title: "nav.segments", lead: "screen.segments.lead", newLabel: "sseg.new", testId: "segment" };

/** The live count of a saved segment (GET /api/segments/{id}/count). */
export function SegmentCount({ id }: { id: string }) {
  const { api } = useApp();
  const [n, setN] = useState<number | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    api.get<{ count: number }>(`/api/segments/${id}/count`).then(
      (r) => live && setN(r.count),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [id]);
  return (
    <span class="badge" data-testid="segment-live-count" data-count={n ?? undefined}>
      {n !== null ? t("sseg.count", { n: formatNumber(n) }) : failed ? "—" : t("sseg.counting")}
    </span>
  );
}

function SegmentList() {
  const list = useApiList<SavedSegment>("/api/segments", (b: { segments: SavedSegment[] }) => b.segments);
  return (
    <ListScreen kind={SEGMENTS} list={list} empty={t("sseg.empty")}>
      {(rows) => (
        <CardList rows={[...rows].sort((a, b) => a.name.localeCompare(b.name, "ja"))} testId="segment-list" keyOf={(s) => s.segment_id}>
          {(s) => (
            <Card title={s.name} href={href(`/segments/${s.segment_id}`)}>
              <SegmentCount id={s.segment_id} />
              <a class="btn btn--small btn--ghost" href={href(`/broadcasts/new?segment=${encodeURIComponent(s.segment_id)}`)} data-testid="segment-send">
                {t("sseg.send")}
              </a>
            </Card>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

interface Values {
  name: string;
  definition: SegmentGroup;
}

function SegmentForm({ id, initial }: { id: string | null; initial: SavedSegment | null }) {
  const { api } = useApp();
  const form = useForm<Values>({ name: initial?.name ?? "", definition: initial?.definition ?? EMPTY_SEGMENT }, `segment.${id ?? "new"}`);
  const err = fieldErrors(form.error);
  const v = form.values;
  const save = (vals: Values) => {
    const body = { name: vals.name, definition: completeSegment(vals.definition) };
    return id ? api.put<SavedSegment>(`/api/segments/${id}`, body) : api.post<SavedSegment>("/api/segments", body);
  };
  const remove = id
    ? { label: t("sseg.delete"), question: t("sseg.delete.confirm"), run: () => api.delete(`/api/segments/${id}`), testId: "segment-delete" }
    : undefined;
  const actions = id ? (
    <a class="btn btn--ghost" href={href(`/broadcasts/new?segment=${encodeURIComponent(id)}`)}>
      {t("sseg.send")}
    </a>
  ) : undefined;
  return (
    <EditorShell kind={SEGMENTS} id={id} name={v.name} form={form} save={save} remove={remove} actions={actions}>
      <section class="card form">
        <TextField label={t("sseg.name")} name="name" value={v.name} maxLength={100} error={err.at("name")} onValue={(x) => form.set("name", x)} />
      </section>
      <section class="card form">
        <h2 class="card__title">{t("sseg.definition")}</h2>
        <SegmentBuilder value={v.definition} onChange={(x) => form.set("definition", x)} showCount />
        <FieldError name="definition" text={err.at("definition")} />
      </section>
    </EditorShell>
  );
}

function SegmentEditor({ id }: { id: string | null }) {
  return <Loaded<SavedSegment> path={id ? `/api/segments/${id}` : null}>{(s) => <SegmentForm id={id} initial={s} />}</Loaded>;
}

export default function SegmentsScreen() {
  const id = useRoute().path.replace(/^\/segments\/?/, "").split("/")[0];
  return id ? <SegmentEditor key={id} id={id === "new" ? null : decodeURIComponent(id)} /> : <SegmentList />;
}

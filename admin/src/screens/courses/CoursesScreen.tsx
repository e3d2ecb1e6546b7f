/**
 * 会員サイト (member sites): the courses list, a course's editor (chapters -> lessons: text, video URL, attachments,
 * drip days; the grant tag), its members with progress (manual grant / revoke, log a member out everywhere) and the
 * drop-off per lesson. Products name the courses they grant (the product's course_ids).
 * Routes: #/courses, #/courses/new, #/courses/<id>.
 */
import { useState } from "preact/hooks";
import { AssetUpload } from "../../components/AssetUpload";
import { CardList } from "../../components/CardList";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SelectField, TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { ListScreen, type ResourceKind, useApiGet, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { href, navigate, useRoute } from "../../router";
import { CopyButton } from "../settings/ui";

export interface Lesson {
  id: string;
  title: string;
  body: string;
  video_url: string;
  /** a file elsewhere (url) or an uploaded one (asset_id: only members with access download it) */
  attachments: { name: string; url?: string; asset_id?: string }[];
  drip_days: number;
}
export interface Chapter {
  title: string;
  lessons: Lesson[];
}
export interface Course {
  course_id: string;
  title: string;
  description: string;
  status: "published" | "draft";
  grant_tag: string;
  chapters: Chapter[];
  lesson_count: number;
  member_url: string;
  created_at: string;
}
export interface MemberRow {
  subscriber_id: string;
  name: string;
  active: boolean;
  sources: string[];
  started_at: string;
  completed: number;
  total: number;
  percent: number;
}
export interface Report {
  members: MemberRow[];
  drop_off: { lesson_id: string; title: string; completed: number; stopped_before: number }[];
}

const COURSES: ResourceKind = { path: "/courses", title: "nav.courses", lead: "screen.courses.lead", newLabel: "crs.new", testId: "course" };

const blankLesson = (): Lesson => ({ id: "", title: "", body: "", video_url: "", attachments: [], drip_days: 0 });

const ASSET = "asset:";

/** "資料 | https://..." (or "資料 | asset:<id>" for an uploaded file) one a line <-> attachments */
export function attachmentsText(list: Lesson["attachments"]): string {
  return list.map((a) => `${a.name} | ${a.asset_id ? ASSET + a.asset_id : (a.url ?? "")}`).join("\n");
}
export function parseAttachments(text: string): Lesson["attachments"] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [name, ...rest] = line.split("|");
      const target = rest.join("|").trim();
      return target.startsWith(ASSET) ? { name: (name ?? "").trim(), asset_id: target.slice(ASSET.length) } : { name: (name ?? "").trim(), url: target };
    });
}

function CourseList() {
  const list = useApiList<Course>("/api/courses", (b: { courses: Course[] }) => b.courses);
  return (
    <ListScreen kind={COURSES} list={list} empty={t("crs.empty")}>
      {(rows) => (
        <CardList rows={rows} testId="course-list" keyOf={(c) => c.course_id}>
          {(c) => (
            <div class="list-card" data-testid="course-row">
              <a class="list-card__title" href={href(`/courses/${c.course_id}`)}>
                {c.title}
              </a>
              <span class="list-card__meta">{t("crs.lessons", { n: c.lesson_count })} · {t(`crs.status.${c.status}`)}</span>
            </div>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

function CourseEditor({ course, onSaved }: { course: Course | null; onSaved?: () => void }) {
  const { api } = useApp();
  const [title, setTitle] = useState(course?.title ?? "");
  const [description, setDescription] = useState(course?.description ?? "");
  const [status, setStatus] = useState<Course["status"]>(course?.status ?? "published");
  const [grantTag, setGrantTag] = useState(course?.grant_tag ?? "");
  const [chapters, setChapters] = useState<Chapter[]>(course?.chapters ?? [{ title: "", lessons: [blankLesson()] }]);
  const [attachments, setAttachments] = useState<Record<string, string>>({});
  const saving = useAction();
  const removing = useAction();
  const err = fieldErrors(saving.error);
  const setChapter = (c: number, patch: Partial<Chapter>) => setChapters(chapters.map((x, i) => (i === c ? { ...x, ...patch } : x)));
  const setLesson = (c: number, l: number, patch: Partial<Lesson>) =>
    setChapter(c, { lessons: (chapters[c]?.lessons ?? []).map((x, i) => (i === l ? { ...x, ...patch } : x)) });
  const save = () =>
    saving.run(async () => {
      const body = {
        title,
        description,
        status,
        grant_tag: grantTag.trim(),
        chapters: chapters.map((c, ci) => ({
          title: c.title,
          lessons: c.lessons.map((l, li) => {
            const key = `${ci}.${li}`;
            const typed = attachments[key];
            return { ...l, drip_days: Number(l.drip_days) || 0, attachments: typed === undefined ? l.attachments : parseAttachments(typed) };
          }),
        })),
      };
      const saved = course ? await api.put<Course>(`/api/courses/${course.course_id}`, body) : await api.post<Course>("/api/courses", body);
      if (course) onSaved?.();
      else navigate(`/courses/${saved.course_id}`, true);
    });
  return (
    <section class="card form" data-testid="course-editor">
      <TextField label={t("crs.title")} name="title" value={title} maxLength={100} error={err.at("title")} onValue={setTitle} />
      <TextField label={t("crs.description")} name="description" rows={2} value={description} maxLength={2000} error={err.at("description")} onValue={setDescription} />
      <SelectField
        label={t("crs.status")}
        name="status"
        value={status}
        options={[
          ["published", t("crs.status.published")],
          ["draft", t("crs.status.draft")],
        ]}
        onValue={(x) => setStatus(x as Course["status"])}
      />
      <TextField label={t("crs.grantTag")} hint={t("crs.grantTag.hint")} name="grant_tag" value={grantTag} maxLength={100} error={err.at("grant_tag")} onValue={setGrantTag} />
      {chapters.map((c, ci) => (
        <fieldset key={ci} class="card" data-testid="course-chapter">
          <TextField label={t("crs.chapter", { n: ci + 1 })} name={`chapters.${ci}.title`} value={c.title} maxLength={100} error={err.at(`chapters.${ci}.title`)} onValue={(x) => setChapter(ci, { title: x })} />
          {c.lessons.map((l, li) => (
            <div key={li} class="form" data-testid="course-lesson" style={{ borderLeft: "3px solid var(--border, #d0d7de)", paddingLeft: "12px" }}>
              <TextField label={t("crs.lesson.title", { n: li + 1 })} name={`chapters.${ci}.lessons.${li}.title`} value={l.title} maxLength={100} error={err.at(`chapters.${ci}.lessons.${li}.title`)} onValue={(x) => setLesson(ci, li, { title: x })} />
              <TextField label={t("crs.lesson.body")} name={`chapters.${ci}.lessons.${li}.body`} rows={4} value={l.body} maxLength={20000} error={err.at(`chapters.${ci}.lessons.${li}.body`)} onValue={(x) => setLesson(ci, li, { body: x })} />
              <TextField label={t("crs.lesson.video")} hint={t("crs.lesson.video.hint")} name={`chapters.${ci}.lessons.${li}.video_url`} type="url" value={l.video_url} error={err.at(`chapters.${ci}.lessons.${li}.video_url`)} onValue={(x) => setLesson(ci, li, { video_url: x })} />
              <TextField
                label={t("crs.lesson.attachments")}
                hint={t("crs.lesson.attachments.hint")}
                name={`chapters.${ci}.lessons.${li}.attachments`}
                rows={2}
                value={attachments[`${ci}.${li}`] ?? attachmentsText(l.attachments)}
                error={err.at(`chapters.${ci}.lessons.${li}.attachments`)}
                onValue={(x) => setAttachments({ ...attachments, [`${ci}.${li}`]: x })}
              />
              <AssetUpload
                kind="attachment"
                name={`chapters.${ci}.lessons.${li}.attachments.upload`}
                testId="course-attachment-upload"
                onUploaded={(a) => {
                  const typed = (attachments[`${ci}.${li}`] ?? attachmentsText(l.attachments)).trim();
                  setAttachments({ ...attachments, [`${ci}.${li}`]: (typed ? `${typed}\n` : "") + attachmentsText([{ name: a.name, asset_id: a.asset_id }]) });
                }}
              />
              <TextField label={t("crs.lesson.drip")} name={`chapters.${ci}.lessons.${li}.drip_days`} type="number" min={0} value={String(l.drip_days)} error={err.at(`chapters.${ci}.lessons.${li}.drip_days`)} onValue={(x) => setLesson(ci, li, { drip_days: Number(x) })} />
            </div>
          ))}
          <button type="button" class="btn btn--small btn--ghost" onClick={() => setChapter(ci, { lessons: [...c.lessons, blankLesson()] })} data-testid="course-add-lesson">
            {t("crs.addLesson")}
          </button>
        </fieldset>
      ))}
      <button type="button" class="btn btn--small btn--ghost" onClick={() => setChapters([...chapters, { title: "", lessons: [blankLesson()] }])} data-testid="course-add-chapter">
        {t("crs.addChapter")}
      </button>
      <ErrorNotice error={saving.error} onDismiss={() => saving.setError(null)} />
      <div class="row">
        <button type="button" class="btn" disabled={saving.busy} onClick={() => void save()} data-testid="course-save">
          {t("crs.save")}
        </button>
        {course && (
          <ConfirmButton
            label={t("crs.delete")}
            confirmLabel={t("crs.delete")}
            question={t("crs.delete.q")}
            busy={removing.busy}
            onConfirm={() => void removing.run(async () => (await api.delete(`/api/courses/${course.course_id}`), navigate("/courses")))}
            testId="course-delete"
          />
        )}
      </div>
      <ErrorNotice error={removing.error} onDismiss={() => removing.setError(null)} />
    </section>
  );
}

function Members({ course }: { course: Course }) {
  const { api } = useApp();
  const report = useApiGet<Report>(`/api/courses/${course.course_id}/members`);
  const act = useAction();
  const [subscriber, setSubscriber] = useState("");
  const [notice, setNotice] = useState("");
  const err = fieldErrors(act.error);
  const grant = () =>
    act.run(async () => {
      await api.post(`/api/courses/${course.course_id}/grants`, { subscriber_id: subscriber.trim() });
      setSubscriber("");
      report.reload();
    });
  const revoke = (m: MemberRow) => act.run(async () => (await api.post(`/api/courses/${course.course_id}/grants/${m.subscriber_id}/revoke`), report.reload()));
  const logout = (m: MemberRow) =>
    act.run(async () => {
      const r = await api.post<{ revoked: number }>(`/api/members/${m.subscriber_id}/sessions/revoke`);
      setNotice(t("crs.members.loggedOut", { n: r.revoked }));
    });
  const rows = report.data?.members ?? [];
  return (
    <>
      <section class="card" data-testid="course-members">
        <h2 class="card__title">{t("crs.members")}</h2>
        <ErrorNotice error={act.error || report.error} onDismiss={() => (act.setError(null), report.setError(null))} />
        {notice && <p class="muted" role="status">{notice}</p>}
        {rows.length === 0 ? (
          <p class="muted">{t("crs.members.none")}</p>
        ) : (
          <ul class="stack" style={{ listStyle: "none", padding: 0 }}>
            {rows.map((m) => (
              <li key={m.subscriber_id} class="list-card" data-testid="course-member" data-active={String(m.active)}>
                <a class="list-card__title" href={href(`/friends/${m.subscriber_id}`)}>
                  {m.name || m.subscriber_id}
                </a>
                <span class="list-card__meta" data-testid="course-member-progress">
                  {t("crs.members.progress", { done: m.completed, total: m.total, percent: m.percent })} · {m.active ? t("crs.members.active") : t("crs.members.ended")}
                </span>
                <progress max={m.total} value={m.completed} aria-label={t("crs.members.progressLabel")} />
                <div class="row">
                  {m.sources.includes("manual") && (
                    <button type="button" class="btn btn--small btn--ghost" disabled={act.busy} onClick={() => void revoke(m)} data-testid="course-member-revoke">
                      {t("crs.members.revoke")}
                    </button>
                  )}
                  <button type="button" class="btn btn--small btn--ghost" disabled={act.busy} onClick={() => void logout(m)} data-testid="course-member-logout">
                    {t("crs.members.logout")}
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
        <div class="form">
          <TextField label={t("crs.members.grant.subscriber")} name="subscriber_id" value={subscriber} error={err.at("subscriber_id")} onValue={setSubscriber} />
          <button type="button" class="btn btn--small" disabled={act.busy || !subscriber.trim()} onClick={() => void grant()} data-testid="course-grant">
            {t("crs.members.grant")}
          </button>
        </div>
      </section>
      <section class="card" data-testid="course-dropoff">
        <h2 class="card__title">{t("crs.dropoff")}</h2>
        <p class="muted">{t("crs.dropoff.lead")}</p>
        <table class="table">
          <thead>
            <tr>
              <th scope="col">{t("crs.dropoff.lesson")}</th>
              <th scope="col">{t("crs.dropoff.completed")}</th>
              <th scope="col">{t("crs.dropoff.stopped")}</th>
            </tr>
          </thead>
          <tbody>
            {(report.data?.drop_off ?? []).map((d) => (
              <tr key={d.lesson_id} data-testid="course-dropoff-row">
                <td>{d.title}</td>
                <td>{d.completed}</td>
                <td>{d.stopped_before}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

function CourseDetail({ id }: { id: string }) {
  const got = useApiGet<Course>(`/api/courses/${id}`);
  const course = got.data;
  return (
    <>
      <PageHeader title={course?.title ?? t("nav.courses")}>
        <a class="btn btn--ghost" href={href("/courses")}>
          {t("sc.back")}
        </a>
      </PageHeader>
      <ErrorNotice error={got.error} onDismiss={() => got.setError(null)} />
      {course && (
        <>
          <section class="card">
            <p class="muted">{t("crs.memberUrl")}</p>
            <p style={{ overflowWrap: "anywhere" }} data-testid="course-url">
              {course.member_url}
            </p>
            <CopyButton text={course.member_url} />
            <p class="muted">{t("crs.productHint", { id: course.course_id })}</p>
          </section>
          <CourseEditor key={course.created_at + course.lesson_count} course={course} onSaved={got.reload} />
          <Members course={course} />
        </>
      )}
    </>
  );
}

export default function CoursesScreen() {
  const id = useRoute().path.replace(/^\/courses\/?/, "").split("/")[0];
  if (!id) return <CourseList />;
  if (id === "new")
    return (
      <>
        <PageHeader title={t("crs.new")} />
        <CourseEditor course={null} />
      </>
    );
  return <CourseDetail key={id} id={decodeURIComponent(id)} />;
}

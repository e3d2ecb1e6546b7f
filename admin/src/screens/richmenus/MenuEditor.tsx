/**
 * A rich menu's editor (#/rich-menus/new?channel=..., #/rich-menus/<id>): name, size, the image (checked here
 * against LINE's limits before the upload; the server checks again), a standard layout or areas drawn on the
 * image (up to 20, moved and resized by dragging or with the numbers), each area's label and action, the chat-bar
 * text (14 characters at most), "open by default", the phone preview with the tab set; save as a draft, publish,
 * delete. A new tab is one click: a new menu that switches back to this one.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../../api";
import { CheckField, FieldError, SelectField, TextField } from "../../components/Field";
import { EditorShell, type ResourceKind, useApiGet, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { href, navigate } from "../../router";
import { ActionList } from "../scenarios/ActionList";
import { AreaCanvas } from "./AreaCanvas";
import { type ChosenImage, readImageFile, useStoredImage } from "./image";
import { MenuPreview, TabRow, type TabItem } from "./MenuPreview";
import {
  applyLayout,
  type Area,
  type AreaAction,
  AREA_ACTION_TYPES,
  type AreaActionType,
  type Bounds,
  charCount,
  chatBarProblem,
  clampBounds,
  defaultAction,
  imageProblems,
  LAYOUTS,
  type Layout,
  LIMITS,
  localError,
  menuIdOf,
  menuProblems,
  type RichMenu,
  type RichMenuInput,
  type Size,
  SIZES,
  type SizeKey,
  sizeKeyOf,
  tabSet,
} from "./model";

export const MENUS: ResourceKind = { path: "/rich-menus", title: "nav.richMenus", lead: "screen.richMenus.lead", newLabel: "rm.new", testId: "rm" };

interface Values extends RichMenuInput {
  size_key: SizeKey;
}

function scaleAreas(areas: readonly Area[], from: Size, to: Size): Area[] {
  if (from.width === to.width && from.height === to.height) return [...areas];
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  return areas.map((a) => ({ ...a, bounds: clampBounds({ x: a.bounds.x * sx, y: a.bounds.y * sy, width: a.bounds.width * sx, height: a.bounds.height * sy }, to) }));
}

function LayoutIcon({ layout }: { layout: Layout }) {
  const h = layout.size === "large" ? 27 : 14;
  return (
    <svg viewBox={`0 0 40 ${h}`} width="40" height={h} aria-hidden="true" class="rm-layout__icon">
      {layout.cells.map(([x, y, w, hh], i) => (
        <rect key={i} x={x * 40 + 0.5} y={y * h + 0.5} width={w * 40 - 1} height={hh * h - 1} rx="1" />
      ))}
    </svg>
  );
}

// ------------------------------------------------------------------------------------------------ area action
export function AreaActionEditor({
  action,
  onChange,
  where,
  err,
  tabChoices,
  forms,
  onAddTab,
  addingTab,
}: {
  action: AreaAction;
  onChange: (a: AreaAction) => void;
  /** "areas[0].action" */
  where: string;
  err: (where: string) => string | undefined;
  tabChoices: readonly TabItem[];
  forms: readonly { id: string; name: string }[];
  onAddTab?: (() => void) | null;
  addingTab?: boolean;
}) {
  return (
    <div class="form rm-action" data-testid="rm-action">
      <SelectField<AreaActionType>
        label={t("rm.action.type")}
        name={`${where}.type`}
        value={action.type}
        options={AREA_ACTION_TYPES.map((x) => [x, t(`rm.action.${x}`)] as [AreaActionType, string])}
        onValue={(x) => onChange(defaultAction(x))}
        testId="rm-action-type"
      />
      {action.type === "uri" && (
        <>
          <TextField label={t("rm.action.uri.field")} name={`${where}.uri`} type="url" value={action.uri} error={err(`${where}.uri`)} onValue={(x) => onChange({ ...action, uri: x })} />
          <CheckField label={t("rm.action.track")} name={`${where}.track`} checked={action.track} onValue={(x) => onChange({ ...action, track: x })} />
        </>
      )}
      {action.type === "message" && (
        <TextField
          label={t("rm.action.text")}
          name={`${where}.text`}
          rows={2}
          value={action.text}
          error={err(`${where}.text`)}
          hint={`${charCount(action.text)}/${LIMITS.messageChars}`}
          onValue={(x) => onChange({ ...action, text: x })}
        />
      )}
      {action.type === "postback" && (
        <>
          <p class="muted">{t("rm.action.postback.help")}</p>
          <ActionList name={`${where}.actions`} value={action.actions} onChange={(x) => onChange({ ...action, actions: x })} errorAt={(j) => err(`${where}.actions[${j}]`)} />
          <TextField label={t("rm.action.displayText")} name={`${where}.display_text`} value={action.display_text ?? ""} error={err(`${where}.display_text`)} onValue={(x) => onChange({ ...action, display_text: x || null })} />
        </>
      )}
      {action.type === "tab" && (
        <div class="row">
          <SelectField
            label={t("rm.action.tab")}
            name={`${where}.menu_id`}
            value={action.menu_id}
            error={err(`${where}.menu_id`)}
            options={[["", t("rm.action.tab.choose")] as [string, string], ...tabChoices.map((m) => [m.id, m.name] as [string, string])]}
            onValue={(x) => onChange({ ...action, menu_id: x })}
            testId="rm-action-tab"
          />
          {onAddTab && (
            <button type="button" class="btn btn--ghost btn--small" disabled={addingTab} onClick={onAddTab} data-testid="rm-add-tab-here">
              + {t("rm.tabs.add")}
            </button>
          )}
        </div>
      )}
      {action.type === "liff" && (
        <SelectField
          label={t("rm.action.liff")}
          name={`${where}.path`}
          value={action.path}
          error={err(`${where}.path`)}
          options={[["/me", t("rm.action.liff.me")] as [string, string], ...forms.map((f) => [`/f/${f.id}`, t("rm.action.liff.form", { name: f.name })] as [string, string])]}
          onValue={(x) => onChange({ ...action, path: x })}
        />
      )}
    </div>
  );
}

function BoundsFields({ bounds, size, onChange, where, err }: { bounds: Bounds; size: Size; onChange: (b: Bounds) => void; where: string; err?: string | undefined }) {
  const keys = ["x", "y", "width", "height"] as const;
  return (
    <div>
      <div class="row rm-bounds">
        {keys.map((k) => (
          <TextField
            key={k}
            narrow
            type="number"
            min={k === "x" || k === "y" ? 0 : 1}
            max={k === "x" || k === "width" ? size.width : size.height}
            label={t(`rm.bounds.${k}`)}
            name={`${where}.${k}`}
            value={bounds[k]}
            onValue={(x) => {
              const n = Number(x);
              if (x.trim() !== "" && Number.isFinite(n)) onChange({ ...bounds, [k]: Math.round(n) });
            }}
          />
        ))}
      </div>
      <FieldError text={err} name={where} />
    </div>
  );
}

// ------------------------------------------------------------------------------------------------ the editor
export function MenuEditor({ id, initial, channelId }: { id: string | null; initial: RichMenu | null; channelId: string }) {
  const { api } = useApp();
  const [menu, setMenu] = useState<RichMenu | null>(initial);
  const created = useRef<string | null>(id);
  const form = useForm<Values>(
    {
      name: initial?.name ?? "",
      channel_id: initial?.channel_id ?? channelId,
      size: initial?.size ?? SIZES.large,
      size_key: initial ? sizeKeyOf(initial.size) : "large",
      chat_bar_text: initial?.chat_bar_text ?? t("rm.chatBar.default"),
      selected: initial?.selected ?? true,
      areas: initial?.areas ?? [],
    },
    `rm.${id ?? `new.${channelId}`}`,
  );
  const v = form.values;
  const [picked, setPicked] = useState<number | null>(v.areas.length ? 0 : null);
  const [chosen, setChosen] = useState<ChosenImage | null>(null);
  const [chosenProblems, setChosenProblems] = useState<string[]>([]);
  const [limitHit, setLimitHit] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [addingTab, setAddingTab] = useState(false);
  const [tabError, setTabError] = useState<unknown>(null);
  const stored = useStoredImage(id, !!menu?.image, menu?.updated_at);
  const image = chosen && chosenProblems.length === 0 ? chosen.dataUrl : stored;
  const menus = useApiGet<{ items: RichMenu[] }>(`/api/rich-menus?channel_id=${encodeURIComponent(v.channel_id)}`, [v.channel_id]);
  const forms = useApiList<{ form_id: string; definition?: { name?: string; title?: string } }>("/api/forms");
  const err = fieldErrors(form.error);
  const at = (w: string) => err.at(w);
  // a refused save opens the first area it names
  useEffect(() => {
    for (const w of err.all.keys()) {
      const m = /^areas\[(\d+)\]/.exec(w);
      if (m) return setPicked(Number(m[1]));
    }
  }, [form.error]);

  const others = (menus.data?.items ?? []).filter((m) => menuIdOf(m) !== id);
  const tabChoices: TabItem[] = others.map((m) => ({ id: menuIdOf(m), name: m.name }));
  const nameOf = (mid: string) => (mid === id ? v.name || t("rm.untitled") : (menus.data?.items ?? []).find((m) => menuIdOf(m) === mid)?.name ?? mid);
  const tabs: TabItem[] = id ? tabSet(id, menus.data?.items ?? [], v.areas).map((mid) => ({ id: mid, name: nameOf(mid) })) : [];
  const formChoices = (forms.rows ?? []).map((f) => ({ id: f.form_id, name: f.definition?.name || f.definition?.title || f.form_id }));

  const setAreas = (areas: Area[]) => {
    form.set("areas", areas);
    if (areas.length < LIMITS.areas) setLimitHit(false);
  };
  const setSize = (key: SizeKey) => {
    const img = chosen?.sniffed ?? menu?.image ?? null;
    const next = key === "image" ? (img ? { width: img.width, height: img.height } : v.size) : SIZES[key];
    form.set("size_key", key);
    form.set("areas", scaleAreas(v.areas, v.size, next));
    form.set("size", next);
    if (chosen) setChosenProblems(imageProblems(chosen.sniffed, chosen.bytes, key === "image" ? null : next));
  };
  const onFile = async (file: File | undefined) => {
    if (!file) return;
    const img = await readImageFile(file);
    const problems = imageProblems(img.sniffed, img.bytes, v.size_key === "image" ? null : v.size);
    setChosen(img);
    setChosenProblems(problems);
    if (problems.length === 0 && v.size_key === "image" && img.sniffed) {
      const next = { width: img.sniffed.width, height: img.sniffed.height };
      form.set("areas", scaleAreas(v.areas, v.size, next));
      form.set("size", next);
    }
  };
  const addArea = () => {
    if (v.areas.length >= LIMITS.areas) return setLimitHit(true);
    const b = clampBounds({ x: 0, y: 0, width: Math.round(v.size.width / 3), height: Math.round(v.size.height / 2) }, v.size);
    setAreas([...v.areas, { bounds: b, label: t("rm.area.n", { n: v.areas.length + 1 }), action: defaultAction("message") }]);
    setPicked(v.areas.length);
  };
  const putArea = (i: number, a: Area) => setAreas(v.areas.map((x, j) => (j === i ? a : x)));
  const removeArea = (i: number) => {
    setAreas(v.areas.filter((_, j) => j !== i));
    setPicked(v.areas.length > 1 ? Math.max(0, Math.min(i, v.areas.length - 2)) : null);
  };

  const input = (vals: Values): RichMenuInput => ({ name: vals.name.trim(), channel_id: vals.channel_id, size: vals.size, chat_bar_text: vals.chat_bar_text, selected: vals.selected, areas: vals.areas });
  const saveAll = async (vals: Values, publish: boolean): Promise<RichMenu> => {
    setNotice(null);
    const problems = menuProblems(input(vals));
    if (chosen && chosenProblems.length) problems.unshift({ where: "image", message: chosenProblems[0]! });
    if (publish && !chosen && !menu?.image) problems.push({ where: "image", message: t("rm.image.required") });
    if (problems.length) throw localError(problems);
    const mid = created.current;
    let saved = mid ? await api.put<RichMenu>(`/api/rich-menus/${mid}`, input(vals)) : await api.post<RichMenu>("/api/rich-menus", input(vals));
    created.current = menuIdOf(saved);
    if (chosen) {
      try {
        const meta = await api.put<RichMenu["image"]>(`/api/rich-menus/${created.current}/image`, { content_type: chosen.sniffed?.content_type ?? "image/png", data: chosen.base64 });
        saved = { ...saved, image: meta };
        setChosen(null);
      } catch (e) {
        const ae = e instanceof ApiError ? e : null;
        throw new ApiError({ status: ae?.status ?? 422, code: ae?.code ?? "validation_failed", message: ae?.message ?? String(e), where: "image" });
      }
    }
    if (publish) saved = await api.post<RichMenu>(`/api/rich-menus/${created.current}/publish`);
    return saved;
  };
  const onSaved = (m: RichMenu, published: boolean) => {
    if (!id) return navigate(`/rich-menus/${menuIdOf(m)}`, true);
    setMenu(m);
    setNotice(t(published ? "rm.published" : "rm.saved"));
    menus.reload();
  };
  const publish = async () => {
    let ok = false;
    const r = await form.submit(async (vals) => {
      const m = await saveAll(vals, true);
      ok = true;
      return m;
    });
    if (ok && r) onSaved(r, true);
  };
  const addTab = async () => {
    if (!id) return;
    setAddingTab(true);
    setTabError(null);
    try {
      const strip = (x: number): Bounds => clampBounds({ x, y: 0, width: Math.round(v.size.width / 2), height: Math.round(v.size.height / 6) }, v.size);
      const n = tabs.length + 1;
      const name = t("rm.tabs.newName", { name: v.name || t("rm.untitled"), n });
      const m = await api.post<RichMenu>("/api/rich-menus", {
        name,
        channel_id: v.channel_id,
        size: v.size,
        chat_bar_text: v.chat_bar_text,
        selected: v.selected,
        areas: [{ bounds: strip(0), label: t("rm.tabs.back", { name: v.name || t("rm.untitled") }), action: { type: "tab", menu_id: id } }],
      } satisfies RichMenuInput);
      const newId = menuIdOf(m);
      const selectedTab = picked !== null && v.areas[picked]?.action.type === "tab" && !(v.areas[picked]!.action as { menu_id: string }).menu_id;
      if (selectedTab) putArea(picked!, { ...v.areas[picked!]!, action: { type: "tab", menu_id: newId } });
      else if (v.areas.length < LIMITS.areas) {
        setAreas([...v.areas, { bounds: strip(Math.round(v.size.width / 2)), label: t("rm.tabs.to", { name }), action: { type: "tab", menu_id: newId } }]);
        setPicked(v.areas.length);
      }
      setNotice(t("rm.tabs.created", { name }));
      menus.reload();
    } catch (e) {
      setTabError(e);
    } finally {
      setAddingTab(false);
    }
  };

  const area = picked !== null ? v.areas[picked] : undefined;
  const barProblem = v.chat_bar_text ? chatBarProblem(v.chat_bar_text) : undefined;
  const published = menu?.status === "published";
  const layouts = LAYOUTS.filter((l) => l.size === (v.size.height / v.size.width > 0.5 ? "large" : "compact"));
  return (
    <EditorShell
      kind={MENUS}
      id={id}
      name={v.name}
      form={form}
      save={(vals) => saveAll(vals, false)}
      onSaved={(m) => onSaved(m, false)}
      saveLabel={t(published ? "rm.saveRepublish" : "rm.saveDraft")}
      actions={
        <>
          {id && (
            <a class="btn btn--ghost" href={href(`/rich-menus/${id}/stats`)} data-testid="rm-stats-link">
              {t("rm.stats")}
            </a>
          )}
          {!published && (
            <button type="button" class="btn btn--ghost" disabled={form.submitting} onClick={() => void publish()} data-testid="rm-publish">
              {t("rm.publish")}
            </button>
          )}
        </>
      }
      remove={id ? { label: t("rm.delete"), question: t("rm.delete.confirm"), run: () => api.delete(`/api/rich-menus/${id}`), testId: "rm-delete" } : undefined}
      notice={
        <>
          {notice && (
            <p class="notice notice--info" role="status" data-testid="rm-notice">
              {notice}
            </p>
          )}
          {id && (
            <p class="muted" data-testid="rm-status">
              {t(published ? "rm.status.published" : "rm.status.draft")}
            </p>
          )}
        </>
      }
    >
      <TabRow tabs={tabs} current={id ?? ""} />
      {tabError ? <FieldError text={String((tabError as Error).message ?? tabError)} name="tabs" /> : null}
      <div class="split rm-split">
        <div class="rm-main">
          <section class="card form">
            <TextField label={t("rm.name")} name="name" value={v.name} maxLength={100} error={at("name")} onValue={(x) => form.set("name", x)} />
            <div class="row">
              <SelectField<SizeKey>
                label={t("rm.size")}
                name="size"
                value={v.size_key}
                error={at("size")}
                options={(["large", "compact", "image"] as const).map((k) => [k, t(`rm.size.${k}`, { w: v.size.width, h: v.size.height })] as [SizeKey, string])}
                onValue={setSize}
                testId="rm-size"
              />
              {id && (
                <button
                  type="button"
                  class="btn btn--ghost btn--small"
                  disabled={addingTab}
                  onClick={() => void addTab()}
                  data-testid="rm-add-tab"
                >
                  + {t("rm.tabs.add")}
                </button>
              )}
            </div>
            <label class={`field${at("image") || chosenProblems.length ? " field--error" : ""}`}>
              <span class="field__label">{t("rm.image")}</span>
              <input
                type="file"
                name="image"
                accept="image/png,image/jpeg"
                aria-invalid={!!(at("image") || chosenProblems.length)}
                data-testid="rm-image"
                onChange={(e) => void onFile(e.currentTarget.files?.[0])}
              />
              <span class="field__hint">{t("rm.image.help")}</span>
              {chosen && chosenProblems.length === 0 && (
                <span class="field__hint" data-testid="rm-image-ok">
                  {t("rm.image.ok", { w: chosen.sniffed!.width, h: chosen.sniffed!.height, kb: Math.ceil(chosen.bytes / 1024) })}
                </span>
              )}
              {chosenProblems.length > 0 && (
                <ul class="field__error rm-problems" role="alert" data-testid="rm-image-problems">
                  {chosenProblems.map((p) => (
                    <li key={p}>{p}</li>
                  ))}
                </ul>
              )}
              {!chosenProblems.length && <FieldError text={at("image")} name="image" />}
            </label>
          </section>

          <section class="card form">
            <h2 class="card__title">{t("rm.areas")}</h2>
            <div class="rm-layouts" role="group" aria-label={t("rm.layouts")}>
              {layouts.map((l) => (
                <button
                  type="button"
                  key={l.id}
                  class="btn btn--ghost btn--small rm-layout"
                  aria-label={t("rm.layout.apply", { n: l.cells.length, name: t(`rm.layout.${l.id}` as never) })}
                  title={t(`rm.layout.${l.id}` as never)}
                  data-testid={`rm-layout-${l.id}`}
                  onClick={() => {
                    setAreas(applyLayout(l, v.size, v.areas));
                    setPicked(0);
                  }}
                >
                  <LayoutIcon layout={l} />
                  <span>{l.cells.length}</span>
                </button>
              ))}
            </div>
            <p class="muted">{t("rm.areas.help", { max: LIMITS.areas })}</p>
            <AreaCanvas size={v.size} image={image} areas={v.areas} selected={picked} onSelect={setPicked} onChange={setAreas} onLimit={() => setLimitHit(true)} />
            <div class="row">
              <button type="button" class="btn btn--ghost btn--small" onClick={addArea} disabled={v.areas.length >= LIMITS.areas} data-testid="rm-area-add">
                + {t("rm.area.add")}
              </button>
              <span class="muted" data-testid="rm-area-count-total">
                {t("rm.area.count", { n: v.areas.length, max: LIMITS.areas })}
              </span>
            </div>
            {(limitHit || v.areas.length >= LIMITS.areas) && (
              <p class="field__error" role="status" data-testid="rm-area-limit">
                {t("rm.area.limit", { max: LIMITS.areas })}
              </p>
            )}
            <FieldError text={err.at("areas", false)} name="areas" />
            {v.areas.length > 0 && (
              <div class="rm-area-picks" role="group" aria-label={t("rm.areas")}>
                {v.areas.map((a, i) => (
                  <button
                    type="button"
                    key={i}
                    class={`chip-btn${picked === i ? " chip-btn--on" : ""}${err.at(`areas[${i}]`) ? " chip-btn--bad" : ""}`}
                    aria-pressed={picked === i}
                    onClick={() => setPicked(i)}
                    data-testid="rm-area-pick"
                  >
                    {i + 1}. {a.label || t("rm.area.n", { n: i + 1 })}
                  </button>
                ))}
              </div>
            )}
            {area && picked !== null && (
              <div class="rm-area-edit" data-testid="rm-area-edit" role="group" aria-label={t("rm.area.editing", { n: picked + 1 })}>
                <div class="row">
                  <TextField label={t("rm.area.label")} name={`areas[${picked}].label`} value={area.label} maxLength={50} error={at(`areas[${picked}].label`)} onValue={(x) => putArea(picked, { ...area, label: x })} />
                  <button type="button" class="btn btn--ghost btn--small" onClick={() => removeArea(picked)} data-testid="rm-area-remove">
                    {t("rm.area.remove", { n: picked + 1 })}
                  </button>
                </div>
                <BoundsFields bounds={area.bounds} size={v.size} where={`areas[${picked}].bounds`} err={at(`areas[${picked}].bounds`)} onChange={(b) => putArea(picked, { ...area, bounds: b })} />
                <AreaActionEditor
                  action={area.action}
                  where={`areas[${picked}].action`}
                  err={at}
                  tabChoices={tabChoices}
                  forms={formChoices}
                  onAddTab={id ? () => void addTab() : null}
                  addingTab={addingTab}
                  onChange={(a) => putArea(picked, { ...area, action: a })}
                />
              </div>
            )}
          </section>

          <section class="card form">
            <TextField
              label={t("rm.chatBar")}
              name="chat_bar_text"
              value={v.chat_bar_text}
              error={barProblem ?? at("chat_bar_text")}
              hint={
                <span class={`me-count${charCount(v.chat_bar_text) > LIMITS.chatBarChars ? " me-count--over" : ""}`} data-testid="rm-chatbar-count">
                  {charCount(v.chat_bar_text)}/{LIMITS.chatBarChars}
                </span>
              }
              onValue={(x) => form.set("chat_bar_text", x)}
              testId="rm-chatbar"
            />
            <CheckField label={t("rm.selected")} name="selected" checked={v.selected} onValue={(x) => form.set("selected", x)} testId="rm-selected" />
          </section>
        </div>
        <aside class="split__side">
          <MenuPreview size={v.size} image={image} areas={v.areas} chatBarText={v.chat_bar_text} open={v.selected} tabs={tabs} current={id ?? ""} />
        </aside>
      </div>
    </EditorShell>
  );
}

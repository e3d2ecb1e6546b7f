/**
 * The menu image with its tappable areas: drag on free space to draw an area (up to 20), drag an area to move it,
 * drag its corner to resize it; arrow keys move the selected area by 10 px (Shift: resize). Coordinates are the
 * menu's own pixels (2500 wide), whatever the width on screen. Each area is a button named "エリア n" so a
 * browser journey (and a screen reader) can pick it.
 */
import { useRef, useState } from "preact/hooks";
import { t } from "../../i18n";
import { type Area, type Bounds, clampBounds, LIMITS, type Size } from "./model";

type Drag =
  | { mode: "draw"; x0: number; y0: number; box: Bounds }
  | { mode: "move"; index: number; dx: number; dy: number }
  | { mode: "resize"; index: number };

const MIN_DRAWN = 20; // menu px: a smaller drag is a click, not an area

export function AreaCanvas({
  size,
  image,
  areas,
  selected,
  onSelect,
  onChange,
  onLimit,
  counts,
}: {
  size: Size;
  /** the image (data URL), or null: a grey board */
  image: string | null;
  areas: readonly Area[];
  selected: number | null;
  onSelect?: (index: number | null) => void;
  /** null: read only (analytics) */
  onChange?: ((areas: Area[]) => void) | null;
  /** a drawn area was refused: the limit is reached */
  onLimit?: () => void;
  /** per-area numbers shown on the boxes (analytics) */
  counts?: readonly (string | number)[];
}) {
  const board = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const editable = !!onChange;

  const point = (e: PointerEvent): { x: number; y: number } | null => {
    const r = board.current?.getBoundingClientRect();
    if (!r || r.width === 0 || r.height === 0) return null;
    return { x: ((e.clientX - r.left) * size.width) / r.width, y: ((e.clientY - r.top) * size.height) / r.height };
  };
  const put = (i: number, b: Bounds) => onChange?.(areas.map((a, j) => (j === i ? { ...a, bounds: clampBounds(b, size) } : a)));

  const down = (e: PointerEvent, target: { index: number; resize: boolean } | null) => {
    if (!editable) return;
    const p = point(e);
    if (!p) return;
    e.preventDefault();
    e.stopPropagation();
    (board.current as HTMLElement & { setPointerCapture?: (id: number) => void })?.setPointerCapture?.(e.pointerId);
    if (!target) {
      onSelect?.(null);
      setDrag({ mode: "draw", x0: p.x, y0: p.y, box: { x: p.x, y: p.y, width: 0, height: 0 } });
      return;
    }
    onSelect?.(target.index);
    const b = areas[target.index]!.bounds;
    setDrag(target.resize ? { mode: "resize", index: target.index } : { mode: "move", index: target.index, dx: p.x - b.x, dy: p.y - b.y });
  };
  const move = (e: PointerEvent) => {
    if (!drag) return;
    const p = point(e);
    if (!p) return;
    if (drag.mode === "draw") {
      const x = Math.max(0, Math.min(drag.x0, p.x));
      const y = Math.max(0, Math.min(drag.y0, p.y));
      const box = { x, y, width: Math.min(size.width, Math.max(drag.x0, p.x)) - x, height: Math.min(size.height, Math.max(drag.y0, p.y)) - y };
      setDrag({ ...drag, box });
    } else if (drag.mode === "move") {
      const b = areas[drag.index]!.bounds;
      put(drag.index, { ...b, x: p.x - drag.dx, y: p.y - drag.dy });
    } else {
      const b = areas[drag.index]!.bounds;
      put(drag.index, { ...b, width: Math.max(MIN_DRAWN, p.x - b.x), height: Math.max(MIN_DRAWN, p.y - b.y) });
    }
  };
  const up = () => {
    if (drag?.mode === "draw" && drag.box.width >= MIN_DRAWN && drag.box.height >= MIN_DRAWN) {
      if (areas.length >= LIMITS.areas) onLimit?.();
      else {
        onChange?.([...areas, { bounds: clampBounds(drag.box, size), label: t("rm.area.n", { n: areas.length + 1 }), action: { type: "message", text: "" } }]);
        onSelect?.(areas.length);
      }
    }
    setDrag(null);
  };
  const key = (e: KeyboardEvent, i: number) => {
    if (!editable) return;
    const step = 10;
    const d: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const dd = d[e.key];
    if (!dd) return;
    e.preventDefault();
    const b = areas[i]!.bounds;
    put(i, e.shiftKey ? { ...b, width: b.width + dd[0], height: b.height + dd[1] } : { ...b, x: b.x + dd[0], y: b.y + dd[1] });
  };
  const pct = (b: Bounds) => ({
    left: `${(b.x / size.width) * 100}%`,
    top: `${(b.y / size.height) * 100}%`,
    width: `${(b.width / size.width) * 100}%`,
    height: `${(b.height / size.height) * 100}%`,
  });

  return (
    <div
      ref={board}
      class={`rm-board${editable ? " rm-board--edit" : ""}`}
      style={{ aspectRatio: `${size.width} / ${size.height}`, backgroundImage: image ? `url("${image}")` : undefined }}
      data-testid="rm-board"
      role="group"
      aria-label={t("rm.board")}
      onPointerDown={(e) => down(e, null)}
      onPointerMove={move}
      onPointerUp={up}
      onPointerCancel={() => setDrag(null)}
    >
      {!image && <span class="rm-board__empty">{t("rm.image.none")}</span>}
      {areas.map((a, i) =>
        editable ? (
          <button
            type="button"
            key={i}
            class={`rm-area${selected === i ? " rm-area--on" : ""}`}
            style={pct(a.bounds)}
            aria-label={t("rm.area.n", { n: i + 1 })}
            aria-pressed={selected === i}
            title={a.label}
            data-testid="rm-area"
            onPointerDown={(e) => down(e, { index: i, resize: false })}
            onKeyDown={(e) => key(e, i)}
            onClick={() => onSelect?.(i)}
          >
            <span class="rm-area__n">{i + 1}</span>
            {selected === i && <span class="rm-area__handle" aria-hidden="true" onPointerDown={(e) => down(e as unknown as PointerEvent, { index: i, resize: true })} />}
          </button>
        ) : (
          <span key={i} class="rm-area" style={pct(a.bounds)} title={a.label} data-testid="rm-area-view">
            <span class="rm-area__n">{i + 1}</span>
            {counts && (
              <span class="rm-area__count" data-testid="rm-area-count">
                {counts[i]}
              </span>
            )}
          </span>
        ),
      )}
      {drag?.mode === "draw" && drag.box.width > 0 && <span class="rm-area rm-area--drawing" style={pct(drag.box)} />}
    </div>
  );
}

/**
 * 予約 (slot booking): the week as a grid (staff × time, one column group per day) or as a list (attended / no-show /
 * cancel / move per booking), the CSV export (Shift_JIS or UTF-8), the waitlist (キャンセル待ち), booking a slot for a
 * friend, a friend's signed booking-page URL; and the setup of menus (duration, price, payment product, menu
 * capacity, how far ahead a friend may move) and staff (weekly hours, exceptions, capacity).
 * Routes: #/bookings (calendar), #/bookings/setup (menus and staff).
 */
import { useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SelectField, TextField } from "../../components/Field";
import { PageHeader } from "../../components/PageHeader";
import { useApiGet, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { requestBlob, saveBlob } from "../../download";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { href, useRoute } from "../../router";
import { CopyButton } from "../settings/ui";

export interface Menu {
  menu_id: string;
  name: string;
  duration_minutes: number;
  price: number | null;
  cancel_cutoff_hours: number;
  capacity?: number | null;
  product_id?: string;
  hold_minutes?: number;
  reschedule_days?: number;
}
export interface Staff {
  staff_id: string;
  name: string;
  capacity: number;
  hours: Record<string, string[][]>;
  exceptions: Record<string, string[][]>;
  menu_ids: string[];
}
export interface Booking {
  booking_id: string;
  subscriber_id: string;
  staff_id: string;
  menu_id: string;
  start: string;
  local_date: string;
  local_time: string;
  end_time?: string;
  menu_name?: string;
  staff_name?: string;
  friend_name?: string;
  status: "booked" | "pending_payment" | "expired" | "refunded" | "canceled" | "rescheduled" | "attended" | "no_show";
}
interface Waiting {
  wait_id: string;
  subscriber_id: string;
  friend_name: string;
  menu_id: string;
  local_date: string;
  local_time: string;
}
interface Product {
  product_id: string;
  name: string;
}
interface Slot {
  start: string;
  staff_id: string;
  local_date: string;
  local_time: string;
  remaining: number;
}

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function Tabs({ setup }: { setup: boolean }) {
  return (
    <div class="row">
      <a class={`btn btn--small${setup ? " btn--ghost" : ""}`} href={href("/bookings")} data-testid="bk-tab-calendar">
        {t("bk.tab.calendar")}
      </a>
      <a class={`btn btn--small${setup ? "" : " btn--ghost"}`} href={href("/bookings/setup")} data-testid="bk-tab-setup">
        {t("bk.tab.setup")}
      </a>
    </div>
  );
}

function Reschedule({ b, onMoved }: { b: Booking; onMoved: () => void }) {
  const { api } = useApp();
  const [date, setDate] = useState(b.local_date);
  const slots = useApiGet<{ items: Slot[] }>(`/api/booking-slots?menu_id=${encodeURIComponent(b.menu_id)}&date=${date}&days=1`);
  const act = useAction();
  const move = (s: Slot) => act.run(async () => (await api.post(`/api/bookings/${b.booking_id}/reschedule`, { start: s.start, staff_id: s.staff_id }), onMoved()));
  return (
    <div class="form" data-testid="bk-reschedule">
      <TextField label={t("bk.reschedule.date")} name="reschedule_date" type="date" value={date} onValue={setDate} />
      <div class="row">
        {slots.data && slots.data.items.length === 0 && <span class="muted">{t("bk.slots.none")}</span>}
        {slots.data?.items.map((s) => (
          <button type="button" key={`${s.staff_id}${s.start}`} class="btn btn--small btn--ghost" disabled={act.busy} onClick={() => void move(s)} data-testid="bk-reschedule-slot">
            {s.local_time}
          </button>
        ))}
      </div>
      <ErrorNotice error={act.error ?? slots.error} onDismiss={() => (act.setError(null), slots.setError(null))} />
    </div>
  );
}

function BookingRow({ b, menus, staff, onChanged }: { b: Booking; menus: Menu[]; staff: Staff[]; onChanged: () => void }) {
  const { api } = useApp();
  const act = useAction();
  const mark = (status: string) => act.run(async () => (await api.post(`/api/bookings/${b.booking_id}/attendance`, { status }), onChanged()));
  const cancel = () => act.run(async () => (await api.post(`/api/bookings/${b.booking_id}/cancel`, {}), onChanged()));
  const [moving, setMoving] = useState(false);
  const menu = b.menu_name || menus.find((m) => m.menu_id === b.menu_id)?.name || b.menu_id;
  const person = b.staff_name || staff.find((s) => s.staff_id === b.staff_id)?.name || b.staff_id;
  return (
    <li class="list-card" data-testid="bk-row" data-booking={b.booking_id}>
      <span class="list-card__title">
        {b.local_date} {b.local_time} {menu}
      </span>
      <span class="list-card__meta" style={{ overflowWrap: "anywhere" }}>
        {person} · <a href={href(`/friends/${b.subscriber_id}`)}>{b.friend_name || b.subscriber_id}</a> ·{" "}
        <span data-testid="bk-status">{t(`bk.status.${b.status}` as never)}</span>
      </span>
      {b.status === "pending_payment" && (
        <div class="row">
          <ConfirmButton label={t("bk.cancel")} confirmLabel={t("bk.cancel")} question={t("bk.cancel.q")} busy={act.busy} onConfirm={() => void cancel()} testId="bk-cancel" />
        </div>
      )}
      {(b.status === "booked" || b.status === "attended" || b.status === "no_show") && (
        <div class="row">
          <button type="button" class="btn btn--small" disabled={act.busy} onClick={() => void mark("attended")} data-testid="bk-attended">
            {t("bk.attended")}
          </button>
          <button type="button" class="btn btn--small btn--ghost" disabled={act.busy} onClick={() => void mark("no_show")} data-testid="bk-no-show">
            {t("bk.noShow")}
          </button>
          {b.status === "booked" && (
            <button type="button" class="btn btn--small btn--ghost" onClick={() => setMoving(!moving)} data-testid="bk-reschedule-open">
              {t("bk.reschedule")}
            </button>
          )}
          {b.status === "booked" && <ConfirmButton label={t("bk.cancel")} confirmLabel={t("bk.cancel")} question={t("bk.cancel.q")} busy={act.busy} onConfirm={() => void cancel()} testId="bk-cancel" />}
        </div>
      )}
      {moving && b.status === "booked" && <Reschedule b={b} onMoved={onChanged} />}
      <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} />
    </li>
  );
}

function BookForFriend({ menus, staff, onBooked }: { menus: Menu[]; staff: Staff[]; onBooked: () => void }) {
  const { api } = useApp();
  const [friend, setFriend] = useState("");
  const [menuId, setMenuId] = useState(menus[0]?.menu_id ?? "");
  const [staffId, setStaffId] = useState("");
  const [date, setDate] = useState(today());
  const [done, setDone] = useState(false);
  const slots = useApiGet<{ items: Slot[] }>(
    `/api/booking-slots?menu_id=${encodeURIComponent(menuId)}&staff_id=${encodeURIComponent(staffId)}&date=${date}&days=1`,
    [done],
  );
  const act = useAction();
  const err = fieldErrors(act.error);
  const book = (s: Slot) =>
    act.run(async () => {
      await api.post("/api/bookings", { menu_id: menuId, staff_id: s.staff_id, start: s.start, subscriber_id: friend.trim() });
      setDone(!done);
      onBooked();
    });
  return (
    <section class="card form" data-testid="bk-book">
      <h2 class="card__title">{t("bk.book.title")}</h2>
      <div class="row">
        <TextField label={t("bk.friend")} name="subscriber_id" value={friend} error={err.at("subscriber_id")} onValue={setFriend} />
        <SelectField label={t("bk.menu")} name="menu_id" value={menuId} options={menus.map((m) => [m.menu_id, m.name] as const)} onValue={setMenuId} />
        <SelectField label={t("bk.staff")} name="staff_id" value={staffId} options={[["", t("bk.staff.any")] as const, ...staff.map((s) => [s.staff_id, s.name] as const)]} onValue={setStaffId} />
        <TextField label={t("bk.date")} name="slot_date" type="date" value={date} onValue={setDate} />
      </div>
      <ErrorNotice error={act.error ?? slots.error} onDismiss={() => (act.setError(null), slots.setError(null))} />
      <div class="row" data-testid="bk-slots">
        {slots.data && slots.data.items.length === 0 && <span class="muted">{t("bk.slots.none")}</span>}
        {slots.data?.items.map((s) => (
          <button type="button" key={`${s.staff_id}${s.start}`} class="btn btn--small btn--ghost" disabled={act.busy || !friend.trim()} onClick={() => void book(s)} data-testid="bk-slot">
            {s.local_time} {staff.find((x) => x.staff_id === s.staff_id)?.name ?? ""}
          </button>
        ))}
      </div>
    </section>
  );
}

function FriendLink() {
  const { api } = useApp();
  const [friend, setFriend] = useState("");
  const [url, setUrl] = useState<string | null>(null);
  const act = useAction();
  const err = fieldErrors(act.error);
  const make = () => act.run(async () => setUrl((await api.post<{ url: string }>("/api/bookings/link", { subscriber_id: friend.trim() })).url));
  return (
    <section class="card form" data-testid="bk-link">
      <h2 class="card__title">{t("bk.link.title")}</h2>
      <p class="muted">{t("bk.link.lead")}</p>
      <div class="row">
        <TextField label={t("bk.friend")} name="link_subscriber_id" value={friend} error={err.at("subscriber_id")} onValue={(x) => (setFriend(x), setUrl(null))} />
      </div>
      <div class="row">
        <button type="button" class="btn btn--small" disabled={act.busy || !friend.trim()} onClick={() => void make()} data-testid="bk-link-make">
          {t("bk.link.make")}
        </button>
      </div>
      <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} />
      {url && (
        <p class="row" style={{ overflowWrap: "anywhere" }}>
          <code data-testid="bk-link-value">{url}</code> <CopyButton text={url} />
        </p>
      )}
    </section>
  );
}

/** The dates of the view, from `date` for `days` days (local calendar dates, as the API's local_date). */
export function datesFrom(date: string, days: number): string[] {
  const [y, m, d] = date.split("-").map(Number);
  return Array.from({ length: days }, (_, i) => {
    const x = new Date(Date.UTC(y!, m! - 1, d! + i));
    return x.toISOString().slice(0, 10);
  });
}

/** 30-minute rows from the earliest to the latest booking of the view (at least 09:00-19:00). */
export function gridTimes(items: Booking[]): string[] {
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  let lo = 9 * 60;
  let hi = 19 * 60;
  for (const b of items) {
    lo = Math.min(lo, Math.floor(minutes(b.local_time) / 30) * 30);
    hi = Math.max(hi, minutes(b.end_time ?? b.local_time));
  }
  const out: string[] = [];
  for (let at = lo; at < hi; at += 30) out.push(`${String(Math.floor(at / 60)).padStart(2, "0")}:${String(at % 60).padStart(2, "0")}`);
  return out;
}

function BookingGrid({ items, staff, dates }: { items: Booking[]; staff: Staff[]; dates: string[] }) {
  const live = items.filter((b) => b.status !== "canceled" && b.status !== "rescheduled" && b.status !== "expired" && b.status !== "refunded");
  const people = [...staff.map((s) => ({ id: s.staff_id, name: s.name }))];
  for (const b of live) if (!people.some((p) => p.id === b.staff_id)) people.push({ id: b.staff_id, name: b.staff_name || b.staff_id });
  const times = gridTimes(live);
  // a booking sits in the row of the half hour it starts in
  const row = (at: string, i: number) => (b: Booking) => b.local_time >= at && b.local_time < (times[i + 1] ?? "24:00");
  return (
    <div style={{ overflowX: "auto" }} data-testid="bk-grid">
      <table class="table" style={{ minWidth: `${Math.max(1, dates.length * people.length) * 120 + 60}px` }}>
        <thead>
          <tr>
            <th scope="col" rowSpan={2}>{t("bk.grid.time")}</th>
            {dates.map((d) => (
              <th key={d} scope="colgroup" colSpan={Math.max(1, people.length)}>
                {d.slice(5).replace("-", "/")}
              </th>
            ))}
          </tr>
          <tr>
            {dates.map((d) => people.map((p) => <th key={`${d}${p.id}`} scope="col">{p.name}</th>))}
          </tr>
        </thead>
        <tbody>
          {times.map((at, i) => (
            <tr key={at}>
              <th scope="row">{at}</th>
              {dates.map((d) =>
                people.map((p) => {
                  const here = live.filter((b) => b.local_date === d && b.staff_id === p.id).filter(row(at, i));
                  return (
                    <td key={`${d}${p.id}${at}`} data-testid={here.length ? "bk-grid-cell" : undefined}>
                      {here.map((b) => (
                        <div key={b.booking_id} data-booking={b.booking_id}>
                          <strong>{b.local_time}</strong> {b.menu_name}
                          <br />
                          <span class="muted">{b.friend_name || b.subscriber_id} · {t(`bk.status.${b.status}` as never)}</span>
                        </div>
                      ))}
                    </td>
                  );
                }),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Waitlist({ date, days }: { date: string; days: string }) {
  const list = useApiGet<{ items: Waiting[] }>(`/api/booking-waitlist?date=${date}&days=${days}`);
  if (!list.data || list.data.items.length === 0) return list.error ? <ErrorNotice error={list.error} onRetry={list.reload} /> : null;
  return (
    <section class="card" data-testid="bk-waitlist">
      <h2 class="card__title">{t("bk.waitlist")}</h2>
      <ul class="card-list">
        {list.data.items.map((w) => (
          <li key={w.wait_id} class="list-card" data-testid="bk-waiting">
            {w.local_date} {w.local_time} · <a href={href(`/friends/${w.subscriber_id}`)}>{w.friend_name || w.subscriber_id}</a>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Calendar() {
  const { api, session } = useApp();
  const [date, setDate] = useState(today());
  const [days, setDays] = useState<"1" | "7">("7");
  const [view, setView] = useState<"grid" | "list">("list");
  const list = useApiGet<{ items: Booking[] }>(`/api/bookings?date=${date}&days=${days}`);
  const menus = useApiList<Menu>("/api/booking-menus");
  const staff = useApiList<Staff>("/api/booking-staff");
  const act = useAction();
  const csv = (encoding: "shift_jis" | "utf-8") =>
    act.run(async () => saveBlob(`bookings-${date}.csv`, await requestBlob(api, session.token, "GET", `/api/bookings?date=${date}&days=${days}&format=csv&encoding=${encoding}`)));
  return (
    <div data-testid="bk-calendar">
      <PageHeader title={t("nav.bookings")} lead={t("screen.bookings.lead")} />
      <Tabs setup={false} />
      <section class="card form">
        <div class="row">
          <TextField label={t("bk.date")} name="date" type="date" value={date} onValue={setDate} testId="bk-date" />
          <SelectField label={t("bk.days")} name="days" value={days} options={[["1", t("bk.days.1")], ["7", t("bk.days.7")]]} onValue={setDays} />
          <SelectField label={t("bk.view")} name="view" value={view} options={[["grid", t("bk.view.grid")], ["list", t("bk.view.list")]]} onValue={setView} />
        </div>
        <div class="row">
          <button type="button" class="btn btn--small btn--ghost" disabled={act.busy} onClick={() => void csv("shift_jis")} data-testid="bk-csv-sjis">
            {t("bk.csv.sjis")}
          </button>
          <button type="button" class="btn btn--small btn--ghost" disabled={act.busy} onClick={() => void csv("utf-8")} data-testid="bk-csv-utf8">
            {t("bk.csv.utf8")}
          </button>
        </div>
        <ErrorNotice error={list.error ?? act.error} onRetry={list.reload} />
        {list.data && list.data.items.length === 0 && <p class="muted">{t("bk.empty")}</p>}
        {view === "grid" && list.data && list.data.items.length > 0 && <BookingGrid items={list.data.items} staff={staff.rows ?? []} dates={datesFrom(date, Number(days))} />}
        {view === "list" && (
          <ul class="card-list" data-testid="bk-list">
            {list.data?.items.map((b) => <BookingRow key={b.booking_id + b.status} b={b} menus={menus.rows ?? []} staff={staff.rows ?? []} onChanged={list.reload} />)}
          </ul>
        )}
      </section>
      <Waitlist date={date} days={days} />
      {menus.rows && menus.rows.length > 0 && <BookForFriend menus={menus.rows} staff={staff.rows ?? []} onBooked={list.reload} />}
      <FriendLink />
    </div>
  );
}

function MenuEditor({ menu, products, onSaved }: { menu: Menu | null; products: Product[]; onSaved: () => void }) {
  const { api } = useApp();
  const [name, setName] = useState(menu?.name ?? "");
  const [duration, setDuration] = useState(String(menu?.duration_minutes ?? 60));
  const [price, setPrice] = useState(menu?.price == null ? "" : String(menu.price));
  const [cutoff, setCutoff] = useState(String(menu?.cancel_cutoff_hours ?? 24));
  const [capacity, setCapacity] = useState(menu?.capacity == null ? "" : String(menu.capacity));
  const [productId, setProductId] = useState(menu?.product_id ?? "");
  const [hold, setHold] = useState(String(menu?.hold_minutes ?? 30));
  const [ahead, setAhead] = useState(String(menu?.reschedule_days ?? 14));
  const act = useAction();
  const err = fieldErrors(act.error);
  const body = () => ({
    name,
    duration_minutes: Number(duration),
    price: price.trim() === "" ? null : Number(price),
    cancel_cutoff_hours: Number(cutoff),
    capacity: capacity.trim() === "" ? null : Number(capacity),
    product_id: productId,
    hold_minutes: Number(hold),
    reschedule_days: Number(ahead),
  });
  const save = () =>
    act.run(async () => {
      if (menu) await api.put(`/api/booking-menus/${menu.menu_id}`, body());
      else await api.post("/api/booking-menus", body());
      if (!menu) setName("");
      onSaved();
    });
  const remove = () => act.run(async () => (menu && (await api.delete(`/api/booking-menus/${menu.menu_id}`)), onSaved()));
  return (
    <li class="list-card" data-testid={menu ? "bk-menu" : "bk-menu-new"}>
      <div class="row">
        <TextField label={t("bk.menu.name")} name="name" value={name} maxLength={100} error={err.at("name")} onValue={setName} />
        <TextField label={t("bk.menu.duration")} name="duration_minutes" type="number" value={duration} error={err.at("duration_minutes")} onValue={setDuration} narrow />
        <TextField label={t("bk.menu.price")} name="price" type="number" value={price} error={err.at("price")} onValue={setPrice} narrow />
        <TextField label={t("bk.menu.cutoff")} name="cancel_cutoff_hours" type="number" value={cutoff} error={err.at("cancel_cutoff_hours")} onValue={setCutoff} narrow />
      </div>
      <div class="row">
        <TextField label={t("bk.menu.capacity")} name="menu_capacity" type="number" value={capacity} error={err.at("capacity") ?? err.at("")} onValue={setCapacity} narrow />
        <TextField label={t("bk.menu.ahead")} name="reschedule_days" type="number" value={ahead} error={err.at("reschedule_days")} onValue={setAhead} narrow />
        <SelectField label={t("bk.menu.product")} name="product_id" value={productId} options={[["", t("bk.menu.product.none")] as const, ...products.map((p) => [p.product_id, p.name] as const)]} error={err.at("product_id")} onValue={setProductId} />
        {productId && <TextField label={t("bk.menu.hold")} name="hold_minutes" type="number" value={hold} error={err.at("hold_minutes")} onValue={setHold} narrow />}
      </div>
      <div class="row">
        <button type="button" class="btn btn--small" disabled={act.busy} onClick={() => void save()} data-testid="bk-menu-save">
          {menu ? t("bk.save") : t("bk.add")}
        </button>
        {menu && <ConfirmButton label={t("bk.delete")} confirmLabel={t("bk.delete")} question={t("bk.delete.q")} busy={act.busy} onConfirm={() => void remove()} testId="bk-menu-delete" />}
      </div>
      <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} />
    </li>
  );
}

function rangesText(ranges: string[][] | undefined): string {
  return (ranges ?? []).map(([a, b]) => `${a}-${b}`).join(",");
}

/** "10:00-13:00,14:00-18:00" -> [["10:00","13:00"],["14:00","18:00"]]; null when unreadable. */
export function parseRanges(text: string): string[][] | null {
  const parts = text.split(/[,、\s]+/).filter(Boolean);
  const out: string[][] = [];
  for (const p of parts) {
    const m = /^(\d{1,2}:\d{2})[-~〜](\d{1,2}:\d{2})$/.exec(p);
    if (!m) return null;
    out.push([m[1]!.padStart(5, "0"), m[2]!.padStart(5, "0")]);
  }
  return out;
}

function StaffEditor({ staff, menus, onSaved }: { staff: Staff | null; menus: Menu[]; onSaved: () => void }) {
  const { api } = useApp();
  const [name, setName] = useState(staff?.name ?? "");
  const [capacity, setCapacity] = useState(String(staff?.capacity ?? 1));
  const [hours, setHours] = useState<Record<string, string>>(Object.fromEntries(WEEKDAYS.map((d) => [d, rangesText(staff?.hours[d])])));
  const [exceptions, setExceptions] = useState(
    Object.entries(staff?.exceptions ?? {})
      .map(([day, r]) => `${day} ${r.length ? rangesText(r) : "休み"}`)
      .join("\n"),
  );
  const [menuIds, setMenuIds] = useState<string[]>(staff?.menu_ids ?? []);
  const [local, setLocal] = useState<string | null>(null);
  const act = useAction();
  const err = fieldErrors(act.error);
  const save = () => {
    const parsed: Record<string, string[][]> = {};
    for (const d of WEEKDAYS) {
      const r = parseRanges(hours[d] ?? "");
      if (r === null) return setLocal(`${t(`bk.wd.${d}` as never)}: ${t("bk.hoursFormat")}`);
      if (r.length) parsed[d] = r;
    }
    const ex: Record<string, string[][]> = {};
    for (const line of exceptions.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const [day, ...rest] = line.split(/\s+/);
      const text = rest.join(",");
      const r = text === "休み" || text === "closed" || text === "" ? [] : parseRanges(text);
      if (r === null || !day) return setLocal(`${line}: ${t("bk.hoursFormat")}`);
      ex[day] = r;
    }
    setLocal(null);
    const body = { name, capacity: Number(capacity), hours: parsed, exceptions: ex, menu_ids: menuIds };
    return act.run(async () => {
      if (staff) await api.put(`/api/booking-staff/${staff.staff_id}`, body);
      else await api.post("/api/booking-staff", body);
      if (!staff) setName("");
      onSaved();
    });
  };
  const remove = () => act.run(async () => (staff && (await api.delete(`/api/booking-staff/${staff.staff_id}`)), onSaved()));
  return (
    <li class="list-card" data-testid={staff ? "bk-staff" : "bk-staff-new"}>
      <div class="row">
        <TextField label={t("bk.staff.name")} name="name" value={name} maxLength={100} error={err.at("name")} onValue={setName} />
        <TextField label={t("bk.staff.capacity")} name="capacity" type="number" value={capacity} error={err.at("capacity")} onValue={setCapacity} narrow />
      </div>
      <span class="field__label">{t("bk.staff.hours")}</span>
      <div class="row">
        {WEEKDAYS.map((d) => (
          <TextField key={d} label={t(`bk.wd.${d}` as never)} name={`hours.${d}`} value={hours[d] ?? ""} error={err.at(`hours.${d}`) ?? (d === "mon" ? err.at("hours") : undefined)} onValue={(x) => setHours({ ...hours, [d]: x })} narrow />
        ))}
      </div>
      <TextField label={t("bk.staff.exceptions")} name="exceptions" rows={2} value={exceptions} error={err.at("exceptions")} onValue={setExceptions} />
      {menus.length > 0 && (
        <div class="row">
          {menus.map((m) => (
            <label key={m.menu_id} class="row">
              <input type="checkbox" checked={menuIds.includes(m.menu_id)} onChange={(e) => setMenuIds(e.currentTarget.checked ? [...menuIds, m.menu_id] : menuIds.filter((x) => x !== m.menu_id))} />
              {m.name}
            </label>
          ))}
        </div>
      )}
      {local && (
        <p class="field__error" role="alert">
          {local}
        </p>
      )}
      <div class="row">
        <button type="button" class="btn btn--small" disabled={act.busy} onClick={() => void save()} data-testid="bk-staff-save">
          {staff ? t("bk.save") : t("bk.add")}
        </button>
        {staff && <ConfirmButton label={t("bk.delete")} confirmLabel={t("bk.delete")} question={t("bk.delete.q")} busy={act.busy} onConfirm={() => void remove()} testId="bk-staff-delete" />}
      </div>
      <ErrorNotice error={act.error} onDismiss={() => act.setError(null)} />
    </li>
  );
}

function Setup() {
  const menus = useApiList<Menu>("/api/booking-menus");
  const products = useApiList<Product>("/api/products");
  const staff = useApiList<Staff>("/api/booking-staff");
  return (
    <div data-testid="bk-setup">
      <PageHeader title={t("nav.bookings")} lead={t("screen.bookings.lead")} />
      <Tabs setup={true} />
      <section class="card form">
        <h2 class="card__title">{t("bk.menus")}</h2>
        <ErrorNotice error={menus.error} onRetry={menus.reload} />
        {menus.rows && menus.rows.length === 0 && <p class="muted">{t("bk.menus.none")}</p>}
        <ul class="card-list">
          {menus.rows?.map((m) => <MenuEditor key={m.menu_id} menu={m} products={products.rows ?? []} onSaved={menus.reload} />)}
          <MenuEditor menu={null} products={products.rows ?? []} onSaved={menus.reload} />
        </ul>
      </section>
      <section class="card form">
        <h2 class="card__title">{t("bk.staffs")}</h2>
        <ErrorNotice error={staff.error} onRetry={staff.reload} />
        {staff.rows && staff.rows.length === 0 && <p class="muted">{t("bk.staffs.none")}</p>}
        <ul class="card-list">
          {staff.rows?.map((s) => <StaffEditor key={s.staff_id} staff={s} menus={menus.rows ?? []} onSaved={staff.reload} />)}
          <StaffEditor key={`new${staff.rows?.length ?? 0}`} staff={null} menus={menus.rows ?? []} onSaved={staff.reload} />
        </ul>
      </section>
    </div>
  );
}

export default function BookingsScreen() {
  const sub = useRoute().path.replace(/^\/bookings\/?/, "").split("/")[0];
  return sub === "setup" ? <Setup /> : <Calendar />;
}

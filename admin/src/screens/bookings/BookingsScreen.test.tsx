import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import BookingsScreen, { parseRanges } from "./BookingsScreen";

const MENU = { menu_id: "bkm_1", name: "カット", duration_minutes: 60, price: 4400, cancel_cutoff_hours: 24 };
const STAFF = { staff_id: "bks_1", name: "佐藤", capacity: 1, hours: { tue: [["10:00", "13:00"]] }, exceptions: {}, menu_ids: [] };
const BOOKING = { booking_id: "bkg_1", subscriber_id: "s_1", staff_id: "bks_1", menu_id: "bkm_1", start: "2026-01-06T01:00:00+00:00", local_date: "2026-01-06", local_time: "10:00", status: "booked" };
const SLOT = { start: "2026-01-06T02:00:00+00:00", end: "2026-01-06T03:00:00+00:00", staff_id: "bks_1", local_date: "2026-01-06", local_time: "11:00", remaining: 1 };

describe("bookings", () => {
  freshPageEachTest();

  it("parses weekday hours", () => {
    expect(parseRanges("10:00-13:00, 14:00〜18:00")).toEqual([["10:00", "13:00"], ["14:00", "18:00"]]);
    expect(parseRanges("")).toEqual([]);
    expect(parseRanges("10時から")).toBeNull();
  });

  it("lists bookings with menu and staff names, marks attendance and books a slot for a friend", async () => {
    location.hash = "#/bookings";
    const api = fakeApi({
      "GET /api/bookings": { items: [BOOKING] },
      "GET /api/booking-menus": { items: [MENU] },
      "GET /api/booking-staff": { items: [STAFF] },
      "GET /api/booking-slots": { items: [SLOT] },
      "POST /api/bookings/bkg_1/attendance": { ...BOOKING, status: "attended" },
      "POST /api/bookings": { ...BOOKING, booking_id: "bkg_2" },
    });
    render(withApp(api, <BookingsScreen />));
    await waitFor(() => expect(screen.getByTestId("bk-row").textContent).toContain("カット"));
    expect(screen.getByTestId("bk-row").textContent).toContain("佐藤");
    fireEvent.click(screen.getByTestId("bk-attended"));
    await waitFor(() => expect(api.calls).toContain('POST /api/bookings/bkg_1/attendance {"status":"attended"}'));
    fireEvent.input(screen.getByLabelText("友だち ID", { selector: "input[name='subscriber_id']" }), { target: { value: "s_9" } });
    fireEvent.click(await screen.findByTestId("bk-slot"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("POST /api/bookings {"))).toBe(true));
    expect(api.calls.find((c) => c.startsWith("POST /api/bookings {"))).toContain('"subscriber_id":"s_9"');
  });

  it("a taken slot shows the Japanese error in place", async () => {
    location.hash = "#/bookings";
    const api = fakeApi({
      "GET /api/bookings": { items: [] },
      "GET /api/booking-menus": { items: [MENU] },
      "GET /api/booking-staff": { items: [STAFF] },
      "GET /api/booking-slots": { items: [SLOT] },
      "POST /api/bookings": new ApiError({ status: 409, code: "conflict", message: "この枠はすでに埋まりました。別の日時を選んでください", where: "start" }),
    });
    render(withApp(api, <BookingsScreen />));
    fireEvent.input(await screen.findByLabelText("友だち ID", { selector: "input[name='subscriber_id']" }), { target: { value: "s_9" } });
    fireEvent.click(await screen.findByTestId("bk-slot"));
    expect(await screen.findByText(/すでに埋まりました/)).toBeTruthy();
  });

  it("setup adds a menu and a staff member with weekday hours", async () => {
    location.hash = "#/bookings/setup";
    const api = fakeApi({
      "GET /api/booking-menus": { items: [] },
      "GET /api/booking-staff": { items: [] },
      "GET /api/products": { items: [{ product_id: "prd_1", name: "カット代" }] },
      "POST /api/booking-menus": MENU,
      "POST /api/booking-staff": STAFF,
    });
    render(withApp(api, <BookingsScreen />));
    const newMenu = await screen.findByTestId("bk-menu-new");
    fireEvent.input(newMenu.querySelector("input[name='name']")!, { target: { value: "カット" } });
    fireEvent.input(newMenu.querySelector("input[name='menu_capacity']")!, { target: { value: "2" } });
    fireEvent.change(newMenu.querySelector("select[name='product_id']")!, { target: { value: "prd_1" } });
    fireEvent.click(screen.getByTestId("bk-menu-save"));
    await waitFor(() =>
      expect(api.calls).toContain(
        'POST /api/booking-menus {"name":"カット","duration_minutes":60,"price":null,"cancel_cutoff_hours":24,"capacity":2,"product_id":"prd_1","hold_minutes":30,"reschedule_days":14}',
      ),
    );
    const newStaff = screen.getByTestId("bk-staff-new");
    fireEvent.input(newStaff.querySelector("input[name='name']")!, { target: { value: "佐藤" } });
    fireEvent.input(newStaff.querySelector("input[name='hours.tue']")!, { target: { value: "10:00-13:00" } });
    fireEvent.click(screen.getByTestId("bk-staff-save"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("POST /api/booking-staff"))).toBe(true));
    expect(api.calls.find((c) => c.startsWith("POST /api/booking-staff"))).toContain('"hours":{"tue":[["10:00","13:00"]]}');
  });

  it("moves a booking to another slot", async () => {
    location.hash = "#/bookings";
    const api = fakeApi({
      "GET /api/bookings": { items: [BOOKING] },
      "GET /api/booking-menus": { items: [MENU] },
      "GET /api/booking-staff": { items: [STAFF] },
      "GET /api/booking-slots": { items: [SLOT] },
      "POST /api/bookings/bkg_1/reschedule": { ...BOOKING, booking_id: "bkg_3" },
    });
    render(withApp(api, <BookingsScreen />));
    fireEvent.click(await screen.findByTestId("bk-reschedule-open"));
    const slot = await screen.findByTestId("bk-reschedule-slot");
    fireEvent.click(slot);
    await waitFor(() => expect(api.calls).toContain(`POST /api/bookings/bkg_1/reschedule ${JSON.stringify({ start: SLOT.start, staff_id: "bks_1" })}`));
  });

  it("shows the week as a staff × time grid with names, the waitlist, and downloads the CSV", async () => {
    location.hash = "#/bookings";
    const named = { ...BOOKING, end_time: "11:00", menu_name: "カット", staff_name: "佐藤", friend_name: "山田花子" };
    const api = fakeApi({
      "GET /api/bookings": { items: [named, { ...named, booking_id: "bkg_x", status: "canceled" }] },
      "GET /api/booking-menus": { items: [MENU] },
      "GET /api/booking-staff": { items: [STAFF, { ...STAFF, staff_id: "bks_2", name: "鈴木" }] },
      "GET /api/booking-slots": { items: [] },
      "GET /api/booking-waitlist": { items: [{ wait_id: "bkw_1", subscriber_id: "s_2", friend_name: "田中", menu_id: "bkm_1", local_date: "2026-01-06", local_time: "10:00" }] },
    });
    render(withApp(api, <BookingsScreen />));
    fireEvent.input(await screen.findByTestId("bk-date"), { target: { value: "2026-01-05" } });
    fireEvent.change(screen.getByLabelText("表示"), { target: { value: "grid" } });
    const grid = await screen.findByTestId("bk-grid");
    const heads = [...grid.querySelectorAll("thead tr:nth-child(2) th")].map((th) => th.textContent);
    expect(heads.slice(0, 2)).toEqual(["佐藤", "鈴木"]);
    expect(heads).toHaveLength(14); // 7 days × 2 staff
    const cells = screen.getAllByTestId("bk-grid-cell");
    expect(cells).toHaveLength(1); // the canceled one is not drawn
    expect(cells[0]!.textContent).toContain("山田花子");
    const row = cells[0]!.closest("tr")!;
    expect(row.querySelector("th")!.textContent).toBe("10:00");
    // Tuesday's column group, the first staff member: 1 (time) + Monday's 2 + 1
    expect([...row.children].indexOf(cells[0]!)).toBe(3);
    expect((await screen.findByTestId("bk-waiting")).textContent).toContain("田中");
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string) => (fetched.push(String(url)), new Response("日付,開始\r\n", { status: 200 }))) as typeof fetch;
    URL.createObjectURL = () => "blob:x";
    URL.revokeObjectURL = () => undefined;
    try {
      fireEvent.click(screen.getByTestId("bk-csv-sjis"));
      await waitFor(() => expect(fetched.some((u) => u.includes("/api/bookings?date=2026-01-05&days=7&format=csv&encoding=shift_jis"))).toBe(true));
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});

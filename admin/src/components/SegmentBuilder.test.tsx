import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { useState } from "preact/hooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiClient } from "../api";
import { AppContext } from "../context";
import { initLang } from "../i18n";
import { completeSegment, EMPTY_SEGMENT, SegmentBuilder, type SegmentGroup, type SegmentRefs } from "./SegmentBuilder";

const REFS: SegmentRefs = {
  tags: [
    { id: "tag_vip", label: "VIP" },
    { id: "tag_new", label: "新規" },
  ],
  fields: [{ key: "score", label: "得点", type: "number", choices: [] }],
  scenarios: [{ id: "sc_1", label: "ようこそシナリオ" }],
  forms: [],
  products: [],
  lists: [],
  channels: [],
  coupons: [{ id: "cpn_1", label: "冬のクーポン" }],
};

function setup(initial: SegmentGroup = EMPTY_SEGMENT, showCount = false) {
  const calls: { url: string; body: unknown }[] = [];
  const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), body: init?.body ? JSON.parse(String(init.body)) : undefined });
    return new Response(JSON.stringify({ count: 42, elapsed_ms: 3 }), { status: 200 });
  });
  const api = createApiClient({ baseUrl: "http://api", getToken: () => "tok", fetchImpl: fetchImpl as typeof fetch });
  const changes: SegmentGroup[] = [];
  function Host() {
    const [value, setValue] = useState(initial);
    return (
      <SegmentBuilder
        value={value}
        onChange={(v) => {
          changes.push(v);
          setValue(v);
        }}
        showCount={showCount}
        refs={REFS}
      />
    );
  }
  render(
    <AppContext.Provider
      value={{
        api,
        config: { apiBase: "http://api", authMode: "dev" },
        session: { token: "tok", email: "a@example.jp", workspaceId: "ws", role: "owner" },
        logout: () => undefined,
      }}
    >
      <Host />
    </AppContext.Provider>,
  );
  const last = () => changes[changes.length - 1]!;
  return { calls, last, changes };
}

const select = (el: Element, value: string) => fireEvent.change(el, { target: { value } });

describe("<SegmentBuilder>", () => {
  beforeEach(() => {
    localStorage.clear();
    initLang();
  });
  afterEach(cleanup);

  it("adds a tag condition and a field condition to the root group", () => {
    const { last } = setup();
    // a tags condition (the default kind), then pick two tags and "has all of"
    fireEvent.click(screen.getByTestId("seg-add"));
    select(screen.getByTestId("seg-pick"), "tag_vip");
    select(screen.getByTestId("seg-pick"), "tag_new");
    select(screen.getByLabelText("タグ"), "all");
    expect(last()).toEqual({ match: "all", conditions: [{ type: "tags", match: "all", tags: ["tag_vip", "tag_new"] }] });

    // a field condition: 得点 > 10
    select(screen.getByTestId("seg-add-type"), "field");
    fireEvent.click(screen.getByTestId("seg-add"));
    select(screen.getByTestId("seg-field"), "score");
    select(screen.getByTestId("seg-op"), "gt");
    fireEvent.input(screen.getByLabelText("値"), { target: { value: "10" } });
    expect(last().conditions[1]).toEqual({ type: "field", field: "score", op: "gt", value: 10 });

    // the root becomes OR
    select(screen.getAllByTestId("seg-match")[0]!, "any");
    expect(last().match).toBe("any");
  });

  it("adds a coupon condition: has an unused coupon, or redeemed a chosen one", () => {
    const { last } = setup();
    select(screen.getByTestId("seg-add-type"), "coupon");
    fireEvent.click(screen.getByTestId("seg-add"));
    expect(last().conditions[0]).toEqual({ type: "coupon", status: "unredeemed" });
    select(screen.getByTestId("seg-coupon"), "cpn_1");
    select(screen.getByLabelText("状態"), "redeemed");
    expect(last().conditions[0]).toEqual({ type: "coupon", coupon_id: "cpn_1", status: "redeemed" });
  });

  it("nests groups and removes conditions and groups", () => {
    const { last } = setup();
    fireEvent.click(screen.getByTestId("seg-add-group"));
    expect(last()).toEqual({ match: "all", conditions: [{ type: "group", match: "any", conditions: [] }] });

    // inside the nested group: follow status = blocked, and an unsubscribed condition
    const inner = screen.getByTestId("seg-group-1");
    select(inner.querySelector("[data-testid=seg-add-type]")!, "follow");
    fireEvent.click(inner.querySelector("[data-testid=seg-add]")!);
    select(inner.querySelector("[data-testid=seg-cond] select")!, "blocked");
    select(inner.querySelector("[data-testid=seg-add-type]")!, "unsubscribed");
    fireEvent.click(inner.querySelector("[data-testid=seg-add]")!);
    expect(last()).toEqual({
      match: "all",
      conditions: [
        {
          type: "group",
          match: "any",
          conditions: [
            { type: "follow", status: "blocked" },
            { type: "unsubscribed", channel: "all", value: true },
          ],
        },
      ],
    });

    // remove the follow condition, then the whole group
    fireEvent.click(inner.querySelectorAll("[data-testid=seg-remove]")[0]!);
    expect((last().conditions[0] as SegmentGroup).conditions).toEqual([{ type: "unsubscribed", channel: "all", value: true }]);
    fireEvent.click(screen.getByTestId("seg-remove-group"));
    expect(last()).toEqual({ match: "all", conditions: [] });
  });

  it("requests the live count with only the finished conditions", async () => {
    const initial: SegmentGroup = {
      match: "all",
      conditions: [
        { type: "tags", match: "any", tags: ["tag_vip"] },
        { type: "tags", match: "any", tags: [] }, // not finished: left out of the count
        { type: "group", match: "any", conditions: [] }, // empty group: left out
      ],
    };
    const { calls } = setup(initial, true);
    await waitFor(() => expect(screen.getByTestId("segment-count-value").textContent).toBe("42"));
    const countCalls = calls.filter((c) => c.url.endsWith("/api/segments/count"));
    expect(countCalls.length).toBe(1);
    expect(countCalls[0]!.body).toEqual({ definition: { match: "all", conditions: [{ type: "tags", match: "any", tags: ["tag_vip"] }] } });
    expect(screen.getByTestId("segment-count").textContent).toContain("1");
  });

  it("completeSegment keeps nested finished conditions", () => {
    expect(
      completeSegment({
        match: "any",
        conditions: [
          { type: "group", match: "all", conditions: [{ type: "last_interaction", op: "never" }, { type: "scenario", scenario_id: "", status: "enrolled" }] },
          { type: "total_spent", op: "gte", amount: 5000 },
        ],
      }),
    ).toEqual({
      match: "any",
      conditions: [
        { type: "group", match: "all", conditions: [{ type: "last_interaction", op: "never" }] },
        { type: "total_spent", op: "gte", amount: 5000 },
      ],
    });
  });
});

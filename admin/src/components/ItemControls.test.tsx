import { cleanup, fireEvent, render, screen } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { freshPageEachTest } from "../testing/app";
import { CardList, Card } from "./CardList";
import { ItemControls, moveItem, removeItem, replaceItem } from "./ItemControls";
import { Table } from "./Table";

describe("list edits", () => {
  it("move, replace and remove without touching the original", () => {
    const list = ["a", "b", "c"];
    expect(moveItem(list, 0, 1)).toEqual(["b", "a", "c"]);
    expect(moveItem(list, 2, -1)).toEqual(["a", "c", "b"]);
    expect(moveItem(list, 0, -1)).toEqual(["a", "b", "c"]); // off the list: unchanged
    expect(replaceItem(list, 1, "B")).toEqual(["a", "B", "c"]);
    expect(removeItem(list, 0)).toEqual(["b", "c"]);
    expect(list).toEqual(["a", "b", "c"]);
  });
});

describe("<ItemControls>", () => {
  freshPageEachTest();

  it("cannot move the first up, the last down, or remove below the minimum", () => {
    const onMove = vi.fn();
    const onRemove = vi.fn();
    render(<ItemControls index={0} count={1} onMove={onMove} onRemove={onRemove} removeLabel="ステップを削除" />);
    expect((screen.getByLabelText("上へ") as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByLabelText("下へ") as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByText("ステップを削除") as HTMLButtonElement).disabled).toBe(true);
    cleanup();
    render(<ItemControls index={1} count={3} onMove={onMove} onRemove={onRemove} />);
    fireEvent.click(screen.getByLabelText("上へ"));
    fireEvent.click(screen.getByLabelText("下へ"));
    fireEvent.click(screen.getByText("削除"));
    expect(onMove.mock.calls).toEqual([[-1], [1]]);
    expect(onRemove).toHaveBeenCalledOnce();
  });
});

describe("<CardList> and <Table>", () => {
  freshPageEachTest();
  it("render one card / one row per item under the given test id", () => {
    const rows = [{ id: "a", name: "VIP" }, { id: "b", name: "新規" }];
    render(
      <>
        <CardList rows={rows} testId="tag-cards" keyOf={(r) => r.id}>
          {(r) => <Card title={r.name} href={`#/tags/${r.id}`} />}
        </CardList>
        <Table testId="tag-table" columns={["名前", { label: "人数", num: true }]}>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>{r.name}</td>
              <td class="num">1</td>
            </tr>
          ))}
        </Table>
      </>,
    );
    const links = screen.getByTestId("tag-cards").querySelectorAll("a.list-card__title");
    expect([...links].map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
      ["VIP", "#/tags/a"],
      ["新規", "#/tags/b"],
    ]);
    const table = screen.getByTestId("tag-table");
    expect([...table.querySelectorAll("th")].map((th) => [th.textContent, th.className])).toEqual([
      ["名前", ""],
      ["人数", "num"],
    ]);
    expect(table.querySelectorAll("tbody tr")).toHaveLength(2);
  });
});

import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import CoursesScreen, { attachmentsText, parseAttachments } from "./CoursesScreen";

const COURSE = {
  course_id: "crs_1", title: "LINE集客講座", description: "", status: "published", grant_tag: "",
  chapters: [{ title: "第1章", lessons: [{ id: "les_1", title: "ようこそ", body: "本文", video_url: "", attachments: [], drip_days: 0 },
    { id: "les_2", title: "実践", body: "", video_url: "", attachments: [], drip_days: 7 }] }],
  lesson_count: 2, member_url: "http://localhost/m/ws/crs_1/", created_at: "2026-01-01T00:00:00+00:00",
};
const REPORT = {
  course_id: "crs_1",
  members: [{ subscriber_id: "s_1", name: "花子", active: true, sources: ["manual"], started_at: "2026-01-02T00:00:00+00:00", completed: 1, total: 2, percent: 50 }],
  drop_off: [{ lesson_id: "les_1", title: "ようこそ", completed: 3, stopped_before: 0 }, { lesson_id: "les_2", title: "実践", completed: 1, stopped_before: 2 }],
};

describe("courses (会員サイト)", () => {
  freshPageEachTest();

  it("reads and writes attachments one a line", () => {
    expect(parseAttachments("資料 | https://a.example/x.pdf\n\n  ")).toEqual([{ name: "資料", url: "https://a.example/x.pdf" }]);
    expect(attachmentsText([{ name: "資料", url: "https://a.example/x.pdf" }])).toBe("資料 | https://a.example/x.pdf");
    expect(parseAttachments("ワーク | asset:ast_1")).toEqual([{ name: "ワーク", asset_id: "ast_1" }]);
    expect(attachmentsText([{ name: "ワーク", asset_id: "ast_1" }])).toBe("ワーク | asset:ast_1");
  });

  it("an uploaded attachment is added to the lesson's list and saved as its asset", async () => {
    location.hash = "#/courses/crs_1";
    const api = fakeApi({
      "GET /api/courses/crs_1": COURSE,
      "GET /api/courses/crs_1/members": REPORT,
      "POST /api/assets": { asset_id: "ast_9", kind: "attachment", name: "ワーク.pdf", content_type: "application/pdf", size: 9, width: null, height: null, url: null },
      "PUT /api/courses/crs_1": COURSE,
    });
    render(withApp(api, <CoursesScreen />));
    const [input] = (await screen.findAllByTestId("course-attachment-upload")) as HTMLInputElement[];
    Object.defineProperty(input, "files", { value: [new File(["%PDF-1.4"], "ワーク.pdf")], configurable: true });
    fireEvent.change(input!);
    const list = document.querySelector("textarea[name='chapters.0.lessons.0.attachments']") as HTMLTextAreaElement;
    await waitFor(() => expect(list.value).toBe("ワーク.pdf | asset:ast_9"));
    fireEvent.click(screen.getByTestId("course-save"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("PUT /api/courses/crs_1"))).toBe(true));
    expect(api.calls.find((c) => c.startsWith("PUT"))).toContain('"attachments":[{"name":"ワーク.pdf","asset_id":"ast_9"}]');
  });

  it("creates a course with a chapter and a drip lesson; a bad video URL is shown at its field", async () => {
    location.hash = "#/courses/new";
    let n = 0;
    const api = fakeApi({
      "POST /api/courses": () =>
        n++ === 0
          ? new ApiError({ status: 422, code: "validation_failed", message: "動画のURLは YouTube か Vimeo の動画ページのURLにしてください", where: "chapters.0.lessons.0.video_url" })
          : COURSE,
    });
    render(withApp(api, <CoursesScreen />));
    fireEvent.input(screen.getByLabelText("コース名"), { target: { value: "LINE集客講座" } });
    fireEvent.input(screen.getByLabelText("第1章のタイトル"), { target: { value: "第1章" } });
    fireEvent.input(screen.getByLabelText("レッスン 1 のタイトル"), { target: { value: "ようこそ" } });
    fireEvent.input(document.querySelector("input[name='chapters.0.lessons.0.video_url']")!, { target: { value: "https://evil.example/v.mp4" } });
    fireEvent.input(document.querySelector("input[name='chapters.0.lessons.0.drip_days']")!, { target: { value: "7" } });
    fireEvent.click(screen.getByTestId("course-save"));
    expect((await screen.findAllByText(/YouTube か Vimeo/)).length).toBeGreaterThan(0);
    fireEvent.click(screen.getByTestId("course-save"));
    await waitFor(() => expect(location.hash).toBe("#/courses/crs_1"));
    expect(api.calls[1]).toContain('"drip_days":7');
    expect(api.calls[1]).toContain('"title":"LINE集客講座"');
  });

  it("shows members with progress and the drop-off per lesson; staff log a member out everywhere", async () => {
    location.hash = "#/courses/crs_1";
    const api = fakeApi({
      "GET /api/courses/crs_1": COURSE,
      "GET /api/courses/crs_1/members": REPORT,
      "POST /api/members/s_1/sessions/revoke": { revoked: 2 },
    });
    render(withApp(api, <CoursesScreen />));
    expect((await screen.findByTestId("course-member-progress")).textContent).toContain("1 / 2 レッスン完了 (50%)");
    const rows = screen.getAllByTestId("course-dropoff-row").map((r) => r.textContent);
    expect(rows).toEqual(["ようこそ30", "実践12"]);
    fireEvent.click(screen.getByTestId("course-member-logout"));
    expect(await screen.findByText("2 件のログインを終了しました。")).toBeTruthy();
  });
});

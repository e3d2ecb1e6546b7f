import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fieldErrors } from "../../lib/problems";
import { effective, emailSegment, normalise, PERMISSIONS, ROLE_DEFAULTS, toggle } from "./operatorsShared";

describe("the admin's copy of the permission matrix", () => {
  const py = readFileSync(resolve(__dirname, "../../../../layers/haishin/haishin/auth/permissions.py"), "utf8");

  it("lists exactly the backend's Permission values", () => {
    const values = [...py.matchAll(/^\s+[A-Z_]+ = "([a-z_]+)"/gm)].map((m) => m[1]).filter((v) => !["owner", "admin", "operator", "viewer"].includes(v!));
    expect([...PERMISSIONS]).toEqual(values);
  });

  it("gives operators and viewers the backend's defaults", () => {
    const block = (role: string) => {
      const m = py.match(new RegExp(`Role\\.${role}: frozenset\\(\\s*\\{([^}]*)\\}`));
      return [...(m?.[1] ?? "").matchAll(/Permission\.([A-Z_]+)/g)].map((x) => x[1]!.toLowerCase()).sort();
    };
    expect([...ROLE_DEFAULTS.operator].sort()).toEqual(block("OPERATOR"));
    expect([...ROLE_DEFAULTS.viewer].sort()).toEqual(block("VIEWER"));
    expect(ROLE_DEFAULTS.admin.has("view_audit_log")).toBe(false);
  });
});

describe("grants and denials", () => {
  it("stores only differences from the role, and denial wins", () => {
    let s = toggle("operator", "view_line_user_ids", true, [], []);
    expect(s).toEqual({ granted: ["view_line_user_ids"], denied: [] });
    s = toggle("operator", "chat", false, s.granted, s.denied);
    expect(s).toEqual({ granted: ["view_line_user_ids"], denied: ["chat"] });
    s = toggle("operator", "view_line_user_ids", false, s.granted, s.denied);
    expect(s).toEqual({ granted: [], denied: ["chat"] });
    expect(effective("operator", [], ["chat"]).has("chat")).toBe(false);
    expect(effective("viewer", ["chat"], ["chat"]).has("chat")).toBe(false);
  });

  it("drops overrides the new role makes pointless", () => {
    expect(normalise("admin", ["export_csv"], ["chat"])).toEqual({ granted: [], denied: ["chat"] });
    expect(normalise("viewer", ["export_csv"], ["chat"])).toEqual({ granted: ["export_csv"], denied: [] });
  });

  it("matches an API error to its field, list items included", () => {
    const e = new ApiError({ status: 422, code: "validation_failed", message: "bad", where: "webhook_secrets.1" });
    expect(fieldErrors(e).at("webhook_secrets")).toBe("bad"); // what the settings screens use (fieldErrors)
    expect(fieldErrors(e).at("webhook")).toBeUndefined();
    expect(fieldErrors(null).at("email")).toBeUndefined();
  });

  it("keeps an e-mail's @ and + as they are in a path segment, encodes the rest", () => {
    expect(emailSegment("a.b+shop@example.jp")).toBe("a.b+shop@example.jp");
    expect(emailSegment("x/y?z#@example.jp")).toBe("x%2Fy%3Fz%23@example.jp");
  });
});

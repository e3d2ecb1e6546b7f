import { describe, expect, it } from "vitest";
import { cognitoAuthorizeUrl, sessionFromTokens } from "../auth";
import { parseConfig } from "../config";
import { parseHash } from "../router";
import { childScreens, matchScreen, navOwner, SCREENS, visibleTo } from "./registry";

describe("routing", () => {
  it("parses hash routes", () => {
    expect(parseHash("#/friends?tag=vip").path).toBe("/friends");
    expect(parseHash("#/friends?tag=vip").query.get("tag")).toBe("vip");
    expect(parseHash("").path).toBe("/");
    expect(parseHash("#/settings/channels/").path).toBe("/settings/channels");
  });

  it("matches the longest registered prefix, and a child highlights its parent", () => {
    expect(matchScreen("/friends/sub_123")?.path).toBe("/friends");
    expect(matchScreen("/settings/channels")?.path).toBe("/settings/channels");
    expect(navOwner("/settings/channels")).toBe("/settings");
    expect(matchScreen("/nope")).toBeUndefined();
    expect(matchScreen("/friendsXYZ")).toBeUndefined();
  });

  it("registers every planned screen, with channel setup under settings for owners and admins", () => {
    const paths = SCREENS.map((s) => s.path);
    for (const p of ["/dashboard", "/friends", "/scenarios", "/broadcasts", "/auto-replies", "/rich-menus", "/forms", "/commerce", "/settings"]) {
      expect(paths).toContain(p);
    }
    expect(childScreens("/settings").map((s) => s.path)).toEqual(["/settings/channels", "/settings/greeting", "/settings/operators", "/settings/audit-log", "/settings/fields", "/settings/senders", "/settings/stripe", "/settings/webhooks"]);
    // operators and Stripe keys: owners and admins; the audit log: owners only
    expect(visibleTo("admin")(matchScreen("/settings/operators")!)).toBe(true);
    expect(visibleTo("operator")(matchScreen("/settings/operators")!)).toBe(false);
    expect(visibleTo("owner")(matchScreen("/settings/audit-log")!)).toBe(true);
    expect(visibleTo("admin")(matchScreen("/settings/audit-log")!)).toBe(false);
    expect(visibleTo("viewer")(matchScreen("/settings/stripe")!)).toBe(false);
    const channels = matchScreen("/settings/channels")!;
    expect(visibleTo("owner")(channels)).toBe(true);
    expect(visibleTo("viewer")(channels)).toBe(false);
  });
});

describe("config and Cognito", () => {
  it("rejects a config without apiBase and accepts the local one", () => {
    expect(() => parseConfig({ authMode: "dev" })).toThrow(/apiBase/);
    expect(parseConfig({ apiBase: "http://127.0.0.1:3000/", authMode: "dev" }).apiBase).toBe("http://127.0.0.1:3000");
    expect(() => parseConfig({ apiBase: "x", authMode: "cognito" })).toThrow(/cognito/);
  });

  it("builds the Hosted UI authorize URL with PKCE", () => {
    const url = new URL(
      cognitoAuthorizeUrl(
        { domain: "https://h.auth.ap-northeast-1.amazoncognito.com", clientId: "abc" },
        "CHAL",
        "STATE",
        "https://admin.example/",
      ),
    );
    expect(url.origin + url.pathname).toBe("https://h.auth.ap-northeast-1.amazoncognito.com/oauth2/authorize");
    expect(url.searchParams.get("client_id")).toBe("abc");
    expect(url.searchParams.get("response_type")).toBe("code");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toBe("CHAL");
    expect(url.searchParams.get("redirect_uri")).toBe("https://admin.example/");
    expect(url.searchParams.get("scope")).toBe("openid email profile");
  });

  it("sends the ID token (it carries the workspace the API scopes by) and shows its claims", () => {
    const jwt = (payload: object) => `h.${btoa(JSON.stringify(payload)).replace(/=+$/, "")}.sig`;
    const id = jwt({ email: "a@example.jp", "custom:workspace_id": "ws_1", "cognito:groups": ["operator"] });
    const access = jwt({ scope: "openid email profile", client_id: "abc", "cognito:groups": ["operator"] });
    const s = sessionFromTokens(id, access);
    expect(s).toMatchObject({ token: id, email: "a@example.jp", workspaceId: "ws_1", role: "operator" });
  });
});

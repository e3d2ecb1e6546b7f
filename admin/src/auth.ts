/**
 * Sessions. The token lives in sessionStorage (one tab, gone when the tab closes).
 *
 * - dev mode (local system): POST {apiBase}/_dev/login {"email","workspace_id","role"} -> {"token"}
 * - cognito mode (AWS): Hosted UI, authorization-code flow with PKCE (the app client has no
 *   secret). The ACCESS token is the bearer token: the HTTP API's JWT authorizer requires the
 *   scopes email/openid/profile, which only access tokens carry. The ID token is read (not sent)
 *   for what the header shows: email, custom:workspace_id, cognito:groups.
 */
import { ApiError, createApiClient } from "./api";
import type { CognitoConfig } from "./config";

export const ROLES = ["owner", "admin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export interface Session {
  token: string;
  email: string;
  workspaceId: string;
  role: Role;
  /** Display name when the API tells us one; the header falls back to workspaceId. */
  workspaceName?: string;
}

const SESSION_KEY = "haishin.session";
const RETURN_KEY = "haishin.returnTo";

function store(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

export function loadSession(): Session | null {
  const raw = store()?.getItem(SESSION_KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    return typeof s.token === "string" && s.token ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session): void {
  store()?.setItem(SESSION_KEY, JSON.stringify(s));
}

export function clearSession(): void {
  store()?.removeItem(SESSION_KEY);
}

/** Where to go back to after logging in (a hash route such as "#/friends"). */
export function rememberReturnTo(hash: string): void {
  if (hash && !hash.startsWith("#/login")) store()?.setItem(RETURN_KEY, hash);
}

export function takeReturnTo(): string {
  const s = store();
  const v = s?.getItem(RETURN_KEY) ?? "";
  s?.removeItem(RETURN_KEY);
  return v || "#/dashboard";
}

function isRole(v: unknown): v is Role {
  return typeof v === "string" && (ROLES as readonly string[]).includes(v);
}

export async function devLogin(
  apiBase: string,
  input: { email: string; workspaceId: string; role: Role },
  fetchImpl?: typeof fetch,
): Promise<Session> {
  const client = createApiClient({ baseUrl: apiBase, getToken: () => null, ...(fetchImpl ? { fetchImpl } : {}) });
  const res = await client.post<Record<string, unknown>>("/_dev/login", {
    email: input.email,
    workspace_id: input.workspaceId,
    role: input.role,
  });
  if (!res || typeof res.token !== "string" || !res.token) {
    throw new ApiError({ status: 200, code: "server_error", message: "/_dev/login answered without a token" });
  }
  return {
    token: res.token,
    email: input.email,
    workspaceId: typeof res.workspace_id === "string" ? res.workspace_id : input.workspaceId,
    role: isRole(res.role) ? res.role : input.role,
    ...(typeof res.workspace_name === "string" ? { workspaceName: res.workspace_name } : {}),
  };
}

// ------------------------------------------------------------------ Cognito Hosted UI (PKCE)

const PKCE_KEY = "haishin.pkce";

function here(): string {
  return `${location.origin}${location.pathname}`;
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomVerifier(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The Hosted UI authorize URL (pure: tested). */
export function cognitoAuthorizeUrl(c: CognitoConfig, challenge: string, state: string, fallbackRedirect: string): string {
  const p = new URLSearchParams({
    response_type: "code",
    client_id: c.clientId,
    redirect_uri: c.redirectUri ?? fallbackRedirect,
    scope: (c.scopes ?? ["openid", "email", "profile"]).join(" "),
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  });
  return `${c.domain}/oauth2/authorize?${p.toString()}`;
}

export function cognitoLogoutUrl(c: CognitoConfig, fallback: string): string {
  const p = new URLSearchParams({ client_id: c.clientId, logout_uri: c.logoutUri ?? fallback });
  return `${c.domain}/logout?${p.toString()}`;
}

export async function startCognitoLogin(c: CognitoConfig): Promise<void> {
  const verifier = randomVerifier();
  const state = randomVerifier();
  store()?.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  location.assign(cognitoAuthorizeUrl(c, await pkceChallenge(verifier), state, here()));
}

/** Claims of a JWT payload (no verification: the API verifies; we only read display fields). */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split(".")[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function sessionFromTokens(idToken: string, accessToken: string): Session {
  const c = { ...jwtClaims(accessToken), ...jwtClaims(idToken) };
  const groups = Array.isArray(c["cognito:groups"]) ? (c["cognito:groups"] as unknown[]) : [];
  const role = ROLES.find((r) => groups.includes(r)) ?? "viewer";
  return {
    // The ID token goes to the API: it carries the e-mail and custom:workspace_id the API scopes every request by
    // (access tokens carry neither); the authorizer checks its audience (our client ID) instead of scopes.
    token: idToken,
    email: typeof c.email === "string" ? c.email : "",
    workspaceId: typeof c["custom:workspace_id"] === "string" ? (c["custom:workspace_id"] as string) : "",
    role,
  };
}

/**
 * If this page is the Hosted UI callback (?code=...&state=...), exchange the code for tokens.
 * Returns the new session, or null when the page is not a callback.
 */
export async function finishCognitoLogin(c: CognitoConfig, fetchImpl: typeof fetch = fetch): Promise<Session | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return null;
  const saved = JSON.parse(store()?.getItem(PKCE_KEY) ?? "{}") as { verifier?: string; state?: string };
  store()?.removeItem(PKCE_KEY);
  // Drop ?code= from the address bar whatever happens next.
  history.replaceState(null, "", `${location.pathname}${location.hash}`);
  if (!saved.verifier || saved.state !== params.get("state")) {
    throw new ApiError({ status: 0, code: "unauthenticated", message: "Login state did not match; start the login again." });
  }
  const res = await fetchImpl(`${c.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: c.clientId,
      code,
      redirect_uri: c.redirectUri ?? here(),
      code_verifier: saved.verifier,
    }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body.id_token !== "string" || typeof body.access_token !== "string") {
    throw new ApiError({
      status: res.status,
      code: "unauthenticated",
      message: typeof body.error === "string" ? `Cognito: ${body.error}` : `Cognito token exchange failed (HTTP ${res.status})`,
    });
  }
  return sessionFromTokens(body.id_token, body.access_token);
}

/**
 * Runtime configuration, fetched from ./config.json at startup (never baked into the build):
 * the local system serves `{"apiBase", "authMode": "dev", "lineEmulatorUrl", "stripeUrl"}`,
 * AWS serves `{"apiBase", "authMode": "cognito", "cognito": {...}}` next to index.html.
 */

export interface CognitoConfig {
  /** Hosted UI base, e.g. https://haishin-prod.auth.ap-northeast-1.amazoncognito.com */
  domain: string;
  clientId: string;
  /** Defaults to this page's URL without query or hash. Must be a Cognito callback URL. */
  redirectUri?: string;
  /** Defaults to the page's origin + path. Must be a Cognito sign-out URL. */
  logoutUri?: string;
  scopes?: string[];
}

export interface AppConfig {
  apiBase: string;
  authMode: "dev" | "cognito";
  cognito?: CognitoConfig;
  lineEmulatorUrl?: string;
  stripeUrl?: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validate what config.json said; throw ConfigError naming the bad field. */
export function parseConfig(raw: unknown): AppConfig {
  if (typeof raw !== "object" || raw === null) throw new ConfigError("config.json is not a JSON object");
  const o = raw as Record<string, unknown>;
  if (typeof o.apiBase !== "string" || o.apiBase === "") throw new ConfigError("config.json: apiBase is missing");
  if (o.authMode !== "dev" && o.authMode !== "cognito") {
    throw new ConfigError(`config.json: authMode must be "dev" or "cognito" (got ${JSON.stringify(o.authMode)})`);
  }
  const cfg: AppConfig = { apiBase: o.apiBase.replace(/\/+$/, ""), authMode: o.authMode };
  if (typeof o.lineEmulatorUrl === "string") cfg.lineEmulatorUrl = o.lineEmulatorUrl;
  if (typeof o.stripeUrl === "string") cfg.stripeUrl = o.stripeUrl;
  if (o.authMode === "cognito") {
    const c = o.cognito as Record<string, unknown> | undefined;
    if (!c || typeof c.domain !== "string" || typeof c.clientId !== "string") {
      throw new ConfigError("config.json: authMode is cognito but cognito.domain / cognito.clientId are missing");
    }
    cfg.cognito = {
      domain: c.domain.replace(/\/+$/, ""),
      clientId: c.clientId,
      ...(typeof c.redirectUri === "string" ? { redirectUri: c.redirectUri } : {}),
      ...(typeof c.logoutUri === "string" ? { logoutUri: c.logoutUri } : {}),
      ...(Array.isArray(c.scopes) ? { scopes: c.scopes.map(String) } : {}),
    };
  }
  return cfg;
}

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<AppConfig> {
  let res: Response;
  try {
    res = await fetchImpl("./config.json", { cache: "no-store" });
  } catch (e) {
    throw new ConfigError(`config.json could not be fetched: ${String(e)}`);
  }
  if (!res.ok) throw new ConfigError(`config.json answered HTTP ${res.status}`);
  let raw: unknown;
  try {
    raw = await res.json();
  } catch {
    throw new ConfigError("config.json is not valid JSON");
  }
  return parseConfig(raw);
}

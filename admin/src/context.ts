/** What every screen may use: the config, the API client and the signed-in session. */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { ApiClient } from "./api";
import type { Session } from "./auth";
import type { AppConfig } from "./config";

export interface AppContextValue {
  config: AppConfig;
  api: ApiClient;
  session: Session;
  logout: () => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error("useApp() used outside <AppContext.Provider>");
  return v;
}

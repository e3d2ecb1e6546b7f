/**
 * Code-split a screen: `lazyScreen(() => import("./friends/FriendsScreen"))`.
 * Vite emits one chunk per screen, so the first load stays small as screens are added.
 */
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n";
import { ErrorNotice } from "./ErrorNotice";

export function lazyScreen(load: () => Promise<{ default: ComponentType }>): ComponentType {
  let cached: ComponentType | null = null;
  return function LazyScreen() {
    const [Comp, setComp] = useState<ComponentType | null>(() => cached);
    const [error, setError] = useState<unknown>(null);
    const [attempt, setAttempt] = useState(0);
    useEffect(() => {
      if (Comp) return;
      let live = true;
      load().then(
        (m) => {
          cached = m.default;
          if (live) setComp(() => m.default);
        },
        (e: unknown) => live && setError(e),
      );
      return () => {
        live = false;
      };
    }, [attempt]);
    if (error) return <ErrorNotice error={error} onRetry={() => (setError(null), setAttempt(attempt + 1))} />;
    if (!Comp) return <p class="muted">{t("app.loading")}</p>;
    return <Comp />;
  };
}

/**
 * The action editor's choice of webhook endpoint (the call_webhook action names an endpoint, never a URL).
 * Endpoints are read once per page load from GET /api/webhooks and shared by every picker on the page.
 */
import { useEffect, useState } from "preact/hooks";
import type { ApiClient } from "../../api";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { endpointLabel, type Endpoint } from "./types";

let cached: Promise<Endpoint[]> | null = null;

export function loadEndpoints(api: ApiClient, fresh = false): Promise<Endpoint[]> {
  if (!cached || fresh) {
    cached = api.get<{ items: Endpoint[] }>("/api/webhooks").then((r) => r.items, (e) => ((cached = null), Promise.reject(e)));
  }
  return cached;
}

export function EndpointPicker({ name, value, invalid, onChange }: { name: string; value: string; invalid?: boolean; onChange: (id: string) => void }) {
  const { api } = useApp();
  const [endpoints, setEndpoints] = useState<Endpoint[] | null>(null);
  useEffect(() => {
    loadEndpoints(api).then(setEndpoints, () => setEndpoints([]));
  }, []);
  const known = endpoints?.some((e) => e.endpoint_id === value);
  return (
    <select name={name} value={value} aria-invalid={invalid} data-testid="endpoint-picker" onChange={(e) => onChange(e.currentTarget.value)}>
      <option value="">{endpoints && endpoints.length === 0 ? t("wh.pick.none") : t("wh.pick")}</option>
      {endpoints?.map((e) => (
        <option key={e.endpoint_id} value={e.endpoint_id}>
          {endpointLabel(e)}
          {e.enabled ? "" : ` (${t("wh.disabled")})`}
        </option>
      ))}
      {value && endpoints && !known && <option value={value}>{value}</option>}
    </select>
  );
}

/** Shapes of /api/webhooks (haishin/api/routes/webhooks.py). */
export interface Endpoint {
  endpoint_id: string;
  url: string;
  description: string;
  enabled: boolean;
  events: string[];
  secret_hint: string | null;
  created_at: string;
  updated_at: string;
}
/** POST /api/webhooks and /rotate-secret answer the secret this once. */
export interface EndpointWithSecret extends Endpoint {
  secret: string;
}
export interface Attempt {
  attempt: number;
  at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  outcome: string;
}
export interface Delivery {
  delivery_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: "queued" | "retrying" | "delivered" | "failed";
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  attempt_log: Attempt[];
  next_attempt_at: string | null;
  created_at: string;
}

export const STATUS_BADGE: Record<Delivery["status"], string> = {
  queued: "badge--warn",
  retrying: "badge--warn",
  delivered: "badge--ok",
  failed: "badge--bad",
};

/** A replay makes sense for what did not arrive; a delivered one can be sent again too (the receiver dedupes). */
export function canReplay(d: Pick<Delivery, "status">): boolean {
  return d.status === "failed" || d.status === "retrying" || d.status === "delivered";
}

/** How an endpoint is named in lists: its note, else its host and path. */
export function endpointLabel(e: Pick<Endpoint, "description" | "url">): string {
  if (e.description.trim()) return e.description.trim();
  try {
    const u = new URL(e.url);
    return `${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return e.url;
  }
}

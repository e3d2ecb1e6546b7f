/** Shapes of layers/haishin/haishin/scenarios/models.py (the API answers with these, by alias: `from`). */
import type { LineMessage } from "../../components/MessagePreview";

export type Timing =
  | { type: "immediately" }
  | { type: "after"; amount: number; unit: "minutes" | "hours" | "days"; from: "enrollment" | "previous_step" }
  | { type: "day_at"; day: number; at: string; late_enrollment: "same_day_next_slot" | "next_day" | "skip" }
  | {
      type: "relative_to_date";
      field: string;
      days: number;
      at: string;
      if_missing: "skip_step" | "end";
      if_past: "skip_step" | "send_now";
      /** set: the field holds a date and time (e.g. seminar_start) and the step is due this many minutes after it */
      minutes?: number | null;
    };

export interface Condition {
  type: "has_tag" | "lacks_tag" | "field";
  tag?: string;
  field?: string;
  op?: string;
  value?: unknown;
}

export interface StepConditions {
  all: Condition[];
  any: Condition[];
  on_fail: "skip" | "end_enrollment";
}

export interface Action {
  type: string;
  [k: string]: unknown;
}

export interface Step {
  id: string;
  name: string;
  timing: Timing;
  conditions: StepConditions | null;
  line: LineMessage[] | null;
  email: { subject: string; html?: string | null; text?: string | null } | null;
  sms: { text: string } | null;
  actions: Action[];
  /** A/B test: 2-4 variants (A = the step's own content); null: no test */
  variants?: StepVariant[] | null;
}

export interface StepVariant {
  /** null while the typed weight is not a whole number (the API says so at the field) */
  weight: number | null;
  content: {
    line?: LineMessage[] | null;
    email?: { subject: string; html?: string | null; text?: string | null } | null;
    sms?: { text: string } | null;
  };
}

export interface Trigger {
  type: string;
  form_id?: string | null;
  product_id?: string | null;
  tag?: string | null;
}

export interface Scenario {
  id: string;
  name: string;
  description: string;
  status: "active" | "paused" | "draft";
  version: number;
  line_channel_id: string | null;
  triggers: Trigger[];
  stop_on: Trigger[];
  restart: "ignore" | "restart" | "after_completion";
  lateness: { policy: "send_late" | "skip_if_late"; max_late_minutes: number };
  channel_mode: "all" | "first_available";
  email_from: string | null;
  steps: Step[];
}

export const TRIGGERS = ["friend_added", "form_submitted", "purchase_completed", "tag_added", "tag_removed", "admin", "api", "csv", "booking_created", "booking_canceled", "lesson_completed", "course_completed"] as const;
export const ACTION_TYPES = [
  "add_tag",
  "remove_tag",
  "set_field",
  "add_to_field",
  "start_scenario",
  "stop_scenario",
  "stop_all_scenarios",
  "call_webhook",
] as const;

export function newStep(index: number): Step {
  return {
    id: "",
    name: "",
    timing: index === 0 ? { type: "immediately" } : { type: "after", amount: 1, unit: "days", from: "previous_step" },
    conditions: null,
    line: [{ type: "text", text: "" }],
    email: null,
    sms: null,
    actions: [],
  };
}

export function newScenario(): Scenario {
  return {
    id: "",
    name: "",
    description: "",
    status: "active",
    version: 0,
    line_channel_id: null,
    triggers: [{ type: "friend_added" }],
    stop_on: [],
    restart: "ignore",
    lateness: { policy: "send_late", max_late_minutes: 60 },
    channel_mode: "all",
    email_from: null,
    steps: [newStep(0)],
  };
}

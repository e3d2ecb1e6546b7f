export interface FriendLine {
  channel_id: string;
  status: string | null;
  followed_at: string | null;
  blocked_at: string | null;
  line_user_id?: string | null;
}
export interface FriendTag {
  tag_id: string;
  name: string;
}
export interface FriendField {
  key: string;
  label: string;
  type: string;
  value: unknown;
  text: string | null;
  choices?: string[];
  required?: boolean;
}
export interface Friend {
  subscriber_id: string;
  display_name: string | null;
  picture_url: string | null;
  email: string | null;
  phone: string | null;
  follow_status: string;
  line: FriendLine[];
  tags: FriendTag[];
  inflow_route: string | null;
  created_at: string | null;
  last_interaction_at: string | null;
  unsubscribed_all: boolean;
  total_spent: number | null;
}
export interface TimelineEntry {
  entry_id: string;
  kind: string;
  at: string;
  actor: string | null;
  data: Record<string, unknown>;
}
export interface FriendDetail extends Friend {
  fields: FriendField[];
  products: string[];
  forms_answered: string[];
  timeline: { items: TimelineEntry[]; next_cursor: string | null };
}
export interface ChatMessage {
  id: string;
  kind: string;
  direction: "in" | "out";
  at: string;
  actor: string | null;
  data: Record<string, unknown>;
}

/**
 * One channel's message of a send (a scenario step, a broadcast, and later the greeting): LINE messages with the
 * editor, an e-mail (subject, optional From, HTML + text body with the sandboxed preview), or an SMS text.
 *
 * Input names and error places are `<base>.line…`, `<base>.email.subject`, `<base>.email.html|text`,
 * `<base>.sms.text`: the API's `where` for the same content, so each error shows at its field.
 */
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { t } from "../i18n";
import { EmailBodyEditor, FromSelect, type SenderOption } from "./EmailBodyEditor";
import { FieldError, TextField } from "./Field";
import { MessageEditor } from "./MessageEditor";
import type { LineMessage } from "./MessagePreview";

export type Channel = "line" | "email" | "sms";
export const CHANNELS: readonly Channel[] = ["line", "email", "sms"];

export interface EmailContent {
  subject: string;
  html?: string | null;
  text?: string | null;
  from?: string | null;
}
export interface SmsContent {
  text: string;
}

/** The empty message a channel starts with when the marketer turns it on. */
export function emptyContent(channel: "line"): LineMessage[];
export function emptyContent(channel: "email"): EmailContent;
export function emptyContent(channel: "sms"): SmsContent;
export function emptyContent(channel: Channel): LineMessage[] | EmailContent | SmsContent;
export function emptyContent(channel: Channel): LineMessage[] | EmailContent | SmsContent {
  return channel === "line" ? [{ type: "text", text: "" }] : channel === "email" ? { subject: "", text: "" } : { text: "" };
}

/**
 * The API's error for LINE message `j` (field `f`, "" = the message): `<base>.line[j]` (scenarios) or
 * `<base>.line.j` (broadcasts); a problem deeper in the message that has no field of its own shows on the message.
 */
export function lineErrorAt(problems: Map<string, string>, base: string) {
  return (j: number, f: string): string | undefined => {
    for (const w of [`${base}.line[${j}]`, `${base}.line.${j}`]) {
      const hit = f
        ? problems.get(`${w}.${f}`)
        : (problems.get(w) ?? [...problems].find(([k]) => k.startsWith(`${w}.`) && !/\.(text|originalContentUrl|altText)$/.test(k))?.[1]);
      if (hit) return hit;
    }
    return undefined;
  };
}

/** The workspace's e-mail senders, fetched once `enabled` (an e-mail is being written). */
export function useSenders(enabled: boolean): SenderOption[] {
  const { api } = useApp();
  const [senders, setSenders] = useState<SenderOption[]>([]);
  useEffect(() => {
    if (enabled) api.get<{ items: SenderOption[] }>("/api/senders").then((r) => setSenders(r.items), () => setSenders([]));
  }, [enabled]);
  return senders;
}

interface Common {
  /** where-prefix of this content: "steps[0]", "content" */
  base: string;
  problems: Map<string, string>;
}
export type ChannelMessageBlockProps =
  | (Common & { channel: "line"; value: LineMessage[]; onChange: (next: LineMessage[]) => void })
  | (Common & { channel: "email"; value: EmailContent; onChange: (next: EmailContent) => void; senders?: SenderOption[] })
  | (Common & { channel: "sms"; value: SmsContent; onChange: (next: SmsContent) => void; rows?: number });

export function ChannelMessageBlock(props: ChannelMessageBlockProps) {
  const { base, problems } = props;
  if (props.channel === "line")
    return (
      <div class="channel-block" data-channel="line">
        <MessageEditor value={props.value} name={`${base}.line`} errorAt={lineErrorAt(problems, base)} onChange={props.onChange} />
        <FieldError text={problems.get(`${base}.line`)} name={`${base}.line`} />
      </div>
    );
  if (props.channel === "email") {
    const email = props.value;
    const put = (patch: Partial<EmailContent>) => props.onChange({ ...email, ...patch });
    return (
      <div class="channel-block" data-channel="email">
        <TextField label={t("sc.email.subject")} name={`${base}.email.subject`} value={email.subject} error={problems.get(`${base}.email.subject`)} onValue={(subject) => put({ subject })} />
        {props.senders && (
          <FromSelect name={`${base}.email.from`} value={email.from ?? ""} senders={props.senders} error={problems.get(`${base}.email.from`)} onChange={(from) => put({ from })} />
        )}
        <EmailBodyEditor
          name={`${base}.email`}
          html={email.html ?? ""}
          text={email.text ?? ""}
          htmlError={problems.get(`${base}.email.html`)}
          textError={problems.get(`${base}.email.text`) ?? problems.get(`${base}.email`)}
          onChange={({ html, text }) => put({ html, text })}
        />
      </div>
    );
  }
  return (
    <div class="channel-block" data-channel="sms">
      <TextField
        label={t("sc.sms.text")}
        name={`${base}.sms.text`}
        rows={props.rows ?? 2}
        maxLength={1600}
        value={props.value.text}
        error={problems.get(`${base}.sms.text`)}
        onValue={(text) => props.onChange({ text })}
      />
    </div>
  );
}

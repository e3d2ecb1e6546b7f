/**
 * 友だちを追加 (#/friends/new): a friend by hand, e.g. an e-mail-only contact (POST /api/subscribers). The API's
 * refusal (a malformed or already registered address or phone) is shown at its field; on success the friend's page.
 */
import { TextField } from "../../components/Field";
import { EditorShell, type ResourceKind } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useForm } from "../../lib/useForm";
import { navigate } from "../../router";

export const FRIENDS: ResourceKind = { path: "/friends", title: "nav.friends", newLabel: "fa.new", testId: "friend-add" };

type Values = { display_name: string; email: string; phone: string };

export function AddFriend() {
  const { api } = useApp();
  const form = useForm<Values>({ display_name: "", email: "", phone: "" }, "friends.new");
  const v = form.values;
  const err = fieldErrors(form.error);
  const field = (name: keyof Values) => ({ name, value: v[name], error: err.at(name), onValue: (x: string) => form.set(name, x) });
  const save = (x: Values) =>
    api.post<{ subscriber_id: string }>("/api/subscribers", {
      display_name: x.display_name.trim() || null,
      ...(x.email.trim() ? { email: x.email.trim() } : {}),
      ...(x.phone.trim() ? { phone: x.phone.trim() } : {}),
    });
  return (
    <EditorShell kind={FRIENDS} id={null} name="" form={form} save={save} lead={t("fa.lead")} saveLabel={t("fa.save")}
      onSaved={(r) => navigate(`/friends/${encodeURIComponent(r.subscriber_id)}`)}>
      <section class="card form">
        <TextField label={t("fa.displayName")} maxLength={200} {...field("display_name")} />
        <TextField label={t("fa.email")} type="email" maxLength={254} {...field("email")} />
        <TextField label={t("fa.phone")} hint={t("fa.phone.hint")} maxLength={30} {...field("phone")} />
      </section>
    </EditorShell>
  );
}

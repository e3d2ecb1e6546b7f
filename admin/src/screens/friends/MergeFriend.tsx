/**
 * 友だちを統合 (#/friends/<id>/merge): the same person registered twice (a LINE friend and the e-mail contact added
 * by hand, say) becomes one. The other friend is picked, the effect is said, and the merge runs behind the in-page
 * confirm (POST /api/subscribers/{id}/merge {loser_id}); then this friend's page. Linked from the friend page.
 */
import { useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { PageHeader } from "../../components/PageHeader";
import { Loaded } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { href, navigate } from "../../router";
import { FriendPicker, friendLabel, type FriendRow } from "./FriendPicker";

function MergeForm({ friend }: { friend: FriendRow }) {
  const { api } = useApp();
  const [other, setOther] = useState("");
  const merging = useAction();
  const err = fieldErrors(merging.error);
  const page = `/friends/${encodeURIComponent(friend.subscriber_id)}`;
  const merge = () =>
    void merging.run(() => api.post(`/api/subscribers/${encodeURIComponent(friend.subscriber_id)}/merge`, { loser_id: other })).then((r) => r !== undefined && navigate(page));
  return (
    <section class="card form" data-testid="friend-merge">
      <p>{t("mg.lead", { name: friendLabel(friend) })}</p>
      <FriendPicker label={t("mg.other")} name="loser_id" value={other} error={err.at("loser_id")} testId="friend-merge" except={friend.subscriber_id} onValue={setOther} />
      <ErrorNotice error={merging.error} onDismiss={() => merging.setError(null)} />
      <div class="row">
        <ConfirmButton large label={t("mg.run")} confirmLabel={t("mg.run")} question={t("mg.question")} busy={merging.busy} onConfirm={merge} testId="friend-merge-run" />
      </div>
    </section>
  );
}

export function MergeFriend({ id }: { id: string }) {
  return (
    <>
      <PageHeader title={t("mg.title")}>
        <a class="btn btn--ghost" href={href(`/friends/${encodeURIComponent(id)}`)}>{t("sc.back")}</a>
      </PageHeader>
      <Loaded<FriendRow> path={`/api/subscribers/${encodeURIComponent(id)}`}>{(f) => <MergeForm friend={f as FriendRow} />}</Loaded>
    </>
  );
}

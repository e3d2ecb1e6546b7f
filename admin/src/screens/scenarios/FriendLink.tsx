/**
 * A scenario's own friend-add link and QR code (UTAGE's 「シナリオごとの LINE 登録ページ」), on the scenario's page:
 * friends who add the LINE account through it enter this scenario instead of the friend-added (welcome) scenarios,
 * and friends already following enter it too. It is an inflow route (GET/POST /api/scenarios/{id}/friend-link), so
 * its URL, QR code (the route's PNG/SVG), friend count and greeting override are the route's: the panel is the
 * routes screen's own, and "edit on the routes screen" opens the route.
 */
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { SelectField } from "../../components/Field";
import { useApiGet, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { fieldErrors } from "../../lib/problems";
import { useAction } from "../../lib/useAction";
import { href } from "../../router";
import { type InflowRoute, RoutePanel } from "../routes/RoutesScreen";

export interface ScenarioFriendLink {
  scenario_id: string;
  link: (InflowRoute & { scenario_id: string | null; replace_friend_added: boolean }) | null;
}

interface ChannelRow {
  channel_id: string;
  name: string | null;
}

export function FriendLink({ scenarioId }: { scenarioId: string }) {
  const { api } = useApp();
  const got = useApiGet<ScenarioFriendLink>(`/api/scenarios/${scenarioId}/friend-link`);
  const make = useAction();
  const [made, setMade] = useState<ScenarioFriendLink | null>(null);
  const [channel, setChannel] = useState("");
  const view = made ?? got.data;
  const err = fieldErrors(make.error);
  const create = () =>
    make.run(async () => setMade(await api.post<ScenarioFriendLink>(`/api/scenarios/${scenarioId}/friend-link`, channel ? { channel_id: channel } : {})));
  return (
    <section class="card form" data-testid="scenario-friend-link">
      <h2 class="card__title">{t("sl.title")}</h2>
      <p class="muted">{t("sl.lead")}</p>
      <ErrorNotice error={got.error} onDismiss={() => got.setError(null)} />
      {view && !view.link && (
        <>
          {err.at("channel_id") !== undefined && <ChannelChoice value={channel} onValue={setChannel} error={err.at("channel_id")} />}
          <div class="row">
            <button type="button" class="btn" disabled={make.busy} onClick={() => void create()} data-testid="scenario-friend-link-create">
              {t("sl.create")}
            </button>
          </div>
          {err.at("channel_id") === undefined && <ErrorNotice error={make.error} onDismiss={() => make.setError(null)} />}
        </>
      )}
      {view?.link && (
        <>
          <RoutePanel route={view.link} />
          <p>
            <a href={href(`/inflow-routes/${view.link.route_id}`)} data-testid="scenario-friend-link-edit">
              {t("sl.edit")}
            </a>
          </p>
        </>
      )}
    </section>
  );
}

/** The LINE channel of the link, asked only when the API says it must be chosen (several channels). */
function ChannelChoice({ value, onValue, error }: { value: string; onValue: (v: string) => void; error: string | undefined }) {
  const channels = useApiList<ChannelRow>("/api/channels", (b: { channels: ChannelRow[] }) => b.channels);
  const options: [string, string][] = [["", t("sl.channel.choose")], ...(channels.rows ?? []).map((c): [string, string] => [c.channel_id, c.name ? `${c.name} (${c.channel_id})` : c.channel_id])];
  return <SelectField label={t("sl.channel")} name="channel_id" value={value} options={options} error={value ? undefined : error} onValue={onValue} />;
}

"""A scenario's own friend-add link and QR code (UTAGE's 「各シナリオの LINE 登録ページ」): friends who come by it
enter that scenario instead of the friend-added (welcome) scenarios.

It is an inflow route, not a second mechanism: a route marked with the scenario (``RouteModel.scenario_id``) whose
action starts the scenario and which replaces the friend-added scenarios (``replace_friend_added``). So it has the
route's URL, LINE Login, attribution, QR code, friend count and greeting override, and it is listed (folder
「シナリオ」) and editable on the routes screen too.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from haishin.errors import ValidationFailed
from haishin.routes.service import RouteService, route_view


class ScenarioLookup(Protocol):
    def require(self, workspace_id: str, scenario_id: str) -> Any: ...


class ChannelList(Protocol):
    def list_channels(self, workspace_id: str) -> list[Any]: ...


class ScenarioLinkRequest(BaseModel):
    """What the admin sends to make a scenario's link: the LINE channel, when the scenario names none and the
    workspace has several."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    channel_id: str | None = Field(default=None, max_length=64)


class ScenarioLinks:
    def __init__(self, *, routes: RouteService, scenarios: ScenarioLookup, channels: ChannelList) -> None:
        self.routes = routes
        self.scenarios = scenarios
        self.channels = channels

    def view(self, workspace_id: str, scenario_id: str) -> dict[str, Any]:
        """``{"link": <the route's view with its friend count> | None}``."""
        self.scenarios.require(workspace_id, scenario_id)
        route = self.routes.of_scenario(workspace_id, scenario_id)
        if route is None:
            return {"scenario_id": scenario_id, "link": None}
        return {"scenario_id": scenario_id,
                "link": route_view(route, self.routes.friends_of(workspace_id, route.route_id))}

    def create(self, workspace_id: str, scenario_id: str, request: ScenarioLinkRequest) -> dict[str, Any]:
        """The scenario's link, made now if it has none (asking again returns the same link: printed QR codes
        keep working)."""
        scenario = self.scenarios.require(workspace_id, scenario_id)
        channel_id = request.channel_id or scenario.line_channel_id or self._only_channel(workspace_id)
        if scenario.line_channel_id and channel_id != scenario.line_channel_id:
            raise ValidationFailed("シナリオの送信チャネルと同じ LINE チャネルを選んでください", where="channel_id")
        self.routes.create_for_scenario(workspace_id, scenario_id, name=f"シナリオ: {scenario.name}",
                                        channel_id=channel_id)
        return self.view(workspace_id, scenario_id)

    def _only_channel(self, workspace_id: str) -> str:
        channels = [c for c in self.channels.list_channels(workspace_id) if getattr(c, "status", "") == "connected"]
        if not channels:
            raise ValidationFailed("LINE チャネルが接続されていません。先にチャネルを接続してください",
                                   where="channel_id")
        if len(channels) > 1:
            raise ValidationFailed("LINE チャネルが複数あります。リンクを作るチャネルを選んでください",
                                   where="channel_id")
        return str(channels[0].channel_id)

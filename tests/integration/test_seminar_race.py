"""200 friends race for 10 seats against DynamoDB Local (the local system's tables): exactly 10 confirmed and 190
waitlisted, the session's counters agree, one registration per friend; then 5 cancellations move 5 waitlisted
friends up, oldest first. Only conditional transactions decide (docs/production/seminars.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from haishin.seminars.inputs import SeminarIn, SessionIn
from haishin.subscribers.models import line_account
from haishin_local.runtime.system import LocalSystem

WS = "w_seminar_race"


def test_200_friends_race_for_10_seats_on_dynamodb_local(local_system: LocalSystem) -> None:
    from haishin.wiring import services  # noqa: PLC0415 - the local system's own composition root

    seminars = services().seminars
    repo = services().subscribers
    friends = []
    for i in range(200):
        subscriber = repo.new(WS, source="line")
        user = f"U{i:032x}"
        subscriber.line = {"3000000001": line_account(user, status="following")}
        repo.create(subscriber, [("line:3000000001", user)])
        friends.append(subscriber.subscriber_id)
    event = seminars.create(WS, SeminarIn(title="競争セミナー"))
    session = seminars.add_session(WS, event.event_id, SessionIn(
        starts_at=datetime(2031, 1, 10, 19), ends_at=datetime(2031, 1, 10, 21), venue="会場", capacity=10))

    def go(subscriber_id: str) -> str:
        return str(seminars.register(WS, event.event_id, session.session_id, subscriber_id, source="line").status)

    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(go, friends))
    assert (outcomes.count("confirmed"), outcomes.count("waitlisted")) == (10, 190)
    (stored,) = seminars.sessions(WS, event.event_id)
    assert (stored.taken, stored.waiting) == (10, 190)
    regs = seminars.repo.registrations(WS, event.event_id)
    assert len(regs) == 200 and len({r.subscriber_id for r in regs}) == 200

    confirmed = [r for r in regs if r.status == "confirmed"][:5]
    first_waiting = [r.registration_id for r in regs if r.status == "waitlisted"][:5]
    with ThreadPoolExecutor(max_workers=5) as pool:
        assert all(pool.map(lambda r: seminars.cancel(WS, event.event_id, r.registration_id), confirmed))
    after = {r.registration_id: r.status for r in seminars.repo.registrations(WS, event.event_id)}
    assert all(after[rid] == "confirmed" for rid in first_waiting)
    (stored,) = seminars.sessions(WS, event.event_id)
    assert (stored.taken, stored.waiting) == (10, 185)
    assert sum(status == "confirmed" for status in after.values()) == 10

"""SES/SNS have no idempotency key: a timeout or a dropped connection after the request went out may mean it was
sent, so it is never retried blindly inside one call (neither by our loop nor by botocore's own retries); a failure
to connect, or an error AWS answered, is safe to retry."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from haishin.delivery.email_sms import SesEmailSender, SnsSmsSender
from haishin.delivery.ledger import Ledger
from haishin.delivery.worker import PermanentFailure
from tests.unit.scenarios.step_harness import StepWorld


class FlakySes:
    def __init__(self, first: Exception) -> None:
        self.first: Exception | None = first
        self.calls = 0

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.first is not None:
            error, self.first = self.first, None
            raise error
        return {"MessageId": "ses-1"}

    send_raw_email = send_email  # e-mails with List-Unsubscribe headers go out raw


def email_step(world: StepWorld) -> Any:
    ws = world.workspace()
    scenario = world.scenario(ws, {"name": "mail", "steps": [
        {"id": "m", "email": {"subject": "ようこそ", "text": "こんにちは"}}]})
    world.enroll(ws, world.friend(ws, "U1", email="a@example.com"), scenario)
    world.tick()
    [message] = world.waiting
    return message


@pytest.mark.parametrize("error", [ReadTimeoutError(endpoint_url="https://email"),
                                   ConnectionClosedError(endpoint_url="https://email")])
def test_a_timeout_after_sending_is_not_retried_in_the_call(aws: Any, manual_clock: Any, error: Exception) -> None:
    world = StepWorld()
    ses = FlakySes(error)
    world.services.worker.email = SesEmailSender(client=ses)
    message = email_step(world)
    with pytest.raises(PermanentFailure):
        world.services.worker.process(message)
    assert ses.calls == 1  # SES may have accepted it: a second call could send the mail twice
    row = Ledger().get(message.delivery_id)
    assert row.status == "failed" and "outcome unknown" in row.error
    with pytest.raises(PermanentFailure):  # an SQS redelivery does not resend it either
        world.services.worker.process(message)
    assert ses.calls == 1


def test_a_connection_never_made_is_retried(aws: Any, manual_clock: Any) -> None:
    world = StepWorld()
    ses = FlakySes(EndpointConnectionError(endpoint_url="https://email"))
    world.services.worker.email = SesEmailSender(client=ses)
    message = email_step(world)
    assert world.services.worker.process(message) == "sent"
    assert ses.calls == 2


def test_botocore_does_not_retry_ses_or_sns_on_its_own(aws: Any) -> None:
    for client in (SesEmailSender()._ses(), SnsSmsSender()._sns()):
        assert client.meta.config.retries["total_max_attempts"] == 1

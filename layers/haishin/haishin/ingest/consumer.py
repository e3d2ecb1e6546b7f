"""The line_events consumer: a Powertools BatchProcessor over SQS records, partial batch failures reported.

Each record is processed by ``LineEventProcessor.process_record``; a record that raises is reported in
``batchItemFailures`` (SQS redelivers only it; after ``maxReceiveCount`` it goes to the DLQ). After the batch,
each channel's ``last_event_at`` is set once (the newest event time seen), not once per event.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from haishin.ingest.processor import LineEventProcessor, RecordOutcome

log = logging.getLogger("haishin.ingest")


class LineEventsConsumer:
    def __init__(self, processor: LineEventProcessor) -> None:
        self.processor = processor
        self._latest: dict[str, datetime] = {}

    def _record(self, record: SQSRecord) -> RecordOutcome:
        outcome = self.processor.process_record(record.body)
        if outcome.latest is not None:
            current = self._latest.get(outcome.channel_id)
            if current is None or outcome.latest > current:
                self._latest[outcome.channel_id] = outcome.latest
        return outcome

    def handle(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        self._latest = {}
        batch = BatchProcessor(event_type=EventType.SQS)
        response = process_partial_response(event=event, record_handler=self._record, processor=batch,
                                            context=context)
        for channel_id, at in self._latest.items():
            try:
                self.processor.channels.touch(channel_id, at)
            except Exception:  # activity is informational; never fail the batch for it
                log.exception("recording last_event_at failed for channel %s", channel_id)
        return dict(response)


def default_processor() -> LineEventProcessor:
    """Production wiring: DynamoDB through PynamoDB, LINE through the one client, secrets from Secrets Manager."""
    from haishin.actions import ActionRunner  # noqa: PLC0415
    from haishin.autoreplies.rules import AutoReplyStore  # noqa: PLC0415
    from haishin.channels.activity import ChannelActivity  # noqa: PLC0415
    from haishin.ingest.triggers import load_triggers  # noqa: PLC0415
    from haishin.line.client import LineClients  # noqa: PLC0415
    from haishin.secrets import SecretsManagerStore  # noqa: PLC0415
    from haishin.storage.once import EventLedger  # noqa: PLC0415
    from haishin.subscribers.repository import SubscriberRepository  # noqa: PLC0415
    from haishin.timeline.models import Timeline  # noqa: PLC0415

    subscribers = SubscriberRepository()
    timeline = Timeline()
    triggers = load_triggers()
    scenario_control = triggers if all(hasattr(triggers, n) for n in ("start", "stop", "stop_all")) else None
    return LineEventProcessor(
        subscribers=subscribers,
        timeline=timeline,
        ledger=EventLedger(),
        line=LineClients(SecretsManagerStore()),
        triggers=triggers,
        auto_replies=AutoReplyStore(),
        channels=ChannelActivity(),
        actions=ActionRunner(subscribers, timeline, scenarios=scenario_control),
    )

"""Dead letters from the command line: ``python -m haishin_local.cli_dlq peek|replay --queue DeliveryDeadLetterQueue
[--target DeliveryQueue] [--endpoint http://127.0.0.1:PORT] [--workspace ws_...]``.

``--queue``/``--target`` take a queue name (the local system names queues by their logical IDs) or a full URL (AWS).
``--endpoint`` points boto3 at the local moto server; without it boto3's usual configuration applies
(``AWS_ENDPOINT_URL``...). Ledger rows are read from DynamoDB as configured by the environment (``LEDGER_TABLE``,
``AWS_ENDPOINT_URL_DYNAMODB``). Replay resets each row (``Ledger.reset_for_replay``) before moving its message back;
a delivery sent meanwhile is dropped instead. Bodies are never printed.

A LINE delivery first tried over 23 h ago is left in the DLQ (LINE forgets retry keys after 24 h: a replay could
send it twice). ``--force-old-line`` replays it anyway after showing the risk (in Japanese) and asking for
confirmation; ``--yes`` answers that question in scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _url(sqs: Any, name_or_url: str) -> str:
    if name_or_url.startswith(("http://", "https://")):
        return name_or_url
    return str(sqs.get_queue_url(QueueName=name_or_url)["QueueUrl"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m haishin_local.cli_dlq", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["peek", "replay"])
    parser.add_argument("--queue", default="DeliveryDeadLetterQueue")
    parser.add_argument("--target", default="DeliveryQueue")
    parser.add_argument("--endpoint", default=None, help="SQS endpoint, e.g. the local moto server")
    parser.add_argument("--workspace", default=None, help="only this workspace's dead letters")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--force-old-line", action="store_true",
                        help="also replay LINE deliveries first tried over 23 h ago (may send twice)")
    parser.add_argument("--yes", action="store_true", help="confirm --force-old-line without asking")
    args = parser.parse_args(argv)

    import boto3  # noqa: PLC0415

    from haishin.delivery.dead_letters import LINE_REPLAY_RISK_JA, peek, replay  # noqa: PLC0415

    if args.command == "replay" and args.force_old_line:
        sys.stderr.write(f"注意: {LINE_REPLAY_RISK_JA}\n")
        if not args.yes:
            sys.stderr.write("それでも 23 時間以上前の LINE 配信も再送しますか? [y/N] ")
            sys.stderr.flush()
            if input().strip().lower() not in ("y", "yes"):
                sys.stderr.write("中止しました。\n")
                return 1

    sqs = boto3.client("sqs", endpoint_url=args.endpoint) if args.endpoint else boto3.client("sqs")
    url = _url(sqs, args.queue)
    if args.command == "peek":
        result: Any = peek(workspace_id=args.workspace, sqs=sqs, url=url, limit=args.limit)
    else:
        result = replay(workspace_id=args.workspace, sqs=sqs, url=url, target_url=_url(sqs, args.target),
                        limit=args.limit, force_old_line=args.force_old_line)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

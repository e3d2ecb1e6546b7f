"""``python -m haishin_local up`` starts the whole system locally; ``install-dynamodb`` fetches DynamoDB Local."""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from .dynamodb_local import JAVA_HINT, DynamoDBLocalError, install


def _install(_: argparse.Namespace) -> int:
    found = install()
    print(f"DynamoDB Local is installed: {found.jar}")
    return 0


def _parameters(values: list[str]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep:
            raise SystemExit(f"--parameter takes Name=Value, got {value!r}")
        parameters[key] = val
    return parameters


def _up(args: argparse.Namespace) -> int:
    if not shutil.which("java"):
        print(JAVA_HINT, file=sys.stderr)
        return 2
    install(quiet=False)
    from .runtime import LocalSystem  # noqa: PLC0415 - keeps install-dynamodb and --help fast

    started = time.monotonic()
    system = LocalSystem(
        port=args.port,
        host=args.host,
        seed=not args.no_seed,
        persist=args.persist,
        template=Path(args.template) if args.template else None,
        parameters=_parameters(args.parameter),
        strict=not args.allow_missing_handlers,
        stage=args.stage,
        say=lambda line: print(line, flush=True),
    )
    stop = threading.Event()
    running = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if not running.is_set():
            raise KeyboardInterrupt  # still starting: unwind start(), which stops what it started

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        system.start()
        running.set()
        elapsed = time.monotonic() - started
        base = system.base_url
        seeded = f", demo seed {system.seed_seconds:.1f} s" if system.seed else ""
        print(f"Haishin is running locally (started in {elapsed:.1f} s: system {system.core_seconds:.1f} s{seeded})")
        print(f"  admin            {base}/admin/")
        print(f"  API              {system.api_url}  ({len(system.routes)} routes, stage {system.stage})")
        line = getattr(system.line_emulator, "base_url", None)
        print(f"  LINE emulator    {line + '/' if line else '(not available)'}")
        if line and system.seed:
            from haishin_local.seed import DEMO_CHANNEL_ID  # noqa: PLC0415

            print(f"  friend's phone   {line}/_emulator/phone?channel={DEMO_CHANNEL_ID}&user=Udemo_phone_friend"
                  "  (add the bot, type, tap buttons)")
            print("  dev login        owner@example.com, workspace ws_demo, role owner")
        stripe = getattr(system.stripe_emulator, "base_url", None)
        print(f"  Stripe stand-in  {stripe + '/' if stripe else '(not available)'}")
        hooks = getattr(system.webhook_receiver, "base_url", None)
        print(f"  webhook receiver {hooks + '/deliveries' if hooks else '(not available)'}  (outgoing webhooks)")
        print(f"  DynamoDB Local   {system.dynamodb_endpoint}")
        print(f"  moto server      {system.moto_endpoint}")
        print(f'  dev clock        {base}/_dev/clock  (POST /_dev/clock/advance {{"minutes": N}})')
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
        print("Stopping...", flush=True)
    finally:
        system.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m haishin_local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the whole system locally")
    up.add_argument("--port", type=int, default=3000, help="HTTP port (0 picks a free one; default 3000)")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--persist", action="store_true", help="keep DynamoDB data in .local/dynamodb-data")
    up.add_argument("--no-seed", action="store_true", help="do not load the demo workspace")
    up.add_argument(
        "--stage",
        default="$default",
        help="serve the routes under this API Gateway stage, e.g. prod: /prod/... with requestContext.stage "
        "(default $default: no prefix)",
    )
    up.add_argument("--template", help="another SAM template (default: template.yaml of the repository)")
    up.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter (repeatable)",
    )
    up.add_argument(
        "--allow-missing-handlers",
        action="store_true",
        help="start even when a function's handler file is missing (its routes answer 502)",
    )
    up.add_argument("-v", "--verbose", action="store_true")
    up.set_defaults(func=_up)
    inst = sub.add_parser("install-dynamodb", help="fetch DynamoDB Local into .local/ (idempotent)")
    inst.set_defaults(func=_install)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from .runtime.errors import LocalSystemError, TemplateRefused  # noqa: PLC0415

    try:
        code: int = args.func(args)
    except (DynamoDBLocalError, LocalSystemError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TemplateRefused as exc:
        print(f"template.yaml refused: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())

"""No handler module keeps one request's or one batch's state at module level.

Lambda runs one invocation per environment, but the local runtime (``haishin_local.runtime``) invokes a function's
one module from several threads at once: the SQS mapping runs up to four batches, the HTTP server one request per
connection. A module-level ``BatchProcessor`` holds the batch's records and failures, so two batches mixed them (one
answered with the other's failures). ``tests/unit/webhooks/test_webhook_sender_handler.py`` shows the race itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HANDLERS = sorted((ROOT / "functions").glob("*/app.py"))
PER_INVOCATION = {"BatchProcessor", "SqsFifoPartialProcessor", "AsyncBatchProcessor"}


def module_level_calls(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            func = node.value.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda p: p.parent.name)
def test_batch_state_is_made_per_invocation(handler: Path) -> None:
    made_at_import = module_level_calls(ast.parse(handler.read_text()))
    assert not made_at_import & PER_INVOCATION, f"{handler.parent.name}: make the batch processor in the handler"


def test_the_check_sees_a_module_level_processor() -> None:
    tree = ast.parse("processor = BatchProcessor(event_type=EventType.SQS)\nlogger = Logger()\n")
    assert module_level_calls(tree) & PER_INVOCATION == {"BatchProcessor"}
    assert len(HANDLERS) >= 10

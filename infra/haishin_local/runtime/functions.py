"""Loading the real handlers in-process and invoking them with a Lambda-like context."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from .errors import TemplateRefused
from .template import FunctionSpec

Handler = Callable[[Any, Any], Any]


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    timeout_seconds: int = 3
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    """One function of the template: its handler is imported on first use under a unique module name."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._handler: Handler | None = None
        self.module: ModuleType | None = None
        self._slots = threading.BoundedSemaphore(spec.reserved_concurrency) if spec.reserved_concurrency else None
        self.invocations = 0
        self.errors = 0

    @property
    def name(self) -> str:
        return self.spec.logical_id

    def override(self, handler: Handler) -> None:
        """Replace the handler (tests); the template's wiring stays the same."""
        with self._lock:
            self._handler = handler

    def load(self) -> Handler:
        with self._lock:
            if self._handler is not None:
                return self._handler
            spec = self.spec
            if spec.missing:
                raise TemplateRefused(spec.logical_id, spec.missing)
            module_name = f"haishin_fn_{spec.logical_id}"
            loader_spec = importlib.util.spec_from_file_location(module_name, spec.module_file)
            if loader_spec is None or loader_spec.loader is None:
                raise TemplateRefused(spec.logical_id, f"cannot import {spec.module_file}")
            module = importlib.util.module_from_spec(loader_spec)
            code_dir = str(spec.code_uri)
            sys.modules[module_name] = module
            sys.path.insert(0, code_dir)  # like Lambda: the CodeUri directory is on the path while importing
            try:
                loader_spec.loader.exec_module(module)
            except Exception as exc:
                sys.modules.pop(module_name, None)
                raise TemplateRefused(
                    spec.logical_id, f"importing {spec.module_file.name} failed: {type(exc).__name__}: {exc}"
                ) from exc
            finally:
                with contextlib.suppress(ValueError):
                    sys.path.remove(code_dir)
            handler = getattr(module, spec.attribute, None)
            if not callable(handler):
                raise TemplateRefused(spec.logical_id, f"{spec.module_file.name} has no callable {spec.attribute}")
            self.module = module
            self._handler = handler
            return handler

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.spec.logical_id,
            memory_limit_in_mb=self.spec.memory_size,
            invoked_function_arn=self.spec.arn,
            timeout_seconds=self.spec.timeout,
        )

    def invoke(self, event: Any) -> Any:
        handler = self.load()
        if self._slots:
            self._slots.acquire()
        try:
            self.invocations += 1
            return handler(event, self.context())
        except Exception:
            self.errors += 1
            raise
        finally:
            if self._slots:
                self._slots.release()

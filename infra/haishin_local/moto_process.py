"""moto's server (SQS, S3, EventBridge Scheduler, Secrets Manager, Cognito) in a process of its own.

The local runtime runs every Lambda in one Python process, so they share one GIL. moto in a thread of that process
took a fifth of it during a 100,000-friend broadcast (Flask and werkzeug per SQS request); in its own process it
runs on the other core. Started like DynamoDB Local: a free loopback port, dies with the process that started it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import IO

from .dynamodb_local import die_with_parent, free_port, terminate


class MotoServerError(RuntimeError):
    pass


class MotoServer:
    def __init__(self, *, port: int = 0) -> None:
        self.port = port or free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get_host_and_port(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def launch(self) -> None:
        """Start the server (returns at once); ``wait_ready`` waits for it to answer."""
        self._log = tempfile.TemporaryFile(prefix="moto-server-")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only calls prctl, safe between fork and exec
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise MotoServerError(f"the moto server exited during startup: {self._output()[-500:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise MotoServerError(f"the moto server did not answer on port {self.port} within {timeout:.0f} s")

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc)
        if self._log:
            self._log.close()
            self._log = None

    def _output(self) -> str:
        if not self._log:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()

"""moto's server (SQS, S3, EventBridge Scheduler, Secrets Manager, Cognito, SES, SNS) in a process of its own, with
SES as strict as AWS about verified identities (``haishin_local.moto_ses``).

The local runtime runs every Lambda in one Python process, so they share one GIL. moto in a thread of that process
took a fifth of it during a 100,000-friend broadcast (Flask and werkzeug per SQS request); in its own process it
runs on the other core.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request

from .child_process import ChildProcess


class MotoServerError(RuntimeError):
    pass


class MotoServer(ChildProcess):
    log_prefix = "moto-server-"

    def launch(self) -> None:
        """Start the server (returns at once); ``wait_ready`` waits for it to answer."""
        self._spawn([sys.executable, "-m", "haishin_local.moto_ses", "-H", "127.0.0.1", "-p", str(self.port)])

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

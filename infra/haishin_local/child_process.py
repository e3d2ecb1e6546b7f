"""A server the local system runs as a child process (DynamoDB Local, moto): a free loopback port, its output kept
in a temporary file for error messages, SIGTERM when the Python process that started it dies (even on kill -9),
and stopped with SIGTERM, then SIGKILL."""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import IO


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM when the Python process that started it dies, even on kill -9."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class ChildProcess:
    log_prefix = "child-"

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self, command: list[str], cwd: Path | None = None) -> None:
        """Start ``command`` (returns at once). Call it from the main thread: the child dies with that thread."""
        self._log = tempfile.TemporaryFile(prefix=self.log_prefix)  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            command,
            cwd=str(cwd) if cwd else None,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only calls prctl, safe between fork and exec
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log:
            self._log.close()
            self._log = None

    def _output(self) -> str:
        if not self._log:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()

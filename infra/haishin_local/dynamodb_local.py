"""DynamoDB Local without Docker: fetched once from npm, run as a Java subprocess.

DynamoDB Local 1.25.1 ships inside the npm package ``amplify-dynamodb-simulator@2.9.30``. ``install()`` runs
``npm pack`` into ``<repo>/.local/`` and unpacks only the jar and its native libraries; it is idempotent.
``DynamoDBLocal`` starts the JVM on a free loopback port and waits until it answers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PACKAGE = "amplify-dynamodb-simulator@2.9.30"
REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = REPO_ROOT / ".local"
INSTALL_DIR = LOCAL_DIR / "dynamodb-local"
JAVA_HINT = "Java 17 is required for DynamoDB Local: apt-get install openjdk-17-jre-headless"
# C1-only JIT and the serial GC start the JVM faster on small shared machines; benchmarks that want peak
# throughput set HAISHIN_DYNAMODB_JAVA_OPTS="" (or their own options).
JAVA_FAST_START = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
NPM_HINT = "npm is required to fetch DynamoDB Local (once): apt-get install npm"


class DynamoDBLocalError(RuntimeError):
    """A problem the developer can fix; the CLI prints its message as one line."""


@dataclass(frozen=True)
class Installation:
    jar: Path
    lib: Path


def find_installation(install_dir: Path = INSTALL_DIR) -> Installation | None:
    jar = install_dir / "DynamoDBLocal.jar"
    lib = install_dir / "DynamoDBLocal_lib"
    if jar.is_file() and lib.is_dir() and (install_dir / ".installed").is_file():
        return Installation(jar=jar, lib=lib)
    return None


def install(install_dir: Path = INSTALL_DIR, *, quiet: bool = False) -> Installation:
    """Fetch and unpack DynamoDB Local unless it is already there (idempotent)."""
    found = find_installation(install_dir)
    if found:
        return found
    npm = shutil.which("npm")
    if not npm:
        raise DynamoDBLocalError(NPM_HINT)
    download_dir = install_dir.parent
    download_dir.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(f"Fetching DynamoDB Local ({PACKAGE}) with npm pack into {download_dir} ...", flush=True)
    proc = subprocess.run(
        [npm, "pack", PACKAGE, "--json", "--pack-destination", str(download_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise DynamoDBLocalError(f"npm pack {PACKAGE} failed: {last}")
    try:
        filename = json.loads(proc.stdout)[0]["filename"]
    except (ValueError, LookupError, TypeError):
        filename = "amplify-dynamodb-simulator-2.9.30.tgz"
    tgz = download_dir / Path(filename).name
    if not tgz.is_file():
        raise DynamoDBLocalError(f"npm pack did not produce {tgz}")
    _unpack(tgz, install_dir)
    tgz.unlink(missing_ok=True)
    found = find_installation(install_dir)
    if not found:
        raise DynamoDBLocalError(f"{PACKAGE} did not contain DynamoDBLocal.jar and DynamoDBLocal_lib")
    return found


def _unpack(tgz: Path, install_dir: Path) -> None:
    prefix = "package/emulator/"
    if install_dir.exists():
        shutil.rmtree(install_dir)
    install_dir.mkdir(parents=True)
    with tarfile.open(tgz, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            if not member.name.startswith(prefix) or not (member.isfile() or member.isdir()):
                continue
            member.name = member.name[len(prefix) :]
            if not member.name:
                continue
            members.append(member)
        tar.extractall(install_dir, members=members, filter="data")
    (install_dir / ".installed").write_text(PACKAGE + "\n")


def die_with_parent() -> None:
    """Linux: the JVM gets SIGTERM when the Python process that started it dies, even on kill -9."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 5 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class DynamoDBLocal:
    """A DynamoDB Local JVM on a loopback port (in memory, or a shared db file under .local with persist)."""

    def __init__(
        self,
        *,
        port: int = 0,
        persist: bool = False,
        db_path: Path | None = None,
        install_dir: Path = INSTALL_DIR,
        auto_install: bool = True,
    ) -> None:
        self.port = port or free_port()
        self.persist = persist
        self.db_path = db_path or (LOCAL_DIR / "dynamodb-data")
        self.install_dir = install_dir
        self.auto_install = auto_install
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, installation: Installation, java: str) -> list[str]:
        java_opts = os.environ.get("HAISHIN_DYNAMODB_JAVA_OPTS", JAVA_FAST_START).split()
        cmd = [java, *java_opts, f"-Djava.library.path={installation.lib}", "-jar", str(installation.jar)]
        # no usage telemetry from a developer's machine (and no blocked network calls offline)
        cmd += ["-port", str(self.port), "-disableTelemetry"]
        if self.persist:
            self.db_path.mkdir(parents=True, exist_ok=True)
            cmd += ["-sharedDb", "-dbPath", str(self.db_path)]
        else:
            cmd += ["-inMemory"]
        return cmd

    def start(self, timeout: float = 25.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the JVM (returns at once). Call it from the main thread: the JVM dies with that thread."""
        java = shutil.which("java")
        if not java:
            raise DynamoDBLocalError(JAVA_HINT)
        installation = find_installation(self.install_dir)
        if installation is None:
            if not self.auto_install:
                raise DynamoDBLocalError(
                    "DynamoDB Local is not installed: run python -m haishin_local install-dynamodb"
                )
            installation = install(self.install_dir)
        self._log = tempfile.TemporaryFile(prefix="dynamodb-local-")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            self.command(installation, java),
            cwd=str(installation.jar.parent),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only calls prctl, safe between fork and exec
        )

    def wait_ready(self, timeout: float = 25.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self._proc
            if proc is not None and proc.poll() is not None:
                err = self._output()
                last = err.splitlines()[-1] if err else f"exit code {proc.returncode}"
                raise DynamoDBLocalError(f"DynamoDB Local exited during startup: {last}")
            if self._answers():
                return
            time.sleep(0.1)
        self.stop()
        raise DynamoDBLocalError(f"DynamoDB Local did not answer on port {self.port} within {timeout:.0f} s")

    def _answers(self) -> bool:
        request = urllib.request.Request(
            self.endpoint,
            data=b"{}",
            method="POST",
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "DynamoDB_20120810.ListTables",
                "Authorization": (
                    "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, "
                    "SignedHeaders=host, Signature=0"
                ),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return bool(response.status == 200)
        except urllib.error.HTTPError:
            return True  # it answered, even if it did not like the fake signature
        except OSError:
            return False

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        terminate(proc)
        if self._log:
            self._log.close()
            self._log = None

    def _output(self) -> str:
        if not self._log:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

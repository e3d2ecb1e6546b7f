"""DynamoDB Local without Docker: fetched once from npm, run as a Java subprocess.

DynamoDB Local 1.25.1 ships inside the npm package ``amplify-dynamodb-simulator@2.9.30``. ``install()`` runs
``npm pack`` into ``<repo>/.local/`` and unpacks only the jar and its native libraries; it is idempotent.
``DynamoDBLocal`` starts the JVM on a free loopback port and waits until it answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .child_process import ChildProcess

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


class DynamoDBLocal(ChildProcess):
    """A DynamoDB Local JVM on a loopback port (in memory, or a shared db file under .local with persist)."""

    log_prefix = "dynamodb-local-"

    def __init__(
        self,
        *,
        port: int = 0,
        persist: bool = False,
        db_path: Path | None = None,
        install_dir: Path = INSTALL_DIR,
        auto_install: bool = True,
    ) -> None:
        super().__init__(port)
        self.persist = persist
        self.db_path = db_path or (LOCAL_DIR / "dynamodb-data")
        self.install_dir = install_dir
        self.auto_install = auto_install

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
        self._spawn(self.command(installation, java), cwd=installation.jar.parent)

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

"""Cold-start import time of every Lambda handler in template.yaml, laid out the way Lambda runs it.

For each function, a new interpreter (the base Python 3.11, no site-packages) imports ``app`` with
sys.path as in Lambda: the function's code (/var/task), then its layers in template order (/opt/python),
then the runtime's boto3 (/var/runtime). Each layer is a ``pip install --target`` of its requirements.txt
for this machine's architecture (the arm64 build from ``sam build`` cannot load here), made once under
.local/bench/ and reused while the requirements are unchanged.

Two cases, median of ``BENCH_RUNS`` (default 5) runs each:
- no .pyc: the tree carries no __pycache__ and the interpreter runs with -B, like a SAM build (which ships
  no .pyc), so every import compiles from source;
- .pyc: the same tree after ``compileall`` (what a build that precompiles would ship).
The runtime's boto3 has its .pyc in both cases (the managed runtime ships compiled). Prints figures only.
"""

from __future__ import annotations

import compileall
import hashlib
import importlib.metadata
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support import template as tpl  # noqa: E402

BENCH_DIR = ROOT / ".local" / "bench" / "lambda"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
HEAVY = ("linebot", "stripe", "boto3", "botocore", "pynamodb", "jinja2", "pydantic", "aws_lambda_powertools")

PROBE = r"""
import importlib, json, sys, time
sys.path[:] = json.loads(sys.argv[1]) + [p for p in sys.path if p.startswith(sys.base_prefix)]
t0 = time.perf_counter()
importlib.import_module("app")
t1 = time.perf_counter()
heavy = json.loads(sys.argv[2])
print(json.dumps({"ms": (t1 - t0) * 1000, "modules": len(sys.modules),
                  "heavy": sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy})}))
"""


def base_python() -> str:
    """The interpreter behind the venv: no site-packages of ours leak into the measurement."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes() if p.is_file() else b"")
    return h.hexdigest()[:12]


def _pip_target(target: Path, args: list[str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-compile", "--target", str(target), *args],
        check=True,
    )


def layer_sources() -> dict[str, Path]:
    """Layer logical ID -> its ContentUri directory."""
    return {lid: ROOT / res["Properties"]["ContentUri"] for lid, res in tpl.resources(tpl.LAYER_TYPE).items()}


def prepare(tree: Path) -> None:
    """Build the no-.pyc tree: runtime boto3, each layer's python/ dir, each function's code."""
    stamp_key = _digest(*(d / "requirements.txt" for d in layer_sources().values()))
    stamp = tree / f".deps-{stamp_key}"
    if not stamp.exists():
        print(f"import_times: installing the layers' requirements into {tree} (once) ...", flush=True)
        shutil.rmtree(tree, ignore_errors=True)
        # The runtime's boto3: the version our venv has.
        _pip_target(tree / "runtime", [f"boto3=={importlib.metadata.version('boto3')}"])
        compileall.compile_dir(tree / "runtime", quiet=2, workers=1)
        for lid, src in layer_sources().items():
            req = src / "requirements.txt"
            reqs = [ln for ln in req.read_text().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
            (tree / "layers" / lid / "python").mkdir(parents=True, exist_ok=True)
            if reqs:
                _pip_target(tree / "layers" / lid / "python", ["-r", str(req)])
        stamp.touch()
    # Our own code is copied fresh every run (it changes all the time); no __pycache__ comes along.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "requirements.txt")
    for lid, src in layer_sources().items():
        for child in src.iterdir():
            if child.is_dir() and (child / "__init__.py").exists():
                dest = tree / "layers" / lid / "python" / child.name
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(child, dest, ignore=ignore)
    shutil.rmtree(tree / "functions", ignore_errors=True)
    shutil.copytree(ROOT / "functions", tree / "functions", ignore=ignore)


def strip_pyc(tree: Path) -> None:
    for cache in [p for p in tree.rglob("__pycache__") if "runtime" not in p.relative_to(tree).parts[:1]]:
        shutil.rmtree(cache, ignore_errors=True)


def lambda_env(fn: tpl.Function) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.properties.get("MemorySize", 512)),
        "LAMBDA_TASK_ROOT": "/var/task",
    }
    for name, value in (fn.properties.get("Environment") or {}).get("Variables", {}).items():
        if isinstance(value, str):
            env[name] = value
        elif isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            env[name] = f"https://sqs.us-east-1.amazonaws.com/123456789012/{ref}" if ref.endswith("Queue") else ref
        else:
            env[name] = "bench"
    return env


def measure(tree: Path, fn: tpl.Function, compiled: bool) -> dict | None:
    task = tree / "functions" / fn.dir_name
    if not (task / "app.py").exists():
        return None
    paths = [str(task)] + [str(tree / "layers" / lid / "python") for lid in fn.layers] + [str(tree / "runtime")]
    cmd = [base_python(), "-S", "-s"] + ([] if compiled else ["-B"]) + ["-c", PROBE, json.dumps(paths)]
    cmd.append(json.dumps(HEAVY))
    samples, last = [], {}
    for _ in range(RUNS):
        proc = subprocess.run(cmd, env=lambda_env(fn), cwd=task, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            err = (proc.stderr.strip().splitlines() or ["?"])[-1]
            return {"error": err}
        last = json.loads(proc.stdout.strip().splitlines()[-1])
        samples.append(last["ms"])
    return {"ms": statistics.median(samples), "min": min(samples), "modules": last["modules"], "heavy": last["heavy"]}


def main() -> int:
    tree = BENCH_DIR
    prepare(tree)
    strip_pyc(tree)
    rows = []
    functions = tpl.functions()
    for fn in functions:
        rows.append([fn, measure(tree, fn, compiled=False)])
    compileall.compile_dir(tree / "layers", quiet=2, workers=1)
    compileall.compile_dir(tree / "functions", quiet=2, workers=1)
    for row in rows:
        row.append(measure(tree, row[0], compiled=True))
    strip_pyc(tree)

    print(
        f"\nHandler import time (median of {RUNS} fresh interpreters; python {sys.version.split()[0]}, "
        f"{os.uname().machine}; Lambda adds its ~70-90 ms runtime init on top)"
    )
    print(f"{'function':<26} {'no .pyc ms':>11} {'.pyc ms':>9} {'modules':>8}  heavy imports at module load")
    for fn, cold, warm in rows:
        if cold is None:
            print(f"{fn.logical_id:<26} {'-':>11} {'-':>9} {'-':>8}  functions/{fn.dir_name}/app.py not written yet")
        elif "error" in cold:
            print(f"{fn.logical_id:<26} {'error':>11} {'':>9} {'':>8}  {cold['error'][:80]}")
        else:
            w = f"{warm['ms']:.0f}" if warm and "ms" in warm else "error"
            print(f"{fn.logical_id:<26} {cold['ms']:>11.0f} {w:>9} {cold['modules']:>8}  {', '.join(cold['heavy'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cold-start cost per handler, in fresh interpreters: the import of `app.py` with all
its module-level set-up, against a minimal handler that only imports boto3 and makes a
DynamoDB client, measured in the same run, interleaved, median of several rounds.

Each probe sees what a Lambda container sees, rebuilt in a temporary folder:
- the layer, built by layers/segmentation/Makefile (the recipe `sam build` runs) for this
  machine and compiled by the probe's interpreter (/opt/python);
- boto3 installed by pip with its precompiled dependencies (the runtime's boto3);
- a copy of the function's code without bytecode caches, never given any (`-B`): Lambda
  can't write them either, so the handler's own modules compile on every cold start.
The interpreter runs isolated (`-I -S`): only the stdlib and those three folders on
sys.path, no PYTHON* variables. Python 3.13, the runtime's version, when installed.

Interpreter start-up is the same for both and left out: the clock starts in the probe
before it imports anything of the handler's.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from bench.environment import function_environment
from bench.package_size import build_layer, python313
from bench.template_functions import TemplateFunction

MARKER = "--- bench: handler import starts ---"

BASELINE_SOURCE = '''"""The reference: a handler that only imports boto3 and creates a DynamoDB client."""
import boto3

client = boto3.client("dynamodb")


def lambda_handler(event, context):
    return {}
'''

# Runs in the fresh interpreter: argv = function dir, layer, runtime.
# Prints {"init": s, "client": s, ...} on stdout.
PROBE = f"""
import sys, time
started, started_cpu = time.perf_counter(), time.process_time()
print({MARKER!r}, file=sys.stderr, flush=True)
sys.path[:0] = sys.argv[1:4]
import importlib
module = importlib.import_module("app")
assert callable(module.lambda_handler)
initialised, initialised_cpu = time.perf_counter(), time.process_time()
import botocore.session
botocore.session.get_session().create_client("dynamodb", region_name="us-east-1")
with_client = time.perf_counter()
import json
print(json.dumps({{"init": initialised - started, "client": with_client - started,
                   "init_cpu": initialised_cpu - started_cpu,
                   "modules": len(sys.modules)}}))
"""


@dataclass(frozen=True)
class InitTiming:
    name: str
    is_api: bool
    init_ms: float
    init_cpu_ms: float
    with_client_ms: float
    modules: int
    top_imports: list[tuple[str, float]]  # (top-level package, % of the import time)


@dataclass(frozen=True)
class Sandbox:
    """What a Lambda container gives a handler, for one interpreter."""

    python: Path
    layer: Path  # /opt/python
    runtime: Path  # the runtime's boto3 and its dependencies
    functions: Path  # copies of the functions' code, one folder each

    def describe(self) -> str:
        release = subprocess.run(
            [self.python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return f"Python {release}, {self.python}"


def prepare_sandbox(folder: Path, python: Path) -> Sandbox:
    sandbox = Sandbox(python, folder / "layer" / "python", folder / "runtime", folder / "functions")
    build_layer(sandbox.layer.parent, python, for_host=True)
    subprocess.run(
        [
            python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--target", sandbox.runtime, f"boto3=={version('boto3')}",
        ],
        capture_output=True,
        check=True,
    )  # fmt: skip
    sandbox.functions.mkdir()
    return sandbox


def _code_copy(sandbox: Sandbox, name: str, source: Path) -> Path:
    target = sandbox.functions / name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def _environment(logical_id: str | None) -> dict[str, str]:
    """The function's own variables from template.yaml; no endpoint override."""
    inherited = {
        key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT_URL")
    }
    return {**inherited, **function_environment(logical_id)}


def probe(
    sandbox: Sandbox, code: Path, logical_id: str | None, importtime: bool = False
) -> tuple[dict[str, float], str]:
    flags = ["-X", "importtime"] if importtime else []
    folders = [str(code), str(sandbox.layer), str(sandbox.runtime)]
    done = subprocess.run(
        [sandbox.python, "-I", "-S", "-B", *flags, "-c", PROBE, *folders],
        capture_output=True,
        text=True,
        env=_environment(logical_id),
        cwd=code,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{code} failed to import:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def import_costs(stderr: str, top: int) -> list[tuple[str, float]]:
    """Share of import time per top-level package, from `python -X importtime`, counting
    only what the handler imported (after the probe's marker)."""
    _, _, handler_part = stderr.partition(MARKER)
    own: Counter[str] = Counter()
    for line in handler_part.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if not self_us.isdigit():
            continue
        package = name.split(".")[0]
        own[package] += int(self_us)
    total = sum(own.values()) or 1
    # Shares, not milliseconds: -X importtime itself slows imports down.
    return [(package, 100 * us / total) for package, us in own.most_common(top)]


def measure(functions: list[TemplateFunction], rounds: int = 7) -> tuple[str, list[InitTiming]]:
    """(which interpreter ran the probes, the baseline's timing then each function's)"""
    with tempfile.TemporaryDirectory(prefix="bench-init-") as folder:
        sandbox = prepare_sandbox(Path(folder), python313() or Path(sys.executable))
        baseline_code = sandbox.functions / "baseline"
        baseline_code.mkdir()
        (baseline_code / "app.py").write_text(BASELINE_SOURCE)
        targets = [("baseline (boto3 + DynamoDB client)", baseline_code, None, False)] + [
            (f.name, _code_copy(sandbox, f.name, f.code_dir), f.logical_id, f.is_api)
            for f in functions
        ]
        samples: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in targets}
        for _ in range(rounds):  # interleaved: drift in machine load hits all alike
            for name, code, logical_id, _ in targets:
                samples[name].append(probe(sandbox, code, logical_id)[0])
        timings = []
        for name, code, logical_id, is_api in targets:
            _, stderr = probe(sandbox, code, logical_id, importtime=True)
            runs = samples[name]
            timings.append(
                InitTiming(
                    name=name,
                    is_api=is_api,
                    init_ms=statistics.median(r["init"] for r in runs) * 1000,
                    init_cpu_ms=statistics.median(r["init_cpu"] for r in runs) * 1000,
                    with_client_ms=statistics.median(r["client"] for r in runs) * 1000,
                    modules=int(runs[0]["modules"]),
                    top_imports=import_costs(stderr, top=5),
                )
            )
        return sandbox.describe(), timings

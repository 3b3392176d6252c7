"""Cold-start cost per handler, in fresh interpreters: the import of `app.py` with all
its module-level set-up, against a minimal handler that only imports boto3 and makes a
DynamoDB client, measured in the same run, interleaved, median of several rounds.

Interpreter start-up is the same for both and left out: the clock starts in the probe
before it imports anything of the handler's. Bytecode caches are warm in both cases.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.environment import function_environment
from bench.template_functions import ROOT, TemplateFunction

LAYER_DIR = ROOT / "layers" / "segmentation"
MARKER = "--- bench: handler import starts ---"

BASELINE_SOURCE = '''"""The reference: a handler that only imports boto3 and creates a DynamoDB client."""
import boto3

client = boto3.client("dynamodb")


def lambda_handler(event, context):
    return {}
'''

# Runs in the fresh interpreter. Prints {"init": s, "client": s} on stdout.
PROBE = f"""
import sys, time
started, started_cpu = time.perf_counter(), time.process_time()
print({MARKER!r}, file=sys.stderr, flush=True)
import importlib.util
path = sys.argv[1]
sys.path[:0] = [sys.argv[2], {str(LAYER_DIR)!r}]
spec = importlib.util.spec_from_file_location("app", path)
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
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


def _environment(logical_id: str | None) -> dict[str, str]:
    """The function's own variables from template.yaml; no endpoint override."""
    inherited = {
        key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT_URL")
    }
    return {**inherited, **function_environment(logical_id)}


def _probe(
    app: Path, logical_id: str | None, importtime: bool = False
) -> tuple[dict[str, float], str]:
    flags = ["-X", "importtime"] if importtime else []
    done = subprocess.run(
        [sys.executable, *flags, "-c", PROBE, str(app), str(app.parent)],
        capture_output=True,
        text=True,
        env=_environment(logical_id),
        cwd=str(app.parent),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{app} failed to import:\n{done.stderr[-2000:]}")
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


def measure(functions: list[TemplateFunction], rounds: int = 7) -> list[InitTiming]:
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
        baseline = Path(folder) / "baseline" / "app.py"
        baseline.parent.mkdir()
        baseline.write_text(BASELINE_SOURCE)
        targets = [("baseline (boto3 + DynamoDB client)", baseline, None, False)] + [
            (f.name, f.code_dir / "app.py", f.logical_id, f.is_api) for f in functions
        ]
        samples: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in targets}
        for _ in range(rounds):  # interleaved: drift in machine load hits all alike
            for name, app, logical_id, _ in targets:
                samples[name].append(_probe(app, logical_id)[0])
        timings = []
        for name, app, logical_id, is_api in targets:
            _, stderr = _probe(app, logical_id, importtime=True)
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
    return timings

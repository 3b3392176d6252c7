"""Deployment package sizes: every function's code and the shared layer, unzipped and
zipped, from a real `sam build` for arm64 into a temporary folder (the project's
.aws-sam/build is left alone). Without the SAM CLI (`make sam-check` installs it), the
layer comes from the recipe `sam build` runs, layers/segmentation/Makefile, for the same
target (manylinux2014_aarch64 / CPython 3.13, compiled by python3.13)."""

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.template_functions import ROOT, TemplateFunction

SAM = ROOT / ".tools" / "sam" / "bin" / "sam"
LAYER_MAKEFILE = ROOT / "layers" / "segmentation" / "Makefile"
LAYER_ID = "SegmentationLayer"


@dataclass(frozen=True)
class PackageSize:
    name: str
    unzipped_bytes: int
    zipped_bytes: int
    largest: list[tuple[str, int]]  # top-level entries by unzipped size


def _tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _zipped_bytes(folder: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder))
    return buffer.tell()


def _measure(name: str, folder: Path, content_root: Path | None = None) -> PackageSize:
    root = content_root or folder
    entries = [
        (entry.name, _tree_bytes(entry) if entry.is_dir() else entry.stat().st_size)
        for entry in root.iterdir()
        if not entry.name.endswith(".dist-info")
    ]
    entries.sort(key=lambda item: -item[1])
    return PackageSize(name, _tree_bytes(folder), _zipped_bytes(folder), entries[:4])


def python313() -> Path | None:
    """The Lambda runtime's Python version, if this machine has it: pyenv's (a shim on
    PATH may belong to an unselected version), else the first python3.13 on PATH."""
    try:
        prefix = subprocess.run(
            ["pyenv", "prefix", "3.13"], capture_output=True, text=True, check=True
        ).stdout.splitlines()[0]
        candidates = [Path(prefix) / "bin" / "python3.13"]
    except (OSError, subprocess.CalledProcessError, IndexError):
        found = shutil.which("python3.13")
        candidates = [] if found is None else [Path(found)]
    for candidate in candidates:
        runs = subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False)
        if runs.returncode == 0:
            return candidate
    return None


def build_layer(artifacts_dir: Path, python: Path, for_host: bool = False) -> None:
    """Runs the layer's Makefile as `sam build` does; for_host: wheels for this machine and
    this `python` (the bench runs them), instead of Lambda's arm64 / CPython 3.13."""
    host = ["PIP_PLATFORM="] if for_host else []
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            "make", "--no-print-directory", "-f", str(LAYER_MAKEFILE), f"build-{LAYER_ID}",
            f"ARTIFACTS_DIR={artifacts_dir}", f"PYTHON={python}", *host,
        ],
        cwd=artifacts_dir.parent,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"building the layer failed:\n{done.stdout}{done.stderr}"[-3000:])


def _sam_build(build_dir: Path, python: Path) -> str | None:
    if not SAM.exists():
        return None
    # The layer's Makefile runs `python3.13`: the real one first on PATH, as `make sam-check` does.
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": f"{python.parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        [str(SAM), "build", "--build-dir", str(build_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return "sam build (arm64, python3.13; layer by its Makefile)" if done.returncode == 0 else None


def measure(functions: list[TemplateFunction]) -> tuple[str, list[PackageSize]]:
    python = python313()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        build = Path(folder) / "sam"
        method = None if python is None else _sam_build(build, python)
        if method is None:
            build = Path(folder) / "recipe"  # not over what a failed sam build left
            for function in functions:
                shutil.copytree(function.code_dir, build / function.logical_id)
            if python is not None:
                build_layer(build / LAYER_ID, python)
                method = "no SAM CLI: functions copied, layer by its Makefile (arm64, cp313)"
        sizes = [_measure(f.name, build / f.logical_id) for f in functions]
        layer = build / LAYER_ID
        if python is not None:
            sizes.append(_measure(f"layer ({LAYER_ID})", layer, layer / "python"))
    return method or "no SAM CLI and no python3.13: functions only, layer not built", sizes

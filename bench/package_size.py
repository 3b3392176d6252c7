"""Deployment package sizes: every function's code and the shared layer, unzipped and
zipped, from a real `sam build` for arm64 into a temporary folder (the project's
.aws-sam/build is left alone). Without the SAM CLI (`make sam-check` installs it), the
layer is measured the way `sam build` fills it: `pip install --target` of the layer's
requirements for manylinux2014_aarch64 / CPython 3.13, plus the package itself."""

import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.template_functions import ROOT, TemplateFunction

SAM = ROOT / ".tools" / "sam" / "bin" / "sam"
LAYER_SOURCE = ROOT / "layers" / "segmentation"
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


def _python313_dir() -> str | None:
    found = shutil.which("python3.13")
    if found is None:
        return None
    try:  # a pyenv shim: the real interpreter's folder, as the Makefile's sam-check does
        prefix = subprocess.run(
            ["pyenv", "prefix", "3.13"], capture_output=True, text=True, check=True
        ).stdout.strip()
        return str(Path(prefix.splitlines()[0]) / "bin")
    except (OSError, subprocess.CalledProcessError, IndexError):
        return str(Path(found).parent)


def _sam_build(build_dir: Path) -> str | None:
    python313 = _python313_dir()
    if not SAM.exists() or python313 is None:
        return None
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": f"{python313}:{os.environ['PATH']}"}
    done = subprocess.run(
        [str(SAM), "build", "--build-dir", str(build_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return "sam build (arm64, python3.13)" if done.returncode == 0 else None


def _pip_layer(target: Path) -> str:
    python_dir = target / LAYER_ID / "python"
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--target", str(python_dir),
            "--platform", "manylinux2014_aarch64", "--implementation", "cp",
            "--python-version", "3.13", "--only-binary=:all:",
            "-r", str(LAYER_SOURCE / "requirements.txt"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    shutil.copytree(LAYER_SOURCE / "segmentation", python_dir / "segmentation")
    return "pip install --target (manylinux2014_aarch64, cp313), no SAM CLI found"


def measure(functions: list[TemplateFunction]) -> tuple[str, list[PackageSize]]:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        build = Path(folder)
        method = _sam_build(build)
        if method is None:
            method = _pip_layer(build)
            for function in functions:
                shutil.copytree(function.code_dir, build / function.logical_id)
        sizes = [_measure(f.name, build / f.logical_id) for f in functions]
        layer = build / LAYER_ID
        sizes.append(_measure(f"layer ({LAYER_ID})", layer, layer / "python"))
    return method, sizes

"""The layer's requirements.txt is installed with `pip install --no-deps`: it must pin the
whole dependency closure itself (minus what the Lambda runtime provides), at the versions
the tests run against."""

import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "layers" / "segmentation" / "requirements.txt"

# What the Lambda python3.13 runtime ships: the layer must not bundle (and shadow) these.
RUNTIME_PROVIDED = {
    canonicalize_name(name)
    for name in (
        "boto3",
        "botocore",
        "s3transfer",
        "jmespath",
        "urllib3",
        "python-dateutil",
        "six",
    )
}

# Markers are evaluated for the machine the layer ships to, not for the dev venv
# (Marker.evaluate fills in the rest from the running interpreter).
LAMBDA_ENVIRONMENT = {
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
    "extra": "",  # extras-only requirements are not needed
}


def pinned() -> dict[NormalizedName, str]:
    pins: dict[NormalizedName, str] = {}
    for line in REQUIREMENTS.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1, f"{text!r}: pin one exact version"
        assert specifiers[0].operator == "==", f"{text!r}: pin with =="
        assert not requirement.extras, f"{text!r}: extras mean nothing with --no-deps"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"{requirement.name} pinned twice"
        pins[name] = specifiers[0].version
    return pins


def needed_by(name: str) -> set[NormalizedName]:
    needed = set()
    for text in distribution(name).requires or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(LAMBDA_ENVIRONMENT):
            needed.add(canonicalize_name(requirement.name))
    return needed


def test_the_pins_are_what_the_venv_runs() -> None:
    for name, version in pinned().items():
        try:
            installed = distribution(name).version
        except PackageNotFoundError:
            pytest.fail(f"{name} is pinned for the layer but not installed in the venv")
        assert installed == version, f"{name}: layer pins {version}, the venv runs {installed}"


def test_the_pins_are_closed_under_dependencies() -> None:
    pins = pinned()
    for name in pins:
        missing = needed_by(name) - pins.keys() - RUNTIME_PROVIDED
        assert not missing, f"{name} needs {sorted(missing)}: pin them in {REQUIREMENTS.name}"


def test_the_layer_bundles_nothing_the_runtime_provides() -> None:
    assert not pinned().keys() & RUNTIME_PROVIDED


def test_the_project_dependencies_are_in_the_layer_or_the_runtime() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(text).name) for text in project["dependencies"]}
    assert not declared - pinned().keys() - RUNTIME_PROVIDED

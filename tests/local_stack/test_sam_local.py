"""`sam local invoke` against `make run`: the committed env-vars file is current, complete for
every function and points at the local endpoints; and `make invoke` (local_stack.invoke) answers
every sample event as the in-process handler does. The Docker step itself is checked by hand."""

import json
import os
import re
import subprocess
import sys
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_stack.__main__ import DEFAULT_AWS_PORT
from local_stack.events import LambdaContext
from local_stack.runtime import load_handler
from local_stack.sam_env import ENV_FILE, render
from local_stack.template import DEFAULT_TEMPLATE, load_template
from local_stack.testing import create_resources_in_moto, running_stack
from segmentation.domain.catalogue import CATALOGUE
from segmentation.settings import SETTINGS

ROOT = DEFAULT_TEMPLATE.parent
TEMPLATE = load_template(DEFAULT_TEMPLATE)
ENV = json.loads(ENV_FILE.read_text())
# A story the sample events tell in this order (the others run after, sorted).
STORY = ["register", "create_segment", "list_segments", "update_segment", "add_to_segment"]


def test_the_env_file_is_current() -> None:
    assert ENV_FILE.read_text() == render(TEMPLATE), "stale: run `make sam-env`"


@pytest.mark.parametrize("logical_id", sorted(TEMPLATE.functions()))
def test_every_function_gets_every_variable_and_the_local_endpoint(logical_id: str) -> None:
    declared = TEMPLATE.function_environment(logical_id)
    # sam overrides only declared variables: the endpoint must be declared, and empty on AWS.
    assert declared["AWS_ENDPOINT_URL"] == ""
    entry = ENV[logical_id]
    assert set(entry) == set(declared)
    assert entry["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{DEFAULT_AWS_PORT}"
    tables = {table["TableName"] for table in TEMPLATE.dynamodb_tables()}
    assert {entry["TABLE_NAME"], entry["HISTORY_TABLE_NAME"]} <= tables
    if "EXPORTS_BUCKET" in entry:
        assert entry["EXPORTS_BUCKET"] in TEMPLATE.s3_buckets()


def test_no_code_needs_a_variable_the_file_lacks() -> None:
    """Variables read without a default must be in every function's entry."""
    sources = [*ROOT.glob("functions/*/app.py"), *ROOT.glob("layers/segmentation/**/*.py")]
    required = {
        name
        for source in sources
        for name in re.findall(r"os\.environ\[\"(\w+)\"\]", source.read_text())
    }
    for logical_id, entry in ENV.items():
        assert required <= set(entry), logical_id


def _order() -> list[str]:
    names = sorted(path.stem for path in (ROOT / "events").glob("*.json"))
    return STORY + [name for name in names if name not in STORY]


_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def _normalised(value: Any) -> Any:
    """Times and links differ between two runs; everything else must not."""
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    if isinstance(value, str):
        if value.startswith("http"):
            return "<link>"
        try:
            return _normalised(json.loads(value)) if value[:1] in "[{" else _TIME.sub("<t>", value)
        except ValueError:
            return _TIME.sub("<t>", value)
    return value


def _in_process(order: list[str]) -> list[Any]:
    answers = []
    with mock_aws():
        create_resources_in_moto(TEMPLATE)
        boto3.client("s3").create_bucket(Bucket=SETTINGS.exports_bucket)
        CATALOGUE.reset()  # a fresh moto: what earlier tests cached is not there
        for name in order:
            spec = TEMPLATE.function_for_directory(ROOT / "functions" / name)
            event = json.loads((ROOT / "events" / f"{name}.json").read_text())
            answers.append(load_handler(spec)(event, LambdaContext(spec.logical_id)))
        CATALOGUE.reset()
    return answers


def _with_make_invoke(order: list[str], aws_endpoint_url: str) -> list[Any]:
    answers = []
    for name in order:
        done = subprocess.run(
            [sys.executable, "-m", "local_stack.invoke", name, f"events/{name}.json"],
            cwd=ROOT,
            env={**os.environ, "LOCAL_AWS_ENDPOINT_URL": aws_endpoint_url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, (name, done.stdout, done.stderr[-2000:])
        answers.append(json.loads(done.stdout))
    return answers


def test_make_invoke_answers_every_sample_event_as_the_handler_in_process() -> None:
    order = _order()
    with running_stack() as fresh:
        invoked = _with_make_invoke(order, fresh.aws_endpoint_url)
    expected = _in_process(order)
    for name, got, want in zip(order, invoked, expected, strict=True):
        assert _normalised(got) == _normalised(want), name
    # Queue-fed functions (the report worker) answer nothing; HTTP ones a status.
    statuses = {name: (answer or {}).get("statusCode") for name, answer in zip(order, invoked)}
    assert statuses["register"] == 201
    assert statuses["create_segment"] == 201
    assert statuses["update_segment"] == 200

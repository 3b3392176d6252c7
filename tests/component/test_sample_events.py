"""events/ holds one sample event per function (for `make invoke` and `sam local invoke`):
each must exist, match one of its function's routes, and run without a server error."""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_stack.events import LambdaContext
from local_stack.template import load_template
from segmentation.settings import SETTINGS
from tests.support.handlers import ROOT, load_function

TEMPLATE = load_template(ROOT / "template.yaml")
FUNCTIONS = sorted(spec.code_uri.name for spec in TEMPLATE.functions().values())


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((ROOT / "events" / f"{name}.json").read_text()))


def test_every_function_has_a_sample_event() -> None:
    assert {path.stem for path in (ROOT / "events").glob("*.json")} == set(FUNCTIONS)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_sample_event_runs_its_function(name: str) -> None:
    event = sample(name)
    routes = {
        f"{route.method} {route.path}"
        for route in TEMPLATE.http_routes()
        if Path(route.code_uri).name == name
    }
    if routes:
        assert event["routeKey"] in routes
    s3 = boto3.client("s3")
    if SETTINGS.exports_bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=SETTINGS.exports_bucket)
    result = load_function(name).lambda_handler(event, LambdaContext(name, timeout_seconds=60))
    if routes:
        assert result["statusCode"] < 500, result

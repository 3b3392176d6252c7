"""Unit tests run the handlers in-process on moto."""

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws

from local_stack.events import LambdaContext, build_http_api_event
from local_stack.template import load_template
from local_stack.testing import create_resources_in_moto
from segmentation.domain.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        create_resources_in_moto(load_template(ROOT / "template.yaml"))
        CATALOGUE.reset()
        yield


def load_function(name: str) -> ModuleType:
    module_name = f"functions_{name}_app"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            module_name, ROOT / "functions" / name / "app.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


class Reply:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.status = raw["statusCode"]
        self.headers = {k.lower(): v for k, v in (raw.get("headers") or {}).items()}
        self.json = json.loads(raw["body"]) if raw.get("body") else None


Call = Callable[..., Reply]


@pytest.fixture
def call() -> Call:
    """call("add_to_segment", "POST", "/api/users/1/add_to_segment", body=[...])"""

    def invoke(
        function: str,
        method: str,
        path: str,
        body: Any = None,
        raw_body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        handler = load_function(function).lambda_handler
        text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
        event = build_http_api_event(
            method=method,
            path=path,
            route_key=None,
            headers={"content-type": "application/json", **(headers or {})},
            body=text,
        )
        return Reply(handler(event, LambdaContext(function)))

    return invoke

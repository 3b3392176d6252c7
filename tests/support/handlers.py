"""Running a function's Lambda handler in-process with an API Gateway (HTTP API) event."""

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from local_stack.events import LambdaContext, build_http_api_event
from local_stack.modules import import_file

ROOT = Path(__file__).resolve().parents[2]


def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py, imported once (as a Lambda container would)."""
    return import_file(ROOT / "functions" / name / "app.py", f"functions_{name}_app")


class Reply:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.status = raw["statusCode"]
        self.headers = {k.lower(): v for k, v in (raw.get("headers") or {}).items()}
        self.json = json.loads(raw["body"]) if raw.get("body") else None


Call = Callable[..., Reply]


def call_handler(
    function: str,
    method: str,
    path: str,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """call_handler("add_to_segment", "POST", "/api/users/1/add_to_segment", body=[...])"""
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

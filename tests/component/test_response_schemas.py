"""Every route's real answers against its OpenAPI spec: the status is one the route declares,
the body validates against the schema declared for that status, with its content type and
declared headers. The requests are tests/support/route_cases.py's table; a route of the spec
without a row there, or a declared status no case reaches, fails here."""

import json
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ConnectTimeoutError
from jsonschema import Draft202012Validator
from moto.core.botocore_stubber import BotocoreStubber

from local_stack.template import load_template
from tests.support.handlers import ROOT, Call
from tests.support.route_cases import CASES, Case, generic_cases

SPEC: dict[str, Any] = json.loads((ROOT / "functions/api_docs/openapi.json").read_text())
OPERATIONS = {
    (method.upper(), path): operation
    for path, item in SPEC["paths"].items()
    for method, operation in item.items()
}
FUNCTIONS = {
    (route.method, route.path): route.code_uri.name
    for route in load_template(ROOT / "template.yaml").http_routes()
}


def all_cases(route: tuple[str, str]) -> list[Case]:
    cases = CASES[route]
    return cases + generic_cases(cases, "requestBody" in OPERATIONS[route])


def test_every_route_of_the_spec_has_cases() -> None:
    assert set(CASES) == set(OPERATIONS)


@pytest.mark.parametrize("route", sorted(CASES), ids=" ".join)
def test_every_declared_status_of_a_route_is_reached_by_a_case(route: tuple[str, str]) -> None:
    declared = {int(code) for code in OPERATIONS[route]["responses"]}
    assert {case.status for case in all_cases(route)} == declared


def _aws_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every AWS call times out, each of botocore's attempts, with no sleep between them."""

    def timeout(
        self: BotocoreStubber, event_name: str, request: AWSPreparedRequest, **_: Any
    ) -> Any:
        raise ConnectTimeoutError(endpoint_url=request.url)

    monkeypatch.setattr(BotocoreStubber, "__call__", timeout)
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=lambda _: None))


def _closed(schema: Any) -> Any:
    """The schema with no property beyond the declared ones: an answer with a field the
    spec does not name fails too."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {key: _closed(value) for key, value in schema.items()}
    if "properties" in schema and isinstance(schema["properties"], dict):
        closed.setdefault("additionalProperties", False)
    return closed


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """OpenAPI 3.1 schemas are JSON Schema 2020-12; their $refs point into the spec."""
    return Draft202012Validator(_closed({**schema, "components": SPEC["components"]}))


@pytest.mark.parametrize(
    ("route", "case"),
    [(route, case) for route in sorted(CASES) for case in all_cases(route)],
    ids=lambda value: (
        " ".join(value) if isinstance(value, tuple) else f"{value.status} {value.why}"
    ),
)
def test_the_answer_is_what_the_spec_declares(
    route: tuple[str, str], case: Case, call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = case.path.format(**case.given(call))
    if case.aws_down:
        _aws_down(monkeypatch)
    reply = call(
        FUNCTIONS[route], route[0], path, case.body, raw_body=case.raw_body, headers=case.headers
    )

    responses = OPERATIONS[route]["responses"]
    assert str(reply.status) in responses, f"{reply.status} is not declared: {reply.json}"
    assert reply.status == case.status, reply.json
    declared = responses[str(reply.status)]
    [(content_type, media)] = declared["content"].items()
    assert reply.headers["content-type"] == content_type
    errors = [error.message for error in _validator(media["schema"]).iter_errors(reply.json)]
    assert errors == [], reply.json
    assert set(declared.get("headers", {})) <= {name.title() for name in reply.headers}

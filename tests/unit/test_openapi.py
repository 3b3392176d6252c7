"""The OpenAPI spec: generated from the code, committed fresh, covering every routed endpoint;
and the api_docs function serving it with Swagger UI."""

import base64
import gzip
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local_stack.events import LambdaContext, build_http_api_event
from local_stack.modules import import_file
from local_stack.template import load_template
from tests.support.handlers import ROOT, load_function

DOCS_ROUTES = {("GET", "/openapi.json"), ("GET", "/docs")}


def _generator() -> ModuleType:
    return import_file(ROOT / "scripts" / "openapi.py", "openapi_generator")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return dict(_generator().build_spec())


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }


def test_the_committed_spec_is_what_the_code_generates(spec: dict[str, Any]) -> None:
    generator = _generator()
    committed = Path(generator.SPEC_FILE).read_text(encoding="utf-8")
    assert committed == generator.render(spec), "openapi.json is stale: run `make openapi`"


def test_the_spec_and_the_template_have_the_same_routes(spec: dict[str, Any]) -> None:
    template_routes = {
        (route.method, route.path) for route in load_template(ROOT / "template.yaml").http_routes()
    }
    spec_routes = set(_operations(spec))
    assert template_routes - DOCS_ROUTES - spec_routes == set(), "routes missing from the spec"
    assert spec_routes - template_routes == set(), "spec routes that template.yaml does not route"
    assert template_routes >= DOCS_ROUTES


def test_every_operation_is_documented_with_schemas_and_errors(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for (method, path), operation in _operations(spec).items():
        where = f"{method} {path}"
        assert operation["summary"] != where, f"{where}: no summary"
        assert operation.get("description"), where
        assert operation.get("tags"), where
        responses = operation["responses"]
        successes = [code for code in responses if code.startswith("2")]
        assert successes, where
        for code in successes:
            assert "schema" in responses[code]["content"]["application/json"], where
        assert "400" in responses, where
        assert "422" not in responses, f"{where}: validation errors are answered as 400"
        if "requestBody" in operation:
            assert {"413", "415"} <= set(responses), where
        for code, response in responses.items():
            if code >= "400":
                assert response["content"]["application/json"]["schema"] == error_ref, where


def test_the_spec_declares_sigv4_and_examples(spec: dict[str, Any]) -> None:
    assert spec["security"] == [{"sigv4": []}]
    scheme = spec["components"]["securitySchemes"]["sigv4"]
    assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert spec["components"]["schemas"]["ErrorResponse"]["examples"]
    create = _operations(spec)["POST", "/api/segments"]
    assert "409" in create["responses"]
    assert "examples" in json.dumps(spec["components"]["schemas"]["CreateSegmentRequest"])


def _docs(path: str, headers: dict[str, str] | None = None, stage: str | None = None) -> Any:
    event = build_http_api_event(method="GET", path=path, headers=headers)
    if stage:
        event["requestContext"]["stage"] = stage
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/{stage}{path}"
    return load_function("api_docs").lambda_handler(event, LambdaContext("api_docs"))


def test_openapi_json_is_served_with_the_callers_base_url() -> None:
    reply = _docs("/openapi.json")
    assert reply["statusCode"] == 200
    served = json.loads(reply["body"])
    committed = json.loads((ROOT / "functions" / "api_docs" / "openapi.json").read_text())
    assert served == {**committed, "servers": [{"url": "/"}]}
    on_stage = json.loads(_docs("/openapi.json", stage="prod")["body"])
    assert on_stage["servers"] == [{"url": "/prod"}]


def test_docs_is_swagger_ui_with_inline_assets() -> None:
    reply = _docs("/docs")
    assert reply["statusCode"] == 200
    assert reply["headers"]["Content-Type"].startswith("text/html")
    page = reply["body"]
    assert "SwaggerUIBundle" in page
    assert "<script src=" not in page  # offline: the bundle is inline, not fetched
    assert '"/api/segments"' in page


def test_docs_is_gzipped_for_clients_that_accept_it() -> None:
    plain = _docs("/docs")["body"]
    reply = _docs("/docs", headers={"accept-encoding": "gzip"})
    assert reply["isBase64Encoded"] is True
    assert gzip.decompress(base64.b64decode(reply["body"])).decode() == plain


def test_docs_format_json_is_the_spec() -> None:
    event = build_http_api_event(method="GET", path="/docs", query_string="format=json")
    reply = load_function("api_docs").lambda_handler(event, LambdaContext("api_docs"))
    assert json.loads(reply["body"])["paths"]

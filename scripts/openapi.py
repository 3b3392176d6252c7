"""Writes functions/api_docs/openapi.json: the API's OpenAPI 3.1 spec, generated from code.

Every function with an HttpApi event in template.yaml is imported and its Powertools
resolver describes its own routes; Powertools' OpenAPIMerge joins them into one document.
A new function is picked up as soon as template.yaml routes to it.

    python scripts/openapi.py          # (re)write the file: `make openapi`
    python scripts/openapi.py --check  # exit 1 when the file is not what the code says
"""

import argparse
import json
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import APIKey, OpenAPI, Tag

from local_stack.modules import import_file
from local_stack.template import load_template
from segmentation.api.faults import RETRY_AFTER_SECONDS
from segmentation.api.schemas import (
    ANY_ROUTE_ERRORS,
    BODY_ERRORS,
    ERROR_DESCRIPTIONS,
    ErrorResponse,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
SPEC_FILE = ROOT / "functions" / "api_docs" / "openapi.json"
DOCS_FUNCTION = "api_docs"  # serves the spec; its own routes are not part of it

TITLE = "Segmentation service"
DESCRIPTION = """\
Which experiment segments each user belongs to, with a full history of entries and exits.

Every error is JSON `{"message": "..."}` naming the problem: 400 bad input, 404 unknown
segment, 409 segment exists already, 413 body too large, 415 body not JSON, 503 retry
after `Retry-After` seconds (nothing was changed).

Deployed with the default `AuthMode=iam`, every call is signed with AWS SigV4 (service
`execute-api`); a sandbox deployed with `AuthMode=none`, and the local stack, take
unsigned calls."""
TAGS = [
    Tag(name="Segments", description="Create, list, change and delete segments"),
    Tag(name="Users", description="Register users; read and change their segments"),
    Tag(name="History", description="Monthly reports of segment entries and exits"),
]
SIGV4 = APIKey.model_validate(
    {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "AWS SigV4 signature (service execute-api); see the README",
        "x-amazon-apigateway-authtype": "awsSigv4",
    }
)

SCHEMA_REF = "#/components/schemas/"
ERROR_REF = {"$ref": SCHEMA_REF + "ErrorResponse"}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before retrying",
    "schema": {"type": "integer", "examples": [RETRY_AFTER_SECONDS]},
}


def routed_functions(template_file: Path = TEMPLATE) -> list[str]:
    """The folders under functions/ of every function with an HttpApi event."""
    routes = load_template(template_file).http_routes()
    return sorted({route.code_uri.name for route in routes} - {DOCS_FUNCTION})


def load_resolver(function: str) -> APIGatewayHttpResolver:
    module = import_file(ROOT / "functions" / function / "app.py", f"openapi_function_{function}")
    resolver: APIGatewayHttpResolver = module.app
    return resolver


def _operations(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in spec.get("paths", {}).values():
        yield from path_item.values()


def _document_errors(spec: dict[str, Any]) -> None:
    """Errors as the resolver and the handler wrapper answer them, whatever the route.

    Powertools documents validation failures as 422 with its own bodies; the resolver
    answers them as 400 {"message"}."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorResponse"] = {
        **ErrorResponse.model_json_schema(),
        "examples": [{"message": "unknown segment(s): AVITO_VOICE_MESSAGES"}],
    }
    for operation in _operations(spec):
        responses = {str(code): response for code, response in operation["responses"].items()}
        responses.pop("422", None)
        codes = (
            (*BODY_ERRORS, *ANY_ROUTE_ERRORS) if "requestBody" in operation else ANY_ROUTE_ERRORS
        )
        for code in codes:
            responses.setdefault(str(code), {"description": ERROR_DESCRIPTIONS[code]})
        responses["503"]["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
        for code, response in responses.items():
            if int(code) >= 400:
                response["content"] = {"application/json": {"schema": ERROR_REF}}
        operation["responses"] = dict(sorted(responses.items()))


def _drop_unused_schemas(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    while True:
        text = json.dumps({**spec, "components": {**spec["components"], "schemas": None}})
        text += json.dumps(list(schemas.values()))
        unused = [name for name in schemas if f'"{SCHEMA_REF}{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def build_spec() -> dict[str, Any]:
    merge = OpenAPIMerge(
        title=TITLE,
        version=version("segmentation"),
        description=DESCRIPTION,
        tags=list(TAGS),
        security_schemes={"sigv4": SIGV4},
        security=[{"sigv4": []}],
        on_conflict="error",
    )
    for function in routed_functions():
        merge.add_schema(load_resolver(function).get_openapi_schema())
    spec = _as_json(merge.get_openapi_schema())
    _document_errors(spec)
    _drop_unused_schemas(spec)
    return _as_json(spec)


def _as_json(spec: dict[str, Any]) -> dict[str, Any]:
    """Through Powertools' OpenAPI model: valid OpenAPI, serialised its way."""
    document: dict[str, Any] = OpenAPI.model_validate(spec).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    return document


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = render(build_spec())
    if args.check:
        current = SPEC_FILE.read_text(encoding="utf-8") if SPEC_FILE.exists() else ""
        if current != text:
            print(f"{SPEC_FILE.relative_to(ROOT)} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    SPEC_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {SPEC_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

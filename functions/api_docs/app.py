"""GET /openapi.json and GET /docs: the API's OpenAPI 3.1 spec and Swagger UI.

The spec is generated from the other functions' code at build time (`make openapi`, which
writes openapi.json next to this file), so no other function carries OpenAPI or Swagger
code. Swagger UI's assets are the ones bundled with Powertools: the page works offline.
"""

import json
from functools import cache
from importlib.resources import files
from pathlib import Path

from aws_lambda_powertools.event_handler import Response, content_types

from segmentation.api.resolver import create_resolver, lambda_handler_for

SPEC_FILE = Path(__file__).with_name("openapi.json")
# Located without importing the swagger_ui package, which builds Powertools' OpenAPI models.
SWAGGER_ASSETS = files("aws_lambda_powertools.event_handler.openapi") / "swagger_ui"

app = create_resolver()


@cache
def _spec() -> dict[str, object]:
    spec: dict[str, object] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    return spec


@cache
def _asset(name: str) -> str:
    return SWAGGER_ASSETS.joinpath(name).read_text(encoding="utf-8")


def _base_path() -> str:
    """'/prod' when the API is called through a named stage's URL, else ''."""
    context = app.current_event.request_context
    stage = context.stage
    if stage and stage != "$default" and context.http.path.startswith(f"/{stage}/"):
        return f"/{stage}"
    return ""


def _spec_json() -> str:
    """The spec with this deployment's base URL, so "Try it out" calls the right stage."""
    return json.dumps({**_spec(), "servers": [{"url": _base_path() or "/"}]})


@app.get("/openapi.json", include_in_schema=False)
def openapi_json() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, _spec_json())


@app.get("/docs", include_in_schema=False, compress=True)
def docs() -> Response[str]:
    if (app.current_event.query_string_parameters or {}).get("format") == "json":
        return openapi_json()  # the URL Swagger UI shows and downloads the spec from
    # Imported here, not at init: its package builds Powertools' OpenAPI models, which the
    # spec route and the cold start don't need.
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    page = generate_swagger_html(
        # "</" escaped: the spec sits inside a <script> element.
        spec=_spec_json().replace("</", "<\\/"),
        swagger_js=_asset("swagger-ui-bundle.min.js"),
        swagger_css=_asset("swagger-ui.min.css"),
        swagger_base_url="",
        oauth2_config=None,
    )
    return Response(200, "text/html; charset=utf-8", page)


lambda_handler = lambda_handler_for(app)

"""Response bodies that several endpoints share, and the OpenAPI `responses=` of a route.

An endpoint's own request and response models live in its `app.py`: a handler builds only
the pydantic models it uses, which keeps its cold start short.
"""

import json
from typing import Any, Literal

from aws_lambda_powertools.event_handler import content_types
from pydantic import BaseModel

from segmentation.settings import SETTINGS


def json_text(body: BaseModel) -> str:
    """A response model as the body text: json.dumps' spacing and ASCII escapes, which
    callers have always received (model_dump_json would change both)."""
    return json.dumps(body.model_dump(mode="json"))


class IdResponse(BaseModel):
    id: int


class StatusResponse(BaseModel):
    status: Literal["ok"]


class ErrorResponse(BaseModel):
    message: str


# What the OpenAPI spec says about each error status. Their body, ErrorResponse, is added
# by scripts/openapi.py, together with 413 and 415 on routes with a body and 503 on all.
ERROR_DESCRIPTIONS = {
    400: "Invalid request: the message names the field and the problem",
    404: "Unknown segment",
    409: "The segment exists already",
    413: f"Body over {SETTINGS.max_body_bytes} bytes",
    415: "The body is not JSON (Content-Type: application/json)",
    503: "A brief overload or outage, or calls that kept changing the same user:"
    " nothing was changed; retry after `Retry-After` seconds",
}
# Answered by the handler wrapper and the resolver, whatever the route.
BODY_ERRORS = (413, 415)
ANY_ROUTE_ERRORS = (503,)


def responses(
    status: int, model: type[BaseModel], description: str, errors: tuple[int, ...] = (400,)
) -> dict[int, Any]:
    """OpenAPI responses of a route: its success body and the errors it answers."""
    success = {
        "description": description,
        "content": {content_types.APPLICATION_JSON: {"model": model}},
    }
    return {status: success, **{code: {"description": ERROR_DESCRIPTIONS[code]} for code in errors}}

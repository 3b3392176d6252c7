"""One Powertools resolver per function, all with the same validation and error shape:
every error is `{"message": ...}` with a 4xx code that names the problem."""

import json
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from segmentation.errors import (
    ConcurrentModification,
    DomainError,
    InvalidRequest,
    SegmentAlreadyExists,
    SegmentNotFound,
)
from segmentation.settings import SETTINGS

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

_DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (InvalidRequest, 400),
    (SegmentNotFound, 404),
    (SegmentAlreadyExists, 409),
    (ConcurrentModification, 409),
]


def json_response(
    status_code: int, body: Any, headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers=headers,
    )


def error_response(status_code: int, message: str) -> Response[str]:
    return json_response(status_code, {"message": message})


_UNION_TAGS = {"slug-string", "grant-object"}


def _location(loc: Sequence[Any]) -> str:
    """('body', 0, 'slug') -> 'body[0].slug'; ('path', 'id') -> 'path parameter id'."""
    if len(loc) == 2 and loc[0] in {"path", "query", "header"}:
        return f"{loc[0]} parameter {loc[1]}"
    text = str(loc[0]) if loc else "request"
    # Drop pydantic's names for union members and validators: they mean nothing to callers.
    parts = [p for p in loc[1:] if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS))]
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def describe_validation_errors(errors: Sequence[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        if error.get("type") == "json_invalid":
            detail = error.get("ctx", {}).get("error", "")
            parts.append(f"body is not valid JSON ({detail})")
            continue
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        parts.append(f"{_location(error.get('loc', ()))}: {message}")
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    return "invalid request: " + "; ".join(parts)


def create_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[str]:
        return error_response(400, describe_validation_errors(error.errors()))

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_content_type(error: RequestUnsupportedContentType) -> Response[str]:
        return error_response(415, "the body must be JSON (Content-Type: application/json)")

    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response[str]:
        status = next(code for kind, code in _DOMAIN_STATUS if isinstance(error, kind))
        return error_response(status, str(error))

    @app.not_found
    def not_found(error: Exception) -> Response[str]:
        return error_response(404, "no such route")

    return app


def lambda_handler_for(app: APIGatewayHttpResolver) -> LambdaHandler:
    """The Lambda entry point: refuses oversized bodies before anything is parsed."""

    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        body = event.get("body") or ""
        if len(body) > SETTINGS.max_body_bytes:
            return {
                "statusCode": 413,
                "headers": {"Content-Type": content_types.APPLICATION_JSON},
                "body": json.dumps({"message": f"body over {SETTINGS.max_body_bytes} bytes"}),
            }
        return app.resolve(event, context)

    return lambda_handler

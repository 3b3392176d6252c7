"""One Powertools resolver per function, all with the same validation and error shape:
every error is `{"message": ...}` with a 4xx code that names the problem."""

import base64
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from segmentation.api.faults import register_fault_handlers, unavailable_response
from segmentation.api.request_body import NOT_JSON, judge_body
from segmentation.api.schemas import ErrorResponse, json_text
from segmentation.errors import (
    ConcurrentModification,
    DomainError,
    InvalidRequest,
    SegmentAlreadyExists,
    SegmentNotFound,
)
from segmentation.observability import LOGGER, observed
from segmentation.settings import SETTINGS

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

_DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (InvalidRequest, 400),
    (SegmentNotFound, 404),
    (SegmentAlreadyExists, 409),
]


def json_response(
    status_code: int, body: BaseModel, headers: dict[str, str] | None = None
) -> Response[str]:
    """`body`, the response model the route declares for `status_code` in OpenAPI
    (tests/component/test_response_schemas.py checks every route's real answers against it)."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=json_text(body),
        headers=headers,
    )


def error_response(status_code: int, message: str) -> Response[str]:
    return json_response(status_code, ErrorResponse(message=message))


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
        return error_response(415, NOT_JSON)

    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response[str]:
        status = next(code for kind, code in _DOMAIN_STATUS if isinstance(error, kind))
        return error_response(status, str(error))

    # Chosen over domain_error (Powertools looks handlers up along the MRO). Transient,
    # unlike a 409: answered like an AWS fault, and the same call likely succeeds shortly.
    @app.exception_handler(ConcurrentModification)
    def concurrent_modification(error: ConcurrentModification) -> Response[str]:
        return unavailable_response(str(error))

    @app.not_found
    def not_found(error: Exception) -> Response[str]:
        return error_response(404, "no such route")

    register_fault_handlers(app)  # 503 + Retry-After for AWS faults past retries
    return app


def _raw_response(status_code: int, message: str) -> dict[str, Any]:
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json_text(ErrorResponse(message=message)),
    }


def _body_text(event: dict[str, Any]) -> str | None:
    """The body as text; None if API Gateway base64-encoded it because it is not UTF-8."""
    body: str = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError both are
        return None


def _labelled_as_json(event: dict[str, Any]) -> dict[str, Any]:
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    return {**event, "headers": {**headers, "content-type": content_types.APPLICATION_JSON}}


def _refusal(event: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the answer to a body refused before parsing or None, the event to resolve)."""
    body = event.get("body") or ""
    if len(body) > SETTINGS.max_body_bytes:
        return _raw_response(413, f"body over {SETTINGS.max_body_bytes} bytes"), event
    if not body:
        return None, event
    text = _body_text(event)
    if text is None:
        return _raw_response(400, "invalid request: body is not UTF-8 text"), event
    verdict = judge_body(text, event.get("headers") or {})
    if verdict.status is not None:
        return _raw_response(verdict.status, verdict.message), event
    return None, _labelled_as_json(event) if verdict.relabel_as_json else event


def _ids_of(event: dict[str, Any]) -> dict[str, str]:
    """The ids and slugs a request names: all that its log line may say about it."""
    path = event.get("pathParameters") or {}
    query = event.get("queryStringParameters") or {}
    ids = {"user_id": path.get("id") or query.get("user_id"), "slug": path.get("slug")}
    return {key: value for key, value in ids.items() if value}


def lambda_handler_for(app: APIGatewayHttpResolver) -> LambdaHandler:
    """The Lambda entry point: refuses oversized, non-JSON and over-deep bodies before
    anything is parsed and logs one line per request (a bug: its traceback)."""

    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        response, event = _refusal(event)
        if response is None:
            try:
                response = app.resolve(event, context)
            except Exception:
                # Re-raised: Lambda counts it as an error, and API Gateway answers
                # 500 {"message": "Internal Server Error"}.
                LOGGER.exception("unhandled error", extra=_ids_of(event))
                raise
        LOGGER.info(
            "request",
            extra={
                "route": event.get("routeKey"),
                "status": response.get("statusCode"),
                **_ids_of(event),
            },
        )
        return response

    return observed(lambda_handler, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)

"""Typed errors: one class per answer a caller handles differently, each with the service's
`message`."""

from typing import Any


class ApiError(Exception):
    """The service answered with an error status; `message` is its `{"message": ...}`."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.body = body


class InvalidRequest(ApiError):
    """400, 413 or 415: the request itself is wrong; retrying it unchanged cannot help."""


class Forbidden(ApiError):
    """403: the signature is missing or wrong, or the caller may not invoke the API."""


class NotFound(ApiError):
    """404: an unknown segment (or route)."""


class Conflict(ApiError):
    """409: the segment already exists."""


class Unavailable(ApiError):
    """503 after the client's bounded retries: transient; nothing was half-written."""


class ReportFailed(ApiError):
    """A report job ended `failed`; `message` is its `error`."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidRequest,
    415: InvalidRequest,
    503: Unavailable,
}


def error_for(status: int, body: Any, fallback: str) -> ApiError:
    """The typed error of an answer; `fallback` (the reason phrase) when the body has no
    message, as from a proxy."""
    message = body.get("message") if isinstance(body, dict) else None
    return _BY_STATUS.get(status, ApiError)(status, str(message or fallback), body)

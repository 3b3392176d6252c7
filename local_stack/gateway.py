"""API Gateway HTTP API in front of in-process handlers, as a WSGI application."""

import base64
import binascii
import json
import logging
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from local_stack.events import build_http_api_event
from local_stack.runtime import FunctionRuntime
from local_stack.template import DEFAULT_ROUTE, HttpRoute

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger("local_stack.gateway")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


class _LimitedRequest(Request):
    max_content_length = MAX_BODY_BYTES


def _json(status: int, message: str, **headers: str) -> Response:
    response = Response(json.dumps({"message": message}), status, content_type="application/json")
    response.headers.update(headers)
    return response


def _rule_path(route_path: str) -> tuple[str, dict[str, str]]:
    """`/users/{id}` -> werkzeug `/users/<p0>`, plus the map back to API Gateway's names."""
    names: dict[str, str] = {}
    parts = []
    for segment in route_path.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1]
            greedy = name.endswith("+")
            alias = f"p{len(names)}"
            names[alias] = name.rstrip("+")
            parts.append(f"<path:{alias}>" if greedy else f"<{alias}>")
        else:
            parts.append(segment)
    return "/".join(parts), names


class Gateway:
    def __init__(self, routes: Iterable[HttpRoute], runtime: FunctionRuntime) -> None:
        self.runtime = runtime
        self.default_route: HttpRoute | None = None
        rules = []
        self._routes: list[tuple[HttpRoute, dict[str, str]]] = []
        for route in routes:
            if route.path == DEFAULT_ROUTE:
                self.default_route = route
                continue
            path, names = _rule_path(route.path)
            methods = None if route.method == "ANY" else [route.method]
            rules.append(Rule(path, methods=methods, endpoint=len(self._routes)))
            self._routes.append((route, names))
        explicit_head = any(route.method == "HEAD" for route, _ in self._routes)
        self._implicit_head = set() if explicit_head else {"HEAD"}
        # API Gateway matches the path as sent: no slash merging (and no redirects, below).
        self.url_map = Map(rules, merge_slashes=False)

    def __call__(
        self, environ: "WSGIEnvironment", start_response: "StartResponse"
    ) -> Iterable[bytes]:
        started = time.monotonic()
        request = _LimitedRequest(environ)
        response = self.handle(request)
        response.headers["apigw-requestid"] = str(uuid.uuid4())
        log.info(
            "%s %s %d %.1f ms",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            _discard_body(request)
            return _json(413, "Request Entity Too Large")
        try:
            route, params = self._match(request)
        except NotFound:
            return _json(404, "Not Found")
        except MethodNotAllowed as error:
            allowed = ", ".join(sorted(set(error.valid_methods or []) - self._implicit_head))
            return _json(405, "Method Not Allowed", Allow=allowed)
        event = build_http_api_event(
            method=request.method,
            path=request.path,
            route_key=route.route_key,
            raw_path=self._raw_path(request),
            query_string=request.query_string.decode("latin-1"),
            headers=list(request.headers.items()),
            body=body if body else None,
            path_params=params,
            source_ip=request.remote_addr or "127.0.0.1",
            protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        try:
            result = self.runtime.invoke(route.function_logical_id, event)
            return to_response(result)
        except Exception:
            log.exception(
                "%s failed on %s %s", route.function_logical_id, request.method, request.path
            )
            return _json(500, "Internal Server Error")

    def _match(self, request: Request) -> tuple[HttpRoute, dict[str, str]]:
        adapter = self.url_map.bind("localhost")  # routes ignore the Host header
        try:
            index, values = adapter.match(request.path, request.method)
        except (NotFound, MethodNotAllowed, RequestRedirect) as error:
            if self.default_route is not None:
                return self.default_route, {}
            if isinstance(error, RequestRedirect):  # `/a` for a `/a/` rule: not a route here
                raise NotFound from error
            raise
        route, names = self._routes[index]
        if request.method == "HEAD" and route.method not in ("HEAD", "ANY"):
            # werkzeug lets HEAD match a GET rule; API Gateway routes HEAD on its own.
            raise MethodNotAllowed(valid_methods=[route.method])
        return route, {names[alias]: value for alias, value in values.items()}

    @staticmethod
    def _raw_path(request: Request) -> str:
        raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        return str(raw_uri).split("?", 1)[0] if raw_uri else request.path


def _discard_body(request: Request, cap: int = 8 * MAX_BODY_BYTES) -> None:
    """Reads an oversized body before answering: a client still sending it would otherwise
    see the connection reset instead of the 413."""
    stream = request.environ["wsgi.input"]
    remaining = min(request.content_length or cap, cap)
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            return
        remaining -= len(chunk)


class BadLambdaResponse(ValueError):
    """The handler's result is not a valid HTTP API response."""


def to_response(result: Any) -> Response:
    """A Lambda result, read the way HTTP API payload 2.0 reads it."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # The v2 shortcut: any JSON without statusCode is a 200 body; a string is sent as is.
        text = result if isinstance(result, str) else json.dumps(result)
        return Response(text, 200, content_type="application/json")
    status = result["statusCode"]
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise BadLambdaResponse(f"statusCode {status!r} is not an HTTP status")
    body = result.get("body")
    data: bytes
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(str(body), validate=True)
        except binascii.Error as error:
            raise BadLambdaResponse("isBase64Encoded body is not base64") from error
    else:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    response = Response(data, status)
    # Only the handler's headers: API Gateway adds no default content type.
    del response.headers["Content-Type"]
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = _header_value(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        response.headers.remove(name)
        for value in values:
            response.headers.add(name, _header_value(value))
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", str(cookie))
    return response


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

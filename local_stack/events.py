"""Lambda events and context as AWS builds them: HTTP API payload 2.0 and EventBridge schedules."""

import base64
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from local_stack.cfn import ACCOUNT_ID, REGION

API_ID = "local"
DOMAIN_NAME = "localhost"

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def path_parameters(route_path: str, path: str) -> dict[str, str] | None:
    """Values of `{name}` / `{name+}` in `route_path` taken from `path`; None if no match."""
    pattern = ""
    for literal, name, greedy in re.findall(r"([^{]*)(?:\{([^}+]+)(\+?)\})?", route_path):
        pattern += re.escape(literal)
        if name:
            pattern += f"(?P<{_group(name)}>.+)" if greedy else f"(?P<{_group(name)}>[^/]+)"
    match = re.fullmatch(pattern, path)
    if match is None:
        return None
    names = re.findall(r"\{([^}+]+)\+?\}", route_path)
    return {name: match.group(_group(name)) for name in names}


def _group(name: str) -> str:
    # Regex group names must be identifiers; API Gateway's parameter names need not be.
    return "p_" + "".join(char if char.isalnum() else f"_{ord(char)}_" for char in name)


def _joined_headers(headers: Headers | None) -> dict[str, str]:
    # HTTP API lower-cases names and joins repeated headers with commas.
    pairs = headers.items() if isinstance(headers, Mapping) else (headers or [])
    joined: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def build_http_api_event(
    *,
    method: str,
    path: str,
    route_key: str | None = None,
    raw_path: str | None = None,
    query_string: str = "",
    headers: Headers | None = None,
    body: str | bytes | None = None,
    path_params: Mapping[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    protocol: str = "HTTP/1.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) proxy event.

    `route_key` is "METHOD /path/{param}" (or "$default"); when None it is the request's own
    method and path. Path parameters are taken from the route key unless given. A query
    string may come in `query_string` or on `path`.
    """
    method = method.upper()
    if "?" in path:  # "/a?b=1" from a caller that kept the query on the path
        path, _, in_path_query = path.partition("?")
        query_string = query_string or in_path_query
    route_key = route_key or f"{method} {path}"
    header_map = _joined_headers(headers)
    header_map.setdefault("host", DOMAIN_NAME)
    # HTTP API moves the Cookie header into `cookies`.
    cookie_header = header_map.pop("cookie", "")
    cookies = [part.strip() for part in re.split(r"[;,]", cookie_header) if part.strip()]
    now = time.time()
    user_agent = header_map.get("user-agent", "")

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path if raw_path is not None else path,
        "rawQueryString": query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = header_map
    if query_string:
        event["queryStringParameters"] = _query_parameters(query_string)
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": header_map["host"].split(":")[0],
        "domainPrefix": header_map["host"].split(".")[0].split(":")[0],
        "http": {
            "method": method,
            "path": path,
            "protocol": protocol,
            "sourceIp": source_ip,
            "userAgent": user_agent,
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": "$default",
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if path_params is None and " " in route_key:
        path_params = path_parameters(route_key.split(" ", 1)[1], path)
    if path_params:
        event["pathParameters"] = dict(path_params)
    if body is not None:
        event["body"], event["isBase64Encoded"] = _encode_body(body)
    else:
        event["isBase64Encoded"] = False
    return event


def _encode_body(body: str | bytes) -> tuple[str, bool]:
    if isinstance(body, str):
        return body, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def build_scheduled_event(rule_name: str = "local-schedule") -> dict[str, Any]:
    """The EventBridge "Scheduled Event" a Schedule event source delivers."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule_name}"],
        "detail": {},
    }


class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    def __init__(
        self,
        function_name: str = "local-function",
        memory_limit_in_mb: int = 128,
        timeout_seconds: float = 3.0,
        aws_request_id: str | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
        self.aws_request_id = aws_request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

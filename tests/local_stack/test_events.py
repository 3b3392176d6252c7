"""Events and context in the shapes AWS delivers them."""

import base64
import time
import uuid

from local_stack.events import (
    LambdaContext,
    build_http_api_event,
    build_scheduled_event,
    path_parameters,
)


def test_http_api_event_shape() -> None:
    event = build_http_api_event(
        method="post",
        path="/api/users/42/add_to_segment",
        route_key="POST /api/users/{id}/add_to_segment",
        query_string="a=1&a=2&b=",
        headers=[
            ("Content-Type", "application/json"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "s=1; theme=dark"),
            ("User-Agent", "pytest"),
            ("Host", "127.0.0.1:8000"),
        ],
        body='["A"]',
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /api/users/{id}/add_to_segment"
    assert event["rawPath"] == "/api/users/42/add_to_segment"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"id": "42"}
    assert event["headers"] == {
        "content-type": "application/json",
        "x-multi": "one,two",
        "user-agent": "pytest",
        "host": "127.0.0.1:8000",
    }
    assert event["cookies"] == ["s=1", "theme=dark"]
    assert event["body"] == '["A"]'
    assert event["isBase64Encoded"] is False
    assert "stageVariables" not in event

    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/api/users/42/add_to_segment",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "pytest",
    }
    assert context["routeKey"] == event["routeKey"]
    assert context["stage"] == "$default"
    assert context["domainName"] == "127.0.0.1"
    assert len(context["accountId"]) == 12
    uuid.UUID(context["requestId"])
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 5
    time.strptime(context["time"], "%d/%b/%Y:%H:%M:%S +0000")


def test_absent_parts_are_absent() -> None:
    event = build_http_api_event(method="GET", path="/api/segments")
    assert event["routeKey"] == "GET /api/segments"
    for key in ("queryStringParameters", "pathParameters", "cookies", "body", "stageVariables"):
        assert key not in event
    assert event["isBase64Encoded"] is False


def test_non_utf8_body_is_base64() -> None:
    raw = b"\x89PNG\r\n\xff\x00"
    event = build_http_api_event(method="PUT", path="/f", body=raw)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw
    assert build_http_api_event(method="PUT", path="/f", body="é".encode())["body"] == "é"


def test_path_parameters_including_greedy() -> None:
    assert path_parameters("/files/{proxy+}", "/files/a/b/c.txt") == {"proxy": "a/b/c.txt"}
    assert path_parameters("/y/{year}/{month}", "/y/2023/8") == {"year": "2023", "month": "8"}
    assert path_parameters("/u/{user-id}", "/u/7") == {"user-id": "7"}
    assert path_parameters("/u/{id}", "/u/7/x") is None


def test_scheduled_event() -> None:
    event = build_scheduled_event("tick")
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"][0].endswith(":rule/tick")
    assert event["detail"] == {}


def test_lambda_context() -> None:
    context = LambdaContext("Fn", memory_limit_in_mb=256, timeout_seconds=2)
    assert context.function_name == "Fn"
    assert context.memory_limit_in_mb == 256
    assert context.invoked_function_arn.endswith(":function:Fn")
    uuid.UUID(context.aws_request_id)
    assert 1500 < context.get_remaining_time_in_millis() <= 2000


def test_query_string_on_the_path_is_split_off() -> None:
    event = build_http_api_event(method="GET", path="/y/2024/1?user_id=9&x=a%20b")
    assert event["rawPath"] == "/y/2024/1"
    assert event["routeKey"] == "GET /y/2024/1"
    assert event["rawQueryString"] == "user_id=9&x=a%20b"
    assert event["queryStringParameters"] == {"user_id": "9", "x": "a b"}

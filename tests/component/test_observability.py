"""Logs, metrics and tracing around every handler: JSON logs with the request id as
correlation id and ids/slugs only; EMF metrics flushed by the handler wrapper."""

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local_stack.events import LambdaContext, build_http_api_event
from segmentation import observability
from tests.support.handlers import load_function
from tests.support.logs import json_lines

Logs = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def logs() -> Iterator[Logs]:
    """The service's log lines of this test (the handler's stream is set at import)."""
    buffer = io.StringIO()
    handlers = [h for h in observability.LOGGER.handlers if isinstance(h, logging.StreamHandler)]
    previous = [handler.setStream(buffer) for handler in handlers]
    yield lambda: json_lines(buffer.getvalue())
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)


def _invoke(
    function: str, method: str, path: str, body: Any = None, route_key: str | None = None
) -> dict[str, Any]:
    event = build_http_api_event(
        method=method,
        path=path,
        route_key=route_key,
        headers={"content-type": "application/json"},
        body=None if body is None else json.dumps(body),
    )
    event["requestContext"]["requestId"] = "req-123"
    reply: dict[str, Any] = load_function(function).lambda_handler(event, LambdaContext(function))
    return reply


def test_a_request_logs_one_json_line_with_correlation_id_and_no_body(logs: Logs) -> None:
    reply = _invoke(
        "create_segment", "POST", "/api/segments", {"slug": "OBS_1", "description": "SECRET-TEXT"}
    )
    assert reply["statusCode"] == 201
    request = next(line for line in logs() if line["message"] == "request")
    assert request["correlation_id"] == "req-123"
    assert request["status"] == 201
    assert request["route"] == "POST /api/segments"
    assert request["service"] == "segmentation"
    assert "cold_start" in request
    assert request["function_name"] == "create_segment"
    assert "SECRET-TEXT" not in json.dumps(logs())


def test_the_request_log_names_the_user_and_segment_only(logs: Logs) -> None:
    _invoke(
        "delete_from_segment",
        "DELETE",
        "/api/users/7/delete_from_segment",
        ["NO_SUCH"],
        route_key="DELETE /api/users/{id}/delete_from_segment",
    )
    request = next(line for line in logs() if line["message"] == "request")
    assert request["user_id"] == "7"
    assert request["status"] == 404
    assert "NO_SUCH" not in json.dumps(request)  # that is the body's content


def test_a_bug_is_logged_with_its_correlation_id_and_re_raised(
    logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load_function("list_segments")

    def broken() -> list[Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "list_active_segments", broken)
    with pytest.raises(RuntimeError):
        _invoke("list_segments", "GET", "/api/segments")
    error = next(line for line in logs() if line["message"] == "unhandled error")
    assert error["level"] == "ERROR"
    assert error["correlation_id"] == "req-123"
    assert "RuntimeError" in error["exception"]


@pytest.mark.parametrize("content_type", ["multipart/form-data", "text/plain", "application/xml"])
def test_a_body_that_is_not_json_is_refused_with_415(call: Any, content_type: str) -> None:
    reply = call(
        "create_segment",
        "POST",
        "/api/segments",
        raw_body='{"slug": "NOT_JSON"}',
        headers={"content-type": content_type},
    )
    assert reply.status == 415
    assert "JSON" in reply.json["message"]
    assert call("list_segments", "GET", "/api/segments").json["segments"] == []


def test_a_body_that_is_not_utf8_is_refused_with_400() -> None:
    event = build_http_api_event(
        method="POST",
        path="/api/segments",
        headers={"content-type": "application/json"},
        body=b"\x0e\xff\xfe@",
    )
    assert event["isBase64Encoded"] is True
    reply = load_function("create_segment").lambda_handler(event, LambdaContext("create"))
    assert reply["statusCode"] == 400
    assert "UTF-8" in json.loads(reply["body"])["message"]


def test_handlers_emit_the_domain_metrics(call: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Wired end to end: creating a segment, adding a member and exporting a month each
    leave their EMF metric on stdout when the handler returns."""
    import boto3

    from segmentation.settings import SETTINGS

    s3 = boto3.client("s3")
    if SETTINGS.exports_bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=SETTINGS.exports_bucket)
    assert call("create_segment", "POST", "/api/segments", {"slug": "M"}).status == 201
    assert call("add_to_segment", "POST", "/api/users/1/add_to_segment", ["M"]).status == 201
    month = call("export_history", "GET", "/api/users/show_segments_history/2026/11")
    assert month.status == 200
    emitted: dict[str, float] = {}
    for line in capsys.readouterr().out.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                total = sum(value) if isinstance(value, list) else value
                emitted[metric["Name"]] = emitted.get(metric["Name"], 0) + total
    assert emitted.get("SegmentsCreated") == 1
    assert emitted.get("MembershipsAdded") == 1
    assert "RowsExported" in emitted

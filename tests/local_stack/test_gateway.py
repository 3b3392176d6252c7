"""The gateway in front of a fake handler: routing, limits, the response conversion, containers."""

import base64
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from werkzeug.test import Client

from local_stack.gateway import Gateway, to_response
from local_stack.runtime import FunctionRuntime
from local_stack.template import load_template
from tests.local_stack.fakes import write_app


def make_gateway(tmp_path: Path, max_containers: int = 10) -> Gateway:
    template = load_template(write_app(tmp_path))
    return Gateway(template.http_routes(), FunctionRuntime(template.functions(), max_containers))


@pytest.fixture
def client(tmp_path: Path) -> Client:
    return Client(make_gateway(tmp_path), use_cookies=False)


def test_routes_to_the_handler_with_a_v2_event(client: Client) -> None:
    reply = client.post(
        "/items/7?x=1&x=2",
        data='{"a": 1}',
        headers={"Content-Type": "application/json", "Cookie": "c=3"},
    )
    assert reply.status_code == 200
    payload = reply.get_json()
    event = payload["event"]
    assert event["routeKey"] == "POST /items/{id}"
    assert event["requestContext"]["routeKey"] == "POST /items/{id}"
    assert event["pathParameters"] == {"id": "7"}
    assert event["rawPath"] == "/items/7"
    assert event["rawQueryString"] == "x=1&x=2"
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["body"] == '{"a": 1}'
    assert event["headers"]["content-type"] == "application/json"
    assert event["cookies"] == ["c=3"]
    assert payload["function"] == "EchoFunction"
    assert 0 < payload["remaining_ms"] <= 5000


def test_response_status_headers_and_cookies(client: Client) -> None:
    reply = client.get("/items/1?status=418")
    assert reply.status_code == 418
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers.getlist("x-multi") == ["a", "b"]
    assert reply.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]
    assert reply.headers["apigw-requestid"]


def test_base64_in_and_out_with_greedy_path(client: Client) -> None:
    raw = bytes(range(256))
    reply = client.put("/files/a/b/c.bin", data=raw)
    assert reply.status_code == 200
    assert reply.data == raw
    assert reply.headers["content-type"] == "application/octet-stream"


def test_plain_dict_result_is_200_json(client: Client) -> None:
    reply = client.get("/answer")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.get_json() == {"answer": 42}


def test_unknown_route_is_404_and_wrong_method_405(client: Client) -> None:
    reply = client.get("/nope")
    assert (reply.status_code, reply.get_json()) == (404, {"message": "Not Found"})
    reply = client.delete("/items/1")
    assert (reply.status_code, reply.get_json()) == (405, {"message": "Method Not Allowed"})
    assert reply.headers["Allow"] == "GET, POST"
    assert client.head("/answer").status_code == 405  # not routed, unlike werkzeug's default
    assert client.get("/items/1/").status_code == 404  # no slash redirects


def test_body_over_10_mib_is_413(client: Client) -> None:
    reply = client.post("/items/1", data=b"x" * (10 * 1024 * 1024 + 1))
    assert (reply.status_code, reply.get_json()) == (413, {"message": "Request Entity Too Large"})
    assert client.post("/items/1", data=b"x" * (10 * 1024 * 1024)).status_code == 200


def test_handler_exception_is_500_and_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="local_stack"):
        reply = client.get("/boom")
    assert (reply.status_code, reply.get_json()) == (500, {"message": "Internal Server Error"})
    failure = next(r for r in caplog.records if r.exc_info)
    assert "ValueError: boom" in caplog.text
    assert failure.exc_info is not None
    assert any(r.getMessage().startswith("GET /boom 500 ") for r in caplog.records)
    # The container survives a failed invocation.
    assert client.get("/answer").status_code == 200


def test_import_error_is_500(client: Client) -> None:
    reply = client.get("/broken")
    assert (reply.status_code, reply.get_json()) == (500, {"message": "Internal Server Error"})


def test_containers_are_reused_and_never_shared(tmp_path: Path) -> None:
    gateway = make_gateway(tmp_path, max_containers=3)

    def slow(_: int) -> str:
        reply = Client(gateway).get("/slow")
        assert reply.status_code == 200, reply.data
        return str(reply.get_json()["container"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        containers = list(pool.map(slow, range(6)))
    # Six overlapping calls on a cap of three: three containers, each serving two.
    assert len(set(containers)) == 3
    # A later call reuses a warm one.
    assert slow(0) in containers


def test_to_response_rejects_bad_results() -> None:
    with pytest.raises(ValueError, match="statusCode"):
        to_response({"statusCode": "200"})
    with pytest.raises(ValueError, match="base64"):
        to_response({"statusCode": 200, "body": "***", "isBase64Encoded": True})
    reply = to_response({"statusCode": 204})
    assert (reply.status_code, reply.data, reply.headers.get("content-type")) == (204, b"", None)
    reply = to_response("plain")
    assert (reply.data, reply.headers["content-type"]) == (b"plain", "application/json")
    assert base64.b64decode(base64.b64encode(b"x")) == b"x"
    assert json.loads(to_response([1, 2]).data) == [1, 2]

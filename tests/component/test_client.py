"""The Python client's transport (clients/python) against a scripted loopback server: SigV4
headers, Retry-After on 503, typed errors, cursors."""

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.credentials import Credentials
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from segmentation_client import (
    Conflict,
    InvalidRequest,
    NotFound,
    SegmentationClient,
    TimedGrant,
    Unavailable,
)
from segmentation_client.transport import SigV4


class Script:
    """A loopback HTTP server answering from a list of (status, headers, body) in turn."""

    def __init__(self, answers: list[tuple[int, dict[str, str], Any]]) -> None:
        self.answers = answers
        self.seen: list[Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, environ: Any, start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        self.bodies.append(request.get_data())
        self.seen.append(request)
        status, headers, body = self.answers.pop(0)
        reply = Response(json.dumps(body), status, headers, content_type="application/json")
        return reply(environ, start_response)


@pytest.fixture
def serve() -> Iterator[Callable[[Script], str]]:
    servers: list[Any] = []

    def start(script: Script) -> str:
        server = make_server("127.0.0.1", 0, script, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_503_is_retried_after_its_retry_after_then_succeeds(serve: Any) -> None:
    script = Script(
        [
            (503, {"Retry-After": "0"}, {"message": "busy"}),
            (503, {"Retry-After": "0"}, {"message": "busy"}),
            (201, {}, {"status": "ok"}),
        ]
    )
    client = SegmentationClient(serve(script))
    assert client.add_to_segment(7, ["A", TimedGrant("B", ttl_seconds=60)]).status == "ok"
    assert len(script.seen) == 3
    assert all(request.path == "/api/users/7/add_to_segment" for request in script.seen)
    assert json.loads(script.bodies[-1]) == ["A", {"slug": "B", "ttl_seconds": 60}]


def test_retries_are_bounded_and_end_in_unavailable(serve: Any) -> None:
    script = Script([(503, {"Retry-After": "0"}, {"message": "try later"})] * 3)
    client = SegmentationClient(serve(script), retries=2)
    with pytest.raises(Unavailable) as raised:
        client.register()
    assert raised.value.message == "try later"
    assert len(script.seen) == 3


def test_a_long_retry_after_is_capped(serve: Any) -> None:
    script = Script([(503, {"Retry-After": "3600"}, {"message": "x"}), (201, {}, {"id": 5})])
    client = SegmentationClient(serve(script), max_wait_seconds=0.01)
    assert client.register().id == 5


@pytest.mark.parametrize(
    ("status", "error"), [(400, InvalidRequest), (404, NotFound), (409, Conflict)]
)
def test_errors_are_typed_and_carry_the_message(serve: Any, status: int, error: type) -> None:
    script = Script([(status, {}, {"message": "unknown segment(s): X"})])
    with pytest.raises(error) as raised:
        SegmentationClient(serve(script)).delete_segment("X/Y")
    assert raised.value.message == "unknown segment(s): X"
    assert raised.value.status == status
    assert script.seen[0].environ["RAW_URI"] == "/api/segments/X%2FY"


def test_pages_follow_the_cursor_until_it_is_null(serve: Any) -> None:
    script = Script(
        [
            (200, {}, {"items": [1, 2], "cursor": "abc"}),
            (200, {}, {"items": [3], "cursor": None}),
        ]
    )
    client = SegmentationClient(serve(script))
    items = list(client._pages("list_segments", "items", {"limit": 2}))
    assert items == [1, 2, 3]
    assert [dict(request.args) for request in script.seen] == [
        {"limit": "2"},
        {"limit": "2", "cursor": "abc"},
    ]


def test_deployed_requests_are_signed_with_sigv4_for_execute_api(serve: Any) -> None:
    script = Script([(200, {}, {"User_id": 3, "Slugs": ["A"]})])
    client = SegmentationClient(
        serve(script), auth=SigV4(Credentials("AKIDEXAMPLE", "secret", "token"), "eu-west-1")
    )
    assert client.show_active_segments(3).slugs == ["A"]
    headers = script.seen[0].headers
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "token"
    assert "X-Amz-Date" in headers


def test_local_requests_are_not_signed(serve: Any) -> None:
    script = Script([(200, {}, {"segments": []})])
    assert SegmentationClient.local(serve(script)).list_segments().segments == []
    assert "Authorization" not in script.seen[0].headers


# END

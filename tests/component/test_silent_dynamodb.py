"""A DynamoDB that accepts connections and never answers: the function answers 503 before
its timeout, because every AWS call's attempts fit in it (issue 12, item 2)."""

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.handlers import ROOT

STALL_TIMEOUT_SECONDS = 3


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A loopback TCP server that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


CALL_ONCE = """
import importlib.util, json, sys, time
from local_stack.events import LambdaContext, build_http_api_event
name, method, path, out = sys.argv[1:5]
spec = importlib.util.spec_from_file_location("app", f"functions/{name}/app.py")
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
event = build_http_api_event(method=method, path=path)
started = time.monotonic()
reply = app.lambda_handler(event, LambdaContext(name))
elapsed = time.monotonic() - started
with open(out, "w") as file:
    json.dump({"reply": reply, "elapsed": elapsed}, file)
"""


@pytest.mark.parametrize(
    ("function", "method", "path"),
    [
        ("register", "POST", "/auth/register"),
        ("show_active_segments", "GET", "/api/users/1/show_active_segments"),
    ],
)
def test_a_silent_dynamodb_gets_503_before_the_function_times_out(
    silent_endpoint: str, tmp_path: Path, function: str, method: str, path: str
) -> None:
    """A fresh process, as a Lambda container is: models read the budget at import."""
    out = tmp_path / "reply.json"
    environment = {
        **os.environ,
        "FUNCTION_TIMEOUT_SECONDS": str(STALL_TIMEOUT_SECONDS),
        "AWS_ENDPOINT_URL_DYNAMODB": silent_endpoint,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    subprocess.run(
        [sys.executable, "-c", CALL_ONCE, function, method, path, str(out)],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=60,
    )
    result = json.loads(out.read_text())
    reply = result["reply"]
    assert reply["statusCode"] == 503
    assert reply["headers"]["Retry-After"] == "1"
    assert "message" in json.loads(reply["body"])
    # A correctness bound (the Lambda would be killed at this point), not a speed target.
    assert result["elapsed"] < STALL_TIMEOUT_SECONDS

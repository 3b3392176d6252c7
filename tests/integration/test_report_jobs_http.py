"""A report job over HTTP on the local stack: the API queues it, the stack's SQS poller
runs the worker on moto, and the analyst polls and downloads, as in docs/api-guide.md."""

import gzip
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from local_stack.testing import RunningStack, running_stack
from tests.support.client import Client

PATIENCE_SECONDS = 120  # generous: the machine running the tests may be busy


@pytest.fixture(scope="module")
def reports() -> Iterator[RunningStack]:
    # Four pieces a month; a failed task is retried after a second, not 90 minutes.
    parameters = ("ReportWindowHours=192", "ReportTaskVisibilitySeconds=1")
    with running_stack(extra_args=tuple(f"--parameter={p}" for p in parameters)) as running:
        yield running


def test_start_poll_download(reports: RunningStack) -> None:
    api = Client(reports.base_url)
    slug = api.new_slug("REPORT")
    user = api.new_user()
    assert api.request("POST", f"/api/users/{user}/add_to_segment", [slug]).status_code == 201
    now = datetime.now(UTC)

    started = api.request("POST", "/api/reports", {"year": now.year, "month": now.month})
    assert started.status_code == 202, started.text
    location = started.headers["Location"]
    assert started.json()["pieces"] >= 4
    gzipped = api.request(
        "POST", "/api/reports", {"year": now.year, "month": now.month, "compression": "gzip"}
    )
    assert gzipped.status_code == 202, gzipped.text

    deadline = time.monotonic() + PATIENCE_SECONDS
    while (job := api.request("GET", location).json())["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, reports.output()[-3000:]
        time.sleep(0.3)
    assert job["status"] == "done", job
    redirect = api.session.get(
        reports.base_url + location, headers={"Accept": "text/csv"}, allow_redirects=False
    )
    assert redirect.status_code == 303
    file = requests.get(redirect.headers["Location"], timeout=30)
    sync = api.session.get(
        f"{reports.base_url}/api/users/show_segments_history/{now.year}/{now.month}",
        headers={"Accept": "text/csv"},
        timeout=30,
    )
    assert sync.status_code == 200  # the redirect was followed
    assert file.content == sync.content
    assert f"{user},{slug},INSERT," in file.text
    assert job["rows"] == file.text.count("\r\n") - 1

    gz_location = gzipped.headers["Location"]
    while (gz := api.request("GET", gz_location).json())["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, reports.output()[-3000:]
        time.sleep(0.3)
    gz_file = requests.get(gz["url"], timeout=30)
    assert gz_file.headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in gz_file.headers
    assert gzip.decompress(gz_file.content) == sync.content

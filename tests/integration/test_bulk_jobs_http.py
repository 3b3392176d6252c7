"""Bulk jobs over HTTP on the local stack, through the Python client: the API function
sends inline batches to SQS, S3 notifies the queue of an uploaded file, the stack's
poller runs the worker on moto, and the caller polls, as in docs/bulk-jobs.md."""

import csv
import io
import random
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from local_stack.testing import RunningStack, running_stack
from segmentation_client import SegmentationClient
from tests.support.client import Client

# moto answers one request at a time and this machine is shared: the default 1 s read
# timeout of a 10 s function (data/aws_timeouts.py) is too short for a busy moto, so the
# functions get the longest API timeout's budget; a batch that failed anyway is retried
# after a minute, not half an hour.
PARAMETERS = (
    "FunctionTimeoutSeconds=29",
    "BulkTaskVisibilitySeconds=60",
    "BulkWriteThreads=2",
    "ReportWindowHours=744",
)
USERS = 10_000
MEMBERS = 300  # already members before the big job


def _inserts(client: Client, slug: str) -> dict[int, int]:
    """INSERT rows per user of `slug` in this month's history report, built as a report
    job (the synchronous export of a month this large outlasts the client's timeout)."""
    now = datetime.now(UTC)
    poller = _poller(client)
    report = poller.wait_for_report(poller.start_report(now.year, now.month).id, 300)
    assert report.url is not None
    counts: dict[int, int] = {}
    for row in csv.reader(io.StringIO(client.download(report.url).decode())):
        if len(row) > 2 and row[1] == slug and row[2] == "INSERT":
            counts[int(row[0])] = counts.get(int(row[0]), 0) + 1
    return counts


@pytest.fixture(scope="module")
def bulk_stack() -> Iterator[RunningStack]:
    with running_stack(extra_args=tuple(f"--parameter={p}" for p in PARAMETERS)) as running:
        yield running


@pytest.fixture
def client(bulk_stack: RunningStack) -> Client:
    return Client(bulk_stack.base_url)


def _poller(client: Client) -> SegmentationClient:
    """Polls with the client's retries: moto answers one request at a time, and a busy
    job's writes may keep a status read waiting past its budget (a 503 to retry)."""
    return SegmentationClient(client.base_url, retries=5)


def test_ten_thousand_users_get_one_insert_each_and_members_none(client: Client) -> None:
    slug = client.new_slug("BULK")
    first = random.randrange(10**12, 10**15)
    users = list(range(first, first + USERS))
    members = users[:: USERS // MEMBERS]
    before = _poller(client).wait_for_bulk(client.start_bulk(slug, "add", members).id, 120)
    assert (before.status, before.changed) == ("done", len(members))

    job = client.start_bulk(slug, "add", users)
    assert job.total == USERS
    done = _poller(client).wait_for_bulk(job.id, 600, poll_seconds=1)
    assert (done.status, done.total, done.done) == ("done", USERS, USERS), done
    assert done.changed == USERS - len(members)
    # One INSERT per user overall: the members' rows are from the first job alone.
    assert _inserts(client, slug) == dict.fromkeys(users, 1)


def test_an_upload_reports_bad_lines_and_processes_the_rest(client: Client) -> None:
    slug = client.new_slug("UPLOAD")
    first = random.randrange(10**12, 10**15)
    job = client.start_bulk(slug, "add", ttl_seconds=3600)
    assert job.status == "pending"
    client.upload_bulk_file(job, [str(first), "", "not-an-id", f"{first + 1},x", "0"])
    done = _poller(client).wait_for_bulk(job.id, 120, poll_seconds=0.3)
    assert (done.status, done.total, done.changed) == ("done", 2, 2), done
    assert done.invalid.count == 2
    assert [(i.line, i.reason[:13]) for i in done.invalid.lines] == [
        (3, "not a user id"),
        (5, "not a user id"),
    ]
    assert client.slugs(first) == [slug]
    assert client.slugs(first + 1) == [slug]

"""Bulk membership jobs end to end on moto: POST /api/segments/{slug}/bulk, the SQS
worker and its retries (a crash mid-batch, a duplicated batch), an uploaded file split
in resumable chunks, S3's notification, and a segment deleted while a job runs."""

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from segmentation.data import bulk_memberships
from segmentation.data.bulk_queue import BulkTask, send_tasks
from segmentation.data.exports import s3_client
from segmentation.data.history import user_history
from segmentation.data.keys import bulk_upload_key
from segmentation.domain import bulk_changes, bulk_jobs, bulk_split
from segmentation.domain.bulk_jobs import bulk_job_status
from segmentation.domain.memberships import SegmentGrant, active_memberships, add_memberships
from segmentation.model import HistoryOperation
from segmentation.settings import SETTINGS
from tests.support.report_queues import TEMPLATE, drain, retry_at_once

if TYPE_CHECKING:
    from tests.support.handlers import Call

# One user at a time: moto in-process is not thread-safe (the local stack's single-threaded
# moto server runs the worker's threads in tests/integration/test_bulk_jobs_http.py).
SMALL = replace(SETTINGS, bulk_batch_size=4, bulk_split_lines=7, bulk_write_threads=1)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 users and split chunks of 7 lines: several of each, few round trips."""
    for module in (bulk_jobs, bulk_split, bulk_changes):
        monkeypatch.setattr(module, "SETTINGS", SMALL)
    retry_at_once()


def notifying_bucket() -> None:
    """The exports bucket under the name the functions use here, notifying the bulk
    queue of uploads as the template's bucket does."""
    names = {bucket["Name"] for bucket in s3_client().list_buckets().get("Buckets", [])}
    if SETTINGS.exports_bucket not in names:
        s3_client().create_bucket(Bucket=SETTINGS.exports_bucket)
    (notifications,) = TEMPLATE.s3_queue_notifications().values()
    s3_client().put_bucket_notification_configuration(
        Bucket=SETTINGS.exports_bucket,
        NotificationConfiguration=notifications,  # type: ignore[arg-type]
    )


def create(call: "Call", slug: str) -> None:
    assert call("create_segment", "POST", "/api/segments", body={"slug": slug}).status == 201


def start(call: "Call", slug: str, body: dict[str, Any]) -> Any:
    return call("start_bulk", "POST", f"/api/segments/{slug}/bulk", body=body)


def status(call: "Call", job_id: str) -> dict[str, Any]:
    reply = call("bulk_status", "GET", f"/api/bulk/{job_id}")
    assert reply.status == 200, reply.json
    return dict(reply.json)


def inserts(user_id: int, slug: str) -> int:
    return sum(
        1
        for event in user_history(user_id)
        if event.slug == slug and event.operation == HistoryOperation.INSERT
    )


def test_an_inline_add_writes_one_row_per_new_member_and_counts_only_real_changes(
    call: "Call",
) -> None:
    create(call, "BULK")
    members = [3, 7]
    for user in members:
        add_memberships(user, [SegmentGrant("BULK")])
    users = list(range(1, 11))
    started = start(call, "BULK", {"action": "add", "user_ids": users})
    assert started.status == 202, started.json
    assert started.headers["location"] == f"/api/bulk/{started.json['id']}"
    assert started.json["status"] == "pending"
    assert started.json["total"] == 10

    drain()
    job = status(call, started.json["id"])
    assert (job["status"], job["total"], job["done"], job["changed"]) == ("done", 10, 10, 8)
    assert job["invalid"] == {"count": 0, "lines": []}
    for user in users:
        assert inserts(user, "BULK") == 1
        assert [m.slug for m in active_memberships(user)] == ["BULK"]
    assert all(e.reason == "manual" for e in user_history(1))


def test_a_bulk_remove_is_the_single_remove(call: "Call") -> None:
    create(call, "GONE")
    add_memberships(1, [SegmentGrant("GONE")])
    started = start(call, "GONE", {"action": "remove", "user_ids": [1, 2]})
    drain()
    job = status(call, started.json["id"])
    assert (job["status"], job["changed"]) == ("done", 1)
    assert [e.operation for e in user_history(1)] == ["INSERT", "DELETE"]
    assert user_history(2) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "remove", "user_ids": [1], "ttl_seconds": 60}, "only goes with add"),
        ({"action": "add", "user_ids": [1], "upload": True}, "one of them"),
        ({"action": "add", "user_ids": [0]}, "user_ids"),
        ({"action": "add", "user_ids": ["1"]}, "user_ids"),
        ({"action": "add", "user_ids": []}, "user_ids"),
        ({"action": "move", "user_ids": [1]}, "action"),
    ],
)
def test_bad_requests_are_400_and_start_nothing(
    call: "Call", body: dict[str, Any], message: str
) -> None:
    create(call, "BAD")
    reply = start(call, "BAD", body)
    assert reply.status == 400, reply.json
    assert message in reply.json["message"]
    drain()
    assert user_history(1) == []


def test_an_unknown_segment_is_404_at_once(call: "Call") -> None:
    reply = start(call, "NOPE", {"action": "add", "user_ids": [1]})
    assert reply.status == 404
    assert "NOPE" in reply.json["message"]
    assert call("bulk_status", "GET", "/api/bulk/abc123").status == 404


def test_a_worker_killed_mid_batch_is_redriven_to_exact_rows_and_counts(
    call: "Call", monkeypatch: pytest.MonkeyPatch
) -> None:
    create(call, "CRASH")
    add_memberships(2, [SegmentGrant("CRASH")])
    real_write = bulk_changes.write_marked_change
    writes = {"before_crash": 2, "crashed": 0}

    def crash_after_two(*args: Any, **kwargs: Any) -> None:
        if writes["before_crash"] == 0 and not writes["crashed"]:
            writes["crashed"] = 1
            raise RuntimeError("worker killed")
        writes["before_crash"] -= 1
        real_write(*args, **kwargs)

    monkeypatch.setattr(bulk_changes, "write_marked_change", crash_after_two)
    started = start(call, "CRASH", {"action": "add", "user_ids": list(range(1, 9))})
    drain()
    job = status(call, started.json["id"])
    assert (job["status"], job["done"], job["changed"]) == ("done", 8, 7)
    assert writes["crashed"]
    for user in range(1, 9):
        assert inserts(user, "CRASH") == 1


def test_a_batch_delivered_twice_counts_once(call: "Call") -> None:
    create(call, "TWICE")
    started = start(call, "TWICE", {"action": "add", "user_ids": [1, 2, 3]})
    job_id, attempt = started.json["id"], bulk_jobs.get_job(started.json["id"])
    assert attempt is not None
    send_tasks([BulkTask(job_id, "batch", attempt.attempt, 0, [1, 2, 3])])  # a duplicate
    drain()
    job = status(call, job_id)
    assert (job["status"], job["done"], job["changed"]) == ("done", 3, 3)
    assert bulk_memberships.changed_users(job_id, 0) == {1, 2, 3}
    assert all(inserts(user, "TWICE") == 1 for user in (1, 2, 3))


def test_an_upload_reports_its_bad_lines_and_processes_the_rest(call: "Call") -> None:
    notifying_bucket()
    create(call, "FILE")
    add_memberships(5, [SegmentGrant("FILE")])
    started = start(call, "FILE", {"action": "add", "upload": True, "ttl_seconds": 3600})
    assert started.status == 202, started.json
    assert started.json["upload_url"].startswith("http")
    assert started.json["total"] is None
    lines = ["1", "2", "", "abc", "3,alice", '"4",bob', "5", "-6", "  ", "7\r", "x" * 2000]
    lines += [str(n) for n in range(10, 20)] + ["99999999999999999999"]
    body = "\n".join(lines).encode()
    s3_client().put_object(
        Bucket=SETTINGS.exports_bucket, Key=bulk_upload_key(started.json["id"]), Body=body
    )
    drain()
    job = status(call, started.json["id"])
    assert job["status"] == "done", job
    assert (job["total"], job["done"], job["changed"]) == (16, 16, 15)
    assert job["invalid"]["count"] == 4
    assert [line["line"] for line in job["invalid"]["lines"]] == [4, 8, 11, 22]
    assert "not a user id" in job["invalid"]["lines"][0]["reason"]
    assert "longer than" in job["invalid"]["lines"][2]["reason"]
    for user in [1, 2, 3, 4, 5, 7, *range(10, 20)]:
        assert inserts(user, "FILE") == 1
        assert active_memberships(user)[0].expires_at is not None


def test_a_job_whose_segment_is_deleted_fails_and_writes_no_more(call: "Call") -> None:
    create(call, "DOOMED")
    started = start(call, "DOOMED", {"action": "add", "user_ids": list(range(1, 9))})
    assert call("delete_segment", "DELETE", "/api/segments/DOOMED").status == 200
    drain()
    job = bulk_job_status(started.json["id"])
    assert job is not None
    assert (job.status, job.done) == ("failed", 0)
    assert "segment deleted" in str(job.error)
    assert all(user_history(user) == [] for user in range(1, 9))

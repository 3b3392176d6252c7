"""Fault injection: throttling, 5xx, timeouts, transaction conflicts and lost replies on
the DynamoDB and S3 calls of every endpoint, on moto in-process. The injector is
tests/support/faults.py (the `faults` fixture); the endpoints and their calls are
tests/support/fault_cases.py."""

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError
from pynamodb.exceptions import PynamoDBException

from segmentation.data.exports import MIN_PART_BYTES, MultipartFile
from segmentation.settings import SETTINGS
from tests.support.fault_cases import (
    CALLS,
    CASES,
    ENDPOINTS,
    KINDS,
    assert_unavailable,
    history_rows,
    seed_world,
    snapshot,
)
from tests.support.faults import (
    DYNAMODB_ATTEMPTS,
    S3_SERVER_ERROR,
    S3_SLOW_DOWN,
    THROTTLED,
    Fault,
    FaultInjector,
    lost_reply,
    read_timeout,
    transaction_conflict,
)
from tests.support.handlers import Call


@pytest.fixture
def world(call: Call, exports_bucket: str) -> SimpleNamespace:
    """Two manual segments, one automatic at 100%, a user in MANUAL_A, a history row."""
    return seed_world(call)


@pytest.mark.parametrize(("endpoint", "operation", "kind"), CASES)
def test_a_fault_that_outlasts_botocores_retries_is_a_clean_503_and_changes_nothing(
    call: Call,
    faults: FaultInjector,
    world: SimpleNamespace,
    endpoint: str,
    operation: str,
    kind: str,
) -> None:
    before = snapshot()
    faults.inject(operation, KINDS[kind])

    reply = ENDPOINTS[endpoint].send(call, world)

    assert_unavailable(reply)
    # botocore made every attempt it is configured for, backing off in between.
    assert faults.attempts[f"before-send.dynamodb.{operation}"] == DYNAMODB_ATTEMPTS
    assert len(faults.sleeps) >= DYNAMODB_ATTEMPTS - 1
    faults.clear()
    assert snapshot() == before


@pytest.mark.parametrize(("endpoint", "operation"), CALLS)
@pytest.mark.parametrize("kind", ["throttled", "server error", "read timeout"])
def test_a_fault_that_clears_within_the_retries_is_invisible(
    call: Call,
    faults: FaultInjector,
    world: SimpleNamespace,
    endpoint: str,
    operation: str,
    kind: str,
) -> None:
    faults.inject(operation, KINDS[kind], times=DYNAMODB_ATTEMPTS - 1)

    reply = ENDPOINTS[endpoint].send(call, world)

    assert reply.status == ENDPOINTS[endpoint].ok, reply.raw
    assert faults.attempts[f"before-send.dynamodb.{operation}"] >= DYNAMODB_ATTEMPTS


def test_a_retried_write_whose_first_reply_was_lost_lands_once(
    call: Call, faults: FaultInjector, world: SimpleNamespace
) -> None:
    faults.inject("TransactWriteItems", lost_reply, times=1)

    reply = call(
        "add_to_segment", "POST", f"/api/users/{world.user}/add_to_segment", body=["MANUAL_B"]
    )

    assert reply.status == 201, reply.raw
    assert history_rows(world.user).count(("MANUAL_B", "INSERT")) == 1
    slugs = call(
        "show_active_segments", "GET", f"/api/users/{world.user}/show_active_segments"
    ).json
    assert slugs["Slugs"] == ["AUTO", "MANUAL_A", "MANUAL_B"]


def test_a_removal_whose_reply_was_lost_is_recorded_once(
    call: Call, faults: FaultInjector, world: SimpleNamespace
) -> None:
    faults.inject("TransactWriteItems", lost_reply, times=1)

    reply = call(
        "delete_from_segment",
        "DELETE",
        f"/api/users/{world.user}/delete_from_segment",
        body=["MANUAL_A"],
    )

    assert reply.status == 200, reply.raw
    assert history_rows(world.user).count(("MANUAL_A", "DELETE")) == 1


@pytest.mark.parametrize("endpoint", ["add", "remove", "add and remove", "read first exposure"])
def test_transaction_conflicts_are_retried_by_the_service(
    call: Call, faults: FaultInjector, world: SimpleNamespace, endpoint: str
) -> None:
    before = {user: history_rows(user) for user in (world.user, world.fresh)}
    faults.inject("TransactWriteItems", transaction_conflict, times=3)

    reply = ENDPOINTS[endpoint].send(call, world)

    assert reply.status == ENDPOINTS[endpoint].ok, reply.raw
    # Three cancelled attempts, then the one that landed: its rows are there once each.
    assert faults.attempts["before-send.dynamodb.TransactWriteItems"] == 4
    for user, rows in before.items():
        after = history_rows(user)
        assert len(after) == len(set(after))
        assert set(rows) <= set(after)
    assert history_rows(world.user) != before[world.user] or endpoint == "read first exposure"


def test_endless_transaction_conflicts_give_up_cleanly(
    call: Call, faults: FaultInjector, world: SimpleNamespace
) -> None:
    before = snapshot()
    faults.inject("TransactWriteItems", transaction_conflict)

    reply = ENDPOINTS["add"].send(call, world)

    # The service's own optimistic-concurrency loop gives up (errors.ConcurrentModification):
    # a transient condition, answered like the other faults.
    assert reply.status == 503, reply.raw
    assert int(reply.headers["retry-after"]) >= 1
    assert set(reply.json) == {"message"}
    assert "retry" in reply.json["message"]
    faults.clear()
    assert snapshot() == before


def test_a_segment_deletion_in_conflict_is_503_not_404(
    call: Call, faults: FaultInjector, world: SimpleNamespace
) -> None:
    before = snapshot()
    faults.inject("TransactWriteItems", transaction_conflict)

    reply = ENDPOINTS["delete segment"].send(call, world)

    assert_unavailable(reply)
    faults.clear()
    assert snapshot() == before
    assert "MANUAL_B" in [
        s["slug"] for s in call("list_segments", "GET", "/api/segments").json["segments"]
    ]


# --- S3: the export's upload ------------------------------------------------------------


def _objects() -> list[str]:
    s3 = boto3.client("s3", region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket=SETTINGS.exports_bucket)
    return [o["Key"] for o in listed.get("Contents", [])]


@pytest.mark.parametrize("fault", [S3_SERVER_ERROR, S3_SLOW_DOWN, read_timeout])
def test_an_export_whose_upload_keeps_failing_is_a_clean_503(
    call: Call, faults: FaultInjector, world: SimpleNamespace, fault: Fault
) -> None:
    faults.inject("PutObject", fault, service="s3")

    reply = ENDPOINTS["export"].send(call, world)

    assert_unavailable(reply)
    assert faults.attempts["before-send.s3.PutObject"] > 1  # botocore retried
    faults.clear()
    assert _objects() == []


def test_an_export_whose_upload_fails_once_succeeds(
    call: Call, faults: FaultInjector, world: SimpleNamespace
) -> None:
    faults.inject("PutObject", S3_SERVER_ERROR, times=1, service="s3")

    reply = ENDPOINTS["export"].send(call, world)

    assert reply.status == 200, reply.raw
    assert len(_objects()) == 1


@pytest.mark.parametrize(
    ("operation", "times_ok"), [("UploadPart", 2), ("CompleteMultipartUpload", 0)]
)
def test_a_multipart_upload_failing_between_parts_is_aborted(
    faults: FaultInjector, exports_bucket: str, operation: str, times_ok: int
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = exports_bucket
    failures = Counter[str]()

    def after_some_parts(request: AWSPreparedRequest, apply: Callable[[], Any]) -> Any:
        failures["seen"] += 1
        if failures["seen"] <= times_ok:
            return apply()
        return S3_SERVER_ERROR(request, apply)

    faults.inject(operation, after_some_parts, service="s3")
    upload = MultipartFile(bucket, "history/x.csv", "text/csv", "attachment", MIN_PART_BYTES, s3)

    def write_four_parts() -> None:
        with upload:
            for _ in range(4):
                upload.write(b"x" * MIN_PART_BYTES)

    with pytest.raises(ClientError, match="InternalError"):
        write_four_parts()

    faults.clear()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


# --- the scheduled maintenance ----------------------------------------------------------

MEMBERS = 6


@pytest.fixture
def deleted_segment(call: Call, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A deleted segment whose MEMBERS members await cleanup, in batches of two."""
    import segmentation.domain.maintenance as maintenance

    monkeypatch.setattr(
        maintenance, "SETTINGS", dataclasses.replace(maintenance.SETTINGS, maintenance_batch_size=2)
    )
    assert call("create_segment", "POST", "/api/segments", body={"slug": "DOOMED"}).status == 201
    users = [call("register", "POST", "/auth/register").json["id"] for _ in range(MEMBERS)]
    for user in users:
        reply = call("add_to_segment", "POST", f"/api/users/{user}/add_to_segment", body=["DOOMED"])
        assert reply.status == 201
    assert call("delete_segment", "DELETE", "/api/segments/DOOMED").status == 200
    return users


def _cleanup_later() -> Any:
    from segmentation.domain.maintenance import run_maintenance

    # Past the tombstone's grace period: a complete run also removes the tombstone.
    return run_maintenance(now=datetime.now(UTC) + timedelta(hours=1))


def _exits(users: list[int]) -> Counter[int]:
    return Counter(
        user for user in users for row in history_rows(user) if row == ("DOOMED", "DELETE")
    )


def _doomed_items() -> list[dict[str, Any]]:
    return [
        item
        for item in snapshot()["SegmentsTable"]
        if "DOOMED" in item.get("sk", {}).get("S", "")
        or item.get("pk", {}).get("S") == "SEGMENT_DELETIONS"
    ]


def test_maintenance_stopped_by_a_fault_resumes_without_duplicates(
    faults: FaultInjector, deleted_segment: list[int]
) -> None:
    landed = Counter[str]()

    def after_one_batch(request: AWSPreparedRequest, apply: Callable[[], Any]) -> Any:
        landed["batches"] += 1
        return apply() if landed["batches"] == 1 else THROTTLED(request, apply)

    faults.inject("TransactWriteItems", after_one_batch)

    with pytest.raises(PynamoDBException):
        _cleanup_later()

    # The one batch that landed is complete (state and history), nothing else moved.
    exits = _exits(deleted_segment)
    assert sorted(exits.values()) == [1, 1]
    # Memberships left, the tombstone and the slug's deletion marker.
    assert len(_doomed_items()) == MEMBERS - 2 + 2

    faults.clear()
    summary = _cleanup_later()

    assert summary.complete
    assert summary.segment_deleted_exits == MEMBERS - 2
    assert _exits(deleted_segment) == Counter(dict.fromkeys(deleted_segment, 1))
    assert _doomed_items() == []


def test_maintenance_whose_reply_was_lost_records_each_exit_once(
    faults: FaultInjector, deleted_segment: list[int]
) -> None:
    faults.inject("TransactWriteItems", lost_reply, times=1)

    summary = _cleanup_later()

    assert summary.complete
    assert _exits(deleted_segment) == Counter(dict.fromkeys(deleted_segment, 1))
    assert _doomed_items() == []

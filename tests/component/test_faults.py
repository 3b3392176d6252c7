"""Fault injection: throttling, 5xx, timeouts, transaction conflicts and lost replies on
the DynamoDB and S3 calls of every endpoint, on moto in-process.

Faults are injected at botocore's `before-send` hook, where moto answers in-process: the
injector answers (or raises) instead of moto for the chosen attempts, so a failed attempt
never reaches the tables, exactly like a throttled or failed request to AWS; a "lost
reply" lets moto apply the request and then drops the answer. botocore's own retry logic
runs unchanged; only its sleep between attempts is skipped (and recorded).
"""

import dataclasses
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse
from pynamodb.exceptions import PynamoDBException

from segmentation.data.aws_timeouts import AWS_CALL_BUDGET
from segmentation.data.exports import MIN_PART_BYTES, MultipartFile
from segmentation.settings import SETTINGS
from tests.unit.conftest import Call, Reply

# PynamoDB's clients: the attempts of segmentation/data/aws_timeouts.py, in botocore's
# standard mode.
DYNAMODB_ATTEMPTS = AWS_CALL_BUDGET.max_attempts
TABLES = ("SegmentsTable", "HistoryTable")

Fault = Callable[[AWSPreparedRequest, Callable[[], AWSResponse | None]], AWSResponse | None]


def _dynamodb_error(status: int, code: str) -> Fault:
    def fault(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": code})
        return AWSResponse(
            request.url,
            status,
            {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.0"},
            MockRawResponse(body),
        )

    return fault


def _s3_error(status: int, code: str) -> Fault:
    def fault(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
        body = f"<Error><Code>{code}</Code><Message>{code}</Message></Error>"
        return AWSResponse(
            request.url, status, {"Content-Type": "application/xml"}, MockRawResponse(body)
        )

    return fault


def read_timeout(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
    raise ReadTimeoutError(endpoint_url=request.url)


def connect_timeout(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
    raise ConnectTimeoutError(endpoint_url=request.url)


def lost_reply(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
    """The request lands, its answer never arrives: the retry meets the write's own trace."""
    apply()
    raise ReadTimeoutError(endpoint_url=request.url)


def transaction_conflict(request: AWSPreparedRequest, apply: Callable[[], Any]) -> AWSResponse:
    """DynamoDB cancels a transaction that overlaps another one in flight."""
    items = json.loads(request.body or b"{}").get("TransactItems", [])
    reasons = [{"Code": "TransactionConflict", "Message": "conflict"} for _ in items]
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled [TransactionConflict]",
            "CancellationReasons": reasons,
        }
    )
    return AWSResponse(
        request.url,
        400,
        {"x-amzn-ErrorType": "TransactionCanceledException"},
        MockRawResponse(body),
    )


THROTTLED = _dynamodb_error(400, "ProvisionedThroughputExceededException")
THROTTLING = _dynamodb_error(400, "ThrottlingException")
SERVER_ERROR = _dynamodb_error(500, "InternalServerError")
S3_SERVER_ERROR = _s3_error(500, "InternalError")
S3_SLOW_DOWN = _s3_error(503, "SlowDown")


@dataclass
class Rule:
    event: str  # "before-send.dynamodb.Query"
    fault: Fault
    times: int | None  # attempts to spoil; None: all of them
    spoiled: int = 0


@dataclass
class FaultInjector:
    rules: list[Rule] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    sleeps: list[float] = field(default_factory=list)

    def inject(
        self, operation: str, fault: Fault, times: int | None = None, service: str = "dynamodb"
    ) -> None:
        if not self.rules:  # count the attempts of the call under test only
            self.attempts.clear()
        self.rules.append(Rule(f"before-send.{service}.{operation}", fault, times))

    def clear(self) -> None:
        self.rules.clear()
        self.attempts.clear()

    def answer(self, event_name: str, request: AWSPreparedRequest, moto: Callable[[], Any]) -> Any:
        self.attempts[event_name] += 1
        for rule in self.rules:
            if rule.event == event_name and (rule.times is None or rule.spoiled < rule.times):
                rule.spoiled += 1
                return rule.fault(request, moto)
        return moto()


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> FaultInjector:
    injector = FaultInjector()
    moto_answer = BotocoreStubber.__call__

    def answer(
        self: BotocoreStubber, event_name: str, request: AWSPreparedRequest, **kw: Any
    ) -> Any:
        return injector.answer(
            event_name, request, lambda: moto_answer(self, event_name, request, **kw)
        )

    monkeypatch.setattr(BotocoreStubber, "__call__", answer)
    # botocore's backoff between attempts: recorded, not slept.
    fake_time = SimpleNamespace(sleep=injector.sleeps.append)
    monkeypatch.setattr(botocore.endpoint, "time", fake_time)
    return injector


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every item of both tables except id counters (a failed register may burn an id)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    tables = {}
    for table in TABLES:
        items = [
            item
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]
            if item.get("pk", {}).get("S") != "COUNTER"
        ]
        tables[table] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return tables


def history_rows(user_id: int) -> list[tuple[str, str]]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    items = client.query(
        TableName="HistoryTable",
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"N": str(user_id)}},
    )["Items"]
    return [(item["slug"]["S"], item["operation"]["S"]) for item in items]


def assert_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.raw
    assert int(reply.headers["retry-after"]) >= 1
    assert reply.headers["content-type"].startswith("application/json")
    assert set(reply.json) == {"message"}
    assert "retry" in reply.json["message"]


@pytest.fixture
def exports_bucket() -> str:
    """The bucket the export writes to: the template's, or made here under its name."""
    s3 = boto3.client("s3", region_name="us-east-1")
    if SETTINGS.exports_bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=SETTINGS.exports_bucket)
    return SETTINGS.exports_bucket


@pytest.fixture
def world(call: Call, exports_bucket: str) -> SimpleNamespace:
    """Two manual segments, one automatic at 100%, a user in MANUAL_A, a history row."""
    for body in ({"slug": "MANUAL_A"}, {"slug": "MANUAL_B"}, {"slug": "AUTO", "percent": 100}):
        assert call("create_segment", "POST", "/api/segments", body=body).status == 201
    user = call("register", "POST", "/auth/register").json["id"]
    fresh = call("register", "POST", "/auth/register").json["id"]  # never read: AUTO unrecorded
    assert (
        call(
            "add_to_segment", "POST", f"/api/users/{user}/add_to_segment", body=["MANUAL_A"]
        ).status
        == 201
    )
    assert (
        call("show_active_segments", "GET", f"/api/users/{user}/show_active_segments").status == 200
    )
    now = datetime.now(UTC)
    return SimpleNamespace(user=user, fresh=fresh, year=now.year, month=now.month)


@dataclass(frozen=True)
class Endpoint:
    name: str
    function: str
    method: str
    path: str  # formatted with the world's attributes
    body: Any = None
    ok: int = 200

    def send(self, call: Call, world: SimpleNamespace) -> Reply:
        return call(self.function, self.method, self.path.format(**vars(world)), body=self.body)


ENDPOINTS = {
    e.name: e
    for e in [
        Endpoint("register", "register", "POST", "/auth/register", ok=201),
        Endpoint("create segment", "create_segment", "POST", "/api/segments", {"slug": "NEW"}, 201),
        Endpoint("list segments", "list_segments", "GET", "/api/segments"),
        Endpoint(
            "set percent", "update_segment", "PATCH", "/api/segments/MANUAL_B", {"percent": 5}
        ),
        Endpoint("delete segment", "delete_segment", "DELETE", "/api/segments/MANUAL_B"),
        Endpoint(
            "read slugs", "show_active_segments", "GET", "/api/users/{user}/show_active_segments"
        ),
        Endpoint(
            "read first exposure",
            "show_active_segments",
            "GET",
            "/api/users/{fresh}/show_active_segments",
        ),
        Endpoint("read details", "get_user_segments", "GET", "/api/users/{user}/segments"),
        Endpoint(
            "add", "add_to_segment", "POST", "/api/users/{user}/add_to_segment", ["MANUAL_B"], 201
        ),
        Endpoint(
            "remove",
            "delete_from_segment",
            "DELETE",
            "/api/users/{user}/delete_from_segment",
            ["MANUAL_A"],
        ),
        Endpoint(
            "add and remove",
            "change_segments",
            "PATCH",
            "/api/users/{user}/segments",
            {"add": ["MANUAL_B"], "remove": ["MANUAL_A"]},
        ),
        Endpoint(
            "export", "export_history", "GET", "/api/users/show_segments_history/{year}/{month}"
        ),
    ]
}

# (endpoint, failing call): every AWS call each endpoint makes.
CALLS = [
    ("register", "UpdateItem"),
    ("register", "PutItem"),
    ("create segment", "UpdateItem"),
    ("create segment", "GetItem"),
    ("create segment", "TransactWriteItems"),
    ("list segments", "Query"),
    ("set percent", "GetItem"),
    ("set percent", "TransactWriteItems"),
    ("delete segment", "GetItem"),
    ("delete segment", "TransactWriteItems"),
    ("read slugs", "Query"),
    ("read first exposure", "TransactWriteItems"),
    ("read details", "Query"),
    ("add", "Query"),
    ("add", "TransactWriteItems"),
    ("remove", "TransactWriteItems"),
    ("add and remove", "TransactWriteItems"),
    ("export", "Query"),
]
KINDS: dict[str, Fault] = {
    "throttled": THROTTLED,
    "throttling": THROTTLING,
    "server error": SERVER_ERROR,
    "read timeout": read_timeout,
    "connect timeout": connect_timeout,
}
# Every call with every kind of fault would be 80 cases: rotate the kinds over the calls,
# and give the transaction of the main write path every kind.
CASES = [
    (endpoint, op, kind)
    for i, (endpoint, op) in enumerate(CALLS)
    for kind in [list(KINDS)[i % len(KINDS)]]
]
CASES += [
    ("add", "TransactWriteItems", kind)
    for kind in KINDS
    if ("add", "TransactWriteItems", kind) not in CASES
]


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

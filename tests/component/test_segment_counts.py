"""Member counts from the history stream: sums per batch, applied exactly once under
retried batches, and GET /api/segments/{slug} showing them."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from local_stack.events import LambdaContext
from local_stack.streams import StreamPoller, StreamSource, lambda_record, streams_client
from segmentation.clock import utc_now
from segmentation.data.aws_errors import WriteConflict
from segmentation.data.segment_counts import member_count, stream_batch
from segmentation.domain import segment_counts
from segmentation.domain.maintenance import run_maintenance
from segmentation.domain.memberships import (
    SegmentGrant,
    active_memberships,
    add_memberships,
    remove_memberships,
)
from segmentation.domain.segment_counts import apply_stream_event, chunks
from segmentation.domain.segments import create_segment, delete_segment
from segmentation.settings import SETTINGS
from tests.support.clock import past_deletion_grace
from tests.support.handlers import Call, load_function

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/HistoryTable/stream/2025-01-01T00:00:00"


def record(sequence: int, segment_id: int, operation: str, event: str = "INSERT") -> Any:
    return {
        "eventName": event,
        "eventSourceARN": STREAM,
        "dynamodb": {
            "SequenceNumber": str(10**20 + sequence),
            "NewImage": {"segment_id": {"N": str(segment_id)}, "operation": {"S": operation}},
        },
    }


def test_a_batch_sums_inserts_and_deletes_per_segment_generation() -> None:
    event = {
        "Records": [
            record(1, 7, "INSERT"),
            record(2, 7, "INSERT"),
            record(3, 8, "INSERT"),
            record(4, 7, "DELETE"),
            record(5, 9, "INSERT"),
            record(6, 9, "DELETE"),  # nets to zero: no write for segment 9
            record(7, 7, "INSERT", event="MODIFY"),  # history rows never change: ignored
            {"eventName": "INSERT", "eventSourceARN": STREAM, "dynamodb": {"SequenceNumber": "8"}},
        ]
    }
    batch = stream_batch(event)
    assert batch is not None
    assert batch.deltas == {7: 1, 8: 1}
    assert (batch.records, batch.ignored) == (8, 2)
    assert (batch.first_sequence_number, batch.last_sequence_number) == (str(10**20 + 1), "8")
    assert stream_batch({"Records": []}) is None


def test_a_retried_batch_adds_nothing_twice() -> None:
    event = {"Records": [record(n, 3, "INSERT") for n in range(5)] + [record(9, 4, "DELETE")]}
    first = apply_stream_event(event)
    assert (first.chunks_applied, first.chunks_already_applied) == (1, 0)
    again = apply_stream_event(event)  # Lambda retries a batch whose reply was lost
    assert (again.chunks_applied, again.chunks_already_applied) == (0, 1)
    assert (member_count(3), member_count(4)) == (5, -1)
    # Another batch of the same segment is not mistaken for the first one.
    apply_stream_event({"Records": [record(10, 3, "DELETE")]})
    assert member_count(3) == 4


def test_a_batch_that_failed_halfway_applies_only_its_missing_chunks_on_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = {"Records": [record(n, 100 + n, "INSERT") for n in range(250)]}
    batch = stream_batch(event)
    assert batch is not None
    assert [len(chunk) for chunk in chunks(batch)] == [99, 99, 52]
    real_apply = segment_counts.apply_count_chunk

    def fail_on_the_second_chunk(batch: Any, chunk: int, deltas: dict[int, int]) -> bool:
        if chunk == 1:
            raise RuntimeError("the function timed out")
        return real_apply(batch, chunk, deltas)

    monkeypatch.setattr(segment_counts, "apply_count_chunk", fail_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        apply_stream_event(event)
    assert member_count(100) == 1
    assert member_count(100 + 99) == 0
    monkeypatch.setattr(segment_counts, "apply_count_chunk", real_apply)
    retried = apply_stream_event(event)
    assert (retried.chunks_applied, retried.chunks_already_applied) == (2, 1)
    assert all(member_count(100 + n) == 1 for n in range(0, 250, 7))


def test_a_conflicting_concurrent_batch_is_retried_once_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_apply = segment_counts.apply_count_chunk
    conflicts = iter([True])

    def conflict_first(batch: Any, chunk: int, deltas: dict[int, int]) -> bool:
        if next(conflicts, False):
            raise WriteConflict
        return real_apply(batch, chunk, deltas)

    monkeypatch.setattr(segment_counts, "apply_count_chunk", conflict_first)
    applied = apply_stream_event({"Records": [record(1, 5, "INSERT"), record(2, 5, "INSERT")]})
    assert applied.chunks_applied == 1
    assert member_count(5) == 2


class HistoryStream:
    """The history table's stream read from its start, delivered in batches through the
    local stack's poller (as Lambda's event source mapping would) to the counts function."""

    def __init__(self, batch_size: int = 25) -> None:
        self.dynamodb = boto3.client("dynamodb")
        self.streams = streams_client(None)
        table = self.dynamodb.describe_table(TableName=SETTINGS.history_table_name)["Table"]
        self.arn = table["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]
        self.iterator = self.streams.get_shard_iterator(
            StreamArn=self.arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        self.source = StreamSource("SegmentCountsFunction", "HistoryTable", batch_size, 2, None)
        self.handler = load_function("segment_counts").lambda_handler
        self.poller = StreamPoller(
            [self.source], self.dynamodb, self.streams, boto3.client("sqs"), self.invoke
        )
        self.batches: list[dict[str, Any]] = []

    def invoke(self, logical_id: str, event: Any) -> Any:
        self.batches.append(event)
        return self.handler(event, LambdaContext("segment_counts", timeout_seconds=60))

    def batches_due(self) -> Iterator[list[dict[str, Any]]]:
        while True:
            answer = self.streams.get_records(
                ShardIterator=self.iterator, Limit=self.source.batch_size
            )
            self.iterator = answer["NextShardIterator"]
            if not answer["Records"]:
                return
            yield [lambda_record(r, self.arn) for r in answer["Records"]]

    def deliver(self) -> None:
        for records in self.batches_due():
            assert self.poller.deliver(self.source, records)


def summary(call: Call, slug: str) -> Any:
    reply = call("get_segment", "GET", f"/api/segments/{slug}")
    assert reply.status == 200, reply.json
    return reply.json


def test_the_count_follows_adds_removals_exposures_and_expiries(call: Call) -> None:
    stream = HistoryStream()
    create_segment("COUNTED", description="counted")
    create_segment("EVERYONE", percent_buckets=10_000)
    soon = utc_now() + timedelta(minutes=5)
    for user in range(1, 11):
        add_memberships(user, [SegmentGrant("COUNTED", soon if user <= 3 else None)])
    remove_memberships(10, ["COUNTED"])
    for user in range(20, 24):
        active_memberships(user)  # first reads: exposures to EVERYONE (and nothing else)
    assert summary(call, "COUNTED")["members"] == 0  # nothing counted before the stream ran
    stream.deliver()
    listed = call("list_segments", "GET", "/api/segments").json["segments"]
    expected = next(segment for segment in listed if segment["slug"] == "COUNTED")
    assert summary(call, "COUNTED") == {**expected, "members": 9}
    assert summary(call, "EVERYONE")["members"] == 4
    # Replaying every batch (a retry storm) changes nothing.
    for batch in list(stream.batches):
        stream.invoke("SegmentCountsFunction", batch)
    assert summary(call, "COUNTED")["members"] == 9
    # Expiries count once maintenance records them (ttl DELETE rows).
    run_maintenance(now=soon + timedelta(seconds=1))
    stream.deliver()
    assert summary(call, "COUNTED")["members"] == 6


def test_a_recreated_slug_counts_only_its_own_generation(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = HistoryStream()
    create_segment("AGAIN")
    for user in range(1, 6):
        add_memberships(user, [SegmentGrant("AGAIN")])
    delete_segment("AGAIN")
    assert call("get_segment", "GET", "/api/segments/AGAIN").status == 404
    past_deletion_grace(monkeypatch)
    create_segment("AGAIN")
    add_memberships(1, [SegmentGrant("AGAIN")])
    run_maintenance(now=utc_now() + timedelta(hours=1))  # segment_deleted rows of the old one
    stream.deliver()
    assert summary(call, "AGAIN")["members"] == 1


def test_a_batch_that_keeps_failing_goes_to_the_failure_queue() -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="CountFailures")["QueueUrl"]
    source = StreamSource("SegmentCountsFunction", "HistoryTable", 10, 2, "CountFailures")
    attempts: list[Any] = []

    def failing(logical_id: str, event: Any) -> Any:
        attempts.append(event)
        raise RuntimeError("broken")

    poller = StreamPoller([source], None, None, sqs, failing)
    poller._stopped.wait = lambda seconds: False  # type: ignore[method-assign]
    records = [record(1, 3, "INSERT"), record(2, 3, "DELETE")]
    assert poller.deliver(source, records) is False
    assert len(attempts) == 3  # the first attempt and MaximumRetryAttempts (2) retries
    assert all(event == attempts[0] for event in attempts)  # the same batch each time
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert '"startSequenceNumber": "100000000000000000001"' in message["Body"]


def test_an_unknown_segment_is_404(call: Call) -> None:
    reply = call("get_segment", "GET", "/api/segments/NOPE")
    assert reply.status == 404
    assert reply.json == {"message": "unknown segment(s): NOPE"}
    assert call("get_segment", "GET", "/api/segments/bad%20slug").status == 400


def test_the_local_stack_reads_the_event_source_from_the_template() -> None:
    from local_stack.streams import stream_sources
    from local_stack.template import load_template
    from tests.support.handlers import ROOT

    (source,) = stream_sources(load_template(ROOT / "template.yaml"))
    assert source == StreamSource(
        "SegmentCountsFunction", "HistoryTable", 1000, 100, "SegmentCountsFailuresQueue"
    )

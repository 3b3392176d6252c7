"""Member counts, kept from the history table's stream: what one stream batch adds to
each segment generation, applied exactly once, and the sum a read returns.

A batch's +1 (INSERT row) and -1 (DELETE row) are summed per segment generation and
applied in chunks of up to MAX_COUNTERS_PER_CHUNK counters. Each chunk is one
transaction: a marker item keyed by the batch (first and last sequence number) and the
chunk's position, on condition that it does not exist yet, and one ADD per counter. A
retried batch (Lambda retries the same batch until it succeeds; docs/members.md) meets
its markers and adds nothing twice; a chunk either lands whole or not at all.
"""

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from segmentation.data.aws_errors import WriteConflict, failed_conditions, is_cancelled
from segmentation.data.aws_timeouts import budgeted_connection
from segmentation.data.keys import (
    SEGMENT_COUNT_SORT_KEY,
    count_batch_partition,
    count_batch_sort_key,
    segment_count_partition,
    segment_count_partitions,
    segment_count_shard,
)
from segmentation.data.models import CountBatchItem, SegmentCountItem
from segmentation.settings import SETTINGS

# A transaction holds at most 100 items: the marker and 99 counters.
MAX_COUNTERS_PER_CHUNK = 99
# Stream records live 24 hours; no retry of a batch comes after that. Markers stay longer.
MARKER_SECONDS = 2 * 24 * 3600
_DELTAS = {"INSERT": 1, "DELETE": -1}


@dataclass(frozen=True)
class StreamBatch:
    """One Lambda invocation's history rows, summed: segment id -> change of its count."""

    stream: str  # the stream's ARN
    first_sequence_number: str
    last_sequence_number: str
    deltas: dict[int, int]
    records: int
    ignored: int  # records that are not a new history row


def _delta(record: dict[str, Any]) -> tuple[int, int] | None:
    """(segment id, +1 or -1) of a new history row; None for anything else."""
    image = record.get("dynamodb", {}).get("NewImage") or {}
    operation = image.get("operation", {}).get("S")
    segment = image.get("segment_id", {}).get("N")
    if record.get("eventName") != "INSERT" or operation not in _DELTAS or segment is None:
        return None
    return int(segment), _DELTAS[operation]


def stream_batch(event: dict[str, Any]) -> StreamBatch | None:
    """The batch a DynamoDB stream event carries; None for an event without records."""
    records = event.get("Records") or []
    if not records:
        return None
    deltas: dict[int, int] = {}
    ignored = 0
    for record in records:
        change = _delta(record)
        if change is None:
            ignored += 1
            continue
        segment_id, delta = change
        deltas[segment_id] = deltas.get(segment_id, 0) + delta
    return StreamBatch(
        stream=str(records[0].get("eventSourceARN", "")),
        first_sequence_number=str(records[0]["dynamodb"]["SequenceNumber"]),
        last_sequence_number=str(records[-1]["dynamodb"]["SequenceNumber"]),
        deltas={segment: delta for segment, delta in deltas.items() if delta != 0},
        records=len(records),
        ignored=ignored,
    )


@cache
def _connection() -> Connection:
    """One per container: a batch after batch on one stream shard reuses its client."""
    return budgeted_connection(SETTINGS.region)


def _batch_id(batch: StreamBatch) -> str:
    # The stream's label (its creation time) keeps a recreated stream's numbers apart.
    label = batch.stream.rsplit("/", 1)[-1]
    return f"{label}#{batch.first_sequence_number}-{batch.last_sequence_number}"


def apply_count_chunk(batch: StreamBatch, chunk: int, deltas: dict[int, int]) -> bool:
    """Adds the chunk's deltas once: False when this chunk of this batch was applied
    before. Raises WriteConflict when a concurrent batch held one of its counters."""
    marker = CountBatchItem(
        count_batch_partition(_batch_id(batch)),
        count_batch_sort_key(chunk),
        last_sequence_number=batch.last_sequence_number,
        purge_at=int(time.time()) + MARKER_SECONDS,
    )
    shard = segment_count_shard(f"{_batch_id(batch)}#{chunk}")
    try:
        with TransactWrite(connection=_connection()) as transaction:
            transaction.save(marker, condition=CountBatchItem.pk.does_not_exist())
            for segment_id, delta in sorted(deltas.items()):
                counter = SegmentCountItem(
                    segment_count_partition(segment_id, shard), SEGMENT_COUNT_SORT_KEY
                )
                transaction.update(counter, actions=[SegmentCountItem.members.add(delta)])
    except TransactWriteError as error:
        if 0 in failed_conditions(error):
            return False
        if is_cancelled(error):
            raise WriteConflict from error
        raise
    return True


def member_count(segment_id: int) -> int:
    """The sum of the generation's counter shards (eventually consistent reads)."""
    keys = [(key, SEGMENT_COUNT_SORT_KEY) for key in segment_count_partitions(segment_id)]
    return sum(int(item.members) for item in SegmentCountItem.batch_get(keys))

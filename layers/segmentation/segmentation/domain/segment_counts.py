"""Keeping member counts from the history stream: each batch's sums, applied once.

No per-user request touches a count: the counts function reads the history table's
stream, sums +1/-1 per segment generation over a batch, and adds each sum with one write
per segment and batch (data/segment_counts.py), so the write rate of a count follows the
number of batches, not of members.
"""

from dataclasses import dataclass
from functools import partial
from typing import Any

from segmentation.data.segment_counts import (
    MAX_COUNTERS_PER_CHUNK,
    StreamBatch,
    apply_count_chunk,
    stream_batch,
)
from segmentation.domain.retry import retry_on_conflict

GAVE_UP = "concurrent count batches kept conflicting; the stream retries the batch"


@dataclass(frozen=True)
class CountsApplied:
    records: int
    segments: int
    chunks_applied: int
    chunks_already_applied: int  # by an earlier attempt of the same batch
    ignored_records: int


def chunks(batch: StreamBatch) -> list[dict[int, int]]:
    """The batch's sums in chunks, in segment id order: the same chunks on every retry."""
    segments = sorted(batch.deltas)
    size = MAX_COUNTERS_PER_CHUNK
    return [
        {segment: batch.deltas[segment] for segment in segments[start : start + size]}
        for start in range(0, len(segments), size)
    ]


def apply_stream_event(event: dict[str, Any]) -> CountsApplied:
    """Applies one stream batch to the counts, exactly once under retries of the batch."""
    batch = stream_batch(event)
    if batch is None:
        return CountsApplied(0, 0, 0, 0, 0)
    applied = skipped = 0
    for number, deltas in enumerate(chunks(batch)):
        if retry_on_conflict(partial(apply_count_chunk, batch, number, deltas), GAVE_UP):
            applied += 1
        else:
            skipped += 1
    return CountsApplied(batch.records, len(batch.deltas), applied, skipped, batch.ignored)

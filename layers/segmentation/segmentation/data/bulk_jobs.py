"""Bulk membership jobs in the main table: `BULK#<id>` / `JOB`, one item per job, and a
done-marker `BULK#<id>` / `BATCH#<n>` per batch.

A batch adds its counts to the job in the same transaction that writes its marker on
condition the marker is new: a retried batch counts once. That is one small write per
batch (hundreds of users), a few per second per job: the job item is no hot key.
"""

import json
import time
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from segmentation.data.aws_errors import conditionally, failed_conditions
from segmentation.data.aws_timeouts import budgeted_connection
from segmentation.data.keys import bulk_batch_key, bulk_job_key
from segmentation.data.models import MainTableItem
from segmentation.settings import SETTINGS

# Markers outlive any retry of their batch (SQS keeps a message 4 days at most).
MARKER_RETENTION_SECONDS = 14 * 24 * 3600
ACTIVE = ("pending", "running")


class BulkJobItem(MainTableItem):
    status = UnicodeAttribute()  # pending | running | done | failed
    slug = UnicodeAttribute()
    segment_id = NumberAttribute()
    action = UnicodeAttribute()  # add | remove
    expires_at = UnicodeAttribute(null=True)
    upload = NumberAttribute(default=0)  # 1: the ids come in a file
    created_at = UnicodeAttribute()  # the attempt its tasks carry
    total = NumberAttribute(null=True)  # ids to process; known once the file is split
    batches = NumberAttribute(null=True)
    batches_done = NumberAttribute(default=0)
    done = NumberAttribute(default=0)
    changed = NumberAttribute(default=0)
    invalid_count = NumberAttribute(default=0)
    invalid_lines = UnicodeAttribute(default="[]")  # JSON: the first 100 [line, reason]
    etag = UnicodeAttribute(null=True)  # the uploaded file being split
    split_offset = NumberAttribute(default=0)  # bytes of the file split so far
    split_line = NumberAttribute(default=0)
    split_batches = NumberAttribute(default=0)  # batches sent so far
    split_total = NumberAttribute(default=0)  # valid ids sent so far
    error = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)


class BulkBatchItem(MainTableItem):
    purge_at = NumberAttribute()  # DynamoDB TTL


@dataclass(frozen=True)
class SplitProgress:
    offset: int = 0  # bytes
    line: int = 0  # lines read
    batches: int = 0  # batches sent
    total: int = 0  # valid ids sent
    invalid_count: int = 0
    invalid_lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class BulkJobRecord:
    id: str
    status: str
    slug: str
    segment_id: int
    action: str
    expires_at: str | None
    upload: bool
    attempt: str
    total: int | None
    batches: int | None
    batches_done: int
    done: int
    changed: int
    error: str | None
    last_error: str | None
    etag: str | None
    split: SplitProgress


def _record(item: BulkJobItem) -> BulkJobRecord:
    lines = [(int(line), str(reason)) for line, reason in json.loads(item.invalid_lines)]
    return BulkJobRecord(
        id=item.pk.split("#", 1)[1],
        status=item.status,
        slug=item.slug,
        segment_id=int(item.segment_id),
        action=item.action,
        expires_at=item.expires_at,
        upload=bool(item.upload),
        attempt=item.created_at,
        total=None if item.total is None else int(item.total),
        batches=None if item.batches is None else int(item.batches),
        batches_done=int(item.batches_done),
        done=int(item.done),
        changed=int(item.changed),
        error=item.error,
        last_error=item.last_error,
        etag=item.etag,
        split=SplitProgress(
            int(item.split_offset),
            int(item.split_line),
            int(item.split_batches),
            int(item.split_total),
            int(item.invalid_count),
            lines,
        ),
    )


def create_job(job: BulkJobRecord) -> BulkJobRecord:
    item = BulkJobItem(
        *bulk_job_key(job.id),
        status=job.status,
        slug=job.slug,
        segment_id=job.segment_id,
        action=job.action,
        expires_at=job.expires_at,
        upload=int(job.upload),
        created_at=job.attempt,
        total=job.total,
        batches=job.batches,
    )
    item.save(condition=BulkJobItem.pk.does_not_exist())
    return _record(item)


def get_job(job_id: str) -> BulkJobRecord | None:
    try:
        return _record(BulkJobItem.get(*bulk_job_key(job_id), consistent_read=True))
    except BulkJobItem.DoesNotExist:
        return None


def _active(attempt: str) -> Any:
    return BulkJobItem.status.is_in(*ACTIVE) & (BulkJobItem.created_at == attempt)


def _updated_if(job_id: str, condition: Any, *actions: Any) -> bool:
    """False when `condition` did not hold (the job moved on meanwhile)."""
    item = BulkJobItem(*bulk_job_key(job_id))
    return conditionally(lambda: item.update(actions=list(actions), condition=condition))


def mark_running(job_id: str, attempt: str) -> bool:
    return _updated_if(
        job_id,
        (BulkJobItem.status == "pending") & (BulkJobItem.created_at == attempt),
        BulkJobItem.status.set("running"),
    )


def start_split(job_id: str, attempt: str, etag: str) -> bool:
    """The file arrived: the job runs, bound to this version of the file."""
    return _updated_if(
        job_id,
        (BulkJobItem.status == "pending") & (BulkJobItem.created_at == attempt),
        BulkJobItem.status.set("running"),
        BulkJobItem.etag.set(etag),
    )


def record_split(job_id: str, attempt: str, before: int, now: SplitProgress, end: bool) -> bool:
    """Moves the split on from byte `before` (False if another task did so first); at
    the end of the file, the job's total and batch count become known."""
    actions = [
        BulkJobItem.split_offset.set(now.offset),
        BulkJobItem.split_line.set(now.line),
        BulkJobItem.split_batches.set(now.batches),
        BulkJobItem.split_total.set(now.total),
        BulkJobItem.invalid_count.set(now.invalid_count),
        BulkJobItem.invalid_lines.set(json.dumps(now.invalid_lines)),
    ]
    if end:  # until then, total and batches stay unknown (absent): the job cannot end
        actions += [BulkJobItem.total.set(now.total), BulkJobItem.batches.set(now.batches)]
    return _updated_if(job_id, _active(attempt) & (BulkJobItem.split_offset == before), *actions)


def record_batch(job_id: str, attempt: str, batch: int, done: int, changed: int) -> bool:
    """Counts a finished batch once: its marker is written with the counts or not at all.
    False when it was counted before (or the job is over)."""
    marker = BulkBatchItem(
        *bulk_batch_key(job_id, batch), purge_at=int(time.time()) + MARKER_RETENTION_SECONDS
    )
    try:
        with TransactWrite(connection=budgeted_connection(SETTINGS.region)) as transaction:
            transaction.save(marker, condition=BulkBatchItem.pk.does_not_exist())
            transaction.update(
                BulkJobItem(*bulk_job_key(job_id)),
                actions=[
                    BulkJobItem.done.add(done),
                    BulkJobItem.changed.add(changed),
                    BulkJobItem.batches_done.add(1),
                ],
                condition=_active(attempt),
            )
    except TransactWriteError as error:
        if failed_conditions(error):
            return False
        raise
    return True


def mark_done(job_id: str, attempt: str) -> bool:
    return _updated_if(job_id, _active(attempt), BulkJobItem.status.set("done"))


def mark_failed(job_id: str, attempt: str, error: str) -> bool:
    """Fails this attempt at the job unless it finished meanwhile."""
    return _updated_if(
        job_id, _active(attempt), BulkJobItem.status.set("failed"), BulkJobItem.error.set(error)
    )


def record_attempt_error(job_id: str, message: str) -> None:
    BulkJobItem(*bulk_job_key(job_id)).update(actions=[BulkJobItem.last_error.set(message[:1000])])

"""Bulk membership jobs: one segment, one action (add or remove), many users, in the
background on SQS workers (domain/bulk_tasks.py).

The ids come inline (up to 10,000: the API function sends their batches itself) or in
a file the caller PUTs to a presigned link (S3 then notifies the queue, and a split task
reads the file and sends its batches). The segment generation is fixed when the job is
created: if the segment is deleted meanwhile, the job fails and its remaining batches
write nothing (see bulk_tasks.live_segment).
"""

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.bulk_files import presigned_put_url
from segmentation.data.bulk_jobs import (
    BulkJobRecord,
    SplitProgress,
    create_job,
    get_job,
    mark_failed,
)
from segmentation.data.bulk_queue import BulkTask, send_tasks
from segmentation.domain.bulk_changes import ADD, REMOVE
from segmentation.domain.catalogue import CATALOGUE
from segmentation.errors import InvalidRequest, SegmentNotFound
from segmentation.settings import SETTINGS

MAX_INLINE_IDS = 10_000


@dataclass(frozen=True)
class BulkRequest:
    slug: str
    action: str  # add | remove
    user_ids: Sequence[int] | None = None  # None: the ids come in an uploaded file
    expires_at: datetime | None = None


@dataclass(frozen=True)
class BulkJobView:
    id: str
    status: str  # pending | running | done | failed
    slug: str
    action: str
    expires_at: str | None
    total: int | None  # ids to process; None until the uploaded file is read
    done: int
    changed: int
    invalid_count: int
    invalid_lines: list[tuple[int, str]]
    error: str | None
    upload_url: str | None = None
    upload_url_expires_at: str | None = None


def view(job: BulkJobRecord, upload_url: str | None = None, url_seconds: int = 0) -> BulkJobView:
    return BulkJobView(
        id=job.id,
        status=job.status,
        slug=job.slug,
        action=job.action,
        expires_at=job.expires_at,
        total=job.total,
        done=job.done,
        changed=job.changed,
        invalid_count=job.split.invalid_count,
        invalid_lines=job.split.invalid_lines,
        error=job.error,
        upload_url=upload_url,
        upload_url_expires_at=None
        if upload_url is None
        else format_timestamp(utc_now() + timedelta(seconds=url_seconds)),
    )


def _validate(request: BulkRequest, now: datetime) -> None:
    if request.action not in (ADD, REMOVE):
        raise InvalidRequest(f"action must be add or remove, got {request.action!r}")
    if request.action == REMOVE and request.expires_at is not None:
        raise InvalidRequest("an expiry (ttl_seconds or expires_at) only goes with add")
    if request.expires_at is not None and request.expires_at <= now:
        raise InvalidRequest("expires_at must be in the future")
    if request.user_ids is not None and not 1 <= len(request.user_ids) <= MAX_INLINE_IDS:
        raise InvalidRequest(f"user_ids lists 1 to {MAX_INLINE_IDS} ids")


def start_bulk_job(request: BulkRequest, bucket: str = SETTINGS.exports_bucket) -> BulkJobView:
    """Records the job and sends its batches, or answers with the link to upload its file."""
    now = utc_now()
    _validate(request, now)
    segments, unknown = CATALOGUE.resolve([request.slug])
    if unknown:
        raise SegmentNotFound(unknown)
    ids = None if request.user_ids is None else list(request.user_ids)
    size = SETTINGS.bulk_batch_size
    job = create_job(
        BulkJobRecord(
            id=uuid.uuid4().hex,
            status="pending",
            slug=request.slug,
            segment_id=segments[request.slug].segment_id,
            action=request.action,
            expires_at=None if request.expires_at is None else format_timestamp(request.expires_at),
            upload=ids is None,
            attempt=format_timestamp(now),
            total=None if ids is None else len(ids),
            batches=None if ids is None else math.ceil(len(ids) / size),
            batches_done=0,
            done=0,
            changed=0,
            error=None,
            last_error=None,
            etag=None,
            split=SplitProgress(),
        )
    )
    if ids is None:
        seconds = SETTINGS.export_url_seconds
        return view(job, presigned_put_url(bucket, job.id, seconds), seconds)
    try:
        send_tasks(
            [
                BulkTask(job.id, "batch", job.attempt, n, ids[start : start + size])
                for n, start in enumerate(range(0, len(ids), size))
            ]
        )
    except Exception:
        mark_failed(job.id, job.attempt, "the job could not be queued")
        raise
    return view(job)


def bulk_job_status(job_id: str) -> BulkJobView | None:
    job = get_job(job_id)
    return None if job is None else view(job)

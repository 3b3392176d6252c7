"""Report jobs: a month's report built in the background, in pieces, on SQS workers.

A job is planned into pieces (time windows of the month, each read over every index
shard; one piece for a single user's report); the worker runs each piece on its own,
with SQS's retries, then assembles the pieces in order into one file
(domain/report_pieces.py). A closed month (its history final: see report_watermark.py)
has one job per (month, user filter, compression) under a deterministic id: it is built
once, kept longer, and asked for again answers with a fresh link to the same file.
"""

import math
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from segmentation.clock import format_timestamp, parse_timestamp, utc_now
from segmentation.data.exports import presigned_get_url
from segmentation.data.history_rows import TimeWindow
from segmentation.data.history_watermark import history_final_before
from segmentation.data.keys import report_object_key
from segmentation.data.report_jobs import JobRecord, create_job, get_job, mark_failed
from segmentation.data.report_queue import Task, send_tasks
from segmentation.domain.export import report_filename
from segmentation.domain.report_rows import month_end, month_start, month_text, month_window
from segmentation.settings import SETTINGS

GZIP = "gzip"
# 9999-12 has no datetime after it: its windows assume 31 days (the last one ends open).
_LAST_MONTH_DAYS = 31


@dataclass(frozen=True)
class ReportJobOptions:
    """Production defaults from SETTINGS; tests and the benchmark turn them."""

    window_hours: int = SETTINGS.report_window_hours
    bucket: str = SETTINGS.exports_bucket
    url_seconds: int = SETTINGS.export_url_seconds
    open_retention_days: int = SETTINGS.export_retention_days
    closed_retention_days: int = SETTINGS.closed_report_days


DEFAULT_OPTIONS = ReportJobOptions()


@dataclass(frozen=True)
class ReportRequest:
    year: int
    month: int
    user_id: int | None = None
    compression: str | None = None  # None or "gzip"


@dataclass(frozen=True)
class JobView:
    id: str
    status: str  # pending | running | done | failed
    year: int
    month: int
    user_id: int | None
    compression: str | None
    rows: int | None = None
    url: str | None = None
    expires_at: str | None = None
    error: str | None = None
    pieces: int = 0
    pieces_done: int = 0


def month_is_closed(year: int, month: int, final_before: str | None) -> bool:
    end = month_end(year, month)
    return final_before is not None and end is not None and parse_timestamp(final_before) >= end


def closed_job_id(request: ReportRequest) -> str:
    user = "all" if request.user_id is None else f"u{request.user_id}"
    return f"{month_text(request.year, request.month)}-{user}-{request.compression or 'csv'}"


def file_suffix(compression: str | None) -> str:
    return ".csv.gz" if compression == GZIP else ".csv"


def _month_length(year: int, month: int) -> timedelta:
    end = month_end(year, month)
    return timedelta(days=_LAST_MONTH_DAYS) if end is None else end - month_start(year, month)


def job_windows(year: int, month: int, pieces: int) -> list[TimeWindow]:
    """The month cut into `pieces` equal time windows, end to end."""
    start = month_start(year, month)
    step = _month_length(year, month) / pieces
    bounds = [format_timestamp(start + step * i) for i in range(pieces)]
    whole = month_window(year, month)
    return [
        TimeWindow(bounds[i], bounds[i + 1] if i + 1 < pieces else whole.end) for i in range(pieces)
    ]


def _pieces(request: ReportRequest, options: ReportJobOptions) -> int:
    if request.user_id is not None:
        return 1  # a user's month is small: one piece on the table's own key
    length = _month_length(request.year, request.month)
    return math.ceil(length / timedelta(hours=options.window_hours))


def view(job: JobRecord, options: ReportJobOptions | None = None) -> JobView:
    """What a caller sees of a job; a done job gets a fresh presigned link."""
    options = options or DEFAULT_OPTIONS
    url = expires_at = None
    if job.status == "done":
        url = presigned_get_url(options.bucket, job.key, options.url_seconds)
        expires_at = format_timestamp(utc_now() + timedelta(seconds=options.url_seconds))
    return JobView(
        id=job.id,
        status=job.status,
        year=job.year,
        month=job.month,
        user_id=job.user_id,
        compression=job.compression,
        rows=job.rows,
        url=url,
        expires_at=expires_at,
        error=job.error,
        pieces=job.pieces,
        pieces_done=job.pieces_done,
    )


def _usable(job: JobRecord | None) -> bool:
    """A closed month's job that is, or is becoming, a file still kept."""
    if job is None or job.status == "failed":
        return False
    return job.file_expires_at is None or parse_timestamp(job.file_expires_at) > utc_now()


@dataclass(frozen=True)
class ClosedMonth:
    """A closed month's report: its job if one is usable, else the job to record."""

    built: JobRecord | None
    planned: JobRecord


def closed_month(request: ReportRequest) -> ClosedMonth | None:
    """None for an open month; else its job, if built or being built (two reads)."""
    if not month_is_closed(request.year, request.month, history_final_before()):
        return None
    job = get_job(closed_job_id(request))
    return ClosedMonth(job if _usable(job) else None, _new_job(request, True, DEFAULT_OPTIONS))


def record_built_report(planned: JobRecord, rows: int) -> None:
    """Records a closed month's file written in a request (at the planned key) as its
    done job, so later requests link it; a job started meanwhile is left alone."""
    done = replace(planned, status="done", rows=rows, pieces_done=planned.pieces)
    create_job(done, format_timestamp(utc_now()), replace=True)


def _new_job(request: ReportRequest, closed: bool, options: ReportJobOptions) -> JobRecord:
    now = utc_now()
    job_id = closed_job_id(request) if closed else uuid.uuid4().hex
    filename = report_filename(
        request.year, request.month, request.user_id, file_suffix(request.compression)
    )
    days = options.closed_retention_days if closed else options.open_retention_days
    return JobRecord(
        id=job_id,
        status="pending",
        year=request.year,
        month=request.month,
        user_id=request.user_id,
        compression=request.compression,
        pieces=_pieces(request, options),
        pieces_done=0,
        # S3 lifecycle counts whole days from creation: a day's margin for the link.
        key=report_object_key(closed, job_id, filename),
        file_expires_at=format_timestamp(now + timedelta(days=days - 1)),
        rows=None,
        error=None,
        last_error=None,
        piece_rows=0,
    )


def start_report(request: ReportRequest, options: ReportJobOptions | None = None) -> JobView:
    """Starts a job for the report, or, for a closed month built (or being built) already,
    answers with that job."""
    options = options or DEFAULT_OPTIONS
    closed = month_is_closed(request.year, request.month, history_final_before())
    if closed:
        existing = get_job(closed_job_id(request))
        if _usable(existing):
            assert existing is not None
            return view(existing, options)
    job = _new_job(request, closed, options)
    created = create_job(job, format_timestamp(utc_now()), replace=closed)
    if created is None:  # another request started this closed month's job just now
        existing = get_job(job.id)
        assert existing is not None
        return view(existing, options)
    try:
        send_tasks([Task(created.id, "plan", attempt=created.attempt)])
    except Exception:
        mark_failed(created.id, "the job could not be queued", created.attempt)
        raise
    return view(created, options)


def report_status(job_id: str, options: ReportJobOptions | None = None) -> JobView | None:
    job = get_job(job_id)
    return None if job is None else view(job, options)

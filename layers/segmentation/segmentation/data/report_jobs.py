"""Report jobs in the main table: one item per job, `REPORT#<id>` / `JOB`.

Every piece that finishes records its row count under its index in the `done` map: a
retried piece overwrites its own entry, so the fan-in counts each piece once however
often it ran. One item per job: its writes are a job's own, never another caller's.
"""

from dataclasses import dataclass
from typing import Any, cast

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from segmentation.data.aws_errors import conditionally
from segmentation.data.keys import report_job_id, report_job_key
from segmentation.data.models import MainTableItem


class ReportJobItem(MainTableItem):
    status = UnicodeAttribute()  # JobStatus
    year = NumberAttribute()
    month = NumberAttribute()
    user_id = NumberAttribute(null=True)
    compression = UnicodeAttribute(null=True)  # None or "gzip"
    created_at = UnicodeAttribute()
    pieces = NumberAttribute()
    done = MapAttribute[str, int](default=dict)  # piece index -> rows
    key = UnicodeAttribute()  # the finished file's object key
    # When the file's retention ends (a link after that would point at nothing).
    file_expires_at = UnicodeAttribute(null=True)
    rows = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)  # the latest failed attempt, kept for `error`


@dataclass(frozen=True)
class JobRecord:
    id: str
    status: str
    year: int
    month: int
    user_id: int | None
    compression: str | None
    pieces: int
    pieces_done: int
    key: str
    file_expires_at: str | None
    rows: int | None
    error: str | None
    last_error: str | None
    piece_rows: int  # rows of the pieces done so far
    # When this attempt at the job was created: a closed month's failed job is replaced
    # under the same id, and tasks of the old attempt must not touch the new one.
    attempt: str = ""


def _record(item: ReportJobItem) -> JobRecord:
    done = {str(k): int(v) for k, v in (item.done.as_dict() if item.done else {}).items()}
    return JobRecord(
        id=report_job_id(item.pk),
        status=item.status,
        year=int(item.year),
        month=int(item.month),
        user_id=None if item.user_id is None else int(item.user_id),
        compression=item.compression,
        pieces=int(item.pieces),
        pieces_done=len(done),
        key=item.key,
        file_expires_at=item.file_expires_at,
        rows=None if item.rows is None else int(item.rows),
        error=item.error,
        last_error=item.last_error,
        piece_rows=sum(done.values()),
        attempt=item.created_at,
    )


def create_job(record: JobRecord, created_at: str, replace: bool) -> JobRecord | None:
    """Stores a new job; None when the id is taken. With `replace`, a failed job or one
    whose file's retention has ended gives way (a closed month is built again)."""
    pk, sk = report_job_key(record.id)
    item = ReportJobItem(
        pk,
        sk,
        status=record.status,
        year=record.year,
        month=record.month,
        user_id=record.user_id,
        compression=record.compression,
        created_at=created_at,
        pieces=record.pieces,
        done={},
        key=record.key,
        file_expires_at=record.file_expires_at,
        rows=record.rows,
    )
    condition = ReportJobItem.pk.does_not_exist()
    if replace:
        condition = (
            condition
            | (ReportJobItem.status == "failed")
            | (ReportJobItem.file_expires_at < created_at)
        )
    if not conditionally(lambda: item.save(condition=condition)):
        return None
    return _record(item)


def get_job(job_id: str) -> JobRecord | None:
    pk, sk = report_job_key(job_id)
    try:
        return _record(ReportJobItem.get(pk, sk, consistent_read=True))
    except ReportJobItem.DoesNotExist:
        return None


def _updated(job_id: str, *actions: object, condition: object = None) -> JobRecord:
    item = ReportJobItem(*report_job_key(job_id))
    item.update(actions=list(actions), condition=condition)  # type: ignore[arg-type]
    return _record(item)


def mark_running(job_id: str) -> JobRecord:
    return _updated(
        job_id,
        ReportJobItem.status.set("running"),
        condition=ReportJobItem.status.is_in("pending", "running"),
    )


def record_piece(job_id: str, piece: int, rows: int) -> JobRecord:
    """Marks a piece done (idempotent) and returns the job as it is now."""
    return _updated(job_id, cast(Any, ReportJobItem.done)[str(piece)].set(rows))


def record_attempt_error(job_id: str, message: str) -> None:
    _updated(job_id, ReportJobItem.last_error.set(message[:1000]))


def _updated_if(job_id: str, condition: object, *actions: object) -> bool:
    """False when `condition` did not hold (the job moved on meanwhile)."""
    return conditionally(lambda: _updated(job_id, *actions, condition=condition))


def mark_done(job_id: str, rows: int) -> bool:
    """Finishes a running job; False if it was done (or failed) already."""
    return _updated_if(
        job_id,
        ReportJobItem.status == "running",
        ReportJobItem.status.set("done"),
        ReportJobItem.rows.set(rows),
    )


def mark_failed(job_id: str, error: str, attempt: str) -> bool:
    """Fails this attempt at the job unless it finished meanwhile (a late duplicate must
    not undo it) or was replaced by a new attempt."""
    return _updated_if(
        job_id,
        ReportJobItem.status.is_in("pending", "running") & (ReportJobItem.created_at == attempt),
        ReportJobItem.status.set("failed"),
        ReportJobItem.error.set(error[:1000]),
    )

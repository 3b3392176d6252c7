"""The report worker's tasks: plan a job, run one piece, assemble the file, or give up.

Every task is idempotent, because SQS delivers at least once and retries a failed task:
a piece rewrites its own object and map entry; assembly of a job that is done already
does nothing; planning only re-sends pieces, which rewrite the same objects.
"""

import gzip
from typing import IO

from segmentation.data.report_files import (
    FileSpec,
    abort_uploads,
    assemble_pieces,
    delete_pieces,
    put_piece,
    spooled_file,
)
from segmentation.data.report_jobs import (
    JobRecord,
    get_job,
    mark_done,
    mark_failed,
    mark_running,
    record_attempt_error,
    record_piece,
)
from segmentation.data.report_queue import Task, send_tasks
from segmentation.domain.export import CSV_CONTENT_TYPE, write_report
from segmentation.domain.report_jobs import GZIP, job_windows
from segmentation.domain.report_rows import RowSource, month_text, report_rows
from segmentation.observability import count_rows_exported
from segmentation.settings import SETTINGS

GZIP_CONTENT_TYPE = "application/gzip"


def _active(job_id: str) -> JobRecord | None:
    job = get_job(job_id)
    return job if job is not None and job.status in ("pending", "running") else None


def _plan(job: JobRecord) -> None:
    mark_running(job.id)
    send_tasks([Task(job.id, "piece", index, job.attempt) for index in range(job.pieces)])


def write_piece(job: JobRecord, index: int, file: IO[bytes], shards: int) -> int:
    """Piece `index` of the job's file (the header with the first): CSV, or a gzip
    member of it (concatenated gzip members are one valid gzip file)."""
    window = (
        None if job.user_id is not None else job_windows(job.year, job.month, job.pieces)[index]
    )
    source = RowSource(month_text(job.year, job.month), job.user_id, window, shards=shards)
    with report_rows(source) as rows:
        if job.compression != GZIP:
            return write_report(rows, file, header=index == 0)
        with gzip.GzipFile(fileobj=file, mode="wb", mtime=0) as compressed:
            return write_report(rows, compressed, header=index == 0)


def _run_piece(job: JobRecord, index: int, bucket: str, shards: int) -> None:
    with spooled_file() as file:
        rows = write_piece(job, index, file, shards)
        put_piece(bucket, job.id, index, file)
    now = record_piece(job.id, index, rows)
    if now.pieces_done == now.pieces:
        send_tasks([Task(job.id, "assemble", attempt=job.attempt)])


def file_spec(job: JobRecord, bucket: str) -> FileSpec:
    filename = job.key.rsplit("/", 1)[-1]
    return FileSpec(
        bucket,
        job.key,
        GZIP_CONTENT_TYPE if job.compression == GZIP else CSV_CONTENT_TYPE,
        f'attachment; filename="{filename}"',
    )


def _assemble(job: JobRecord, bucket: str) -> None:
    assemble_pieces(file_spec(job, bucket), job.id, job.pieces)
    if mark_done(job.id, job.piece_rows):
        count_rows_exported(job.piece_rows)
    delete_pieces(bucket, job.id)


def run_task(
    task: Task, bucket: str = SETTINGS.exports_bucket, shards: int = SETTINGS.history_shards
) -> None:
    """Runs one task; a failure is noted on the job (for its `error`) and raised, so the
    queue retries the task on its own."""
    job = _active(task.job_id)
    if job is None or _stale(task, job):
        return  # done, failed, unknown or replaced: a late duplicate
    try:
        if task.kind == "plan":
            _plan(job)
        elif task.kind == "piece" and task.piece is not None:
            _run_piece(job, task.piece, bucket, shards)
        elif task.kind == "assemble":
            _assemble(job, bucket)
        else:
            raise ValueError(f"unknown report task {task}")
    except Exception as error:
        record_attempt_error(job.id, f"{_describe(task)}: {type(error).__name__}: {error}")
        raise


def _stale(task: Task, job: JobRecord) -> bool:
    """A task of an earlier attempt at this job id (tasks from before attempts were
    recorded carry none and count as current)."""
    return bool(task.attempt) and task.attempt != job.attempt


def _describe(task: Task) -> str:
    return f"piece {task.piece}" if task.kind == "piece" else task.kind


def give_up(task: Task, bucket: str = SETTINGS.exports_bucket) -> None:
    """A task that failed every attempt (the dead-letter queue's): the job fails, saying
    why, and leaves nothing behind: no file, no pending upload, no pieces."""
    job = get_job(task.job_id)
    if job is None or _stale(task, job):
        return  # a task of a failed attempt that a new attempt has replaced since
    cause = job.last_error or "no error was recorded (the worker was stopped, e.g. a timeout)"
    if mark_failed(
        job.id, f"{_describe(task)} failed on every attempt; last: {cause}", job.attempt
    ):
        abort_uploads(bucket, job.key)
        delete_pieces(bucket, job.id)

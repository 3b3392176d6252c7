"""The bulk worker's tasks: start on an uploaded file, split it on, run a batch, give up.

SQS delivers at least once and retries a failed task, so each is idempotent: a batch is
counted once (its done-marker, data/bulk_jobs.py) and re-applies only no-ops; a split
task moves the job's split offset on with a conditional write, so of two copies of one
task only one goes on; tasks of another attempt at the job id do nothing.
"""

from segmentation.data.bulk_jobs import (
    BulkJobRecord,
    get_job,
    mark_done,
    mark_failed,
    mark_running,
    record_attempt_error,
    record_batch,
    start_split,
)
from segmentation.data.bulk_queue import BulkTask
from segmentation.domain.bulk_changes import BatchWork, run_batch
from segmentation.domain.bulk_split import split_file
from segmentation.domain.catalogue import CATALOGUE
from segmentation.errors import InvalidRequest
from segmentation.model import Segment
from segmentation.observability import LOGGER
from segmentation.settings import SETTINGS

SEGMENT_DELETED = "segment deleted: its remaining users were left unchanged"


def live_segment(job: BulkJobRecord) -> Segment | None:
    """The job's segment generation if it still exists; None once it was deleted (even
    if the slug was created again since)."""
    segments, _ = CATALOGUE.resolve([job.slug])
    segment = segments.get(job.slug)
    return segment if segment is not None and segment.segment_id == job.segment_id else None


def finish_if_complete(job_id: str) -> None:
    job = get_job(job_id)
    if job is not None and job.batches is not None and job.batches_done >= job.batches:
        mark_done(job.id, job.attempt)


def _run_batch(job: BulkJobRecord, task: BulkTask) -> None:
    segment = live_segment(job)
    if segment is None:
        mark_failed(job.id, job.attempt, SEGMENT_DELETED)
        return
    if job.status == "pending":
        mark_running(job.id, job.attempt)
    work = BatchWork(job.id, task.batch, segment, job.action, job.expires_at)
    try:
        result = run_batch(work, task.user_ids)
    except InvalidRequest as error:  # the job's expiry passed before all users were done
        mark_failed(job.id, job.attempt, f"batch {task.batch}: {error}")
        return
    record_batch(job.id, job.attempt, task.batch, result.done, result.changed)
    finish_if_complete(job.id)


def _start_upload(job: BulkJobRecord, task: BulkTask, bucket: str) -> None:
    if not job.upload:
        return
    if job.status == "pending" and start_split(job.id, job.attempt, task.etag):
        job = get_job(job.id) or job
    if job.etag != task.etag:
        LOGGER.warning("a second upload to a started bulk job is ignored", extra={"job": job.id})
        return
    if split_file(job, 0, bucket):
        finish_if_complete(job.id)


def run_task(task: BulkTask, bucket: str = SETTINGS.exports_bucket) -> None:
    """Runs one task; a failure is noted on the job (for its `error`) and raised, so the
    queue retries the task on its own."""
    job = get_job(task.job_id)
    if job is None or job.status not in ("pending", "running"):
        return  # done, failed or unknown: a late duplicate
    if task.attempt and task.attempt != job.attempt:
        return  # a task of an earlier attempt at this id
    try:
        if task.kind == "batch":
            _run_batch(job, task)
        elif task.kind == "upload":
            _start_upload(job, task, bucket)
        elif task.kind == "split":
            if split_file(job, task.offset, bucket):
                finish_if_complete(job.id)
        else:
            raise ValueError(f"unknown bulk task {task.kind}")
    except Exception as error:
        record_attempt_error(job.id, f"{_describe(task)}: {type(error).__name__}: {error}")
        raise


def _describe(task: BulkTask) -> str:
    return f"batch {task.batch}" if task.kind == "batch" else f"{task.kind} at byte {task.offset}"


def give_up(task: BulkTask) -> None:
    """A task that failed every attempt (the dead-letter queue's): the job fails, saying
    why. Batches already applied stay applied (each user's change is atomic)."""
    job = get_job(task.job_id)
    if job is None or (task.attempt and task.attempt != job.attempt):
        return
    cause = job.last_error or "no error was recorded (the worker was stopped, e.g. a timeout)"
    mark_failed(job.id, job.attempt, f"{_describe(task)} failed on every attempt; last: {cause}")

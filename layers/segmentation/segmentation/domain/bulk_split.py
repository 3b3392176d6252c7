"""Reading a bulk job's uploaded file into batches, in chunks of lines that resume.

A split task streams the file from a byte offset (never the whole file in memory), sends
a batch task per `bulk_batch_size` valid ids (ten per SendMessageBatch), and after
`bulk_split_lines` lines records its progress with a conditional write (the offset must
still be where it started) and sends a task to go on from there. Chunks end at fixed line
counts, so a retried chunk cuts the same batches under the same numbers, and their
done-markers count each once. Of two copies of one task, only the one whose progress
lands goes on.

Lines: one id per line, or a CSV row whose first column is the id; blank lines are
skipped; anything else is invalid (counted, the first 100 kept with their reason).
"""

import csv

from segmentation.data.bulk_files import MAX_LINE_BYTES, file_lines
from segmentation.data.bulk_jobs import BulkJobRecord, SplitProgress, mark_failed, record_split
from segmentation.data.bulk_queue import BulkTask, send_tasks
from segmentation.settings import SETTINGS
from segmentation.values import CANONICAL_ID, MAX_USER_ID

MAX_FILE_LINES = 10_000_000
MAX_INVALID_LINES_SHOWN = 100
TOO_MANY_LINES = f"the file has more than {MAX_FILE_LINES:,} lines"


def parse_line(text: bytes | None) -> int | str | None:
    """The line's user id, or why it is invalid (a text); None for a blank line."""
    if text is None:
        return f"longer than {MAX_LINE_BYTES} bytes"
    try:
        line = text.decode("utf-8").strip().lstrip("\ufeff")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    if not line:
        return None
    first = next(csv.reader([line]))[0].strip() if '"' in line or "," in line else line
    if not CANONICAL_ID.fullmatch(first):
        return f"not a user id: {first[:40]!r}"
    if int(first) > MAX_USER_ID:
        return f"user id above {MAX_USER_ID}"
    return int(first)


def split_file(job: BulkJobRecord, offset: int, bucket: str) -> bool:
    """Splits the next chunk of the file from byte `offset`; True when it reached the end
    (then the job's total and batch count are recorded)."""
    if job.batches is not None or job.etag is None:
        return False  # split already, or no file yet
    start = job.split
    if offset != start.offset:
        if offset < start.offset:  # a retry of a chunk whose progress landed: go on
            send_tasks([BulkTask(job.id, "split", job.attempt, offset=start.offset, etag=job.etag)])
        return False
    size = SETTINGS.bulk_batch_size
    line, batches, total = start.line, start.batches, start.total
    invalid_count, invalid_lines = start.invalid_count, list(start.invalid_lines)
    ids: list[int] = []
    tasks: list[BulkTask] = []
    end, position = True, offset

    def cut() -> None:
        nonlocal batches, ids
        tasks.append(BulkTask(job.id, "batch", job.attempt, batches, ids))
        batches, ids = batches + 1, []

    for file_line in file_lines(bucket, job.id, offset, job.etag):
        line, position = line + 1, file_line.end
        if line > MAX_FILE_LINES:
            mark_failed(job.id, job.attempt, TOO_MANY_LINES)
            return False
        parsed = parse_line(file_line.text)
        if isinstance(parsed, int):
            ids.append(parsed)
            total += 1
            if len(ids) == size:
                cut()
        elif parsed is not None:
            invalid_count += 1
            if len(invalid_lines) < MAX_INVALID_LINES_SHOWN:
                invalid_lines.append((line, parsed))
        if len(tasks) >= 10:
            send_tasks(tasks)
            tasks = []
        if line - start.line >= SETTINGS.bulk_split_lines:
            end = False
            break
    if ids:
        cut()
    send_tasks(tasks)
    progress = SplitProgress(position, line, batches, total, invalid_count, invalid_lines)
    if not record_split(job.id, job.attempt, offset, progress, end):
        return False  # another copy of this task went on first
    if not end:
        send_tasks([BulkTask(job.id, "split", job.attempt, offset=position, etag=job.etag)])
    return end

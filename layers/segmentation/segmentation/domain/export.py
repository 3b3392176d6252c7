"""The monthly history report: one CSV row per entry into or exit from a segment.

The synchronous report streams the month's rows (domain/report_rows.py) through
`write_report` into a multipart upload and links the file. It has a time budget: a month
too large to finish inside API Gateway's 29 s raises `ReportTooLarge` (the upload is
aborted, nothing is published), and the caller starts a report job instead.
"""

import csv
import io
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import Protocol

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.exports import MultipartFile, presigned_get_url
from segmentation.data.history_rows import Row
from segmentation.data.keys import export_object_key
from segmentation.domain.report_rows import (
    DEFAULT_PAGE_ITEMS,
    RowSource,
    month_text,
    report_rows,
)
from segmentation.observability import count_rows_exported
from segmentation.settings import SETTINGS

CSV_HEADER = ("UserID", "Slug", "Operation", "Timestamp", "Reason")
CSV_CONTENT_TYPE = "text/csv"
# Rows formatted per csv.writer call and per check of the time budget.
CHUNK_ROWS = 1000


class BytesSink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class ReportTooLarge(Exception):
    """The month did not fit in the synchronous report's time budget."""


@dataclass(frozen=True)
class HistoryReport:
    url: str
    expires_at: str
    rows: int
    key: str


@dataclass(frozen=True)
class ExportOptions:
    """Knobs with production defaults; tests and the benchmark turn them."""

    shards: int = SETTINGS.history_shards
    page_items: int = DEFAULT_PAGE_ITEMS
    part_bytes: int = SETTINGS.export_part_bytes
    url_seconds: int = SETTINGS.export_url_seconds
    bucket: str = SETTINGS.exports_bucket
    # Seconds of reading and writing before the report gives up (None: no limit).
    budget_seconds: float | None = None


def month_prefix(year: int, month: int) -> str:
    return month_text(year, month)


def report_filename(year: int, month: int, user_id: int | None, suffix: str = ".csv") -> str:
    user = f"-user-{user_id}" if user_id is not None else ""
    return f"segments-history-{year:04d}-{month:02d}{user}{suffix}"


def write_report(rows: Iterable[Row], file: BytesSink, header: bool = True) -> int:
    """The CSV (RFC 4180: CRLF line ends, minimal quoting) of `rows`; returns their count.

    `header=False` writes a later piece of the same file. Rows go through csv.writer a
    chunk at a time and reach `file` as one UTF-8 write per chunk."""
    text = io.StringIO()
    writer = csv.writer(text)
    if header:
        writer.writerow(CSV_HEADER)
    count = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        writer.writerows(chunk)
        count += len(chunk)
        file.write(text.getvalue().encode())
        text.seek(0)
        text.truncate()
    if header and not count:
        file.write(text.getvalue().encode())
    return count


def _within(rows: Iterator[Row], deadline: float | None) -> Iterator[Row]:
    """`rows`, raising ReportTooLarge once the clock passes `deadline` (checked per chunk)."""
    if deadline is None:
        yield from rows
        return
    while chunk := list(islice(rows, CHUNK_ROWS)):
        if time.monotonic() > deadline:
            raise ReportTooLarge
        yield from chunk


def export_history(
    year: int,
    month: int,
    user_id: int | None = None,
    options: ExportOptions | None = None,
    key: str | None = None,
) -> HistoryReport:
    """Writes the month's report (all users, or one) to the exports bucket (at `key`, or a
    fresh one) and returns a presigned link to it. Nothing is published unless the whole
    file was written."""
    options = options or ExportOptions()
    deadline = None if options.budget_seconds is None else time.monotonic() + options.budget_seconds
    month_key = month_text(year, month)
    filename = report_filename(year, month, user_id)
    key = key or export_object_key(month_key, filename)
    upload = MultipartFile(
        options.bucket,
        key,
        content_type=CSV_CONTENT_TYPE,
        content_disposition=f'attachment; filename="{filename}"',
        part_bytes=options.part_bytes,
    )
    source = RowSource(month_key, user_id, shards=options.shards, page_items=options.page_items)
    with upload, report_rows(source) as rows:
        count = write_report(_within(rows, deadline), upload)
    count_rows_exported(count)
    expires_at = utc_now() + timedelta(seconds=options.url_seconds)
    url = presigned_get_url(options.bucket, key, options.url_seconds)
    return HistoryReport(url=url, expires_at=format_timestamp(expires_at), rows=count, key=key)

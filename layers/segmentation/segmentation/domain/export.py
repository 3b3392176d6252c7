"""The monthly history report: one CSV row per entry into or exit from a segment.

All users: every shard of the month's GSI partition is read in parallel, a page ahead,
and the shards, each already in (time, user, slug) order, are merged lazily with
`heapq.merge`; rows stream through `csv.writer` into a multipart upload. Memory holds
a few pages per shard and the spooled head of one part, however many rows the month has.
One user: the history table's own key (user, time range), no GSI.
"""

import csv
import heapq
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.exports import MultipartFile, presigned_get_url
from segmentation.data.history import HistoryEvent, history_month_partition
from segmentation.data.history_queries import (
    DEFAULT_PAGE_ITEMS,
    HistoryPage,
    PageKey,
    month_shard_page,
    user_month_events,
)
from segmentation.observability import count_rows_exported
from segmentation.settings import SETTINGS

CSV_HEADER = ("UserID", "Slug", "Operation", "Timestamp", "Reason")
CSV_CONTENT_TYPE = "text/csv"
# Shards read at once; each also holds one page fetched ahead of the merge.
MAX_READERS = 16


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


def month_prefix(year: int, month: int) -> str:
    """The "YYYY-MM" prefix of every stored timestamp (UTC) within that month."""
    return format_timestamp(datetime(year, month, 1, tzinfo=UTC))[:7]


def report_filename(year: int, month: int, user_id: int | None) -> str:
    suffix = f"-user-{user_id}" if user_id is not None else ""
    return f"segments-history-{year:04d}-{month:02d}{suffix}.csv"


def _prefetched_pages(
    pool: ThreadPoolExecutor, fetch: Callable[[PageKey | None], HistoryPage]
) -> Iterator[HistoryEvent]:
    """A shard's events; the next page is already being fetched while this one is merged."""
    pending: Future[HistoryPage] = pool.submit(fetch, None)
    while True:
        page = pending.result()
        if page.next_key is not None:
            pending = pool.submit(fetch, page.next_key)
        yield from page.events
        if page.next_key is None:
            return


def _merge_order(event: HistoryEvent) -> tuple[str, int, str]:
    # The GSI's month_order "<time>#<user:019d>#<slug>" as a tuple: the same order.
    return (event.at, event.user_id, event.slug)


def _month_events(
    pool: ThreadPoolExecutor, month: str, options: ExportOptions
) -> Iterator[HistoryEvent]:
    def shard_reader(shard: int) -> Iterator[HistoryEvent]:
        partition = history_month_partition(month, shard)
        return _prefetched_pages(
            pool, lambda key: month_shard_page(partition, key, options.page_items)
        )

    return heapq.merge(*(shard_reader(s) for s in range(options.shards)), key=_merge_order)


class _Utf8Sink:
    """What csv.writer writes to: each row encoded into the upload."""

    def __init__(self, file: MultipartFile) -> None:
        self._file = file

    def write(self, text: str) -> int:
        self._file.write(text.encode())
        return len(text)


def write_report(events: Iterable[HistoryEvent], file: MultipartFile) -> int:
    """The CSV (RFC 4180: CRLF line ends, minimal quoting) of `events`; returns its rows."""
    writer = csv.writer(_Utf8Sink(file))
    writer.writerow(CSV_HEADER)
    rows = 0
    for event in events:
        writer.writerow(
            (event.user_id, event.slug, event.operation.value, event.at, event.reason.value)
        )
        rows += 1
    return rows


def export_history(
    year: int, month: int, user_id: int | None = None, options: ExportOptions | None = None
) -> HistoryReport:
    """Writes the month's report (all users, or one) to the exports bucket and returns
    a presigned link to it. Nothing is published unless the whole file was written."""
    options = options or ExportOptions()
    month_text = month_prefix(year, month)
    filename = report_filename(year, month, user_id)
    # Unique per call: two exports of the same month never overwrite each other's file.
    key = f"history/{month_text}/{uuid.uuid4().hex}/{filename}"
    upload = MultipartFile(
        options.bucket,
        key,
        content_type=CSV_CONTENT_TYPE,
        content_disposition=f'attachment; filename="{filename}"',
        part_bytes=options.part_bytes,
    )
    with upload:
        if user_id is not None:
            rows = write_report(user_month_events(user_id, month_text), upload)
        else:
            readers = min(options.shards, MAX_READERS)
            with ThreadPoolExecutor(readers, thread_name_prefix="history-shard") as pool:
                try:
                    rows = write_report(_month_events(pool, month_text, options), upload)
                finally:
                    pool.shutdown(cancel_futures=True)
    count_rows_exported(rows)
    expires_at = utc_now() + timedelta(seconds=options.url_seconds)
    url = presigned_get_url(options.bucket, key, options.url_seconds)
    return HistoryReport(url=url, expires_at=format_timestamp(expires_at), rows=rows, key=key)

"""The rows of a report, in report order: one user's on the table's key, or every
user's within a time window, read shard by shard in parallel and merged by time.

Each shard is already in (time, user, slug) order in the GSI; `heapq.merge` joins them
lazily, with each shard's next page fetched while the current one is merged. Memory
holds a few pages per shard, however many rows the window has.
"""

import heapq
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from segmentation.clock import format_timestamp
from segmentation.data.history_rows import (
    PageKey,
    Row,
    RowPage,
    TimeWindow,
    row_order,
    user_month_rows,
    window_page,
)
from segmentation.settings import SETTINGS

# Shards read at once; each also holds one page fetched ahead of the merge.
MAX_READERS = 16
DEFAULT_PAGE_ITEMS = 1000


@dataclass(frozen=True)
class RowSource:
    """Which rows: a month ("YYYY-MM"), optionally one user, optionally a time window."""

    month: str
    user_id: int | None = None
    window: TimeWindow | None = None  # None: the whole month
    shards: int = SETTINGS.history_shards
    page_items: int = DEFAULT_PAGE_ITEMS


def month_text(year: int, month: int) -> str:
    """The "YYYY-MM" prefix of every stored timestamp (UTC) within that month."""
    return f"{year:04d}-{month:02d}"


def month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def month_end(year: int, month: int) -> datetime | None:
    """The first instant after the month (None after December 9999: datetime ends there)."""
    if (year, month) == (9999, 12):
        return None
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def month_window(year: int, month: int) -> TimeWindow:
    # "YYYY-MM-~" sorts after every timestamp of the month ("~" is above the digits).
    return TimeWindow(format_timestamp(month_start(year, month)), f"{month_text(year, month)}-~")


def _prefetched(
    pool: ThreadPoolExecutor, fetch: Callable[[PageKey | None], RowPage]
) -> Iterator[Row]:
    pending: Future[RowPage] = pool.submit(fetch, None)
    while True:
        page = pending.result()
        if page.next_key is not None:
            pending = pool.submit(fetch, page.next_key)
        yield from page.rows
        if page.next_key is None:
            return


def _window_of(source: RowSource) -> TimeWindow:
    if source.window is not None:
        return source.window
    year, month = (int(part) for part in source.month.split("-"))
    return month_window(year, month)


def _page(source: RowSource, shard: int, window: TimeWindow, key: PageKey | None) -> RowPage:
    return window_page(source.month, shard, window, key, source.page_items)


@contextmanager
def report_rows(source: RowSource) -> Iterator[Iterator[Row]]:
    """The source's rows in report order; the readers stop when the block is left."""
    if source.user_id is not None:
        rows = user_month_rows(source.user_id, source.month, source.page_items)
        window = source.window
        yield rows if window is None else (r for r in rows if window.start <= r[3] < window.end)
        return
    window = _window_of(source)
    readers = min(source.shards, MAX_READERS)
    with ThreadPoolExecutor(readers, thread_name_prefix="history-shard") as pool:
        try:
            shard_rows = [
                _prefetched(pool, partial(_page, source, shard, window))
                for shard in range(source.shards)
            ]
            yield heapq.merge(*shard_rows, key=row_order)
        finally:
            pool.shutdown(cancel_futures=True)

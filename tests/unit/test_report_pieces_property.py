"""Property: a month's history cut into any time windows and read over any number of
shards, pieces concatenated in order, is byte for byte the single-pass CSV (and, with
gzip, its pieces' members decompress to it). The history index is an in-memory fake
with DynamoDB's semantics (key order, BETWEEN, pages), so hypothesis can try hundreds of
histories without moto."""

import gzip
import io
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation.data.history_rows import PageKey, Row, RowPage, TimeWindow
from segmentation.data.report_jobs import JobRecord
from segmentation.domain import report_rows
from segmentation.domain.export import write_report
from segmentation.domain.report_jobs import job_windows
from segmentation.domain.report_pieces import write_piece
from segmentation.domain.report_rows import RowSource

# A few instants, the month's first and last included, so rows tie on time across shards.
INSTANTS = [
    "2024-02-01T00:00:00.000000Z",
    "2024-02-01T00:00:00.000001Z",
    "2024-02-10T07:30:00.000000Z",
    "2024-02-14T23:59:59.999999Z",
    "2024-02-15T00:00:00.000000Z",
    "2024-02-29T23:59:59.999999Z",
]
events = st.lists(
    st.tuples(
        st.sampled_from(INSTANTS),
        st.integers(1, 10**12),
        st.sampled_from(["A", "B_2", "c,quoted", 'say "hi"']),
        st.sampled_from(["INSERT", "DELETE"]),
        st.sampled_from(["manual", "ttl", "auto", "segment_deleted"]),
    ),
    max_size=60,
    unique_by=lambda e: (e[0], e[1], e[2]),
)


class FakeMonthIndex:
    """history_by_month: rows by shard, each shard in month_order; BETWEEN; Limit pages."""

    def __init__(self, rows: list[Row], shards: int, page_items: int) -> None:
        self.page_items = page_items  # small pages, whatever the reader asks for
        self.shards: dict[int, list[Row]] = {s: [] for s in range(shards)}
        for row in rows:
            self.shards[hash((row[0], row[1])) % shards].append(row)
        for shard_rows in self.shards.values():
            shard_rows.sort(key=lambda r: f"{r[3]}#{int(r[0]):019d}#{r[1]}")

    def page(
        self, month: str, shard: int, window: TimeWindow, start: PageKey | None, items: int
    ) -> RowPage:
        rows = [r for r in self.shards[shard] if window.start <= r[3] < window.end]
        offset = 0 if start is None else int(start["offset"])
        end = offset + min(items, self.page_items)
        return RowPage(rows[offset:end], {"offset": end} if end < len(rows) else None)


def job(pieces: int, compression: str | None) -> JobRecord:
    return JobRecord(
        id="p", status="running", year=2024, month=2, user_id=None, compression=compression,
        pieces=pieces, pieces_done=0, key="k", file_expires_at=None, rows=None, error=None,
        last_error=None, piece_rows=0,
    )  # fmt: skip


def single_pass(rows: list[Row]) -> bytes:
    out = io.BytesIO()
    ordered = sorted(rows, key=lambda r: (r[3], int(r[0]), r[1]))
    write_report(ordered, out)
    return out.getvalue()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    history=events,
    shards=st.integers(1, 8),
    pieces=st.integers(1, 12),
    page_items=st.integers(1, 7),
    compression=st.sampled_from([None, "gzip"]),
)
def test_pieces_make_the_single_pass_file(
    monkeypatch: pytest.MonkeyPatch,
    history: list[tuple[str, int, str, str, str]],
    shards: int,
    pieces: int,
    page_items: int,
    compression: str | None,
) -> None:
    rows: list[Row] = [(str(u), slug, op, at, reason) for at, u, slug, op, reason in history]
    index = FakeMonthIndex(rows, shards, page_items)
    monkeypatch.setattr(report_rows, "window_page", index.page)

    whole = io.BytesIO()
    with report_rows.report_rows(RowSource("2024-02", shards=shards, page_items=page_items)) as r:
        write_report(r, whole)
    assert whole.getvalue() == single_pass(rows)  # the synchronous path: one window

    record = job(pieces, compression)
    parts = []
    for piece in range(pieces):
        out = io.BytesIO()
        write_piece(record, piece, out, shards)
        parts.append(out.getvalue())
    joined = b"".join(parts)
    if compression == "gzip":
        joined = gzip.decompress(joined)
    assert joined == single_pass(rows)


def test_windows_tile_the_month_end_to_end() -> None:
    windows = job_windows(2024, 2, 7)
    assert windows[0].start == "2024-02-01T00:00:00.000000Z"
    assert windows[-1].end == "2024-02-~"
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    assert job_windows(9999, 12, 3)[-1].end == "9999-12-~"

"""The monthly history report, on moto: the endpoint, the CSV, the shard merge and the
multipart upload (real 5 MiB parts, and the abort path on an injected S3 failure)."""

import csv
import io
import itertools
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from botocore.exceptions import ClientError

from segmentation.clock import parse_timestamp, utc_now
from segmentation.data.exports import MIN_PART_BYTES, MultipartFile, s3_client
from segmentation.data.history import history_item
from segmentation.data.history_rows import event_row
from segmentation.data.keys import history_month_partition, history_shard
from segmentation.data.models import HistoryItem
from segmentation.domain.export import (
    CSV_HEADER,
    ExportOptions,
    export_history,
    write_report,
)
from segmentation.model import HistoryEvent, HistoryOperation, HistoryReason
from segmentation.settings import SETTINGS
from tests.support.exports import (
    BOUNDARY_EVENTS,
    BUCKET,
    download,
    event,
    objects,
    open_uploads,
    store,
)

if TYPE_CHECKING:
    from tests.support.handlers import Call

pytestmark = pytest.mark.usefixtures("exports_bucket")

HEADER = ",".join(CSV_HEADER)
ROUTE = "/api/users/show_segments_history"


def row(e: HistoryEvent) -> list[str]:
    return [str(e.user_id), e.slug, e.operation.value, e.at, e.reason.value]


def report_order(events: list[HistoryEvent]) -> list[HistoryEvent]:
    return sorted(events, key=lambda e: (e.at, e.user_id, e.slug))


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith(HEADER + "\r\n"), text[:100]
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


def export(call: "Call", path: str, accept: str | None = None) -> Any:
    headers = {"accept": accept} if accept else {}
    return call("export_history", "GET", f"{ROUTE}/{path}", headers=headers)


def january(events: list[HistoryEvent]) -> list[HistoryEvent]:
    return [e for e in events if e.at.startswith("2024-01")]


def test_json_answer_links_the_months_csv(call: "Call") -> None:
    store(BOUNDARY_EVENTS)
    before = utc_now()
    reply = export(call, "2024/1")
    after = utc_now()
    assert reply.status == 200, reply.json
    assert set(reply.json) == {"url", "expires_at", "rows"}
    assert reply.json["rows"] == 5
    lifetime = timedelta(seconds=SETTINGS.export_url_seconds)
    assert before + lifetime <= parse_timestamp(reply.json["expires_at"]) <= after + lifetime
    query = parse_qs(urlparse(reply.json["url"]).query)
    assert query["X-Amz-Expires"] == [str(SETTINGS.export_url_seconds)]

    file = download(reply.json["url"])
    assert file.headers["content-type"] == "text/csv"
    assert file.headers["content-disposition"] == (
        'attachment; filename="segments-history-2024-01.csv"'
    )
    # Exactly January's events, both boundary instants included, by time, user, slug.
    assert csv_rows(file.text) == [
        ["7", "AVITO_A", "INSERT", "2024-01-01T00:00:00.000000Z", "manual"],
        ["2", "AVITO_B", "INSERT", "2024-01-15T12:00:00.000000Z", "auto"],
        ["3", "AVITO_A", "DELETE", "2024-01-15T12:00:00.000000Z", "manual"],
        ["3", "AVITO_B", "INSERT", "2024-01-15T12:00:00.000000Z", "ttl"],
        ["9", "AVITO_A", "DELETE", "2024-01-31T23:59:59.999999Z", "segment_deleted"],
    ]


@pytest.mark.parametrize(
    ("month", "expected"),
    [("2023/12", ["2023-12-31T23:59:59.999999Z"]), ("2024/2", ["2024-02-01T00:00:00.000000Z"])],
)
def test_neighbouring_months_take_their_own_boundary_events(
    call: "Call", month: str, expected: list[str]
) -> None:
    store(BOUNDARY_EVENTS)
    reply = export(call, month)
    assert reply.status == 200
    assert [r[3] for r in csv_rows(download(reply.json["url"]).text)] == expected


def test_accept_csv_redirects_to_the_file(call: "Call") -> None:
    store(BOUNDARY_EVENTS)
    reply = export(call, "2024/01", accept="text/csv")
    assert reply.status == 303
    location = reply.headers["location"]
    assert location == reply.json["url"]
    assert urlparse(location).path.endswith("/segments-history-2024-01.csv")
    assert len(csv_rows(download(location).text)) == 5


@pytest.mark.parametrize(
    ("accept", "redirects"),
    [
        ("text/csv", True),
        ("text/csv;q=0.9, application/json;q=0.5", True),
        ("text/html,text/csv", True),
        ("application/json", False),
        ("*/*", False),
        ("application/json, text/csv;q=0.5", False),
        ("text/csv;q=0", False),
    ],
)
def test_accept_header_chooses_the_answer(call: "Call", accept: str, redirects: bool) -> None:
    assert export(call, "2024/1", accept=accept).status == (303 if redirects else 200)


def test_one_users_report_uses_only_their_events(call: "Call") -> None:
    others = [event(4, "AVITO_A", f"2024-01-{day:02d}T08:00:00.000000Z") for day in (1, 2, 3)]
    store(BOUNDARY_EVENTS + others)
    reply = export(call, "2024/1?user_id=9")
    assert reply.status == 200
    assert reply.json["rows"] == 1
    file = download(reply.json["url"])
    assert file.headers["content-disposition"] == (
        'attachment; filename="segments-history-2024-01-user-9.csv"'
    )
    assert csv_rows(file.text) == [
        ["9", "AVITO_A", "DELETE", "2024-01-31T23:59:59.999999Z", "segment_deleted"]
    ]
    # The base-key range keeps the boundary instants on the right side, for one user too.
    first = export(call, "2024/1?user_id=7")
    assert [r[3] for r in csv_rows(download(first.json["url"]).text)] == [
        "2024-01-01T00:00:00.000000Z"
    ]
    report = export_history(2024, 1, user_id=3)
    assert [r[1] for r in csv_rows(download(report.url).text)] == ["AVITO_A", "AVITO_B"]


def test_one_user_query_never_touches_the_month_index(
    call: "Call", monkeypatch: pytest.MonkeyPatch
) -> None:
    store(BOUNDARY_EVENTS)

    def no_index(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the per-user report must query the base table")

    monkeypatch.setattr("segmentation.domain.report_rows.window_page", no_index)
    assert export(call, "2024/1?user_id=3").json["rows"] == 2


@pytest.mark.parametrize(
    "path", ["2024/3", "2024/3?user_id=3", "1970/1", "9999/12", "9999/12?user_id=1"]
)
def test_a_month_without_events_is_a_header_only_file(call: "Call", path: str) -> None:
    store(BOUNDARY_EVENTS)
    reply = export(call, path)
    assert reply.status == 200
    assert reply.json["rows"] == 0
    assert download(reply.json["url"]).text == HEADER + "\r\n"


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("1969/12", "path parameter year"),
        ("10000/1", "path parameter year"),
        ("abc/1", "path parameter year"),
        ("2024/0", "path parameter month"),
        ("2024/13", "path parameter month"),
        ("2024/1.5", "path parameter month"),
        ("2024/1?user_id=0", "query parameter user_id"),
        ("2024/1?user_id=-3", "query parameter user_id"),
        (f"2024/1?user_id={2**63}", "query parameter user_id"),
        ("2024/1?user_id=abc", "query parameter user_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(call: "Call", path: str, names: str) -> None:
    reply = export(call, path, accept="text/csv")
    assert reply.status == 400, reply.json
    assert names in reply.json["message"]
    assert objects() == []


def test_every_export_gets_its_own_file(call: "Call") -> None:
    store(BOUNDARY_EVENTS)
    first, second = export(call, "2024/1"), export(call, "2024/1")
    assert first.json["url"] != second.json["url"]
    assert len(objects()) == 2


def test_changes_made_through_the_api_appear_in_this_months_report(call: "Call") -> None:
    assert call("create_segment", "POST", "/api/segments", {"slug": "AVITO_X"}).status == 201
    assert call("add_to_segment", "POST", "/api/users/5/add_to_segment", ["AVITO_X"]).status == 201
    reply = call("delete_from_segment", "DELETE", "/api/users/5/delete_from_segment", ["AVITO_X"])
    assert reply.status == 200
    now = utc_now()
    report = export_history(now.year, now.month)
    rows = csv_rows(download(report.url).text)
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        ("5", "AVITO_X", "INSERT", "manual"),
        ("5", "AVITO_X", "DELETE", "manual"),
    ]
    assert rows[0][3] < rows[1][3]


def _store_with_shards(events: list[HistoryEvent], shards: int) -> None:
    """history_item spreads rows over the configured shard count; this over `shards`."""
    with HistoryItem.batch_write() as batch:
        for e in events:
            item = history_item(e)
            item.month_shard = history_month_partition(
                e.at, history_shard(e.user_id, e.slug, shards)
            )
            batch.save(item)


@pytest.mark.parametrize(("shards", "page_items"), [(SETTINGS.history_shards, 5), (40, 4)])
def test_shards_merge_into_one_ordered_stream(shards: int, page_items: int) -> None:
    randomness = random.Random(shards)
    moments = [  # few distinct instants, so many rows tie on time across shards
        datetime(2024, 5, 1) + timedelta(days=randomness.randrange(31), microseconds=m)
        for m in range(12)
    ]
    events = [
        event(
            randomness.randrange(1, 60),
            f"SEG_{randomness.randrange(6)}",
            moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            randomness.choice(list(HistoryOperation)),
            randomness.choice(list(HistoryReason)),
        )
        for moment in randomness.choices(moments, k=400)
    ]
    unique = list({(e.at, e.user_id, e.slug): e for e in events}.values())
    _store_with_shards(unique, shards)
    used = {history_shard(e.user_id, e.slug, shards) for e in unique}
    assert len(used) > shards * 3 // 4  # rows really are spread over many shards

    report = export_history(2024, 5, options=ExportOptions(shards=shards, page_items=page_items))
    assert report.rows == len(unique)
    assert csv_rows(download(report.url).text) == [row(e) for e in report_order(unique)]


def generated_events(count: int) -> Iterator[HistoryEvent]:
    for i in range(count):  # one a second from 2024-01-01 (strftime is too slow here)
        minutes, second = divmod(i, 60)
        hours, minute = divmod(minutes, 60)
        day, hour = divmod(hours, 24)
        at = f"2024-01-{day + 1:02d}T{hour:02d}:{minute:02d}:{second:02d}.000000Z"
        yield event(10**12 + i, f"AVITO_GENERATED_SEGMENT_{i % 97:03d}", at)


ROWS_OVER_TWO_PARTS = 2 * MIN_PART_BYTES // 70 + 1000  # 86-byte rows: about 12.4 MiB


def test_a_large_report_streams_in_several_5_mib_parts() -> None:
    upload = MultipartFile(
        BUCKET, "big.csv", "text/csv", 'attachment; filename="big.csv"', MIN_PART_BYTES
    )
    with upload:
        rows = write_report(map(event_row, generated_events(ROWS_OVER_TWO_PARTS)), upload)
    assert upload.parts_uploaded == 3
    assert upload.bytes_written > 2 * MIN_PART_BYTES
    stored = s3_client().get_object(Bucket=BUCKET, Key="big.csv")
    assert stored["ContentType"] == "text/csv"
    assert stored["ContentDisposition"] == 'attachment; filename="big.csv"'
    assert stored["ETag"].endswith('-3"')  # S3's mark of a three-part upload
    text = stored["Body"].read().decode()
    expected = (row(e) for e in generated_events(ROWS_OVER_TWO_PARTS))
    assert rows == ROWS_OVER_TWO_PARTS
    assert all(a == b for a, b in itertools.zip_longest(csv_rows(text), expected))
    assert open_uploads() == []


def _failing_client(operation: str, after_calls: int) -> Any:
    """An S3 client whose `operation` fails once it has succeeded `after_calls` times."""
    client = boto3.client("s3", region_name=SETTINGS.region)
    calls = itertools.count()

    def fail(**_: Any) -> None:
        if next(calls) >= after_calls:
            raise ClientError(
                {"Error": {"Code": "InternalError", "Message": "injected"}}, operation
            )

    client.meta.events.register(f"before-call.s3.{operation}", fail)
    return client


@pytest.mark.parametrize(
    ("operation", "after_calls"), [("UploadPart", 1), ("CompleteMultipartUpload", 0)]
)
def test_an_s3_failure_aborts_the_upload(operation: str, after_calls: int) -> None:
    upload = MultipartFile(
        BUCKET, "broken.csv", "text/csv", "attachment", MIN_PART_BYTES,
        client=_failing_client(operation, after_calls),
    )  # fmt: skip
    with pytest.raises(ClientError, match="injected"), upload:
        write_report(map(event_row, generated_events(ROWS_OVER_TWO_PARTS)), upload)
    assert upload.parts_uploaded >= 1  # it failed between parts, not before the first
    assert objects() == []
    assert open_uploads() == []


def test_a_failing_source_aborts_the_upload_after_parts_were_sent() -> None:
    def breaks_midway() -> Iterator[HistoryEvent]:
        yield from generated_events(ROWS_OVER_TWO_PARTS // 2)
        raise RuntimeError("history read failed")

    upload = MultipartFile(BUCKET, "partial.csv", "text/csv", "attachment", MIN_PART_BYTES)
    with pytest.raises(RuntimeError, match="history read failed"), upload:
        write_report(map(event_row, breaks_midway()), upload)
    assert upload.parts_uploaded == 1
    assert objects() == []
    assert open_uploads() == []


def test_a_failing_shard_read_publishes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    store(BOUNDARY_EVENTS)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("shard read failed")

    monkeypatch.setattr("segmentation.domain.report_rows.window_page", broken)
    with pytest.raises(RuntimeError, match="shard read failed"):
        export_history(2024, 1)
    assert objects() == []
    assert open_uploads() == []


def test_parts_under_the_s3_minimum_are_refused() -> None:
    with pytest.raises(ValueError, match="minimum"):
        MultipartFile(BUCKET, "x.csv", "text/csv", "attachment", MIN_PART_BYTES - 1)

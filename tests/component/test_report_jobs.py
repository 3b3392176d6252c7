"""Report jobs end to end on moto: POST /api/reports, the SQS worker and its retries,
assembly into one file, failure, and closed months built once."""

import gzip
from typing import TYPE_CHECKING, Any

import botocore.client
import pytest

from segmentation.data import report_jobs as report_jobs_data
from segmentation.data.exports import s3_client
from segmentation.data.history_watermark import advance_history_watermark
from segmentation.data.keys import report_job_key
from segmentation.data.report_jobs import get_job
from segmentation.domain import report_jobs
from segmentation.domain.export import export_history
from segmentation.domain.report_jobs import ReportJobOptions, ReportRequest, start_report
from tests.support.exports import (
    BOUNDARY_EVENTS,
    BUCKET,
    download,
    objects,
    open_uploads,
    store,
)
from tests.support.report_queues import drain, retry_at_once

if TYPE_CHECKING:
    from tests.support.handlers import Call

pytestmark = pytest.mark.usefixtures("exports_bucket")

# Four 8-day windows: several pieces, not hundreds of moto round trips.
FEW_PIECES = ReportJobOptions(window_hours=8 * 24)


@pytest.fixture(autouse=True)
def history(monkeypatch: pytest.MonkeyPatch) -> None:
    store(BOUNDARY_EVENTS)
    retry_at_once()
    monkeypatch.setattr(report_jobs, "DEFAULT_OPTIONS", FEW_PIECES)


def post(call: "Call", body: Any) -> Any:
    return call("start_report", "POST", "/api/reports", body=body)


def status(call: "Call", job_id: str, accept: str | None = None) -> Any:
    headers = {"accept": accept} if accept else {}
    return call("report_status", "GET", f"/api/reports/{job_id}", headers=headers)


def sync_csv(year: int, month: int, user_id: int | None = None) -> bytes:
    return download(export_history(year, month, user_id).url).content


def test_a_job_runs_on_the_queue_and_links_the_same_csv_as_the_synchronous_report(
    call: "Call",
) -> None:
    started = post(call, {"year": 2024, "month": 1})
    assert started.status == 202, started.json
    job_id = started.json["id"]
    assert started.headers["location"] == f"/api/reports/{job_id}"
    assert started.json["status"] == "pending"
    assert started.json["url"] is None
    # Not done yet: Accept text/csv still gets the JSON status, no redirect.
    early = status(call, job_id, accept="text/csv")
    assert early.status == 200
    assert early.json["status"] == "pending"

    assert drain() == 1 + started.json["pieces"] + 1  # plan, pieces, assemble
    done = status(call, job_id)
    assert done.status == 200
    assert done.json["status"] == "done"
    assert done.json["rows"] == 5
    assert done.json["error"] is None
    file = download(done.json["url"])
    assert file.content == sync_csv(2024, 1)
    assert file.headers["content-type"] == "text/csv"
    redirect = status(call, job_id, accept="text/csv")
    assert redirect.status == 303
    assert redirect.headers["location"] == redirect.json["url"]
    # Pieces are gone once assembled; only the file and the synchronous report remain.
    assert not [key for key in objects() if key.startswith("reports/pieces/")]
    assert open_uploads() == []


def test_gzip_is_the_same_csv_compressed_saved_as_is(call: "Call") -> None:
    job = start_report(ReportRequest(2024, 1, compression="gzip"), FEW_PIECES)
    assert job.pieces == 4
    drain()
    assert status(call, job.id).json["status"] == "done"
    record = get_job(job.id)
    assert record is not None
    assert record.key.endswith("/segments-history-2024-01.csv.gz")
    stored = s3_client().get_object(Bucket=BUCKET, Key=record.key)
    assert stored["ContentType"] == "application/gzip"
    assert "ContentEncoding" not in stored
    assert stored["ContentDisposition"].endswith('.csv.gz"')
    assert gzip.decompress(stored["Body"].read()) == sync_csv(2024, 1)


def test_one_users_job_is_that_users_report(call: "Call") -> None:
    started = post(call, {"year": 2024, "month": 1, "user_id": 3})
    assert started.json["pieces"] == 1
    drain()
    done = status(call, started.json["id"])
    assert done.json["rows"] == 2
    assert download(done.json["url"]).content == sync_csv(2024, 1, user_id=3)


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"year": 1969, "month": 1}, "year"),
        ({"year": 2024, "month": 13}, "month"),
        ({"year": "2024", "month": 1}, "year"),
        ({"year": 2024}, "month"),
        ({"year": 2024, "month": 1, "user_id": 0}, "user_id"),
        ({"year": 2024, "month": 1, "user_id": 2**63}, "user_id"),
        ({"year": 2024, "month": 1, "compression": "zip"}, "compression"),
        ({"year": 2024, "month": 1, "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_that_starts_nothing(call: "Call", body: Any, names: str) -> None:
    reply = post(call, body)
    assert reply.status == 400, reply.json
    assert names in reply.json["message"]
    assert drain() == 0


def test_an_unknown_job_is_a_404(call: "Call") -> None:
    reply = status(call, "0123456789abcdef")
    assert reply.status == 404
    assert "0123456789abcdef" in reply.json["message"]


def test_a_piece_failing_once_is_retried_alone_into_one_complete_file(
    call: "Call", monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentation.domain import report_pieces

    real = report_pieces.write_piece
    failures: list[int] = []

    def flaky(job: Any, index: int, file: Any, shards: int) -> int:
        if index == 2 and not failures:
            failures.append(index)
            file.write(b"half a piece")
            raise ConnectionError("history read broke")
        return real(job, index, file, shards)

    monkeypatch.setattr(report_pieces, "write_piece", flaky)
    job = start_report(ReportRequest(2024, 1), FEW_PIECES)
    assert drain() == 1 + 4 + 1 + 1  # the failed piece ran twice
    done = status(call, job.id)
    assert failures == [2]
    assert done.json["status"] == "done"
    assert download(done.json["url"]).content == sync_csv(2024, 1)
    assert [key for key in objects() if key.startswith("reports/")] == [
        f"reports/open/{job.id}/segments-history-2024-01.csv"
    ]


def test_a_job_killed_mid_assembly_leaves_no_file_and_no_upload(
    call: "Call", monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentation.domain import report_pieces

    def killed(spec: Any, job_id: str, pieces: int) -> None:
        # The Lambda dies after it started the upload: no except or finally runs.
        upload = s3_client().create_multipart_upload(Bucket=spec.bucket, Key=spec.key)
        s3_client().upload_part(
            Bucket=spec.bucket, Key=spec.key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x"
        )
        raise SystemExit("killed")

    monkeypatch.setattr(report_pieces, "assemble_pieces", killed)
    job = start_report(ReportRequest(2024, 1), FEW_PIECES)
    # Every attempt dies the same way until SQS hands the task to the dead-letter queue.
    kills = 0
    for _ in range(10):
        try:
            drain()
            break
        except SystemExit:
            kills += 1
    assert kills == 3  # the queue's maxReceiveCount
    failed = status(call, job.id)
    assert failed.json["status"] == "failed"
    assert failed.json["url"] is None
    assert "assemble failed on every attempt" in failed.json["error"]
    assert [key for key in objects() if key.startswith("reports/")] == []
    assert open_uploads() == []


class _Calls:
    """Counts every AWS API call botocore makes, by operation."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        real = botocore.client.BaseClient._make_api_call

        def counting(client: Any, operation: str, params: Any) -> Any:
            self.names.append(operation)
            return real(client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)


def test_a_closed_month_is_built_once_and_linked_again_in_two_round_trips(
    call: "Call", monkeypatch: pytest.MonkeyPatch
) -> None:
    advance_history_watermark("2024-02-01T00:00:00.000000Z")  # January is final
    first = post(call, {"year": 2024, "month": 1})
    calls = _Calls(monkeypatch)
    drain()
    assert calls.names.count("Query") >= 1  # the history was read to build it
    calls.names.clear()

    again = post(call, {"year": 2024, "month": 1})
    assert calls.names == ["GetItem", "GetItem"]  # watermark, job: no history read
    assert again.status == 202
    assert again.json["id"] == first.json["id"]
    assert again.json["status"] == "done"
    assert download(again.json["url"]).content == sync_csv(2024, 1)
    # The synchronous report links the same file too.
    calls.names.clear()
    linked = call("export_history", "GET", "/api/users/show_segments_history/2024/1")
    assert calls.names == ["GetItem", "GetItem"]
    assert linked.status == 200
    assert linked.json["rows"] == 5
    assert linked.json["url"].split("?")[0] == again.json["url"].split("?")[0]
    closed = [key for key in objects() if key.startswith("reports/closed/")]
    assert len(closed) == 1


def test_an_open_month_is_built_fresh_each_time(call: "Call") -> None:
    advance_history_watermark("2024-01-31T00:00:00.000000Z")  # January is not final yet
    first, second = post(call, {"year": 2024, "month": 1}), post(call, {"year": 2024, "month": 1})
    assert first.json["id"] != second.json["id"]


def test_a_month_too_large_for_the_request_answers_202_with_a_job(
    call: "Call", monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentation.domain import monthly_report

    monkeypatch.setattr(
        monthly_report.month_report, "__defaults__", (None, -1.0)
    )  # no time at all: any month is too large
    reply = call("export_history", "GET", "/api/users/show_segments_history/2024/1")
    assert reply.status == 202, reply.json
    assert reply.headers["location"] == f"/api/reports/{reply.json['id']}"
    assert reply.json["status"] == "pending"
    assert [key for key in objects() if key.startswith("history/")] == []
    drain()
    assert download(status(call, reply.json["id"]).json["url"]).content == sync_csv(2024, 1)


def test_a_closed_month_asked_synchronously_is_written_once_and_linked_after(
    call: "Call", monkeypatch: pytest.MonkeyPatch
) -> None:
    advance_history_watermark("2024-02-01T00:00:00.000000Z")
    route = "/api/users/show_segments_history/2024/1?user_id=3"
    first = call("export_history", "GET", route)
    assert first.status == 200
    calls = _Calls(monkeypatch)
    second = call("export_history", "GET", route)
    assert calls.names == ["GetItem", "GetItem"]  # no history read, nothing written
    assert second.json["rows"] == first.json["rows"] == 2
    assert second.json["url"].split("?")[0] == first.json["url"].split("?")[0]
    assert objects() == ["reports/closed/2024-01-u3-csv/segments-history-2024-01-user-3.csv"]
    # The job API knows it as done, under the same deterministic id.
    done = status(call, "2024-01-u3-csv")
    assert done.json["status"] == "done"
    assert download(done.json["url"]).content == download(first.json["url"]).content


def test_a_dead_letter_of_a_failed_attempt_never_fails_its_replacement(call: "Call") -> None:
    from segmentation.data.report_queue import Task
    from segmentation.domain.report_pieces import give_up, run_task

    # Given a closed month whose first job failed, and a new attempt under the same id
    advance_history_watermark("2024-02-01T00:00:00.000000Z")
    first = start_report(ReportRequest(2024, 1), FEW_PIECES)
    old = get_job(first.id)
    assert old is not None
    drain()  # the first attempt runs (its tasks are used up); then say it failed
    report_jobs_data.ReportJobItem(*report_job_key(first.id)).update(
        actions=[report_jobs_data.ReportJobItem.status.set("failed")]
    )
    second = start_report(ReportRequest(2024, 1), FEW_PIECES)
    assert second.id == first.id
    new = get_job(second.id)
    assert new is not None
    assert (new.attempt != old.attempt, new.status) == (True, "pending")
    # When a task of the old attempt arrives late, from the queue or its dead-letter queue
    stale = Task(first.id, "piece", 0, old.attempt)
    run_task(stale)
    give_up(stale)
    # Then the new attempt is untouched, and finishes
    assert get_job(second.id).status == "pending"
    drain()
    assert get_job(second.id).status == "done"

"""Report jobs: client CPU per exported row, one worker's rows/s, and a whole job's time
and peak memory on moto for two month sizes.

1. CPU per row: one piece's full client path (16 shards queried in parallel, botocore
   serialising, signing and parsing real DynamoDB JSON, the merge, csv.writer, UTF-8)
   against canned 1,000-item Query pages served from botocore's before-send hook, so
   the number is the client's alone, with no emulator in it.
2. Job time: the whole job on moto server (SQS, DynamoDB, S3) in this process: plan,
   pieces, ordered assembly; the SQS messages are polled as the local stack does.
   moto walks the whole table on each GSI Query, so times show the trend only.

    .venv/bin/python -m bench.report_bench [rows ...]      # default: 10000 100000
"""

# Sets the environment (endpoint, 2 shards) and starts nothing yet: import it first.
from bench import export_bench  # isort: skip

import json
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import requests
from botocore.awsrequest import AWSResponse

from local_stack.aws import aws_client, create_resources
from local_stack.queues import poll_once, sqs_sources
from local_stack.template import DEFAULT_TEMPLATE, load_template
from segmentation.data.history_rows import dynamodb_client
from segmentation.data.report_jobs import get_job
from segmentation.data.report_queue import parse_task
from segmentation.domain.export import write_report
from segmentation.domain.report_jobs import ReportJobOptions, ReportRequest, start_report
from segmentation.domain.report_pieces import give_up, run_task
from segmentation.domain.report_rows import RowSource, report_rows
from segmentation.settings import SETTINGS

CPU_TARGET_US = 30.0
SHARDS = 16
PAGES_PER_SHARD = 8
PAGE_ITEMS = 1000
SIZES = (10_000, 100_000)


class _Discard:
    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _page(shard: int, page: int) -> bytes:
    items = []
    for n in range(PAGE_ITEMS):
        i = page * PAGE_ITEMS + n
        at = f"2024-03-{1 + i // 40000:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{shard:06d}Z"
        items.append(
            {
                "user_id": {"N": str(1_000_000_000 + i * 16 + shard)},
                "slug": {"S": f"AVITO_EXPERIMENT_{i % 40:02d}"},
                "operation": {"S": "INSERT" if i % 2 else "DELETE"},
                "at": {"S": at},
                "reason": {"S": "manual"},
            }
        )
    body: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
    if page + 1 < PAGES_PER_SHARD:
        body["LastEvaluatedKey"] = {"month_shard": {"S": f"2024-03#{shard:02d}"}}
    return json.dumps(body).encode()


def cpu_per_row() -> tuple[float, int]:
    """Client CPU seconds per row of one piece, against canned pages."""
    pages = {(s, p): _page(s, p) for s in range(SHARDS) for p in range(PAGES_PER_SHARD)}
    served: dict[int, int] = {}

    def serve(request: Any, **_: Any) -> AWSResponse:
        sent = json.loads(request.body)
        shard = int(sent["ExpressionAttributeValues"][":p"]["S"].split("#")[1])
        page = served.get(shard, 0)
        served[shard] = page + 1
        return AWSResponse(request.url, 200, {}, _Body(pages[(shard, page)]))

    client = dynamodb_client()
    client.meta.events.register("before-send.dynamodb.Query", serve)
    try:
        sink = _Discard()
        started = time.process_time()
        with report_rows(RowSource("2024-03", shards=SHARDS, page_items=PAGE_ITEMS)) as rows:
            count = write_report(rows, sink)
        cpu = time.process_time() - started
    finally:
        client.meta.events.unregister("before-send.dynamodb.Query", serve)
    return cpu / count, count


def _drain() -> None:
    template = load_template(DEFAULT_TEMPLATE)
    sqs = aws_client("sqs", export_bench.ENDPOINT)

    def invoke(logical_id: str, event: Any) -> None:
        for record in event["Records"]:
            task = parse_task(record["body"])
            (run_task if logical_id == "ReportWorkerFunction" else give_up)(task)

    while any(poll_once(sqs, source, invoke) for source in sqs_sources(template)):
        pass


def job_run(rows: int, pieces_hours: int) -> tuple[float, float, int]:
    """(seconds, peak MiB, pieces) of one whole job over `rows` loaded rows."""
    requests.post(f"{export_bench.ENDPOINT}/moto-api/reset", timeout=60).raise_for_status()
    create_resources(load_template(DEFAULT_TEMPLATE), export_bench.ENDPOINT)
    aws_client("s3", export_bench.ENDPOINT).create_bucket(Bucket=SETTINGS.exports_bucket)
    export_bench._load(rows)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        job = start_report(
            ReportRequest(export_bench.YEAR, export_bench.MONTH),
            ReportJobOptions(window_hours=pieces_hours),
        )
        _drain()
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    record = get_job(job.id)
    assert record is not None
    assert record.status == "done", record
    assert record.rows == rows, (record.rows, rows)
    return seconds, peak / 2**20, record.pieces


def main(sizes: tuple[int, ...] = SIZES) -> bool:
    per_row, counted = cpu_per_row()
    print(
        f"Client CPU per exported row: {per_row * 1e6:.1f} us ({counted} rows, {SHARDS} shards,"
        f" canned pages; target <= {CPU_TARGET_US:.0f} us)"
    )
    print(f"One worker (one vCPU): {1 / per_row:,.0f} rows/s")
    print(
        f"\n{'rows':>8} {'pieces':>7} {'job s':>7} {'peak MiB':>9}   (moto server, tracemalloc on)"
    )
    with export_bench.moto_server():
        job_run(100, pieces_hours=24 * 8)  # warm-up: first-use imports and clients
        for rows in sizes:
            seconds, peak, pieces = job_run(rows, pieces_hours=24 * 8)
            print(f"{rows:>8} {pieces:>7} {seconds:>7.1f} {peak:>9.2f}", flush=True)
    return per_row * 1e6 <= CPU_TARGET_US


if __name__ == "__main__":
    sizes = tuple(int(arg) for arg in sys.argv[1:]) or SIZES
    sys.exit(0 if main(sizes) else 1)

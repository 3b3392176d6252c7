"""Peak memory and wall time of the monthly history export, for two month sizes.

Bulk-loads N history rows for one month (BatchWriteItem, not through the API), then runs
the all-users export (shards read in parallel and merged, CSV streamed to S3) in this
process and reads back the file size. Peak memory is tracemalloc's peak during the
export, after a warm-up export has loaded every lazily imported module and model.

moto serves DynamoDB and S3 from a child process on 127.0.0.1, reached through
AWS_ENDPOINT_URL exactly as the Lambda reaches AWS. In-process moto would put its own
heap into the peak, and that grows with the table (each emulated GSI Query walks and
sorts every item), so it would measure moto rather than the export.

Per shard the export holds up to three pages at once (the one being merged, the one
fetched ahead, and the next one arriving), whatever the month's size. The bench runs
2 shards x 1000-item pages, so both sizes are past that bound, instead of production's
16 x 250: moto's cost is per Query and grows with the table (each Query walks all of it),
so 16 x 250 would take moto half an hour at 50,000 rows. Times are therefore moto's and
show the trend only; real DynamoDB serves a page in milliseconds.

    .venv/bin/python -m bench.export_bench [rows ...]      # default: 10000 50000
"""

import os
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # standalone `python bench/export_bench.py` too

from bench.environment import function_environment  # noqa: E402

# Before the models are imported: they read table names at import.
os.environ.update(function_environment())
os.environ["HISTORY_SHARDS"] = "2"
PAGE_ITEMS = 1000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = _free_port()
ENDPOINT = f"http://127.0.0.1:{PORT}"
os.environ["AWS_ENDPOINT_URL"] = ENDPOINT  # before any client exists

import requests  # noqa: E402

from segmentation.data.exports import s3_client  # noqa: E402
from segmentation.data.history import history_item  # noqa: E402
from segmentation.data.models import HistoryItem  # noqa: E402
from segmentation.domain.export import ExportOptions, export_history  # noqa: E402
from segmentation.model import HistoryEvent, HistoryOperation, HistoryReason  # noqa: E402
from segmentation.settings import SETTINGS  # noqa: E402

SIZES = (10_000, 50_000)
OPTIONS = ExportOptions(page_items=PAGE_ITEMS)
YEAR, MONTH, WARM_UP_MONTH = 2024, 3, 2
USERS = 5_000
SLUGS = [f"AVITO_EXPERIMENT_{n:02d}" for n in range(40)]
OPERATIONS = list(HistoryOperation)
REASONS = list(HistoryReason)


@dataclass(frozen=True)
class Result:
    rows: int
    load_seconds: float
    export_seconds: float
    export_cpu_seconds: float  # this process only: the export's own work, not moto's
    peak_mib: float
    file_mib: float


@contextmanager
def moto_server() -> Iterator[None]:
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(PORT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                requests.get(f"{ENDPOINT}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# moto answers the shards' concurrent Queries one after another, each walking the table.
HistoryItem.Meta.read_timeout_seconds = 900


def _fresh_resources() -> None:
    """An empty history table and exports bucket."""
    requests.post(f"{ENDPOINT}/moto-api/reset", timeout=60).raise_for_status()
    HistoryItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    s3_client().create_bucket(Bucket=SETTINGS.exports_bucket)


def _load(rows: int, month: int = MONTH) -> None:
    """`rows` distinct events spread evenly over the month, over many users and slugs."""
    month_micros = 30 * 24 * 3600 * 10**6
    with HistoryItem.batch_write() as batch:
        for i in range(rows):
            micros = i * month_micros // rows
            seconds, micro = divmod(micros, 10**6)
            minutes, second = divmod(seconds, 60)
            hours, minute = divmod(minutes, 60)
            day, hour = divmod(hours, 24)
            at = f"{YEAR}-{month:02d}-{day + 1:02d}T{hour:02d}:{minute:02d}:{second:02d}.{micro:06d}Z"
            event = HistoryEvent(
                user_id=1 + i % USERS,
                slug=SLUGS[i % len(SLUGS)],
                segment_id=1 + i % len(SLUGS),
                operation=OPERATIONS[i % 2],
                reason=REASONS[i % len(REASONS)],
                at=at,
            )
            batch.save(history_item(event))


def run(rows: int) -> Result:
    _fresh_resources()
    _load(100, WARM_UP_MONTH)
    export_history(YEAR, WARM_UP_MONTH, options=OPTIONS)
    started = time.perf_counter()
    _load(rows)
    loaded = time.perf_counter()
    cpu_started = time.process_time()
    tracemalloc.start()
    try:
        report = export_history(YEAR, MONTH, options=OPTIONS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    exported = time.perf_counter()
    cpu = time.process_time() - cpu_started
    assert report.rows == rows, (report.rows, rows)
    size = s3_client().head_object(Bucket=SETTINGS.exports_bucket, Key=report.key)
    return Result(
        rows=rows,
        load_seconds=loaded - started,
        export_seconds=exported - loaded,
        export_cpu_seconds=cpu,
        peak_mib=peak / 2**20,
        file_mib=size["ContentLength"] / 2**20,
    )


def main(sizes: tuple[int, ...] = SIZES) -> list[Result]:
    print(
        f"History export: {SETTINGS.history_shards} shards x {PAGE_ITEMS}-item pages, "
        f"moto server on {ENDPOINT}"
    )
    print(
        f"{'rows':>8} {'file MiB':>9} {'peak MiB':>9} {'export s':>9} {'cpu s':>7} {'rows/s':>8} {'load s':>7}"
    )
    results = []
    with moto_server():
        for rows in sizes:
            result = run(rows)
            results.append(result)
            print(
                f"{result.rows:>8} {result.file_mib:>9.2f} {result.peak_mib:>9.2f} "
                f"{result.export_seconds:>9.1f} {result.export_cpu_seconds:>7.1f} {result.rows / result.export_seconds:>8.0f} "
                f"{result.load_seconds:>7.1f}",
                flush=True,
            )
    return results


if __name__ == "__main__":
    main(tuple(int(arg) for arg in sys.argv[1:]) or SIZES)

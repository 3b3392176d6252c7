"""DynamoDB round trips of a user read, with 0 and with 100 automatic segments defined.

Automatic membership is computed from the cached segment list, so a steady-state read
must cost the same single Query however many automatic segments exist. Runs on moto
in-process; counts every DynamoDB API call PynamoDB sends through its own
`pre_dynamodb_send` signal, which fires once per call from any connection, the model
connections and the transactions' alike. Times are moto's and only indicative.

    .venv/bin/python -m bench.auto_read_bench
"""

import io
import os
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from bench.environment import function_environment

# Before the models are imported: they read table names at import.
os.environ.update(function_environment())
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws
from pynamodb.signals import pre_dynamodb_send

from local_stack.template import load_template
from local_stack.testing import create_resources_in_moto
from segmentation.clock import utc_now
from segmentation.data.memberships import user_memberships
from segmentation.domain.catalogue import CATALOGUE
from segmentation.domain.memberships import (
    SegmentGrant,
    active_memberships,
    add_memberships,
)
from segmentation.domain.memberships import reads as membership_reads
from segmentation.domain.segments import create_segment

ROOT = Path(__file__).resolve().parents[1]
USERS = 20
STEADY_READS_PER_USER = 4
MANUAL_SEGMENTS = 5
# 10%: about 10 of the 100 per user. Small on purpose: moto copies whole tables in every
# transaction, so first reads get slow as the tables grow.
AUTO_PERCENT_BUCKETS = 1_000


@dataclass(frozen=True)
class Result:
    auto_segments: int
    first_read_calls: float
    steady_calls: float
    steady_operations: str
    catalogue_refresh_calls: int
    steady_ms: float
    compute_us: float
    segments_per_user: float


@contextmanager
def counting() -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()

    def count(sender: object, operation_name: str, **_: object) -> None:
        calls[operation_name] += 1

    pre_dynamodb_send.connect(count)
    try:
        yield calls
    finally:
        pre_dynamodb_send.disconnect(count)


def in_memory_seconds(user_id: int, repeat: int = 200) -> float:
    """The read's own work once the Query has answered: hashing the user into every
    automatic segment and choosing what to show."""
    items = user_memberships(user_id)
    segments = CATALOGUE.segments()
    now = utc_now()
    started = time.perf_counter()
    for _ in range(repeat):
        assert not membership_reads._unrecorded_shares(user_id, items, segments)
        membership_reads._shown(items, segments, now)
    return (time.perf_counter() - started) / repeat


def run(auto_segments: int) -> Result:
    with mock_aws():
        create_resources_in_moto(load_template(ROOT / "template.yaml"))
        # Outside a handler nothing flushes the domain's metrics until 100 values pile up:
        # then Powertools prints them, an EMF line in the middle of the table.
        with redirect_stdout(io.StringIO()):
            for i in range(MANUAL_SEGMENTS):
                create_segment(f"MANUAL_{i}")
            for i in range(auto_segments):
                create_segment(f"AUTO_{i:03d}", percent_buckets=AUTO_PERCENT_BUCKETS)
        users = range(1, USERS + 1)
        for user_id in users:
            add_memberships(user_id, [SegmentGrant("MANUAL_0"), SegmentGrant("MANUAL_1")])

        # The segment list is cached per container; refreshing it is one Query.
        CATALOGUE.max_age_seconds = 3600.0
        with counting() as refresh:
            CATALOGUE.refresh()
        with counting() as first:
            sizes = [len(active_memberships(user_id)) for user_id in users]
        timings = []
        with counting() as steady:
            for _ in range(STEADY_READS_PER_USER):
                for user_id in users:
                    started = time.perf_counter()
                    active_memberships(user_id)
                    timings.append(time.perf_counter() - started)
        reads = USERS * STEADY_READS_PER_USER
        compute = [in_memory_seconds(user_id) for user_id in users]
        return Result(
            auto_segments=auto_segments,
            first_read_calls=sum(first.values()) / USERS,
            steady_calls=sum(steady.values()) / reads,
            steady_operations=", ".join(f"{op}x{n}" for op, n in sorted(steady.items())),
            catalogue_refresh_calls=sum(refresh.values()),
            steady_ms=statistics.median(timings) * 1000,
            compute_us=statistics.median(compute) * 1e6,
            segments_per_user=statistics.mean(sizes),
        )


def main() -> int:
    results = [run(0), run(100)]
    print(
        f"{'auto segments':>13} | {'segments/user':>13} | {'first read calls':>16} |"
        f" {'steady read calls':>17} | {'catalogue refresh':>17} | {'median ms (moto)':>16} |"
        f" {'in-memory us':>12}"
    )
    for r in results:
        print(
            f"{r.auto_segments:>13} | {r.segments_per_user:>13.1f} | {r.first_read_calls:>16.2f} |"
            f" {r.steady_calls:>17.2f} | {r.catalogue_refresh_calls:>17} | {r.steady_ms:>16.2f} |"
            f" {r.compute_us:>12.1f}"
        )
    print(f"steady-state operations: {[r.steady_operations for r in results]}")
    same = {r.steady_calls for r in results} == {1.0}
    print(
        "OK: a steady-state read is one DynamoDB call with 0 and with 100 automatic segments"
        if same
        else "FAIL: steady-state reads cost differs"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())

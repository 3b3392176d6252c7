"""Bulk jobs: DynamoDB round trips and capacity units per user of a batch, measured, and
on paper a 10-million-user job: workers, time, and the hottest partition keys.

1. Measured in-process on moto with every DynamoDB request recorded
   (local_stack/dynamodb_recorder.py, charged by bench/key_load.py): one job of BATCH
   new users, then the same users again (all members already: no-ops), each batch run
   as the worker runs it (job read, catalogue, BatchGetItem, one transaction per user
   that changes, the batch's marker query and its counted done-marker).
2. The model: W workers (SQS event source MaximumConcurrency, one batch each) of T
   threads; a 4-item transaction takes TRANSACTION_MS on DynamoDB. The job's counters
   are written once per batch; every per-user key spreads over users or index shards.

    .venv/bin/python -m bench.bulk_bench
"""

import math
import os
from dataclasses import dataclass

from bench.environment import prepare_in_process
from bench.key_load import (
    Charges,
    FamilyLoad,
    Units,
    family_loads,
    table_specs,
    total_per_request,
)
from bench.template_functions import service_template

BATCH = 500
USERS = 10_000_000
WORKERS = 20  # template.yaml BulkWorkers
THREADS = 8  # template.yaml BulkWriteThreads
TRANSACTION_MS = 15.0  # a 4-item TransactWriteItems in-region, p50 (assumed)
BATCH_OVERHEAD_MS = 60.0  # job read, catalogue, 5 BatchGetItem, marker query, commit
KEY_WCU_LIMIT = 1_000
GOAL = 0.5
# The job item at its largest: 100 invalid lines kept with their reasons (~7 KB); the
# batch commit updates it in a transaction (2 WCU per KB) and puts the done-marker.
JOB_ITEM_KB = 7
HISTORY_SHARDS = 128
MEMBER_SHARDS = 128


@dataclass(frozen=True)
class Measured:
    name: str
    users: int
    round_trips: dict[str, int]
    loads: list[FamilyLoad]

    def total(self) -> Units:
        return total_per_request(self.loads)


def _run_worker() -> None:
    """Runs the bulk queue's tasks until it is empty, as the SQS event source would."""
    from segmentation.data.bulk_queue import parse_message
    from segmentation.data.job_queue import sqs_client
    from segmentation.domain.bulk_tasks import run_task
    from segmentation.settings import SETTINGS

    while True:
        received = (
            sqs_client()
            .receive_message(QueueUrl=SETTINGS.bulk_queue_url, MaxNumberOfMessages=10)
            .get("Messages", [])
        )
        if not received:
            return
        for message in received:
            for task in parse_message(message["Body"]):
                run_task(task)
            sqs_client().delete_message(
                QueueUrl=SETTINGS.bulk_queue_url, ReceiptHandle=message["ReceiptHandle"]
            )


def measure() -> list[Measured]:
    from moto import mock_aws

    from local_stack.dynamodb_recorder import install, recording
    from local_stack.testing import create_resources_in_moto

    install()
    template = service_template()
    specs = table_specs(template)
    results = []
    with mock_aws():
        create_resources_in_moto(template)
        from segmentation.domain.bulk_jobs import BulkRequest, start_bulk_job
        from segmentation.domain.segments import create_segment

        create_segment("BULK")
        users = list(range(5_000_000, 5_000_000 + BATCH))
        for name in ("user added (new member)", "user already a member (no-op)"):
            start_bulk_job(BulkRequest("BULK", "add", users))  # the API's part: not counted
            with recording() as records:
                _run_worker()
            charges = Charges(specs)
            trips: dict[str, int] = {}
            for record in records:
                charges.charge(record)
                trips[record["operation"]] = trips.get(record["operation"], 0) + 1
            results.append(Measured(name, len(users), trips, family_loads(charges, len(users))))
    return results


def report(measured: list[Measured]) -> None:
    from bench.__main__ import print_table
    from segmentation.data.keys import BULK_MARKER_SHARDS

    print_table(
        f"Per user of a bulk job (one batch of {BATCH}, measured on moto)",
        ["user", "DynamoDB round trips per user", "by operation (per batch)", "RCU", "WCU"],
        [
            [
                m.name,
                f"{sum(m.round_trips.values()) / m.users:.3f}",
                ", ".join(f"{op} {n}" for op, n in sorted(m.round_trips.items())),
                f"{m.total().rcu:.2f}",
                f"{m.total().wcu:.2f}",
            ]
            for m in measured
        ],
    )
    added = measured[0]
    print_table(
        "Units per user added, by key family",
        ["table / index", "key family", "RCU", "WCU"],
        [
            [load.where, load.family, f"{load.per_request.rcu:.3f}", f"{load.per_request.wcu:.3f}"]
            for load in sorted(added.loads, key=lambda load: -load.per_request.wcu)
        ],
    )
    batch_seconds = (BATCH / THREADS * TRANSACTION_MS + BATCH_OVERHEAD_MS) / 1000
    rate = WORKERS * BATCH / batch_seconds  # users per second
    batches_per_second = rate / BATCH
    job_wcu = batches_per_second * (2 * JOB_ITEM_KB + 2)
    history_gsi = _family_wcu(added, "history_by_month") * rate / HISTORY_SHARDS
    members_gsi = _family_wcu(added, "members_by_segment_v2") * rate / MEMBER_SHARDS
    rows = [
        ["job item BULK#{job} (counters, once per batch)", "1", f"{job_wcu:,.0f}"],
        ["history_by_month {month}#{shard}", f"{HISTORY_SHARDS}", f"{history_gsi:,.0f}"],
        [
            "members_by_segment_v2 SEGID#{segment}#{shard}",
            f"{MEMBER_SHARDS}",
            f"{members_gsi:,.0f}",
        ],
        [
            "batch markers BULK#{job}#{batch}#{shard} (one worker's)",
            f"{math.ceil(USERS / BATCH) * BULK_MARKER_SHARDS:,}",
            f"{THREADS * 2 * 1000 / TRANSACTION_MS / BULK_MARKER_SHARDS:,.0f}",
        ],
        ["USER#{user}, history {user}", "one per user", "a few, once"],
    ]
    print_table(
        f"On paper: {USERS:,} new users, {WORKERS} workers x {THREADS} threads,"
        f" batches of {BATCH}, {TRANSACTION_MS:g} ms per transaction",
        ["partition key", "keys", "WCU/s on the hottest key", "of a key's limit"],
        [[*row, f"{_of_limit(row[2])}"] for row in rows],
    )
    total_wcu = added.total().wcu * USERS
    print(
        f"\n{rate:,.0f} users/s ({batches_per_second:,.1f} batches/s): {USERS:,} users in"
        f" {USERS / rate / 60:,.0f} min; {total_wcu / 1e6:,.0f} million WCU"
        f" (${total_wcu / 1e6 * 0.625:,.0f} on demand). The job item is the one key a job"
        f" concentrates on: {job_wcu / KEY_WCU_LIMIT:.0%} of a key's 1,000 WCU/s at its"
        f" largest ({JOB_ITEM_KB} KB), hence {WORKERS} workers; BulkWorkers caps all jobs"
        " together (one queue), so concurrent jobs share the rate instead of adding to it."
    )


def _of_limit(wcu_text: str) -> str:
    try:
        return f"{float(wcu_text.replace(',', '')) / KEY_WCU_LIMIT:.0%} of 1,000"
    except ValueError:
        return ""


def _family_wcu(measured: Measured, index: str) -> float:
    return sum(load.per_request.wcu for load in measured.loads if load.where.endswith(index))


def main() -> int:
    prepare_in_process()
    # moto in-process is not thread-safe (a transaction deep-copies tables others write):
    # users one at a time here; the calls per user do not depend on it.
    os.environ["BULK_WRITE_THREADS"] = "1"
    report(measure())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

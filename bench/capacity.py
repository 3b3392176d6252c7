"""The capacity model: units per request and the hottest partition key at the target.

Each per-user scenario runs for SAMPLE_USERS different users in-process on moto with
every DynamoDB request recorded (local_stack/dynamodb_recorder.py); bench/key_load.py
turns the records into units per partition-key family. A family with a `{user}` part
spreads over every user; one with a `{shard}` part over the distinct shards the sample
used (fewer than exist: a conservative spread); any other is one key. At the named
WORKLOAD, a key's load is the sum over scenarios of rate x units / spread, against
DynamoDB's per-partition-key limits (1,000 WCU/s, 3,000 RCU/s; a GSI's keys alike).

    .venv/bin/python -m bench.capacity
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

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

SAMPLE_USERS = 240
KEY_WCU_LIMIT = 1_000
KEY_RCU_LIMIT = 3_000
GOAL = 0.5  # of a key's limit
# On-demand prices assumed (us-east-1, since Nov 2024): per million request units.
PRICE_PER_MILLION_WRU = 0.625
PRICE_PER_MILLION_RRU = 0.125
SECONDS_PER_MONTH = 30 * 24 * 3600


@dataclass(frozen=True)
class Workload:
    """Requests per second of each scenario, and the numbers that scale the spread."""

    name: str
    users: int
    segments: int
    containers: int  # warm Lambda containers, each checking the catalogue log
    cold_starts_per_second: float
    rates: dict[str, float]


TARGET = Workload(
    name="target: 100M users, 50,000 reads/s (half of them first exposures of a 50%"
    " automatic segment being rolled out), 5,000 timed adds/s to one segment, 1,000 segments",
    users=100_000_000,
    segments=1_000,
    containers=2_000,
    cold_starts_per_second=20,
    rates={
        "read, steady state": 25_000,
        "read, first exposure recorded": 25_000,
        "add with a TTL, all to one segment": 5_000,
        "maintenance: a TTL exit": 5_000,
        "catalogue check (per container)": 2_000 / 5,  # containers / SEGMENT_CACHE_SECONDS
        "catalogue reload (cold start)": 20,
        # History rows/s (25,000 exposures + 5,000 adds + 5,000 exits) / 1,000 per stream
        # shard = 35 shards, each invoking the counts function about once a second (a
        # batch fills to 1,000 rows in a second; docs/members.md).
        "count batch from the history stream": 35,
        "segment with its member count": 100,
        "members page (limit 1,000)": 10,
    },
)


@dataclass(frozen=True)
class Scenario:
    name: str
    prepare: Callable[[], None]  # state before the measured requests, not measured
    request: Callable[[int], None]  # one request for the n-th sample user
    requests: int = SAMPLE_USERS


def _user(n: int) -> int:
    return 1_000_000 + n


def _scenarios() -> list[Scenario]:
    from segmentation.clock import utc_now
    from segmentation.domain.catalogue import CATALOGUE
    from segmentation.domain.maintenance import run_maintenance
    from segmentation.domain.members import list_members, segment_summary
    from segmentation.domain.memberships import SegmentGrant, active_memberships, add_memberships
    from segmentation.domain.segment_counts import apply_stream_event
    from segmentation.domain.segments import create_segment

    soon = utc_now() + timedelta(hours=1)  # the TTL exits' scenario's expiry
    later = utc_now() + timedelta(days=1)

    def catalogue_of(segments: int) -> Callable[[], None]:
        def prepare() -> None:
            from segmentation.data.models import SegmentItem
            from segmentation.data.segments import segment_item
            from segmentation.model import Segment

            with SegmentItem.batch_write() as batch:  # as many segments as the workload has
                for n in range(segments):
                    segment = Segment(
                        10_000 + n, f"SEGMENT_{n:04d}", "an experiment", soon.isoformat()
                    )
                    batch.save(segment_item(segment))
            CATALOGUE.reset()
            CATALOGUE.segments()

        return prepare

    def rollout() -> None:
        create_segment("ROLLOUT")
        create_segment("EVERYONE", percent_buckets=10_000)
        create_segment("EXPIRING")
        CATALOGUE.segments(fresh=True)
        # Per-request scenarios run with a warm cache: the per-container catalogue
        # checks are a scenario of their own (moto is slow, so checks would pile up).
        CATALOGUE.max_age_seconds = 3600.0

    def expired_memberships() -> None:
        for n in range(SAMPLE_USERS):
            add_memberships(_user(n + 2 * SAMPLE_USERS), [SegmentGrant("EXPIRING", soon)])

    def one_exit_each(n: int) -> None:
        if n == 0:  # one run settles all of them (and the adds' above): charged per exit
            run_maintenance(now=soon + timedelta(seconds=1))

    def stale_check(n: int) -> None:
        CATALOGUE.max_age_seconds = 0.0
        CATALOGUE.segments()
        CATALOGUE.max_age_seconds = 3600.0

    def reload(n: int) -> None:
        CATALOGUE.reset()
        CATALOGUE.segments()

    counted: list[int] = []

    def counted_segment() -> None:
        counted.append(CATALOGUE.segments()["EVERYONE"].segment_id)

    def count_batch(n: int) -> None:
        """A full batch of 1,000 history rows, all of the segment being rolled out (the
        worst case: every batch of every stream shard adds to the same segment)."""
        segment_id = counted[0]
        records = [
            {
                "eventName": "INSERT",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:1:table/HistoryTable/stream/x",
                "dynamodb": {
                    "SequenceNumber": str(10**20 + n * 1000 + r),
                    "NewImage": {
                        "segment_id": {"N": str(segment_id)},
                        "operation": {"S": "INSERT"},
                    },
                },
            }
            for r in range(1000)
        ]
        apply_stream_event({"Records": records})

    return [
        Scenario("read, first exposure recorded", rollout, lambda n: active_memberships(_user(n))),
        Scenario("read, steady state", lambda: None, lambda n: active_memberships(_user(n))),
        Scenario(
            "add with a TTL, all to one segment",
            lambda: None,
            lambda n: add_memberships(_user(n + SAMPLE_USERS), [SegmentGrant("ROLLOUT", later)]),
        ),
        Scenario("maintenance: a TTL exit", expired_memberships, one_exit_each),
        Scenario("catalogue check (per container)", catalogue_of(1_000), stale_check, 20),
        Scenario("catalogue reload (cold start)", lambda: None, reload, 5),
        Scenario("count batch from the history stream", counted_segment, count_batch, 64),
        Scenario(
            "segment with its member count", lambda: None, lambda n: segment_summary("ROLLOUT"), 20
        ),
        Scenario(
            "members page (limit 1,000)",
            lambda: None,
            lambda n: list_members("ROLLOUT", 1000, None),
            10,
        ),
    ]


@dataclass(frozen=True)
class Measured:
    scenario: str
    loads: list[FamilyLoad]

    def total(self) -> Units:
        return total_per_request(self.loads)


def measure() -> list[Measured]:
    from moto import mock_aws

    from local_stack.dynamodb_recorder import install, recording
    from local_stack.testing import create_resources_in_moto

    install()  # before any botocore session exists: PynamoDB keeps one per model
    template = service_template()
    specs = table_specs(template)
    results = []
    with mock_aws():
        create_resources_in_moto(template)
        for scenario in _scenarios():
            scenario.prepare()
            with recording() as records:
                for n in range(scenario.requests):
                    scenario.request(n)
            charges = Charges(specs)
            for record in records:
                charges.charge(record)
            results.append(Measured(scenario.name, family_loads(charges, scenario.requests)))
    return results


def spread(load: FamilyLoad, workload: Workload) -> int:
    if "{user}" in load.family:
        return workload.users
    if "{shard}" in load.family or "{batch}" in load.family:
        return load.distinct_keys
    return 1


@dataclass(frozen=True)
class HotKey:
    where: str
    family: str
    spread: int
    rcu: float  # per second, on the hottest key of the family
    wcu: float

    @property
    def fraction(self) -> float:
        return max(self.rcu / KEY_RCU_LIMIT, self.wcu / KEY_WCU_LIMIT)


def hot_keys(measured: list[Measured], workload: Workload) -> list[HotKey]:
    by_family: dict[tuple[str, str], tuple[Units, int]] = {}
    for result in measured:
        rate = workload.rates.get(result.scenario, 0.0)
        for load in result.loads:
            units, keys = by_family.setdefault((load.where, load.family), (Units(), 0))
            units.add(load.per_request, rate)
            by_family[(load.where, load.family)] = (units, max(keys, spread(load, workload)))
    return sorted(
        (
            HotKey(where, name, keys, units.rcu / keys, units.wcu / keys)
            for (where, name), (units, keys) in by_family.items()
        ),
        key=lambda hot: -hot.fraction,
    )


def cost_per_million(units: Units) -> float:
    return units.wcu * PRICE_PER_MILLION_WRU + units.rcu * PRICE_PER_MILLION_RRU


def report(measured: list[Measured], workload: Workload = TARGET) -> bool:
    from bench.__main__ import print_table

    rows = []
    for result in measured:
        total = result.total()
        rows.append(
            [
                result.scenario,
                f"{total.rcu:.1f}",
                f"{total.wcu:.1f}",
                "; ".join(
                    f"{load.where.split('/')[-1]} {load.family}"
                    f" ({load.per_request.rcu:g} R / {load.per_request.wcu:g} W,"
                    f" {load.distinct_keys} key{'s' if load.distinct_keys > 1 else ''})"
                    for load in result.loads
                ),
                f"${cost_per_million(total):.2f}",
            ]
        )
    print_table(
        f"Capacity units per request ({SAMPLE_USERS} sample users; keys they touched)",
        [
            "request",
            "RCU",
            "WCU",
            "per key family: units and distinct keys in the sample",
            "$ per 1M",
        ],
        rows,
    )
    hot = hot_keys(measured, workload)
    ok = all(key.fraction <= GOAL for key in hot)
    print_table(
        f"Hottest partition key per family at the {workload.name}",
        [
            "table / index",
            "key family",
            "keys",
            "RCU/s per key",
            "WCU/s per key",
            "of limit",
            "goal <= 50%",
        ],
        [
            [
                k.where,
                k.family,
                f"{k.spread:,}",
                f"{k.rcu:,.1f}",
                f"{k.wcu:,.1f}",
                f"{k.fraction:.1%}",
                "ok" if k.fraction <= GOAL else "MISSED",
            ]
            for k in hot
        ],
    )
    monthly = Units()
    for result in measured:
        monthly.add(result.total(), workload.rates.get(result.scenario, 0.0) * SECONDS_PER_MONTH)
    dollars = cost_per_million(Units(monthly.rcu / 1e6, monthly.wcu / 1e6))
    print(
        f"\nDynamoDB on demand at this workload: {monthly.wcu / 1e9:,.1f} billion WRU and"
        f" {monthly.rcu / 1e9:,.1f} billion RRU a month, about ${dollars:,.0f}/month"
        f" (${PRICE_PER_MILLION_WRU}/M WRU, ${PRICE_PER_MILLION_RRU}/M RRU; storage and"
        f" streams not included). Limits: {KEY_WCU_LIMIT:,} WCU/s and {KEY_RCU_LIMIT:,}"
        " RCU/s per partition key, GSIs alike."
    )
    return ok


def main() -> int:
    prepare_in_process()
    return 0 if report(measure()) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The hot-key measurement over HTTP: every DynamoDB request the local stack makes is
recorded while 240 users each add the same segment, 240 add it with a TTL and 240 read an
automatic segment for the first time. No write or condition check may touch a base-table
partition key that is not the user's own, and each index those paths write must spread
over enough keys for the target workload."""

from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bench.key_load import Charges, family, table_specs
from local_stack.dynamodb_recorder import read_records
from local_stack.template import DEFAULT_TEMPLATE, load_template
from local_stack.testing import RunningStack, running_stack

USERS = 240
# Least distinct keys each index must show for 240 users (docs/benchmarks.md, "Capacity").
LEAST_SPREAD = {
    "HistoryTable/history_by_month": 32,
    "SegmentsTable/members_by_segment_v2": 8,
    "SegmentsTable/memberships_by_expiry": 8,
}
PER_USER_FAMILIES = {"USER#{user}", "{user}"}
# Written by the counts function from the history stream, once per batch and segment, not
# by any request (docs/members.md; their load is in the capacity model).
STREAM_BATCH_FAMILIES = {"SEGCOUNT#{segment}#{shard}", "COUNTBATCH#{batch}"}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, Path]]:
    path = tmp_path_factory.mktemp("records") / "dynamodb.jsonl"
    with running_stack(extra_args=("--record-dynamodb", str(path))) as stack:
        yield stack, path


def _session() -> requests.Session:
    """A caller that retries a 503 after its Retry-After, as the Python client does: a
    loaded machine makes moto slow enough for the service to answer "retry shortly", and
    every call here is idempotent. This test measures keys, not availability."""
    session = requests.Session()
    retry = Retry(total=5, status_forcelist=[503], allowed_methods=None, backoff_factor=0.5)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


def _call(session: requests.Session, method: str, url: str, body: object = None) -> None:
    reply = session.request(method, url, json=body, timeout=30)
    assert reply.status_code in {200, 201}, reply.text


def test_no_per_user_path_shares_a_key_and_indexes_spread(
    recorded: tuple[RunningStack, Path],
) -> None:
    stack, path = recorded
    base = stack.base_url
    session = _session()
    _call(session, "POST", f"{base}/api/segments", {"slug": "ROLLOUT"})
    _call(session, "POST", f"{base}/api/segments", {"slug": "EVERYONE", "percent": 100})
    path.touch()
    before = len(read_records(path))

    def user_requests(n: int) -> None:
        own = _session()
        _call(own, "POST", f"{base}/api/users/{1000 + n}/add_to_segment", ["ROLLOUT"])
        timed = [{"slug": "ROLLOUT", "ttl_seconds": 3600}]
        _call(own, "POST", f"{base}/api/users/{5000 + n}/add_to_segment", timed)
        _call(own, "GET", f"{base}/api/users/{9000 + n}/show_active_segments")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(user_requests, range(USERS)))

    records = read_records(path)[before:]
    charges = Charges(table_specs(load_template(DEFAULT_TEMPLATE)))
    for record in records:
        charges.charge(record)
    written: dict[str, set[str]] = defaultdict(set)
    for (where, key), units in charges.by_key.items():
        if units.wcu:
            written[where].add(key)

    shared = {
        (where, family(key))
        for where, keys in written.items()
        if "/" not in where
        for key in keys
        if family(key) not in PER_USER_FAMILIES | STREAM_BATCH_FAMILIES
    }
    assert shared == set(), stack.output()[-2000:]
    spread = {where: len(written[where]) for where in LEAST_SPREAD}
    assert all(spread[where] >= least for where, least in LEAST_SPREAD.items()), spread

"""The scheduled maintenance run: expiries and deleted segments' members, in bounded
batches, idempotent under crashes, retries and races with the API."""

import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pynamodb.connection import Connection

from local_stack.events import LambdaContext
from segmentation.clock import ONE_MICROSECOND, format_timestamp, parse_timestamp, utc_now
from segmentation.data.history import user_history
from segmentation.data.keys import EXPIRY_INDEX_KEYS
from segmentation.data.maintenance import pending_deletions
from segmentation.data.memberships import user_memberships
from segmentation.data.models import MembershipItem
from segmentation.domain import maintenance, segments
from segmentation.domain.maintenance import run_maintenance
from segmentation.domain.memberships import (
    SegmentGrant,
    active_memberships,
    add_memberships,
    remove_memberships,
)
from segmentation.domain.memberships import changes as membership_changes
from segmentation.domain.memberships.rules import is_active
from segmentation.domain.segments import create_segment, delete_segment
from segmentation.model import HistoryEvent, HistoryOperation, HistoryReason
from tests.support.clock import freeze_membership_clock
from tests.support.handlers import Call, load_function

ROOT = Path(__file__).resolve().parents[2]
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
GRACE = timedelta(seconds=maintenance.SETTINGS.tombstone_grace_seconds)
INSERT, DELETE = HistoryOperation.INSERT, HistoryOperation.DELETE


@pytest.fixture(autouse=True)
def no_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    """Maintenance finds its work through indexes, never by scanning the table."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("maintenance scanned a table")

    monkeypatch.setattr(Connection, "scan", refuse)


def freeze(monkeypatch: pytest.MonkeyPatch, module: Any, moment: datetime) -> None:
    monkeypatch.setattr(module, "utc_now", lambda: moment)


def batch_size(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    settings = dataclasses.replace(maintenance.SETTINGS, maintenance_batch_size=size)
    monkeypatch.setattr(maintenance, "SETTINGS", settings)


def exits(user_id: int) -> list[HistoryEvent]:
    return [e for e in user_history(user_id) if e.operation == DELETE]


def assert_history_matches_state(user_ids: range | list[int], now: datetime) -> None:
    """Per membership: INSERT and DELETE alternate, strictly later each time, and the
    last one says whether the membership is active now."""
    for user_id in user_ids:
        items = {(i.slug, int(i.segment_id)): i for i in user_memberships(user_id)}
        by_membership: dict[tuple[str, int], list[HistoryEvent]] = defaultdict(list)
        for event in user_history(user_id):
            by_membership[(event.slug, event.segment_id)].append(event)
        for key, events in by_membership.items():
            operations = [e.operation for e in events]
            assert operations == [[INSERT, DELETE][i % 2] for i in range(len(events))], key
            times = [e.at for e in events]
            assert times == sorted(set(times)), key
            item = items.get(key)
            assert (operations[-1] == INSERT) == (item is not None and is_active(item, now)), key


def test_deleting_a_segment_records_one_exit_per_member(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_id = create_segment("A").segment_id
    for user_id in range(1, 31):  # more than one batch
        add_memberships(user_id, [SegmentGrant("A")])
    add_memberships(31, [SegmentGrant("A")])
    remove_memberships(31, ["A"])  # left before: no second exit
    expiry = utc_now() + MINUTE
    add_memberships(32, [SegmentGrant("A", expiry)])  # expires before the deletion
    deleted_at = expiry + 10 * SECOND
    add_memberships(33, [SegmentGrant("A", deleted_at + 30 * SECOND)])  # due after it
    add_memberships(34, [SegmentGrant("A", deleted_at + timedelta(days=1))])

    freeze(monkeypatch, segments, deleted_at)
    assert call("delete_segment", "DELETE", "/api/segments/A").status == 200
    # Invisible at once, long before any maintenance.
    freeze_membership_clock(monkeypatch, deleted_at + SECOND)
    assert all(active_memberships(user_id) == [] for user_id in range(1, 35))
    # The recreated slug (once the grace period is over) is a new segment, starts empty.
    freeze(monkeypatch, segments, deleted_at + GRACE + SECOND)
    new_id = create_segment("A").segment_id
    assert new_id != old_id
    assert active_memberships(1) == []
    add_memberships(1, [SegmentGrant("A")])

    now = deleted_at + 2 * MINUTE
    summary = run_maintenance(now=now)
    assert dataclasses.asdict(summary) == {
        "ttl_exits": 1,
        "segment_deleted_exits": 32,
        "memberships_deleted": 34,
        "segments_finished": 1,
        "deferred_batches": 0,
        "complete": True,
    }
    stamp = format_timestamp(deleted_at)
    for user_id in [*range(1, 31), 33, 34]:
        assert [(e.segment_id, e.reason, e.at) for e in exits(user_id)] == [
            (old_id, HistoryReason.SEGMENT_DELETED, stamp)
        ]
    assert [(e.reason, e.at) for e in exits(32)] == [(HistoryReason.TTL, format_timestamp(expiry))]
    assert [e.reason for e in exits(31)] == [HistoryReason.MANUAL]
    assert all(int(i.segment_id) != old_id for u in range(1, 35) for i in user_memberships(u))
    assert pending_deletions() == []
    assert [m.slug for m in active_memberships(1)] == ["A"]  # the new generation's
    assert_history_matches_state(range(1, 35), now)

    again = run_maintenance(now=now + MINUTE)
    assert (again.segment_deleted_exits, again.ttl_exits, again.memberships_deleted) == (0, 0, 0)
    assert len(exits(1)) == 1


def test_the_tombstone_waits_out_the_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    create_segment("A")
    add_memberships(1, [SegmentGrant("A")])
    delete_segment("A")
    deleted_at = parse_timestamp(pending_deletions()[0].deleted_at)

    early = run_maintenance(now=deleted_at + SECOND)
    assert (early.segment_deleted_exits, early.segments_finished) == (1, 0)
    assert len(pending_deletions()) == 1  # the members index may still lag behind

    grace = timedelta(seconds=maintenance.SETTINGS.tombstone_grace_seconds)
    late = run_maintenance(now=deleted_at + grace)
    assert (late.segment_deleted_exits, late.segments_finished) == (0, 1)
    assert pending_deletions() == []
    assert len(exits(1)) == 1


def test_a_run_stops_at_its_time_budget_and_the_next_resumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch_size(monkeypatch, 5)
    create_segment("A")
    for user_id in range(1, 13):
        add_memberships(user_id, [SegmentGrant("A")])
    delete_segment("A")
    now = utc_now() + 2 * MINUTE
    # Enough time left for two batches, then only the reserve.
    time_left = iter([60_000, 60_000, 0])

    first = run_maintenance(time_left_ms=lambda: next(time_left), now=now)
    assert (first.complete, first.segment_deleted_exits, first.segments_finished) == (
        False,
        10,
        0,
    )
    assert sum(len(exits(u)) for u in range(1, 13)) == 10

    second = run_maintenance(now=now)
    assert (second.complete, second.segment_deleted_exits, second.segments_finished) == (
        True,
        2,
        1,
    )
    assert all(len(exits(u)) == 1 for u in range(1, 13))


class Crash(Exception):
    pass


def crash_on_call(
    monkeypatch: pytest.MonkeyPatch, number: int, after_commit: bool
) -> Callable[[], None]:
    """Makes the maintenance's `number`-th transaction fail: before it is sent, or after
    it committed (the reply was lost). Returns the undo."""
    real = maintenance.write_membership_changes
    calls = 0

    def failing(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == number and not after_commit:
            raise Crash
        real(*args, **kwargs)
        if calls == number:
            raise Crash

    monkeypatch.setattr(maintenance, "write_membership_changes", failing)
    return lambda: monkeypatch.setattr(maintenance, "write_membership_changes", real)


@pytest.mark.parametrize("after_commit", [False, True], ids=["before-commit", "after-commit"])
@pytest.mark.parametrize("crash_at", [2, 5])
def test_a_crashed_run_resumes_without_duplicate_or_missing_rows(
    monkeypatch: pytest.MonkeyPatch, crash_at: int, after_commit: bool
) -> None:
    batch_size(monkeypatch, 5)
    create_segment("TIMED")
    create_segment("GONE")
    expiry = utc_now() + MINUTE
    # In turns: expiries (7: two batches) are calls 1 and 3, the deleted segment's
    # members (12: three batches) calls 2, 4 and 5.
    for user_id in range(1, 8):
        add_memberships(user_id, [SegmentGrant("TIMED", expiry)])
    for user_id in range(1, 13):
        add_memberships(user_id, [SegmentGrant("GONE")])
    delete_segment("GONE")
    now = expiry + 5 * MINUTE

    undo = crash_on_call(monkeypatch, crash_at, after_commit)
    with pytest.raises(Crash):
        run_maintenance(now=now)
    undo()
    run_maintenance(now=now)
    assert run_maintenance(now=now + MINUTE) == maintenance.MaintenanceSummary()

    for user_id in range(1, 13):
        reasons = sorted((e.slug, e.reason.value) for e in exits(user_id))
        expected = [("GONE", "segment_deleted")]
        if user_id < 8:
            expected.append(("TIMED", "ttl"))
        assert reasons == expected, user_id
    assert all(
        e.at == format_timestamp(expiry) for u in range(1, 8) for e in exits(u) if e.slug == "TIMED"
    )
    assert pending_deletions() == []
    assert_history_matches_state(range(1, 13), now)


def interleave_once(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, competitor: Callable[[], object]
) -> None:
    """Runs `competitor` right after the first call of `module.name` (a read), so the
    caller plans from a state that is stale by the time it writes."""
    real = getattr(module, name)
    done = False

    def read_then_compete(*args: Any) -> Any:
        nonlocal done
        result = real(*args)
        if not done:
            done = True
            competitor()
        return result

    monkeypatch.setattr(module, name, read_then_compete)


@pytest.mark.parametrize("winner", ["re-add", "maintenance"])
def test_re_add_racing_expiry_processing_keeps_state_and_history_consistent(
    monkeypatch: pytest.MonkeyPatch, winner: str
) -> None:
    create_segment("A")
    expiry = utc_now() + MINUTE
    add_memberships(1, [SegmentGrant("A", expiry)])
    now = expiry + SECOND
    freeze_membership_clock(monkeypatch, now)

    def re_add() -> object:
        return add_memberships(1, [SegmentGrant("A")])

    if winner == "re-add":  # between the maintenance's read and its write
        interleave_once(monkeypatch, maintenance, "read_memberships", re_add)
        summary = run_maintenance(now=now)
    else:  # between the re-add's read and its write
        interleave_once(
            monkeypatch, membership_changes, "user_memberships", lambda: run_maintenance(now=now)
        )
        re_add()
        summary = run_maintenance(now=now)
    assert summary.ttl_exits == 0  # whoever won recorded the exit once
    events = [(e.operation, e.reason, e.at) for e in user_history(1)]
    assert events[1:] == [
        (DELETE, HistoryReason.TTL, format_timestamp(expiry)),
        (INSERT, HistoryReason.MANUAL, format_timestamp(now)),
    ]
    assert [m.slug for m in active_memberships(1)] == ["A"]
    assert_history_matches_state([1], now)


def test_segment_deleted_while_its_expiry_is_processed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run read the catalogue before the deletion: the membership had expired
    before the deletion (the run only expires what was due when it started), so its exit
    is the expiry; the next run deletes the removed item without a second row."""
    create_segment("A")
    expiry = utc_now() + MINUTE
    add_memberships(1, [SegmentGrant("A", expiry)])
    run_at = expiry + MINUTE
    freeze(monkeypatch, segments, run_at + SECOND)
    interleave_once(monkeypatch, maintenance, "read_memberships", lambda: delete_segment("A"))
    first = run_maintenance(now=run_at)
    assert [(e.reason, e.at) for e in exits(1)] == [(HistoryReason.TTL, format_timestamp(expiry))]
    assert (first.ttl_exits, first.memberships_deleted) == (1, 0)

    second = run_maintenance(now=run_at + GRACE + SECOND)
    assert (second.ttl_exits, second.segment_deleted_exits) == (0, 0)
    assert (second.memberships_deleted, second.segments_finished) == (1, 1)
    assert len(exits(1)) == 1
    assert user_memberships(1) == []


def test_an_exit_never_precedes_the_entry_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deletion stamped before an add that committed just ahead of it: the exit goes
    right after the entry, so the member's history stays in order."""
    create_segment("A")
    add_memberships(1, [SegmentGrant("A")])
    joined = parse_timestamp(user_history(1)[0].at)
    freeze(monkeypatch, segments, joined - SECOND)
    delete_segment("A")
    run_maintenance(now=joined + 5 * MINUTE)
    assert [e.at for e in exits(1)] == [format_timestamp(joined + ONE_MICROSECOND)]
    assert_history_matches_state([1], joined + 5 * MINUTE)


def test_expired_memberships_of_live_segments_only_leave_the_expiry_index() -> None:
    create_segment("A")
    expiry = utc_now() + MINUTE
    for user_id in range(1, 10):  # spread over every expiry shard
        add_memberships(user_id, [SegmentGrant("A", expiry)])
    add_memberships(10, [SegmentGrant("A", expiry + MINUTE)])
    summary = run_maintenance(now=expiry)
    assert summary.ttl_exits == 9
    due = [
        item
        for shard in EXPIRY_INDEX_KEYS
        for item in MembershipItem.memberships_by_expiry.query(shard)
    ]
    assert [(item.pk, item.expires_at) for item in due] == [
        ("USER#10", format_timestamp(expiry + MINUTE))
    ]
    assert all(not is_active(user_memberships(u)[0], expiry) for u in range(1, 10))


def test_the_scheduled_handler_runs_on_its_sample_event(monkeypatch: pytest.MonkeyPatch) -> None:
    create_segment("A")
    create_segment("B")
    expiry = utc_now() + MINUTE
    add_memberships(1, [SegmentGrant("A", expiry), SegmentGrant("B")])
    delete_segment("B")
    freeze(monkeypatch, maintenance, expiry + MINUTE)  # past the tombstone's grace too
    event = json.loads((ROOT / "events" / "maintenance.json").read_text())
    handler = load_function("maintenance").lambda_handler
    reply = handler(event, LambdaContext("MaintenanceFunction", 512, 55))
    assert reply == {
        "ttl_exits": 1,
        "segment_deleted_exits": 1,
        "memberships_deleted": 1,
        "segments_finished": 1,
        "deferred_batches": 0,
        "complete": True,
    }


def test_a_run_without_time_left_does_nothing() -> None:
    create_segment("A")
    add_memberships(1, [SegmentGrant("A")])
    delete_segment("A")
    summary = run_maintenance(time_left_ms=lambda: 1000, now=utc_now() + MINUTE)
    assert (summary.complete, summary.segment_deleted_exits) == (False, 0)
    assert exits(1) == []

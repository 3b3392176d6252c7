"""Every maintenance run moves every kind of work forward, whatever the backlog and mix:
a run with a tiny budget against a backlog many times larger still finishes the work in
a bounded number of runs, with exactly one history row per event."""

import dataclasses
import math
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.history import user_history
from segmentation.data.maintenance import pending_deletions
from segmentation.domain import maintenance, segments
from segmentation.domain.maintenance import MaintenanceSummary, run_maintenance
from segmentation.domain.memberships import SegmentGrant, add_memberships
from segmentation.domain.segments import create_segment, delete_segment
from segmentation.model import HistoryOperation, HistoryReason

BATCH = 5
UNITS_PER_RUN = 2  # batches (or tombstone checks) one run may do


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = dataclasses.replace(maintenance.SETTINGS, maintenance_batch_size=BATCH)
    monkeypatch.setattr(maintenance, "SETTINGS", settings)


def tiny_budget() -> Callable[[], int]:
    """Time for UNITS_PER_RUN units of work, then only the reserve."""
    left = iter([60_000] * UNITS_PER_RUN)
    return lambda: next(left, 0)


def run_until_done(now: datetime, max_runs: int) -> list[MaintenanceSummary]:
    runs: list[MaintenanceSummary] = []
    while not runs or not (runs[-1].complete and pending_deletions() == []):
        assert len(runs) < max_runs, f"not done after {max_runs} runs: {runs[-1]}"
        runs.append(run_maintenance(time_left_ms=tiny_budget(), now=now))
    return runs


def exits(user_id: int) -> list[tuple[str, HistoryReason, str]]:
    return [
        (e.slug, e.reason, e.at)
        for e in user_history(user_id)
        if e.operation == HistoryOperation.DELETE
    ]


def delete_at(monkeypatch: pytest.MonkeyPatch, slug: str, moment: datetime) -> None:
    real_clock = segments.utc_now
    monkeypatch.setattr(segments, "utc_now", lambda: moment)
    delete_segment(slug)
    monkeypatch.setattr(segments, "utc_now", real_clock)


def test_due_members_of_a_deleted_segment_never_stall_the_expiry_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given 40 memberships of a deleted segment whose expiry is due (eight batches), and
    # one live user whose membership of another segment expired
    start = utc_now()
    create_segment("GONE")
    create_segment("LIVE")
    expiry = start + timedelta(minutes=1)
    for user_id in range(1, 41):
        add_memberships(user_id, [SegmentGrant("GONE", expiry)])
    add_memberships(100, [SegmentGrant("LIVE", expiry)])
    deletion = expiry + timedelta(minutes=1)
    delete_at(monkeypatch, "GONE", deletion)
    now = deletion + timedelta(minutes=2)

    # When maintenance runs with a budget of two units a run
    first = run_maintenance(time_left_ms=tiny_budget(), now=now)
    # Then the first run already settles some of them (they leave the expiry index),
    # and everything, the live exit included, is done within a bounded number of runs
    assert first.ttl_exits + first.memberships_deleted > 0
    run_until_done(now, max_runs=math.ceil(41 / BATCH / UNITS_PER_RUN) + 3)
    assert exits(100) == [("LIVE", HistoryReason.TTL, format_timestamp(expiry))]
    for user_id in range(1, 41):  # they had expired before the deletion
        assert exits(user_id) == [("GONE", HistoryReason.TTL, format_timestamp(expiry))]


@pytest.mark.parametrize(
    ("expiring", "deleted_members", "deletions"),
    [(30, 0, 0), (0, 30, 1), (30, 30, 1), (5, 40, 3), (40, 5, 2)],
)
def test_every_kind_of_work_finishes_in_bounded_runs(
    monkeypatch: pytest.MonkeyPatch, expiring: int, deleted_members: int, deletions: int
) -> None:
    start = utc_now()
    expiry = start + timedelta(minutes=1)
    create_segment("LIVE")
    for user_id in range(1, expiring + 1):
        add_memberships(user_id, [SegmentGrant("LIVE", expiry)])
    doomed = [f"D{n}" for n in range(deletions)]
    for slug in doomed:
        create_segment(slug)
    members = range(1000, 1000 + deleted_members)
    for n, user_id in enumerate(members):
        # Some members of deleted segments expire later than the deletion: their expiry
        # entries point at deleted generations too.
        later = expiry + timedelta(days=1) if n % 2 else None
        add_memberships(user_id, [SegmentGrant(doomed[n % deletions], later)])
    deletion = expiry + timedelta(minutes=1)
    for slug in doomed:
        delete_at(monkeypatch, slug, deletion)
    now = deletion + timedelta(days=2)  # past every expiry and the grace period

    batches = math.ceil(expiring / BATCH) + math.ceil(deleted_members / BATCH) + deletions
    runs = run_until_done(now, max_runs=math.ceil(batches / UNITS_PER_RUN) + deletions + 3)

    if expiring and (deleted_members or deletions):
        # Each kind moved in the first run, whatever the backlog of the others.
        assert runs[0].ttl_exits > 0
        assert runs[0].segment_deleted_exits > 0 or not deleted_members
    for user_id in range(1, expiring + 1):
        assert exits(user_id) == [("LIVE", HistoryReason.TTL, format_timestamp(expiry))]
    for n, user_id in enumerate(members):
        assert exits(user_id) == [
            (doomed[n % deletions], HistoryReason.SEGMENT_DELETED, format_timestamp(deletion))
        ]
    assert pending_deletions() == []
    for slug in doomed:  # their slugs are free again
        create_segment(slug)


def test_a_deferred_batch_leaves_the_run_incomplete_and_the_watermark_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from segmentation.data.aws_errors import WriteConflict
    from segmentation.data.history_watermark import history_final_before
    from segmentation.domain import retry

    create_segment("LIVE")
    expiry = utc_now() + timedelta(minutes=1)
    add_memberships(1, [SegmentGrant("LIVE", expiry)])

    def always_conflicting(*args: object, **kwargs: object) -> None:
        raise WriteConflict

    monkeypatch.setattr(maintenance, "write_membership_changes", always_conflicting)
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    summary = run_maintenance(now=expiry + timedelta(minutes=10))
    assert (summary.deferred_batches, summary.complete) == (1, False)
    assert history_final_before() is None  # its exit is not written: no month may close

"""Optimistic concurrency: a change planned from a state that another call has since
changed is rejected by its transaction conditions, re-read and re-planned."""

from datetime import timedelta

import pytest

from segmentation.clock import utc_now
from segmentation.data.history import user_history
from segmentation.domain import retry
from segmentation.domain.maintenance import run_maintenance
from segmentation.domain.memberships import (
    SegmentGrant,
    active_memberships,
    add_memberships,
    change_memberships,
    remove_memberships,
)
from segmentation.domain.segments import create_segment, delete_segment
from segmentation.errors import ConcurrentModification, SegmentAlreadyExists
from segmentation.settings import SETTINGS
from tests.support.interleave import interleave


def operations(user_id: int, slug: str) -> list[str]:
    return [e.operation.value for e in user_history(user_id) if e.slug == slug]


def test_a_remove_planned_from_a_stale_read_is_replanned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_segment("A")
    add_memberships(1, [SegmentGrant("A")])

    def remove_and_readd() -> None:
        remove_memberships(1, ["A"])
        add_memberships(1, [SegmentGrant("A")])

    # Our remove plans from the first membership; by the time it writes, that one has
    # ended and a new one begun, so its conditions fail and it re-plans on a fresh read.
    reads = interleave(monkeypatch, remove_and_readd)
    result = remove_memberships(1, ["A"])
    assert len(reads) == 2
    assert result.removed == ["A"]
    assert active_memberships(1) == []
    assert operations(1, "A") == ["INSERT", "DELETE", "INSERT", "DELETE"]


def test_two_adds_racing_record_one_insert(monkeypatch: pytest.MonkeyPatch) -> None:
    create_segment("A")
    interleave(monkeypatch, lambda: add_memberships(1, [SegmentGrant("A")]))
    result = add_memberships(1, [SegmentGrant("A")])
    assert result.added == []  # the competitor added it first
    assert operations(1, "A") == ["INSERT"]


def test_an_add_racing_a_deletion_is_hidden_then_settled_by_maintenance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a change planned while B existed, and B deleted before it commits
    create_segment("A")
    b_id = create_segment("B").segment_id
    deletion = utc_now()
    interleave(monkeypatch, lambda: delete_segment("B"))
    # When it commits (no item of B is checked on a user's path)
    change_memberships(1, [SegmentGrant("A"), SegmentGrant("B")], [])
    # Then reads never show B, and B's slug cannot name a new segment meanwhile
    assert [m.slug for m in active_memberships(1)] == ["A"]
    with pytest.raises(SegmentAlreadyExists):
        create_segment("B")
    # And after the grace period maintenance records B's exit once, after its entry
    grace = timedelta(seconds=SETTINGS.tombstone_grace_seconds)
    run_maintenance(now=deletion + grace + timedelta(seconds=1))
    rows = [(e.slug, e.segment_id, e.operation.value) for e in user_history(1)]
    assert sorted(rows) == [("A", 1, "INSERT"), ("B", b_id, "DELETE"), ("B", b_id, "INSERT")]
    b_rows = [e for e in user_history(1) if e.slug == "B"]
    assert [e.operation.value for e in b_rows] == ["INSERT", "DELETE"]
    assert [m.slug for m in active_memberships(1)] == ["A"]
    assert create_segment("B").segment_id != b_id  # cleanup finished: the slug is free


def test_endless_contention_gives_up_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    create_segment("A")
    add_memberships(1, [SegmentGrant("A")])
    later = iter(range(1, 10_000))

    def move_expiry() -> None:  # a version bump that keeps the user in the segment
        add_memberships(1, [SegmentGrant("A", utc_now() + timedelta(hours=1, seconds=next(later)))])

    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    interleave(monkeypatch, move_expiry, times=10_000)
    with pytest.raises(ConcurrentModification):
        remove_memberships(1, ["A"])
    assert operations(1, "A") == ["INSERT"]
    assert [m.slug for m in active_memberships(1)] == ["A"]


def test_a_ramp_racing_first_reads_records_each_exposure_once() -> None:
    from dataclasses import replace

    from segmentation.data.segments import get_segment, update_segment
    from segmentation.domain.catalogue import CATALOGUE

    # Given a 100% automatic segment this container has cached
    create_segment("RAMP", percent_buckets=10_000)
    CATALOGUE.segments(fresh=True)
    # When another container lowers it to 0% and this one still reads with 100%
    segment = get_segment("RAMP")
    assert segment is not None
    update_segment(segment, replace(segment, percent_buckets=0))
    assert [m.slug for m in active_memberships(1)] == ["RAMP"]
    # Then the exposure it handed out is recorded once and kept (a lowered share never
    # takes the segment back), and once caught up, new users no longer get it
    CATALOGUE.invalidate()
    assert [m.slug for m in active_memberships(1)] == ["RAMP"]
    assert active_memberships(2) == []
    assert [(e.operation.value, e.reason.value) for e in user_history(1)] == [("INSERT", "auto")]
    assert user_history(2) == []

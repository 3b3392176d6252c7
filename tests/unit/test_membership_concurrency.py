"""Optimistic concurrency: a change planned from a state that another call has since
changed is rejected by its transaction conditions, re-read and re-planned."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from segmentation.clock import utc_now
from segmentation.data import memberships as membership_data
from segmentation.data.history import user_history
from segmentation.data.models import MembershipItem
from segmentation.domain import memberships
from segmentation.domain.memberships import (
    SegmentGrant,
    active_memberships,
    add_memberships,
    change_memberships,
    remove_memberships,
)
from segmentation.domain.segments import create_segment
from segmentation.errors import ConcurrentModification


def interleave(
    monkeypatch: pytest.MonkeyPatch, competitor: Callable[[], object], times: int = 1
) -> list[int]:
    """Runs `competitor` right after the next `times` reads of a user's memberships, so
    the reader plans from a state that is stale by the time it writes."""
    real_read = membership_data.user_memberships
    reads: list[int] = []
    competing = False

    def read_then_compete(user_id: int) -> list[MembershipItem]:
        nonlocal competing
        items = real_read(user_id)
        if competing:  # the competitor's own reads are plain
            return items
        reads.append(user_id)
        if len(reads) <= times:
            competing = True
            try:
                competitor()
            finally:
                competing = False
        return items

    monkeypatch.setattr(memberships, "user_memberships", read_then_compete)
    return reads


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


def test_a_segment_deleted_mid_change_rejects_it_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from segmentation.domain.segments import delete_segment
    from segmentation.errors import SegmentNotFound

    create_segment("A")
    create_segment("B")
    interleave(monkeypatch, lambda: delete_segment("B"))
    with pytest.raises(SegmentNotFound):
        change_memberships(1, [SegmentGrant("A"), SegmentGrant("B")], [])
    assert user_history(1) == []


def test_endless_contention_gives_up_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    create_segment("A")
    add_memberships(1, [SegmentGrant("A")])
    later = iter(range(1, 10_000))

    def move_expiry() -> None:  # a version bump that keeps the user in the segment
        add_memberships(1, [SegmentGrant("A", utc_now() + timedelta(hours=1, seconds=next(later)))])

    monkeypatch.setattr(memberships.time, "sleep", lambda seconds: None)
    interleave(monkeypatch, move_expiry, times=10_000)
    with pytest.raises(ConcurrentModification):
        remove_memberships(1, ["A"])
    assert operations(1, "A") == ["INSERT"]
    assert [m.slug for m in active_memberships(1)] == ["A"]

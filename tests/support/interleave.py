"""Making a caller plan from a stale read: a competitor runs right after the read."""

from collections.abc import Callable

import pytest

from segmentation.data import memberships as membership_data
from segmentation.domain.memberships import changes as membership_changes
from segmentation.domain.memberships import reads as membership_reads
from segmentation.model import Membership


def interleave(
    monkeypatch: pytest.MonkeyPatch, competitor: Callable[[], object], times: int = 1
) -> list[int]:
    """Runs `competitor` right after each of the next `times` reads of a user's
    memberships (by the write or the read path), so the reader plans from a state that is
    stale by the time it writes. Returns the users whose reads were interleaved."""
    real_read = membership_data.user_memberships
    reads: list[int] = []
    competing = False

    def read_then_compete(user_id: int) -> list[Membership]:
        nonlocal competing
        stored = real_read(user_id)
        if competing:  # the competitor's own reads are plain
            return stored
        reads.append(user_id)
        if len(reads) <= times:
            competing = True
            try:
                competitor()
            finally:
                competing = False
        return stored

    monkeypatch.setattr(membership_changes, "user_memberships", read_then_compete)
    monkeypatch.setattr(membership_reads, "user_memberships", read_then_compete)
    return reads

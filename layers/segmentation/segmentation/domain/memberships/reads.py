"""The read path: a user's active segments, recording first exposures on the way.

Automatic segments come from the cached catalogue: a steady-state read is one query,
whatever the number of automatic segments. Without a stored membership the percentage
decides, and the first read that hands the segment out stores an `auto` membership,
which keeps it for the user whatever later happens to the percentage.
"""

from dataclasses import dataclass
from datetime import datetime

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.memberships import user_memberships, write_membership_changes
from segmentation.domain.bucketing import takes_by_share
from segmentation.domain.catalogue import CATALOGUE
from segmentation.domain.memberships.rules import exposure, is_active
from segmentation.domain.retry import retry_on_conflict
from segmentation.model import Membership, MembershipChange, Segment

# Recording first exposures costs two transaction items per segment (membership, history
# row) plus the user's profile: 25 stay far under the 100-item cap.
EXPOSURES_PER_TRANSACTION = 25


@dataclass(frozen=True)
class ActiveMembership:
    slug: str
    added_at: str
    expires_at: str | None
    source: str


def _unrecorded_shares(
    user_id: int, stored: list[Membership], segments: dict[str, Segment]
) -> list[Segment]:
    """Automatic segments whose percentage gives the user the segment while no stored
    membership decides it yet: the user's first exposure, to be recorded before it is
    shown."""
    decided = {membership.generation for membership in stored}
    return sorted(
        (
            segment
            for segment in segments.values()
            if (segment.slug, segment.segment_id) not in decided
            and takes_by_share(segment, user_id)
        ),
        key=lambda segment: segment.slug,
    )


def _record_exposures(user_id: int, shares: list[Segment], now: datetime) -> list[Membership]:
    """Stores an `auto` membership and its INSERT row per segment, each on condition
    that it is not stored yet: of concurrent first reads exactly one records it, the
    others get WriteConflict, re-read, and find the same answer stored. No item of the
    segment itself is touched: concurrent first reads of different users never conflict
    (a deletion racing this is caught by maintenance, docs/data-model.md)."""
    at = format_timestamp(now)
    recorded: list[Membership] = []
    for start in range(0, len(shares), EXPOSURES_PER_TRANSACTION):
        exposures = [
            exposure(user_id, segment, at)
            for segment in shares[start : start + EXPOSURES_PER_TRANSACTION]
        ]
        write_membership_changes(
            [MembershipChange(membership) for membership, _ in exposures],
            [event for _, event in exposures],
            seen_at=at,
        )
        recorded.extend(membership for membership, _ in exposures)
    return recorded


def _shown(
    stored: list[Membership], segments: dict[str, Segment], now: datetime
) -> list[ActiveMembership]:
    return sorted(
        (
            ActiveMembership(m.slug, m.added_at, m.expires_at, m.source.value)
            for m in stored
            if is_active(m, now)
            and m.slug in segments
            and segments[m.slug].segment_id == m.segment_id
        ),
        key=lambda membership: membership.slug,
    )


def active_memberships(user_id: int) -> list[ActiveMembership]:
    """The user's segments right now, sorted by slug; expired ones and those of deleted
    segments never show, whether or not cleanup has removed them yet. Only a first
    exposure adds a (conditional) write to the read."""

    def attempt() -> list[ActiveMembership]:
        stored = user_memberships(user_id)
        now = utc_now()
        live = [m for m in stored if is_active(m, now)]
        segments = CATALOGUE.segments_with({m.generation for m in live})
        shares = _unrecorded_shares(user_id, stored, segments)
        if shares:  # a concurrent read may record it first: then re-read its record
            stored = stored + _record_exposures(user_id, shares, now)
        return _shown(stored, segments, now)

    return retry_on_conflict(attempt)

"""The state rules of one membership, written once for the API and for maintenance.

A stored membership decides: active and not expired is in; removed or expired is out
(an explicit exclusion beats an explicit membership, which beats the percentage of an
automatic segment). Every transition returns the membership as it is to be stored and
the history rows it implies; the data layer writes both together or neither.
"""

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from segmentation.clock import ONE_MICROSECOND, format_timestamp, parse_timestamp
from segmentation.domain.bucketing import takes_by_share
from segmentation.model import (
    HistoryEvent,
    HistoryOperation,
    HistoryReason,
    Membership,
    MembershipSource,
    MembershipState,
    Segment,
)


class MembershipStatus(Protocol):
    """What decides whether a membership is in: a stored membership, or an index row."""

    @property
    def state(self) -> MembershipState: ...

    @property
    def expires_at(self) -> str | None: ...


def is_active(membership: MembershipStatus, now: datetime) -> bool:
    """Active and not expired: reads are exact whether or not cleanup has run."""
    if membership.state != MembershipState.ACTIVE:
        return False
    return membership.expires_at is None or parse_timestamp(membership.expires_at) > now


def next_change_time(membership: Membership | None, now: datetime) -> datetime:
    """Strictly after the membership's last change, so its history rows sort in causal
    order even when containers' clocks disagree by a little."""
    if membership is None:
        return now
    last = parse_timestamp(membership.changed_at)
    if membership.state == MembershipState.ACTIVE and membership.expires_at is not None:
        expired_at = parse_timestamp(membership.expires_at)
        if expired_at <= now:  # its unrecorded ttl DELETE row comes first, never same key
            last = max(last, expired_at)
    return max(now, last + ONE_MICROSECOND)


def membership_event(
    membership: Membership, operation: HistoryOperation, reason: HistoryReason, at: str
) -> HistoryEvent:
    return HistoryEvent(
        membership.user_id, membership.slug, membership.segment_id, operation, reason, at
    )


def new_membership(
    user_id: int,
    segment: Segment,
    state: MembershipState,
    source: MembershipSource,
    at: str,
    replacing: Membership | None = None,
) -> Membership:
    """A fresh membership; `replacing`: the stored one of the same generation it replaces."""
    return Membership(
        user_id=user_id,
        slug=segment.slug,
        segment_id=segment.segment_id,
        state=state,
        source=source,
        added_at=at,
        changed_at=at,
        stored=None if replacing is None else replacing.stored,
    )


def exposure(user_id: int, segment: Segment, at: str) -> tuple[Membership, HistoryEvent]:
    """A first read that the percentage gives the segment: an `auto` membership and its
    INSERT row, recorded before the segment is shown."""
    exposed = new_membership(user_id, segment, MembershipState.ACTIVE, MembershipSource.AUTO, at)
    return exposed, membership_event(exposed, HistoryOperation.INSERT, HistoryReason.AUTO, at)


def unrecorded_expiry(membership: Membership) -> list[HistoryEvent]:
    """The ttl exit of an active membership that expired before cleanup recorded it,
    stamped with its exact expiry (call only once it has expired)."""
    if membership.state != MembershipState.ACTIVE or membership.expires_at is None:
        return []
    return [
        membership_event(
            membership, HistoryOperation.DELETE, HistoryReason.TTL, membership.expires_at
        )
    ]


def removed(membership: Membership, at: str) -> Membership:
    """The membership as every removal leaves it: `removed` since `at`, no expiry."""
    return replace(membership, state=MembershipState.REMOVED, changed_at=at, expires_at=None)


def exclusion(
    user_id: int, segment: Segment, now: datetime
) -> tuple[Membership, list[HistoryEvent]]:
    """An explicit removal from an automatic segment that no stored membership decides
    yet. A user the percentage puts in had the segment: the history shows the entry
    (auto) and the exit (manual), so it never has an exit without an entry."""
    if not takes_by_share(segment, user_id):
        at = format_timestamp(now)
        state, source = MembershipState.REMOVED, MembershipSource.MANUAL
        return new_membership(user_id, segment, state, source, at), []
    left = format_timestamp(now + ONE_MICROSECOND)
    entered, entry = exposure(user_id, segment, format_timestamp(now))
    return removed(entered, left), [
        entry,
        membership_event(entered, HistoryOperation.DELETE, HistoryReason.MANUAL, left),
    ]

"""Adding and removing a user's segments, and reading the active ones.

Every change is planned from the user's membership items as read, then written in one
transaction that holds only if nothing changed since (optimistic concurrency): state
and history land together or not at all, and a conflicting call re-reads and re-plans.

Precedence for one user and segment: a stored membership item decides (active and not
expired: in; removed or expired: out, for good), so an explicit exclusion beats an
explicit membership, which beats the percentage of an automatic segment. Without an
item the percentage decides, and the first read that hands the segment out stores an
`auto` membership, which keeps it for the user whatever later happens to the percentage.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from segmentation.clock import ONE_MICROSECOND, format_timestamp, parse_timestamp, utc_now
from segmentation.data.history import HistoryEvent, HistoryOperation, HistoryReason
from segmentation.data.memberships import (
    MembershipWrite,
    copy_membership,
    new_membership_item,
    set_expiry,
    user_memberships,
    write_membership_changes,
)
from segmentation.data.models import MembershipItem
from segmentation.domain.catalogue import CATALOGUE, Segment
from segmentation.domain.retry import retry_on_conflict
from segmentation.errors import InvalidRequest, SegmentNotFound
from segmentation.settings import SETTINGS

# Recording first exposures costs two transaction items per segment (membership, history
# row) plus the user's profile: 25 stay far under the 100-item cap.
EXPOSURES_PER_TRANSACTION = 25


class MembershipState(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"  # also an explicit exclusion


class MembershipSource(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"


@dataclass(frozen=True)
class SegmentGrant:
    """One element of an add list: a slug, optionally with the time the user leaves it."""

    slug: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ChangeResult:
    added: list[str]
    removed: list[str]


@dataclass(frozen=True)
class ActiveMembership:
    slug: str
    added_at: str
    expires_at: str | None
    source: str


@dataclass
class _Plan:
    writes: list[MembershipWrite] = field(default_factory=list)
    events: list[HistoryEvent] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def is_active(item: MembershipItem, now: datetime) -> bool:
    """Active and not expired: reads are exact whether or not cleanup has run."""
    if item.state != MembershipState.ACTIVE:
        return False
    return item.expires_at is None or parse_timestamp(item.expires_at) > now


def _next_change_time(item: MembershipItem | None, now: datetime) -> datetime:
    """Strictly after the item's last change, so its history rows sort in causal order
    even when containers' clocks disagree by a little."""
    if item is None:
        return now
    last = parse_timestamp(item.changed_at)
    if item.state == MembershipState.ACTIVE and item.expires_at is not None:
        expired_at = parse_timestamp(item.expires_at)
        if expired_at <= now:  # its unrecorded ttl DELETE row comes first, never same key
            last = max(last, expired_at)
    return max(now, last + ONE_MICROSECOND)


def membership_event(
    item: MembershipItem, operation: HistoryOperation, reason: HistoryReason, at: str
) -> HistoryEvent:
    return HistoryEvent(int(item.user_id), item.slug, int(item.segment_id), operation, reason, at)


def _plan_changes(
    user_id: int,
    grants: Sequence[SegmentGrant],
    removals: Sequence[str],
    segments: dict[str, Segment],
    items: list[MembershipItem],
    now: datetime,
) -> _Plan:
    current = {(item.slug, int(item.segment_id)): item for item in items}
    plan = _Plan()

    def write(item: MembershipItem, previous: MembershipItem | None) -> None:
        expected = None if previous is None else int(previous.version)
        item.version = 1 if expected is None else expected + 1
        plan.writes.append(MembershipWrite(item, expected))

    def record_expiry(item: MembershipItem) -> None:
        # Expired but not yet cleaned up: record the exit at its exact time first.
        if item.state == MembershipState.ACTIVE and item.expires_at is not None:
            plan.events.append(
                membership_event(item, HistoryOperation.DELETE, HistoryReason.TTL, item.expires_at)
            )

    for grant in grants:
        segment = segments[grant.slug]
        previous = current.get((grant.slug, segment.segment_id))
        expires_at = None if grant.expires_at is None else format_timestamp(grant.expires_at)
        if previous is not None and is_active(previous, now):
            if previous.expires_at != expires_at:  # re-adding moves the expiry, no new row
                moved = copy_membership(previous)
                set_expiry(moved, expires_at)
                write(moved, previous)
            continue
        at = format_timestamp(_next_change_time(previous, now))
        if expires_at is not None and expires_at <= at:  # it became past while we retried
            raise InvalidRequest(f"expiry of {grant.slug} is not in the future")
        if previous is not None:
            record_expiry(previous)
        item = _new_membership(
            user_id, segment, MembershipState.ACTIVE, MembershipSource.MANUAL, at
        )
        set_expiry(item, expires_at)
        write(item, previous)
        plan.events.append(
            membership_event(item, HistoryOperation.INSERT, HistoryReason.MANUAL, at)
        )
        plan.added.append(grant.slug)

    for slug in removals:
        segment = segments[slug]
        previous = current.get((slug, segment.segment_id))
        if previous is None and segment.is_automatic:
            # The percentage alone decides so far: store an exclusion, which later reads
            # (and later percentage raises) honour, and record the exit if it had it.
            excluded, events = _exclusion(user_id, segment, now)
            write(excluded, None)
            plan.events.extend(events)
            if events:
                plan.removed.append(slug)
            continue
        if previous is None or previous.state != MembershipState.ACTIVE:
            continue
        removed = copy_membership(previous)
        removed.state = MembershipState.REMOVED.value
        if is_active(previous, now):
            at = format_timestamp(_next_change_time(previous, now))
            plan.events.append(
                membership_event(previous, HistoryOperation.DELETE, HistoryReason.MANUAL, at)
            )
            plan.removed.append(slug)
        else:
            record_expiry(previous)
            at = str(previous.expires_at)
        removed.changed_at = at
        set_expiry(removed, None)
        write(removed, previous)
    return plan


def _new_membership(
    user_id: int, segment: Segment, state: MembershipState, source: MembershipSource, at: str
) -> MembershipItem:
    return new_membership_item(
        user_id, segment.slug, segment.segment_id, state.value, source.value, at
    )


def _exclusion(
    user_id: int, segment: Segment, now: datetime
) -> tuple[MembershipItem, list[HistoryEvent]]:
    """An explicit removal from an automatic segment that no stored item decides yet.
    A user the percentage puts in had the segment: the history shows the entry (auto)
    and the exit (manual), so it never has an exit without an entry."""
    if not segment.takes_by_share(user_id):
        at = format_timestamp(now)
        return _new_membership(
            user_id, segment, MembershipState.REMOVED, MembershipSource.MANUAL, at
        ), []
    joined, left = format_timestamp(now), format_timestamp(now + ONE_MICROSECOND)
    item = _new_membership(user_id, segment, MembershipState.REMOVED, MembershipSource.AUTO, joined)
    item.changed_at = left
    return item, [
        membership_event(item, HistoryOperation.INSERT, HistoryReason.AUTO, joined),
        membership_event(item, HistoryOperation.DELETE, HistoryReason.MANUAL, left),
    ]


def _validate(grants: Sequence[SegmentGrant], removals: Sequence[str], now: datetime) -> None:
    both = {grant.slug for grant in grants} & set(removals)
    if both:
        raise InvalidRequest(f"segment(s) both added and removed: {', '.join(sorted(both))}")
    if len(grants) + len(removals) > SETTINGS.max_slugs_per_request:
        raise InvalidRequest(
            f"at most {SETTINGS.max_slugs_per_request} segments per request,"
            f" got {len(grants) + len(removals)}"
        )
    for grant in grants:
        if grant.expires_at is not None and grant.expires_at <= now:
            raise InvalidRequest(f"expiry of {grant.slug} is not in the future")


def _dedupe_grants(grants: Sequence[SegmentGrant]) -> list[SegmentGrant]:
    by_slug: dict[str, SegmentGrant] = {}
    for grant in grants:
        if grant.slug in by_slug and by_slug[grant.slug] != grant:
            raise InvalidRequest(f"segment {grant.slug} is listed twice with different expiries")
        by_slug[grant.slug] = grant
    return list(by_slug.values())


def change_memberships(
    user_id: int, grants: Sequence[SegmentGrant], removals: Sequence[str]
) -> ChangeResult:
    """Adds and removes segments in one atomic change; unknown segments reject it whole."""
    grants = _dedupe_grants(grants)
    removals = list(dict.fromkeys(removals))
    _validate(grants, removals, utc_now())
    slugs = [grant.slug for grant in grants] + removals

    def attempt() -> ChangeResult:
        segments, unknown = CATALOGUE.resolve(slugs)
        if unknown:
            raise SegmentNotFound(unknown)
        now = utc_now()
        plan = _plan_changes(user_id, grants, removals, segments, user_memberships(user_id), now)
        if plan.writes:
            write_membership_changes(plan.writes, plan.events, seen_at=format_timestamp(now))
        return ChangeResult(added=sorted(plan.added), removed=sorted(plan.removed))

    return retry_on_conflict(attempt)


def add_memberships(user_id: int, grants: Sequence[SegmentGrant]) -> ChangeResult:
    return change_memberships(user_id, grants, [])


def remove_memberships(user_id: int, slugs: Sequence[str]) -> ChangeResult:
    return change_memberships(user_id, [], slugs)


def _unrecorded_shares(
    user_id: int, items: list[MembershipItem], segments: dict[str, Segment]
) -> list[Segment]:
    """Automatic segments whose percentage gives the user the segment while no stored
    item decides it yet: the user's first exposure, to be recorded before it is shown."""
    decided = {(item.slug, int(item.segment_id)) for item in items}
    return sorted(
        (
            segment
            for segment in segments.values()
            if (segment.slug, segment.segment_id) not in decided and segment.takes_by_share(user_id)
        ),
        key=lambda segment: segment.slug,
    )


def _record_exposures(user_id: int, shares: list[Segment], now: datetime) -> list[MembershipItem]:
    """Stores an `auto` membership and its INSERT row per segment, each membership on
    condition that it does not exist yet: of concurrent first reads exactly one records
    it, the others get WriteConflict, re-read, and find the same answer stored. No item
    of the segment itself is touched: concurrent first reads of different users never
    conflict (a deletion racing this is caught by maintenance, README)."""
    at = format_timestamp(now)
    recorded: list[MembershipItem] = []
    for start in range(0, len(shares), EXPOSURES_PER_TRANSACTION):
        chunk = shares[start : start + EXPOSURES_PER_TRANSACTION]
        items = [
            _new_membership(user_id, segment, MembershipState.ACTIVE, MembershipSource.AUTO, at)
            for segment in chunk
        ]
        write_membership_changes(
            [MembershipWrite(item, None) for item in items],
            [
                membership_event(item, HistoryOperation.INSERT, HistoryReason.AUTO, at)
                for item in items
            ],
            seen_at=at,
        )
        recorded.extend(items)
    return recorded


def _shown(
    items: list[MembershipItem], segments: dict[str, Segment], now: datetime
) -> list[ActiveMembership]:
    return sorted(
        (
            ActiveMembership(item.slug, item.added_at, item.expires_at, item.source)
            for item in items
            if is_active(item, now)
            and item.slug in segments
            and segments[item.slug].segment_id == item.segment_id
        ),
        key=lambda membership: membership.slug,
    )


def active_memberships(user_id: int) -> list[ActiveMembership]:
    """The user's segments right now, sorted by slug; expired ones and those of deleted
    segments never show, whether or not cleanup has removed them yet. Automatic segments
    come from the cached catalogue: a steady-state read is one query, whatever the number
    of automatic segments; only a first exposure adds a (conditional) write."""

    def attempt() -> list[ActiveMembership]:
        items = user_memberships(user_id)
        now = utc_now()
        live = [item for item in items if is_active(item, now)]
        segments = CATALOGUE.segments_with({(item.slug, int(item.segment_id)) for item in live})
        shares = _unrecorded_shares(user_id, items, segments)
        if shares:  # a concurrent read may record it first: then re-read its record
            items = items + _record_exposures(user_id, shares, now)
        return _shown(items, segments, now)

    return retry_on_conflict(attempt)

"""The write path: adding and removing a user's segments in one atomic change.

Every change is planned from the user's memberships as read, then written in one
transaction that holds only if none of them changed since (optimistic concurrency):
state and history land together or not at all, and a conflicting call re-reads and
re-plans.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.memberships import user_memberships, write_membership_changes
from segmentation.domain.catalogue import CATALOGUE
from segmentation.domain.memberships.rules import (
    exclusion,
    is_active,
    membership_event,
    new_membership,
    next_change_time,
    removed,
    unrecorded_expiry,
)
from segmentation.domain.retry import retry_on_conflict
from segmentation.errors import InvalidRequest, SegmentNotFound
from segmentation.model import (
    HistoryEvent,
    HistoryOperation,
    HistoryReason,
    Membership,
    MembershipChange,
    MembershipSource,
    MembershipState,
    Segment,
)
from segmentation.settings import SETTINGS


@dataclass(frozen=True)
class SegmentGrant:
    """One element of an add list: a slug, optionally with the time the user leaves it."""

    slug: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ChangeResult:
    added: list[str]
    removed: list[str]


@dataclass
class MembershipPlan:
    """What one user's change writes, and what it really changed."""

    changes: list[MembershipChange] = field(default_factory=list)
    events: list[HistoryEvent] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _grant(
    plan: MembershipPlan,
    user_id: int,
    grant: SegmentGrant,
    segment: Segment,
    previous: Membership | None,
    now: datetime,
) -> None:
    expires_at = None if grant.expires_at is None else format_timestamp(grant.expires_at)
    if previous is not None and is_active(previous, now):
        if previous.expires_at != expires_at:  # re-adding moves the expiry, no new row
            plan.changes.append(MembershipChange(replace(previous, expires_at=expires_at)))
        return
    at = format_timestamp(next_change_time(previous, now))
    if expires_at is not None and expires_at <= at:  # it became past while we retried
        raise InvalidRequest(f"expiry of {grant.slug} is not in the future")
    if previous is not None:
        plan.events.extend(unrecorded_expiry(previous))
    joined = new_membership(
        user_id, segment, MembershipState.ACTIVE, MembershipSource.MANUAL, at, previous
    )
    plan.changes.append(MembershipChange(replace(joined, expires_at=expires_at)))
    plan.events.append(membership_event(joined, HistoryOperation.INSERT, HistoryReason.MANUAL, at))
    plan.added.append(grant.slug)


def _remove(
    plan: MembershipPlan,
    user_id: int,
    segment: Segment,
    previous: Membership | None,
    now: datetime,
) -> None:
    if previous is None and segment.is_automatic:
        # The percentage alone decides so far: store an exclusion, which later reads
        # (and later percentage raises) honour, and record the exit if it had it.
        excluded, events = exclusion(user_id, segment, now)
        plan.changes.append(MembershipChange(excluded))
        plan.events.extend(events)
        if events:
            plan.removed.append(segment.slug)
        return
    if previous is None or previous.state != MembershipState.ACTIVE:
        return
    if is_active(previous, now):
        at = format_timestamp(next_change_time(previous, now))
        plan.events.append(
            membership_event(previous, HistoryOperation.DELETE, HistoryReason.MANUAL, at)
        )
        plan.removed.append(segment.slug)
    else:
        plan.events.extend(unrecorded_expiry(previous))
        at = str(previous.expires_at)
    plan.changes.append(MembershipChange(removed(previous, at)))


def plan_changes(
    user_id: int,
    grants: Sequence[SegmentGrant],
    removals: Sequence[str],
    segments: dict[str, Segment],
    stored: Sequence[Membership],
    now: datetime,
) -> MembershipPlan:
    """The user's change, planned from their stored memberships (any subset that holds
    every generation of the segments named)."""
    current = {membership.generation: membership for membership in stored}
    plan = MembershipPlan()
    for grant in grants:
        segment = segments[grant.slug]
        previous = current.get((grant.slug, segment.segment_id))
        _grant(plan, user_id, grant, segment, previous, now)
    for slug in removals:
        segment = segments[slug]
        _remove(plan, user_id, segment, current.get((slug, segment.segment_id)), now)
    return plan


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
        plan = plan_changes(user_id, grants, removals, segments, user_memberships(user_id), now)
        if plan.changes:
            write_membership_changes(plan.changes, plan.events, seen_at=format_timestamp(now))
        return ChangeResult(added=sorted(plan.added), removed=sorted(plan.removed))

    return retry_on_conflict(attempt)


def add_memberships(user_id: int, grants: Sequence[SegmentGrant]) -> ChangeResult:
    return change_memberships(user_id, grants, [])


def remove_memberships(user_id: int, slugs: Sequence[str]) -> ChangeResult:
    return change_memberships(user_id, [], slugs)

"""The membership state rules and the write plan, on plain domain objects: no storage.

Each case plans a change from given stored memberships and checks what would be
written and which history rows go with it.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.clock import ONE_MICROSECOND, format_timestamp
from segmentation.domain.bucketing import takes_by_share
from segmentation.domain.memberships.changes import SegmentGrant, plan_changes
from segmentation.domain.memberships.rules import is_active, next_change_time
from segmentation.model import (
    HistoryEvent,
    Membership,
    MembershipSource,
    MembershipState,
    Segment,
    StoredVersion,
)

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
MANUAL = Segment(7, "VOICE", None, "2026-01-01T00:00:00.000000Z")
HALF = Segment(8, "HALF", None, "2026-01-01T00:00:00.000000Z", percent_buckets=5_000, salt="s")


def stored(
    segment: Segment = MANUAL,
    state: MembershipState = MembershipState.ACTIVE,
    changed: datetime = NOW - timedelta(days=1),
    expires_at: datetime | None = None,
    user_id: int = 1,
) -> Membership:
    at = format_timestamp(changed)
    return Membership(
        user_id,
        segment.slug,
        segment.segment_id,
        state,
        MembershipSource.MANUAL,
        at,
        at,
        None if expires_at is None else format_timestamp(expires_at),
        StoredVersion(3),
    )


def rows(events: list[HistoryEvent]) -> list[tuple[str, str, str]]:
    return [(e.operation.value, e.reason.value, e.at) for e in events]


def test_adding_a_new_member_stores_a_membership_and_an_insert_row() -> None:
    plan = plan_changes(1, [SegmentGrant("VOICE")], [], {"VOICE": MANUAL}, [], NOW)
    (change,) = plan.changes
    assert change.membership.stored is None  # nothing may exist yet
    assert (change.membership.state, change.membership.source) == ("active", "manual")
    assert rows(plan.events) == [("INSERT", "manual", format_timestamp(NOW))]
    assert plan.added == ["VOICE"]


def test_re_adding_an_active_member_changes_nothing() -> None:
    plan = plan_changes(1, [SegmentGrant("VOICE")], [], {"VOICE": MANUAL}, [stored()], NOW)
    assert (plan.changes, plan.events, plan.added) == ([], [], [])


def test_re_adding_with_another_expiry_moves_it_without_a_row() -> None:
    expiry = NOW + timedelta(hours=1)
    plan = plan_changes(1, [SegmentGrant("VOICE", expiry)], [], {"VOICE": MANUAL}, [stored()], NOW)
    (change,) = plan.changes
    assert change.membership == replace(stored(), expires_at=format_timestamp(expiry))
    assert plan.events == []
    assert plan.added == []


def test_re_adding_after_an_unrecorded_expiry_records_the_exit_first() -> None:
    expired = NOW - timedelta(minutes=5)
    previous = stored(expires_at=expired)
    plan = plan_changes(1, [SegmentGrant("VOICE")], [], {"VOICE": MANUAL}, [previous], NOW)
    (change,) = plan.changes
    assert change.membership.stored == previous.stored  # written over what was read
    assert rows(plan.events) == [
        ("DELETE", "ttl", format_timestamp(expired)),
        ("INSERT", "manual", format_timestamp(NOW)),
    ]


def test_removing_an_active_member_keeps_the_item_as_removed() -> None:
    plan = plan_changes(1, [], ["VOICE"], {"VOICE": MANUAL}, [stored()], NOW)
    (change,) = plan.changes
    assert (change.membership.state, change.membership.expires_at) == ("removed", None)
    assert rows(plan.events) == [("DELETE", "manual", format_timestamp(NOW))]
    assert plan.removed == ["VOICE"]


def test_removing_a_non_member_of_a_manual_segment_changes_nothing() -> None:
    plan = plan_changes(1, [], ["VOICE"], {"VOICE": MANUAL}, [], NOW)
    assert (plan.changes, plan.events, plan.removed) == ([], [], [])


def _user(inside: bool) -> int:
    return next(u for u in range(1, 1000) if takes_by_share(HALF, u) == inside)


def test_removing_an_unexposed_user_the_share_puts_in_records_entry_and_exit() -> None:
    user = _user(inside=True)
    plan = plan_changes(user, [], ["HALF"], {"HALF": HALF}, [], NOW)
    (change,) = plan.changes
    assert (change.membership.state, change.membership.source) == ("removed", "auto")
    assert rows(plan.events) == [
        ("INSERT", "auto", format_timestamp(NOW)),
        ("DELETE", "manual", format_timestamp(NOW + ONE_MICROSECOND)),
    ]


def test_removing_a_user_the_share_leaves_out_stores_a_silent_exclusion() -> None:
    user = _user(inside=False)
    plan = plan_changes(user, [], ["HALF"], {"HALF": HALF}, [], NOW)
    (change,) = plan.changes
    assert (change.membership.state, change.membership.source) == ("removed", "manual")
    assert plan.events == []
    assert plan.removed == []


@settings(deadline=None)  # a loaded CI machine must not turn slowness into a failure
@given(
    skew=st.integers(min_value=-10_000_000, max_value=10_000_000),
    expiry=st.none() | st.integers(min_value=-10_000_000, max_value=10_000_000),
)
def test_every_change_is_stamped_after_the_last_one_whatever_the_clock_says(
    skew: int, expiry: int | None
) -> None:
    """A container whose clock lags still stamps its change after the stored one and
    after the stored expiry it records, so history keeps causal order."""
    last_change = NOW + timedelta(microseconds=skew)
    expires_at = None if expiry is None else last_change + timedelta(microseconds=abs(expiry))
    previous = stored(changed=last_change, expires_at=expires_at)
    at = next_change_time(previous, NOW)
    assert at > last_change
    assert at >= NOW
    if expires_at is not None and expires_at <= NOW:
        assert at > expires_at
    assert is_active(previous, NOW) == (expires_at is None or expires_at > NOW)

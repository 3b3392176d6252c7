"""Membership items and the one transaction that changes them together with history."""

from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from segmentation.data.aws_errors import error_code
from segmentation.data.aws_timeouts import budgeted_connection
from segmentation.data.history import HistoryEvent, history_item
from segmentation.data.models import (
    MEMBERSHIP_PREFIX,
    SEGMENTS_PARTITION,
    HistoryItem,
    MembershipItem,
    SegmentItem,
    UserItem,
    user_partition,
)
from segmentation.observability import count_membership_changes
from segmentation.settings import SETTINGS


class StaleSegments(Exception):
    """Segments named in the transaction were deleted or replaced meanwhile."""

    def __init__(self, slugs: list[str]) -> None:
        super().__init__(", ".join(slugs))
        self.slugs = slugs


class WriteConflict(Exception):
    """Another call changed the same memberships first; re-read and try again."""


@dataclass(frozen=True)
class MembershipWrite:
    item: MembershipItem
    expected_version: int | None  # None: the item must not exist yet
    delete: bool = False  # remove the item (at expected_version) instead of saving it


def user_memberships(user_id: int) -> list[MembershipItem]:
    """Every membership item of the user, all segment generations and states."""
    return list(
        MembershipItem.query(
            user_partition(user_id),
            MembershipItem.sk.startswith(MEMBERSHIP_PREFIX),
            consistent_read=True,
        )
    )


def write_membership_changes(
    writes: list[MembershipWrite],
    events: list[HistoryEvent],
    segment_ids: dict[str, int],
    profile: UserItem | None = None,
) -> None:
    """One transaction: each segment still has its id, each membership is still at the
    version that was read, each history row is new. All of it lands, or none."""
    checks = sorted(segment_ids.items())
    try:
        with TransactWrite(connection=budgeted_connection(SETTINGS.region)) as transaction:
            for slug, segment_id in checks:
                transaction.condition_check(
                    SegmentItem,
                    SEGMENTS_PARTITION,
                    slug,
                    condition=SegmentItem.segment_id == segment_id,
                )
            for write in writes:
                condition = (
                    MembershipItem.pk.does_not_exist()
                    if write.expected_version is None
                    else MembershipItem.version == write.expected_version
                )
                if write.delete:
                    transaction.delete(write.item, condition=condition)
                else:
                    transaction.save(write.item, condition=condition)
            for event in events:
                transaction.save(
                    history_item(event), condition=HistoryItem.user_id.does_not_exist()
                )
            if profile is not None:
                transaction.update(
                    profile,
                    actions=[
                        UserItem.user_id.set(profile.user_id),
                        UserItem.first_seen_at.set(UserItem.first_seen_at | profile.first_seen_at),
                    ],
                )
    except TransactWriteError as error:
        reasons = error.cancellation_reasons
        stale = [
            slug
            for (slug, _), reason in zip(checks, reasons, strict=False)
            if reason is not None and reason.code == "ConditionalCheckFailed"
        ]
        if stale:
            raise StaleSegments(stale) from error
        if error_code(error) == "TransactionCanceledException":
            raise WriteConflict from error
        raise
    count_membership_changes(events)

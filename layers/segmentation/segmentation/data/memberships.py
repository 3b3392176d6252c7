"""Membership items and the one transaction that changes them together with history.

A transaction touches only the items of the users it changes (their memberships, their
history rows, their profiles): never an item that another user's request also writes or
checks, so concurrent users never cancel each other's transactions.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from segmentation.data.aws_errors import WriteConflict, is_cancelled
from segmentation.data.aws_timeouts import budgeted_connection
from segmentation.data.history import HistoryEvent, history_item
from segmentation.data.keys import (
    MEMBERSHIP_PREFIX,
    expiry_index_key,
    member_index_key,
    membership_sort_key,
    user_partition,
)
from segmentation.data.models import HistoryItem, MembershipItem, UserItem
from segmentation.data.users import user_profile
from segmentation.observability import count_membership_changes
from segmentation.settings import SETTINGS


@dataclass(frozen=True)
class MembershipWrite:
    item: MembershipItem
    expected_version: int | None  # None: the item must not exist yet
    delete: bool = False  # remove the item (at expected_version) instead of saving it


def new_membership_item(
    user_id: int, slug: str, segment_id: int, state: str, source: str, at: str
) -> MembershipItem:
    return MembershipItem(
        user_partition(user_id),
        membership_sort_key(slug, segment_id),
        user_id=user_id,
        slug=slug,
        segment_id=segment_id,
        state=state,
        source=source,
        added_at=at,
        changed_at=at,
        version=1,
        member_segment=member_index_key(segment_id, user_id),
    )


def copy_membership(item: MembershipItem) -> MembershipItem:
    return MembershipItem.from_raw_data(item.serialize())


def set_expiry(item: MembershipItem, expires_at: str | None) -> None:
    """Sets or clears the expiry; only a membership with one is in the expiry index."""
    item.expires_at = expires_at
    item.expiry_shard = (
        None if expires_at is None else expiry_index_key(int(item.user_id), item.slug)
    )


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
    seen_at: str | None = None,
    also_save: Sequence[Model] = (),
) -> None:
    """One transaction: each membership is still at the version that was read, each
    history row is new, and (with `seen_at`) each user it touches is marked as used, so
    register never hands out their id. All of it lands, or none: WriteConflict when
    another call changed one of the items first. `also_save`: items of the caller's own
    (a bulk job's record of the change) that land with it."""
    users = sorted({int(write.item.user_id) for write in writes} | {e.user_id for e in events})
    try:
        with TransactWrite(connection=budgeted_connection(SETTINGS.region)) as transaction:
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
            for extra in also_save:
                transaction.save(extra)
            for user_id in users if seen_at is not None else []:
                profile = user_profile(user_id, str(seen_at))
                transaction.update(
                    profile,
                    actions=[
                        UserItem.user_id.set(user_id),
                        UserItem.first_seen_at.set(UserItem.first_seen_at | profile.first_seen_at),
                    ],
                )
    except TransactWriteError as error:
        if is_cancelled(error):
            raise WriteConflict from error
        raise
    count_membership_changes(events)

"""Membership items and the one transaction that changes them together with history.

A transaction touches only the items of the users it changes (their memberships, their
history rows, their profiles): never an item that another user's request also writes or
checks, so concurrent users never cancel each other's transactions. Each membership is
written only if it is still at the version it was read at (PynamoDB's VersionAttribute):
the domain carries that version along as an opaque `StoredVersion` and never counts it.
"""

from collections.abc import Sequence

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from segmentation.data.aws_errors import WriteConflict, is_cancelled
from segmentation.data.aws_timeouts import budgeted_connection
from segmentation.data.history import history_item
from segmentation.data.keys import (
    MEMBERSHIP_PREFIX,
    expiry_index_key,
    member_index_key,
    membership_sort_key,
    user_partition,
)
from segmentation.data.models import HistoryItem, MainTableItem, MembershipItem, UserItem
from segmentation.data.users import user_profile
from segmentation.model import (
    HistoryEvent,
    Membership,
    MembershipChange,
    MembershipSource,
    MembershipState,
    StoredVersion,
)
from segmentation.observability import count_membership_changes
from segmentation.settings import SETTINGS

# A membership's place in the table, opaque above this layer: (pk, sk).
MembershipKey = tuple[str, str]


def membership_of(item: MembershipItem) -> Membership:
    return Membership(
        user_id=int(item.user_id),
        slug=item.slug,
        segment_id=int(item.segment_id),
        state=MembershipState(item.state),
        source=MembershipSource(item.source),
        added_at=item.added_at,
        changed_at=item.changed_at,
        expires_at=item.expires_at,
        stored=StoredVersion(int(item.version)),
    )


def membership_item(membership: Membership) -> MembershipItem:
    """The item, at the version it was read at: saving it checks and advances that."""
    user_id, slug = membership.user_id, membership.slug
    expires_at = membership.expires_at
    item = MembershipItem(
        user_partition(user_id),
        membership_sort_key(slug, membership.segment_id),
        user_id=user_id,
        slug=slug,
        segment_id=membership.segment_id,
        state=membership.state.value,
        source=membership.source.value,
        added_at=membership.added_at,
        changed_at=membership.changed_at,
        expires_at=expires_at,
        # Only an active membership with an expiry is in the (sparse) expiry index.
        expiry_shard=None if expires_at is None else expiry_index_key(user_id, slug),
        member_segment=member_index_key(membership.segment_id, user_id),
    )
    if membership.stored is not None:  # None: saving it requires that none exists
        item.version = membership.stored.number
    return item


def user_memberships(user_id: int) -> list[Membership]:
    """Every membership of the user, all segment generations and states."""
    return [
        membership_of(item)
        for item in MembershipItem.query(
            user_partition(user_id),
            MembershipItem.sk.startswith(MEMBERSHIP_PREFIX),
            consistent_read=True,
        )
    ]


def read_memberships(keys: Sequence[MembershipKey]) -> list[Membership]:
    """The memberships as they are now (consistent BatchGetItem), in the keys' order;
    keys of deleted items are simply absent from the answer."""
    found = {
        (item.pk, item.sk): item
        for item in MembershipItem.batch_get(list(keys), consistent_read=True)
    }
    return [membership_of(found[key]) for key in keys if key in found]


def write_membership_changes(
    changes: Sequence[MembershipChange],
    events: Sequence[HistoryEvent],
    seen_at: str | None = None,
    also_save: Sequence[MainTableItem] = (),
) -> None:
    """One transaction: each membership is still at the version that was read, each
    history row is new, and (with `seen_at`) each user it touches is marked as used, so
    register never hands out their id. All of it lands, or none: WriteConflict when
    another call changed one of the items first. `also_save`: items of the data layer's
    own that must land with the change (a bulk job's mark of the user it changed)."""
    users = {change.membership.user_id for change in changes} | {e.user_id for e in events}
    try:
        with TransactWrite(connection=budgeted_connection(SETTINGS.region)) as transaction:
            for change in changes:
                item = membership_item(change.membership)
                if change.delete:
                    transaction.delete(item)
                else:
                    transaction.save(item)
            for event in events:
                transaction.save(
                    history_item(event), condition=HistoryItem.user_id.does_not_exist()
                )
            for extra in also_save:
                transaction.save(extra)
            for user_id in sorted(users) if seen_at is not None else []:
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

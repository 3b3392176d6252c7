"""What a bulk job's batch reads and marks: its users' memberships of one segment
generation (one BatchGetItem per 100 users), and which users the batch changed.

A batch marks each user it changes in the same transaction as the change
(`change_marker`), and counts the markers when it ends: a change that landed counts even
when its worker crashed before noting it, or when the answer to its transaction was lost
(a timeout, then a retry that finds the change made): `changed` stays exact however often
a batch runs.
"""

import time
from collections.abc import Sequence

from pynamodb.attributes import NumberAttribute

from segmentation.data.keys import (
    bulk_change_partition,
    bulk_change_partitions,
    bulk_change_sort_key,
    membership_sort_key,
    user_partition,
)
from segmentation.data.memberships import read_memberships, write_membership_changes
from segmentation.data.models import MainTableItem
from segmentation.model import HistoryEvent, Membership, MembershipChange

MARKER_RETENTION_SECONDS = 14 * 24 * 3600


class BulkChangeItem(MainTableItem):
    user_id = NumberAttribute()
    purge_at = NumberAttribute()  # DynamoDB TTL


def memberships_of_users(
    slug: str, segment_id: int, user_ids: Sequence[int]
) -> dict[int, Membership]:
    """Each user's membership of this segment generation, if any (strongly consistent:
    the plan must start from its current version)."""
    keys = [(user_partition(user), membership_sort_key(slug, segment_id)) for user in user_ids]
    return {membership.user_id: membership for membership in read_memberships(keys)}


def write_marked_change(
    changes: Sequence[MembershipChange],
    events: Sequence[HistoryEvent],
    seen_at: str,
    mark: tuple[str, int, int] | None,
) -> None:
    """One user's change, as write_membership_changes writes it; with `mark` (job id,
    batch, user id) the batch's mark of the user lands in the same transaction."""
    marks = [] if mark is None else [_change_marker(*mark)]
    write_membership_changes(changes, events, seen_at=seen_at, also_save=marks)


def _change_marker(job_id: str, batch: int, user_id: int) -> BulkChangeItem:
    return BulkChangeItem(
        bulk_change_partition(job_id, batch, user_id),
        bulk_change_sort_key(user_id),
        user_id=user_id,
        purge_at=int(time.time()) + MARKER_RETENTION_SECONDS,
    )


def changed_users(job_id: str, batch: int) -> set[int]:
    """The users any attempt at this batch changed (a query per marker shard)."""
    return {
        int(item.user_id)
        for partition in bulk_change_partitions(job_id, batch)
        for item in BulkChangeItem.query(partition, consistent_read=True)
    }

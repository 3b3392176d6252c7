"""What the maintenance job reads: due expiries, deleted segments' members, tombstones.

Both indexes are KEYS_ONLY and eventually consistent, so they only say *where* to look;
the items themselves are then read consistently, and every change is conditioned on the
version read (data/memberships.py), so a stale index entry can never cause a wrong write.
"""

from collections.abc import Iterator, Sequence

from pynamodb.exceptions import DeleteError

from segmentation.data.aws_errors import condition_failed
from segmentation.data.keys import (
    DELETIONS_PARTITION,
    EXPIRY_INDEX_KEYS,
    member_index_keys,
)
from segmentation.data.models import MembershipItem, SegmentDeletionItem

MembershipKey = tuple[str, str]  # (pk, sk)


def due_expiry_keys(due_by: str, page_size: int) -> Iterator[MembershipKey]:
    """Memberships whose `expires_at` is at or before `due_by`, shard by shard, oldest
    first in each. The index is sparse: only active memberships with an expiry."""
    for shard in EXPIRY_INDEX_KEYS:
        for item in MembershipItem.memberships_by_expiry.query(
            shard, MembershipItem.expires_at <= due_by, page_size=page_size
        ):
            yield item.pk, item.sk


def segment_member_keys(segment_id: int, page_size: int) -> Iterator[MembershipKey]:
    """Every membership item of one segment generation, whatever its state."""
    for shard in member_index_keys(segment_id):
        for item in MembershipItem.members_by_segment.query(shard, page_size=page_size):
            yield item.pk, item.sk


def has_members(segment_id: int) -> bool:
    return any(
        True
        for shard in member_index_keys(segment_id)
        for _ in MembershipItem.members_by_segment.query(shard, limit=1)
    )


def read_memberships(keys: Sequence[MembershipKey]) -> list[MembershipItem]:
    """The items as they are now (consistent BatchGetItem); keys of deleted items are
    simply absent from the answer."""
    found = {
        (item.pk, item.sk): item
        for item in MembershipItem.batch_get(list(keys), consistent_read=True)
    }
    return [found[key] for key in keys if key in found]


def pending_deletions() -> list[SegmentDeletionItem]:
    """Tombstones of deleted segments whose members are not all cleaned up, oldest first."""
    return list(SegmentDeletionItem.query(DELETIONS_PARTITION, consistent_read=True))


def remove_tombstone(tombstone: SegmentDeletionItem) -> bool:
    """Deletes the tombstone unless another run did; True when this call removed it."""
    try:
        tombstone.delete(condition=SegmentDeletionItem.pk.exists())
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise
    return True

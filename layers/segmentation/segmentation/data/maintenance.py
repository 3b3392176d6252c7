"""What the maintenance job reads: due expiries, deleted segments' members, tombstones.

Both indexes are KEYS_ONLY and eventually consistent, so they only say *where* to look;
the items themselves are then read consistently, and every change is conditioned on the
version read (data/memberships.py), so a stale index entry can never cause a wrong write.
"""

from collections.abc import Iterator

from segmentation.data.aws_errors import conditionally
from segmentation.data.keys import (
    DELETIONS_PARTITION,
    EXPIRY_INDEX_KEYS,
    deletion_sort_key,
    member_index_keys,
)
from segmentation.data.memberships import MembershipKey
from segmentation.data.models import MembershipItem, SegmentDeletionItem
from segmentation.model import SegmentDeletion


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


def pending_deletions() -> list[SegmentDeletion]:
    """Deleted segments whose members are not all cleaned up (their tombstones), oldest
    first."""
    return [
        SegmentDeletion(int(item.segment_id), item.slug, item.deleted_at)
        for item in SegmentDeletionItem.query(DELETIONS_PARTITION, consistent_read=True)
    ]


def remove_tombstone(deletion: SegmentDeletion) -> bool:
    """Deletes the tombstone unless another run did; True when this call removed it."""
    tombstone = SegmentDeletionItem(DELETIONS_PARTITION, deletion_sort_key(deletion.segment_id))
    return conditionally(lambda: tombstone.delete(condition=SegmentDeletionItem.pk.exists()))

"""Segment catalogue items: create, read, list and delete (with a cleanup tombstone)."""

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from segmentation.data.aws_errors import error_code
from segmentation.data.aws_timeouts import budgeted_connection
from segmentation.data.models import (
    DELETIONS_PARTITION,
    SEGMENTS_PARTITION,
    SegmentDeletionItem,
    SegmentItem,
)
from segmentation.settings import SETTINGS


class SegmentGone(Exception):
    """The segment was deleted (or replaced) by another call in the meantime."""


def _conditional_check_failed(error: PutError | TransactWriteError | UpdateError) -> bool:
    if isinstance(error, TransactWriteError):  # not a TransactionConflict: that is a retry
        return any(
            r is not None and r.code == "ConditionalCheckFailed" for r in error.cancellation_reasons
        )
    return error_code(error) == "ConditionalCheckFailedException"


def new_segment_item(
    slug: str,
    segment_id: int,
    description: str | None,
    created_at: str,
    percent_buckets: int = 0,
    salt: str | None = None,
) -> SegmentItem:
    return SegmentItem(
        SEGMENTS_PARTITION,
        slug,
        segment_id=segment_id,
        slug=slug,
        description=description,
        created_at=created_at,
        percent_buckets=percent_buckets,
        salt=salt,
    )


def insert_segment(segment: SegmentItem) -> bool:
    """Saves a new segment unless an active one has its slug; True when saved."""
    try:
        segment.save(condition=SegmentItem.pk.does_not_exist())
    except PutError as error:
        if _conditional_check_failed(error):
            return False
        raise
    return True


def get_segment(slug: str) -> SegmentItem | None:
    try:
        return SegmentItem.get(SEGMENTS_PARTITION, slug, consistent_read=True)
    except SegmentItem.DoesNotExist:
        return None


def list_segments(consistent: bool = True) -> list[SegmentItem]:
    return list(SegmentItem.query(SEGMENTS_PARTITION, consistent_read=consistent))


def update_segment_percent(slug: str, percent_buckets: int, salt: str) -> SegmentItem | None:
    """Sets the automatic share of an existing segment, and its salt unless it has one
    (segments from before percentages existed); None when there is no such segment."""
    segment = SegmentItem(SEGMENTS_PARTITION, slug)
    try:
        segment.update(
            actions=[
                SegmentItem.percent_buckets.set(percent_buckets),
                SegmentItem.salt.set(SegmentItem.salt | salt),
            ],
            condition=SegmentItem.pk.exists(),
        )
    except UpdateError as error:
        if _conditional_check_failed(error):
            return None
        raise
    return segment


def delete_segment_item(segment: SegmentItem, deleted_at: str) -> None:
    """Removes the segment from the catalogue and leaves a tombstone for member cleanup,
    in one transaction; raises SegmentGone when the segment changed meanwhile."""
    tombstone = SegmentDeletionItem(
        DELETIONS_PARTITION,
        f"{segment.segment_id:020d}",
        segment_id=segment.segment_id,
        slug=segment.slug,
        deleted_at=deleted_at,
    )
    try:
        with TransactWrite(connection=budgeted_connection(SETTINGS.region)) as transaction:
            transaction.delete(segment, condition=SegmentItem.segment_id == segment.segment_id)
            transaction.save(tombstone, condition=SegmentDeletionItem.pk.does_not_exist())
    except TransactWriteError as error:
        if _conditional_check_failed(error):
            raise SegmentGone(segment.slug) from error
        raise

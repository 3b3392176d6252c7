"""Segment catalogue items: create, change and delete segments.

Every change of the catalogue is one transaction that also bumps the catalogue's version
item and appends the segment's new state to the catalogue log under that version, which
readers follow (data/catalogue.py).
"""

import time
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from segmentation.data.aws_errors import WriteConflict, condition_failed, failed_conditions
from segmentation.data.aws_timeouts import budgeted_connection
from segmentation.data.catalogue import catalogue_version, segment_of
from segmentation.data.keys import (
    CATALOGUE_LOG_PARTITION,
    CATALOGUE_VERSION_PARTITION,
    CATALOGUE_VERSION_SORT_KEY,
    DELETIONS_PARTITION,
    catalogue_log_sort_key,
    catalogue_partition,
    deletion_sort_key,
)
from segmentation.data.models import (
    CatalogueLogItem,
    CounterItem,
    SegmentDeletionItem,
    SegmentItem,
)
from segmentation.model import Segment
from segmentation.settings import SETTINGS

# Log entries outlive any container that could still need them; one that fell behind
# further reloads the whole catalogue.
LOG_RETENTION_SECONDS = 24 * 3600


class SegmentExists(Exception):
    """An active segment has the slug, or one deleted too recently to reuse it."""


class SegmentGone(Exception):
    """The segment was deleted (or replaced) by another call in the meantime."""


def _state_attributes(segment: Segment) -> dict[str, Any]:
    """What a segment is, as catalogue items and log entries both store it."""
    return {
        "segment_id": segment.segment_id,
        "slug": segment.slug,
        "description": segment.description,
        "created_at": segment.created_at,
        "percent_buckets": segment.percent_buckets,
        "salt": segment.salt or None,
    }


def segment_item(segment: Segment, deleted_at: str | None = None) -> SegmentItem:
    return SegmentItem(
        catalogue_partition(segment.slug),
        segment.slug,
        deleted_at=deleted_at,
        **_state_attributes(segment),
    )


def get_segment(slug: str) -> Segment | None:
    """The active segment with this slug (a deletion marker is no segment)."""
    try:
        item = SegmentItem.get(catalogue_partition(slug), slug, consistent_read=True)
    except SegmentItem.DoesNotExist:
        return None
    return None if item.deleted_at is not None else segment_of(item)


def _log_entry(segment: Segment, version: int, deleted: bool) -> CatalogueLogItem:
    return CatalogueLogItem(
        CATALOGUE_LOG_PARTITION,
        catalogue_log_sort_key(version),
        version=version,
        deleted=deleted,
        purge_at=int(time.time()) + LOG_RETENTION_SECONDS,
        **_state_attributes(segment),
    )


def _versioned_change(
    segment: Segment, deleted: bool, add_items: Callable[[TransactWrite], None]
) -> None:
    """One transaction: the catalogue version goes from what was read to the next, the
    log gets the segment's new state under it, and `add_items` adds the change itself.
    Raises WriteConflict when another catalogue change took that version first, and
    re-raises the TransactWriteError when one of the change's own conditions failed."""
    version = catalogue_version()
    counter = CounterItem(
        CATALOGUE_VERSION_PARTITION, CATALOGUE_VERSION_SORT_KEY, value=version + 1
    )
    # Every item is a Put, which PynamoDB sends in the order added: the cancellation
    # reasons at positions 0 and 1 are the version's.
    try:
        with TransactWrite(connection=budgeted_connection(SETTINGS.region)) as transaction:
            transaction.save(
                counter,
                condition=(
                    CounterItem.value == version if version else CounterItem.pk.does_not_exist()
                ),
            )
            transaction.save(
                _log_entry(segment, version + 1, deleted),
                condition=CatalogueLogItem.pk.does_not_exist(),
            )
            add_items(transaction)
    except TransactWriteError as error:
        if {0, 1} & set(failed_conditions(error)):
            raise WriteConflict from error
        raise


def insert_segment(segment: Segment, reusable_before: str) -> None:
    """Saves a new segment unless its slug is taken: by an active segment, or by one
    deleted at or after `reusable_before`. Raises SegmentExists, or WriteConflict."""
    condition = SegmentItem.pk.does_not_exist() | (SegmentItem.deleted_at <= reusable_before)
    item = segment_item(segment)
    try:
        _versioned_change(
            segment, False, lambda transaction: transaction.save(item, condition=condition)
        )
    except TransactWriteError as error:
        if condition_failed(error):
            raise SegmentExists(segment.slug) from error
        raise


def _unchanged(segment: Segment) -> Condition:
    """The condition that the stored segment is still this active generation."""
    unchanged: Condition = (
        SegmentItem.segment_id == segment.segment_id
    ) & SegmentItem.deleted_at.does_not_exist()
    return unchanged


def update_segment(segment: Segment, changed: Segment) -> None:
    """Replaces the stored state of `segment` (same generation) with `changed`.
    Raises SegmentGone, or WriteConflict."""
    item = segment_item(changed)
    try:
        _versioned_change(
            changed, False, lambda transaction: transaction.save(item, _unchanged(segment))
        )
    except TransactWriteError as error:
        if condition_failed(error):
            raise SegmentGone(segment.slug) from error
        raise


def delete_segment(segment: Segment, deleted_at: str) -> None:
    """Turns the segment into a deletion marker and leaves a tombstone for member cleanup,
    in one transaction. Raises SegmentGone when the segment changed meanwhile, or
    WriteConflict."""
    marker = segment_item(segment, deleted_at=deleted_at)
    tombstone = SegmentDeletionItem(
        DELETIONS_PARTITION,
        deletion_sort_key(segment.segment_id),
        segment_id=segment.segment_id,
        slug=segment.slug,
        deleted_at=deleted_at,
    )

    def add_items(transaction: TransactWrite) -> None:
        transaction.save(marker, condition=_unchanged(segment))
        transaction.save(tombstone, condition=SegmentDeletionItem.pk.does_not_exist())

    try:
        _versioned_change(segment, True, add_items)
    except TransactWriteError as error:
        if condition_failed(error):
            raise SegmentGone(segment.slug) from error
        raise


def remove_deletion_marker(slug: str, segment_id: int) -> None:
    """Frees the slug of a deleted segment whose cleanup is finished, unless a new segment
    took the slug meanwhile. Markers are not in the catalogue: no version change."""
    marker = SegmentItem(catalogue_partition(slug), slug)
    try:
        marker.delete(
            condition=(SegmentItem.segment_id == segment_id) & SegmentItem.deleted_at.exists()
        )
    except DeleteError as error:
        if not condition_failed(error):
            raise

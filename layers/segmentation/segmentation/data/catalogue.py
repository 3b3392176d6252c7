"""Reading the segment catalogue: all of it, or the changes after a version.

A container follows the catalogue with one small query of the log (`changes_after`)
instead of re-reading every segment; it re-reads everything (`load_catalogue`) only at
start or when it fell behind the log's retention.
"""

from dataclasses import dataclass

from segmentation.data.keys import (
    CATALOGUE_LOG_PARTITION,
    CATALOGUE_PARTITIONS,
    CATALOGUE_VERSION_PARTITION,
    CATALOGUE_VERSION_SORT_KEY,
    catalogue_log_sort_key,
)
from segmentation.data.models import CatalogueLogItem, CounterItem, SegmentItem, SegmentStateItem
from segmentation.model import Segment

# Log entries one catch-up query reads at most; more pending means a reload is cheaper.
MAX_CHANGES_PER_QUERY = 100


@dataclass(frozen=True)
class CatalogueSnapshot:
    version: int
    segments: list[Segment]
    deleted_ids: set[int]  # deleted segments whose slug is still reserved (markers)


@dataclass(frozen=True)
class CatalogueChange:
    version: int
    segment: Segment  # its state after the change
    deleted: bool


def segment_of(item: SegmentStateItem) -> Segment:
    return Segment(
        segment_id=int(item.segment_id),
        slug=item.slug,
        description=item.description,
        created_at=item.created_at,
        percent_buckets=int(item.percent_buckets or 0),  # absent on items from before
        salt=item.salt or "",
    )


def catalogue_version(consistent: bool = True) -> int:
    try:
        item = CounterItem.get(
            CATALOGUE_VERSION_PARTITION, CATALOGUE_VERSION_SORT_KEY, consistent_read=consistent
        )
    except CounterItem.DoesNotExist:
        return 0
    return int(item.value)


def load_catalogue() -> CatalogueSnapshot:
    """Every active segment, at least as new as the version returned (read first)."""
    version = catalogue_version()
    items = [
        item
        for partition in CATALOGUE_PARTITIONS
        for item in SegmentItem.query(partition, consistent_read=True)
    ]
    return CatalogueSnapshot(
        version,
        [segment_of(item) for item in items if item.deleted_at is None],
        {int(item.segment_id) for item in items if item.deleted_at is not None},
    )


def changes_after(version: int, consistent: bool = False) -> list[CatalogueChange]:
    """Log entries newer than `version`, oldest first (at most MAX_CHANGES_PER_QUERY)."""
    return [
        CatalogueChange(int(entry.version), segment_of(entry), bool(entry.deleted))
        for entry in CatalogueLogItem.query(
            CATALOGUE_LOG_PARTITION,
            CatalogueLogItem.sk > catalogue_log_sort_key(version),
            consistent_read=consistent,
            limit=MAX_CHANGES_PER_QUERY,
        )
    ]

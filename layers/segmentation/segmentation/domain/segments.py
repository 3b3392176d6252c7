"""Creating, listing and deleting segments."""

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.counters import next_counter_value
from segmentation.data.segments import (
    SegmentGone,
    delete_segment_item,
    get_segment,
    insert_segment,
    new_segment_item,
)
from segmentation.domain.catalogue import CATALOGUE, Segment
from segmentation.errors import SegmentAlreadyExists, SegmentNotFound

SEGMENT_ID_COUNTER = "segment_id"


def create_segment(slug: str, description: str | None = None) -> Segment:
    """A new segment with an id never used before (ids of deleted segments included)."""
    segment_id = next_counter_value(SEGMENT_ID_COUNTER)
    item = new_segment_item(slug, segment_id, description, format_timestamp(utc_now()))
    if not insert_segment(item):
        raise SegmentAlreadyExists(slug)
    return Segment(segment_id, slug, description, item.created_at)


def list_active_segments() -> list[Segment]:
    return sorted(CATALOGUE.refresh().values(), key=lambda segment: segment.slug)


def delete_segment(slug: str) -> Segment:
    """Removes the segment from the catalogue at once; its members stop seeing it on their
    next read, and the maintenance job records their exits and removes their items."""
    item = get_segment(slug)
    if item is None:
        raise SegmentNotFound([slug])
    try:
        delete_segment_item(item, format_timestamp(utc_now()))
    except SegmentGone as gone:
        raise SegmentNotFound([slug]) from gone
    CATALOGUE.invalidate()
    return Segment(int(item.segment_id), item.slug, item.description, item.created_at)

"""Creating, listing and deleting segments."""

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.counters import next_counter_value
from segmentation.data.segments import (
    SegmentGone,
    delete_segment_item,
    get_segment,
    insert_segment,
    new_segment_item,
    update_segment_percent,
)
from segmentation.domain.bucketing import BUCKETS, new_salt
from segmentation.domain.catalogue import CATALOGUE, Segment, segment_of
from segmentation.errors import InvalidRequest, SegmentAlreadyExists, SegmentNotFound
from segmentation.observability import count_segment_created

SEGMENT_ID_COUNTER = "segment_id"


def _check_share(percent_buckets: int) -> None:
    if not 0 <= percent_buckets <= BUCKETS:
        raise InvalidRequest(f"percent_buckets {percent_buckets} is not 0..{BUCKETS}")


def create_segment(slug: str, description: str | None = None, percent_buckets: int = 0) -> Segment:
    """A new segment with an id never used before (ids of deleted segments included).
    A share above 0 makes it automatic: users join it on their reads, nothing fans out."""
    _check_share(percent_buckets)
    segment_id = next_counter_value(SEGMENT_ID_COUNTER)
    item = new_segment_item(
        slug,
        segment_id,
        description,
        format_timestamp(utc_now()),
        percent_buckets=percent_buckets,
        salt=new_salt(),
    )
    if not insert_segment(item):
        raise SegmentAlreadyExists(slug)
    count_segment_created()
    CATALOGUE.invalidate()
    return segment_of(item)


def change_share(slug: str, percent_buckets: int) -> Segment:
    """Sets the automatic share. Buckets are monotonic, so raising it keeps everyone who
    was in; lowering it only stops new users from joining, since a user who received the
    segment holds a stored membership that keeps it (see README, "Automatic segments")."""
    _check_share(percent_buckets)
    item = update_segment_percent(slug, percent_buckets, new_salt())
    if item is None:
        raise SegmentNotFound([slug])
    CATALOGUE.invalidate()
    return segment_of(item)


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
    return segment_of(item)

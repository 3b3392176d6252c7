"""Creating, listing, changing and deleting segments.

A deleted segment's slug is reusable only after the deletion grace period
(TOMBSTONE_GRACE_SECONDS), longer than any write can take: a membership write planned
against the old generation from a container's cached catalogue lands before a new
generation can exist, so no acknowledged add is ever written to a dead generation while
the slug names a live one (docs/decisions/0008-deleting-segments-without-a-shared-item.md).
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.counters import next_counter_value
from segmentation.data.segments import (
    SegmentExists,
    SegmentGone,
    get_segment,
    insert_segment,
    update_segment,
)
from segmentation.data.segments import delete_segment as delete_stored_segment
from segmentation.domain.bucketing import BUCKETS, new_salt
from segmentation.domain.catalogue import CATALOGUE
from segmentation.domain.retry import retry_on_conflict
from segmentation.errors import InvalidRequest, SegmentAlreadyExists, SegmentNotFound
from segmentation.model import Segment
from segmentation.observability import count_segment_created
from segmentation.settings import SETTINGS

SEGMENT_ID_COUNTER = "segment_id"
CATALOGUE_BUSY = "the segment catalogue kept changing concurrently; retry the request"


def _check_share(percent_buckets: int) -> None:
    if not 0 <= percent_buckets <= BUCKETS:
        raise InvalidRequest(f"percent_buckets {percent_buckets} is not 0..{BUCKETS}")


def create_segment(slug: str, description: str | None = None, percent_buckets: int = 0) -> Segment:
    """A new segment with an id never used before (ids of deleted segments included).
    A share above 0 makes it automatic: users join it on their reads, nothing fans out."""
    _check_share(percent_buckets)
    segment_id = next_counter_value(SEGMENT_ID_COUNTER)
    now = utc_now()
    segment = Segment(
        segment_id, slug, description, format_timestamp(now), percent_buckets, new_salt()
    )
    reusable_before = format_timestamp(now - timedelta(seconds=SETTINGS.tombstone_grace_seconds))
    try:
        retry_on_conflict(lambda: insert_segment(segment, reusable_before), CATALOGUE_BUSY)
    except SegmentExists as exists:
        if get_segment(slug) is None:  # the slug's last segment was deleted a moment ago
            raise SegmentAlreadyExists(
                slug,
                f"segment {slug} was deleted less than {SETTINGS.tombstone_grace_seconds} s"
                " ago; its slug can be used again after that",
            ) from exists
        raise SegmentAlreadyExists(slug) from exists
    count_segment_created()
    CATALOGUE.invalidate()
    return segment


def _change_stored(slug: str, change: Callable[[Segment], Segment]) -> Segment:
    """Applies `change` to the stored segment (re-read on a catalogue conflict); a segment
    that is gone, or goes meanwhile, is not found."""

    def attempt() -> Segment:
        stored = get_segment(slug)
        if stored is None:
            raise SegmentNotFound([slug])
        try:
            return change(stored)
        except SegmentGone as gone:
            raise SegmentNotFound([slug]) from gone

    segment = retry_on_conflict(attempt, CATALOGUE_BUSY)
    CATALOGUE.invalidate()
    return segment


def change_share(slug: str, percent_buckets: int) -> Segment:
    """Sets the automatic share. Buckets are monotonic, so raising it keeps everyone who
    was in; lowering it only stops new users from joining, since a user who received the
    segment holds a stored membership that keeps it (see docs/api-guide.md, "Ramps")."""
    _check_share(percent_buckets)

    def change(stored: Segment) -> Segment:
        # Segments from before percentages existed get their salt now.
        changed = replace(stored, percent_buckets=percent_buckets, salt=stored.salt or new_salt())
        update_segment(stored, changed)
        return changed

    return _change_stored(slug, change)


def list_active_segments() -> list[Segment]:
    return sorted(CATALOGUE.segments(fresh=True).values(), key=lambda segment: segment.slug)


def delete_segment(slug: str) -> Segment:
    """Removes the segment from the catalogue at once; its members stop seeing it on their
    next read, and the maintenance job records their exits and removes their items."""

    def delete(stored: Segment) -> Segment:
        delete_stored_segment(stored, format_timestamp(utc_now()))
        return stored

    return _change_stored(slug, delete)

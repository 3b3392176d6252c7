"""A segment's members, page by page, and the segment with its member count.

A listing is exact with respect to time: a membership that has expired is never listed,
whether or not maintenance has removed it yet. Only the segment's live generation is
listed (the cursor is bound to it). Automatic members appear once their membership is
recorded, i.e. from their first read on (docs/members.md).
"""

from dataclasses import dataclass

from segmentation.clock import utc_now
from segmentation.data.members import FIRST_POSITION, read_member_rows
from segmentation.data.segment_counts import member_count
from segmentation.data.segments import get_segment
from segmentation.domain.member_cursor import decode_cursor, encode_cursor
from segmentation.domain.memberships.rules import is_active
from segmentation.errors import InvalidRequest, SegmentNotFound
from segmentation.model import Segment

DEFAULT_PAGE_LIMIT = 100
MAX_PAGE_LIMIT = 1000
# Queries one page may make: a page over a sparse segment's empty shards ends with a
# cursor instead of reading all 128 shards in one request.
MAX_QUERIES_PER_PAGE = 16


@dataclass(frozen=True)
class Member:
    user_id: int
    source: str
    added_at: str
    expires_at: str | None


@dataclass(frozen=True)
class MembersPage:
    members: list[Member]
    cursor: str | None  # None: the listing is complete


@dataclass(frozen=True)
class SegmentSummary:
    segment: Segment
    members: int


def live_segment(slug: str) -> Segment:
    """The slug's live segment generation, read consistently; SegmentNotFound otherwise."""
    segment = get_segment(slug)
    if segment is None:
        raise SegmentNotFound([slug])
    return segment


def list_members(
    slug: str, limit: int = DEFAULT_PAGE_LIMIT, cursor: str | None = None
) -> MembersPage:
    """One page of the live generation's active members, in a stable order. A page reads
    at most `limit` index entries, so it may hold fewer members (removed and expired
    ones are skipped); only the last page has no cursor."""
    if not 1 <= limit <= MAX_PAGE_LIMIT:
        raise InvalidRequest(f"limit must be 1..{MAX_PAGE_LIMIT}, got {limit}")
    segment = live_segment(slug)
    start = FIRST_POSITION if cursor is None else decode_cursor(cursor, segment.segment_id)
    now = utc_now()
    read = read_member_rows(segment.segment_id, start, limit, MAX_QUERIES_PER_PAGE)
    members = [
        Member(row.user_id, row.source, row.added_at, row.expires_at)
        for row in read.rows
        if is_active(row, now)
    ]
    next_cursor = None if read.next is None else encode_cursor(segment.segment_id, read.next)
    return MembersPage(members, next_cursor)


def segment_summary(slug: str) -> SegmentSummary:
    """The live segment and its count of active members, as the history stream has
    counted them so far (a delay of seconds; docs/members.md)."""
    segment = live_segment(slug)
    # A DELETE row may be counted before its INSERT row (other stream shards): never < 0.
    return SegmentSummary(segment, max(0, member_count(segment.segment_id)))

"""PynamoDB models of the two tables (see docs/data-model.md).

Main table (single-table design), keys `pk` / `sk` (all built in keys.py):
- `SEGMENTS#<0..7>` / `<slug>`: the segment catalogue, sharded by slug; a deleted
  segment's item stays as a marker (`deleted_at`) until its slug may be reused.
- `CATALOGUE` / `VERSION` and `CATALOGUE_LOG` / `<version>`: the catalogue's version and
  one log entry per change, so a container catches up with one small query.
- `SEGMENT_DELETIONS` / `<segment id>`: deleted segments whose members await cleanup.
- `COUNTER` / `<name>`: atomic id counters.
- `SEGCOUNT#<segment id>#<00..15>` / `COUNT`: a segment generation's member count, in shards.
- `COUNTBATCH#<stream>#<first>-<last sequence number>` / `<chunk>`: applied count batches.
- `USER#<id>` / `PROFILE`: marks a user id as used, so register never hands it out.
- `USER#<id>` / `SEG#<slug>#<segment id>`: one membership per user and segment
  generation, so a recreated slug never inherits the old segment's members.

History table, keys `user_id` / `event_key`, never expires anything.
"""

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)
from pynamodb.models import Model

from segmentation.data.aws_timeouts import AWS_CALL_BUDGET
from segmentation.settings import SETTINGS


class BudgetedConnection:
    """Connection settings of every table: the region and the time budgets of AWS calls."""

    region = SETTINGS.region
    connect_timeout_seconds = AWS_CALL_BUDGET.connect_timeout_seconds
    read_timeout_seconds = AWS_CALL_BUDGET.read_timeout_seconds
    max_retry_attempts = AWS_CALL_BUDGET.max_retry_attempts


class MainTableItem(Model):
    """The main table's keys and connection settings, for every item kind."""

    class Meta(BudgetedConnection):
        table_name = SETTINGS.table_name

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class SegmentStateItem(MainTableItem):
    """What a segment is: the catalogue's items and its log entries both carry it."""

    segment_id = NumberAttribute()
    slug = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    # Automatic share in buckets of 0.01% (0: manual only) and the per-generation hash salt.
    percent_buckets = NumberAttribute(default=0)
    salt = UnicodeAttribute(null=True)


class SegmentItem(SegmentStateItem):
    # Set on deletion: the item stays as a marker that keeps the slug from being reused
    # while writes planned against the old generation may still land.
    deleted_at = UnicodeAttribute(null=True)


class CatalogueLogItem(SegmentStateItem):
    """The state of one segment after catalogue change number `version` (sk)."""

    version = NumberAttribute()
    deleted = BooleanAttribute(default=False)
    purge_at = NumberAttribute()  # epoch seconds: DynamoDB TTL drops old entries


class SegmentDeletionItem(MainTableItem):
    segment_id = NumberAttribute()
    slug = UnicodeAttribute()
    deleted_at = UnicodeAttribute()


class CounterItem(MainTableItem):
    value = NumberAttribute(default=0)


class SegmentCountItem(MainTableItem):
    """One shard of a segment generation's member count: the sum of its history rows'
    +1 (INSERT) and -1 (DELETE) that the stream shards hashed to it have applied."""

    members = NumberAttribute(default=0)


class CountBatchItem(MainTableItem):
    """Marks one chunk of one stream batch as applied to the counts: a retried batch finds
    it and adds nothing twice. DynamoDB TTL drops it once no retry can come."""

    last_sequence_number = UnicodeAttribute()
    purge_at = NumberAttribute()  # epoch seconds


class UserItem(MainTableItem):
    user_id = NumberAttribute()
    first_seen_at = UnicodeAttribute()


# What a member listing shows, so that a page is one Query per shard and no BatchGetItem.
MEMBER_LISTING_ATTRIBUTES = ["user_id", "state", "source", "added_at", "expires_at"]


class MembersBySegmentIndex(GlobalSecondaryIndex["MembershipItem"]):
    class Meta:
        # v2: INCLUDE instead of KEYS_ONLY; a projection cannot change in place (docs/members.md).
        index_name = "members_by_segment_v2"
        projection = IncludeProjection(MEMBER_LISTING_ATTRIBUTES)

    member_segment = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class MembershipsByExpiryIndex(GlobalSecondaryIndex["MembershipItem"]):
    class Meta:
        index_name = "memberships_by_expiry"
        projection = KeysOnlyProjection()

    expiry_shard = UnicodeAttribute(hash_key=True)
    expires_at = UnicodeAttribute(range_key=True)


class MembershipItem(MainTableItem):
    """A user's membership in one segment generation (model.Membership)."""

    user_id = NumberAttribute()
    slug = UnicodeAttribute()
    segment_id = NumberAttribute()
    state = UnicodeAttribute()  # model.MembershipState
    source = UnicodeAttribute()  # model.MembershipSource
    added_at = UnicodeAttribute()
    changed_at = UnicodeAttribute()
    # Every save and delete holds only at the version read, and a save advances it.
    version = VersionAttribute()
    expires_at = UnicodeAttribute(null=True)
    expiry_shard = UnicodeAttribute(null=True)  # set only while active with an expiry
    member_segment = UnicodeAttribute()  # keys.member_index_key

    members_by_segment = MembersBySegmentIndex()
    memberships_by_expiry = MembershipsByExpiryIndex()


class HistoryByMonthIndex(GlobalSecondaryIndex["HistoryItem"]):
    class Meta:
        index_name = "history_by_month"
        projection = AllProjection()

    month_shard = UnicodeAttribute(hash_key=True)
    month_order = UnicodeAttribute(range_key=True)


class HistoryItem(Model):
    """One entry into or exit from a segment. The key is deterministic, so a retried
    write of the same event meets its own condition instead of duplicating it."""

    class Meta(BudgetedConnection):
        table_name = SETTINGS.history_table_name

    user_id = NumberAttribute(hash_key=True)
    event_key = UnicodeAttribute(range_key=True)  # "<timestamp>#<slug>#<segment id>"
    slug = UnicodeAttribute()
    segment_id = NumberAttribute()
    operation = UnicodeAttribute()  # model.HistoryOperation
    reason = UnicodeAttribute()  # model.HistoryReason
    at = UnicodeAttribute()
    month_shard = UnicodeAttribute()
    month_order = UnicodeAttribute()

    by_month = HistoryByMonthIndex()

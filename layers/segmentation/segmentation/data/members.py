"""A segment generation's members as the `members_by_segment_v2` index holds them.

The index spreads one generation over MEMBER_SHARDS partition keys by user (keys.py); a
listing walks them in a stable order, shard by shard and user by user within a shard, so
a position (shard, last user read) resumes exactly where a page stopped, whatever was
added or removed meanwhile. The index projects what a listing shows (INCLUDE), so a page
is one Query per shard read and never a BatchGetItem. Index reads are eventually
consistent: a change shows a fraction of a second later.
"""

from dataclasses import dataclass
from typing import Any

from segmentation.data.history_rows import dynamodb_client
from segmentation.data.keys import MEMBER_SHARDS, member_index_keys, user_partition
from segmentation.data.models import MembershipItem
from segmentation.model import MembershipState
from segmentation.settings import SETTINGS
from segmentation.values import MAX_USER_ID

INDEX_NAME = MembershipItem.members_by_segment.Meta.index_name


@dataclass(frozen=True)
class MemberPosition:
    """Where a listing resumes: in `shard`, after user `after_user` (None: its start)."""

    shard: int
    after_user: int | None = None


FIRST_POSITION = MemberPosition(0)


def valid_position(shard: object, after_user: object) -> MemberPosition | None:
    """The position, if these could be one (as a cursor decoded from a caller gives them)."""
    if type(shard) is not int or not 0 <= shard < MEMBER_SHARDS:
        return None
    if after_user is None:
        return MemberPosition(shard)
    if type(after_user) is not int or not 1 <= after_user <= MAX_USER_ID:
        return None
    return MemberPosition(shard, after_user)


@dataclass(frozen=True)
class MemberRow:
    """One membership item of the generation, whatever its state (removed ones included)."""

    user_id: int
    state: MembershipState
    source: str
    added_at: str
    expires_at: str | None


@dataclass(frozen=True)
class MemberRows:
    rows: list[MemberRow]
    next: MemberPosition | None  # None: every shard is read to its end
    queries: int


def _row(item: dict[str, Any]) -> MemberRow:
    expires = item.get("expires_at")
    return MemberRow(
        user_id=int(item["user_id"]["N"]),
        state=MembershipState(item["state"]["S"]),
        source=item["source"]["S"],
        added_at=item["added_at"]["S"],
        expires_at=None if expires is None else expires["S"],
    )


def _query(segment_id: int, position: MemberPosition, limit: int) -> tuple[list[MemberRow], bool]:
    """Up to `limit` rows of one shard after the position; True when the shard may hold more.
    `pk > USER#<id>` resumes after a user exactly: a user has one item per generation."""
    condition = "member_segment = :shard"
    values: dict[str, Any] = {":shard": {"S": member_index_keys(segment_id)[position.shard]}}
    if position.after_user is not None:
        condition += " AND pk > :after"
        values[":after"] = {"S": user_partition(position.after_user)}
    answer = dynamodb_client().query(
        TableName=SETTINGS.table_name,
        IndexName=INDEX_NAME,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        Limit=limit,
    )
    return [_row(item) for item in answer.get("Items", [])], "LastEvaluatedKey" in answer


def read_member_rows(
    segment_id: int, start: MemberPosition, max_rows: int, max_queries: int
) -> MemberRows:
    """Index entries from `start` on, in (shard, user) order: at most `max_rows` entries and
    `max_queries` Queries, so a page over many empty shards still ends, with a position."""
    rows: list[MemberRow] = []
    position: MemberPosition | None = start
    queries = 0
    while position is not None and len(rows) < max_rows and queries < max_queries:
        found, more = _query(segment_id, position, max_rows - len(rows))
        queries += 1
        rows.extend(found)
        if more and found:
            position = MemberPosition(position.shard, found[-1].user_id)
        elif more:  # a page boundary with nothing on it: ask again from the same place
            continue
        elif position.shard + 1 < MEMBER_SHARDS:
            position = MemberPosition(position.shard + 1)
        else:
            position = None
    return MemberRows(rows, position, queries)

"""History rows for reports, read fast: the low-level client, only the five report columns.

PynamoDB builds a model object per item (most of the old export's ~150 µs per row); here a
row is the tuple of raw attribute strings the CSV prints, in its column order. DynamoDB
returns numbers as their canonical decimal text, so `user_id` prints as the int would.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from segmentation.data.aws_timeouts import budgeted_config
from segmentation.data.keys import history_month_partition
from segmentation.model import HistoryEvent
from segmentation.settings import SETTINGS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# CSV columns: UserID, Slug, Operation, Timestamp, Reason.
Row = tuple[str, str, str, str, str]
PageKey = dict[str, Any]

MONTH_INDEX = "history_by_month"
_COLUMNS = ("user_id", "slug", "operation", "at", "reason")
# Every column through a placeholder: some of them are DynamoDB reserved words.
_NAMES = {f"#c{i}": name for i, name in enumerate(_COLUMNS)}
_PROJECTION = ", ".join(_NAMES)


@cache
def dynamodb_client() -> "DynamoDBClient":
    return boto3.client("dynamodb", region_name=SETTINGS.region, config=budgeted_config())


@dataclass(frozen=True)
class TimeWindow:
    """Events with `start <= at < end` (timestamps in clock.format_timestamp form)."""

    start: str
    end: str


@dataclass(frozen=True)
class RowPage:
    rows: list[Row]
    next_key: PageKey | None  # None: nothing more in this shard and window


def _rows(items: list[dict[str, Any]]) -> list[Row]:
    return [
        (i["user_id"]["N"], i["slug"]["S"], i["operation"]["S"], i["at"]["S"], i["reason"]["S"])
        for i in items
    ]


def event_row(event: HistoryEvent) -> Row:
    return (str(event.user_id), event.slug, event.operation.value, event.at, event.reason.value)


def row_order(row: Row) -> tuple[str, int, str]:
    """The GSI's month_order "<time>#<user:019d>#<slug>" as a tuple: the same order."""
    return (row[3], int(row[0]), row[1])


def window_page(
    month: str, shard: int, window: TimeWindow, start_key: PageKey | None, page_items: int
) -> RowPage:
    """One page of a shard's events within `window`, in (time, user, slug) order.

    month_order is "<at>#...": `BETWEEN start AND end` takes every `at` from `start`
    (its "#" suffix sorts after the bare timestamp) up to but excluding `end`."""
    arguments: dict[str, Any] = {
        "TableName": SETTINGS.history_table_name,
        "IndexName": MONTH_INDEX,
        "KeyConditionExpression": "month_shard = :p AND month_order BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {
            ":p": {"S": history_month_partition(month, shard)},
            ":lo": {"S": window.start},
            ":hi": {"S": window.end},
        },
        "ExpressionAttributeNames": _NAMES,
        "ProjectionExpression": _PROJECTION,
        "Limit": page_items,
    }
    if start_key is not None:
        arguments["ExclusiveStartKey"] = start_key
    page = dynamodb_client().query(**arguments)
    return RowPage(_rows(page.get("Items", [])), page.get("LastEvaluatedKey"))


def user_month_rows(user_id: int, month: str, page_items: int) -> Iterator[Row]:
    """One user's events of `month` ("YYYY-MM") in time order, on the table's own key:
    `event_key` starts with the timestamp, so the month is a key prefix."""
    paginator = dynamodb_client().get_paginator("query")
    pages = paginator.paginate(
        TableName=SETTINGS.history_table_name,
        KeyConditionExpression="user_id = :u AND begins_with(event_key, :m)",
        ExpressionAttributeValues={":u": {"N": str(user_id)}, ":m": {"S": f"{month}-"}},
        ExpressionAttributeNames=_NAMES,
        ProjectionExpression=_PROJECTION,
        PaginationConfig={"PageSize": page_items},
    )
    for page in pages:
        yield from _rows(page.get("Items", []))

"""Reading the history table for reports: one month's shard of the GSI, page by page,
or one user's events within a time range on the base key."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from segmentation.data.history import history_event
from segmentation.data.models import HistoryItem
from segmentation.model import HistoryEvent

# Items per Query page. The export holds up to three pages per shard at once (the one
# being merged, the one fetched ahead, the next one arriving): 16 x 3 x 250 events.
DEFAULT_PAGE_ITEMS = 250

PageKey = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class HistoryPage:
    events: list[HistoryEvent]
    next_key: PageKey | None  # None: the shard has no more events


def month_shard_page(
    month_shard: str, start_key: PageKey | None, page_items: int = DEFAULT_PAGE_ITEMS
) -> HistoryPage:
    """One page of a `history_by_month` partition, in `month_order` (time, user, slug)."""
    result = HistoryItem.by_month.query(
        month_shard, limit=page_items, page_size=page_items, last_evaluated_key=start_key
    )
    events = [history_event(item) for item in result]
    return HistoryPage(events, result.last_evaluated_key)


def user_month_events(
    user_id: int, month: str, page_items: int = DEFAULT_PAGE_ITEMS
) -> Iterator[HistoryEvent]:
    """The user's events of `month` ("YYYY-MM", UTC) in time order, on the base key:
    `event_key` starts with the event's timestamp, so the month is a key prefix."""
    items = HistoryItem.query(
        user_id, HistoryItem.event_key.startswith(f"{month}-"), page_size=page_items
    )
    return (history_event(item) for item in items)

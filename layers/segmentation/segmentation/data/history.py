"""History rows: what the history table stores for one entry into or exit from a segment."""

from segmentation.data.keys import (
    history_event_key,
    history_month_order,
    history_month_partition,
    history_shard,
)
from segmentation.data.models import HistoryItem
from segmentation.model import HistoryEvent, HistoryOperation, HistoryReason


def history_item(event: HistoryEvent) -> HistoryItem:
    shard = history_shard(event.user_id, event.slug)
    return HistoryItem(
        event.user_id,
        history_event_key(event.at, event.slug, event.segment_id),
        slug=event.slug,
        segment_id=event.segment_id,
        operation=event.operation.value,
        reason=event.reason.value,
        at=event.at,
        month_shard=history_month_partition(event.at, shard),
        month_order=history_month_order(event.at, event.user_id, event.slug),
    )


def history_event(item: HistoryItem) -> HistoryEvent:
    return HistoryEvent(
        user_id=int(item.user_id),
        slug=item.slug,
        segment_id=int(item.segment_id),
        operation=HistoryOperation(item.operation),
        reason=HistoryReason(item.reason),
        at=item.at,
    )


def user_history(user_id: int) -> list[HistoryEvent]:
    """A user's events in time order (the history table's own key order)."""
    return [history_event(item) for item in HistoryItem.query(user_id, consistent_read=True)]

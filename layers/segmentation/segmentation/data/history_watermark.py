"""The history watermark: every event stamped before it is written ("history is final
before W"). One item in the main table, `HISTORY_WATERMARK` / `FINAL_BEFORE`, written by
maintenance about once a minute and read by report requests."""

from pynamodb.attributes import UnicodeAttribute

from segmentation.data.aws_errors import conditionally
from segmentation.data.keys import HISTORY_WATERMARK_KEY as _KEY
from segmentation.data.models import MainTableItem


class WatermarkItem(MainTableItem):
    final_before = UnicodeAttribute()  # clock.format_timestamp


def history_final_before() -> str | None:
    """The watermark; None until maintenance has completed a run."""
    try:
        return str(WatermarkItem.get(*_KEY, consistent_read=True).final_before)
    except WatermarkItem.DoesNotExist:
        return None


def advance_history_watermark(final_before: str) -> bool:
    """Moves the watermark forward to `final_before`, never back (an overlapping older run
    finishing late leaves it alone); False when it was already there or later."""
    item = WatermarkItem(*_KEY, final_before=final_before)
    return conditionally(
        lambda: item.update(
            actions=[WatermarkItem.final_before.set(final_before)],
            condition=WatermarkItem.final_before.does_not_exist()
            | (WatermarkItem.final_before < final_before),
        )
    )

"""When history is final: the watermark closed months are judged by.

Most events are written at their own time, but two kinds are written late, stamped with
an earlier logical time: TTL exits (at the expiry time) and segment_deleted exits (at the
deletion time), both by maintenance. After a complete maintenance run that started at T,
every expiry due by T is written; what is not yet certain is
- anything the indexes had not shown the run yet (they are eventually consistent), and
  writes still in flight: the grace period covers those;
- the exits of deletions still pending (their members are still being found).
So history is final before min(T - grace, oldest pending deletion).
"""

from datetime import datetime, timedelta

from segmentation.clock import format_timestamp, parse_timestamp
from segmentation.data.history_watermark import advance_history_watermark
from segmentation.data.maintenance import pending_deletions
from segmentation.settings import SETTINGS


def history_final_before(run_started: datetime, grace_seconds: int) -> datetime:
    final_before = run_started - timedelta(seconds=grace_seconds)
    for tombstone in pending_deletions():  # oldest first
        return min(final_before, parse_timestamp(tombstone.deleted_at))
    return final_before


def record_history_watermark(
    run_started: datetime, complete: bool, grace_seconds: int = SETTINGS.history_grace_seconds
) -> None:
    """Called at the end of each maintenance run; only a complete run moves the mark."""
    if complete:
        advance_history_watermark(
            format_timestamp(history_final_before(run_started, grace_seconds))
        )

"""The history watermark: maintenance moves it after complete runs only, never past a
deletion still pending, never back; a month is closed once it lies wholly before it."""

from datetime import UTC, datetime, timedelta

from segmentation.clock import format_timestamp
from segmentation.data.history_watermark import advance_history_watermark, history_final_before
from segmentation.data.keys import DELETIONS_PARTITION
from segmentation.data.models import SegmentDeletionItem
from segmentation.domain.maintenance import run_maintenance
from segmentation.domain.report_jobs import month_is_closed
from segmentation.domain.report_watermark import record_history_watermark
from segmentation.settings import SETTINGS

NOW = datetime(2024, 3, 1, 0, 10, tzinfo=UTC)


def test_a_complete_maintenance_run_marks_history_final_a_grace_period_before_it() -> None:
    assert history_final_before() is None
    summary = run_maintenance(now=NOW)
    assert summary.complete
    grace = timedelta(seconds=SETTINGS.history_grace_seconds)
    assert history_final_before() == format_timestamp(NOW - grace)


def test_an_incomplete_run_leaves_the_watermark() -> None:
    record_history_watermark(NOW, complete=True, grace_seconds=60)
    record_history_watermark(NOW + timedelta(hours=1), complete=False, grace_seconds=60)
    assert history_final_before() == format_timestamp(NOW - timedelta(seconds=60))


def test_a_pending_segment_deletion_holds_the_watermark_at_its_time() -> None:
    deleted_at = "2024-02-29T23:00:00.000000Z"
    SegmentDeletionItem(
        DELETIONS_PARTITION, "7", segment_id=7, slug="GONE", deleted_at=deleted_at
    ).save()
    record_history_watermark(NOW, complete=True, grace_seconds=60)
    assert history_final_before() == deleted_at
    assert not month_is_closed(2024, 2, history_final_before())  # its exits may still come


def test_the_watermark_never_moves_back() -> None:
    assert advance_history_watermark("2024-03-01T00:00:00.000000Z")
    assert not advance_history_watermark("2024-02-01T00:00:00.000000Z")
    assert history_final_before() == "2024-03-01T00:00:00.000000Z"


# END

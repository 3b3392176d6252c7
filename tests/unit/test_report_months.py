"""Months of history: the stored timestamps' prefix of a month, and when a month is closed."""

from segmentation.domain.export import month_prefix
from segmentation.domain.report_jobs import month_is_closed


def test_month_prefix_is_the_stored_timestamps_prefix() -> None:
    assert [month_prefix(1970, 1), month_prefix(2024, 2), month_prefix(9999, 12)] == [
        "1970-01",
        "2024-02",
        "9999-12",
    ]


def test_a_month_is_closed_once_the_watermark_reaches_its_end() -> None:
    assert not month_is_closed(2024, 2, None)
    assert not month_is_closed(2024, 2, "2024-02-29T23:59:59.999999Z")
    assert month_is_closed(2024, 2, "2024-03-01T00:00:00.000000Z")
    assert not month_is_closed(9999, 12, "9999-12-31T23:59:59.999999Z")

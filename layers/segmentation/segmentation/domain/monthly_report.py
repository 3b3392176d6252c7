"""The synchronous monthly report, which never outgrows its request.

A closed month built before is answered from its file; otherwise the report is written
in the request, within a time budget (SETTINGS.sync_report_budget_seconds, 20 s: API
Gateway gives up after 29 s, and the budget leaves room for a cold start, the upload's
completion and starting a job). A month that does not fit gets a report job instead.
"""

from segmentation.domain.export import ExportOptions, HistoryReport, ReportTooLarge, export_history
from segmentation.domain.report_jobs import (
    JobView,
    ReportRequest,
    closed_month,
    record_built_report,
    start_report,
    view,
)
from segmentation.settings import SETTINGS


def month_report(
    year: int,
    month: int,
    user_id: int | None = None,
    budget_seconds: float = SETTINGS.sync_report_budget_seconds,
) -> HistoryReport | JobView:
    """The report's link, or the job started for a month too large to write right now."""
    request = ReportRequest(year, month, user_id)
    closed = closed_month(request)
    if closed is not None and closed.built is not None:
        job = view(closed.built)
        if job.url is None or job.expires_at is None or job.rows is None:
            return job  # still being built
        return HistoryReport(job.url, job.expires_at, job.rows, closed.built.key)
    # A closed month is written once, where its job keeps it, and recorded as built.
    key = None if closed is None else closed.planned.key
    options = ExportOptions(budget_seconds=budget_seconds)
    try:
        report = export_history(year, month, user_id, options, key=key)
    except ReportTooLarge:
        return start_report(request)
    if closed is not None:
        record_built_report(closed.planned, report.rows)
    return report

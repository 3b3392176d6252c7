"""GET /api/users/show_segments_history/{year}/{month}: a link to the month's history CSV.

`Accept: text/csv` (the reference README's curl) answers 303 See Other to the file, so
`curl -L` and browsers download it; anything else answers 200 with the link as JSON.
A month too large to write within the request answers 202 with the report job started
for it (as POST /api/reports does): poll its Location.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from segmentation.api.report_schemas import STARTED, redirect, started_response, wants_file
from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import responses
from segmentation.domain.monthly_report import month_report
from segmentation.domain.report_jobs import JobView
from segmentation.values import UserId

app = create_resolver()

Year = Annotated[int, Path(ge=1970, le=9999, description="Calendar year (UTC)")]
Month = Annotated[int, Path(ge=1, le=12, description="Calendar month 1-12 (UTC)")]


class ExportLinkResponse(BaseModel):
    url: str = Field(description="Presigned GET URL of the CSV file")
    expires_at: str = Field(description="When the URL stops working (RFC 3339, UTC)")
    rows: int = Field(description="Events in the file, not counting the header")


ROUTE_RESPONSES = {
    **responses(200, ExportLinkResponse, "Link to the month's CSV"),
    **redirect(ExportLinkResponse, "Redirect to the CSV file (with Accept: text/csv)"),
    **STARTED,
}


@app.get(
    "/api/users/show_segments_history/<year>/<month>",
    summary="A month's history report",
    description="A link to a CSV of every entry and exit in the month (UTC), optionally"
    " of one user; `Accept: text/csv` answers 303 to the file instead. A month too"
    " large to write within the request answers 202 with a report job (see /api/reports).",
    tags=["History"],
    operation_id="show_segments_history",
    responses=ROUTE_RESPONSES,
)
def show_segments_history(
    year: Year,
    month: Month,
    user_id: Annotated[UserId | None, Query(description="Only this user's events")] = None,
) -> Response[str]:
    report = month_report(year, month, user_id)
    if isinstance(report, JobView):
        return started_response(report)
    body = ExportLinkResponse(url=report.url, expires_at=report.expires_at, rows=report.rows)
    if wants_file(app.current_event.headers.get("accept") or ""):
        return json_response(303, body, headers={"Location": report.url})
    return json_response(200, body)


lambda_handler = lambda_handler_for(app)

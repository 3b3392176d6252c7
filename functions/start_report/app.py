"""POST /api/reports: start building a month's history report in the background."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from segmentation.api.report_schemas import BAD_INPUT, STARTED, started_response
from segmentation.api.resolver import create_resolver, lambda_handler_for
from segmentation.domain.report_jobs import ReportRequest, start_report
from segmentation.values import MAX_USER_ID

app = create_resolver()


class StartReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Annotated[StrictInt, Field(ge=1970, le=9999, description="Calendar year (UTC)")]
    month: Annotated[StrictInt, Field(ge=1, le=12, description="Calendar month 1-12 (UTC)")]
    user_id: Annotated[
        StrictInt | None, Field(ge=1, le=MAX_USER_ID, description="Only this user's events")
    ] = None
    compression: Literal["gzip"] | None = Field(
        default=None, description='"gzip": the file is the CSV gzip-compressed (.csv.gz)'
    )


@app.post(
    "/api/reports",
    summary="Start a month's history report",
    description="Builds the month's CSV (the same file as show_segments_history) in the"
    " background, however large; poll the job at `Location`. A closed month that was built"
    " already answers with that job, done, at once.",
    tags=["History"],
    operation_id="start_report",
    responses={**STARTED, **BAD_INPUT},
)
def start(request: Annotated[StartReportRequest, Body()]) -> Response[str]:
    job = start_report(
        ReportRequest(request.year, request.month, request.user_id, request.compression)
    )
    return started_response(job)


lambda_handler = lambda_handler_for(app)

"""GET /api/reports/{id}: how a report job is going; with `Accept: text/csv`, once it is
done, 303 See Other to the file."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path

from segmentation.api.report_schemas import (
    BAD_INPUT,
    UNKNOWN_JOB,
    ReportJobResponse,
    job_body,
    redirect,
    wants_file,
)
from segmentation.api.resolver import (
    create_resolver,
    error_response,
    json_response,
    lambda_handler_for,
)
from segmentation.domain.report_jobs import report_status

app = create_resolver()

JobId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$", description="Job id")
]


@app.get(
    "/api/reports/<job_id>",
    summary="A report job's status",
    description="pending, running, done (with a fresh link to the file) or failed (with"
    " the reason). `Accept: text/csv` answers 303 to the file once it is done.",
    tags=["History"],
    operation_id="report_status",
    responses={
        200: {
            "description": "The job",
            "content": {content_types.APPLICATION_JSON: {"model": ReportJobResponse}},
        },
        **redirect(ReportJobResponse, "Redirect to the file (done, with Accept: text/csv)"),
        **UNKNOWN_JOB,
        **BAD_INPUT,
    },
)
def status(job_id: JobId) -> Response[str]:
    job = report_status(job_id)
    if job is None:
        return error_response(404, f"no report job {job_id}")
    body = job_body(job)
    if job.url is not None and wants_file(app.current_event.headers.get("accept") or ""):
        return json_response(303, body, headers={"Location": job.url})
    return json_response(200, body)


lambda_handler = lambda_handler_for(app)

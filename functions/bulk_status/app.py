"""GET /api/bulk/{id}: how a bulk job is going."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from segmentation.api.bulk_schemas import BAD_INPUT, BULK_JOB, UNKNOWN_BULK_JOB, bulk_job_body
from segmentation.api.resolver import (
    create_resolver,
    error_response,
    json_response,
    lambda_handler_for,
)
from segmentation.domain.bulk_jobs import bulk_job_status

app = create_resolver()

JobId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$", description="Job id")
]


@app.get(
    "/api/bulk/<job_id>",
    summary="A bulk job's status",
    description="pending (waiting for its file), running, done or failed (with the reason);"
    " `total`, `done`, `changed` (users whose membership really changed) and the file's"
    " invalid lines.",
    tags=["Segments"],
    operation_id="bulk_status",
    responses={**BULK_JOB, **UNKNOWN_BULK_JOB, **BAD_INPUT},
)
def status(job_id: JobId) -> Response[str]:
    job = bulk_job_status(job_id)
    if job is None:
        return error_response(404, f"no bulk job {job_id}")
    return json_response(200, bulk_job_body(job))


lambda_handler = lambda_handler_for(app)

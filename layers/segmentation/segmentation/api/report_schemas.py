"""Report jobs as the report endpoints show them, and the Accept negotiation they share."""

from dataclasses import asdict
from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, Field

from segmentation.api.resolver import json_response
from segmentation.api.schemas import ERROR_DESCRIPTIONS
from segmentation.domain.report_jobs import JobView

JobStatus = Literal["pending", "running", "done", "failed"]


class ReportJobResponse(BaseModel):
    id: str = Field(description="The job's id: GET /api/reports/{id} tells how it is going")
    status: JobStatus
    year: int
    month: int
    user_id: int | None = Field(description="Only this user's events; null: every user")
    compression: Literal["gzip"] | None
    rows: int | None = Field(description="Events in the file, not counting the header (done)")
    url: str | None = Field(description="Presigned GET URL of the file (done)")
    expires_at: str | None = Field(description="When the URL stops working (RFC 3339, UTC)")
    error: str | None = Field(description="Why the job failed (failed)")
    pieces: int = Field(description="Pieces the month is split into")
    pieces_done: int


def job_body(job: JobView) -> ReportJobResponse:
    return ReportJobResponse.model_validate(asdict(job))


def job_location(job: JobView) -> str:
    return f"/api/reports/{job.id}"


def started_response(job: JobView) -> Response[str]:
    """202 Accepted: the job runs (or, for a closed month, may be done already)."""
    return json_response(202, job_body(job), headers={"Location": job_location(job)})


def _quality(accept: str, media_type: str) -> float:
    """The q-value `accept` gives `media_type` exactly (0 when not listed)."""
    for media_range in accept.split(","):
        name, *params = (part.strip() for part in media_range.split(";"))
        if name.lower() != media_type:
            continue
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    return float(value)
                except ValueError:
                    return 0.0
        return 1.0
    return 0.0


def wants_file(accept: str) -> bool:
    """Whether the caller prefers the CSV itself (a redirect to it) over JSON."""
    csv_quality = _quality(accept, "text/csv")
    return csv_quality > 0 and csv_quality >= _quality(accept, content_types.APPLICATION_JSON)


STARTED = {
    202: {
        "description": "The report is built in the background: poll `Location`",
        "content": {content_types.APPLICATION_JSON: {"model": ReportJobResponse}},
        "headers": {"Location": {"description": "/api/reports/{id}", "schema": {"type": "string"}}},
    }
}


def redirect(model: type[BaseModel], description: str) -> dict[int, Any]:
    """303 to the file at `Location`, its JSON body the same link as the 200 answer."""
    return {
        303: {
            "description": description,
            "content": {content_types.APPLICATION_JSON: {"model": model}},
            "headers": {"Location": {"description": "The file", "schema": {"type": "string"}}},
        }
    }


UNKNOWN_JOB = {404: {"description": "No report job has this id"}}
BAD_INPUT = {400: {"description": ERROR_DESCRIPTIONS[400]}}

"""Bulk jobs as the bulk endpoints take and show them."""

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, Self

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, model_validator

from segmentation.api.grant_schemas import MAX_TTL_SECONDS
from segmentation.api.resolver import json_response
from segmentation.api.schemas import ERROR_DESCRIPTIONS
from segmentation.domain.bulk_jobs import MAX_INLINE_IDS, BulkJobView, BulkRequest
from segmentation.values import MAX_USER_ID

JobStatus = Literal["pending", "running", "done", "failed"]
BulkUserId = Annotated[StrictInt, Field(ge=1, le=MAX_USER_ID)]


class StartBulkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["add", "remove"]
    user_ids: list[BulkUserId] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_INLINE_IDS,
        description=f"Up to {MAX_INLINE_IDS:,} user ids (JSON integers); or give `upload`",
    )
    upload: Literal[True] | None = Field(
        default=None,
        description="true: the ids come in a file (one per line, or a CSV whose first column"
        " is the id, up to 10,000,000 lines) PUT to the answer's `upload_url`",
    )
    ttl_seconds: Annotated[StrictInt, Field(gt=0, le=MAX_TTL_SECONDS)] | None = None
    expires_at: AwareDatetime | None = Field(
        default=None, description="RFC 3339 with a timezone, in the future (add only)"
    )

    @model_validator(mode="after")
    def one_source_one_expiry(self) -> Self:
        if (self.user_ids is None) == (self.upload is None):
            raise ValueError("give user_ids or upload: true (one of them)")
        if self.ttl_seconds is not None and self.expires_at is not None:
            raise ValueError("give ttl_seconds or expires_at, not both")
        if self.action == "remove" and (self.ttl_seconds or self.expires_at):
            raise ValueError("an expiry (ttl_seconds or expires_at) only goes with add")
        return self

    def to_request(self, slug: str) -> BulkRequest:
        expires_at = self.expires_at
        if self.ttl_seconds is not None:
            expires_at = datetime.now(UTC) + timedelta(seconds=self.ttl_seconds)
        return BulkRequest(slug, self.action, self.user_ids, expires_at)


class InvalidLine(BaseModel):
    line: int = Field(description="Line number in the file, from 1")
    reason: str


class InvalidLines(BaseModel):
    count: int = Field(description="Invalid lines in the file (blank lines are skipped)")
    lines: list[InvalidLine] = Field(description="The first 100 of them")


class BulkJobResponse(BaseModel):
    id: str = Field(description="The job's id: GET /api/bulk/{id} tells how it is going")
    status: JobStatus
    slug: str
    action: Literal["add", "remove"]
    expires_at: str | None = Field(description="When the added memberships end (add)")
    total: int | None = Field(description="User ids to process; null until the file is read")
    done: int = Field(description="User ids processed so far")
    changed: int = Field(description="Users whose membership really changed")
    invalid: InvalidLines
    error: str | None = Field(description="Why the job failed (failed)")
    upload_url: str | None = Field(
        default=None, description="Presigned S3 PUT URL for the file of ids (upload jobs)"
    )
    upload_url_expires_at: str | None = None


def bulk_job_body(job: BulkJobView) -> BulkJobResponse:
    fields = asdict(job)
    count, lines = fields.pop("invalid_count"), fields.pop("invalid_lines")
    fields["invalid"] = {
        "count": count,
        "lines": [{"line": line, "reason": reason} for line, reason in lines],
    }
    return BulkJobResponse.model_validate(fields)


def bulk_started_response(job: BulkJobView) -> Response[str]:
    return json_response(202, bulk_job_body(job), headers={"Location": f"/api/bulk/{job.id}"})


BULK_STARTED = {
    202: {
        "description": "The job runs in the background (or waits for its file): poll `Location`",
        "content": {content_types.APPLICATION_JSON: {"model": BulkJobResponse}},
        "headers": {"Location": {"description": "/api/bulk/{id}", "schema": {"type": "string"}}},
    }
}
BULK_JOB = {
    200: {
        "description": "The job",
        "content": {content_types.APPLICATION_JSON: {"model": BulkJobResponse}},
    }
}
UNKNOWN_BULK_JOB = {404: {"description": "No bulk job has this id"}}
BAD_INPUT = {400: {"description": ERROR_DESCRIPTIONS[400]}}
UNKNOWN_SEGMENT = {404: {"description": ERROR_DESCRIPTIONS[404]}}

"""POST /api/segments/{slug}/bulk: add or remove many users at once, in the background."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from segmentation.api.bulk_schemas import (
    BAD_INPUT,
    BULK_STARTED,
    UNKNOWN_SEGMENT,
    StartBulkRequest,
    bulk_started_response,
)
from segmentation.api.resolver import create_resolver, lambda_handler_for
from segmentation.domain.bulk_jobs import start_bulk_job
from segmentation.values import Slug

app = create_resolver()


@app.post(
    "/api/segments/<slug>/bulk",
    summary="Add or remove many users (a bulk job)",
    description="Adds (optionally with `ttl_seconds` / `expires_at`) or removes the segment"
    " for up to 10,000 `user_ids` given inline, or, with `upload: true`, for the ids of a"
    " file PUT to the answer's `upload_url`. Each user changes exactly as with the"
    " single-user endpoints, with its history row. Poll the job at `Location`.",
    tags=["Segments"],
    operation_id="start_bulk",
    responses={**BULK_STARTED, **BAD_INPUT, **UNKNOWN_SEGMENT},
)
def start(
    slug: Annotated[Slug, Path()], request: Annotated[StartBulkRequest, Body()]
) -> Response[str]:
    return bulk_started_response(start_bulk_job(request.to_request(slug)))


lambda_handler = lambda_handler_for(app)

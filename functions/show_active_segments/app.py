"""GET /api/users/{id}/show_active_segments: a user's active slugs (the reference API)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from segmentation.api.resolver import (
    create_resolver,
    error_responses,
    json_response,
    lambda_handler_for,
)
from segmentation.api.schemas import ActiveSegmentsResponse, responses
from segmentation.domain.memberships import active_memberships
from segmentation.values import UserId

app = create_resolver()


@app.get(
    "/api/users/<id>/show_active_segments",
    summary="A user's active segments",
    description="The slugs, sorted; an unknown user has none.",
    tags=["Users"],
    operation_id="show_active_segments",
    responses={
        **responses(200, ActiveSegmentsResponse, "The user's active segments, sorted"),
        **error_responses(409),
    },
)
def show_active_segments(id: Annotated[UserId, Path()]) -> Response[str]:
    slugs = [membership.slug for membership in active_memberships(id)]
    return json_response(200, {"User_id": id, "Slugs": slugs})


lambda_handler = lambda_handler_for(app)

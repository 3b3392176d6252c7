"""PATCH /api/users/{id}/segments: add and remove a user's segments in one atomic call."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from segmentation.api.resolver import (
    create_resolver,
    error_responses,
    json_response,
    lambda_handler_for,
)
from segmentation.api.schemas import (
    ChangeSegmentsRequest,
    ChangeSegmentsResponse,
    responses,
    to_grants,
)
from segmentation.domain.memberships import change_memberships
from segmentation.values import UserId

app = create_resolver()


@app.patch(
    "/api/users/<id>/segments",
    summary="Add and remove a user's segments atomically",
    description="All of it happens, or none of it.",
    tags=["Users"],
    operation_id="change_segments",
    responses={
        **responses(200, ChangeSegmentsResponse, "What this call added and removed"),
        **error_responses(409),
    },
)
def change_segments(
    id: Annotated[UserId, Path()],
    request: Annotated[ChangeSegmentsRequest, Body()],
) -> Response[str]:
    result = change_memberships(id, to_grants(request.add), request.remove)
    return json_response(200, {"user_id": id, "added": result.added, "removed": result.removed})


lambda_handler = lambda_handler_for(app)

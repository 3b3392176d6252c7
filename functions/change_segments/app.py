"""PATCH /api/users/{id}/segments: add and remove a user's segments in one atomic call."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ConfigDict, Field

from segmentation.api.grant_schemas import AddElement, to_grants
from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import responses
from segmentation.domain.memberships import change_memberships
from segmentation.values import Slug, UserId

app = create_resolver()


class ChangeSegmentsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    add: list[AddElement] = Field(default_factory=list)
    remove: list[Slug] = Field(default_factory=list)


class ChangeSegmentsResponse(BaseModel):
    user_id: int
    added: list[str]
    removed: list[str]


@app.patch(
    "/api/users/<id>/segments",
    summary="Add and remove a user's segments atomically",
    description="All of it happens, or none of it.",
    tags=["Users"],
    operation_id="change_segments",
    responses=responses(
        200, ChangeSegmentsResponse, "What this call added and removed", errors=(400, 404)
    ),
)
def change_segments(
    id: Annotated[UserId, Path()],
    request: Annotated[ChangeSegmentsRequest, Body()],
) -> Response[str]:
    result = change_memberships(id, to_grants(request.add), request.remove)
    body = ChangeSegmentsResponse(user_id=id, added=result.added, removed=result.removed)
    return json_response(200, body)


lambda_handler = lambda_handler_for(app)

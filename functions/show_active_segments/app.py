"""GET /api/users/{id}/show_active_segments: a user's active slugs (the reference API)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import responses
from segmentation.domain.memberships import active_memberships
from segmentation.values import UserId

app = create_resolver()


class ActiveSegmentsResponse(BaseModel):
    """The reference API's shape, keys as it spells them."""

    User_id: int
    Slugs: list[str]


@app.get(
    "/api/users/<id>/show_active_segments",
    summary="A user's active segments",
    description="The slugs, sorted; an unknown user has none.",
    tags=["Users"],
    operation_id="show_active_segments",
    responses=responses(200, ActiveSegmentsResponse, "The user's active segments, sorted"),
)
def show_active_segments(id: Annotated[UserId, Path()]) -> Response[str]:
    slugs = [membership.slug for membership in active_memberships(id)]
    return json_response(200, ActiveSegmentsResponse(User_id=id, Slugs=slugs))


lambda_handler = lambda_handler_for(app)

"""GET /api/users/{id}/segments: a user's active segments with source and expiry."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import responses
from segmentation.domain.memberships import active_memberships
from segmentation.values import UserId

app = create_resolver()


class UserSegment(BaseModel):
    slug: str
    added_at: str
    expires_at: str | None
    source: str


class UserSegmentsResponse(BaseModel):
    user_id: int
    segments: list[UserSegment]


@app.get(
    "/api/users/<id>/segments",
    summary="A user's active segments with source and expiry",
    description="`source` is `manual` or `auto`; `expires_at` is null for no expiry.",
    tags=["Users"],
    operation_id="get_user_segments",
    responses=responses(200, UserSegmentsResponse, "The user's active segments, sorted"),
)
def get_user_segments(id: Annotated[UserId, Path()]) -> Response[str]:
    segments = [
        UserSegment(slug=m.slug, added_at=m.added_at, expires_at=m.expires_at, source=m.source)
        for m in active_memberships(id)
    ]
    return json_response(200, UserSegmentsResponse(user_id=id, segments=segments))


lambda_handler = lambda_handler_for(app)

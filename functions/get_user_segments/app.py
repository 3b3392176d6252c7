"""GET /api/users/{id}/segments: a user's active segments with source and expiry."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from segmentation.api.resolver import (
    create_resolver,
    error_responses,
    json_response,
    lambda_handler_for,
)
from segmentation.api.schemas import UserSegmentsResponse, responses
from segmentation.domain.memberships import active_memberships
from segmentation.values import UserId

app = create_resolver()


@app.get(
    "/api/users/<id>/segments",
    summary="A user's active segments with source and expiry",
    description="`source` is `manual` or `auto`; `expires_at` is null for no expiry.",
    tags=["Users"],
    operation_id="get_user_segments",
    responses={
        **responses(200, UserSegmentsResponse, "The user's active segments, sorted"),
        **error_responses(409),
    },
)
def get_user_segments(id: Annotated[UserId, Path()]) -> Response[str]:
    segments = [
        {"slug": m.slug, "added_at": m.added_at, "expires_at": m.expires_at, "source": m.source}
        for m in active_memberships(id)
    ]
    return json_response(200, {"user_id": id, "segments": segments})


lambda_handler = lambda_handler_for(app)

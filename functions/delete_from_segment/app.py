"""DELETE /api/users/{id}/delete_from_segment: remove segments from a user (the reference API)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import StatusResponse, responses
from segmentation.domain.memberships import remove_memberships
from segmentation.settings import SETTINGS
from segmentation.values import Slug, UserId

app = create_resolver()


@app.delete(
    "/api/users/<id>/delete_from_segment",
    summary="Remove segments from a user",
    description="Removing a segment the user does not have is a no-op; from an automatic"
    " segment, the removal sticks.",
    tags=["Users"],
    operation_id="delete_from_segment",
    responses=responses(
        200, StatusResponse, "The user has none of the listed segments", errors=(400, 404)
    ),
)
def delete_from_segment(
    id: Annotated[UserId, Path()],
    slugs: Annotated[list[Slug], Body(min_length=1, max_length=SETTINGS.max_slugs_per_request)],
) -> Response[str]:
    remove_memberships(id, slugs)
    return json_response(200, StatusResponse(status="ok"))


lambda_handler = lambda_handler_for(app)

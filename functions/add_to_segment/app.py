"""POST /api/users/{id}/add_to_segment: add segments to a user (the reference API)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from segmentation.api.grant_schemas import AddElement, to_grants
from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import StatusResponse, responses
from segmentation.domain.memberships import add_memberships
from segmentation.settings import SETTINGS
from segmentation.values import UserId

app = create_resolver()


@app.post(
    "/api/users/<id>/add_to_segment",
    summary="Add segments to a user",
    description="Each element is a slug, or `{slug, ttl_seconds}` / `{slug, expires_at}`"
    " for a membership that ends by itself. Adding a segment the user has is a no-op.",
    tags=["Users"],
    operation_id="add_to_segment",
    responses=responses(
        201, StatusResponse, "The user has every listed segment", errors=(400, 404)
    ),
)
def add_to_segment(
    id: Annotated[UserId, Path()],
    slugs: Annotated[
        list[AddElement], Body(min_length=1, max_length=SETTINGS.max_slugs_per_request)
    ],
) -> Response[str]:
    add_memberships(id, to_grants(slugs))
    return json_response(201, StatusResponse(status="ok"))


lambda_handler = lambda_handler_for(app)

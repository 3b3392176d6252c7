"""PATCH /api/segments/{slug}: change a segment's automatic percent.

Raising it keeps everyone who was in; lowering it only stops new users from joining:
users who already received the segment keep it."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ConfigDict

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import responses
from segmentation.api.segment_schemas import Percent, SegmentOut, segment_out, share_of
from segmentation.domain.segments import change_share
from segmentation.values import Slug

app = create_resolver()


class UpdateSegmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    percent: Percent


@app.patch(
    "/api/segments/<slug>",
    summary="Change a segment's automatic percent",
    description="Raising it keeps everyone who was in; lowering it only stops new users"
    " from joining.",
    tags=["Segments"],
    operation_id="update_segment",
    responses=responses(200, SegmentOut, "The updated segment", errors=(400, 404)),
)
def update(
    slug: Annotated[Slug, Path()], request: Annotated[UpdateSegmentRequest, Body()]
) -> Response[str]:
    return json_response(200, segment_out(change_share(slug, share_of(request.percent))))


lambda_handler = lambda_handler_for(app)

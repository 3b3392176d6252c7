"""POST /api/segments: create a segment; with `percent`, an automatic one."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import IdResponse, responses
from segmentation.api.segment_schemas import Percent, share_of
from segmentation.domain.segments import create_segment
from segmentation.values import Slug

app = create_resolver()


class CreateSegmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    description: Annotated[str, Field(max_length=1000)] | None = None
    percent: Percent | None = None


@app.post(
    "/api/segments",
    summary="Create a segment",
    description="With `percent`, an automatic segment: that share of all users is in it,"
    " chosen by a stable hash of the user id.",
    tags=["Segments"],
    operation_id="create_segment",
    responses=responses(201, IdResponse, "The new segment's id", errors=(400, 409)),
)
def create(request: Annotated[CreateSegmentRequest, Body()]) -> Response[str]:
    segment = create_segment(request.slug, request.description, share_of(request.percent))
    return json_response(201, IdResponse(id=segment.segment_id))


lambda_handler = lambda_handler_for(app)

"""POST /api/segments: create a segment."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import CreateSegmentRequest, IdResponse, responses
from segmentation.domain.segments import create_segment

app = create_resolver()


@app.post("/api/segments", responses=responses(201, IdResponse, "The new segment's id"))
def create(request: Annotated[CreateSegmentRequest, Body()]) -> Response[str]:
    segment = create_segment(request.slug, request.description)
    return json_response(201, {"id": segment.segment_id})


lambda_handler = lambda_handler_for(app)

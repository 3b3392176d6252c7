"""GET /api/segments: the active segments, each with its automatic percent."""

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import responses
from segmentation.api.segment_schemas import SegmentOut, segment_out
from segmentation.domain.segments import list_active_segments

app = create_resolver()


class SegmentListResponse(BaseModel):
    segments: list[SegmentOut]


@app.get(
    "/api/segments",
    summary="List the segments",
    description="Every active segment, with its automatic percent (0: manual only).",
    tags=["Segments"],
    operation_id="list_segments",
    responses=responses(200, SegmentListResponse, "Active segments"),
)
def list_segments() -> Response[str]:
    segments = [segment_out(segment) for segment in list_active_segments()]
    return json_response(200, SegmentListResponse(segments=segments))


lambda_handler = lambda_handler_for(app)

"""GET /api/segments: the active segments."""

from aws_lambda_powertools.event_handler import Response
from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import SegmentListResponse, responses
from segmentation.domain.segments import list_active_segments

app = create_resolver()


@app.get("/api/segments", responses=responses(200, SegmentListResponse, "Active segments"))
def list_segments() -> Response[str]:
    segments = [
        {
            "id": s.segment_id,
            "slug": s.slug,
            "description": s.description,
            "created_at": s.created_at,
        }
        for s in list_active_segments()
    ]
    return json_response(200, {"segments": segments})


lambda_handler = lambda_handler_for(app)

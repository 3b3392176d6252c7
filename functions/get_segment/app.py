"""GET /api/segments/{slug}: one segment, as the list shows it, with its member count."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import Field

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import responses
from segmentation.api.segment_schemas import SegmentOut, segment_out
from segmentation.domain.members import segment_summary
from segmentation.values import Slug

app = create_resolver()


class SegmentWithCountResponse(SegmentOut):
    members: int = Field(
        description="Active members, counted from the history a few seconds behind;"
        " expiries count once maintenance records them (docs/members.md)"
    )


@app.get(
    "/api/segments/<slug>",
    summary="A segment and its member count",
    description="The segment as GET /api/segments lists it, plus `members`: its active"
    " members, exact within a delay of seconds (a minute for expiries).",
    tags=["Segments"],
    operation_id="get_segment",
    responses=responses(200, SegmentWithCountResponse, "The segment", errors=(400, 404)),
)
def get_segment(slug: Annotated[Slug, Path()]) -> Response[str]:
    summary = segment_summary(slug)
    listed = segment_out(summary.segment).model_dump()
    body = SegmentWithCountResponse(**listed, members=summary.members)
    return json_response(200, body)


lambda_handler = lambda_handler_for(app)

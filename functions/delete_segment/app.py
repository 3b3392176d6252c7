"""DELETE /api/segments/{slug}: delete a segment; it leaves every user's reads at once."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import StatusResponse, responses
from segmentation.domain.segments import delete_segment
from segmentation.values import Slug

app = create_resolver()


@app.delete(
    "/api/segments/<slug>",
    summary="Delete a segment",
    description="Every user leaves it at once; the history records each exit.",
    tags=["Segments"],
    operation_id="delete_segment",
    responses=responses(200, StatusResponse, "Deleted", errors=(400, 404)),
)
def delete(slug: Annotated[Slug, Path()]) -> Response[str]:
    delete_segment(slug)
    return json_response(200, StatusResponse(status="ok"))


lambda_handler = lambda_handler_for(app)

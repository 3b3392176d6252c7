"""GET /api/segments/{slug}/members: a segment's active members, page by page."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from segmentation.api.resolver import create_resolver, json_response, lambda_handler_for
from segmentation.api.schemas import responses
from segmentation.domain.member_cursor import MAX_CURSOR_CHARS
from segmentation.domain.members import DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, list_members
from segmentation.values import Slug

app = create_resolver()


class SegmentMember(BaseModel):
    user_id: int
    source: str = Field(description="`manual` or `auto` (an automatic segment's exposure)")
    added_at: str
    expires_at: str | None = Field(description="When the membership ends; null: never")


class MembersPageResponse(BaseModel):
    members: list[SegmentMember]
    cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null: this was the last page"
    )


Limit = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_PAGE_LIMIT,
        description=f"Index entries a page reads, 1-{MAX_PAGE_LIMIT}: a page holds at most"
        " this many members, fewer when removed or expired ones are skipped",
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_CURSOR_CHARS,
        description="The `cursor` of the previous page, as it was returned",
    ),
]


@app.get(
    "/api/segments/<slug>/members",
    summary="A segment's members",
    description="The active members (expired ones never show), in a stable order, page by"
    " page: follow `cursor` until it is null. Every member present during the whole"
    " listing appears exactly once. Automatic members appear from their first read on.",
    tags=["Segments"],
    operation_id="list_segment_members",
    responses=responses(200, MembersPageResponse, "One page of members", errors=(400, 404)),
)
def members(
    slug: Annotated[Slug, Path()], limit: Limit = DEFAULT_PAGE_LIMIT, cursor: Cursor = None
) -> Response[str]:
    page = list_members(slug, limit, cursor)
    body = MembersPageResponse(
        members=[
            SegmentMember(
                user_id=m.user_id, source=m.source, added_at=m.added_at, expires_at=m.expires_at
            )
            for m in page.members
        ],
        cursor=page.cursor,
    )
    return json_response(200, body)


lambda_handler = lambda_handler_for(app)

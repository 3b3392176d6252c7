"""Request and response bodies, as the OpenAPI spec shows them."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StrictInt,
    Tag,
    model_validator,
)

from segmentation.domain.bucketing import (
    buckets_to_percent,
    has_at_most_two_decimals,
    percent_to_buckets,
)
from segmentation.domain.catalogue import Segment
from segmentation.domain.memberships import SegmentGrant
from segmentation.values import Slug

MAX_TTL_SECONDS = 100 * 365 * 24 * 3600


class TimedGrant(BaseModel):
    """A slug with the time the user leaves the segment: `ttl_seconds` or `expires_at`."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    ttl_seconds: Annotated[StrictInt, Field(gt=0, le=MAX_TTL_SECONDS)] | None = None
    expires_at: AwareDatetime | None = Field(
        default=None, description="RFC 3339 with a timezone, in the future"
    )

    @model_validator(mode="after")
    def one_expiry(self) -> Self:
        if self.ttl_seconds is not None and self.expires_at is not None:
            raise ValueError("give ttl_seconds or expires_at, not both")
        return self


def _add_element_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "slug-string"
    if isinstance(value, dict | TimedGrant):
        return "grant-object"
    return None


# Tagged, so that a bad element gets one error naming its own problem.
AddElement = Annotated[
    Annotated[Slug, Tag("slug-string")] | Annotated[TimedGrant, Tag("grant-object")],
    Discriminator(
        _add_element_kind,
        custom_error_type="invalid_add_element",
        custom_error_message="each element is a slug or an object"
        " {slug, ttl_seconds or expires_at}",
    ),
]


def to_grants(elements: list[AddElement], now: datetime | None = None) -> list[SegmentGrant]:
    now = now or datetime.now(UTC)
    grants = []
    for element in elements:
        if isinstance(element, str):
            grants.append(SegmentGrant(element))
        elif element.ttl_seconds is not None:
            grants.append(SegmentGrant(element.slug, now + timedelta(seconds=element.ttl_seconds)))
        else:
            grants.append(SegmentGrant(element.slug, element.expires_at))
    return grants


class IdResponse(BaseModel):
    id: int


class StatusResponse(BaseModel):
    status: str = "ok"


class ErrorResponse(BaseModel):
    message: str


def _check_two_decimals(percent: float) -> float:
    if not has_at_most_two_decimals(percent):
        raise ValueError("percent has at most two decimals (0.01% steps)")
    return percent


# A JSON number, never a string or a boolean; stored as whole 0.01% buckets.
Percent = Annotated[
    float,
    Strict(),
    Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Share of all users in the segment automatically, 0-100, at most two decimals",
        examples=[10, 0.5],
    ),
    AfterValidator(_check_two_decimals),
]


class CreateSegmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    description: Annotated[str, Field(max_length=1000)] | None = None
    percent: Percent | None = None


class UpdateSegmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    percent: Percent


class SegmentOut(BaseModel):
    id: int
    slug: str
    description: str | None
    created_at: str
    percent: float = Field(description="Automatic share of all users; 0: manual only")


def share_of(percent: float | None) -> int:
    """A validated percent as whole 0.01% buckets; no percent: a manual-only segment."""
    return 0 if percent is None else percent_to_buckets(percent)


def segment_out(segment: Segment) -> dict[str, Any]:
    return SegmentOut(
        id=segment.segment_id,
        slug=segment.slug,
        description=segment.description,
        created_at=segment.created_at,
        percent=buckets_to_percent(segment.percent_buckets),
    ).model_dump()


class SegmentListResponse(BaseModel):
    segments: list[SegmentOut]


class ActiveSegmentsResponse(BaseModel):
    """The reference API's shape, keys as it spells them."""

    User_id: int
    Slugs: list[str]


class ChangeSegmentsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    add: list[AddElement] = Field(default_factory=list)
    remove: list[Slug] = Field(default_factory=list)


class ChangeSegmentsResponse(BaseModel):
    user_id: int
    added: list[str]
    removed: list[str]


class UserSegment(BaseModel):
    slug: str
    added_at: str
    expires_at: str | None
    source: str


class UserSegmentsResponse(BaseModel):
    user_id: int
    segments: list[UserSegment]


def responses(status: int, model: type[BaseModel], description: str) -> dict[int, Any]:
    """OpenAPI responses of a route: its success body and the error body."""
    error = {"application/json": {"schema": ErrorResponse.model_json_schema()}}
    return {
        status: {"description": description, "content": {"application/json": {"model": model}}},
        400: {"description": "Invalid request", "content": error},
        404: {"description": "Unknown segment", "content": error},
    }

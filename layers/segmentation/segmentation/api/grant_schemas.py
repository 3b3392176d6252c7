"""The elements of an add list: a slug, or a slug with the time the user leaves it."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictInt,
    Tag,
    field_validator,
    model_validator,
)

from segmentation.domain.memberships import SegmentGrant
from segmentation.values import Slug

MAX_TTL_SECONDS = 100 * 365 * 24 * 3600
MAX_TTL = timedelta(seconds=MAX_TTL_SECONDS)


class TimedGrant(BaseModel):
    """A slug with the time the user leaves the segment: `ttl_seconds` or `expires_at`."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    ttl_seconds: Annotated[StrictInt, Field(gt=0, le=MAX_TTL_SECONDS)] | None = None
    expires_at: AwareDatetime | None = Field(
        default=None, description="RFC 3339 with a timezone, in the future"
    )

    @field_validator("expires_at")
    @classmethod
    def within_ttl_range(cls, expires_at: datetime | None) -> datetime | None:
        # Subtraction, not conversion to UTC: that overflows near year 1 and year 9999.
        if expires_at is not None and expires_at - datetime.now(UTC) > MAX_TTL:
            raise ValueError(f"expires_at is at most {MAX_TTL.days // 365} years ahead")
        if expires_at is not None and expires_at - datetime.now(UTC) < -MAX_TTL:
            raise ValueError("expires_at must be in the future")
        return expires_at

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

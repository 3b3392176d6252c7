"""A segment as the segment endpoints show it, and the `percent` they take."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, Strict

from segmentation.domain.bucketing import (
    buckets_to_percent,
    has_at_most_two_decimals,
    percent_to_buckets,
)
from segmentation.model import Segment


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


def share_of(percent: float | None) -> int:
    """A validated percent as whole 0.01% buckets; no percent: a manual-only segment."""
    return 0 if percent is None else percent_to_buckets(percent)


class SegmentOut(BaseModel):
    id: int
    slug: str
    description: str | None
    created_at: str
    percent: float = Field(description="Automatic share of all users; 0: manual only")


def segment_out(segment: Segment) -> SegmentOut:
    return SegmentOut(
        id=segment.segment_id,
        slug=segment.slug,
        description=segment.description,
        created_at=segment.created_at,
        percent=buckets_to_percent(segment.percent_buckets),
    )

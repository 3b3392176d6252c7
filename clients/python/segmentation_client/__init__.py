"""Typed Python client of the segmentation service."""

from segmentation_client.client import ROUTES, SegmentationClient
from segmentation_client.errors import (
    ApiError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    Unavailable,
)
from segmentation_client.models import (
    ActiveSegments,
    ChangeResult,
    ExportLink,
    IdResponse,
    Segment,
    SegmentList,
    StatusResponse,
    TimedGrant,
    UserSegment,
    UserSegments,
)

__all__ = [
    "ROUTES",
    "ActiveSegments",
    "ApiError",
    "ChangeResult",
    "Conflict",
    "ExportLink",
    "Forbidden",
    "IdResponse",
    "InvalidRequest",
    "NotFound",
    "Segment",
    "SegmentList",
    "SegmentationClient",
    "StatusResponse",
    "TimedGrant",
    "Unavailable",
    "UserSegment",
    "UserSegments",
]

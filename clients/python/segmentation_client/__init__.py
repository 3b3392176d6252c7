"""Typed Python client of the segmentation service."""

from segmentation_client.client import ROUTES, SegmentationClient
from segmentation_client.errors import (
    ApiError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    ReportFailed,
    Unavailable,
)
from segmentation_client.models import (
    ActiveSegments,
    ChangeResult,
    ExportLink,
    IdResponse,
    ReportJob,
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
    "ReportFailed",
    "ReportJob",
    "Segment",
    "SegmentList",
    "SegmentationClient",
    "StatusResponse",
    "TimedGrant",
    "Unavailable",
    "UserSegment",
    "UserSegments",
]

"""Typed Python client of the segmentation service."""

from segmentation_client.bulk import BulkJob, InvalidLine, InvalidLines
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
    MembersPage,
    ReportJob,
    Segment,
    SegmentList,
    SegmentMember,
    SegmentWithCount,
    StatusResponse,
    TimedGrant,
    UserSegment,
    UserSegments,
)

__all__ = [
    "ROUTES",
    "ActiveSegments",
    "ApiError",
    "BulkJob",
    "ChangeResult",
    "Conflict",
    "ExportLink",
    "Forbidden",
    "IdResponse",
    "InvalidLine",
    "InvalidLines",
    "InvalidRequest",
    "MembersPage",
    "NotFound",
    "ReportFailed",
    "ReportJob",
    "Segment",
    "SegmentList",
    "SegmentMember",
    "SegmentWithCount",
    "SegmentationClient",
    "StatusResponse",
    "TimedGrant",
    "Unavailable",
    "UserSegment",
    "UserSegments",
]

"""The service's answers as dataclasses, one per response schema of /openapi.json, and the
timed grant a caller may send."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class IdResponse:
    """`{"id": 1}`: a registered user's or a created segment's id."""

    id: int

    @classmethod
    def from_json(cls, body: Any) -> "IdResponse":
        return cls(id=int(body["id"]))


@dataclass(frozen=True)
class StatusResponse:
    """`{"status": "ok"}`."""

    status: str

    @classmethod
    def from_json(cls, body: Any) -> "StatusResponse":
        return cls(status=str(body["status"]))


@dataclass(frozen=True)
class ActiveSegments:
    """`{"User_id": 1, "Slugs": [...]}` (the reference API's key spelling)."""

    user_id: int
    slugs: list[str]

    @classmethod
    def from_json(cls, body: Any) -> "ActiveSegments":
        return cls(user_id=int(body["User_id"]), slugs=[str(s) for s in body["Slugs"]])


@dataclass(frozen=True)
class UserSegment:
    slug: str
    added_at: str
    expires_at: str | None
    source: str

    @classmethod
    def from_json(cls, body: Any) -> "UserSegment":
        return cls(
            slug=str(body["slug"]),
            added_at=str(body["added_at"]),
            expires_at=None if body["expires_at"] is None else str(body["expires_at"]),
            source=str(body["source"]),
        )


@dataclass(frozen=True)
class UserSegments:
    user_id: int
    segments: list[UserSegment]

    @classmethod
    def from_json(cls, body: Any) -> "UserSegments":
        segments = [UserSegment.from_json(item) for item in body["segments"]]
        return cls(user_id=int(body["user_id"]), segments=segments)


@dataclass(frozen=True)
class Segment:
    id: int
    slug: str
    description: str | None
    created_at: str
    percent: float

    @classmethod
    def from_json(cls, body: Any) -> "Segment":
        description = body["description"]
        return cls(
            id=int(body["id"]),
            slug=str(body["slug"]),
            description=None if description is None else str(description),
            created_at=str(body["created_at"]),
            percent=float(body["percent"]),
        )


@dataclass(frozen=True)
class SegmentWithCount:
    """A segment and its active members, counted a few seconds behind (docs/members.md)."""

    id: int
    slug: str
    description: str | None
    created_at: str
    percent: float
    members: int

    @classmethod
    def from_json(cls, body: Any) -> "SegmentWithCount":
        segment = Segment.from_json(body)
        return cls(
            id=segment.id,
            slug=segment.slug,
            description=segment.description,
            created_at=segment.created_at,
            percent=segment.percent,
            members=int(body["members"]),
        )


@dataclass(frozen=True)
class SegmentMember:
    user_id: int
    source: str
    added_at: str
    expires_at: str | None

    @classmethod
    def from_json(cls, body: Any) -> "SegmentMember":
        expires_at = body["expires_at"]
        return cls(
            user_id=int(body["user_id"]),
            source=str(body["source"]),
            added_at=str(body["added_at"]),
            expires_at=None if expires_at is None else str(expires_at),
        )


@dataclass(frozen=True)
class MembersPage:
    members: list[SegmentMember]
    cursor: str | None  # None: the last page

    @classmethod
    def from_json(cls, body: Any) -> "MembersPage":
        cursor = body["cursor"]
        return cls(
            members=[SegmentMember.from_json(item) for item in body["members"]],
            cursor=None if cursor is None else str(cursor),
        )


@dataclass(frozen=True)
class SegmentList:
    segments: list[Segment]

    @classmethod
    def from_json(cls, body: Any) -> "SegmentList":
        return cls(segments=[Segment.from_json(item) for item in body["segments"]])


@dataclass(frozen=True)
class ChangeResult:
    """What one atomic add-and-remove call really changed."""

    user_id: int
    added: list[str]
    removed: list[str]

    @classmethod
    def from_json(cls, body: Any) -> "ChangeResult":
        return cls(
            user_id=int(body["user_id"]),
            added=[str(s) for s in body["added"]],
            removed=[str(s) for s in body["removed"]],
        )


@dataclass(frozen=True)
class ExportLink:
    """A month's history CSV: a presigned GET URL, valid until `expires_at`."""

    url: str
    expires_at: str
    rows: int

    @classmethod
    def from_json(cls, body: Any) -> "ExportLink":
        return cls(url=str(body["url"]), expires_at=str(body["expires_at"]), rows=int(body["rows"]))


@dataclass(frozen=True)
class ReportJob:
    """A report job: `status` pending, running, done (with url, expires_at, rows) or failed
    (with error)."""

    id: str
    status: str
    year: int
    month: int
    user_id: int | None
    compression: str | None
    rows: int | None
    url: str | None
    expires_at: str | None
    error: str | None
    pieces: int
    pieces_done: int

    @classmethod
    def from_json(cls, body: Any) -> "ReportJob":
        return cls(
            id=str(body["id"]),
            status=str(body["status"]),
            year=int(body["year"]),
            month=int(body["month"]),
            user_id=body.get("user_id"),
            compression=body.get("compression"),
            rows=body.get("rows"),
            url=body.get("url"),
            expires_at=body.get("expires_at"),
            error=body.get("error"),
            pieces=int(body["pieces"]),
            pieces_done=int(body["pieces_done"]),
        )

    @property
    def finished(self) -> bool:
        return self.status in {"done", "failed"}


@dataclass(frozen=True)
class TimedGrant:
    """A segment the user leaves by itself: after `ttl_seconds`, or at `expires_at`."""

    slug: str
    ttl_seconds: int | None = None
    expires_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"slug": self.slug}
        if self.ttl_seconds is not None:
            body["ttl_seconds"] = self.ttl_seconds
        if self.expires_at is not None:
            body["expires_at"] = self.expires_at.isoformat()
        return body

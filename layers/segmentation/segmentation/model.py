"""The plain domain objects: segments, memberships and history events.

The domain plans with these and nothing else; `data/` alone maps them to stored items,
builds their keys and keeps the optimistic versions that guard their writes. They sit
below both layers, like `values.py` and `errors.py`.
"""

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Segment:
    segment_id: int  # the generation: a recreated slug gets a new id
    slug: str
    description: str | None
    created_at: str
    # The automatic share in buckets of 0.01% (domain/bucketing.py); 0: manual only.
    percent_buckets: int = 0
    salt: str = ""

    @property
    def is_automatic(self) -> bool:
        return self.percent_buckets > 0 and bool(self.salt)


@dataclass(frozen=True)
class SegmentDeletion:
    """A deleted segment generation whose members may still await cleanup."""

    segment_id: int
    slug: str
    deleted_at: str


class MembershipState(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"  # also an explicit exclusion


class MembershipSource(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"


@dataclass(frozen=True)
class StoredVersion:
    """What the data layer read of a stored membership, to write it back only if nothing
    changed since (optimistic concurrency). Opaque to the domain, which carries it along."""

    number: int


@dataclass(frozen=True)
class Membership:
    """A user's membership in one segment generation. Removal keeps it with state
    `removed`: it holds the last change time that keeps history in causal order, and
    doubles as an explicit exclusion."""

    user_id: int
    slug: str
    segment_id: int
    state: MembershipState
    source: MembershipSource
    added_at: str
    changed_at: str
    expires_at: str | None = None
    stored: StoredVersion | None = None  # None: not stored yet

    @property
    def generation(self) -> tuple[str, int]:
        return self.slug, self.segment_id


@dataclass(frozen=True)
class MembershipChange:
    """One membership to write in place of the stored one it was planned from (its
    `stored` version; None: none may exist), or with `delete` to take out of the table."""

    membership: Membership
    delete: bool = False


class HistoryOperation(StrEnum):
    INSERT = "INSERT"
    DELETE = "DELETE"


class HistoryReason(StrEnum):
    MANUAL = "manual"
    TTL = "ttl"
    AUTO = "auto"
    SEGMENT_DELETED = "segment_deleted"


@dataclass(frozen=True)
class HistoryEvent:
    user_id: int
    slug: str
    segment_id: int
    operation: HistoryOperation
    reason: HistoryReason
    at: str  # clock.format_timestamp

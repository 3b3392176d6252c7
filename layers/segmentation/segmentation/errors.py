"""Domain errors. The HTTP layer maps each to a status code; the domain knows no HTTP."""

from collections.abc import Iterable


class DomainError(Exception):
    """Base class: the message is safe to show to the caller."""


class InvalidRequest(DomainError):
    pass


class SegmentNotFound(DomainError):
    def __init__(self, slugs: Iterable[str]) -> None:
        self.slugs = sorted(slugs)
        super().__init__(f"unknown segment(s): {', '.join(self.slugs)}")


class SegmentAlreadyExists(DomainError):
    def __init__(self, slug: str, message: str | None = None) -> None:
        self.slug = slug
        super().__init__(message or f"segment {slug} already exists")


class ConcurrentModification(DomainError):
    """Optimistic concurrency gave up: other calls kept changing the same items."""

"""The active segments, cached per container so that steady-state reads cost one query."""

import time
from dataclasses import dataclass

from segmentation.data.models import SegmentItem
from segmentation.data.segments import list_segments
from segmentation.domain.bucketing import in_share
from segmentation.settings import SETTINGS


@dataclass(frozen=True)
class Segment:
    segment_id: int
    slug: str
    description: str | None
    created_at: str
    # The automatic share in buckets of 0.01% (bucketing.py); 0 for a manual-only segment.
    percent_buckets: int = 0
    salt: str = ""

    @property
    def is_automatic(self) -> bool:
        return self.percent_buckets > 0 and bool(self.salt)

    def takes_by_share(self, user_id: int) -> bool:
        """Whether the percentage alone puts this user in (stored memberships aside)."""
        return self.is_automatic and in_share(self.salt, user_id, self.percent_buckets)


def segment_of(item: SegmentItem) -> Segment:
    return Segment(
        segment_id=int(item.segment_id),
        slug=item.slug,
        description=item.description,
        created_at=item.created_at,
        percent_buckets=int(item.percent_buckets or 0),  # absent on items from before
        salt=item.salt or "",
    )


_NO_SEGMENT = Segment(segment_id=-1, slug="", description=None, created_at="")
MIN_REFRESH_INTERVAL_SECONDS = 1.0


class SegmentCatalogue:
    def __init__(self, max_age_seconds: float) -> None:
        self.max_age_seconds = max_age_seconds
        self._by_slug: dict[str, Segment] = {}
        self._loaded_at = float("-inf")

    def segments(self, *, fresh: bool = False) -> dict[str, Segment]:
        if fresh or time.monotonic() - self._loaded_at > self.max_age_seconds:
            self.refresh()
        return self._by_slug

    def refresh(self) -> dict[str, Segment]:
        self._by_slug = {item.slug: segment_of(item) for item in list_segments()}
        self._loaded_at = time.monotonic()
        return self._by_slug

    def segments_with(self, generations: set[tuple[str, int]]) -> dict[str, Segment]:
        """The cached segments, refreshed first when they lack one of these (slug, id)
        generations: a segment created since the last refresh. Refreshes at most once a
        second, so memberships of deleted segments awaiting cleanup cost little."""
        known = self.segments()
        missing = any(known.get(slug, _NO_SEGMENT).segment_id != sid for slug, sid in generations)
        if missing and time.monotonic() - self._loaded_at > MIN_REFRESH_INTERVAL_SECONDS:
            known = self.refresh()
        return known

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    def resolve(self, slugs: list[str]) -> tuple[dict[str, Segment], set[str]]:
        """The segments for these slugs and the slugs that are unknown; a slug missing
        from the cache triggers one refresh, since it may have been created since."""
        known = self.segments()
        if not all(slug in known for slug in slugs):
            known = self.refresh()
        found = {slug: known[slug] for slug in slugs if slug in known}
        return found, set(slugs) - found.keys()


CATALOGUE = SegmentCatalogue(SETTINGS.segment_cache_seconds)

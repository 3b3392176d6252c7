"""The active segments, cached per container and kept current through the catalogue log.

A warm container asks the log for changes newer than its version once every
SEGMENT_CACHE_SECONDS: one eventually consistent query that returns nothing almost
always (0.5 RCU), whatever the number of segments. Only a cold container, or one that
fell behind the log, reads every segment. A miss (a slug or generation the cache does not
know, e.g. created a moment ago) asks the log again, strongly consistent, at most once
per MISS_RECHECK_SECONDS: a caller sending unknown slugs cannot load the catalogue.
"""

import time

from segmentation.data.catalogue import MAX_CHANGES_PER_QUERY, changes_after, load_catalogue
from segmentation.model import Segment
from segmentation.settings import SETTINGS

MISS_RECHECK_SECONDS = 1.0
# A full re-read at least this often: a container that slept past the log's retention
# (DynamoDB TTL drops old entries) would otherwise find nothing newer and not notice.
MAX_SNAPSHOT_AGE_SECONDS = 3600.0


class SegmentCatalogue:
    def __init__(self, max_age_seconds: float) -> None:
        self.max_age_seconds = max_age_seconds
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next use reads the whole catalogue."""
        self._by_slug: dict[str, Segment] = {}
        # Deleted generations (whose memberships may await cleanup): not a miss to re-check.
        self._deleted_ids: set[int] = set()
        self._version = -1
        self._loaded_at = float("-inf")
        self._checked_at = float("-inf")
        self._miss_checked_at = float("-inf")
        self._stale = False

    def segments(self, *, fresh: bool = False) -> dict[str, Segment]:
        """slug -> active segment; `fresh`: first catch up with every committed change."""
        if self._version < 0 or time.monotonic() - self._loaded_at > MAX_SNAPSHOT_AGE_SECONDS:
            self.refresh()
        elif fresh or self._stale:
            self._catch_up(consistent=True)
        elif time.monotonic() - self._checked_at > self.max_age_seconds:
            self._catch_up(consistent=False)
        return self._by_slug

    def refresh(self) -> dict[str, Segment]:
        """Reads the whole catalogue (a cold container, or one that fell behind the log)."""
        snapshot = load_catalogue()
        self._by_slug = {segment.slug: segment for segment in snapshot.segments}
        self._deleted_ids = snapshot.deleted_ids
        self._version = snapshot.version
        self._checked_at = self._loaded_at = time.monotonic()
        self._stale = False
        return self._by_slug

    def _catch_up(self, consistent: bool) -> None:
        changes = changes_after(self._version, consistent)
        self._checked_at = time.monotonic()
        self._stale = False
        versions = [change.version for change in changes]
        if len(changes) == MAX_CHANGES_PER_QUERY or versions != list(
            range(self._version + 1, self._version + 1 + len(changes))
        ):
            self.refresh()  # fell behind the log's retention, or a replica lags: re-read
            return
        for change in changes:
            segment = change.segment
            current = self._by_slug.get(segment.slug)
            if not change.deleted:
                self._by_slug[segment.slug] = segment
                continue
            self._deleted_ids.add(segment.segment_id)
            if current is not None and current.segment_id == segment.segment_id:
                del self._by_slug[segment.slug]
        if changes:
            self._version = versions[-1]

    def _recheck_after_miss(self) -> dict[str, Segment]:
        if time.monotonic() - self._miss_checked_at >= MISS_RECHECK_SECONDS:
            self._miss_checked_at = time.monotonic()
            return self.segments(fresh=True)
        return self._by_slug

    def segments_with(self, generations: set[tuple[str, int]]) -> dict[str, Segment]:
        """The cached segments, re-checked first (at most once a MISS_RECHECK_SECONDS)
        when they lack one of these (slug, id) generations and do not know it as deleted
        (memberships awaiting cleanup): a segment created meanwhile."""
        known = self.segments()
        if any(
            getattr(known.get(slug), "segment_id", None) != sid and sid not in self._deleted_ids
            for slug, sid in generations
        ):
            known = self._recheck_after_miss()
        return known

    def invalidate(self) -> None:
        """This container changed the catalogue: catch up before its next use."""
        self._stale = True

    def resolve(self, slugs: list[str]) -> tuple[dict[str, Segment], set[str]]:
        """The segments for these slugs and the slugs that are unknown; a slug missing
        from the cache triggers a (rate-limited) re-check, since it may be new."""
        known = self.segments()
        if not all(slug in known for slug in slugs):
            known = self._recheck_after_miss()
        found = {slug: known[slug] for slug in slugs if slug in known}
        return found, set(slugs) - found.keys()


CATALOGUE = SegmentCatalogue(SETTINGS.segment_cache_seconds)

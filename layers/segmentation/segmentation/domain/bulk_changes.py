"""One batch of a bulk job: each user's change is the same atomic per-user transition as
the single-user endpoints (`memberships.changes.plan_changes`), with its history
row, so a bulk add and a single add are indistinguishable afterwards.

Reads are batched (one BatchGetItem per 100 users for their item of this segment
generation); a user then costs one transaction if they change, nothing if they don't.
A conflict with a concurrent call re-reads that user alone and re-plans (retry.py).
Retries are exact: a user changed by an earlier attempt at the batch is a no-op now
(re-adding a member changes nothing), and `changed` counts the batch's change markers,
written in each user's transaction, rather than what this attempt saw.
"""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from segmentation.clock import format_timestamp, parse_timestamp, utc_now
from segmentation.data.bulk_memberships import (
    changed_users,
    memberships_of_users,
    write_marked_change,
)
from segmentation.domain.memberships.changes import SegmentGrant, plan_changes
from segmentation.domain.retry import retry_on_conflict
from segmentation.model import Membership, Segment
from segmentation.settings import SETTINGS

ADD = "add"
REMOVE = "remove"


@dataclass(frozen=True)
class BatchWork:
    job_id: str
    batch: int
    segment: Segment
    action: str  # add | remove
    expires_at: str | None


@dataclass(frozen=True)
class BatchResult:
    done: int  # ids processed (as listed)
    changed: int  # users whose membership really changed, over every attempt


def _change_user(work: BatchWork, user_id: int, read: Membership | None) -> bool:
    """Moves one user to the job's target state (marking them if their state changed);
    True if this call changed it."""
    slug = work.segment.slug
    expiry: datetime | None = None if work.expires_at is None else parse_timestamp(work.expires_at)
    grants = [SegmentGrant(slug, expiry)] if work.action == ADD else []
    removals = [slug] if work.action == REMOVE else []
    first_read = [read]

    def attempt() -> bool:
        if first_read:
            stored = first_read.pop()
        else:  # a concurrent call changed the user: re-read them alone
            stored = memberships_of_users(slug, work.segment.segment_id, [user_id]).get(user_id)
        now = utc_now()
        plan = plan_changes(
            user_id, grants, removals, {slug: work.segment}, [] if stored is None else [stored], now
        )
        if not plan.changes:
            return False
        changed = bool(plan.added or plan.removed)
        mark = (work.job_id, work.batch, user_id) if changed else None
        write_marked_change(plan.changes, plan.events, format_timestamp(now), mark)
        return changed

    return retry_on_conflict(attempt)


def run_batch(work: BatchWork, user_ids: Sequence[int]) -> BatchResult:
    """Applies the job's change to every user of the batch (users in parallel: their
    transactions share no item)."""
    threads = SETTINGS.bulk_write_threads
    users = list(dict.fromkeys(user_ids))
    items = memberships_of_users(work.segment.slug, work.segment.segment_id, users)
    with ThreadPoolExecutor(max(1, min(threads, len(users))), "bulk-user") as pool:
        list(pool.map(lambda user: _change_user(work, user, items.get(user)), users))
    return BatchResult(len(user_ids), len(changed_users(work.job_id, work.batch)))

"""The scheduled maintenance run: expired memberships and deleted segments' members.

Reads never need it (they are exact on their own); it makes state and history catch up:
- an expired membership becomes `removed`, with a DELETE row (reason `ttl`) stamped with
  its expiry time;
- each member of a deleted segment gets a DELETE row (reason `segment_deleted`, stamped
  with the deletion time; `ttl` at its expiry if it had expired before) and its item is
  deleted; the tombstone goes once no member is left.

Work comes in batches of memberships, each batch one transaction through the same writer
as the API (write_membership_changes): every membership change is conditioned on the
version read, every history key is deterministic, so a crash, a retry or an overlapping
run at any point neither duplicates nor loses a row. Finished work leaves the indexes,
so the next run resumes where this one stopped: the indexes are the cursor.
"""

import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from itertools import islice

from segmentation.clock import ONE_MICROSECOND, format_timestamp, parse_timestamp, utc_now
from segmentation.data.history import HistoryEvent, HistoryOperation, HistoryReason
from segmentation.data.maintenance import (
    MembershipKey,
    due_expiry_keys,
    has_members,
    pending_deletions,
    read_memberships,
    remove_tombstone,
    segment_member_keys,
)
from segmentation.data.memberships import (
    MembershipWrite,
    StaleSegments,
    WriteConflict,
    write_membership_changes,
)
from segmentation.data.models import MembershipItem, SegmentDeletionItem
from segmentation.data.segments import list_segments
from segmentation.domain.memberships import EXPIRY_SHARDS, MembershipState, expiry_shard
from segmentation.domain.report_watermark import record_history_watermark
from segmentation.settings import SETTINGS

TimeLeftMs = Callable[[], int]  # as LambdaContext.get_remaining_time_in_millis
# A change and the history row it implies; None: the change records no exit.
Transition = tuple[MembershipWrite, HistoryEvent | None]
Planner = Callable[[MembershipItem], Transition | None]


@dataclass
class MaintenanceSummary:
    ttl_exits: int = 0  # DELETE rows with reason ttl
    segment_deleted_exits: int = 0  # DELETE rows with reason segment_deleted
    memberships_deleted: int = 0  # items of deleted segments removed from the table
    segments_finished: int = 0  # tombstones removed: those deletions are complete
    deferred_batches: int = 0  # kept conflicting: left for the next run
    complete: bool = True  # False: the time budget ran out, the next run goes on


@dataclass(frozen=True)
class _Budget:
    time_left_ms: TimeLeftMs
    reserve_ms: int

    def spent(self) -> bool:
        return self.time_left_ms() < self.reserve_ms


def _unlimited() -> int:
    return sys.maxsize


def _batches(keys: Iterable[MembershipKey], size: int) -> Iterator[list[MembershipKey]]:
    iterator = iter(keys)
    while batch := list(islice(iterator, size)):
        yield batch


def _exit_time(item: MembershipItem, logical: str) -> str:
    """The logical exit time, but never at or before the item's last change: a segment
    deleted while a concurrent add committed still has its exit after that entry."""
    after_last_change = parse_timestamp(item.changed_at) + ONE_MICROSECOND
    return format_timestamp(max(parse_timestamp(logical), after_last_change))


def _exit_event(item: MembershipItem, reason: HistoryReason, at: str) -> HistoryEvent:
    return HistoryEvent(
        int(item.user_id), item.slug, int(item.segment_id), HistoryOperation.DELETE, reason, at
    )


def _removed(item: MembershipItem, at: str) -> MembershipWrite:
    """The item as the API leaves a removed membership: state `removed`, out of the
    expiry index, next version."""
    removed = MembershipItem.from_raw_data(item.serialize())
    removed.state = MembershipState.REMOVED.value
    removed.changed_at = at
    removed.expires_at = None
    removed.expiry_shard = None
    removed.version = int(item.version) + 1
    return MembershipWrite(removed, int(item.version))


def _expiry_transition(
    item: MembershipItem, now: datetime, live_segments: dict[str, int]
) -> Transition | None:
    if (
        item.state != MembershipState.ACTIVE
        or item.expires_at is None
        or parse_timestamp(item.expires_at) > now
    ):
        return None  # removed, made permanent or given a later expiry since it was indexed
    if live_segments.get(item.slug) != int(item.segment_id):
        return None  # its segment was deleted: the deletion pass decides how it left
    at = _exit_time(item, item.expires_at)
    return _removed(item, at), _exit_event(item, HistoryReason.TTL, at)


def _deletion_transition(item: MembershipItem, tombstone: SegmentDeletionItem) -> Transition | None:
    if int(item.segment_id) != int(tombstone.segment_id):
        return None
    delete = MembershipWrite(item, int(item.version), delete=True)
    if item.state != MembershipState.ACTIVE:
        return delete, None  # removed or excluded: its exit, if any, is recorded already
    if item.expires_at is not None and item.expires_at <= tombstone.deleted_at:
        reason, logical = HistoryReason.TTL, item.expires_at  # it had left before
    else:
        reason, logical = HistoryReason.SEGMENT_DELETED, tombstone.deleted_at
    return delete, _exit_event(item, reason, _exit_time(item, logical))


def _back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))


def _apply_batch(
    keys: list[MembershipKey],
    plan: Planner,
    summary: MaintenanceSummary,
    live_segments: dict[str, int] | None = None,
) -> None:
    """Reads the batch's items, plans their transitions and writes them in one
    transaction; on a conflict (a user changed one meanwhile) re-reads and re-plans.
    `live_segments` (slug -> id), when given, is checked in the transaction and loses
    the segments found deleted meanwhile."""
    for attempt in range(SETTINGS.max_write_attempts):
        transitions = [t for item in read_memberships(keys) if (t := plan(item)) is not None]
        if not transitions:
            return
        writes = [write for write, _ in transitions]
        events = [event for _, event in transitions if event is not None]
        checks = (
            {} if live_segments is None else {w.item.slug: int(w.item.segment_id) for w in writes}
        )
        try:
            write_membership_changes(writes, events, checks)
        except StaleSegments as stale:
            assert live_segments is not None
            for slug in stale.slugs:
                live_segments.pop(slug, None)
            continue
        except WriteConflict:
            _back_off(attempt)
            continue
        summary.ttl_exits += sum(e.reason == HistoryReason.TTL for e in events)
        summary.segment_deleted_exits += sum(
            e.reason == HistoryReason.SEGMENT_DELETED for e in events
        )
        summary.memberships_deleted += sum(write.delete for write in writes)
        return
    summary.deferred_batches += 1


def expire_memberships(now: datetime, budget: _Budget, summary: MaintenanceSummary) -> None:
    """Every membership due by `now`, found shard by shard in the sparse expiry index."""
    due_by = format_timestamp(now)
    size = SETTINGS.maintenance_batch_size
    live_segments = {item.slug: int(item.segment_id) for item in list_segments()}
    plan = partial(_expiry_transition, now=now, live_segments=live_segments)

    for shard in sorted({expiry_shard(user_id) for user_id in range(EXPIRY_SHARDS)}):
        for keys in _batches(due_expiry_keys(shard, due_by, size), size):
            if budget.spent():
                summary.complete = False
                return
            _apply_batch(keys, plan, summary, live_segments)


def finish_segment_deletions(now: datetime, budget: _Budget, summary: MaintenanceSummary) -> None:
    """Records the exits of deleted segments' members and removes their items, oldest
    deletion first; a tombstone goes when its segment has no member left."""
    size = SETTINGS.maintenance_batch_size
    grace = timedelta(seconds=SETTINGS.tombstone_grace_seconds)
    for tombstone in pending_deletions():
        deferred_before = summary.deferred_batches
        plan = partial(_deletion_transition, tombstone=tombstone)
        for keys in _batches(segment_member_keys(int(tombstone.segment_id), size), size):
            if budget.spent():
                summary.complete = False
                return
            _apply_batch(keys, plan, summary)
        # The members index lags behind writes: only an old enough deletion's empty
        # answer proves that no member is left.
        if (
            summary.deferred_batches == deferred_before
            and parse_timestamp(tombstone.deleted_at) + grace <= now
            and not has_members(int(tombstone.segment_id))
            and remove_tombstone(tombstone)
        ):
            summary.segments_finished += 1


def run_maintenance(
    time_left_ms: TimeLeftMs | None = None, now: datetime | None = None
) -> MaintenanceSummary:
    """One run: expiries first, then deleted segments, until done or until only the
    reserve of the time budget is left (the next run resumes)."""
    budget = _Budget(time_left_ms or _unlimited, SETTINGS.maintenance_reserve_ms)
    now = now or utc_now()
    summary = MaintenanceSummary()
    expire_memberships(now, budget, summary)
    if summary.complete:
        finish_segment_deletions(now, budget, summary)
    record_history_watermark(now, summary.complete)
    return summary

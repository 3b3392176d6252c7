"""The scheduled maintenance run: expired memberships and deleted segments' members.

Reads never need it (they are exact on their own); it makes state and history catch up:
- an expired membership becomes `removed`, with a DELETE row (reason `ttl`) stamped with
  its expiry time;
- each member of a deleted segment gets a DELETE row (reason `segment_deleted`, stamped
  with the deletion time; `ttl` at its expiry if it had expired before) and its item is
  deleted; the tombstone goes once no member is left after the deletion grace period,
  which also catches memberships that writes planned before the deletion added late.

The work takes turns, one batch at a time: due expiries, and each deleted segment (its
members, then the check that finishes it), so every run moves each of them forward
whatever the backlog and mix, and every batch takes its items out of the index it came
from. A due expiry of a deleted segment is settled in the expiry queue as the deletion
would settle it (with the same exit), so nothing lingers at the head of a queue. Each
batch is one transaction conditioned on the versions read, with deterministic history
keys: a crash, a retry or an overlapping run neither duplicates nor loses a row. A run
that left a batch deferred (it kept conflicting) is not complete: the history watermark
does not move past it.
"""

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from itertools import islice

from segmentation.clock import ONE_MICROSECOND, format_timestamp, parse_timestamp, utc_now
from segmentation.data.catalogue import load_catalogue
from segmentation.data.maintenance import (
    due_expiry_keys,
    has_members,
    pending_deletions,
    remove_tombstone,
    segment_member_keys,
)
from segmentation.data.memberships import (
    MembershipKey,
    read_memberships,
    write_membership_changes,
)
from segmentation.data.segments import remove_deletion_marker
from segmentation.domain.memberships.rules import membership_event, removed
from segmentation.domain.report_watermark import record_history_watermark
from segmentation.domain.retry import retry_on_conflict
from segmentation.errors import ConcurrentModification
from segmentation.model import (
    HistoryEvent,
    HistoryOperation,
    HistoryReason,
    Membership,
    MembershipChange,
    MembershipState,
    SegmentDeletion,
)
from segmentation.settings import SETTINGS

TimeLeftMs = Callable[[], int]  # as LambdaContext.get_remaining_time_in_millis
# A change and the history row it implies; None: the change records no exit.
Transition = tuple[MembershipChange, HistoryEvent | None]
Planner = Callable[[Membership], Transition | None]
Work = Callable[[], None]
# Keys per page of the (KEYS_ONLY) expiry index: batches are cut from pages this size.
EXPIRY_PAGE_KEYS = 1000


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


def _exit_time(membership: Membership, logical: str) -> str:
    """The logical exit time, but never at or before the membership's last change: a
    segment deleted while a concurrent add committed still has its exit after that entry."""
    after_last_change = parse_timestamp(membership.changed_at) + ONE_MICROSECOND
    return format_timestamp(max(parse_timestamp(logical), after_last_change))


def _exit_event(membership: Membership, reason: HistoryReason, at: str) -> HistoryEvent:
    return membership_event(membership, HistoryOperation.DELETE, reason, at)


def _deletion_transition(membership: Membership, deleted_at: str | None) -> Transition:
    """A deleted segment's membership leaves the table. `deleted_at` None: the segment is
    gone with its tombstone (an orphan): the expiry, which brought it here, ended it."""
    delete = MembershipChange(membership, delete=True)
    if membership.state != MembershipState.ACTIVE:
        return delete, None  # removed or excluded: its exit, if any, is recorded already
    expires_at = membership.expires_at
    if expires_at is not None and (deleted_at is None or expires_at <= deleted_at):
        reason, logical = HistoryReason.TTL, expires_at  # it had left before
    else:
        reason, logical = HistoryReason.SEGMENT_DELETED, str(deleted_at)
    return delete, _exit_event(membership, reason, _exit_time(membership, logical))


@dataclass(frozen=True)
class _Generations:
    """What the run knows of segment generations: the live ones and the deleted ones
    awaiting cleanup. Live is read after the tombstones, so a generation in neither is
    one whose cleanup had finished before the run began."""

    live: dict[str, int]  # slug -> segment id
    deleted: dict[int, SegmentDeletion]  # segment id -> its deletion


def _expiry_transition(
    membership: Membership, now: datetime, generations: _Generations
) -> Transition | None:
    expires_at = membership.expires_at
    if (
        membership.state != MembershipState.ACTIVE
        or expires_at is None
        or parse_timestamp(expires_at) > now
    ):
        return None  # removed, made permanent or given a later expiry since it was indexed
    if generations.live.get(membership.slug) == membership.segment_id:
        at = _exit_time(membership, expires_at)
        return MembershipChange(removed(membership, at)), _exit_event(
            membership, HistoryReason.TTL, at
        )
    # Its segment was deleted: settle it as the deletion pass would, so it leaves the
    # expiry index now instead of being walked again by every run.
    deletion = generations.deleted.get(membership.segment_id)
    return _deletion_transition(membership, None if deletion is None else deletion.deleted_at)


def _for_generation(membership: Membership, deletion: SegmentDeletion) -> Transition | None:
    if membership.segment_id != deletion.segment_id:
        return None
    return _deletion_transition(membership, deletion.deleted_at)


def _apply_batch(keys: list[MembershipKey], plan: Planner, summary: MaintenanceSummary) -> None:
    """Reads the batch's items, plans their transitions and writes them in one
    transaction; on a conflict (a user changed one meanwhile) re-reads and re-plans."""

    def attempt() -> None:
        transitions = [t for m in read_memberships(keys) if (t := plan(m)) is not None]
        if not transitions:
            return
        changes = [change for change, _ in transitions]
        events = [event for _, event in transitions if event is not None]
        write_membership_changes(changes, events)
        summary.ttl_exits += sum(e.reason == HistoryReason.TTL for e in events)
        summary.segment_deleted_exits += sum(
            e.reason == HistoryReason.SEGMENT_DELETED for e in events
        )
        summary.memberships_deleted += sum(change.delete for change in changes)

    try:
        retry_on_conflict(attempt)
    except ConcurrentModification:
        summary.deferred_batches += 1  # its items stay indexed: a later run retries them


def _expiry_work(
    now: datetime, generations: _Generations, summary: MaintenanceSummary
) -> Iterator[Work]:
    """Due expiries, oldest first in each shard. An entry of a deleted segment is settled
    here as the deletion would settle it (it leaves the index either way): passing over
    it instead would cost every run a read of the whole backlog before any work."""
    size = SETTINGS.maintenance_batch_size
    due = due_expiry_keys(format_timestamp(now), EXPIRY_PAGE_KEYS)
    plan = partial(_expiry_transition, now=now, generations=generations)
    for keys in _batches(due, size):
        yield partial(_apply_batch, keys, plan, summary)


def _finish_deletion(deletion: SegmentDeletion, summary: MaintenanceSummary) -> None:
    """The deletion is complete when, after the grace period (longer than any write
    planned before the deletion can take to land, plus the index's lag), no member of
    the generation is left: the slug is freed and the tombstone goes."""
    if has_members(deletion.segment_id):
        return
    remove_deletion_marker(deletion.slug, deletion.segment_id)
    if remove_tombstone(deletion):
        summary.segments_finished += 1


def _deletion_work(
    deletion: SegmentDeletion, now: datetime, summary: MaintenanceSummary
) -> Iterator[Work]:
    """Its members' batches, then (past the grace period) the check that finishes it."""
    size = SETTINGS.maintenance_batch_size
    plan = partial(_for_generation, deletion=deletion)
    for keys in _batches(segment_member_keys(deletion.segment_id, size), size):
        yield partial(_apply_batch, keys, plan, summary)
    grace = timedelta(seconds=SETTINGS.tombstone_grace_seconds)
    if parse_timestamp(deletion.deleted_at) + grace <= now:
        yield partial(_finish_deletion, deletion, summary)


def _in_turns(queues: list[Iterator[Work]]) -> Iterator[Work]:
    """One unit from each queue in turn, until every queue is empty."""
    while queues:
        for queue in list(queues):
            work = next(queue, None)
            if work is None:
                queues.remove(queue)
            else:
                yield work


def run_maintenance(
    time_left_ms: TimeLeftMs | None = None, now: datetime | None = None
) -> MaintenanceSummary:
    """One run over every kind of work, until done or until only the reserve of the time
    budget is left (the next run resumes: finished work has left the indexes)."""
    budget = _Budget(time_left_ms or _unlimited, SETTINGS.maintenance_reserve_ms)
    now = now or utc_now()
    summary = MaintenanceSummary()
    pending = pending_deletions()  # oldest deletion first
    live = {segment.slug: segment.segment_id for segment in load_catalogue().segments}
    generations = _Generations(live, {deletion.segment_id: deletion for deletion in pending})
    deletions = _in_turns([_deletion_work(deletion, now, summary) for deletion in pending])
    for work in _in_turns([_expiry_work(now, generations, summary), deletions]):
        if budget.spent():
            summary.complete = False
            break
        work()
    if summary.deferred_batches:  # rows still to be written: the watermark must wait
        summary.complete = False
    record_history_watermark(now, summary.complete)
    return summary

"""No per-user path shares an item with another user's request: under DynamoDB's
transaction-conflict rule (modelled: moto has none), concurrent users never cancel each
other, so a rollout to one segment needs no retry."""

import threading
from collections.abc import Callable

import pytest

from segmentation.domain import retry
from segmentation.domain.catalogue import CATALOGUE
from segmentation.domain.memberships import SegmentGrant, active_memberships, add_memberships
from segmentation.domain.segments import create_segment
from tests.support.transaction_conflicts import modelled_conflicts

WRITERS = 32


def _all_at_once(work: Callable[[int], object]) -> None:
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def run(user_id: int) -> None:
        start.wait()
        try:
            work(user_id)
        except BaseException as error:  # reported below, with the rest
            errors.append(error)

    threads = [threading.Thread(target=run, args=(1000 + n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.fixture
def retries(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    # One warm catalogue for the whole test: a Lambda container serves one request at a
    # time, so the threads here must not refresh the shared cache under each other.
    monkeypatch.setattr(CATALOGUE, "max_age_seconds", 3600.0)
    counted: list[int] = []
    monkeypatch.setattr(retry, "back_off", counted.append)
    return counted


def test_the_model_cancels_transactions_that_share_an_item(
    monkeypatch: pytest.MonkeyPatch, retries: list[int]
) -> None:
    # Given one user whose segments many calls change at once
    create_segment("ROLLOUT")
    CATALOGUE.segments(fresh=True)
    with modelled_conflicts(monkeypatch) as model:
        # When they all add to the same user
        _all_at_once(lambda _: add_memberships(7, [SegmentGrant("ROLLOUT")]))
    # Then the model saw them collide, and the service retried until one add won
    assert model.conflicts > 0
    assert retries
    assert [m.slug for m in active_memberships(7)] == ["ROLLOUT"]


def test_a_rollout_to_one_segment_never_conflicts(
    monkeypatch: pytest.MonkeyPatch, retries: list[int]
) -> None:
    create_segment("ROLLOUT")
    CATALOGUE.segments(fresh=True)
    with modelled_conflicts(monkeypatch) as model:
        _all_at_once(lambda user_id: add_memberships(user_id, [SegmentGrant("ROLLOUT")]))
    assert (model.transactions, model.conflicts, model.shared_items, retries) == (
        WRITERS,
        0,
        set(),
        [],
    )


def test_first_reads_of_one_automatic_segment_never_conflict(
    monkeypatch: pytest.MonkeyPatch, retries: list[int]
) -> None:
    create_segment("EVERYONE", percent_buckets=10_000)
    CATALOGUE.segments(fresh=True)
    with modelled_conflicts(monkeypatch) as model:
        _all_at_once(active_memberships)
    assert (model.transactions, model.conflicts, model.shared_items, retries) == (
        WRITERS,
        0,
        set(),
        [],
    )
    assert all([m.source for m in active_memberships(1000 + n)] == ["auto"] for n in range(WRITERS))

"""The catalogue cache: O(1) per check in steady state, bounded re-checks on misses."""

from typing import Any

import pytest

from segmentation.clock import format_timestamp, utc_now
from segmentation.data import catalogue as catalogue_data
from segmentation.data.segments import insert_segment
from segmentation.domain import catalogue
from segmentation.domain.catalogue import CATALOGUE, MISS_RECHECK_SECONDS
from segmentation.domain.segments import create_segment
from segmentation.model import Segment
from tests.support.handlers import Call


class Reads:
    def __init__(self) -> None:
        self.catch_ups: list[bool] = []  # consistent?
        self.reloads = 0


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    counted = Reads()
    real_changes, real_load = catalogue.changes_after, catalogue.load_catalogue

    def changes_after(version: int, consistent: bool = False) -> Any:
        counted.catch_ups.append(consistent)
        return real_changes(version, consistent)

    def load_catalogue() -> Any:
        counted.reloads += 1
        return real_load()

    monkeypatch.setattr(catalogue, "changes_after", changes_after)
    monkeypatch.setattr(catalogue, "load_catalogue", load_catalogue)
    return counted


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(catalogue.time, "monotonic", lambda: now[0])
    return now


def created_elsewhere(slug: str, segment_id: int) -> None:
    """A segment created by another container: this one's cache is not told."""
    insert_segment(Segment(segment_id, slug, None, format_timestamp(utc_now())), "")


def test_unknown_slugs_recheck_the_catalogue_at_most_once_per_interval(
    call: Call, reads: Reads, clock: list[float]
) -> None:
    create_segment("KNOWN")
    CATALOGUE.segments()  # a warm container
    reads.catch_ups.clear()
    reads.reloads = 0
    for _ in range(20):
        reply = call("add_to_segment", "POST", "/api/users/1/add_to_segment", ["TYPO"])
        assert reply.status == 404
    assert (reads.catch_ups, reads.reloads) == ([True], 0)  # one small log query, no reload
    clock[0] += MISS_RECHECK_SECONDS
    assert call("add_to_segment", "POST", "/api/users/1/add_to_segment", ["TYPO"]).status == 404
    assert (reads.catch_ups, reads.reloads) == ([True, True], 0)


def test_a_segment_created_in_another_container_is_found_on_a_miss(
    call: Call, reads: Reads, clock: list[float]
) -> None:
    CATALOGUE.segments()
    clock[0] += MISS_RECHECK_SECONDS
    created_elsewhere("NEW", 77)
    reply = call("add_to_segment", "POST", "/api/users/1/add_to_segment", ["NEW"])
    assert reply.status == 201
    assert reads.reloads == 1  # the cold start's, none since


def test_steady_state_checks_are_one_eventually_consistent_log_query(
    reads: Reads, clock: list[float]
) -> None:
    for n in range(30):
        create_segment(f"S{n}")
    CATALOGUE.segments()
    reads.catch_ups.clear()
    reload_before = reads.reloads
    for _ in range(5):
        clock[0] += CATALOGUE.max_age_seconds + 0.1
        assert len(CATALOGUE.segments()) == 30
    assert (reads.catch_ups, reads.reloads) == ([False] * 5, reload_before)
    created_elsewhere("LATE", 500)
    clock[0] += CATALOGUE.max_age_seconds + 0.1
    assert "LATE" in CATALOGUE.segments()  # caught up from the log, no reload
    assert reads.reloads == reload_before


def test_a_container_that_fell_behind_the_log_reloads(
    reads: Reads, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogue, "MAX_CHANGES_PER_QUERY", 3)
    monkeypatch.setattr(catalogue_data, "MAX_CHANGES_PER_QUERY", 3)
    CATALOGUE.segments()
    for n in range(4):
        created_elsewhere(f"S{n}", n + 1)
    clock[0] += CATALOGUE.max_age_seconds + 0.1
    assert len(CATALOGUE.segments()) == 4
    assert reads.reloads == 2


def test_reads_of_members_of_a_deleted_segment_are_no_miss(
    call: Call, reads: Reads, clock: list[float]
) -> None:
    # Given a user whose membership of a deleted segment awaits cleanup
    create_segment("GONE")
    assert call("add_to_segment", "POST", "/api/users/1/add_to_segment", ["GONE"]).status == 201
    assert call("delete_segment", "DELETE", "/api/segments/GONE").status == 200
    CATALOGUE.segments(fresh=True)
    reads.catch_ups.clear()
    # When the user is read again and again, seconds apart
    for _ in range(5):
        clock[0] += MISS_RECHECK_SECONDS
        reply = call("show_active_segments", "GET", "/api/users/1/show_active_segments")
        assert reply.json["Slugs"] == []
    # Then the catalogue, which knows the generation as deleted, is not asked again
    assert reads.catch_ups == []
    # And a container that loads the catalogue afresh knows it too (from the marker)
    CATALOGUE.reset()
    CATALOGUE.segments()
    reads.catch_ups.clear()
    clock[0] += MISS_RECHECK_SECONDS
    call("show_active_segments", "GET", "/api/users/1/show_active_segments")
    assert reads.catch_ups == []


def test_a_container_reloads_the_whole_catalogue_at_least_hourly(
    reads: Reads, clock: list[float]
) -> None:
    CATALOGUE.segments()
    clock[0] += catalogue.MAX_SNAPSHOT_AGE_SECONDS + 1
    CATALOGUE.segments()
    assert reads.reloads == 2

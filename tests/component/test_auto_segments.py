"""Automatic (percentage) segments end to end on moto: creation and ramps over HTTP,
first exposures recorded exactly once, sticky removals, TTLs, and one-query reads."""

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pynamodb.signals import pre_dynamodb_send

from local_stack.events import LambdaContext
from segmentation.clock import format_timestamp, utc_now
from segmentation.data import memberships as membership_data
from segmentation.data.aws_errors import WriteConflict
from segmentation.data.history import user_history
from segmentation.data.memberships import user_memberships
from segmentation.data.segments import delete_segment, get_segment
from segmentation.domain import maintenance, retry
from segmentation.domain.bucketing import in_share
from segmentation.domain.catalogue import CATALOGUE
from segmentation.domain.memberships import active_memberships
from segmentation.domain.memberships import reads as membership_reads
from segmentation.model import Membership, MembershipChange, MembershipState, StoredVersion
from tests.support.clock import freeze_membership_clock, past_deletion_grace
from tests.support.handlers import Call, load_function
from tests.support.interleave import interleave

ROOT = Path(__file__).resolve().parents[2]


def create(call: Call, slug: str, percent: Any = None) -> int:
    body = {"slug": slug} if percent is None else {"slug": slug, "percent": percent}
    reply = call("create_segment", "POST", "/api/segments", body)
    assert reply.status == 201, reply.json
    return int(reply.json["id"])


def set_percent(call: Call, slug: str, percent: Any) -> Any:
    return call("update_segment", "PATCH", f"/api/segments/{slug}", {"percent": percent})


def listed(call: Call) -> dict[str, float]:
    reply = call("list_segments", "GET", "/api/segments")
    assert reply.status == 200
    return {s["slug"]: s["percent"] for s in reply.json["segments"]}


def slugs_of(call: Call, user_id: int) -> list[str]:
    reply = call("show_active_segments", "GET", f"/api/users/{user_id}/show_active_segments")
    assert reply.status == 200, reply.json
    return list(reply.json["Slugs"])


def events_of(user_id: int) -> list[tuple[str, str, str]]:
    return [(e.slug, e.operation.value, e.reason.value) for e in user_history(user_id)]


def users_by_share(slug: str, inside: bool, count: int = 1) -> list[int]:
    """The first user ids that the segment's percentage puts in (or leaves out)."""
    segment = get_segment(slug)
    assert segment is not None
    found = []
    user_id = 0
    while len(found) < count:
        user_id += 1
        if in_share(str(segment.salt), user_id, int(segment.percent_buckets)) == inside:
            found.append(user_id)
    return found


def stored(user_id: int, slug: str) -> Membership:
    (item,) = [item for item in user_memberships(user_id) if item.slug == slug]
    return item


@pytest.fixture
def dynamodb_calls() -> Iterator[list[str]]:
    """The DynamoDB operations PynamoDB sends while the test runs."""
    calls: list[str] = []

    def record(sender: object, operation_name: str, **_: object) -> None:
        calls.append(operation_name)

    pre_dynamodb_send.connect(record)
    yield calls
    pre_dynamodb_send.disconnect(record)


# --- creating and changing the percent -------------------------------------------------


def test_create_with_percent_lists_it_with_a_random_salt(call: Call) -> None:
    create(call, "AUTO", 12.5)
    create(call, "EVERYONE", 100)
    create(call, "MANUAL")
    assert listed(call) == {"AUTO": 12.5, "EVERYONE": 100.0, "MANUAL": 0.0}
    salts = {str(getattr(get_segment(slug), "salt", "")) for slug in ["AUTO", "EVERYONE"]}
    assert len(salts) == 2
    assert all(len(salt) == 32 and salt not in {"AUTO", "EVERYONE"} for salt in salts)


@pytest.mark.parametrize("percent", [-1, 100.001, 1.234, 0.001, "50", True, [50], {"p": 1}])
def test_bad_percent_is_400_and_changes_nothing(call: Call, percent: Any) -> None:
    reply = call("create_segment", "POST", "/api/segments", {"slug": "A", "percent": percent})
    assert reply.status == 400, reply.json
    assert "percent" in reply.json["message"]
    assert listed(call) == {}
    create(call, "B", 10)
    reply = set_percent(call, "B", percent)
    assert reply.status == 400, reply.json
    assert "percent" in reply.json["message"]
    assert listed(call) == {"B": 10.0}


@pytest.mark.parametrize("body", [{}, {"percent": None}, {"percent": 5, "slug": "B"}, [5]])
def test_bad_update_bodies_are_400(call: Call, body: Any) -> None:
    create(call, "B", 10)
    reply = call("update_segment", "PATCH", "/api/segments/B", body)
    assert reply.status == 400, reply.json
    assert listed(call) == {"B": 10.0}


def test_updating_an_unknown_segment_is_404(call: Call) -> None:
    reply = set_percent(call, "NOPE", 10)
    assert reply.status == 404
    assert "NOPE" in reply.json["message"]
    assert listed(call) == {}


def test_update_answers_the_segment(call: Call) -> None:
    segment_id = create(call, "A")
    reply = set_percent(call, "A", 33.33)
    assert reply.status == 200
    assert reply.json["id"] == segment_id
    assert reply.json["slug"] == "A"
    assert reply.json["percent"] == 33.33


def test_sample_event_updates_a_segment(call: Call) -> None:
    create(call, "AVITO_VOICE_MESSAGES")
    event = json.loads((ROOT / "events" / "update_segment.json").read_text())
    handler = load_function("update_segment").lambda_handler
    reply = handler(event, LambdaContext("update_segment"))
    assert reply["statusCode"] == 200, reply
    assert json.loads(reply["body"])["percent"] == 12.5


# --- reads: who gets it, recorded once --------------------------------------------------


def test_hundred_percent_reaches_everyone_and_records_each_once(call: Call) -> None:
    create(call, "AUTO", 100)
    for user_id in [1, 7, 10**12]:
        assert slugs_of(call, user_id) == ["AUTO"]
        assert slugs_of(call, user_id) == ["AUTO"]
        assert events_of(user_id) == [("AUTO", "INSERT", "auto")]
        item = stored(user_id, "AUTO")
        assert (item.state, item.source, item.stored) == ("active", "auto", StoredVersion(1))
    detail = call("get_user_segments", "GET", "/api/users/7/segments").json["segments"]
    assert [(s["slug"], s["source"], s["expires_at"]) for s in detail] == [("AUTO", "auto", None)]
    assert detail[0]["added_at"] == user_history(7)[0].at


def test_zero_percent_gives_nobody_and_stores_nothing(call: Call) -> None:
    create(call, "NONE", 0)
    assert slugs_of(call, 1) == []
    assert user_memberships(1) == []
    assert events_of(1) == []


def test_the_percentage_decides_who_gets_it(call: Call) -> None:
    create(call, "HALF", 50)
    create(call, "MANUAL")
    (inside,) = users_by_share("HALF", inside=True)
    (outside,) = users_by_share("HALF", inside=False)
    assert slugs_of(call, inside) == ["HALF"]
    assert slugs_of(call, outside) == []
    assert user_memberships(outside) == []


def test_lowering_keeps_who_got_it_and_raising_keeps_everyone(call: Call) -> None:
    create(call, "RAMP", 50)
    exposed, unexposed = users_by_share("RAMP", inside=True, count=2)
    (outside,) = users_by_share("RAMP", inside=False)
    assert slugs_of(call, exposed) == ["RAMP"]

    assert set_percent(call, "RAMP", 0).status == 200
    assert slugs_of(call, exposed) == ["RAMP"]  # it "must be returned always"
    assert slugs_of(call, unexposed) == []  # lowering stops new users from joining

    assert set_percent(call, "RAMP", 50).status == 200
    assert slugs_of(call, unexposed) == ["RAMP"]
    assert set_percent(call, "RAMP", 100).status == 200
    assert slugs_of(call, outside) == ["RAMP"]
    assert slugs_of(call, exposed) == ["RAMP"]
    for user_id in [exposed, unexposed, outside]:
        assert events_of(user_id) == [("RAMP", "INSERT", "auto")]


def test_a_later_percent_turns_a_manual_segment_automatic(call: Call) -> None:
    create(call, "LATER")
    assert slugs_of(call, 3) == []
    set_percent(call, "LATER", 100)
    assert slugs_of(call, 3) == ["LATER"]


def test_many_automatic_segments_are_recorded_in_several_transactions(call: Call) -> None:
    slugs = [f"AUTO_{i:02d}" for i in range(60)]
    for slug in slugs:
        create(call, slug, 100)
    assert slugs_of(call, 5) == slugs
    assert sorted(slug for slug, _, _ in events_of(5)) == slugs
    assert slugs_of(call, 5) == slugs
    assert len(events_of(5)) == 60


# --- concurrency -------------------------------------------------------------------------


def test_two_first_reads_planned_from_the_same_state_record_once(call: Call) -> None:
    create(call, "AUTO", 100)
    before = user_memberships(9)  # both reads plan from this (empty) state
    segments = CATALOGUE.segments(fresh=True)
    plans = [membership_reads._unrecorded_shares(9, before, segments) for _ in range(2)]
    assert [[s.slug for s in plan] for plan in plans] == [["AUTO"], ["AUTO"]]
    now = utc_now()
    membership_reads._record_exposures(9, plans[0], now)
    with pytest.raises(WriteConflict):
        membership_reads._record_exposures(9, plans[1], now + timedelta(microseconds=5))
    assert events_of(9) == [("AUTO", "INSERT", "auto")]
    assert slugs_of(call, 9) == ["AUTO"]


def test_a_read_losing_the_race_rereads_and_answers_the_same(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(call, "AUTO", 100)
    create(call, "ALSO", 100)
    competitor_answer: list[Any] = []
    reads = interleave(monkeypatch, lambda: competitor_answer.extend(active_memberships(4)))
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    answer = active_memberships(4)
    assert len(reads) == 2  # one stale plan whose write lost, one re-read
    assert answer == competitor_answer
    assert [m.slug for m in answer] == ["ALSO", "AUTO"]
    assert sorted(events_of(4)) == [("ALSO", "INSERT", "auto"), ("AUTO", "INSERT", "auto")]


def test_an_exposure_recorded_by_a_stale_container_is_hidden_then_settled(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(call, "GONE", 100)
    monkeypatch.setattr(CATALOGUE, "max_age_seconds", 3600.0)
    CATALOGUE.refresh()  # this container still believes in GONE
    segment = get_segment("GONE")
    assert segment is not None
    deleted_at = utc_now()
    delete_segment(segment, format_timestamp(deleted_at))  # another container deletes it
    # Within its cache interval the stale container still hands the segment out, and
    # records the exposure: no item of the segment is checked on a user's path.
    assert slugs_of(call, 2) == ["GONE"]
    CATALOGUE.invalidate()  # its next catalogue check
    assert slugs_of(call, 2) == []
    grace = timedelta(seconds=maintenance.SETTINGS.tombstone_grace_seconds)
    maintenance.run_maintenance(now=deleted_at + grace)
    assert events_of(2) == [("GONE", "INSERT", "auto"), ("GONE", "DELETE", "segment_deleted")]
    entry, exit_ = user_history(2)
    assert exit_.at > entry.at  # never an exit before its entry
    assert user_memberships(2) == []


# --- explicit changes on automatic segments -------------------------------------------


def test_removing_an_unread_member_by_share_sticks_with_its_history(call: Call) -> None:
    create(call, "AUTO", 100)
    reply = call("change_segments", "PATCH", "/api/users/5/segments", {"remove": ["AUTO"]})
    assert reply.status == 200
    assert reply.json["removed"] == ["AUTO"]
    assert events_of(5) == [("AUTO", "INSERT", "auto"), ("AUTO", "DELETE", "manual")]
    at = [event.at for event in user_history(5)]
    assert at[0] < at[1]
    assert stored(5, "AUTO").state == "removed"
    assert slugs_of(call, 5) == []
    set_percent(call, "AUTO", 100)
    assert slugs_of(call, 5) == []
    assert len(events_of(5)) == 2


def test_removing_after_exposure_sticks(call: Call) -> None:
    create(call, "AUTO", 100)
    assert slugs_of(call, 6) == ["AUTO"]
    reply = call("delete_from_segment", "DELETE", "/api/users/6/delete_from_segment", ["AUTO"])
    assert reply.status == 200
    assert slugs_of(call, 6) == []
    assert slugs_of(call, 6) == []
    assert events_of(6) == [("AUTO", "INSERT", "auto"), ("AUTO", "DELETE", "manual")]


def test_removing_a_user_outside_the_share_excludes_them_from_later_ramps(call: Call) -> None:
    create(call, "HALF", 50)
    (outside,) = users_by_share("HALF", inside=False)
    reply = call(
        "delete_from_segment", "DELETE", f"/api/users/{outside}/delete_from_segment", ["HALF"]
    )
    assert reply.status == 200
    assert events_of(outside) == []  # never had it: no exit to record
    set_percent(call, "HALF", 100)
    assert slugs_of(call, outside) == []
    assert slugs_of(call, outside + 10_000) == ["HALF"]


def test_adding_back_after_a_removal_is_a_manual_membership(call: Call) -> None:
    create(call, "AUTO", 100)
    call("delete_from_segment", "DELETE", "/api/users/8/delete_from_segment", ["AUTO"])
    call("add_to_segment", "POST", "/api/users/8/add_to_segment", ["AUTO"])
    assert slugs_of(call, 8) == ["AUTO"]
    assert stored(8, "AUTO").source == "manual"
    assert events_of(8)[-1] == ("AUTO", "INSERT", "manual")


def test_an_explicit_add_is_a_manual_membership(call: Call) -> None:
    create(call, "RARE", 0.01)
    (outside,) = users_by_share("RARE", inside=False)
    reply = call("add_to_segment", "POST", f"/api/users/{outside}/add_to_segment", ["RARE"])
    assert reply.status == 201
    assert slugs_of(call, outside) == ["RARE"]
    assert stored(outside, "RARE").source == "manual"
    assert events_of(outside) == [("RARE", "INSERT", "manual")]


def later(monkeypatch: pytest.MonkeyPatch, hours: float) -> None:
    moment = utc_now() + timedelta(hours=hours)
    freeze_membership_clock(monkeypatch, moment)


def test_a_ttl_on_an_exposed_user_ends_the_automatic_membership_for_good(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(call, "AUTO", 100)
    assert slugs_of(call, 11) == ["AUTO"]
    body = [{"slug": "AUTO", "ttl_seconds": 3600}]
    assert call("add_to_segment", "POST", "/api/users/11/add_to_segment", body).status == 201
    item = stored(11, "AUTO")
    assert (item.source, item.expires_at is not None) == ("auto", True)
    assert slugs_of(call, 11) == ["AUTO"]
    later(monkeypatch, hours=2)
    assert slugs_of(call, 11) == []  # expired, not yet cleaned up: still out for good
    # what the maintenance job leaves behind
    membership_data.write_membership_changes(
        [MembershipChange(replace(item, state=MembershipState.REMOVED))], []
    )
    assert slugs_of(call, 11) == []
    assert events_of(11) == [("AUTO", "INSERT", "auto")]


def test_a_ttl_on_an_unexposed_user_is_a_timed_manual_membership(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(call, "AUTO", 100)
    body = [{"slug": "AUTO", "ttl_seconds": 60}]
    assert call("add_to_segment", "POST", "/api/users/12/add_to_segment", body).status == 201
    detail = call("get_user_segments", "GET", "/api/users/12/segments").json["segments"]
    assert [(s["slug"], s["source"]) for s in detail] == [("AUTO", "manual")]
    assert detail[0]["expires_at"] is not None
    later(monkeypatch, hours=1)
    assert slugs_of(call, 12) == []
    assert events_of(12) == [("AUTO", "INSERT", "manual")]


def test_a_deleted_automatic_segment_vanishes_and_its_slug_reshuffles(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = create(call, "AUTO", 100)
    old_salt = getattr(get_segment("AUTO"), "salt", None)
    assert slugs_of(call, 1) == ["AUTO"]
    assert call("delete_segment", "DELETE", "/api/segments/AUTO").status == 200
    assert slugs_of(call, 1) == []
    past_deletion_grace(monkeypatch)
    second = create(call, "AUTO", 100)
    assert second != first
    assert getattr(get_segment("AUTO"), "salt", None) != old_salt
    assert slugs_of(call, 1) == ["AUTO"]
    assert [e.segment_id for e in user_history(1)] == [first, second]


# --- cost -----------------------------------------------------------------------------


def test_a_steady_state_read_is_one_query(
    call: Call, monkeypatch: pytest.MonkeyPatch, dynamodb_calls: list[str]
) -> None:
    monkeypatch.setattr(CATALOGUE, "max_age_seconds", 3600.0)
    for i in range(30):
        create(call, f"AUTO_{i:02d}", 50)
    call("add_to_segment", "POST", "/api/users/3/add_to_segment", ["AUTO_00"])
    first = slugs_of(call, 3)  # loads the catalogue and records the first exposures
    assert "TransactWriteItems" in dynamodb_calls
    dynamodb_calls.clear()
    assert slugs_of(call, 3) == first
    assert dynamodb_calls == ["Query"]

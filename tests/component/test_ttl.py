"""TTL on memberships: exact reads, the ttl DELETE row at the expiry time, re-adds, and
validation. Time is controlled by freezing the domain's clock, never by sleeping."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from segmentation.clock import format_timestamp, parse_timestamp, utc_now
from segmentation.data.history import user_history
from segmentation.domain.maintenance import run_maintenance
from segmentation.domain.memberships import SegmentGrant, active_memberships, add_memberships
from segmentation.domain.segments import create_segment
from tests.support.clock import freeze_membership_clock
from tests.support.handlers import Call

SECOND = timedelta(seconds=1)
MICROSECOND = timedelta(microseconds=1)


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch) -> Any:
    """freeze(moment): the domain's clock reads `moment` from now on."""

    def set_clock(moment: datetime) -> None:
        freeze_membership_clock(monkeypatch, moment)

    return set_clock


def add(call: Call, user_id: int, *elements: Any) -> Any:
    return call("add_to_segment", "POST", f"/api/users/{user_id}/add_to_segment", list(elements))


def patch(call: Call, user_id: int, add: list[Any], remove: list[str] | None = None) -> Any:
    body = {"add": add, "remove": remove or []}
    return call("change_segments", "PATCH", f"/api/users/{user_id}/segments", body)


def segments_of(call: Call, user_id: int) -> dict[str, str | None]:
    """slug -> expires_at, as GET /api/users/{id}/segments shows them."""
    reply = call("get_user_segments", "GET", f"/api/users/{user_id}/segments")
    assert reply.status == 200, reply.json
    return {s["slug"]: s["expires_at"] for s in reply.json["segments"]}


def slugs_of(call: Call, user_id: int) -> list[str]:
    reply = call("show_active_segments", "GET", f"/api/users/{user_id}/show_active_segments")
    assert reply.status == 200, reply.json
    return list(reply.json["Slugs"])


def events_of(user_id: int) -> list[tuple[str, str, str, str]]:
    return [(e.slug, e.operation.value, e.reason.value, e.at) for e in user_history(user_id)]


def in_seconds(seconds: float) -> str:
    return format_timestamp(utc_now() + timedelta(seconds=seconds))


def test_ttl_seconds_expires_to_the_microsecond_on_every_read(call: Call, freeze: Any) -> None:
    create_segment("DISCOUNT")
    before = utc_now()
    assert add(call, 1, {"slug": "DISCOUNT", "ttl_seconds": 60}).status == 201
    expires_at = segments_of(call, 1)["DISCOUNT"]
    assert expires_at is not None
    expiry = parse_timestamp(expires_at)
    assert before + 60 * SECOND <= expiry <= utc_now() + 60 * SECOND

    freeze(expiry - SECOND)
    assert slugs_of(call, 1) == ["DISCOUNT"]
    freeze(expiry - MICROSECOND)
    assert slugs_of(call, 1) == ["DISCOUNT"]
    assert [m.slug for m in active_memberships(1)] == ["DISCOUNT"]
    freeze(expiry)  # nothing has cleaned it up, and still it is gone
    assert slugs_of(call, 1) == []
    assert segments_of(call, 1) == {}
    assert active_memberships(1) == []


def test_expires_at_is_normalised_to_utc_and_shown(call: Call) -> None:
    create_segment("DISCOUNT")
    moment = (utc_now() + timedelta(days=2)).replace(microsecond=0)
    moscow = moment.astimezone(timezone(timedelta(hours=3))).isoformat()
    zulu = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert add(call, 1, {"slug": "DISCOUNT", "expires_at": moscow}).status == 201
    assert segments_of(call, 1) == {"DISCOUNT": format_timestamp(moment)}
    assert patch(call, 2, [{"slug": "DISCOUNT", "expires_at": zulu}]).status == 200
    assert segments_of(call, 2) == {"DISCOUNT": format_timestamp(moment)}


def test_maintenance_writes_the_ttl_row_at_the_expiry_time(call: Call) -> None:
    create_segment("DISCOUNT")
    create_segment("VOICE")
    expires_at = in_seconds(60)
    assert add(call, 1, {"slug": "DISCOUNT", "expires_at": expires_at}, "VOICE").status == 201
    expiry = parse_timestamp(expires_at)

    early = run_maintenance(now=expiry - MICROSECOND)
    assert (early.ttl_exits, early.complete) == (0, True)
    assert [op for _, op, _, _ in events_of(1)] == ["INSERT", "INSERT"]

    summary = run_maintenance(now=expiry + timedelta(minutes=3))
    assert summary.ttl_exits == 1
    assert events_of(1)[-1] == ("DISCOUNT", "DELETE", "ttl", expires_at)
    assert slugs_of(call, 1) == ["VOICE"]
    # Done once: a second run finds nothing due (it left the sparse index).
    assert run_maintenance(now=expiry + timedelta(minutes=4)).ttl_exits == 0
    assert len(events_of(1)) == 3


def test_re_adding_with_a_new_expiry_moves_it_without_a_row(call: Call, freeze: Any) -> None:
    create_segment("DISCOUNT")
    first, later = in_seconds(60), in_seconds(3600)
    assert add(call, 1, {"slug": "DISCOUNT", "expires_at": first}).status == 201
    assert patch(call, 1, [{"slug": "DISCOUNT", "expires_at": later}]).json["added"] == []
    assert segments_of(call, 1) == {"DISCOUNT": later}

    freeze(parse_timestamp(first) + SECOND)
    assert slugs_of(call, 1) == ["DISCOUNT"]
    assert run_maintenance(now=parse_timestamp(first) + SECOND).ttl_exits == 0
    assert run_maintenance(now=parse_timestamp(later)).ttl_exits == 1
    assert [(op, reason, at) for _, op, reason, at in events_of(1)] == [
        ("INSERT", "manual", events_of(1)[0][3]),
        ("DELETE", "ttl", later),
    ]


def test_re_adding_without_expiry_makes_a_timed_membership_permanent(
    call: Call, freeze: Any
) -> None:
    create_segment("DISCOUNT")
    expires_at = in_seconds(60)
    add(call, 1, {"slug": "DISCOUNT", "expires_at": expires_at})
    assert add(call, 1, "DISCOUNT").status == 201  # the latest instruction wins
    assert segments_of(call, 1) == {"DISCOUNT": None}
    freeze(parse_timestamp(expires_at) + timedelta(days=1))
    assert slugs_of(call, 1) == ["DISCOUNT"]
    assert run_maintenance(now=parse_timestamp(expires_at) + timedelta(days=1)).ttl_exits == 0
    assert [op for _, op, _, _ in events_of(1)] == ["INSERT"]


def test_re_adding_after_expiry_records_the_exit_first(call: Call, freeze: Any) -> None:
    create_segment("DISCOUNT")
    expires_at = in_seconds(60)
    add(call, 1, {"slug": "DISCOUNT", "expires_at": expires_at})
    freeze(parse_timestamp(expires_at) + SECOND)  # no maintenance has run
    assert add(call, 1, "DISCOUNT").status == 201
    ops = [(op, reason, at) for _, op, reason, at in events_of(1)]
    assert ops[1:] == [
        ("DELETE", "ttl", expires_at),
        ("INSERT", "manual", format_timestamp(parse_timestamp(expires_at) + SECOND)),
    ]
    assert run_maintenance(now=parse_timestamp(expires_at) + timedelta(minutes=1)).ttl_exits == 0
    assert segments_of(call, 1) == {"DISCOUNT": None}


def test_re_adding_at_the_exact_expiry_instant_keeps_rows_apart(freeze: Any) -> None:
    create_segment("DISCOUNT")
    expiry = utc_now() + 60 * SECOND
    add_memberships(1, [SegmentGrant("DISCOUNT", expiry)])
    freeze(expiry)  # expired this very microsecond: the INSERT must come after the DELETE
    add_memberships(1, [SegmentGrant("DISCOUNT")])
    times = [at for _, _, _, at in events_of(1)]
    assert [op for _, op, _, _ in events_of(1)] == ["INSERT", "DELETE", "INSERT"]
    assert times[1] == format_timestamp(expiry) < times[2]


def test_removing_an_expired_membership_records_only_the_ttl_exit(call: Call, freeze: Any) -> None:
    create_segment("DISCOUNT")
    expires_at = in_seconds(60)
    add(call, 1, {"slug": "DISCOUNT", "expires_at": expires_at})
    freeze(parse_timestamp(expires_at) + SECOND)
    reply = patch(call, 1, [], ["DISCOUNT"])
    assert reply.json["removed"] == []  # it had already left
    assert [(op, reason) for _, op, reason, _ in events_of(1)] == [
        ("INSERT", "manual"),
        ("DELETE", "ttl"),
    ]


def _past() -> str:
    return format_timestamp(utc_now() - SECOND)


@pytest.mark.parametrize(
    ("element", "named"),
    [
        ({"slug": "B", "ttl_seconds": 10, "expires_at": "2099-01-01T00:00:00Z"}, "body[1]"),
        ({"slug": "B", "ttl_seconds": 0}, "body[1].ttl_seconds"),
        ({"slug": "B", "ttl_seconds": -5}, "body[1].ttl_seconds"),
        ({"slug": "B", "ttl_seconds": "60"}, "body[1].ttl_seconds"),
        ({"slug": "B", "ttl_seconds": 1.5}, "body[1].ttl_seconds"),
        ({"slug": "B", "expires_at": "2099-01-01T00:00:00"}, "body[1].expires_at"),
        ({"slug": "B", "expires_at": "next tuesday"}, "body[1].expires_at"),
        ({"slug": "B", "expires_at": "2099-02-30T00:00:00Z"}, "body[1].expires_at"),
        ({"slug": "B", "expires_in": 60}, "body[1]"),
        ({"ttl_seconds": 60}, "body[1].slug"),
        (42, "body[1]"),
        ({"slug": "B", "expires_at": "PAST"}, "expiry of B is not in the future"),
    ],
)
def test_bad_add_elements_are_400_naming_the_element(call: Call, element: Any, named: str) -> None:
    create_segment("A")
    create_segment("B")
    if isinstance(element, dict) and element.get("expires_at") == "PAST":
        element = {**element, "expires_at": _past()}
    for reply in (add(call, 1, "A", element), patch(call, 1, ["A", element])):
        assert reply.status == 400, reply.json
        message = reply.json["message"]
        assert named.replace("body[", "body.add[") in message or named in message, message
    assert segments_of(call, 1) == {}
    assert user_history(1) == []


def test_listing_one_slug_with_two_expiries_is_rejected(call: Call) -> None:
    create_segment("A")
    reply = add(call, 1, {"slug": "A", "ttl_seconds": 10}, {"slug": "A", "ttl_seconds": 20})
    assert reply.status == 400
    assert "A" in reply.json["message"]
    assert user_history(1) == []

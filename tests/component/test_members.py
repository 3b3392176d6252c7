"""GET /api/segments/{slug}/members: pages in a stable order that cover every member once,
exact with respect to expiry, with validated limits and cursors."""

import base64
import json
from datetime import timedelta
from typing import Any

import pytest

from segmentation.clock import utc_now
from segmentation.data import members as member_data
from segmentation.domain import members
from segmentation.domain.member_cursor import encode_cursor
from segmentation.domain.members import MAX_QUERIES_PER_PAGE, list_members
from segmentation.domain.memberships import (
    SegmentGrant,
    active_memberships,
    add_memberships,
    remove_memberships,
)
from segmentation.domain.segments import create_segment, delete_segment
from tests.support.clock import past_deletion_grace
from tests.support.handlers import Call


def page(call: Call, slug: str, query: str = "") -> Any:
    path = f"/api/segments/{slug}/members" + (f"?{query}" if query else "")
    return call("list_members", "GET", path)


def listed(call: Call, slug: str) -> list[Any]:
    """Every member over HTTP, following the cursor (a page may be empty but not last)."""
    found: list[Any] = []
    cursor = None
    for _ in range(1000):
        reply = page(call, slug, f"cursor={cursor}" if cursor else "")
        assert reply.status == 200, reply.json
        found += reply.json["members"]
        cursor = reply.json["cursor"]
        if cursor is None:
            return found
    raise AssertionError("the listing never ended")


def every_member(slug: str, limit: int) -> list[int]:
    """User ids of every page, following the cursor to its end."""
    users: list[int] = []
    cursor = None
    for _ in range(10_000):
        answer = list_members(slug, limit, cursor)
        users += [member.user_id for member in answer.members]
        cursor = answer.cursor
        if cursor is None:
            return users
    raise AssertionError("the listing never ended")


def test_pages_cover_every_member_exactly_once(call: Call) -> None:
    create_segment("MANY")
    users = list(range(1000, 1120))
    for user in users:
        add_memberships(user, [SegmentGrant("MANY")])
    listed = []
    cursor = None
    while True:
        reply = page(call, "MANY", "limit=17" + (f"&cursor={cursor}" if cursor else ""))
        assert reply.status == 200, reply.json
        assert len(reply.json["members"]) <= 17
        listed += reply.json["members"]
        cursor = reply.json["cursor"]
        if cursor is None:
            break
    assert sorted(m["user_id"] for m in listed) == users
    assert {m["source"] for m in listed} == {"manual"}
    assert all(m["expires_at"] is None and m["added_at"] for m in listed)


def test_removed_and_expired_members_never_show_before_any_cleanup(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_segment("TIMED")
    soon = utc_now() + timedelta(minutes=5)
    add_memberships(1, [SegmentGrant("TIMED")])
    add_memberships(2, [SegmentGrant("TIMED", soon)])
    add_memberships(3, [SegmentGrant("TIMED")])
    remove_memberships(3, ["TIMED"])
    shown = listed(call, "TIMED")
    assert {m["user_id"]: m["expires_at"] for m in shown} == {
        1: None,
        2: soon.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    # At the expiry instant the membership has ended: maintenance has not run.
    monkeypatch.setattr(members, "utc_now", lambda: soon)
    assert [m["user_id"] for m in listed(call, "TIMED")] == [1]


def test_automatic_members_appear_once_their_exposure_is_recorded(call: Call) -> None:
    create_segment("EVERYONE", percent_buckets=10_000)
    assert listed(call, "EVERYONE") == []
    active_memberships(42)  # the first read records the exposure
    (member,) = listed(call, "EVERYONE")
    assert (member["user_id"], member["source"], member["expires_at"]) == (42, "auto", None)


def test_a_sparse_segment_is_listed_in_pages_of_bounded_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_segment("SPARSE")
    add_memberships(7, [SegmentGrant("SPARSE")])
    queries: list[int] = []
    real_query = member_data._query

    def counted(*args: Any) -> Any:
        queries.append(1)
        return real_query(*args)

    monkeypatch.setattr(member_data, "_query", counted)
    pages = 0
    cursor = None
    found: list[int] = []
    while True:
        before = len(queries)
        answer = list_members("SPARSE", 1000, cursor)
        assert len(queries) - before <= MAX_QUERIES_PER_PAGE
        pages += 1
        found += [m.user_id for m in answer.members]
        cursor = answer.cursor
        if cursor is None:
            break
    assert found == [7]
    assert pages >= 128 // MAX_QUERIES_PER_PAGE  # 128 shards, at most 16 queries each page


def test_members_present_throughout_appear_exactly_once_during_concurrent_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before every index Query of the listing, other users join, leave and come back:
    those present the whole time are listed exactly once, nobody twice. (moto in-process
    is not thread-safe: the changes interleave with the listing's reads, deterministically.)"""
    create_segment("BUSY")
    steady = list(range(5000, 5060))
    churning = list(range(9000, 9040))
    for user in steady + churning[::2]:
        add_memberships(user, [SegmentGrant("BUSY")])
    real_query = member_data._query
    rounds = iter(range(1_000_000))

    def query_among_changes(*args: Any) -> Any:
        round_ = next(rounds)
        for user in churning[round_ % 4 :: 4]:
            if (user + round_) % 2:
                add_memberships(user, [SegmentGrant("BUSY")])
            else:
                remove_memberships(user, ["BUSY"])
        return real_query(*args)

    monkeypatch.setattr(member_data, "_query", query_among_changes)
    users = every_member("BUSY", 7)
    assert next(rounds) > 20  # the changes really ran throughout
    assert len(users) == len(set(users)), "a member was listed twice"
    assert set(steady) <= set(users)
    assert set(users) <= set(steady) | set(churning)


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten", "1.5", ""])
def test_a_limit_outside_1_to_1000_is_refused(call: Call, limit: str) -> None:
    create_segment("LIMITED")
    reply = page(call, "LIMITED", f"limit={limit}")
    assert reply.status == 400
    assert "limit" in reply.json["message"]


def _cursor(fields: Any) -> str:
    text = json.dumps(fields, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("cursor", "problem"),
    [
        ("not*base64", "base64url"),
        (base64.urlsafe_b64encode(b"\xff\xfe").decode(), "base64url"),
        (_cursor([1, 2, 3]), "wrong fields"),
        (_cursor({"g": 1, "s": 0}), "wrong fields"),
        (_cursor({"g": 1, "s": 0, "u": None, "x": 1}), "wrong fields"),
        (_cursor({"g": "1", "s": 0, "u": None}), "segment id"),
        (_cursor({"g": 1, "s": 128, "u": None}), "position"),
        (_cursor({"g": 1, "s": -1, "u": None}), "position"),
        (_cursor({"g": 1, "s": True, "u": None}), "position"),
        (_cursor({"g": 1, "s": 0, "u": 0}), "position"),
        (_cursor({"g": 1, "s": 0, "u": 2**63}), "position"),
        (_cursor({"g": 1, "s": 0, "u": "5"}), "position"),
        ("A" * 201, "characters"),
    ],
)
def test_a_malformed_or_tampered_cursor_is_a_400_naming_the_problem(
    call: Call, cursor: str, problem: str
) -> None:
    assert create_segment("CURSORED").segment_id == 1
    reply = page(call, "CURSORED", f"cursor={cursor}")
    assert reply.status == 400, reply.json
    assert "cursor" in reply.json["message"]
    assert problem in reply.json["message"]


def test_a_cursor_of_a_deleted_and_recreated_slug_is_refused(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_segment("AGAIN")
    for user in range(1, 40):
        add_memberships(user, [SegmentGrant("AGAIN")])
    cursor = page(call, "AGAIN", "limit=5").json["cursor"]
    assert cursor is not None
    delete_segment("AGAIN")
    past_deletion_grace(monkeypatch)
    create_segment("AGAIN")
    reply = page(call, "AGAIN", f"cursor={cursor}")
    assert reply.status == 400
    assert "deleted and created again" in reply.json["message"]


def test_a_cursor_of_another_slug_is_refused(call: Call) -> None:
    first = create_segment("FIRST")
    create_segment("SECOND")
    cursor = encode_cursor(first.segment_id, member_data.MemberPosition(3, 17))
    assert page(call, "FIRST", f"cursor={cursor}").status == 200
    assert page(call, "SECOND", f"cursor={cursor}").status == 400


def test_unknown_and_deleted_segments_are_404(call: Call) -> None:
    assert page(call, "NOPE").status == 404
    create_segment("GONE")
    delete_segment("GONE")
    reply = page(call, "GONE")
    assert reply.status == 404
    assert reply.json == {"message": "unknown segment(s): GONE"}


def test_members_of_a_deleted_generation_are_not_listed_under_the_new_one(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_segment("REBORN")
    add_memberships(1, [SegmentGrant("REBORN")])
    delete_segment("REBORN")  # maintenance has not cleaned user 1's membership up
    past_deletion_grace(monkeypatch)
    create_segment("REBORN")
    add_memberships(2, [SegmentGrant("REBORN")])
    assert [m["user_id"] for m in listed(call, "REBORN")] == [2]

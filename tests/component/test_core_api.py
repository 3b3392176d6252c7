"""The core endpoints, run in-process on moto as API Gateway would call them."""

from typing import Any

import pytest

from segmentation.data.history import user_history
from tests.support.clock import past_deletion_grace
from tests.support.handlers import Call


def create(call: Call, slug: str, **extra: Any) -> int:
    reply = call("create_segment", "POST", "/api/segments", {"slug": slug, **extra})
    assert reply.status == 201, reply.json
    return int(reply.json["id"])


def add(call: Call, user_id: int, *elements: Any) -> Any:
    return call("add_to_segment", "POST", f"/api/users/{user_id}/add_to_segment", list(elements))


def remove(call: Call, user_id: int, *slugs: str) -> Any:
    return call(
        "delete_from_segment", "DELETE", f"/api/users/{user_id}/delete_from_segment", list(slugs)
    )


def slugs_of(call: Call, user_id: int) -> list[str]:
    reply = call("show_active_segments", "GET", f"/api/users/{user_id}/show_active_segments")
    assert reply.status == 200
    assert reply.json["User_id"] == user_id
    return list(reply.json["Slugs"])


def events_of(user_id: int) -> list[tuple[str, str, str]]:
    return [(e.slug, e.operation.value, e.reason.value) for e in user_history(user_id)]


def test_reference_readme_flow(call: Call) -> None:
    assert call("register", "POST", "/auth/register").json == {"id": 1}
    assert create(call, "AVITO_TEST_SEGMENT") == 1
    reply = add(call, 1, "AVITO_TEST_SEGMENT")
    assert (reply.status, reply.json) == (201, {"status": "ok"})
    assert slugs_of(call, 1) == ["AVITO_TEST_SEGMENT"]
    reply = remove(call, 1, "AVITO_TEST_SEGMENT")
    assert (reply.status, reply.json) == (200, {"status": "ok"})
    assert slugs_of(call, 1) == []
    reply = call("delete_segment", "DELETE", "/api/segments/AVITO_TEST_SEGMENT")
    assert (reply.status, reply.json) == (200, {"status": "ok"})
    assert events_of(1) == [
        ("AVITO_TEST_SEGMENT", "INSERT", "manual"),
        ("AVITO_TEST_SEGMENT", "DELETE", "manual"),
    ]


def test_worked_example(call: Call) -> None:
    for slug in [
        "AVITO_VOICE_MESSAGES",
        "AVITO_PERFORMANCE_VAS",
        "AVITO_DISCOUNT_30",
        "AVITO_DISCOUNT_50",
    ]:
        create(call, slug)
    add(call, 1000, "AVITO_VOICE_MESSAGES", "AVITO_PERFORMANCE_VAS", "AVITO_DISCOUNT_30")
    add(call, 1002, "AVITO_VOICE_MESSAGES", "AVITO_DISCOUNT_50")
    assert slugs_of(call, 1000) == [
        "AVITO_DISCOUNT_30",
        "AVITO_PERFORMANCE_VAS",
        "AVITO_VOICE_MESSAGES",
    ]
    assert slugs_of(call, 1002) == ["AVITO_DISCOUNT_50", "AVITO_VOICE_MESSAGES"]
    assert slugs_of(call, 1004) == []


def test_register_skips_ids_callers_already_use(call: Call) -> None:
    create(call, "S")
    for used in (1, 2, 3):
        assert add(call, used, "S").status == 201
    minted = [call("register", "POST", "/auth/register").json["id"] for _ in range(3)]
    assert len(set(minted)) == 3
    assert not set(minted) & {1, 2, 3}
    assert all(isinstance(user_id, int) and user_id > 0 for user_id in minted)


def test_adding_keeps_existing_segments_and_readding_changes_nothing(call: Call) -> None:
    create(call, "A")
    create(call, "B")
    add(call, 7, "A")
    add(call, 7, "B", "A", "B")
    assert slugs_of(call, 7) == ["A", "B"]
    assert events_of(7) == [("A", "INSERT", "manual"), ("B", "INSERT", "manual")]


def test_unknown_segment_rejects_the_whole_request(call: Call) -> None:
    create(call, "A")
    reply = add(call, 7, "A", "NOPE", "ALSO_NOPE")
    assert reply.status == 404
    assert reply.json == {"message": "unknown segment(s): ALSO_NOPE, NOPE"}
    assert slugs_of(call, 7) == []
    assert events_of(7) == []
    assert remove(call, 7, "NOPE").status == 404


def test_removing_a_segment_the_user_lacks_is_a_no_op(call: Call) -> None:
    create(call, "A")
    assert remove(call, 7, "A").status == 200
    assert events_of(7) == []


def test_change_segments_adds_and_removes_atomically(call: Call) -> None:
    for slug in "ABC":
        create(call, slug)
    add(call, 5, "A", "B")
    reply = call(
        "change_segments", "PATCH", "/api/users/5/segments", {"add": ["C", "A"], "remove": ["B"]}
    )
    assert reply.status == 200
    assert reply.json == {"user_id": 5, "added": ["C"], "removed": ["B"]}
    assert slugs_of(call, 5) == ["A", "C"]
    both = call(
        "change_segments", "PATCH", "/api/users/5/segments", {"add": ["A"], "remove": ["A"]}
    )
    assert both.status == 400
    assert "A" in both.json["message"]
    unknown = call(
        "change_segments", "PATCH", "/api/users/5/segments", {"add": ["B"], "remove": ["X"]}
    )
    assert unknown.status == 404
    assert slugs_of(call, 5) == ["A", "C"]


def test_user_segments_detail(call: Call) -> None:
    create(call, "A")
    add(call, 9, "A")
    reply = call("get_user_segments", "GET", "/api/users/9/segments")
    assert reply.status == 200
    assert reply.json["user_id"] == 9
    [segment] = reply.json["segments"]
    assert segment["slug"] == "A"
    assert segment["source"] == "manual"
    assert segment["expires_at"] is None
    assert segment["added_at"].endswith("Z")


def test_list_segments(call: Call) -> None:
    create(call, "B", description="30% discount")
    create(call, "A")
    reply = call("list_segments", "GET", "/api/segments")
    assert reply.status == 200
    assert [s["slug"] for s in reply.json["segments"]] == ["A", "B"]
    assert reply.json["segments"][1]["description"] == "30% discount"
    assert {"id", "slug", "description", "created_at"} <= set(reply.json["segments"][0])


def test_duplicate_segment_is_409(call: Call) -> None:
    create(call, "A")
    reply = call("create_segment", "POST", "/api/segments", {"slug": "A"})
    assert reply.status == 409
    assert "A" in reply.json["message"]


def test_deleted_segment_vanishes_and_a_recreated_slug_starts_empty(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = create(call, "A")
    add(call, 1, "A")
    assert call("delete_segment", "DELETE", "/api/segments/A").status == 200
    assert slugs_of(call, 1) == []
    assert call("delete_segment", "DELETE", "/api/segments/A").status == 404
    # The slug stays reserved for the grace period (writes planned before may still land).
    reply = call("create_segment", "POST", "/api/segments", {"slug": "A"})
    assert reply.status == 409
    assert "deleted less than 60 s ago" in reply.json["message"]
    past_deletion_grace(monkeypatch)
    second = create(call, "A")
    assert second != first
    assert slugs_of(call, 1) == []
    add(call, 1, "A")
    assert slugs_of(call, 1) == ["A"]


@pytest.mark.parametrize(
    "body",
    [
        {"slug": ""},
        {"slug": "has space"},
        {"slug": "_leading"},
        {"slug": "=cmd()"},
        {"slug": "x" * 129},
        {"slug": 5},
        {},
        {"slug": "A", "unexpected": 1},
        ["A"],
    ],
)
def test_bad_segment_bodies_are_400(call: Call, body: Any) -> None:
    reply = call("create_segment", "POST", "/api/segments", body)
    assert reply.status == 400
    assert reply.json["message"].startswith("invalid request")
    assert call("list_segments", "GET", "/api/segments").json == {"segments": []}


@pytest.mark.parametrize(
    ("path", "raw_body", "needle"),
    [
        ("/api/users/1/add_to_segment", "[]", "body"),
        ("/api/users/1/add_to_segment", '{"slug": "A"}', "body"),
        ("/api/users/1/add_to_segment", "[not json", "JSON"),
        ("/api/users/1/add_to_segment", '["A", 5]', "body[1]"),
        ("/api/users/abc/add_to_segment", '["A"]', "id"),
        ("/api/users/0/add_to_segment", '["A"]', "id"),
        ("/api/users/-3/add_to_segment", '["A"]', "id"),
        ("/api/users/99999999999999999999999/add_to_segment", '["A"]', "id"),
        ("/api/users/1/add_to_segment", '["A b"]', "invalid slug"),
    ],
)
def test_bad_add_requests_are_400_and_change_nothing(
    call: Call, path: str, raw_body: str, needle: str
) -> None:
    create(call, "A")
    reply = call("add_to_segment", "POST", path, raw_body=raw_body)
    assert reply.status == 400, reply.json
    assert needle in reply.json["message"]
    assert slugs_of(call, 1) == []


def test_request_size_limits(call: Call) -> None:
    create(call, "A")
    too_many = [f"S{i}" for i in range(25)]
    reply = add(call, 1, *too_many)
    assert reply.status == 400
    assert "24" in reply.json["message"]
    huge = call(
        "add_to_segment",
        "POST",
        "/api/users/1/add_to_segment",
        raw_body='["A"' + " " * 70_000 + "]",
    )
    assert huge.status == 413
    assert "body" in huge.json["message"]
    assert slugs_of(call, 1) == []


def test_history_alternates_and_records_segment_ids(call: Call) -> None:
    segment_id = create(call, "A")
    for _ in range(3):
        add(call, 4, "A")
        remove(call, 4, "A")
    history = user_history(4)
    assert [e.operation.value for e in history] == ["INSERT", "DELETE"] * 3
    assert {e.segment_id for e in history} == {segment_id}
    times = [e.at for e in history]
    assert times == sorted(times)
    assert len(set(times)) == len(times)

"""Bodies and ids that once gave a 500 or acted on another spelling of an id (issue 12)."""

from typing import Any

import pytest

from tests.support.handlers import Call

ADD_PATH = "/api/users/1/add_to_segment"


def create(call: Call, slug: str) -> None:
    assert call("create_segment", "POST", "/api/segments", {"slug": slug}).status == 201


def slugs_of(call: Call, user_id: int) -> list[str]:
    reply = call("show_active_segments", "GET", f"/api/users/{user_id}/show_active_segments")
    return list(reply.json["Slugs"])


@pytest.mark.parametrize(
    ("function", "method", "path"),
    [
        ("add_to_segment", "POST", ADD_PATH),
        ("delete_from_segment", "DELETE", "/api/users/1/delete_from_segment"),
        ("change_segments", "PATCH", "/api/users/1/segments"),
        ("create_segment", "POST", "/api/segments"),
        ("update_segment", "PATCH", "/api/segments/A"),
    ],
)
@pytest.mark.parametrize(
    ("raw_body", "needle"),
    [
        ("[" * 1000, "nests deeper than 8"),
        ("[" * 20 + "]" * 20, "nests deeper than 8"),
        ('{"a":' * 9 + "1" + "}" * 9, "nests deeper than 8"),
        ('{"slug": "A", "percent": 1' + "0" * 5000 + "}", "number over 40"),
        ('["A", 1' + "0" * 4400 + "]", "number over 40"),
        ('{"percent": 1.' + "5" * 100 + "}", "number over 40"),
    ],
)
def test_deep_or_huge_number_bodies_are_400(
    call: Call, function: str, method: str, path: str, raw_body: str, needle: str
) -> None:
    create(call, "A")
    reply = call(function, method, path, raw_body=raw_body)
    assert reply.status == 400, reply.json
    assert needle in reply.json["message"]
    assert slugs_of(call, 1) == []


@pytest.mark.parametrize(
    ("expires_at", "needle"),
    [
        ("9999-12-31T23:00:00-05:00", "at most 100 years ahead"),
        ("2200-01-01T00:00:00Z", "at most 100 years ahead"),
        ("0001-01-01T00:00:00+01:00", "in the future"),
    ],
)
def test_expiry_out_of_range_is_400(call: Call, expires_at: str, needle: str) -> None:
    create(call, "S")
    reply = call("add_to_segment", "POST", ADD_PATH, [{"slug": "S", "expires_at": expires_at}])
    assert reply.status == 400, reply.json
    assert needle in reply.json["message"]
    assert slugs_of(call, 1) == []


def test_expiry_within_100_years_is_kept(call: Call) -> None:
    create(call, "S")
    element = {"slug": "S", "expires_at": "2099-12-31T23:00:00-05:00"}
    assert call("add_to_segment", "POST", ADD_PATH, [element]).status == 201
    detail = call("get_user_segments", "GET", "/api/users/1/segments").json
    assert detail["segments"][0]["expires_at"].startswith("2100-01-01T04:00:00")


@pytest.mark.parametrize(
    "headers", [{"content-type": ""}, {"content-type": "application/x-www-form-urlencoded"}]
)
def test_json_without_a_json_content_type_is_read_as_json(
    call: Call, headers: dict[str, str]
) -> None:
    """`curl -d '["A"]'` labels the body form-urlencoded; the reference server reads it."""
    create(call, "A")
    reply = call("add_to_segment", "POST", ADD_PATH, raw_body='["A"]', headers=headers)
    assert reply.status == 201, reply.json
    assert slugs_of(call, 1) == ["A"]


def test_a_form_body_that_is_not_json_is_415(call: Call) -> None:
    create(call, "A")
    reply = call(
        "add_to_segment",
        "POST",
        ADD_PATH,
        raw_body="slug=A",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 415
    assert "x-www-form-urlencoded" in reply.json["message"]
    assert slugs_of(call, 1) == []


def test_form_labelled_json_still_obeys_the_limits(call: Call) -> None:
    reply = call(
        "create_segment",
        "POST",
        "/api/segments",
        raw_body="[" * 1000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 400
    assert "nests deeper" in reply.json["message"]


@pytest.mark.parametrize("user_id", ["+5", "1_000", "007", " 7", "7 ", "0x7", "٣", "1e3"])
@pytest.mark.parametrize(
    ("function", "method", "suffix", "body"),
    [
        ("add_to_segment", "POST", "add_to_segment", ["A"]),
        ("delete_from_segment", "DELETE", "delete_from_segment", ["A"]),
        ("change_segments", "PATCH", "segments", {"add": ["A"]}),
        ("show_active_segments", "GET", "show_active_segments", None),
        ("get_user_segments", "GET", "segments", None),
    ],
)
def test_non_canonical_ids_in_paths_are_400(
    call: Call, user_id: str, function: str, method: str, suffix: str, body: Any
) -> None:
    create(call, "A")
    reply = call(function, method, f"/api/users/{user_id}/{suffix}", body)
    assert reply.status == 400, reply.json
    assert "leading zeros" in reply.json["message"]
    assert "path parameter id" in reply.json["message"]
    assert [slugs_of(call, user) for user in (5, 7, 1000)] == [[], [], []]


def test_non_canonical_user_id_in_the_export_query_is_400(call: Call) -> None:
    reply = call("export_history", "GET", "/api/users/show_segments_history/2024/01?user_id=007")
    assert reply.status == 400, reply.json
    assert "query parameter user_id" in reply.json["message"]
    assert "leading zeros" in reply.json["message"]


def test_canonical_ids_still_work(call: Call) -> None:
    create(call, "A")
    assert call("add_to_segment", "POST", "/api/users/1000/add_to_segment", ["A"]).status == 201
    assert slugs_of(call, 1000) == ["A"]

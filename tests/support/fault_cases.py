"""What the fault tests send and check: every endpoint with every AWS call it makes, the
world they run in, and the checks that a fault was answered cleanly and changed nothing."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3

from tests.support.faults import (
    SERVER_ERROR,
    TABLES,
    THROTTLED,
    THROTTLING,
    Fault,
    connect_timeout,
    read_timeout,
)
from tests.support.handlers import Call, Reply


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every item of both tables except id counters (a failed register may burn an id)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    tables = {}
    for table in TABLES:
        items = [
            item
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]
            if item.get("pk", {}).get("S") != "COUNTER"
        ]
        tables[table] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return tables


def history_rows(user_id: int) -> list[tuple[str, str]]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    items = client.query(
        TableName="HistoryTable",
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"N": str(user_id)}},
    )["Items"]
    return [(item["slug"]["S"], item["operation"]["S"]) for item in items]


def assert_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.raw
    assert int(reply.headers["retry-after"]) >= 1
    assert reply.headers["content-type"].startswith("application/json")
    assert set(reply.json) == {"message"}
    assert "retry" in reply.json["message"]


def seed_world(call: Call) -> SimpleNamespace:
    """Two manual segments, one automatic at 100%, a user in MANUAL_A, a history row."""
    for body in ({"slug": "MANUAL_A"}, {"slug": "MANUAL_B"}, {"slug": "AUTO", "percent": 100}):
        assert call("create_segment", "POST", "/api/segments", body=body).status == 201
    user = call("register", "POST", "/auth/register").json["id"]
    fresh = call("register", "POST", "/auth/register").json["id"]  # never read: AUTO unrecorded
    assert (
        call(
            "add_to_segment", "POST", f"/api/users/{user}/add_to_segment", body=["MANUAL_A"]
        ).status
        == 201
    )
    assert (
        call("show_active_segments", "GET", f"/api/users/{user}/show_active_segments").status == 200
    )
    now = datetime.now(UTC)
    return SimpleNamespace(user=user, fresh=fresh, year=now.year, month=now.month)


@dataclass(frozen=True)
class Endpoint:
    name: str
    function: str
    method: str
    path: str  # formatted with the world's attributes
    body: Any = None
    ok: int = 200

    def send(self, call: Call, world: SimpleNamespace) -> Reply:
        return call(self.function, self.method, self.path.format(**vars(world)), body=self.body)


ENDPOINTS = {
    e.name: e
    for e in [
        Endpoint("register", "register", "POST", "/auth/register", ok=201),
        Endpoint("create segment", "create_segment", "POST", "/api/segments", {"slug": "NEW"}, 201),
        Endpoint("list segments", "list_segments", "GET", "/api/segments"),
        Endpoint(
            "set percent", "update_segment", "PATCH", "/api/segments/MANUAL_B", {"percent": 5}
        ),
        Endpoint("delete segment", "delete_segment", "DELETE", "/api/segments/MANUAL_B"),
        Endpoint(
            "read slugs", "show_active_segments", "GET", "/api/users/{user}/show_active_segments"
        ),
        Endpoint(
            "read first exposure",
            "show_active_segments",
            "GET",
            "/api/users/{fresh}/show_active_segments",
        ),
        Endpoint("read details", "get_user_segments", "GET", "/api/users/{user}/segments"),
        Endpoint(
            "add", "add_to_segment", "POST", "/api/users/{user}/add_to_segment", ["MANUAL_B"], 201
        ),
        Endpoint(
            "remove",
            "delete_from_segment",
            "DELETE",
            "/api/users/{user}/delete_from_segment",
            ["MANUAL_A"],
        ),
        Endpoint(
            "add and remove",
            "change_segments",
            "PATCH",
            "/api/users/{user}/segments",
            {"add": ["MANUAL_B"], "remove": ["MANUAL_A"]},
        ),
        Endpoint(
            "export", "export_history", "GET", "/api/users/show_segments_history/{year}/{month}"
        ),
    ]
}

# (endpoint, failing call): every AWS call each endpoint makes.
CALLS = [
    ("register", "UpdateItem"),
    ("register", "PutItem"),
    ("create segment", "UpdateItem"),
    ("create segment", "GetItem"),
    ("create segment", "TransactWriteItems"),
    ("list segments", "Query"),
    ("set percent", "GetItem"),
    ("set percent", "TransactWriteItems"),
    ("delete segment", "GetItem"),
    ("delete segment", "TransactWriteItems"),
    ("read slugs", "Query"),
    ("read first exposure", "TransactWriteItems"),
    ("read details", "Query"),
    ("add", "Query"),
    ("add", "TransactWriteItems"),
    ("remove", "TransactWriteItems"),
    ("add and remove", "TransactWriteItems"),
    ("export", "Query"),
]
KINDS: dict[str, Fault] = {
    "throttled": THROTTLED,
    "throttling": THROTTLING,
    "server error": SERVER_ERROR,
    "read timeout": read_timeout,
    "connect timeout": connect_timeout,
}
# Every call with every kind of fault would be 80 cases: rotate the kinds over the calls,
# and give the transaction of the main write path every kind.
CASES = [
    (endpoint, op, kind)
    for i, (endpoint, op) in enumerate(CALLS)
    for kind in [list(KINDS)[i % len(KINDS)]]
]
CASES += [
    ("add", "TransactWriteItems", kind)
    for kind in KINDS
    if ("add", "TransactWriteItems", kind) not in CASES
]

"""One table of requests per route: a valid one and errors, each with the status it must get.

tests/unit/test_response_schemas.py runs them all on the real handlers and checks each answer
against the route's OpenAPI response. A new route needs its row here (the test fails without
it), valid case first, with a case for every status its OpenAPI responses declare except
those `generic_cases` adds to every route: 413 and 415 for a route with a body, 503 for all.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import boto3

from segmentation.data.history_watermark import advance_history_watermark
from segmentation.domain.report_jobs import ReportJobOptions, ReportRequest, start_report
from segmentation.settings import SETTINGS
from tests.support.handlers import Call
from tests.support.report_queues import drain

Given = Callable[[Call], dict[str, str]]  # prepares the world; values for the case's path


def nothing(call: Call) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Case:
    status: int
    why: str
    path: str  # formatted with what `given` returns
    body: Any = None
    raw_body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    given: Given = nothing
    aws_down: bool = False  # every AWS call times out, past botocore's retries


def segment(call: Call, slug: str = "S", **extra: Any) -> dict[str, str]:
    reply = call("create_segment", "POST", "/api/segments", {"slug": slug, **extra})
    assert reply.status == 201, reply.json
    return {"slug": slug}


def member(call: Call) -> dict[str, str]:
    segment(call, "S")
    segment(call, "AUTO", percent=100)
    reply = call("add_to_segment", "POST", "/api/users/7/add_to_segment", ["S"])
    assert reply.status == 201, reply.json
    return {}


def exports_bucket(call: Call) -> dict[str, str]:
    s3 = boto3.client("s3", region_name=SETTINGS.region)
    if SETTINGS.exports_bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=SETTINGS.exports_bucket)
    return {}


def pending_closed_month(call: Call) -> dict[str, str]:
    """January 2024 is final and its report job has not run yet."""
    exports_bucket(call)
    advance_history_watermark("2024-02-01T00:00:00.000000Z")
    return {"job": start_report(ReportRequest(2024, 1)).id}


def done_job(call: Call) -> dict[str, str]:
    exports_bucket(call)
    job = start_report(ReportRequest(2024, 1), ReportJobOptions(window_hours=16 * 24))
    drain()
    return {"job": job.id}


TOO_DEEP = "[" * 20 + "]" * 20  # refused before any route looks at it: 400 on every route
BULK_ADD = {"action": "add", "user_ids": [1, 2, 3]}
BULK_BAD = {"action": "remove", "ttl_seconds": 60, "user_ids": [1]}


def bulk_job(call: Call) -> dict[str, str]:
    segment(call)
    reply = call("start_bulk", "POST", "/api/segments/S/bulk", BULK_ADD)
    assert reply.status == 202, reply.json
    return {"job": reply.json["id"]}


HISTORY = "/api/users/show_segments_history"
CSV = {"accept": "text/csv"}

CASES: dict[tuple[str, str], list[Case]] = {
    ("POST", "/auth/register"): [
        Case(201, "new id", "/auth/register"),
        Case(400, "body nests too deep", "/auth/register", raw_body=TOO_DEEP),
    ],
    ("POST", "/api/segments"): [
        Case(201, "created", "/api/segments", {"slug": "S", "percent": 10}),
        Case(400, "bad slug", "/api/segments", {"slug": "no spaces"}),
        Case(409, "exists", "/api/segments", {"slug": "S"}, given=segment),
    ],
    ("GET", "/api/segments"): [
        Case(200, "listed", "/api/segments", given=member),
        Case(400, "body nests too deep", "/api/segments", raw_body=TOO_DEEP),
    ],
    ("PATCH", "/api/segments/{slug}"): [
        Case(200, "updated", "/api/segments/{slug}", {"percent": 5}, given=segment),
        Case(400, "percent not a number", "/api/segments/S", {"percent": "5"}, given=segment),
        Case(404, "unknown segment", "/api/segments/NOPE", {"percent": 5}),
    ],
    ("GET", "/api/segments/{slug}"): [
        Case(200, "with its count", "/api/segments/{slug}", given=segment),
        Case(400, "bad slug", "/api/segments/-x-"),
        Case(404, "unknown segment", "/api/segments/NOPE"),
    ],
    ("GET", "/api/segments/{slug}/members"): [
        Case(200, "a page", "/api/segments/S/members?limit=10", given=member),
        Case(400, "limit 0", "/api/segments/S/members?limit=0", given=segment),
        Case(404, "unknown segment", "/api/segments/NOPE/members"),
    ],
    ("POST", "/api/segments/{slug}/bulk"): [
        Case(202, "started", "/api/segments/{slug}/bulk", BULK_ADD, given=segment),
        Case(400, "expiry with remove", "/api/segments/S/bulk", BULK_BAD, given=segment),
        Case(404, "unknown segment", "/api/segments/NOPE/bulk", BULK_ADD),
    ],
    ("GET", "/api/bulk/{job_id}"): [
        Case(200, "the job", "/api/bulk/{job}", given=bulk_job),
        Case(400, "bad job id", "/api/bulk/no_underscores"),
        Case(404, "unknown job", "/api/bulk/abc123"),
    ],
    ("DELETE", "/api/segments/{slug}"): [
        Case(200, "deleted", "/api/segments/{slug}", given=segment),
        Case(400, "bad slug", "/api/segments/-x-"),
        Case(404, "unknown segment", "/api/segments/NOPE"),
    ],
    ("POST", "/api/users/{id}/add_to_segment"): [
        Case(201, "added", "/api/users/7/add_to_segment", ["S"], given=segment),
        Case(400, "empty list", "/api/users/7/add_to_segment", []),
        Case(404, "unknown segment", "/api/users/7/add_to_segment", ["NOPE"]),
    ],
    ("DELETE", "/api/users/{id}/delete_from_segment"): [
        Case(200, "removed", "/api/users/7/delete_from_segment", ["S"], given=member),
        Case(400, "user id not a number", "/api/users/x/delete_from_segment", ["S"]),
        Case(404, "unknown segment", "/api/users/7/delete_from_segment", ["NOPE"]),
    ],
    ("PATCH", "/api/users/{id}/segments"): [
        Case(200, "changed", "/api/users/7/segments", {"remove": ["S"]}, given=member),
        Case(400, "unknown field", "/api/users/7/segments", {"colour": "red"}),
        Case(404, "unknown segment", "/api/users/7/segments", {"add": ["NOPE"]}),
    ],
    ("GET", "/api/users/{id}/segments"): [
        Case(200, "listed", "/api/users/7/segments", given=member),
        Case(400, "user id 0", "/api/users/0/segments"),
    ],
    ("GET", "/api/users/{id}/show_active_segments"): [
        Case(200, "listed", "/api/users/7/show_active_segments", given=member),
        Case(400, "user id not a number", "/api/users/x/show_active_segments"),
    ],
    ("GET", "/api/users/show_segments_history/{year}/{month}"): [
        Case(200, "link", f"{HISTORY}/2024/1", given=exports_bucket),
        Case(202, "closed month being built", f"{HISTORY}/2024/1", given=pending_closed_month),
        Case(303, "to the file", f"{HISTORY}/2024/1", headers=CSV, given=exports_bucket),
        Case(400, "month 13", f"{HISTORY}/2024/13"),
    ],
    ("POST", "/api/reports"): [
        Case(202, "started", "/api/reports", {"year": 2024, "month": 1}, given=exports_bucket),
        Case(400, "year a string", "/api/reports", {"year": "2024", "month": 1}),
    ],
    ("GET", "/api/reports/{job_id}"): [
        Case(200, "pending", "/api/reports/{job}", given=pending_closed_month),
        Case(303, "done: to the file", "/api/reports/{job}", headers=CSV, given=done_job),
        Case(400, "bad job id", "/api/reports/no_underscores"),
        Case(404, "unknown job", "/api/reports/unknown-job"),
    ],
}


def generic_cases(route_cases: list[Case], has_body: bool) -> list[Case]:
    """The errors the handler wrapper and the resolver answer whatever the route, sent as
    the route's first (valid) case."""
    valid = route_cases[0]
    cases = [replace(valid, status=503, why="AWS unreachable", aws_down=True)]
    if has_body:
        too_large = "[" + " " * SETTINGS.max_body_bytes + "]"
        cases.append(replace(valid, status=413, why="body too large", raw_body=too_large))
        not_json = {"content-type": "text/plain"}
        cases.append(replace(valid, status=415, why="not JSON", raw_body="S", headers=not_json))
    return cases

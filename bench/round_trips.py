"""AWS round trips and items per request, for every HTTP function in template.yaml, at
two data sizes ten times apart.

Each request goes through the function's real `lambda_handler` with an API Gateway
HTTP API event, in-process on moto: the calls a request makes do not depend on where
DynamoDB runs, and in-process there is no server thread sharing the counters. Before
each measured request the container's segment cache is warm, as in a container that
served a request within SEGMENT_CACHE_SECONDS; a cold cache adds one Query.
"""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.aws_calls import CallCount, counting
from bench.template_functions import Route, TemplateFunction, service_template

MAX_SLUGS = int(os.environ.get("MAX_SLUGS_PER_REQUEST", "24"))
AUTO_SEGMENTS = 2  # at 100%: a user's first read records both exposures


@dataclass(frozen=True)
class Scale:
    users: int
    segments: int

    @property
    def label(self) -> str:
        return f"{self.users} users/{self.segments} segs"


SCALES = (Scale(users=10, segments=60), Scale(users=100, segments=600))


@dataclass(frozen=True)
class Request:
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    route: str  # "POST /api/segments": the template route it exercises
    name: str
    build: Callable[[Scale], Request]  # runs after seeding, may prepare more state
    grows_by_design: str = ""  # why this request's work follows the data size, if it does
    target: int | None = None  # round trips the design promises


def _slugs(first: int, count: int) -> list[str]:
    return [f"S_{i:04d}" for i in range(first, first + count)]


def _month() -> tuple[int, int]:
    now = datetime.now(UTC)
    return now.year, now.month


def _warm_read(user_id: int) -> None:
    from segmentation.domain.memberships import active_memberships

    active_memberships(user_id)  # records first exposures: later reads are steady state


def _steady_read(path: str) -> Callable[[Scale], Request]:
    def build(scale: Scale) -> Request:
        _warm_read(3)
        return Request(path.format(id=3))

    return build


def _first_read(scale: Scale) -> Request:
    from segmentation.domain.users import register_user

    return Request(f"/api/users/{register_user()}/show_active_segments")


def _patch_both(scale: Scale) -> Request:
    half = MAX_SLUGS // 2
    return Request(
        "/api/users/2/segments",
        {"add": _slugs(1, half), "remove": _slugs(1 + MAX_SLUGS, half)},
    )


SCENARIOS: list[Scenario] = [
    Scenario("POST /auth/register", "register", lambda s: Request("/auth/register"), target=2),
    Scenario(
        "POST /api/segments",
        "create segment",
        lambda s: Request("/api/segments", {"slug": "NEW_SEGMENT", "description": "bench"}),
        target=3,  # id counter, catalogue version, one transaction (segment + version + log)
    ),
    Scenario(
        "GET /api/segments",
        "list segments",
        lambda s: Request("/api/segments"),
        target=1,  # the catalogue log, strongly consistent: the answer comes from the cache
    ),
    Scenario(
        "PATCH /api/segments/{slug}",
        "set a segment's percent",
        lambda s: Request("/api/segments/S_0005", {"percent": 100}),
        target=3,  # the segment, the catalogue version, one transaction
    ),
    Scenario(
        "GET /api/users/{id}/show_active_segments",
        "read slugs (steady)",
        _steady_read("/api/users/{id}/show_active_segments"),
        target=1,
    ),
    Scenario(
        "GET /api/users/{id}/show_active_segments",
        "read slugs (first exposure)",
        _first_read,
        target=2,
    ),
    Scenario(
        "GET /api/users/{id}/segments",
        "read details (steady)",
        _steady_read("/api/users/{id}/segments"),
        target=1,
    ),
    Scenario(
        "POST /api/users/{id}/add_to_segment",
        "add 1 slug",
        lambda s: Request("/api/users/4/add_to_segment", ["S_0001"]),
        target=2,
    ),
    Scenario(
        "POST /api/users/{id}/add_to_segment",
        "add an unknown slug (404)",
        lambda s: Request("/api/users/4/add_to_segment", ["NO_SUCH_SEGMENT"]),
        target=1,  # one catalogue-log query, at most once a second per container
    ),
    Scenario(
        "POST /api/users/{id}/add_to_segment",
        f"add {MAX_SLUGS} slugs (limit)",
        lambda s: Request("/api/users/1/add_to_segment", _slugs(1, MAX_SLUGS)),
        target=2,
    ),
    Scenario(
        "DELETE /api/users/{id}/delete_from_segment",
        f"remove {MAX_SLUGS} slugs (limit)",
        lambda s: Request("/api/users/1/delete_from_segment", _slugs(1, MAX_SLUGS)),
        target=2,
    ),
    Scenario(
        "PATCH /api/users/{id}/segments",
        f"add {MAX_SLUGS // 2} + remove {MAX_SLUGS // 2}",
        _patch_both,
        target=2,
    ),
    Scenario(
        "GET /api/users/show_segments_history/{year}/{month}",
        "export a month (all users)",
        lambda s: Request("/api/users/show_segments_history/{}/{}".format(*_month())),
        grows_by_design="reads the whole month: shards x pages",
    ),
    Scenario(
        "GET /api/users/show_segments_history/{year}/{month}",
        "export a month (one user)",
        lambda s: Request("/api/users/show_segments_history/{}/{}?user_id=3".format(*_month())),
        target=3,  # the history watermark (is the month closed?), the Query, the PutObject
    ),
    Scenario(
        "POST /api/segments/{slug}/bulk",
        "start a bulk job (100 ids inline)",
        lambda s: Request(
            "/api/segments/S_0007/bulk", {"action": "add", "user_ids": list(range(1, 101))}
        ),
        target=2,  # the job's PutItem, one SendMessageBatch (the catalogue is cached)
    ),
    # Last: the segment every user is in; its members are cleaned up later, not here.
    Scenario(
        "DELETE /api/segments/{slug}",
        "delete a segment (all users in it)",
        lambda s: Request("/api/segments/S_0000"),
        target=3,  # the segment, the catalogue version, one transaction
    ),
]


def _generic(route: Route) -> Scenario:
    """A request for a route no scenario covers yet: path parameters filled, no body."""
    if route.method == SCHEDULE:
        return Scenario(
            route.key,
            "one scheduled run, after a segment all users were in was deleted",
            lambda s: Request(""),
            grows_by_design="background cleanup: works through what expired or was deleted",
        )
    year, month = _month()
    values = {"id": "3", "slug": "S_0006", "year": str(year), "month": str(month)}
    path = route.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return Scenario(route.key, "generic call (no scenario written)", lambda s: Request(path))


@dataclass(frozen=True)
class Measurement:
    function: str
    scenario: Scenario
    status: int
    counts: dict[Scale, CallCount]

    def flat(self) -> bool:
        first, *rest = self.counts.values()
        return all(
            (c.round_trips, c.items_read, c.items_written, c.items_checked)
            == (first.round_trips, first.items_read, first.items_written, first.items_checked)
            for c in rest
        )


def _seed(scale: Scale) -> None:
    """Bulk-loads segments, users, memberships and their history rows with batch writes
    of the service's own models (moto copies every table on each transaction, so seeding
    through the API would take minutes), then makes the automatic segments the usual way."""
    from segmentation.clock import format_timestamp, utc_now
    from segmentation.data.counters import next_counter_value
    from segmentation.data.history import history_item
    from segmentation.data.memberships import membership_item
    from segmentation.data.models import HistoryItem, MembershipItem, SegmentItem
    from segmentation.data.segments import segment_item
    from segmentation.data.users import user_profile
    from segmentation.domain.segments import SEGMENT_ID_COUNTER, create_segment
    from segmentation.domain.users import USER_ID_COUNTER
    from segmentation.model import (
        HistoryEvent,
        HistoryOperation,
        HistoryReason,
        Membership,
        MembershipSource,
        MembershipState,
        Segment,
        StoredVersion,
    )

    at = format_timestamp(utc_now())
    slugs = _slugs(0, scale.segments)
    with SegmentItem.batch_write() as batch:
        for segment_id, slug in enumerate(slugs, start=1):
            batch.save(segment_item(Segment(segment_id, slug, None, at)))
    next_counter_value(SEGMENT_ID_COUNTER, scale.segments)
    next_counter_value(USER_ID_COUNTER, scale.users)
    # Everyone is in S_0000 and in two segments past those the scenarios use.
    spread = 1 + 2 * MAX_SLUGS
    held = {
        user_id: ["S_0000", *(f"S_{spread + (user_id + 5 * k) % 10:04d}" for k in range(2))]
        for user_id in range(1, scale.users + 1)
    }
    held[2] += _slugs(1 + MAX_SLUGS, MAX_SLUGS // 2)  # what the combined call removes
    with MembershipItem.batch_write() as memberships, HistoryItem.batch_write() as history:
        for user_id, user_slugs in held.items():
            memberships.save(user_profile(user_id, at))
            for slug in user_slugs:
                segment_id = slugs.index(slug) + 1
                stored = Membership(
                    user_id,
                    slug,
                    segment_id,
                    MembershipState.ACTIVE,
                    MembershipSource.MANUAL,
                    at,
                    at,
                    stored=StoredVersion(1),  # a batch write stores the version as given
                )
                memberships.save(membership_item(stored))
                event = HistoryEvent(
                    user_id, slug, segment_id, HistoryOperation.INSERT, HistoryReason.MANUAL, at
                )
                history.save(history_item(event))
    for i in range(AUTO_SEGMENTS):  # 100%: every user's first read records both
        create_segment(f"AUTO_{i}", percent_buckets=10_000)


SCHEDULE = "SCHEDULE"


def _invoke(function: TemplateFunction, route: Route, request: Request) -> int:
    from local_stack.events import LambdaContext, build_http_api_event, build_scheduled_event
    from local_stack.runtime import load_handler

    path, _, query = request.path.partition("?")
    event = (
        build_scheduled_event()
        if route.method == SCHEDULE
        else build_http_api_event(
            method=route.method,
            path=path,
            route_key=route.key,
            query_string=query,
            headers={"content-type": "application/json", **request.headers},
            body=None if request.body is None else json.dumps(request.body),
        )
    )
    handler = _handlers.get(function.logical_id)
    if handler is None:
        handler = _handlers[function.logical_id] = load_handler(function.spec)
    context = LambdaContext(
        function.logical_id, function.spec.memory_mb, float(function.spec.timeout_seconds)
    )
    reply = handler(event, context)
    return int(reply.get("statusCode", 200))


_handlers: dict[str, Callable[[Any, Any], Any]] = {}


def plan(functions: list[TemplateFunction]) -> list[tuple[TemplateFunction, Route, Scenario]]:
    """Every route of every function, with its scenarios (or a generic call)."""
    planned = []
    for function in functions:
        routes = list(function.routes)
        if function.scheduled:
            routes.append(Route(SCHEDULE, function.name))
        for route in routes:
            mine = [s for s in SCENARIOS if s.route == route.key] or [_generic(route)]
            planned.extend((function, route, scenario) for scenario in mine)
    order = {id(s): i for i, s in enumerate(SCENARIOS)}
    # Scenarios in their written order (state builds up); scheduled runs go last.
    return sorted(
        planned,
        key=lambda p: (p[1].method == SCHEDULE, order.get(id(p[2]), len(order))),
    )


def measure(functions: list[TemplateFunction]) -> list[Measurement]:
    from moto import mock_aws

    from local_stack.testing import create_resources_in_moto

    template = service_template()
    planned = plan(functions)
    counts: dict[int, dict[Scale, CallCount]] = {i: {} for i in range(len(planned))}
    statuses: dict[int, int] = {}
    for scale in SCALES:
        with mock_aws():
            create_resources_in_moto(template)
            from segmentation.domain.catalogue import CATALOGUE

            CATALOGUE.max_age_seconds = 3600.0
            _seed(scale)
            for i, (function, route, scenario) in enumerate(planned):
                request = scenario.build(scale)
                CATALOGUE.refresh()  # a warm container
                with counting() as count:
                    statuses[i] = _invoke(function, route, request)
                counts[i][scale] = count
    return [
        Measurement(function.name, scenario, statuses[i], counts[i])
        for i, (function, _, scenario) in enumerate(planned)
    ]

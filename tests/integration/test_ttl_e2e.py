"""TTL and segment deletion end to end: the local stack's scheduler runs the maintenance
function every second, as EventBridge does every minute in AWS."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from local_stack.testing import RunningStack, running_stack
from segmentation_client import Conflict, TimedGrant
from tests.support.client import Client

PATIENCE_SECONDS = 90  # generous: the machine running the tests may be busy


@pytest.fixture(scope="module")
def scheduled() -> Iterator[RunningStack]:
    with running_stack(schedule_seconds=1) as running:
        yield running


@pytest.fixture
def api(scheduled: RunningStack) -> Client:
    return Client(scheduled.base_url)


def history(stack: RunningStack, user_id: int) -> list[tuple[str, str, str, str]]:
    table = boto3.resource("dynamodb", endpoint_url=stack.aws_endpoint_url).Table("HistoryTable")
    items = table.query(KeyConditionExpression=Key("user_id").eq(user_id), ConsistentRead=True)
    return [
        (str(i["slug"]), str(i["operation"]), str(i["reason"]), str(i["at"]))
        for i in items["Items"]
    ]


def eventually(check: Callable[[], Any]) -> Any:
    """Polls until `check` returns something truthy (no timing is asserted)."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not (result := check()):
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.5)
    return result


def test_a_timed_membership_expires_and_its_exit_is_recorded(
    api: Client, scheduled: RunningStack
) -> None:
    slug, kept = api.new_slug("TTL"), api.new_slug("KEPT")
    user_id = api.new_user()
    api.add_to_segment(user_id, [TimedGrant(slug, ttl_seconds=2), kept])
    shown = api.get_user_segments(user_id).segments
    expires_at = next(s.expires_at for s in shown if s.slug == slug)

    eventually(lambda: api.slugs(user_id) == [kept])
    exit_row = (slug, "DELETE", "ttl", expires_at)
    eventually(lambda: exit_row in history(scheduled, user_id))
    assert [row[1] for row in history(scheduled, user_id) if row[0] == slug] == [
        "INSERT",
        "DELETE",
    ]


def test_a_deleted_segments_members_leave_at_once_and_are_recorded(
    api: Client, scheduled: RunningStack
) -> None:
    slug = api.new_slug("GONE")
    users = [api.new_user() for _ in range(3)]
    for user_id in users:
        api.add_to_segment(user_id, [slug])
    api.delete_segment(slug)
    assert all(api.slugs(user_id) == [] for user_id in users)
    # The slug stays reserved for the deletion's grace period (unit tests move the clock
    # past it and recreate it: the new segment starts empty).
    with pytest.raises(Conflict, match="deleted less than"):
        api.create_segment(slug)

    for user_id in users:
        eventually(
            lambda user_id=user_id: any(
                row[2] == "segment_deleted" for row in history(scheduled, user_id)
            )
        )
        assert [row[1:3] for row in history(scheduled, user_id)] == [
            ("INSERT", "manual"),
            ("DELETE", "segment_deleted"),
        ]

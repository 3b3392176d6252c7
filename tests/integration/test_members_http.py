"""Members and counts through the local stack, over HTTP with the Python client: the
history stream reaches the counts function through the stack's stream poller, so the
count converges on the members the listing shows, while users join and leave."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from local_stack.testing import RunningStack
from segmentation_client import InvalidRequest, NotFound
from tests.support.client import Client

PATIENCE_SECONDS = 180  # generous: the machine running the tests may be busy


def eventually(check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def stream_log(stack: RunningStack) -> str:
    lines = stack.output().splitlines()
    return "\n".join(line for line in lines if "stream" in line or "count batch" in line)[-4000:]


def test_the_count_converges_on_the_listed_members(client: Client, stack: RunningStack) -> None:
    slug = client.new_slug("COUNTED")
    users = [client.new_user() for _ in range(12)]
    for user in users:
        client.add_to_segment(user, [slug])
    for user in users[:4]:
        client.delete_from_segment(user, [slug])
    listed = sorted(member.user_id for member in client.all_segment_members(slug, limit=5))
    assert listed == sorted(users[4:])
    assert eventually(lambda: client.get_segment(slug).members == 8), stream_log(stack)
    segment = client.get_segment(slug)
    shown = next(s for s in client.list_segments().segments if s.slug == slug)
    assert (segment.id, segment.slug, segment.percent) == (shown.id, shown.slug, shown.percent)


def test_listing_during_concurrent_adds_and_removals(client: Client, stack: RunningStack) -> None:
    """Requests really run at once here (the gateway is threaded; moto applies them one
    at a time): members present throughout appear exactly once, nobody twice."""
    slug = client.new_slug("BUSY")
    steady = [client.new_user() for _ in range(12)]
    churning = [client.new_user() for _ in range(4)]
    for user in steady:
        client.add_to_segment(user, [slug])
    stop = threading.Event()
    errors: list[BaseException] = []

    def churn() -> None:
        try:
            while not stop.is_set():
                for user in churning:
                    client.add_to_segment(user, [slug])
                    client.delete_from_segment(user, [slug])
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        users = [member.user_id for member in client.all_segment_members(slug, limit=2)]
    finally:
        stop.set()
        worker.join()
    assert not errors
    assert len(users) == len(set(users))
    assert set(steady) <= set(users) <= set(steady) | set(churning)
    # The churn ended with every churning user removed: the count settles on the steady.
    assert eventually(lambda: client.get_segment(slug).members == len(steady)), stream_log(stack)


def test_bad_limits_cursors_and_slugs_are_4xx(client: Client) -> None:
    slug = client.new_slug("CHECKED")
    with pytest.raises(InvalidRequest, match="limit"):
        client.list_segment_members(slug, limit=0)
    with pytest.raises(InvalidRequest, match="cursor"):
        client.list_segment_members(slug, cursor="bm90IGEgY3Vyc29y")
    with pytest.raises(NotFound):
        client.list_segment_members("NO_SUCH_SEGMENT")
    with pytest.raises(NotFound):
        client.get_segment("NO_SUCH_SEGMENT")

"""Integration tests drive the local stack over HTTP through the service's own Python client
(clients/python), so the client cannot drift from the service."""

from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest

from local_stack.testing import running_stack
from segmentation_client import SegmentationClient

_unique = count(1)


class Client(SegmentationClient):
    """The client without retries (a test must see every 503), plus helpers for tests that
    share one stack. `request()` stays for raw and malformed calls."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, retries=0)

    def new_slug(self, prefix: str = "SEG") -> str:
        """Tests share one stack: each creates its own segments."""
        slug = f"{prefix}_{next(_unique)}"
        self.create_segment(slug)
        return slug

    def new_user(self) -> int:
        return self.register().id

    def slugs(self, user_id: int) -> list[str]:
        return self.show_active_segments(user_id).slugs


# One piece per month: report jobs that tests (and schemathesis) start stay cheap. Two
# bulk writers: moto answers one request at a time, more threads only contend for the GIL.
REPORT_PARAMETERS = ("--parameter=ReportWindowHours=744", "--parameter=BulkWriteThreads=2")


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    with running_stack(extra_args=REPORT_PARAMETERS) as running:
        yield running


@pytest.fixture
def client(stack: Any) -> Client:
    return Client(stack.base_url)

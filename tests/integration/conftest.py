"""Integration tests drive the local stack over HTTP through the service's own Python client
(clients/python), so the client cannot drift from the service."""

from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.testing import running_stack
from tests.support.client import Client

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

"""Integration tests drive the local stack over HTTP, as a client would."""

from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
import requests

from local_stack.testing import running_stack

_unique = count(1)


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def request(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.session.request(method, self.base_url + path, json=body, timeout=30)

    def new_slug(self, prefix: str = "SEG") -> str:
        """Tests share one stack: each creates its own segments."""
        slug = f"{prefix}_{next(_unique)}"
        reply = self.request("POST", "/api/segments", {"slug": slug})
        assert reply.status_code == 201, reply.text
        return slug

    def new_user(self) -> int:
        reply = self.request("POST", "/auth/register")
        assert reply.status_code == 201, reply.text
        return int(reply.json()["id"])

    def slugs(self, user_id: int) -> list[str]:
        reply = self.request("GET", f"/api/users/{user_id}/show_active_segments")
        assert reply.status_code == 200, reply.text
        return list(reply.json()["Slugs"])


# One piece per month: report jobs that tests (and schemathesis) start stay cheap.
REPORT_PARAMETERS = ("--parameter=ReportWindowHours=744",)


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    with running_stack(extra_args=REPORT_PARAMETERS) as running:
        yield running


@pytest.fixture
def client(stack: Any) -> Client:
    return Client(stack.base_url)

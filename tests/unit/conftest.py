"""Unit tests are pure: no moto, no AWS call, no network. A test that reaches for any of
them fails here; it belongs in tests/component (moto) or tests/local_stack."""

import socket
from typing import Any, NoReturn

import botocore.endpoint
import pytest


def _refuse(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(
            f"a unit test made {what}: unit tests are pure; move it to tests/component"
        )

    return refuse


@pytest.fixture(autouse=True)
def no_aws_and_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every botocore request, moto's included, is sent by Endpoint.make_request.
    monkeypatch.setattr(botocore.endpoint.Endpoint, "make_request", _refuse("an AWS call"))
    monkeypatch.setattr(socket.socket, "connect", _refuse("a network connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse("a network connection"))

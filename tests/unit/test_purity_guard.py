"""The unit suite's guard (tests/unit/conftest.py) really stops AWS calls and connections."""

import socket

import boto3
import pytest
from moto import mock_aws


def test_an_aws_call_fails_even_on_moto() -> None:
    with mock_aws(), pytest.raises(AssertionError, match="move it to tests/component"):
        boto3.client("s3", region_name="us-east-1").list_buckets()


def test_a_network_connection_fails() -> None:
    with pytest.raises(AssertionError, match="move it to tests/component"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)

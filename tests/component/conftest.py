"""Component tests run the handlers, the domain and the data layer in-process on moto."""

from collections.abc import Iterator

import boto3
import pytest

from segmentation.settings import SETTINGS
from tests.support.aws import moto_resources
from tests.support.faults import FaultInjector, install_fault_injector
from tests.support.handlers import Call, call_handler


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with moto_resources():
        yield


@pytest.fixture
def call() -> Call:
    """call("add_to_segment", "POST", "/api/users/1/add_to_segment", body=[...])"""
    return call_handler


@pytest.fixture
def exports_bucket(aws: None) -> str:
    """The bucket the export writes to: the template's, or made here under its name."""
    s3 = boto3.client("s3", region_name=SETTINGS.region)
    if SETTINGS.exports_bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=SETTINGS.exports_bucket)
    return SETTINGS.exports_bucket


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> FaultInjector:
    """Faults injected into the AWS calls moto answers (tests/support/faults.py)."""
    return install_fault_injector(monkeypatch)

"""Runs the report jobs' queues inside mock_aws, as the local stack's poller does."""

from typing import Any

import boto3

from local_stack.events import LambdaContext
from local_stack.queues import poll_once, sqs_sources
from local_stack.template import load_template
from segmentation.settings import SETTINGS
from tests.support.handlers import ROOT, load_function

TEMPLATE = load_template(ROOT / "template.yaml")


def sqs() -> Any:
    return boto3.client("sqs", region_name=SETTINGS.region)


def retry_at_once() -> None:
    """A failed task comes back on the next receive instead of after the template's
    visibility timeout (the redrive still counts its receives)."""
    for source in sqs_sources(TEMPLATE):
        sqs().set_queue_attributes(QueueUrl=source.url, Attributes={"VisibilityTimeout": "0"})


def _invoke(logical_id: str, event: Any) -> Any:
    handler = load_function(TEMPLATE.function(logical_id).code_uri.name).lambda_handler
    return handler(event, LambdaContext(logical_id))


def drain(max_rounds: int = 1000) -> int:
    """Polls every report queue until all are empty; returns the tasks delivered."""
    delivered = 0
    for _ in range(max_rounds):
        round_total = sum(poll_once(sqs(), source, _invoke) for source in sqs_sources(TEMPLATE))
        if round_total == 0:
            return delivered
        delivered += round_total
    raise AssertionError("the report queues did not drain")

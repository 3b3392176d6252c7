"""SQS in the local stack: the template's queues created in moto server (a redrive to
the dead-letter queue included), and the event source poller's delivery, deletion and
redelivery, as Lambda's SQS event source mapping does them."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local_stack.aws import MotoServer, create_resources, local_aws_env
from local_stack.queues import poll_once, sqs_queues, sqs_sources
from local_stack.template import DEFAULT_TEMPLATE, load_template

TEMPLATE = load_template(DEFAULT_TEMPLATE, {"ReportTaskVisibilitySeconds": "0"})


@pytest.fixture(scope="module")
def sqs() -> Iterator[Any]:
    with MotoServer("127.0.0.1", 0) as server:
        create_resources(TEMPLATE, server.endpoint_url)
        env = local_aws_env(server.endpoint_url)
        yield boto3.client(
            "sqs",
            endpoint_url=server.endpoint_url,
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )


def test_queues_come_from_the_template_dead_letter_queue_first() -> None:
    queues = {queue.name: n for n, queue in enumerate(sqs_queues(TEMPLATE))}
    assert set(queues) == {
        "MaintenanceDeadLetterQueue",
        "ReportsDeadLetterQueue",
        "ReportsQueue",
        "SegmentCountsFailuresQueue",
    }
    assert queues["ReportsDeadLetterQueue"] < queues["ReportsQueue"]
    reports = sqs_queues(TEMPLATE)[queues["ReportsQueue"]]
    redrive = json.loads(reports.attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":ReportsDeadLetterQueue")
    sources = {s.function_logical_id: (s.queue_name, s.batch_size) for s in sqs_sources(TEMPLATE)}
    assert sources == {
        "ReportWorkerFunction": ("ReportsQueue", 1),
        "ReportFailuresFunction": ("ReportsDeadLetterQueue", 1),
    }
    # !Ref of a queue is its URL, as CloudFormation gives it.
    url = TEMPLATE.environment()["REPORTS_QUEUE_URL"]
    assert url.endswith("/123456789012/ReportsQueue")


def test_the_poller_delivers_deletes_and_redrives_after_max_receives(sqs: Any) -> None:
    worker, dead_letters = sorted(
        sqs_sources(TEMPLATE), key=lambda s: s.queue_name != "ReportsQueue"
    )
    sqs.send_message(QueueUrl=worker.url, MessageBody="ok")
    sqs.send_message(QueueUrl=worker.url, MessageBody="fails")
    seen: list[tuple[str, str]] = []

    def invoke(logical_id: str, event: Any) -> None:
        body = event["Records"][0]["body"]
        seen.append((logical_id, body))
        assert event["Records"][0]["eventSource"] == "aws:sqs"
        if body == "fails" and logical_id == worker.function_logical_id:
            raise RuntimeError("task failed")

    while poll_once(sqs, worker, invoke) or poll_once(sqs, dead_letters, invoke):
        pass
    assert seen.count(("ReportWorkerFunction", "ok")) == 1  # deleted after success
    assert seen.count(("ReportWorkerFunction", "fails")) == 3  # maxReceiveCount
    assert seen.count(("ReportFailuresFunction", "fails")) == 1

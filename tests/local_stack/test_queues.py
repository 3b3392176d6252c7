"""SQS in the local stack: the template's queues created in moto server (a redrive to
the dead-letter queue included), and the event source poller's delivery, deletion and
redelivery, as Lambda's SQS event source mapping does them."""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

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
        "BulkDeadLetterQueue",
        "BulkQueue",
        "SegmentCountsFailuresQueue",
    }
    assert queues["BulkDeadLetterQueue"] < queues["BulkQueue"]
    assert queues["ReportsDeadLetterQueue"] < queues["ReportsQueue"]
    reports = sqs_queues(TEMPLATE)[queues["ReportsQueue"]]
    redrive = json.loads(reports.attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":ReportsDeadLetterQueue")
    sources = {s.function_logical_id: (s.queue_name, s.batch_size) for s in sqs_sources(TEMPLATE)}
    assert sources == {
        "ReportWorkerFunction": ("ReportsQueue", 1),
        "ReportFailuresFunction": ("ReportsDeadLetterQueue", 1),
        "BulkWorkerFunction": ("BulkQueue", 1),
        "BulkFailuresFunction": ("BulkDeadLetterQueue", 1),
    }
    # !Ref of a queue is its URL, as CloudFormation gives it.
    url = TEMPLATE.environment()["REPORTS_QUEUE_URL"]
    assert url.endswith("/123456789012/ReportsQueue")


def test_the_poller_delivers_deletes_and_redrives_after_max_receives(sqs: Any) -> None:
    reports = [s for s in sqs_sources(TEMPLATE) if s.queue_name.startswith("Reports")]
    worker, dead_letters = sorted(reports, key=lambda s: s.queue_name != "ReportsQueue")
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


def test_an_upload_to_the_bulk_prefix_notifies_the_bulk_queue(sqs: Any) -> None:
    """S3 itself sends the ObjectCreated event (the template's bucket notification, applied
    to moto by the local stack); other keys of the bucket notify nothing."""
    (bulk,) = [s for s in sqs_sources(TEMPLATE) if s.queue_name == "BulkQueue"]
    s3 = boto3.client(
        "s3",
        endpoint_url=sqs.meta.endpoint_url,
        region_name=sqs.meta.region_name,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    sqs.purge_queue(QueueUrl=bulk.url)  # the test event S3 sends on configuration
    s3.put_object(Bucket="exportsbucket", Key="history/other.csv", Body=b"x")
    s3.put_object(Bucket="exportsbucket", Key="bulk/uploads/abc123", Body=b"1\n2\n")
    bodies: list[dict[str, Any]] = []
    poll_once(
        sqs, bulk, lambda _, event: bodies.extend(json.loads(r["body"]) for r in event["Records"])
    )
    assert poll_once(sqs, bulk, lambda *_: None) == 0
    (record,) = [r for body in bodies for r in body.get("Records", [])]
    assert record["eventName"].startswith("ObjectCreated")
    # URL-encoded, as S3 sends it (data/bulk_queue.py decodes it)
    assert unquote_plus(record["s3"]["object"]["key"]) == "bulk/uploads/abc123"

"""What the local stack's journal records: changes, never the reads and polls that a
running stack makes several times a second (the journal would grow while idle)."""

from types import SimpleNamespace

import pytest

from local_stack.persistence import changes_state


def request(target: str = "", method: str = "POST") -> SimpleNamespace:
    headers = {"X-Amz-Target": target} if target else {}
    return SimpleNamespace(headers=headers, method=method)


@pytest.mark.parametrize(
    "target",
    [
        "DynamoDB_20120810.Query",
        "DynamoDB_20120810.BatchGetItem",
        "DynamoDBStreams_20120810.GetRecords",
        "DynamoDBStreams_20120810.GetShardIterator",
        "DynamoDBStreams_20120810.DescribeStream",
        "AmazonSQS.ReceiveMessage",
        "AmazonSQS.GetQueueUrl",
    ],
)
def test_reads_and_polls_are_not_journaled(target: str) -> None:
    assert not changes_state(request(target))


@pytest.mark.parametrize(
    "target",
    [
        "DynamoDB_20120810.TransactWriteItems",
        "DynamoDB_20120810.UpdateItem",
        "AmazonSQS.SendMessageBatch",
        "AmazonSQS.DeleteMessage",
    ],
)
def test_changes_are_journaled(target: str) -> None:
    assert changes_state(request(target))


def test_s3_writes_are_journaled_and_reads_not() -> None:
    assert changes_state(request(method="PUT"))
    assert not changes_state(request(method="GET"))

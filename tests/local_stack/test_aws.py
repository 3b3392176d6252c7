"""moto on loopback, one request at a time, holding the real template's resources."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_stack.aws import MotoServer, create_resources, is_loopback, local_aws_env
from local_stack.template import DEFAULT_TEMPLATE, load_template
from local_stack.testing import create_resources_in_moto


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    with MotoServer("127.0.0.1", 0) as running:
        yield running


@pytest.fixture
def endpoint(server: MotoServer) -> str:
    return server.endpoint_url


def client(service: str, endpoint: str):  # type: ignore[no-untyped-def]
    env = local_aws_env(endpoint)
    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def test_creates_the_real_templates_resources_idempotently(endpoint: str) -> None:
    template = load_template(DEFAULT_TEMPLATE)
    create_resources(template, endpoint)
    create_resources(template, endpoint)  # a second run leaves them as they are
    dynamodb = client("dynamodb", endpoint)
    assert {"SegmentsTable", "HistoryTable"} <= set(dynamodb.list_tables()["TableNames"])
    table = dynamodb.describe_table(TableName="HistoryTable")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["history_by_month"]
    s3 = client("s3", endpoint)
    assert "exportsbucket" in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    s3.put_object(Bucket="exportsbucket", Key="k", Body=b"v")
    assert s3.get_object(Bucket="exportsbucket", Key="k")["Body"].read() == b"v"


def test_server_is_single_threaded_on_loopback(server: MotoServer) -> None:
    # One request at a time is what makes each DynamoDB call atomic.
    assert server._server.multithread is False
    assert server.endpoint_url.startswith("http://127.0.0.1:")


def test_transactions_apply_atomically(endpoint: str) -> None:
    dynamodb = client("dynamodb", endpoint)
    dynamodb.create_table(
        TableName="Tx",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    put = {"Put": {"TableName": "Tx", "Item": {"id": {"S": "a"}}}}
    failing = {
        "ConditionCheck": {
            "TableName": "Tx",
            "Key": {"id": {"S": "missing"}},
            "ConditionExpression": "attribute_exists(id)",
        }
    }
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[put, failing])
    assert "Item" not in dynamodb.get_item(TableName="Tx", Key={"id": {"S": "a"}})


def test_a_cancelled_transaction_restores_the_items_it_changed(endpoint: str) -> None:
    """The local stack backs up only a transaction's own items (local_stack/
    moto_transactions.py): updates, replacements and deletes all come back."""
    dynamodb = client("dynamodb", endpoint)
    dynamodb.create_table(
        TableName="TxRange",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )

    def key(sk: str) -> dict[str, Any]:
        return {"pk": {"S": "p"}, "sk": {"S": sk}}

    for sk in ("updated", "replaced", "deleted", "other"):
        dynamodb.put_item(TableName="TxRange", Item={**key(sk), "n": {"N": "1"}})
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "TxRange",
                        "Key": key("updated"),
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {"Put": {"TableName": "TxRange", "Item": {**key("replaced"), "n": {"N": "9"}}}},
                {"Delete": {"TableName": "TxRange", "Key": key("deleted")}},
                {"Put": {"TableName": "TxRange", "Item": {**key("new"), "n": {"N": "9"}}}},
                {
                    "ConditionCheck": {
                        "TableName": "TxRange",
                        "Key": key("other"),
                        "ConditionExpression": "n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
            ]
        )
    items = dynamodb.scan(TableName="TxRange", ConsistentRead=True)["Items"]
    assert sorted((i["sk"]["S"], i["n"]["N"]) for i in items) == [
        ("deleted", "1"),
        ("other", "1"),
        ("replaced", "1"),
        ("updated", "1"),
    ]


def test_refuses_non_loopback_hosts() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "10.0.0.1", "::", "example.com"]))
    with pytest.raises(ValueError, match="non-loopback"):
        MotoServer("0.0.0.0", 0)


def test_create_resources_in_moto() -> None:
    with mock_aws():
        create_resources_in_moto(load_template(DEFAULT_TEMPLATE))
        tables = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
        assert {"SegmentsTable", "HistoryTable"} <= set(tables)
        buckets = boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"]
        assert sorted(b["Name"] for b in buckets) == ["exportsaccesslogsbucket", "exportsbucket"]

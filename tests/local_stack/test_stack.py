"""`python -m local_stack` end to end, in a subprocess: env wiring, DynamoDB, schedules, invoke."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from local_stack.__main__ import main
from local_stack.template import DEFAULT_TEMPLATE
from local_stack.testing import RunningStack, running_stack
from tests.local_stack.fakes import BROKEN_HANDLER

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Handler: app.lambda_handler
    Environment:
      Variables:
        TABLE_NAME: !Ref NotesTable
Resources:
  NotesTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  NotesFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: notes/
      Events:
        Put: {Type: HttpApi, Properties: {Method: PUT, Path: "/notes/{id}"}}
        Get: {Type: HttpApi, Properties: {Method: GET, Path: "/notes/{id}"}}
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: broken/
      Events:
        Get: {Type: HttpApi, Properties: {Method: GET, Path: /broken}}
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: tick/
      Events:
        Every: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}
"""

# Plain boto3 with no endpoint argument: the endpoint comes from AWS_ENDPOINT_URL alone.
NOTES = """
import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def lambda_handler(event, context):
    note_id = event["pathParameters"]["id"]
    if event["requestContext"]["http"]["method"] == "PUT":
        TABLE.put_item(Item={"id": note_id, "text": event["body"]})
        return {"statusCode": 201, "body": ""}
    item = TABLE.get_item(Key={"id": note_id}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"message": "no note"})}
    return {"id": item["id"], "text": item["text"], "endpoint": os.environ["AWS_ENDPOINT_URL"]}
"""

TICK = """
import os

import boto3


def lambda_handler(event, context):
    assert event["detail-type"] == "Scheduled Event"
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    table.update_item(
        Key={"id": "ticks"}, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": 1}
    )
"""


def write_app(root: Path) -> Path:
    for name, source in {"notes": NOTES, "tick": TICK, "broken": BROKEN_HANDLER}.items():
        (root / name).mkdir()
        (root / name / "app.py").write_text(source)
    (root / "template.yaml").write_text(TEMPLATE)
    return root / "template.yaml"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    template = write_app(tmp_path_factory.mktemp("app"))
    with running_stack(template, schedule_seconds=0.2) as running:
        yield running
    assert running.process.returncode == 0, running.output()  # SIGTERM stops it cleanly


def table(stack: RunningStack):  # type: ignore[no-untyped-def]
    return boto3.resource(
        "dynamodb",
        endpoint_url=stack.aws_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    ).Table("NotesTable")


def test_handlers_reach_dynamodb_through_aws_endpoint_url(stack: RunningStack) -> None:
    assert stack.base_url.startswith("http://127.0.0.1:")
    reply = requests.put(f"{stack.base_url}/notes/n1", data="hello", timeout=30)
    assert reply.status_code == 201, stack.output()
    reply = requests.get(f"{stack.base_url}/notes/n1", timeout=30)
    assert reply.status_code == 200, stack.output()
    assert reply.json() == {"id": "n1", "text": "hello", "endpoint": stack.aws_endpoint_url}
    # The item is in the stack's moto, seen from outside.
    assert table(stack).get_item(Key={"id": "n1"})["Item"]["text"] == "hello"
    assert requests.get(f"{stack.base_url}/notes/other", timeout=30).status_code == 404
    assert requests.get(f"{stack.base_url}/nowhere", timeout=30).json() == {"message": "Not Found"}
    assert "PUT /notes/n1 201" in stack.output()


def test_scheduled_function_runs(stack: RunningStack) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        item = table(stack).get_item(Key={"id": "ticks"}).get("Item")
        if item and item["n"] >= 2:
            return
        time.sleep(0.2)
    pytest.fail(f"the scheduled function did not run twice:\n{stack.output()}")


def test_invoke_cli_runs_one_function_against_the_stack(
    stack: RunningStack, tmp_path: Path
) -> None:
    template = Path(stack.process.args[-1].split("=", 1)[1])  # type: ignore[index, union-attr]
    table(stack).put_item(Item={"id": "cli", "text": "from the table"})
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "version": "2.0",
                "routeKey": "GET /notes/{id}",
                "rawPath": "/notes/cli",
                "pathParameters": {"id": "cli"},
                "requestContext": {"http": {"method": "GET"}},
            }
        )
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_stack.invoke",
            "notes",
            str(event),
            f"--aws-endpoint={stack.aws_endpoint_url}",
            f"--template={template}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["text"] == "from the table"


def test_refuses_a_non_loopback_host(caplog: pytest.LogCaptureFixture) -> None:
    # Checked before anything binds, so it runs in-process.
    assert main(["--host=0.0.0.0", "--port=0", "--aws-port=0"]) == 2
    assert "loopback" in caplog.text


def test_startup_failure_is_reported(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE.replace("!Ref NotesTable", "!Ref Nowhere"))
    with pytest.raises(RuntimeError, match="Nowhere"), running_stack(tmp_path / "template.yaml"):
        pass


@pytest.mark.skipif(
    not (DEFAULT_TEMPLATE.parent / "functions" / "register" / "app.py").exists(),
    reason="the real handlers are not there yet",
)
def test_real_service_end_to_end() -> None:
    with running_stack() as real:
        reply = requests.post(f"{real.base_url}/auth/register", timeout=60)
        assert reply.status_code == 201, real.output()
        user_id = reply.json()["id"]
        slug = f"LOCAL_STACK_{time.time_ns()}"
        reply = requests.post(f"{real.base_url}/api/segments", json={"slug": slug}, timeout=60)
        assert reply.status_code == 201, real.output()
        reply = requests.post(
            f"{real.base_url}/api/users/{user_id}/add_to_segment", json=[slug], timeout=60
        )
        assert reply.status_code in (200, 201), reply.text
        reply = requests.get(
            f"{real.base_url}/api/users/{user_id}/show_active_segments", timeout=60
        )
        assert slug in reply.json()["Slugs"], reply.text
    assert real.process.returncode == 0, real.output()


def test_import_errors_surface_as_500(stack: RunningStack) -> None:
    reply = requests.get(f"{stack.base_url}/broken", timeout=30)
    assert (reply.status_code, reply.json()) == (500, {"message": "Internal Server Error"})
    deadline = time.monotonic() + 10
    while "broken on purpose" not in stack.output():
        assert time.monotonic() < deadline, stack.output()
        time.sleep(0.05)

"""The SAM template as the local stack reads it: the real template.yaml and small ones."""

from pathlib import Path

import pytest

from local_stack.template import (
    DEFAULT_TEMPLATE,
    TemplateError,
    bucket_name,
    load_template,
    parse_rate,
)
from tests.support.template import raw_template


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def test_every_http_api_event_of_the_real_template_is_a_route() -> None:
    expected = set()
    for logical_id, resource in raw_template()["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                expected.add((logical_id, props["Method"].upper(), props["Path"]))
    routes = load_template(DEFAULT_TEMPLATE).http_routes()
    assert {(r.function_logical_id, r.method, r.path) for r in routes} == expected
    assert len(routes) == len(expected) >= 11


def test_real_routes_point_at_their_code() -> None:
    routes = {r.route_key: r for r in load_template(DEFAULT_TEMPLATE).http_routes()}
    route = routes["POST /api/users/{id}/add_to_segment"]
    assert route.function_logical_id == "AddToSegmentFunction"
    assert route.code_uri == DEFAULT_TEMPLATE.parent / "functions" / "add_to_segment"
    assert route.handler == "app.lambda_handler"


def test_real_tables_keys_and_indexes() -> None:
    tables = {t["TableName"]: t for t in load_template(DEFAULT_TEMPLATE).dynamodb_tables()}
    assert {"SegmentsTable", "HistoryTable"} <= set(tables)
    segments = tables["SegmentsTable"]
    assert segments["BillingMode"] == "PAY_PER_REQUEST"
    assert segments["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {i["IndexName"]: i for i in segments["GlobalSecondaryIndexes"]}
    assert indexes["members_by_segment_v2"]["KeySchema"][0] == {
        "AttributeName": "member_segment",
        "KeyType": "HASH",
    }
    # A member listing reads everything it shows from the index (docs/members.md).
    assert indexes["members_by_segment_v2"]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["user_id", "state", "source", "added_at", "expires_at"],
    }
    history = tables["HistoryTable"]
    # The member counts read the history's new rows from its stream.
    assert history["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert {"AttributeName": "user_id", "AttributeType": "N"} in history["AttributeDefinitions"]
    assert [i["IndexName"] for i in history["GlobalSecondaryIndexes"]] == ["history_by_month"]
    # create_table rejects CloudFormation-only properties.
    assert "PointInTimeRecoverySpecification" not in segments


def test_real_environment_resolves_refs_to_local_names() -> None:
    template = load_template(DEFAULT_TEMPLATE)
    env = template.function_environment("AddToSegmentFunction")
    assert env["TABLE_NAME"] == "SegmentsTable"
    assert env["HISTORY_TABLE_NAME"] == "HistoryTable"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"  # a parameter's Default
    assert template.s3_buckets() == ["exportsbucket", "exportsaccesslogsbucket"]
    export = template.function_environment("ExportHistoryFunction")
    assert export["EXPORTS_BUCKET"] == "exportsbucket"
    assert export["EXPORT_URL_SECONDS"] == "900"
    assert (
        load_template(DEFAULT_TEMPLATE, {"LogLevel": "DEBUG"}).environment()["POWERTOOLS_LOG_LEVEL"]
        == "DEBUG"
    )


SMALL = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
  Size: {Type: Number, Default: 3}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Handler: app.lambda_handler
    Timeout: 7
    Environment:
      Variables:
        SHARED: !Sub "${Stage}-${AWS::Region}"
        OVERRIDDEN: global
Resources:
  Store:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
  My_Files:
    Type: AWS::S3::Bucket
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/fn/
      MemorySize: 256
      Environment:
        Variables:
          OVERRIDDEN: own
          STORE: !Ref Store
          STORE_ARN: !GetAtt Store.Arn
          BUCKET: !Ref My_Files
          MODE: !If [IsProd, strict, lax]
          JOINED: !Join [":", [a, !Ref Size]]
          SUB_ATT: !Sub "${Store.Arn}/index/x"
          LITERAL: !Sub "${!NotAVar}"
      Events:
        Any: {Type: HttpApi, Properties: {Method: any, Path: "/files/{proxy+}"}}
        Tick: {Type: Schedule, Properties: {Schedule: rate(5 minutes)}}
        Off: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 minute), State: DISABLED}}
"""


def test_short_form_tags_and_intrinsics(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, SMALL))
    assert template.function_environment("Fn") == {
        "SHARED": "dev-us-east-1",
        "OVERRIDDEN": "own",
        "STORE": "Store",
        "STORE_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/Store",
        "BUCKET": "my-files",
        "MODE": "lax",
        "JOINED": "a:3",
        "SUB_ATT": "arn:aws:dynamodb:us-east-1:123456789012:table/Store/index/x",
        "LITERAL": "${NotAVar}",
    }
    prod = load_template(write(tmp_path, SMALL), {"Stage": "prod"})
    assert prod.function_environment("Fn")["MODE"] == "strict"
    spec = template.function("Fn")
    assert (spec.timeout_seconds, spec.memory_mb) == (7, 256)
    assert spec.code_uri == tmp_path / "src" / "fn"
    assert template.dynamodb_ttl() == {"Store": "ttl"}


def test_greedy_route_and_schedules(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, SMALL))
    [route] = template.http_routes()
    assert (route.method, route.path, route.route_key) == (
        "ANY",
        "/files/{proxy+}",
        "ANY /files/{proxy+}",
    )
    [scheduled] = template.scheduled_functions()  # the disabled one is left out
    assert (scheduled.logical_id, scheduled.rate_seconds) == ("Fn", 300)


def test_unresolvable_values_are_clear_errors(tmp_path: Path) -> None:
    text = SMALL.replace("!Ref Store\n", "!Ref Nowhere\n", 1)
    with pytest.raises(TemplateError, match=r"Fn environment STORE: !Ref Nowhere"):
        load_template(write(tmp_path, text)).function_environment("Fn")
    text = SMALL.replace("!GetAtt Store.Arn", "!GetAtt Store.StreamArn")
    with pytest.raises(TemplateError, match=r"Store\.StreamArn"):
        load_template(write(tmp_path, text)).function_environment("Fn")
    with pytest.raises(TemplateError, match="unknown parameters: Nope"):
        load_template(write(tmp_path, SMALL), {"Nope": "x"})


def test_parse_rate() -> None:
    assert parse_rate("rate(1 minute)") == 60
    assert parse_rate("rate(5 minutes)") == 300
    assert parse_rate("rate(2 hours)") == 7200
    assert parse_rate("cron(0 12 * * ? *)") is None
    with pytest.raises(TemplateError):
        parse_rate("every 5 minutes")


def test_bucket_names_are_valid() -> None:
    assert bucket_name("ExportsBucket") == "exportsbucket"
    assert bucket_name("A") == "a00"
    assert bucket_name("X" * 80) == "x" * 63


def test_functions_share_one_environment_so_conflicts_are_errors(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, SMALL))
    assert template.environment()["STORE"] == "Store"
    second = """
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/other/
      Environment: {Variables: {STORE: elsewhere}}
"""
    conflicting = load_template(write(tmp_path, SMALL + second))
    with pytest.raises(TemplateError, match=r"(OVERRIDDEN|STORE) differs between functions"):
        conflicting.environment()

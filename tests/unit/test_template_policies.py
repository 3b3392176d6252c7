"""No IAM wildcard in the template beyond the documented ones (docs/operations.md, "Security").

Read as written, which is what SAM deploys: SAM copies each function's inline `Policies`
statements into its role unchanged; what it adds is (1) the managed policy
AWSLambdaBasicExecutionRole to every function without an explicit `Role` (CloudWatch Logs,
`Resource: "*"`), (2) AWSXrayWriteOnlyAccess with `Tracing: Active` (X-Ray's
PutTraceSegments has no resource-level permissions, `Resource: "*"`), and (3) for a
`DeadLetterQueue`, `sqs:SendMessage` on that queue's ARN. SAM policy templates
(`DynamoDBCrudPolicy`...) would add more: the test refuses them, so as written is all.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
# Managed policies SAM attaches, each with `Resource: "*"` (docs/operations.md, "Security").
DOCUMENTED_MANAGED_POLICIES = {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}


def load() -> dict[str, Any]:
    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            return {suffix: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {suffix: loader.construct_sequence(node, deep=True)}
        return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]

    Loader.add_multi_constructor("!", tagged)
    return yaml.load(TEMPLATE.read_text(), Loader=Loader)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allow_statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Serverless::Function":
            for policy in as_list(properties.get("Policies") or []):
                found += [(logical_id, statement) for statement in policy["Statement"]]
        elif "PolicyDocument" in properties:
            found += [(logical_id, s) for s in properties["PolicyDocument"]["Statement"]]
    return [(logical_id, s) for logical_id, s in found if s["Effect"] == "Allow"]


def wildcard_resource(resource: Any) -> bool:
    """`*`, or a `*` anywhere but as the last character of an object-key prefix after one
    named resource's ARN (`${ExportsBucket.Arn}/*`: the objects of that bucket)."""
    text = resource.get("Sub", "") if isinstance(resource, dict) else str(resource)
    if isinstance(resource, dict) and "Sub" not in resource:
        return False  # !GetAtt / !Ref: one named resource
    scoped = text.startswith("${") and text.endswith("/*") and text.count("*") == 1
    return "*" in text and not scoped


def test_every_function_policy_is_an_inline_statement_list() -> None:
    """No managed policy or SAM policy template: their wildcards would not show here."""
    for logical_id, resource in load()["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        assert "Role" not in resource["Properties"], logical_id
        for policy in as_list(resource["Properties"].get("Policies") or []):
            assert isinstance(policy, dict), logical_id
            assert set(policy) == {"Statement"}, logical_id


def test_no_allow_statement_has_a_wildcard_action_or_resource() -> None:
    statements = allow_statements(load())
    assert len(statements) >= 15  # the walk found the policies
    for logical_id, statement in statements:
        for action in as_list(statement["Action"]):
            assert "*" not in action, (logical_id, action)
        for resource in as_list(statement["Resource"]):
            assert not wildcard_resource(resource), (logical_id, resource)


@pytest.mark.parametrize(
    ("resource", "wildcard"),
    [
        ("*", True),
        ({"Sub": "arn:aws:dynamodb:*:${AWS::AccountId}:table/*"}, True),
        ({"Sub": "${ExportsBucket.Arn}/*"}, False),
        ({"Sub": "${LogsBucket.Arn}/exports/*"}, False),
        ({"Sub": "${LogsBucket.Arn}/*/x*"}, True),
        ({"Sub": "arn:aws:s3:::${AWS::StackName}*/*"}, True),
        ({"GetAtt": "SegmentsTable.Arn"}, False),
    ],
)
def test_the_wildcard_rule(resource: Any, wildcard: bool) -> None:
    assert wildcard_resource(resource) is wildcard


def test_the_managed_policies_sam_adds_are_the_documented_ones() -> None:
    template = load()
    assert template["Globals"]["Function"]["Tracing"] == "Active"  # AWSXrayWriteOnlyAccess
    operations = (TEMPLATE.parent / "docs" / "operations.md").read_text()
    for name in DOCUMENTED_MANAGED_POLICIES:
        assert name in operations
    assert "PutTraceSegments" in operations

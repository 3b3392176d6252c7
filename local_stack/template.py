"""The SAM template as the local stack needs it: functions, routes, schedules, tables, buckets."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_stack.cfn import ACCOUNT_ID, REGION, Resolver, TemplateError, as_text, load_yaml

__all__ = [
    "FunctionSpec",
    "HttpRoute",
    "ScheduledFunction",
    "Template",
    "TemplateError",
    "load_template",
]

FUNCTION = "AWS::Serverless::Function"
TABLE = "AWS::DynamoDB::Table"
BUCKET = "AWS::S3::Bucket"
QUEUE = "AWS::SQS::Queue"
DEFAULT_ROUTE = "$default"
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    timeout_seconds: int
    memory_mb: int


@dataclass(frozen=True)
class HttpRoute:
    function_logical_id: str
    method: str  # upper case; "ANY" matches every method
    path: str  # "/api/users/{id}", "/files/{proxy+}" or "$default"
    code_uri: Path
    handler: str

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True)
class ScheduledFunction:
    logical_id: str
    code_uri: Path
    handler: str
    rate_seconds: int | None  # None for a cron expression


_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_rate(expression: str) -> int | None:
    """Seconds between runs of `rate(5 minutes)`; None for `cron(...)`, run on the local cadence."""
    match = _RATE.fullmatch(expression.strip())
    if match:
        return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if expression.strip().startswith("cron("):
        return None
    raise TemplateError(f"unsupported schedule expression: {expression!r}")


def bucket_name(logical_id: str) -> str:
    """A valid S3 bucket name from a logical id: lower case, 3-63 of [a-z0-9.-]."""
    name = re.sub(r"[^a-z0-9.-]+", "-", logical_id.lower()).strip(".-")
    return (name or "bucket").ljust(3, "0")[:63]


def queue_url(name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"


class Template:
    def __init__(
        self, document: Mapping[str, Any], root: Path, parameters: Mapping[str, str] | None = None
    ) -> None:
        self.root = root
        self.resources: dict[str, dict[str, Any]] = dict(document.get("Resources") or {})
        self._globals: dict[str, Any] = dict((document.get("Globals") or {}).get("Function") or {})
        values = self._parameter_values(document.get("Parameters") or {}, parameters or {})
        conditions = dict(document.get("Conditions") or {})
        # Explicit TableName/BucketName may only use parameters and pseudo parameters.
        bootstrap = Resolver(values, {}, {}, conditions)
        names = {
            logical_id: self._physical_name(logical_id, resource, bootstrap)
            for logical_id, resource in self.resources.items()
        }
        arns = {
            logical_id: self._arn(resource.get("Type", ""), names[logical_id])
            for logical_id, resource in self.resources.items()
        }
        # `!Ref` of a queue is its URL; requests still go to AWS_ENDPOINT_URL, which
        # finds the queue by the URL's last segment, its name.
        refs = {
            **names,
            **{
                logical_id: queue_url(names[logical_id])
                for logical_id, resource in self.resources.items()
                if resource.get("Type") == QUEUE
            },
        }
        self.resolver = Resolver(values, refs, arns, conditions)
        self.physical_names = names

    @staticmethod
    def _parameter_values(
        declared: Mapping[str, Any], overrides: Mapping[str, str]
    ) -> dict[str, Any]:
        unknown = set(overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown parameters: {', '.join(sorted(unknown))}")
        return {
            name: overrides.get(name, (spec or {}).get("Default"))
            for name, spec in declared.items()
        }

    @staticmethod
    def _physical_name(logical_id: str, resource: Mapping[str, Any], bootstrap: Resolver) -> str:
        properties = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == TABLE and "TableName" in properties:
            return as_text(bootstrap.resolve(properties["TableName"]))
        if kind == QUEUE and "QueueName" in properties:
            return as_text(bootstrap.resolve(properties["QueueName"]))
        if kind == BUCKET:
            if "BucketName" in properties:
                return as_text(bootstrap.resolve(properties["BucketName"]))
            return bucket_name(logical_id)
        return logical_id

    @staticmethod
    def _arn(kind: str, name: str) -> str:
        if kind == TABLE:
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
        if kind == BUCKET:
            return f"arn:aws:s3:::{name}"
        if kind == FUNCTION:
            return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        if kind == QUEUE:
            return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "local"
        return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:local/{name}"

    # --- functions ---------------------------------------------------------------------

    def _of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == kind
        }

    def _property(self, logical_id: str, name: str) -> Any:
        properties = self.resources[logical_id].get("Properties") or {}
        return self.resolver.resolve(properties.get(name, self._globals.get(name)))

    def functions(self) -> dict[str, FunctionSpec]:
        return {logical_id: self.function(logical_id) for logical_id in self._of_type(FUNCTION)}

    def function(self, logical_id: str) -> FunctionSpec:
        if self.resources.get(logical_id, {}).get("Type") != FUNCTION:
            raise TemplateError(f"{logical_id} is not an {FUNCTION} in the template")
        code_uri = self._property(logical_id, "CodeUri")
        handler = self._property(logical_id, "Handler")
        if not isinstance(code_uri, str) or not isinstance(handler, str):
            raise TemplateError(f"{logical_id}: needs a local CodeUri and a Handler")
        return FunctionSpec(
            logical_id=logical_id,
            code_uri=(self.root / code_uri).resolve(),
            handler=handler,
            timeout_seconds=int(self._property(logical_id, "Timeout") or 3),
            memory_mb=int(self._property(logical_id, "MemorySize") or 128),
        )

    def function_for_directory(self, directory: Path) -> FunctionSpec:
        wanted = directory.resolve()
        for spec in self.functions().values():
            if spec.code_uri == wanted:
                return spec
        raise TemplateError(f"no function has CodeUri {directory}")

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """Globals' variables overlaid with the function's own, resolved to local values."""
        own = (self.resources[logical_id].get("Properties") or {}).get("Environment") or {}
        shared = self._globals.get("Environment") or {}
        raw = {**(shared.get("Variables") or {}), **(own.get("Variables") or {})}
        environment: dict[str, str] = {}
        for name, value in raw.items():
            try:
                environment[name] = as_text(self.resolver.resolve(value))
            except TemplateError as error:
                raise TemplateError(f"{logical_id} environment {name}: {error}") from error
        return environment

    def environment(self) -> dict[str, str]:
        """Every function's variables in one map: locally all functions share one process."""
        merged: dict[str, str] = {}
        for logical_id in self._of_type(FUNCTION):
            for name, value in self.function_environment(logical_id).items():
                if merged.setdefault(name, value) != value:
                    raise TemplateError(
                        f"{name} differs between functions ({merged[name]!r} vs {value!r} in "
                        f"{logical_id}); the local stack runs them in one environment"
                    )
        return merged

    def events(self, kinds: set[str]) -> list[tuple[str, dict[str, Any]]]:
        """(function logical id, event properties with its Type) of the given kinds."""
        return self._events(kinds)

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return self._of_type(kind)

    def _events(self, kinds: set[str]) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for logical_id in self._of_type(FUNCTION):
            events = (self.resources[logical_id].get("Properties") or {}).get("Events") or {}
            for event in events.values():
                if event.get("Type") in kinds:
                    found.append(
                        (logical_id, {"Type": event["Type"], **(event.get("Properties") or {})})
                    )
        return found

    def http_routes(self) -> list[HttpRoute]:
        routes = []
        for logical_id, event in self._events({"HttpApi"}):
            spec = self.function(logical_id)
            path = self.resolver.resolve(event.get("Path", DEFAULT_ROUTE))
            method = str(self.resolver.resolve(event.get("Method", "ANY"))).upper()
            routes.append(
                HttpRoute(
                    logical_id,
                    "ANY" if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" else method,
                    str(path),
                    spec.code_uri,
                    spec.handler,
                )
            )
        return routes

    def scheduled_functions(self) -> list[ScheduledFunction]:
        scheduled = []
        for logical_id, event in self._events({"Schedule", "ScheduleV2"}):
            expression = event.get(
                "Schedule" if event["Type"] == "Schedule" else "ScheduleExpression"
            )
            enabled = self.resolver.resolve(event.get("Enabled", True))
            state = self.resolver.resolve(event.get("State", "ENABLED"))
            if enabled is False or str(enabled).lower() == "false" or state == "DISABLED":
                continue
            spec = self.function(logical_id)
            rate = parse_rate(str(self.resolver.resolve(expression)))
            scheduled.append(ScheduledFunction(logical_id, spec.code_uri, spec.handler, rate))
        return scheduled

    # --- resources -----------------------------------------------------------------------

    def dynamodb_tables(self) -> list[dict[str, Any]]:
        """boto3 `create_table` arguments for every table, billed on demand."""
        tables = []
        for logical_id, resource in self._of_type(TABLE).items():
            properties = self.resolver.resolve(resource.get("Properties") or {})
            table: dict[str, Any] = {
                "TableName": self.physical_names[logical_id],
                "AttributeDefinitions": properties["AttributeDefinitions"],
                "KeySchema": properties["KeySchema"],
                "BillingMode": "PAY_PER_REQUEST",
            }
            for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                if properties.get(key):
                    table[key] = [_index(index) for index in properties[key]]
            stream = properties.get("StreamSpecification")
            if stream:
                table["StreamSpecification"] = {
                    "StreamEnabled": True,
                    "StreamViewType": stream["StreamViewType"],
                }
            tables.append(table)
        return tables

    def dynamodb_ttl(self) -> dict[str, str]:
        """Table name -> TTL attribute, for tables with TimeToLiveSpecification enabled."""
        ttl = {}
        for logical_id, resource in self._of_type(TABLE).items():
            spec = self.resolver.resolve(
                (resource.get("Properties") or {}).get("TimeToLiveSpecification")
            )
            if spec and spec.get("Enabled") in (True, "true"):
                ttl[self.physical_names[logical_id]] = str(spec["AttributeName"])
        return ttl

    def s3_buckets(self) -> list[str]:
        return [self.physical_names[logical_id] for logical_id in self._of_type(BUCKET)]

    def s3_queue_notifications(self) -> dict[str, dict[str, Any]]:
        """PutBucketNotificationConfiguration arguments of the buckets that notify queues."""
        configurations = {}
        for logical_id, resource in self._of_type(BUCKET).items():
            properties = resource.get("Properties") or {}
            queues = self.resolver.resolve(
                (properties.get("NotificationConfiguration") or {}).get("QueueConfigurations")
            )
            if queues:
                configurations[self.physical_names[logical_id]] = {
                    "QueueConfigurations": [
                        {"QueueArn": str(q["Queue"]), "Events": [str(q["Event"])]}
                        | (
                            {"Filter": {"Key": {"FilterRules": q["Filter"]["S3Key"]["Rules"]}}}
                            if "Filter" in q
                            else {}
                        )
                        for q in queues
                    ]
                }
        return configurations


def _index(index: Mapping[str, Any]) -> dict[str, Any]:
    # On-demand tables take no ProvisionedThroughput; keep only what create_table accepts.
    return {key: index[key] for key in ("IndexName", "KeySchema", "Projection") if key in index}


def load_template(path: Path | str, parameters: Mapping[str, str] | None = None) -> Template:
    """Reads a SAM template; `parameters` override the Parameters' defaults."""
    path = Path(path).resolve()
    return Template(load_yaml(path), path.parent, parameters)

"""The Python client (clients/python) against the committed spec: one method per operation,
each returning its response's shape; and the region it signs for."""

import dataclasses
import inspect
import json
from pathlib import Path
from typing import get_type_hints

from segmentation_client import ROUTES, SegmentationClient
from segmentation_client.transport import region_of

SPEC = json.loads(
    (Path(__file__).resolve().parents[2] / "functions/api_docs/openapi.json").read_text()
)
# Public methods that are not API operations.
HELPERS = {
    "request",
    "download",
    "local",
    "deployed",
    "wait_for_report",
    "all_segment_members",
    "upload_bulk_file",
    "wait_for_bulk",
}


def test_every_operation_has_a_method_and_every_method_an_operation() -> None:
    in_spec = {
        operation["operationId"]: (method.upper(), path)
        for path, operations in SPEC["paths"].items()
        for method, operation in operations.items()
    }
    assert {name: (route.method, route.path) for name, route in ROUTES.items()} == in_spec
    methods = {
        name
        for name, member in inspect.getmembers(SegmentationClient)
        if callable(member) and not name.startswith("_")
    }
    assert methods - HELPERS == set(ROUTES)


def test_every_method_returns_the_shape_its_spec_response_has() -> None:
    schemas = SPEC["components"]["schemas"]
    for path, operations in SPEC["paths"].items():
        for operation in operations.values():
            success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            reference = success["content"]["application/json"]["schema"]["$ref"]
            properties = schemas[reference.rsplit("/", 1)[1]]["properties"]
            method = getattr(SegmentationClient, operation["operationId"])
            returned = get_type_hints(method)["return"]
            fields = {field.name for field in dataclasses.fields(returned)}
            assert fields == {name.lower() for name in properties}, (path, returned)


def test_the_region_comes_from_the_execute_api_url() -> None:
    assert region_of("https://abc123.execute-api.eu-west-1.amazonaws.com/prod") == "eu-west-1"
    assert region_of("https://api.example.com") is None

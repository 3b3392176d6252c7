"""Reading the service's JSON log lines and EMF metric records from captured output."""

import json
from typing import Any


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def emf_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric-format records among the lines."""
    return [line for line in lines if "_aws" in line]

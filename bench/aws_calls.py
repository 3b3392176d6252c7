"""Counting AWS calls through botocore's own event hooks.

The hooks go into botocore's list of built-in handlers, so every session created
afterwards carries them: PynamoDB's connections (one per model class and one per
transaction) and boto3's S3 client alike. `install()` must run before the first client
is made, which `python -m bench` guarantees by importing this module first.

- `before-send.<service>.<operation>` fires once per HTTP attempt: a round trip.
- `after-call.<service>.<operation>` fires once per API call that succeeded, with the
  parsed reply: items read come from it.
- `provide-client-params.<service>.<operation>` carries the request: items written and
  condition-checked come from it.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore import handlers

_WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem"}
_READ_OPERATIONS = {"Query", "Scan"}


@dataclass
class CallCount:
    """What one measured block sent to AWS."""

    round_trips: Counter[str] = field(default_factory=Counter)  # "dynamodb.Query" -> n
    items_read: int = 0
    items_written: int = 0
    items_checked: int = 0  # transaction ConditionChecks

    @property
    def total(self) -> int:
        return sum(self.round_trips.values())

    def by_service(self, service: str) -> int:
        return sum(n for name, n in self.round_trips.items() if name.startswith(service + "."))

    def operations(self) -> str:
        return ", ".join(
            f"{name.split('.', 1)[1]}x{n}" if n > 1 else name.split(".", 1)[1]
            for name, n in sorted(self.round_trips.items())
        )


_active: list[CallCount] = []
_installed = False


def _operation(event_name: str) -> tuple[str, str]:
    _, service, operation = event_name.split(".", 2)
    return service, operation


def _on_send(event_name: str, **_: Any) -> None:
    service, operation = _operation(event_name)
    for count in _active:
        count.round_trips[f"{service}.{operation}"] += 1


def _on_params(event_name: str, params: dict[str, Any], **_: Any) -> None:
    service, operation = _operation(event_name)
    if service != "dynamodb":
        return
    written = checked = 0
    if operation in _WRITE_OPERATIONS:
        written = 1
    elif operation == "TransactWriteItems":
        for item in params.get("TransactItems", []):
            if "ConditionCheck" in item:
                checked += 1
            else:
                written += 1
    elif operation == "BatchWriteItem":
        written = sum(len(requests) for requests in params.get("RequestItems", {}).values())
    for count in _active:
        count.items_written += written
        count.items_checked += checked


def _on_reply(event_name: str, parsed: dict[str, Any], **_: Any) -> None:
    service, operation = _operation(event_name)
    if service != "dynamodb":
        return
    if operation in _READ_OPERATIONS:
        read = int(parsed.get("Count", 0))
    elif operation == "GetItem":
        read = 1 if parsed.get("Item") else 0
    elif operation == "BatchGetItem":
        read = sum(len(items) for items in parsed.get("Responses", {}).values())
    else:
        read = 0
    for count in _active:
        count.items_read += read


def install() -> None:
    """Adds the hooks to every botocore session created from now on (idempotent)."""
    global _installed
    if _installed:
        return
    handlers.BUILTIN_HANDLERS[:0] = [
        ("before-send", _on_send),
        ("provide-client-params", _on_params),
        ("after-call", _on_reply),
    ]
    _installed = True


@contextmanager
def counting() -> Iterator[CallCount]:
    install()
    count = CallCount()
    _active.append(count)
    try:
        yield count
    finally:
        _active.remove(count)

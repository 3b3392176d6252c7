"""Records every DynamoDB request the service makes: operation, parameters (the items
and keys it writes, checks or reads) and the size of what came back.

Through botocore's own event hooks, added to its built-in handlers so every session made
afterwards carries them (PynamoDB's connections included): `install` must run before the
first client is made. The bench's capacity model reads these records, and so does the
integration test that looks for keys shared between users' requests.
"""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore import handlers

Record = dict[str, Any]  # {"operation", "params", "read_bytes"}
_ITEM_OPERATIONS = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
}

_sinks: list[Callable[[Record], None]] = []
_pending = threading.local()
_installed = False


def value_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of one typed attribute value (its documented item-size rules)."""
    (kind, content), *_ = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "N":
        return (len(str(content).lstrip("-").replace(".", "")) + 1) // 2 + 1
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in content.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in content)
    if kind in {"SS", "NS", "BS"}:
        return sum(len(str(v)) for v in content)
    return len(str(content))


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def _read_sizes(parsed: dict[str, Any]) -> list[int]:
    if "Item" in parsed:
        return [item_size(parsed["Item"])]
    if "Items" in parsed:
        return [item_size(item) for item in parsed["Items"]]
    responses = parsed.get("Responses")
    if isinstance(responses, dict):
        return [item_size(item) for items in responses.values() for item in items]
    return []


def _on_params(event_name: str, params: dict[str, Any], **_: Any) -> None:
    operation = event_name.rsplit(".", 1)[1]
    if _sinks and operation in _ITEM_OPERATIONS:
        _pending.record = {"operation": operation, "params": params}


def _on_reply(event_name: str, parsed: dict[str, Any], **_: Any) -> None:
    record = getattr(_pending, "record", None)
    if record is None or record["operation"] != event_name.rsplit(".", 1)[1]:
        return
    _pending.record = None
    record["read_sizes"] = _read_sizes(parsed)
    for sink in list(_sinks):
        sink(record)


def install() -> None:
    """Adds the hooks to every botocore session created from now on (idempotent)."""
    global _installed
    if not _installed:
        hooks: list[tuple[str, Callable[..., None]]] = [
            ("provide-client-params.dynamodb", _on_params),
            ("after-call.dynamodb", _on_reply),
        ]
        handlers.BUILTIN_HANDLERS[:0] = hooks
        _installed = True


@contextmanager
def recording() -> Iterator[list[Record]]:
    """The DynamoDB requests that succeed within the block, in order."""
    install()
    records: list[Record] = []
    _sinks.append(records.append)
    try:
        yield records
    finally:
        _sinks.remove(records.append)


def record_to_file(path: Path) -> None:
    """Appends every successful DynamoDB request to `path`, one JSON object a line."""
    install()
    lock = threading.Lock()

    def write(record: Record) -> None:
        line = json.dumps(record, default=str)
        with lock, path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")

    _sinks.append(write)


def read_records(path: Path) -> list[Record]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

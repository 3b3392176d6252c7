"""A model of DynamoDB's transaction conflicts, which moto does not have.

In DynamoDB, a transaction that touches an item (Put, Update, Delete or ConditionCheck)
while another transaction on that item is in flight is cancelled with a
TransactionConflict reason. This model keeps every TransactWriteItems call "in flight"
for `hold_seconds` and cancels any call that touches an item an in-flight call holds, so
concurrent requests that share an item conflict here as they would on AWS.

moto in-process is not thread-safe, so its calls are serialized; each transaction's
in-flight window (the hold) lies outside that lock, so concurrent transactions overlap.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pynamodb.connection.base import Connection
from pynamodb.exceptions import TransactWriteError

# Key attributes of the service's two tables.
_KEY_NAMES = ("pk", "sk", "user_id", "event_key")

ItemKey = tuple[str, tuple[tuple[str, str], ...]]


def _item_keys(transact_items: list[dict[str, Any]]) -> set[ItemKey]:
    keys: set[ItemKey] = set()
    for entry in transact_items:
        (operation,) = entry.values()
        attributes = operation.get("Key") or operation.get("Item") or {}
        key = tuple(
            sorted((name, str(attributes[name])) for name in _KEY_NAMES if name in attributes)
        )
        keys.add((operation["TableName"], key))
    return keys


def _conflict(count: int) -> TransactWriteError:
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing"}] * count
    cause = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
            "CancellationReasons": reasons,
        },
        "TransactWriteItems",
    )
    return TransactWriteError("Failed to write transaction items", cause)


@dataclass
class ConflictModel:
    hold_seconds: float
    transactions: int = 0
    conflicts: int = 0
    shared_items: set[ItemKey] = field(default_factory=set)
    _in_flight: list[set[ItemKey]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, original: Any, connection: Any, *args: Any, **kwargs: Any) -> Any:
        request = _request_items(args, kwargs)
        keys = _item_keys(request)
        with self._lock:
            self.transactions += 1
            clash = set().union(*(keys & other for other in self._in_flight))
            if clash:
                self.conflicts += 1
                self.shared_items |= clash
                raise _conflict(len(request))
            self._in_flight.append(keys)
        try:
            time.sleep(self.hold_seconds)
            return original(connection, *args, **kwargs)
        finally:
            with self._lock:
                self._in_flight.remove(keys)


def _request_items(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    names = ("condition_check_items", "delete_items", "put_items", "update_items")
    given = dict(zip(names, args, strict=False)) | {k: v for k, v in kwargs.items() if k in names}
    wrapped = {
        "condition_check_items": "ConditionCheck",
        "delete_items": "Delete",
        "put_items": "Put",
        "update_items": "Update",
    }
    return [{wrapped[name]: item} for name in names for item in given.get(name) or []]


@contextmanager
def modelled_conflicts(
    monkeypatch: pytest.MonkeyPatch, hold_seconds: float = 0.05
) -> Iterator[ConflictModel]:
    """Within the block, every transaction of PynamoDB goes through the conflict model."""
    model = ConflictModel(hold_seconds)
    original = Connection.transact_write_items
    make_api_call = Connection._make_api_call
    moto_lock = threading.RLock()

    def transact_write_items(connection: Any, *args: Any, **kwargs: Any) -> Any:
        return model.run(original, connection, *args, **kwargs)

    def serialized_call(connection: Any, *args: Any, **kwargs: Any) -> Any:
        with moto_lock:
            return make_api_call(connection, *args, **kwargs)

    monkeypatch.setattr(Connection, "transact_write_items", transact_write_items)
    monkeypatch.setattr(Connection, "_make_api_call", serialized_call)
    yield model

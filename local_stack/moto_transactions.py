"""A cheaper rollback for moto's TransactWriteItems.

moto backs up every table a transaction names with a deep copy of the whole table, so a
transaction costs time in proportion to the table: on a stack that has served a test
suite, a bulk job of 10,000 users (10,000 transactions) would take hours. This keeps
moto's transaction code and its checks, but backs up only the items the transaction
names, and puts them back if it is cancelled. It relies on what MotoServer guarantees:
one request at a time, so nothing else sees or changes a table mid-transaction.
"""

import copy
import types
from typing import Any

_INSTALLED = "_segmentation_item_rollback"


def _item_key(table: Any, attributes: dict[str, Any]) -> tuple[Any, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    if table.hash_key_attr not in attributes:
        return None  # moto itself rejects the operation
    range_key = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attributes:
            return None
        range_key = DynamoType(attributes[table.range_key_attr])
    return DynamoType(attributes[table.hash_key_attr]), range_key


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
    elif item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


def install() -> None:
    """Replaces DynamoDBBackend.transact_write_items (once per process)."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, _INSTALLED, False):
        return
    # moto's own backup: every table stays itself instead of being deep-copied.
    no_table_copies = types.SimpleNamespace(
        deepcopy=lambda value, memo=None: (
            value if isinstance(value, Table) else copy.deepcopy(value, memo)
        )
    )

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backup = []
        for entry in transact_items:
            for op_type, operation in entry.items():
                table = self.tables.get(operation.get("TableName"))
                attributes = operation.get("Item" if op_type == "Put" else "Key") or {}
                key = None if table is None else _item_key(table, attributes)
                if key is not None:
                    item = table.get_item(*key)
                    backup.append((table, *key, copy.deepcopy(item)))
        setattr(models, "copy", no_table_copies)  # noqa: B010 - a module global, swapped
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(backup):
                _restore(table, hash_key, range_key, item)
            raise
        finally:
            setattr(models, "copy", copy)  # noqa: B010

    setattr(transact_write_items, _INSTALLED, True)
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]

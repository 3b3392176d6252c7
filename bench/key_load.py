"""From recorded DynamoDB requests to capacity units per partition key.

Each request's read and write units are charged to the partition keys it touches: the
base table's, and each GSI's for every written item that carries the index's key (its
projection's size). Keys are then grouped into families by their shape (`USER#{user}`,
`SEGID#{segment}#{shard}`, ...): a family's load spreads over its distinct keys.

Rules (DynamoDB's documented ones): a write costs 1 WCU per KB of item, a transactional
item 2 (ConditionCheck included); a read 1 RCU per 4 KB, half when eventually consistent;
a query is charged on the total size it returns. Approximations: a Delete is 1 KB, an
Update is sized by what it sets, and a GSI entry a Put removes (an item leaving a sparse
index) is not charged.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from local_stack.dynamodb_recorder import Record, item_size
from local_stack.template import Template

KB = 1024
READ_UNIT_BYTES = 4 * KB
# key shapes, most specific first: (pattern, family)
FAMILIES = [
    (re.compile(r"^USER#\d+$"), "USER#{user}"),
    (re.compile(r"^\d+$"), "{user}"),  # the history table's user_id
    (re.compile(r"^SEGID#\d+#\d+$"), "SEGID#{segment}#{shard}"),
    (re.compile(r"^SEGID#\d+$"), "SEGID#{segment}"),
    (re.compile(r"^EXP#\d+$"), "EXP#{shard}"),
    (re.compile(r"^\d{4}-\d{2}#\d+$"), "{month}#{shard}"),
    (re.compile(r"^SEGMENTS#\d+$"), "SEGMENTS#{shard}"),
    (re.compile(r"^BULK#[0-9a-f]+$"), "BULK#{job}"),
    (re.compile(r"^BULK#[0-9a-f]+#\d+#\d+$"), "BULK#{job}#{batch}#{shard}"),
    (re.compile(r"^SEGCOUNT#\d+#\d+$"), "SEGCOUNT#{segment}#{shard}"),
    # Each stream batch's markers have their own key, written once.
    (re.compile(r"^COUNTBATCH#"), "COUNTBATCH#{batch}"),
]


@dataclass(frozen=True)
class IndexSpec:
    hash_key: str
    # Attributes an index entry holds besides the keys: None for ALL (the whole item).
    projected: frozenset[str] | None


@dataclass(frozen=True)
class TableSpec:
    hash_key: str
    key_names: tuple[str, ...]
    indexes: dict[str, IndexSpec]


Place = str  # "SegmentsTable" or "SegmentsTable/members_by_segment"
KeyRef = tuple[Place, str]  # (where, partition key value)


@dataclass
class Units:
    rcu: float = 0.0
    wcu: float = 0.0

    def add(self, other: "Units", times: float = 1.0) -> None:
        self.rcu += other.rcu * times
        self.wcu += other.wcu * times


def _projected(index: dict[str, Any]) -> frozenset[str] | None:
    projection = index["Projection"]
    if projection["ProjectionType"] == "ALL":
        return None
    return frozenset(projection.get("NonKeyAttributes", []))


def table_specs(template: Template) -> dict[str, TableSpec]:
    specs = {}
    for table in template.dynamodb_tables():

        def hash_of(schema: list[dict[str, str]]) -> str:
            return next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")

        indexes = {
            index["IndexName"]: IndexSpec(hash_of(index["KeySchema"]), _projected(index))
            for index in table.get("GlobalSecondaryIndexes", [])
        }
        names = tuple(k["AttributeName"] for k in table["KeySchema"])
        specs[table["TableName"]] = TableSpec(hash_of(table["KeySchema"]), names, indexes)
    return specs


def _scalar(value: dict[str, Any]) -> str:
    return str(next(iter(value.values())))


def family(key: str) -> str:
    return next((name for pattern, name in FAMILIES if pattern.match(key)), key)


def _write_units(size: int, transactional: bool) -> float:
    return max(1, math.ceil(size / KB)) * (2 if transactional else 1)


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return units if consistent else units / 2


class Charges:
    """Units per partition key, summed over the requests charged to it."""

    def __init__(self, specs: dict[str, TableSpec]) -> None:
        self.specs = specs
        self.by_key: dict[KeyRef, Units] = defaultdict(Units)

    def _write(self, table: str, item: dict[str, Any], size: int, transactional: bool) -> None:
        spec = self.specs[table]
        key = _scalar(item[spec.hash_key])
        self.by_key[(table, key)].wcu += _write_units(size, transactional)
        for name, index in spec.indexes.items():
            if index.hash_key in item:
                keys = {*spec.key_names, index.hash_key}
                projected = {
                    k: v
                    for k, v in item.items()
                    if index.projected is None or k in keys or k in index.projected
                }
                where = f"{table}/{name}"
                self.by_key[(where, _scalar(item[index.hash_key]))].wcu += _write_units(
                    item_size(projected), False
                )

    def _key_only(self, table: str, key: dict[str, Any], units: Units) -> None:
        self.by_key[(table, _scalar(key[self.specs[table].hash_key]))].add(units)

    def charge(self, record: Record) -> None:
        operation, params = record["operation"], record["params"]
        sizes: list[int] = record.get("read_sizes", [])
        if operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                (kind, body), *_ = entry.items()
                if kind == "Put":
                    self._write(body["TableName"], body["Item"], item_size(body["Item"]), True)
                elif kind == "Update":
                    size = item_size(body["Key"]) + sum(
                        item_size({"v": v})
                        for v in body.get("ExpressionAttributeValues", {}).values()
                    )
                    self._key_only(
                        body["TableName"], body["Key"], Units(wcu=_write_units(size, True))
                    )
                else:  # Delete, ConditionCheck
                    self._key_only(
                        body["TableName"], body["Key"], Units(wcu=_write_units(KB, True))
                    )
        elif operation == "PutItem":
            self._write(params["TableName"], params["Item"], item_size(params["Item"]), False)
        elif operation in {"UpdateItem", "DeleteItem"}:
            self._key_only(params["TableName"], params["Key"], Units(wcu=1))
        elif operation == "GetItem":
            units = _read_units(sum(sizes), bool(params.get("ConsistentRead")))
            self._key_only(params["TableName"], params["Key"], Units(rcu=units))
        elif operation == "Query":
            self._query(params, sum(sizes))
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                keys = request["Keys"]
                each = sum(sizes) // max(1, len(keys))
                for key in keys:
                    units = _read_units(each, bool(request.get("ConsistentRead")))
                    self._key_only(table, key, Units(rcu=units))

    def _query(self, params: dict[str, Any], size: int) -> None:
        table = params["TableName"]
        index = params.get("IndexName")
        spec = self.specs[table]
        hash_key = spec.indexes[index].hash_key if index else spec.hash_key
        names = {v: k for k, v in params.get("ExpressionAttributeNames", {}).items()}
        match = re.search(
            rf"{re.escape(names.get(hash_key, hash_key))} = (:\w+)",
            params["KeyConditionExpression"],
        )
        assert match, params["KeyConditionExpression"]
        key = _scalar(params["ExpressionAttributeValues"][match.group(1)])
        where = f"{table}/{index}" if index else table
        units = _read_units(size, bool(params.get("ConsistentRead")))
        self.by_key[(where, key)].rcu += units


@dataclass(frozen=True)
class FamilyLoad:
    where: Place
    family: str
    per_request: Units  # units a request puts on the family as a whole
    distinct_keys: int  # keys the sample's requests spread over


def total_per_request(loads: list[FamilyLoad]) -> Units:
    """What one request costs over every key family it touches."""
    units = Units()
    for load in loads:
        units.add(load.per_request)
    return units


def family_loads(charges: Charges, requests: int) -> list[FamilyLoad]:
    grouped: dict[tuple[Place, str], tuple[Units, set[str]]] = {}
    for (where, key), units in charges.by_key.items():
        total, keys = grouped.setdefault((where, family(key)), (Units(), set()))
        total.add(units)
        keys.add(key)
    return [
        FamilyLoad(where, name, Units(total.rcu / requests, total.wcu / requests), len(keys))
        for (where, name), (total, keys) in sorted(grouped.items())
    ]

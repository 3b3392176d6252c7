"""DynamoDB Streams as the local stack runs them: a poller that does what Lambda's event
source mapping does for the template's `DynamoDB` events.

moto keeps each table's stream (one shard); the poller reads it with GetRecords, hands
each batch to the function as the Lambda event, and moves on only once the invocation
succeeded. A failed batch is retried unchanged, as Lambda does with
BisectBatchOnFunctionError off, up to MaximumRetryAttempts; then its description goes to
the OnFailure queue and the poller moves past it. Starting position: LATEST when the
poller starts (a restart with kept data must not count its restored rows twice), so
`start` takes the position before the gateway serves anything.
"""

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from local_stack.aws import DUMMY_KEY
from local_stack.cfn import REGION, TemplateError
from local_stack.template import Template, queue_url

log = logging.getLogger("local_stack.streams")

Invoke = Callable[[str, Any], Any]  # (function logical id, event) -> result
IDLE_SECONDS = 0.25
RETRY_SECONDS = 0.5


@dataclass(frozen=True)
class StreamSource:
    function_logical_id: str
    table_name: str
    batch_size: int
    max_retries: int
    failure_queue: str | None  # OnFailure destination queue's name


def _table_of(stream: Any, template: Template) -> str:
    """The table whose StreamArn the event names (`!GetAtt Table.StreamArn`)."""
    target = stream.get("Fn::GetAtt") if isinstance(stream, dict) else None
    if isinstance(target, str):
        target = target.split(".", 1)
    if not (isinstance(target, list) and len(target) == 2 and target[1] == "StreamArn"):
        raise TemplateError(f"a DynamoDB event's Stream must be !GetAtt Table.StreamArn: {stream}")
    return template.physical_names[str(target[0])]


def stream_sources(template: Template) -> list[StreamSource]:
    sources = []
    for logical_id, event in template.events({"DynamoDB"}):
        on_failure = (event.get("DestinationConfig") or {}).get("OnFailure") or {}
        destination = on_failure.get("Destination")
        queue = None
        if destination is not None:
            queue = str(template.resolver.resolve(destination)).rsplit(":", 1)[-1]
        sources.append(
            StreamSource(
                logical_id,
                _table_of(event["Stream"], template),
                int(template.resolver.resolve(event.get("BatchSize", 100))),
                int(template.resolver.resolve(event.get("MaximumRetryAttempts", -1))),
                queue,
            )
        )
    return sources


# A read that gets no answer is given up after seconds, not botocore's 60 s times five:
# the same iterator is simply read again (moto's iterators can be reused).
_POLL_CONFIG = Config(
    connect_timeout=5, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2}
)


def streams_client(endpoint_url: str | None) -> Any:
    """Inside mock_aws, the regional endpoint: moto does not know botocore's account-based
    streams endpoint (`<account>.streams-ddb.<region>...`)."""
    if endpoint_url is not None:
        return boto3.client(
            "dynamodbstreams",
            endpoint_url=endpoint_url,
            region_name=REGION,
            aws_access_key_id=DUMMY_KEY,
            aws_secret_access_key=DUMMY_KEY,
            config=_POLL_CONFIG,
        )
    return boto3.client(
        "dynamodbstreams",
        region_name=REGION,
        config=_POLL_CONFIG.merge(Config(account_id_endpoint_mode="disabled")),
    )


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as the event source mapping delivers it (times as epoch seconds)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": change, "eventSourceARN": stream_arn}


class StreamPoller:
    """One thread per source, reading its table's stream until stopped."""

    def __init__(
        self, sources: list[StreamSource], dynamodb: Any, streams: Any, sqs: Any, invoke: Invoke
    ) -> None:
        self.sources = sources
        self.dynamodb = dynamodb
        self.streams = streams
        self.sqs = sqs
        self.invoke = invoke
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def _iterators(self, source: StreamSource) -> tuple[str, list[str]]:
        table = self.dynamodb.describe_table(TableName=source.table_name)["Table"]
        arn = table["LatestStreamArn"]
        shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        iterators = [
            self.streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            for shard in shards
        ]
        return arn, iterators

    def start(self) -> None:
        for source in self.sources:
            arn, iterators = self._iterators(source)  # now: nothing written after is missed
            for iterator in iterators:
                thread = threading.Thread(
                    target=self._loop,
                    args=(source, arn, iterator),
                    name=f"stream-{source.function_logical_id}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        """Stops after the batch in hand, having read the stream to its end once more."""
        self._stopped.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _loop(self, source: StreamSource, arn: str, iterator: str) -> None:
        draining = False
        while True:
            try:
                answer = self.streams.get_records(ShardIterator=iterator, Limit=source.batch_size)
            except Exception:
                log.exception("reading the stream of %s failed", source.table_name)
                if self._stopped.wait(RETRY_SECONDS):
                    return
                continue
            records = answer.get("Records", [])
            if records:
                self.deliver(source, [lambda_record(r, arn) for r in records])
            iterator = answer.get("NextShardIterator") or iterator
            if records:
                continue
            if draining or answer.get("NextShardIterator") is None:
                return
            if self._stopped.wait(IDLE_SECONDS):
                draining = True  # one more read: what was written before the stop

    def deliver(self, source: StreamSource, records: list[dict[str, Any]]) -> bool:
        """Invokes until the batch succeeds, the same batch each time; True if it did."""
        event = {"Records": records}
        attempt = 0
        while True:
            try:
                self.invoke(source.function_logical_id, event)
                return True
            except Exception:
                log.exception(
                    "%s failed on a batch of %d (attempt %d)",
                    source.function_logical_id,
                    len(records),
                    attempt + 1,
                )
            if self._stopped.is_set():
                log.error("stopping: a failing batch of %d records is dropped", len(records))
                return False
            if 0 <= source.max_retries <= attempt:
                self._send_to_failure_queue(source, records)
                return False
            attempt += 1
            self._stopped.wait(RETRY_SECONDS)

    def _send_to_failure_queue(self, source: StreamSource, records: list[dict[str, Any]]) -> None:
        """What Lambda sends an OnFailure destination: where the batch was, not its records."""
        if source.failure_queue is None:
            return
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        description = {
            "requestContext": {"condition": "RetryAttemptsExhausted"},
            "DDBStreamBatchInfo": {
                "streamArn": records[0]["eventSourceARN"],
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "batchSize": len(records),
            },
        }
        self.sqs.send_message(
            QueueUrl=queue_url(source.failure_queue), MessageBody=json.dumps(description)
        )

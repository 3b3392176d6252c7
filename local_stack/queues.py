"""SQS as the local stack runs it: the template's queues created in moto, and an event
source poller that feeds their messages to the functions subscribed to them.

moto keeps the queue semantics (visibility timeout, receive counts, the redrive to a
dead-letter queue after maxReceiveCount); the poller does what Lambda's event source
mapping does: receive a batch, invoke the function, delete the batch if it succeeded.
moto's server here answers one request at a time, so the poller never long-polls.
"""

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local_stack.cfn import ACCOUNT_ID, REGION, as_text
from local_stack.template import QUEUE, Template, queue_url

log = logging.getLogger("local_stack.queues")

Invoke = Callable[[str, Any], Any]  # (function logical id, event) -> result
IDLE_SECONDS = 0.5


@dataclass(frozen=True)
class QueueSpec:
    name: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class QueueSource:
    function_logical_id: str
    queue_name: str
    batch_size: int

    @property
    def url(self) -> str:
        return queue_url(self.queue_name)

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{self.queue_name}"


def sqs_queues(template: Template) -> list[QueueSpec]:
    """CreateQueue arguments, dead-letter queues first (a redrive names an existing queue)."""
    specs = []
    for logical_id, resource in template.of_type(QUEUE).items():
        properties = template.resolver.resolve(resource.get("Properties") or {})
        attributes = {
            name: as_text(value)
            for name, value in properties.items()
            if name not in ("QueueName", "RedrivePolicy", "Tags")
        }
        if "RedrivePolicy" in properties:
            attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
        specs.append(QueueSpec(template.physical_names[logical_id], attributes))
    return sorted(specs, key=lambda spec: "RedrivePolicy" in spec.attributes)


def sqs_sources(template: Template) -> list[QueueSource]:
    sources = []
    for logical_id, event in template.events({"SQS"}):
        arn = str(template.resolver.resolve(event["Queue"]))
        batch = int(template.resolver.resolve(event.get("BatchSize", 10)))
        sources.append(QueueSource(logical_id, arn.rsplit(":", 1)[-1], batch))
    return sources


def sqs_event(source: QueueSource, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The event Lambda's SQS event source delivers."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": source.arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


def poll_once(sqs: Any, source: QueueSource, invoke: Invoke) -> int:
    """One receive and, when messages came, one invocation; returns how many came.
    A failed invocation leaves the batch to SQS: it reappears after the visibility
    timeout, and moves to the dead-letter queue after maxReceiveCount receives."""
    received = sqs.receive_message(
        QueueUrl=source.url,
        MaxNumberOfMessages=min(source.batch_size, 10),
        AttributeNames=["All"],
        WaitTimeSeconds=0,
    )
    messages = received.get("Messages", [])
    if not messages:
        return 0
    try:
        invoke(source.function_logical_id, sqs_event(source, messages))
    except Exception:
        log.exception("%s failed on %d message(s)", source.function_logical_id, len(messages))
        return len(messages)
    sqs.delete_message_batch(
        QueueUrl=source.url,
        Entries=[
            {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]}
            for n, message in enumerate(messages)
        ],
    )
    return len(messages)


class QueuePoller:
    """`workers` threads per event source, each polling its queue until stopped."""

    def __init__(
        self, sources: list[QueueSource], sqs: Any, invoke: Invoke, workers: int = 2
    ) -> None:
        self.sources = sources
        self.sqs = sqs
        self.invoke = invoke
        self.workers = workers
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for source in self.sources:
            for n in range(self.workers):
                thread = threading.Thread(
                    target=self._loop,
                    args=(source,),
                    name=f"sqs-{source.function_logical_id}-{n}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        self._stopped.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _loop(self, source: QueueSource) -> None:
        while not self._stopped.is_set():
            try:
                if poll_once(self.sqs, source, self.invoke) == 0:
                    self._stopped.wait(IDLE_SECONDS)
            except Exception:
                log.exception("polling %s failed", source.queue_name)
                self._stopped.wait(IDLE_SECONDS)

"""Test helpers: the whole stack in a subprocess, or the template's resources inside mock_aws."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from local_stack.aws import aws_client, create_resources
from local_stack.template import DEFAULT_TEMPLATE, Template

_READY = re.compile(r"Local stack ready on (\S+) \(AWS at (\S+)\)")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def create_resources_in_moto(template: Template) -> None:
    """Creates the template's tables and buckets; call inside `moto.mock_aws()`. Tests
    start with empty queues: the s3:TestEvent S3 sends to a queue when its bucket's
    notification is configured is dropped."""
    create_resources(template, endpoint_url=None)
    sqs = aws_client("sqs", None)
    for notifications in template.s3_queue_notifications().values():
        for queue in notifications["QueueConfigurations"]:
            name = str(queue["QueueArn"]).rsplit(":", 1)[-1]
            sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])


@dataclass
class RunningStack:
    base_url: str
    aws_endpoint_url: str
    process: "subprocess.Popen[str]"
    _output: deque[str] = field(default_factory=lambda: deque(maxlen=2000))

    def output(self) -> str:
        """The stack's recent log lines, for assertion messages."""
        return "".join(self._output)


def _pump(stream: "subprocess.Popen[str]", lines: deque[str], ready: list[str]) -> None:
    # Keeps reading after readiness too: a full pipe would block the stack's logging.
    assert stream.stdout is not None
    for line in stream.stdout:
        lines.append(line)
        if not ready and _READY.search(line):
            ready.append(line)


@contextmanager
def running_stack(
    template: Path | str = DEFAULT_TEMPLATE,
    *,
    schedule_seconds: float = 0,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60.0,
    extra_args: tuple[str, ...] = (),
) -> Iterator[RunningStack]:
    """`python -m local_stack` on free loopback ports for the duration of the block.

    Scheduled functions do not run unless `schedule_seconds` > 0, so tests stay deterministic.
    """
    process_env = {**os.environ, **(env or {})}
    process_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PACKAGE_ROOT), process_env.get("PYTHONPATH")])
    )
    process_env["PYTHONUNBUFFERED"] = "1"
    command = [
        sys.executable,
        "-m",
        "local_stack",
        "--host=127.0.0.1",
        "--port=0",
        "--aws-port=0",
        f"--schedule-seconds={schedule_seconds}",
        f"--template={Path(template).resolve()}",
        *extra_args,
    ]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command,
        cwd=PACKAGE_ROOT,
        env=process_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: deque[str] = deque(maxlen=2000)
    ready: list[str] = []
    threading.Thread(target=_pump, args=(process, lines, ready), daemon=True).start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not ready:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"local stack did not start (exit code {process.poll()}):\n{''.join(lines)}"
                )
            time.sleep(0.05)
        match = _READY.search(ready[0])
        assert match is not None
        yield RunningStack(match.group(1), match.group(2), process, lines)
    finally:
        _stop(process)


def _stop(process: "subprocess.Popen[str]") -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
